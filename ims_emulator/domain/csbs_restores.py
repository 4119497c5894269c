"""CSBS restores: a server's disks rewritten from one of its backups (task "csbs.restore"), and
check_restorable's per-target verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, jobs, servers
from ims_emulator.domain.common import busy, ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx


def restore_refusal(tx: Tx, project_id: str, item: Entity | None, server_id: str,
                    mapping: list[dict[str, str]]) -> ServiceError | None:
    """Why this restore cannot run (None = it can); shared by restores and check_restorable."""
    if item is None:
        return ServiceError("CSBS.3001", id="")
    if item.status != "available":
        return ServiceError("CSBS.4000")
    server = ownership.owned(tx, project_id, servers.SERVER, server_id)
    if server is None:
        return ServiceError("CSBS.6000")
    refused = busy.refusal(tx, server_id, "restore")
    if refused is not None:
        return ServiceError("CSBS.6015")
    targets = {v.id: v for v in servers.volumes_of(tx, server)}
    if not targets:
        return ServiceError("CSBS.6020")
    disk_backups = {vb["id"]: vb for vb in item.doc["extend_info"]["volume_backups"]}
    for pair in mapping:
        refusal = _pair_refusal(disk_backups.get(pair["backup_id"]), targets.get(pair["volume_id"]))
        if refusal is not None:
            return refusal
    if {p["backup_id"] for p in mapping} != set(disk_backups):
        return ServiceError("CSBS.6018")
    if server.doc.get("availability_zone") != item.doc["extend_info"].get("resource_az"):
        return ServiceError("CSBS.6025")
    return None


def restorable_refusal(tx: Tx, project_id: str, item_id: str, resource_type: str, server_id: str,
                       mapping: list[dict[str, str]]) -> ServiceError | None:
    """check_restorable's verdict for one target: only servers (CSBS.6013), a backup of the caller's."""
    if resource_type != backups.SERVER_TYPE:
        return ServiceError("CSBS.6013")
    item = backups.get_item(tx, project_id, item_id)
    if item is None:
        return ServiceError("CSBS.3001", id=item_id)
    return restore_refusal(tx, project_id, item, server_id, mapping)


def _pair_refusal(backup: dict[str, Any] | None, volume: Entity | None) -> ServiceError | None:
    if backup is None:
        return ServiceError("CSBS.6017")
    if volume is None:
        return ServiceError("CSBS.6014")
    if servers.is_shared(volume):
        return ServiceError("CSBS.6021")
    if volume.doc["bootable"] and not backup["bootable"]:
        return ServiceError("CSBS.6023")
    if volume.doc["size"] < backup["source_volume_size"]:
        return ServiceError("CSBS.6024")
    return None


def restore(tx: Tx, ctx: Ctx, checkpoint_id: str, item_id: str, server_id: str,
            mapping: list[dict[str, str]]) -> tuple[str, Task]:
    item = backups.get_item(tx, ctx.project_id, item_id)
    if item is not None and item.ref != checkpoint_id:
        item = None  # the item must belong to the named checkpoint
    refusal = restore_refusal(tx, ctx.project_id, item, server_id, mapping)
    if refusal is not None:
        if refusal.code == "CSBS.3001":
            raise ServiceError("CSBS.3001", id=item_id)
        raise refusal
    assert item is not None
    item.status = "restoring"
    backups.touch(tx, item, ctx.now)
    busy.hold(tx, server_id, busy.RESTORE, backups.KIND, item.id, ctx.project_id)
    restore_id = new_uuid()
    task = jobs.start(tx, ctx, "csbs.restore", entity_kind=backups.KIND, entity_id=item.id, resource_id=item.id,
                      job_type="csbs_restore", payload={"restore_id": restore_id, "server_id": server_id})
    return restore_id, task


def _restore_settled(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(backups.KIND, task.entity_id or "")
    if item is None:
        return
    if task.status == "FAIL":  # the backup itself stays usable (UNCONFIRMED: fail_op=restore is kept)
        backups.mark_error(item, "restore", task.error_code or "CSBS.9999", task.fail_reason or "", now)
    item.status = "available"
    backups.touch(tx, item, now)
    tx.claims.release_owner(backups.KIND, item.id)


jobs.register(jobs.OpSpec("csbs.restore", "csbs_restore", _restore_settled, _restore_settled, fail_code="CSBS.9999"))
