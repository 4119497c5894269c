"""GET /v2/cloudimages and GET /v2/images: filters, sorting, marker/limit paging.

Filters are data (FILTERS): query parameter -> (image attribute, allowed values or None). Status and
name go to indexed columns; the rest are compared on the image documents the project can see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.domain import image_rules as rules
from emulator.domain import public_images
from emulator.domain.errors import ServiceError
from emulator.domain.ids import is_uuid
from emulator.domain.images import KIND, STATUSES, shared_with
from emulator.domain.records import Entity

if TYPE_CHECKING:
    from emulator.store import Tx

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
MEMBER_STATUSES = ("accepted", "rejected", "pending")
SORT_KEYS = ("name", "container_format", "disk_format", "status", "id", "size", "created_at", "updated_at")
MAX_LIMIT = 1000
IGNORED = ("flavor_id", "x-sdk-date", "fields")  # accepted, no effect on private images


@dataclass
class Page:
    images: list[Entity]
    next_marker: str | None


def _bad(param: str) -> ServiceError:
    return ServiceError("IMG.0017", param=param)


def list_images(tx: Tx, project_id: str, query: Mapping[str, str], *, default_limit: int) -> Page:
    limit = _int(query, "limit", default_limit, 0, MAX_LIMIT)
    checks = _checks(query, project_id)
    sort_key, sort_dir = _sort(query)
    candidates = _candidates(tx, project_id, query)
    rows = [img for img in candidates if all(check(img) for check in checks)]
    rows.sort(key=lambda i: (_sort_value(i, sort_key), i.id), reverse=sort_dir == "desc")
    marker = query.get("marker")
    if marker:
        ids = [i.id for i in rows]
        if marker not in ids:
            raise _bad("marker")
        rows = rows[ids.index(marker) + 1:]
    page = rows[:limit]
    more = len(rows) > limit and limit > 0
    return Page(page, page[-1].id if more and page else None)


def _int(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise _bad(name)
    return int(raw)


def _sort(query: Mapping[str, str]) -> tuple[str, str]:
    key, direction = query.get("sort_key") or "created_at", query.get("sort_dir") or "desc"
    if key not in SORT_KEYS:
        raise _bad("sort_key")
    if direction not in ("asc", "desc"):
        raise _bad("sort_dir")
    return key, direction


def _sort_value(img: Entity, key: str) -> Any:
    if key == "created_at":
        return img.created_at
    value = img.doc.get(key)
    return (0, value) if isinstance(value, (int, float)) else (1, str(value or ""))


def _candidates(tx: Tx, project_id: str, query: Mapping[str, str]) -> list[Entity]:
    """Own images (+ those shared with us), narrowed in SQL by the indexed columns."""
    cols: list[tuple[str, str, Any]] = []
    status = query.get("status")
    if status:
        if status not in STATUSES:
            raise _bad("status")
        cols.append(("status", "=", status))
    name = query.get("name")
    if name is not None and name != "":
        if "(" in name or ")" in name or len(name) > 255:
            raise _bad("name")
        cols.append(("name", "=", name))
    image_id = query.get("id")
    if image_id:
        if not is_uuid(image_id):
            raise _bad("id")
        cols.append(("id", "=", image_id))
    imagetype = query.get("__imagetype")
    if imagetype and imagetype not in IMAGE_TYPES:
        raise ServiceError("IMG.0024")
    member_status = query.get("member_status")
    if member_status and member_status not in MEMBER_STATUSES:
        raise _bad("member_status")
    if imagetype == "gold" or (query.get("visibility") == "public" and not imagetype):
        return [i for i in public_images.all_images() if _matches_columns(i, status, name, image_id)]
    if imagetype == "market":
        return []
    own = [] if imagetype == "shared" or member_status else tx.entities.list(KIND, project_id, cols)
    if imagetype == "private":
        return own
    if image_id and not own and public_images.get(image_id) is not None:  # TF reads one image by ?id=
        return [i for i in public_images.all_images() if _matches_columns(i, status, name, image_id)]
    shared_ids = shared_with(tx, project_id, member_status or ("accepted" if imagetype != "shared" else None))
    shared = tx.entities.list(KIND, None, [*cols, ("id", "in", shared_ids)]) if shared_ids else []
    return own + [i for i in shared if i.project_id != project_id]


def _matches_columns(img: Entity, status: str | None, name: str | None, image_id: str | None) -> bool:
    return ((not status or img.status == status) and (not name or img.name == name)
            and (not image_id or img.id == image_id))


def _checks(query: Mapping[str, str], project_id: str) -> list[Callable[[Entity], bool]]:
    checks: list[Callable[[Entity], bool]] = []
    for param, (attr, allowed) in FILTERS.items():
        value = query.get(param)
        if value is None or value == "":
            continue
        if allowed is not None and value not in allowed:
            raise _bad(param)
        checks.append(lambda img, a=attr, v=value: _text(img.doc.get(a)) == v)
    for param in INT_FILTERS:
        if query.get(param):
            number = _int(query, param, 0, 0, 10 ** 7)
            checks.append(lambda img, a=param, n=number: int(img.doc.get(a) or 0) == n)
    for param in ("created_at", "updated_at"):
        if query.get(param):
            op, moment = rules.parse_time_filter(param, query[param])
            checks.append(lambda img, a=param, o=op, m=moment: rules.compare(o, _epoch(img, a), m))
    if query.get("tag"):
        key, sep, value = query["tag"].partition("=")
        if not sep or not key:
            raise _bad("tag")
        checks.append(lambda img, t=f"{key}.{value}": t in img.doc.get("tags", []))
    arch = query.get("architecture")
    if arch:
        if arch not in ("x86", "arm"):
            raise _bad("architecture")
        checks.append(lambda img, arm=arch == "arm": (img.doc.get("__support_arm") == "true") == arm)
    ep = query.get("enterprise_project_id")
    if ep and ep != "all_granted_eps":
        if ep != "0" and not is_uuid(ep):
            raise _bad("enterprise_project_id")
        checks.append(lambda img, e=ep: img.doc.get("enterprise_project_id", "0") == e)
    return checks


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _epoch(img: Entity, attr: str) -> float:
    if attr == "created_at":
        return img.created_at
    op_time = rules.parse_time_filter(attr, "eq:" + str(img.doc.get(attr, "")))
    return op_time[1]
