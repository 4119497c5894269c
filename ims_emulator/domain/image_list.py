"""GET /v2/cloudimages and GET /v2/images: filters, sorting, marker/limit paging.

Filters are data (FILTERS): query parameter -> (image attribute, allowed values or None). Every filter
is one predicate (`Query.matches`) tested on the image as the caller sees it (`images.as_seen_by`: a
member sees a shared image as `__imagetype`/`visibility` "shared"). Where the images come from is
chosen by `__imagetype` / `member_status` / `visibility=public` (`_sources`).

The caller's own images in the default order (created_at, then id) are read as keyset pages through
the entities_page index (store.paging): status, name, id and the document filters that SQL can test
exactly go into the read, the rest are tested on the rows read, and the read goes on from the last
row until the page is full. Shared and public images (few) are merged in. Other sort keys sort
everything the project can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import image_rules as rules
from ims_emulator.domain import images, members, numbers, public_images
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import is_uuid
from ims_emulator.domain.images import KIND, STATUSES
from ims_emulator.domain.records import Entity
from ims_emulator.store.paging import page_after

if TYPE_CHECKING:
    from ims_emulator.store import Tx
    from ims_emulator.store.repos import Filter

BOOL = ("true", "false")
# query parameter -> (document attribute, allowed values (None = any string))
FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "__isregistered": ("__isregistered", BOOL), "__whole_image": ("__whole_image", BOOL),
    "__system__cmkid": ("__system__cmkid", None), "protected": ("protected", BOOL),
    "visibility": ("visibility", ("public", "private", "shared")), "owner": ("owner", None),
    "container_format": ("container_format", None), "disk_format": ("disk_format", None),
    "__os_bit": ("__os_bit", ("32", "64")), "__platform": ("__platform", None),
    "__os_type": ("__os_type", ("Linux", "Windows", "Other")), "__os_version": ("__os_version", None),
    "virtual_env_type": ("virtual_env_type", ("FusionCompute", "Ironic", "DataImage", "IsoImage")),
    "__backup_id": ("__backup_id", None),
    **{k: (k, None) for k in ("__support_kvm", "__support_xen", "__support_largememory", "__support_diskintensive",
                              "__support_highperformance", "__support_xen_gpu_type", "__support_kvm_gpu_type",
                              "__support_xen_hana", "__support_kvm_infiniband")},
}
INT_FILTERS = ("min_ram", "min_disk")
IMAGE_TYPES = ("gold", "private", "shared", "market")
SORT_KEYS = ("name", "container_format", "disk_format", "status", "id", "size", "created_at", "updated_at")
MAX_LIMIT = 1000
IGNORED = ("flavor_id", "x-sdk-date", "fields")  # accepted, no effect on private images
SCAN_BATCH = 200  # rows read per round when filters only Python can test thin a page out


@dataclass
class Page:
    images: list[Entity]
    next_marker: str | None


@dataclass
class Query:
    """A validated list query: the one predicate plus the part of it SQL can test on stored own images."""

    checks: list[Callable[[Entity], bool]] = field(default_factory=list)
    sql: list[Filter] = field(default_factory=list)

    def matches(self, img: Entity) -> bool:
        return all(check(img) for check in self.checks)


@dataclass(frozen=True)
class Sources:
    own: bool
    shared_status: str | None  # member status of the shared images listed, None = none listed
    gold: bool


def _bad(param: str) -> ServiceError:
    return ServiceError("IMG.0017", param=param)


def predicate(query: Mapping[str, str]) -> Callable[[Entity], bool]:
    """The image filters of `query` as one test (for other lists that take the same filters, e.g. ListTags)."""
    return _columns(query, _query(query)).matches


def list_images(tx: Tx, project_id: str, query: Mapping[str, str], *, default_limit: int) -> Page:
    limit = _int(query, "limit", default_limit, 0, MAX_LIMIT)
    q = _query(query)
    sort_key, sort_dir = _sort(query)
    q = _columns(query, q)
    sources = _sources(query)
    others = [img for img in _others(tx, project_id, sources) if q.matches(img)]
    marker = _marker(tx, project_id, query.get("marker"), sources, q, others)
    if sort_key == "created_at":
        rows, more = _keyset(tx, project_id, sources, q, others, marker, limit, sort_dir == "desc")
    else:
        rows, more = _sorted(tx, project_id, sources, q, others, marker, limit, sort_key, sort_dir == "desc")
    more = more and limit > 0
    return Page(rows, rows[-1].id if more and rows else None)


# -- parsing ----------------------------------------------------------------------------------

def _int(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    value = numbers.parse(raw, numbers.Bounds(lo, hi))
    if value is None:
        raise _bad(name)
    return value


def _sort(query: Mapping[str, str]) -> tuple[str, str]:
    key, direction = query.get("sort_key") or "created_at", query.get("sort_dir") or "desc"
    if key not in SORT_KEYS:
        raise _bad("sort_key")
    if direction not in ("asc", "desc"):
        raise _bad("sort_dir")
    return key, direction


def _query(query: Mapping[str, str]) -> Query:
    """The document filters: each one a check, and where SQL can test it exactly, a store filter too."""
    q = Query()
    for param, (attr, allowed) in FILTERS.items():
        value = query.get(param)
        if value is None or value == "":
            continue
        if allowed is not None and value not in allowed:
            raise _bad(param)
        q.checks.append(lambda img, a=attr, v=value: _text(img.doc.get(a)) == v)
        q.sql.append((f"$.{attr}", "in", _stored_forms(value)))
    for param in INT_FILTERS:
        if query.get(param):
            number = _int(query, param, 0, 0, 10 ** 7)
            q.checks.append(lambda img, a=param, n=number: int(img.doc.get(a) or 0) == n)
            if number:  # 0 also matches an absent attribute: tested on the rows only
                q.sql.append((f"$.{param}", "in", [number, str(number)]))
    for param in ("created_at", "updated_at"):
        if query.get(param):
            op, moment = rules.parse_time_filter(param, query[param])
            q.checks.append(lambda img, a=param, o=op, m=moment: rules.compare(o, _epoch(img, a), m))
    if query.get("tag"):
        key, sep, value = query["tag"].partition("=")
        if not sep or not key:
            raise _bad("tag")
        q.checks.append(lambda img, t=f"{key}.{value}": t in img.doc.get("tags", []))
    arch = query.get("architecture")
    if arch:
        if arch not in ("x86", "arm"):
            raise _bad("architecture")
        q.checks.append(lambda img, arm=arch == "arm": (img.doc.get("__support_arm") == "true") == arm)
    ep = query.get("enterprise_project_id")
    if ep and ep != "all_granted_eps":
        if ep != "0" and not is_uuid(ep):
            raise _bad("enterprise_project_id")
        q.checks.append(lambda img, e=ep: img.doc.get("enterprise_project_id", "0") == e)
        if ep != "0":  # "0" also matches an absent attribute
            q.sql.append(("$.enterprise_project_id", "=", ep))
    return q


def _stored_forms(value: str) -> list[Any]:
    """The JSON values whose text is `value` (json_extract gives 1/0 for true/false, numbers as numbers)."""
    forms: list[Any] = [value]
    if value in BOOL:
        forms.append(1 if value == "true" else 0)
    try:
        forms.append(float(value))
    except ValueError:
        pass
    return forms


def _columns(query: Mapping[str, str], q: Query) -> Query:
    """status, name and id: indexed columns."""
    status = query.get("status")
    if status:
        if status not in STATUSES:
            raise _bad("status")
        q.sql.append(("status", "=", status))
        q.checks.append(lambda img: img.status == status)
    name = query.get("name")
    if name is not None and name != "":
        if "(" in name or ")" in name or len(name) > 255:
            raise _bad("name")
        q.sql.append(("name", "=", name))
        q.checks.append(lambda img: img.name == name)
    image_id = query.get("id")
    if image_id:
        if not is_uuid(image_id):
            raise _bad("id")
        q.sql.append(("id", "=", image_id))
        q.checks.append(lambda img: img.id == image_id)
    return q


def _sources(query: Mapping[str, str]) -> Sources:
    imagetype = query.get("__imagetype")
    if imagetype and imagetype not in IMAGE_TYPES:
        raise ServiceError("IMG.0024")
    member_status = query.get("member_status")
    if member_status and member_status not in members.STATUSES:
        raise _bad("member_status")
    image_id = query.get("id")
    if imagetype == "gold" or (query.get("visibility") == "public" and not imagetype):
        return Sources(own=False, shared_status=None, gold=True)
    if imagetype == "market":
        return Sources(own=False, shared_status=None, gold=False)
    if imagetype == "private":
        return Sources(own=True, shared_status=None, gold=False)
    if imagetype == "shared" or member_status:  # the documented shared query carries member_status
        return Sources(own=False, shared_status=member_status or members.LISTED_STATUS, gold=False)
    # TF reads one public image by ?id= (it is not among the project's own images)
    gold = bool(image_id) and public_images.get(image_id) is not None
    return Sources(own=not gold, shared_status=None if gold else members.LISTED_STATUS, gold=gold)


# -- reading ------------------------------------------------------------------------------------

def _others(tx: Tx, project_id: str, sources: Sources) -> list[Entity]:
    """The images listed that are not the project's own (public, shared with it), as it sees them."""
    found = public_images.all_images() if sources.gold else []
    if sources.shared_status:
        found += [i for i in members.images_shared_with(tx, project_id, sources.shared_status)
                  if i.project_id != project_id]
    return [images.as_seen_by(i, project_id) for i in found]


def _marker(tx: Tx, project_id: str, marker: str | None, sources: Sources, q: Query,
            others: list[Entity]) -> Entity | None:
    """The image named by `marker`: one the same query lists, else IMG.0017."""
    if not marker:
        return None
    found = next((i for i in others if i.id == marker), None)
    if found is None and sources.own:
        found = tx.entities.get(KIND, marker, project_id)
    if found is None or not q.matches(found):
        raise _bad("marker")
    return found


def _order(img: Entity) -> tuple[float, str]:
    return img.created_at, img.id


def _beyond(img: Entity, marker: Entity | None, newest_first: bool) -> bool:
    """Whether `img` comes after `marker` in the list's (created_at, id) order."""
    if marker is None:
        return True
    return _order(img) < _order(marker) if newest_first else _order(img) > _order(marker)


def _keyset(tx: Tx, project_id: str, sources: Sources, q: Query, others: list[Entity], marker: Entity | None,
            limit: int, newest_first: bool) -> tuple[list[Entity], bool]:
    """The page in (created_at, id) order: own images through the index, merged with the others."""
    own: list[Entity] = []
    own_more = False
    if sources.own:
        own, own_more = _own_rows(tx, project_id, q, marker, limit, newest_first)
    others = [i for i in others if _beyond(i, marker, newest_first)]
    rows = sorted(own + others, key=_order, reverse=newest_first)
    return rows[:limit], own_more or len(rows) > limit


def _own_rows(tx: Tx, project_id: str, q: Query, marker: Entity | None, limit: int,
              newest_first: bool) -> tuple[list[Entity], bool]:
    """Up to `limit` of the project's images after `marker` that match, and whether more follow."""
    out: list[Entity] = []
    for img in _scan(tx, project_id, q, marker, newest_first, limit + 1):
        out.append(img)
        if len(out) > limit:
            return out[:limit], True
    return out, False


def _scan(tx: Tx, project_id: str, q: Query, marker: Entity | None, newest_first: bool,
          first_batch: int) -> Iterator[Entity]:
    """The project's matching images after `marker`, read in index order a batch at a time."""
    sql = list(q.sql)
    after: str | None = None
    if marker is not None and marker.project_id == project_id:
        after = marker.id
    elif marker is not None:  # a shared or public marker: start at its created_at, skip its ties after
        sql.append(("created_at", "<=" if newest_first else ">=", marker.created_at))
    batch = first_batch
    while True:
        found = page_after(tx.entities, KIND, project_id, after, batch, sql, newest_first)
        rows, more = found if found is not None else ([], False)
        yield from (img for img in rows if _beyond(img, marker, newest_first) and q.matches(img))
        if not more or not rows:
            return
        after, batch = rows[-1].id, max(batch, SCAN_BATCH)


def _sorted(tx: Tx, project_id: str, sources: Sources, q: Query, others: list[Entity], marker: Entity | None,
            limit: int, sort_key: str, descending: bool) -> tuple[list[Entity], bool]:
    """Any other sort key: everything the query lists, sorted, then the page after the marker."""
    own = [i for i in tx.entities.list(KIND, project_id, q.sql) if q.matches(i)] if sources.own else []
    rows = sorted(own + others, key=lambda i: (_sort_value(i, sort_key), i.id), reverse=descending)
    if marker is not None:
        ids = [i.id for i in rows]
        rows = rows[ids.index(marker.id) + 1:]
    return rows[:limit], len(rows) > limit


def _sort_value(img: Entity, key: str) -> Any:
    if key == "created_at":
        return img.created_at
    value = img.doc.get(key)
    return (0, value) if isinstance(value, (int, float)) else (1, str(value or ""))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _epoch(img: Entity, attr: str) -> float:
    if attr == "created_at":
        return img.created_at
    try:
        return rules.parse_time_filter(attr, "eq:" + str(img.doc.get(attr, "")))[1]
    except ServiceError:  # no readable updated_at: it was never updated
        return img.created_at
