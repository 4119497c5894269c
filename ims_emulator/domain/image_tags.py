"""Image tags: one store, every API's view of it.

The image doc's `tags` list (legacy "key.value" strings, exactly what the image object shows)
is the only place tags live; the key/value APIs read and write it through parse/render below.
A key-only tag (empty value) is rendered as the bare key ("test"), as ListTags shows.
Keys carry no "." (the charset below), so the first "." always separates key and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.image_rules import image_not_found
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

MAX_TAGS = 10          # per image (IMG.0116)
KEY_MAX = 36           # create: key / value lengths (IMG.0115)
VALUE_MAX = 43
GLANCE_TAG_MAX = 255   # Glance native tag: a single key
DELETE_KEY_MAX = 127   # delete paths check lengths only
DELETE_VALUE_MAX = 255
KEY_RE = re.compile(r"^[\w-]+$")      # letters (any script), digits, '_', '-'
VALUE_RE = re.compile(r"^[\w-]*$")    # the same, may be empty

Pair = tuple[str, str]


def parse(tag: str) -> Pair:
    key, _, value = tag.partition(".")
    return key, value


def render(key: str, value: str) -> str:
    return f"{key}.{value}" if value else key


def pairs(image: Entity) -> list[Pair]:
    return [parse(t) for t in image.doc.get("tags") or []]


def as_dict(image: Entity) -> dict[str, str]:
    return dict(pairs(image))


# -- validation (before anything is written) ---------------------------------------------------

def check_pair(key: object, value: object, *, key_max: int = KEY_MAX) -> Pair:
    """A tag to create: trimmed, charset and lengths, else IMG.0115."""
    if not isinstance(key, str) or not isinstance(value, str):
        raise ServiceError("IMG.0115", "Tag key and value must be strings.")
    key, value = key.strip(), value.strip()
    if not 1 <= len(key) <= key_max or not KEY_RE.match(key):
        raise ServiceError("IMG.0115", f"Invalid tag key '{key}': 1-{key_max} letters, digits, '_' or '-'.")
    if len(value) > VALUE_MAX or not VALUE_RE.match(value):
        raise ServiceError("IMG.0115", f"Invalid tag value '{value}': 0-{VALUE_MAX} letters, digits, '_' or '-'.")
    return key, value


def check_legacy(tag: object) -> Pair:
    """A legacy "key.value" string."""
    if not isinstance(tag, str):
        raise ServiceError("IMG.0115", "A tag must be a string in the format key.value.")
    return check_pair(*parse(tag))


def check_delete_pair(key: object, value: object) -> Pair:
    if not isinstance(key, str) or not isinstance(value, str):
        raise ServiceError("IMG.0115", "Tag key and value must be strings.")
    key, value = key.strip(), value.strip()
    if not 1 <= len(key) <= DELETE_KEY_MAX or len(value) > DELETE_VALUE_MAX:
        raise ServiceError("IMG.0115", f"Invalid tag '{key}'.")
    return key, value


def unique_keys(items: Iterable[Pair]) -> list[Pair]:
    out = list(items)
    keys = [k for k, _ in out]
    if len(set(keys)) != len(keys):
        raise ServiceError("IMG.0115", "Tag keys in one request must be unique.")
    return out


def from_create(tags: list[Any] | None, image_tags: list[Any] | None = None) -> list[str]:
    """The `tags` xor `image_tags` of an image-creating request -> the doc's `tags` list (validated).

    The one place for the IMS create-time tag rules (every create API and each data_images item):
    charset and lengths, an existing key updated, at most MAX_TAGS."""
    if tags and image_tags:
        raise ServiceError("IMG.0115", "tags and image_tags cannot be used together.")
    if image_tags:
        new = [check_pair((t or {}).get("key"), (t or {}).get("value", "")) if isinstance(t, dict)
               else check_pair(None, None) for t in image_tags]
    else:
        new = [check_legacy(t) for t in tags or []]
    return _merged(new)


def from_glance(tags: list[Any] | None) -> list[str]:
    """POST /v2/images `tags`: Glance tags, strings of 1-GLANCE_TAG_MAX characters kept as sent (the recorded
    request sends "test=testvalue"); a repeated key is updated, at most MAX_TAGS."""
    new = []
    for tag in tags or []:
        if not isinstance(tag, str) or not 1 <= len(tag) <= GLANCE_TAG_MAX:
            raise ServiceError("IMG.0115", f"Invalid tag: 1-{GLANCE_TAG_MAX} characters.")
        new.append(parse(tag))
    return _merged(new)


def _merged(new: list[Pair]) -> list[str]:
    merged = dict(new)  # an existing key is updated
    if len(merged) > MAX_TAGS:
        raise ServiceError("IMG.0116")
    return [render(k, v) for k, v in merged.items()]


# -- changes to one image ---------------------------------------------------------------------

IMAGE_KIND = "image"


def owned_image(tx: Tx, project_id: str, image_id: str) -> Entity:
    """Only the owner tags an image; anything else is "image not found" (IMG.0027)."""
    image = tx.entities.get(IMAGE_KIND, image_id, project_id)
    if image is None or image.status == "deleted":
        raise image_not_found(image_id)
    return image


def project_images(tx: Tx, project_id: str) -> list[Entity]:
    return [i for i in tx.entities.list(IMAGE_KIND, project_id, order=(("created_at", "asc"), ("id", "asc")))
            if i.status != "deleted"]


def listed_images(tx: Tx, project_id: str, imagetype: str | None, member_status: str | None) -> list[Entity]:
    """Whose images ListTags reads: own (private, the default), public (gold) or shared with us."""
    from ims_emulator.domain import members, public_images
    if imagetype in (None, "", "private"):
        return project_images(tx, project_id)
    if imagetype == "gold":
        return public_images.all_images()
    if imagetype == "shared":
        status = member_status or "accepted"
        if status not in members.STATUSES:
            raise ServiceError("IMG.0017", param="member_status")
        return members.images_shared_with(tx, project_id, status)
    if imagetype == "market":
        return []
    raise ServiceError("IMG.0024")


def change(tx: Tx, project_id: str, image_id: str, *, add: Iterable[Pair] = (), drop: Iterable[Pair] = (),
           drop_key: str | None = None, match_value: bool = True) -> Entity:
    """One tag write in the caller's transaction: validate everything, then store once."""
    image = owned_image(tx, project_id, image_id)
    if drop_key is not None:
        remove_key(image, drop_key)
    remove(image, drop, match_value=match_value)
    upsert(image, add)
    return tx.entities.update(image)


def upsert(image: Entity, new: Iterable[Pair]) -> Entity:
    """Add or overwrite tags (idempotent); more than MAX_TAGS in the end is IMG.0116."""
    current = as_dict(image)
    for key, value in new:
        current[key] = value
    if len(current) > MAX_TAGS:
        raise ServiceError("IMG.0116", f"An image can have at most {MAX_TAGS} tags.")
    image.doc["tags"] = [render(k, v) for k, v in current.items()]
    return image


def remove(image: Entity, doomed: Iterable[Pair], *, match_value: bool = True) -> Entity:
    """Remove tags by key (and value when one is given); absent tags are ignored."""
    kill = {k: v for k, v in doomed}
    kept = [(k, v) for k, v in pairs(image)
            if not (k in kill and (not match_value or kill[k] in ("", v)))]
    image.doc["tags"] = [render(k, v) for k, v in kept]
    return image


def remove_key(image: Entity, key: str) -> Entity:
    """DELETE of one key: an absent key is a 404 (the API is not idempotent)."""
    current = as_dict(image)
    if key not in current:
        raise ServiceError("IMG.0121", f"Tag key '{key}' does not exist.", status=404)
    del current[key]
    image.doc["tags"] = [render(k, v) for k, v in current.items()]
    return image


# -- queries across images ---------------------------------------------------------------------

def keys_with_values(images: Iterable[Entity]) -> list[dict[str, Any]]:
    """ListImagesTags: every key used by the project's images with its distinct values."""
    out: dict[str, list[str]] = {}
    for image in images:
        for key, value in pairs(image):
            values = out.setdefault(key, [])
            if value not in values:
                values.append(value)
    return [{"key": k, "values": v} for k, v in out.items()]


def legacy_strings(images: Iterable[Entity]) -> list[str]:
    """ListTags: distinct legacy strings in first-seen order."""
    seen: dict[str, None] = {}
    for image in images:
        for tag in image.doc.get("tags") or []:
            seen.setdefault(tag, None)
    return list(seen)


def _has_any(tags: dict[str, str], key: str, values: list[str]) -> bool:
    return key in tags and (not values or tags[key] in values)


def matches(image: Entity, query: dict[str, Any]) -> bool:
    """ListImageByTags: tags (all), tags_any, not_tags, not_tags_any, without_any_tag, matches."""
    tags = as_dict(image)
    if query.get("without_any_tag") and tags:
        return False
    if any(not _has_any(tags, t["key"], t["values"]) for t in query.get("tags") or []):
        return False
    if query.get("tags_any") and not any(_has_any(tags, t["key"], t["values"]) for t in query["tags_any"]):
        return False
    not_tags = query.get("not_tags") or []
    if not_tags and all(_has_any(tags, t["key"], t["values"]) for t in not_tags):
        return False
    if any(_has_any(tags, t["key"], t["values"]) for t in query.get("not_tags_any") or []):
        return False
    for m in query.get("matches") or []:
        if m["key"] == "resource_id" and image.id != m["value"]:
            return False
        if m["key"] == "resource_name" and m["value"] and m["value"] not in (image.name or ""):
            return False
    return True


def resource_view(image: Entity) -> dict[str, Any]:
    return {"resource_id": image.id, "resource_name": image.name or "",
            "resource_detail": {"status": image.status}, "tags": [{"key": k, "value": v} for k, v in pairs(image)]}
