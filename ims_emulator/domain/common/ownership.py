"""Ownership: every id a request names is resolved here — owned by the caller, shared to it, or not found.

No route or domain call looks an id up globally: a request's server, volume, backup, vault, image or
policy id goes through resolve()/owned(). Another project's id that is not shared with the caller is
None here, which each service answers with its own "not found" code; nothing of the other project is
read further or changed. A service that shares a kind (IMS images, CBR backups) registers how to
find the caller's member status (register_sharing), so this module imports no service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

OWNED, SHARED = "owned", "shared"
# kind -> (tx, entity, caller project) -> the caller's member status ("pending"/"accepted"/"rejected") or None
SharingLookup = Callable[["Tx", Entity, str], "str | None"]
SHARING: dict[str, SharingLookup] = {}


@dataclass(frozen=True)
class Found:
    entity: Entity
    state: str                        # OWNED | SHARED
    member_status: str | None = None  # the caller's member status when SHARED


def register_sharing(kind: str, lookup: SharingLookup) -> None:
    """The service that shares `kind` says how a project's member status is found."""
    SHARING[kind] = lookup


def resolve(tx: Tx, project_id: str, kind: str, entity_id: Any) -> Found | None:
    """Owned by the caller, shared to it (with its member status), or None = not found."""
    if not isinstance(entity_id, str) or not entity_id:
        return None
    entity = tx.entities.get(kind, entity_id)
    if entity is None:
        return None
    if entity.project_id == project_id:
        return Found(entity, OWNED)
    lookup = SHARING.get(kind)
    status = lookup(tx, entity, project_id) if lookup is not None else None
    return Found(entity, SHARED, status) if status else None


def owned(tx: Tx, project_id: str, kind: str, entity_id: Any) -> Entity | None:
    """The caller's own entity, or None (another project's id, shared or not, is not found)."""
    found = resolve(tx, project_id, kind, entity_id)
    return found.entity if found is not None and found.state == OWNED else None


def visible(tx: Tx, project_id: str, kind: str, entity_id: Any, statuses: tuple[str, ...] = ("accepted",)
            ) -> Entity | None:
    """The caller's own entity, or one shared to it with a member status in `statuses`."""
    found = resolve(tx, project_id, kind, entity_id)
    if found is None or (found.state == SHARED and found.member_status not in statuses):
        return None
    return found.entity
