"""A minimal CBR backup (kind "cbr_backup"): what full-ECS images are made from and linked to.

Same interface as domain/backups.py (CSBS) so IMS treats both alike: get_item, contains_system_disk,
has_shared_disk, link_image, unlink_image, start_delete. A later CBR slice extends this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.domain import jobs, servers
from emulator.domain.context import Ctx
from emulator.domain.errors import ServiceError
from emulator.domain.ids import new_uuid
from emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from emulator.store import Tx

KIND = "cbr_backup"
STATUSES = ("available", "protecting", "deleting", "error", "restoring")
DELETABLE = ("available", "error")


def get_item(tx: Tx, project_id: str, item_id: str) -> Entity | None:
    return tx.entities.get(KIND, item_id, project_id)


def contains_system_disk(item: Entity) -> bool:
    return any(v.get("bootable") for v in item.doc["volumes"])


def has_shared_disk(item: Entity) -> bool:
    return any(v.get("shareable") for v in item.doc["volumes"])


def link_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    images = item.doc.setdefault("os_images_data", [])
    if not any(i["image_id"] == image_id for i in images):
        images.append({"image_id": image_id})
    item.doc["updated_at"] = now
    tx.entities.update(item)


def unlink_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    item.doc["os_images_data"] = [i for i in item.doc.get("os_images_data", []) if i["image_id"] != image_id]
    item.doc["updated_at"] = now
    tx.entities.update(item)


def start_delete(tx: Tx, ctx: Ctx, item: Entity) -> Task:
    if item.doc.get("os_images_data"):
        raise ServiceError("BackupService.9900", "The backup is used by an image.")
    if item.status not in DELETABLE:
        raise ServiceError("BackupService.9900", f"The backup status {item.status} does not allow deletion.")
    item.status = "deleting"
    tx.entities.update(item)
    return jobs.start(tx, ctx, "cbr.delete_backup", entity_kind=KIND, entity_id=item.id, project_id=item.project_id)


def _delete_done(tx: Tx, task: Task, now: float) -> None:
    tx.entities.delete(KIND, task.entity_id or "")


def _delete_failed(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        item.status = "error"
        tx.entities.update(item)


jobs.register(jobs.OpSpec("cbr.delete_backup", "cbrDeleteBackup", _delete_done, _delete_failed,
                          fail_code="BackupService.9900"))


# -- making one --------------------------------------------------------------------------------

def _volumes(tx: Tx, server: Entity | None) -> list[dict[str, Any]]:
    if server is None:  # server gone or elsewhere: a plain 40 GB system disk
        return [{"id": new_uuid(), "size": 40, "bootable": True, "shareable": False}]
    return [{"id": v.id, "size": v.doc["size"], "bootable": v.doc["bootable"], "shareable": v.doc["shareable"]}
            for v in servers.volumes_of(tx, server)]


def new_backup(tx: Tx, ctx: Ctx, project_id: str, server_id: str, *, status: str, vault_id: str | None,
               backup_id: str | None = None, shared_to_us: bool = False,
               volumes: list[dict[str, Any]] | None = None, os: dict[str, str] | None = None) -> Entity:
    server = tx.entities.get(servers.SERVER, server_id, project_id)
    doc = {"server_id": server_id, "vault_id": vault_id or new_uuid(), "shared_to_us": shared_to_us,
           "volumes": volumes if volumes is not None else _volumes(tx, server), "os_images_data": [],
           "os_version": (os or {}).get("os_version") or (server.doc.get("os_version") if server else None),
           "created_at": ctx.now, "updated_at": ctx.now}
    return tx.entities.insert(Entity(KIND, backup_id or new_uuid(), project_id, ctx.now, doc=doc, status=status,
                                     name=f"cbr_{server_id[:8]}", ref=server_id))


def seed(tx: Tx, ctx: Ctx, project_id: str, specs: list[dict[str, Any]]) -> list[Entity]:
    """Control API seeding; ids must be new (LookupError -> 409)."""
    for spec in specs:
        if spec.get("id") and tx.entities.exists(KIND, spec["id"]):
            raise LookupError(f"cbr_backup {spec['id']} already exists")
    out = []
    for spec in specs:
        vols = spec.get("volumes")
        out.append(new_backup(tx, ctx, project_id, spec["server_id"], status=spec.get("status", "available"),
                              vault_id=spec.get("vault_id"), backup_id=spec.get("id"),
                              shared_to_us=bool(spec.get("shared_to_us")), volumes=vols))
    return out


def view(item: Entity) -> dict[str, Any]:
    return {"id": item.id, "status": item.status, "server_id": item.doc["server_id"],
            "vault_id": item.doc["vault_id"], "shared_to_us": item.doc["shared_to_us"],
            "volumes": item.doc["volumes"], "os_images_data": item.doc.get("os_images_data", [])}
