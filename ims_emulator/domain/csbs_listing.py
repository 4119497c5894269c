"""CSBS checkpoint_items lists: filters that need the derived status, sorting, paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx


SORT_KEYS = {"created_at": lambda e: e.created_at, "updated_at": lambda e: e.doc.get("updated_at", e.created_at),
             "name": lambda e: e.name or "", "status": lambda e: e.status or "",
             "protected_at": lambda e: e.doc.get("protected_at", e.created_at), "id": lambda e: e.id}


def parse_sort(text: str | None, default_dir: str = "desc") -> list[tuple[str, str]]:
    """`key[:asc|desc],...` (keys of SORT_KEYS); a bad one is a 400 CSBS.9001."""
    if not text:
        return [("created_at", default_dir), ("id", default_dir)]
    if len(text) > 255:
        raise ServiceError("CSBS.9001", "sort: at most 255 characters")
    out = []
    for part in text.split(","):
        key, _, direction = part.strip().partition(":")
        direction = direction or default_dir
        if key not in SORT_KEYS or direction not in ("asc", "desc"):
            raise ServiceError("CSBS.9001", f"sort: invalid key or direction {part!r}")
        out.append((key, direction))
    return out


def sort_rows(rows: list[Entity], order: list[tuple[str, str]]) -> list[Entity]:
    for key, direction in reversed(order):  # stable sorts, least significant key first
        rows = sorted(rows, key=SORT_KEYS[key], reverse=direction == "desc")
    return rows


def page(rows: list[Entity], marker: str | None, offset: int, limit: int) -> tuple[list[Entity], bool]:
    """The page after `marker` (an id of the previous page), skipping `offset`; True if more follow."""
    start = 0
    if marker:
        ids = [r.id for r in rows]
        if marker not in ids:
            raise ServiceError("CSBS.9001", f"marker {marker} not found")
        start = ids.index(marker) + 1
    start += offset
    return rows[start:start + limit], start + limit < len(rows)


def list_items(tx: Tx, project_id: str, filters: list[tuple[str, str, Any]], status: str | None,
               now: float) -> list[tuple[Entity, Task | None]]:
    """Items matching the stored-field filters, with their pending task; `status` is the visible one."""
    rows = tx.entities.list(backups.KIND, project_id, filters)
    out = [(item, backups.pending_task(tx, item)) for item in rows]
    if status:
        out = [(i, t) for i, t in out if backups.visible_status(i, t, now) == status]
    return out
