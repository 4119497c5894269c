"""CBR backup sharing: members (kind "cbr_member", owned by the backup's project, ref = backup id).

Adding, finding, answering and removing members; how a shared backup is read and used for a full-ECS
image (member status, member.image_id) stays in cbr_backups.py, beside the backup itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ims_emulator.domain import cbr_backups, vaults
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx


def add_members(tx: Tx, ctx: Ctx, backup_id: str, projects: list[str]) -> list[Entity]:
    backup = cbr_backups.own(tx, ctx.project_id, backup_id)
    if not cbr_backups.contains_system_disk(backup):
        raise ServiceError("BackupService.6700")
    if backup.status != "available":
        raise ServiceError("BackupService.6702")
    existing = {m.doc["dest_project_id"] for m in cbr_backups.members_of(tx, backup_id)}
    for project in projects:
        if project == ctx.project_id:
            raise ServiceError("BackupService.9900", "Invalid members provided: a backup cannot be shared with its "
                                                     "cbr_backups.own project.")
        if project in existing:
            raise ServiceError("BackupService.6703", f"Backup {backup_id} is already shared with {project}.")
    return [tx.entities.insert(Entity(cbr_backups.MEMBER, new_uuid(), ctx.project_id, ctx.now, status="pending",
                                      ref=backup_id, doc={"dest_project_id": p, "created_at": ctx.now,
                                                          "updated_at": ctx.now, "vault_id": None, "image_id": None}))
            for p in dict.fromkeys(projects)]


def find_member(tx: Tx, project_id: str, backup_id: str, member_id: str) -> Entity:
    """A member by its id or by the receiving project's id, seen by the owner or that receiver."""
    cbr_backups.readable(tx, project_id, backup_id)
    for member in cbr_backups.members_of(tx, backup_id):
        if member_id in (member.id, member.doc["dest_project_id"]) and project_id in (
                member.project_id, member.doc["dest_project_id"]):
            return member
    raise ServiceError("BackupService.6705", f"Member {member_id} of backup {backup_id} does not exist.")


def visible_members(tx: Tx, project_id: str, backup_id: str) -> list[Entity]:
    backup = cbr_backups.readable(tx, project_id, backup_id)
    rows = cbr_backups.members_of(tx, backup_id)
    return rows if backup.project_id == project_id else [m for m in rows if m.doc["dest_project_id"] == project_id]


def answer(tx: Tx, ctx: Ctx, member: Entity, status: str, vault_id: str | None) -> Entity:
    """The receiving project accepts (into one of its vaults) or rejects a shared backup."""
    if member.doc["dest_project_id"] != ctx.project_id:
        raise ServiceError("BackupService.6705", "Only the project a backup is shared with answers the share.")
    if status == "accepted":
        if not vault_id:
            raise ServiceError("BackupService.9900", param="vault_id")
        vaults.get(tx, ctx.project_id, vault_id)
    if status != "accepted" and member.doc.get("image_id"):
        raise ServiceError("BackupService.6710")
    member.status = status
    member.doc.update(vault_id=vault_id if status == "accepted" else None, updated_at=ctx.now)
    return tx.entities.update(member)


def remove_member(tx: Tx, ctx: Ctx, member: Entity) -> None:
    if member.project_id != ctx.project_id:
        raise ServiceError("BackupService.6705", "Only the backup's owner removes a member.")
    if member.doc.get("image_id"):
        raise ServiceError("BackupService.6710")
    tx.entities.delete(cbr_backups.MEMBER, member.id)
