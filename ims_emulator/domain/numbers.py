"""One integer parser for query strings, string-typed body fields and JSON numbers.

ASCII digits only (`str.isdigit()` takes '²' and '١', which `int()` then refuses), no sign, and always within
the parameter's bounds, so nothing larger than sqlite's 64-bit integers reaches the store. The table below is
every integer parameter of every route (the README's "Numbers" table and the generated test read it).
"""

from __future__ import annotations

from dataclasses import dataclass

INT32_MAX = 2 ** 31 - 1  # an upper bound where the API documents none (offsets, pages)
MAX_DIGITS = 10          # INT32_MAX has 10 digits: anything longer is out of every bound


@dataclass(frozen=True)
class Bounds:
    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo}-{self.hi}"


LIMIT_1000 = Bounds(1, 1000)
LIMIT_0_1000 = Bounds(0, 1000)      # IMS image lists: limit=0 answers an empty page
LIMIT = Bounds(1, INT32_MAX)        # limits the API documents no maximum for
OFFSET = Bounds(0, INT32_MAX)       # offsets (ECS: a page number, 0 read as 1)
PAGE = Bounds(1, INT32_MAX)
SIZE_FILTER = Bounds(0, 10 ** 7)    # min_disk / min_ram filters of the image lists (GB / MB)
NON_NEGATIVE = Bounds(0, INT32_MAX)  # an image's min_ram (MB); ListTags' min_disk

# operation -> where -> parameter -> bounds: every integer parameter the services read
PARAMETERS: dict[str, dict[str, dict[str, Bounds]]] = {
    "ecs.list_servers_details": {"query": {"limit": LIMIT_1000, "offset": OFFSET}},
    "ecs.nova_list_servers": {"query": {"limit": LIMIT_1000}},
    "ecs.nova_list_servers_details": {"query": {"limit": LIMIT_1000}},
    "evs.list_volumes": {"query": {"limit": LIMIT_1000, "offset": OFFSET}},
    "ims.list_images": {"query": {"limit": LIMIT_0_1000, "min_disk": SIZE_FILTER, "min_ram": SIZE_FILTER}},
    "ims.glance_list_images": {"query": {"limit": LIMIT_0_1000, "min_disk": SIZE_FILTER, "min_ram": SIZE_FILTER}},
    "ims.list_tags": {"query": {"limit": LIMIT, "page": PAGE, "min_disk": NON_NEGATIVE}},
    "ims.list_image_members": {"query": {"limit": LIMIT}},
    "ims.glance_list_image_members": {"query": {"limit": LIMIT}},
    "ims.list_image_by_tags": {"body": {"limit": LIMIT_1000, "offset": OFFSET}},
    "ims.update_image": {"patch": {"min_ram": NON_NEGATIVE}},
    "ims.glance_update_image": {"patch": {"min_ram": NON_NEGATIVE}},
    "csbs.list_checkpoint_items": {"query": {"limit": LIMIT, "offset": OFFSET}},
    "csbs.list_policies": {"query": {"limit": LIMIT, "offset": OFFSET}},
    "csbs.resource_instances": {"body": {"limit": LIMIT_1000, "offset": OFFSET}},
    "cbr.list_vault": {"query": {"limit": LIMIT_1000, "offset": OFFSET}},
    "cbr.list_backups": {"query": {"limit": LIMIT_1000, "offset": OFFSET}},
    "cbr.show_members_detail": {"query": {"limit": LIMIT_1000, "offset": OFFSET}},
    "cbr.list_protectable": {"query": {"limit": Bounds(1, 50), "offset": OFFSET}},
}


def parse(raw: object, bounds: Bounds) -> int | None:
    """The integer `raw` holds when it is ASCII digits (or a JSON integer) within `bounds`; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit():
        digits = raw.lstrip("0") or "0"
        if len(digits) > MAX_DIGITS:
            return None
        value = int(digits)
    else:
        return None
    return value if bounds.lo <= value <= bounds.hi else None
