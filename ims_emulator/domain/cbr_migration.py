"""CSBS -> CBR migration (POST/GET /v3/migrates): a project's CSBS backups become CBR backups.

One migration record (kind "cbr_migration") per request, worked by the task "cbr.migrate" (transition
policies and fail_job faults apply). When it settles, every *available* CSBS backup of the project:
- becomes a CBR backup with the same id (checkpoint id, name, description, disks and image links kept)
  in the project's server vault named "default" (created if missing);
- disappears from CSBS (checkpoint_items list/show, its checkpoint once empty);
- full-ECS images made from it become CBR-backed: `_source` type/backup_kind "cbr"/"CBR" (so they may
  be shared), `__backup_id` unchanged; the one-image-per-backup claim is keyed by the unchanged id.
Backups that are busy (protecting, deleting, restoring) or in error stay in CSBS.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, cbr_backups, jobs, servers, vaults
from ims_emulator.domain.common import in_use
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.images import KIND as IMAGE
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "cbr_migration"
OP = "cbr.migrate"
DEFAULT_FAIL_CODE = 4002  # the recorded failed project's code (an integer on the wire)


def start(tx: Tx, ctx: Ctx, options: dict[str, Any]) -> Entity:
    """A new migration, unless one is still running (then that one is answered)."""
    running = latest(tx, ctx.project_id)
    if running is not None and running.status == "migrating":
        return running
    record = tx.entities.insert(Entity(KIND, new_uuid(), ctx.project_id, ctx.now, status="migrating",
                                       doc={"region": ctx.region, "options": options, "migrated": []}))
    task = jobs.start(tx, ctx, OP, entity_kind=KIND, entity_id=record.id, payload={"region": ctx.region})
    record.doc["task_id"] = task.id
    return tx.entities.update(record)


def latest(tx: Tx, project_id: str) -> Entity | None:
    rows = tx.entities.list(KIND, project_id, limit=1)
    return rows[0] if rows else None


def _migrate(tx: Tx, task: Task, now: float) -> None:
    record = tx.entities.get(KIND, task.entity_id or "")
    ctx = Ctx(now=now, project_id=task.project_id, region=task.payload.get("region", ""))
    items = tx.entities.list(backups.KIND, task.project_id, [("status", "=", "available")])
    vault = vaults.ensure_default(tx, ctx) if items else None
    moved = [migrate_item(tx, ctx, item, vault.id) for item in items if vault is not None]
    if record is not None:
        record.status = "success"
        record.doc["migrated"] = moved
        tx.entities.update(record)


def migrate_item(tx: Tx, ctx: Ctx, item: Entity, vault_id: str) -> str:
    """One CSBS item -> a CBR backup with the same id; its images follow."""
    ext = item.doc["extend_info"]
    vols = [_volume(tx, vb) for vb in ext["volume_backups"]]
    backup = cbr_backups.new_backup(
        tx, dataclasses.replace(ctx, now=item.created_at), item.project_id, item.doc["resource_id"],
        status="available", vault_id=vault_id, backup_id=item.id, volumes=vols, checkpoint_id=item.ref,
        name=item.name, description=item.doc.get("description", ""), auto_trigger=bool(ext.get("auto_trigger")),
        incremental=bool(ext.get("incremental")))
    backup.doc.update(updated_at=ctx.now, resource_name=ext.get("resource_name", backup.doc["resource_name"]),
                      resource_az=ext.get("resource_az", backup.doc["resource_az"]), migrated_from="CSBS")
    tx.entities.update(backup)
    in_use.relink(tx, cbr_backups, backup, ctx.now)  # the claim keeps the id; the link follows the backup
    tx.entities.delete(backups.KIND, item.id)
    if item.ref and tx.entities.count(backups.KIND, None, [("ref", "=", item.ref)]) == 0:
        tx.entities.delete(backups.CHECKPOINT, item.ref)
    for image in tx.entities.list(IMAGE, None, [("ref", "=", item.id)]):
        _rebase_image(tx, image)
    return item.id


def _volume(tx: Tx, vb: dict[str, Any]) -> dict[str, Any]:
    volume = tx.entities.get(servers.VOLUME, vb["source_volume_id"])
    shareable = servers.is_shared(volume) if volume is not None else False
    return {"id": vb["source_volume_id"], "size": vb["source_volume_size"], "bootable": bool(vb.get("bootable")),
            "shareable": shareable}


def _rebase_image(tx: Tx, image: Entity) -> None:
    """A full-ECS image of a migrated backup is CBR-backed from now on (the sharing rule reads _source)."""
    src = image.doc.get("_source") or {}
    if src.get("backup_kind") != "CSBS":
        return
    src.update(type="cbr", backup_kind="CBR")
    image.doc["_source"] = src
    tx.entities.update(image)


def _failed(tx: Tx, task: Task, now: float) -> None:
    record = tx.entities.get(KIND, task.entity_id or "")
    if record is not None:
        record.status = "failed"
        record.doc.update(fail_code=_code_number(task.error_code), fail_reason=task.fail_reason or "")
        tx.entities.update(record)


def _code_number(code: str | None) -> int:
    tail = (code or "").rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else DEFAULT_FAIL_CODE


jobs.register(jobs.OpSpec(OP, "cbrMigrate", _migrate, _failed, fail_code="BackupService.9900"))


def project_status(record: Entity, task: Task | None, now: float) -> dict[str, Any]:
    """One project's line in GET /v3/migrates."""
    status = record.status or "failed"
    progress = 100 if status == "success" else (int(jobs.fraction(task, now) * 99) if task is not None else 1)
    region = record.doc.get("region", "")
    out: dict[str, Any] = {"status": status, "progress": max(progress, 1), "project_id": record.project_id,
                           "project_name": region, "region_id": region}
    if status == "failed":
        out.update(fail_code=record.doc.get("fail_code", DEFAULT_FAIL_CODE), fail_reason=record.doc.get("fail_reason"))
    return out
