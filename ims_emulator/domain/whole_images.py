"""Full-ECS images: made from an ECS (via a new CBR backup) or from a CSBS/CBR backup.

One backup -> at most one full-ECS image: common/in_use.py (the claim, and the os_images_data link
beside it). While an image is made — from the ECS or from its CSBS/CBR backup — the image holds the
server busy (common/busy.py, activity "imaging"): start, stop, backups and changeos are refused.
A full-ECS image never contains shared disks, whatever its source (common/shared_disks.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, cbr_backups, jobs, servers, vaults
from ims_emulator.domain import image_rules as rules
from ims_emulator.domain.common import busy, in_use, ownership, shared_disks
from ims_emulator.domain.common.backup_source import BackupSource, system_disk_size
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.images import (
    KIND,
    check_common,
    common_attrs,
    images_done,
    images_failed,
    is_whole_image,
    new_image,
    register_on_delete,
    server_os_attrs,
    source,
    source_server,
    start_job,
)
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

# whole_image_type -> the service its backups live in
BACKUP_SOURCES: dict[str, BackupSource] = {"CSBS": backups, "CBR": cbr_backups}
MADE_FROM_ECS: BackupSource = cbr_backups  # an image from an ECS backs it up into a CBR vault first
OP = "ims.create_whole_image"
backup_claim = in_use.claim_token


def create_whole_image(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    check_common(data)
    if data.get("instance_id") and data.get("backup_id"):
        raise ServiceError("IMG.0001", "instance_id and backup_id cannot be used together.")
    if data.get("instance_id"):
        return _from_server(tx, ctx, data)
    if data.get("backup_id"):
        return _from_backup(tx, ctx, data)
    raise ServiceError("IMG.0019", "One of instance_id or backup_id is required.")


# -- from a backup -------------------------------------------------------------------------------

def find_backup(tx: Tx, ctx: Ctx, backup_id: str, whole_image_type: str) -> Entity:
    """The backup, checked against every rule that does not need a write."""
    rules.check_enum("whole_image_type", whole_image_type)
    rules.check_resource_id(backup_id, "backup_id")
    src = rules.BACKUP_SOURCES[whole_image_type]
    mod = BACKUP_SOURCES[whole_image_type]
    item = mod.get_item(tx, ctx.project_id, backup_id)
    if item is None:
        other = next(t for t in BACKUP_SOURCES if t != whole_image_type)
        if BACKUP_SOURCES[other].get_item(tx, ctx.project_id, backup_id) is not None:
            raise ServiceError(rules.BACKUP_MISMATCH, f"Backup {backup_id} is not a {whole_image_type} backup.")
        raise ServiceError(src.not_found, f"Backup {backup_id} does not exist.")
    if item.status != "available":
        raise ServiceError(src.unavailable, f"Backup {backup_id} is {item.status}; it must be available.")
    if not mod.contains_system_disk(item):
        raise ServiceError(rules.NOT_SYSTEM_DISK_BACKUP)
    if mod.has_shared_disk(tx, item):
        raise ServiceError(*rules.SHARED_DISK_BACKUP)
    return item


def _from_backup(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    kind = data.get("whole_image_type") or "CSBS"
    item = find_backup(tx, ctx, data["backup_id"], kind)
    source = BACKUP_SOURCES[kind]
    server_id = source.server_of(item)
    attrs = {**common_attrs(data), **_os_of(tx, item, server_id), "min_disk": system_disk_size(source, item)}
    src = {"type": kind.lower(), "backup_kind": kind, "backup_id": item.id, "server_id": server_id,
           "backup_shared_to_us": bool(item.doc.get("shared_to_us"))}
    img = _new_whole_image(tx, ctx, data["name"], src, item, attrs)
    if not in_use.take(tx, source, item, img.id, ctx.project_id, ctx.now):
        raise ServiceError(rules.BACKUP_SOURCES[kind].already_used)  # rolls the image back
    held = _hold_source_server(tx, ctx, item, server_id, img.id)
    return start_job(tx, ctx, OP, [img], job_type="imsCreateWholeImageByBackupJob",
                     payload={"backup_kind": kind, "backup_id": item.id, "server_id": held})


def _hold_source_server(tx: Tx, ctx: Ctx, item: Entity, server_id: str, image_id: str) -> str | None:
    """The caller's own source ECS is busy while its image is made from its backup (a shared backup's
    server belongs to another project and is left alone)."""
    if item.doc.get("shared_to_us") or ownership.owned(tx, ctx.project_id, servers.SERVER, server_id) is None:
        return None
    busy.hold(tx, server_id, busy.IMAGING, KIND, image_id, ctx.project_id)
    return server_id


def _new_whole_image(tx: Tx, ctx: Ctx, name: str, src: dict[str, Any], item: Entity,
                     attrs: dict[str, Any]) -> Entity:
    attrs = {**attrs, "__whole_image": "true", "__backup_id": item.id,
             "__data_origin": f"{src['backup_kind'].lower()}_backup,{item.id}"}
    return new_image(tx, ctx, name, {**src, "whole": True}, attrs=attrs, ref=item.id)


def _os_of(tx: Tx, item: Entity, server_id: str) -> dict[str, str]:
    """The backup's OS, else its server's (a server of the backup's own project: never a global lookup)."""
    server = ownership.owned(tx, item.project_id, servers.SERVER, server_id)
    version = item.doc.get("os_version") or (server.doc.get("os_version") if server else None)
    return rules.os_attrs(version or "Other Linux(64 bit)")


# -- from an ECS (a CBR backup is made first) ------------------------------------------------------

def _from_server(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    server = source_server(tx, ctx.project_id, data["instance_id"])
    server_id = server.id
    if not data.get("vault_id"):
        raise ServiceError("IMG.0184", "vault_id is required to create a full-ECS image from an ECS.")
    rules.check_resource_id(data["vault_id"], "vault_id")
    if vaults.find(tx, ctx.project_id, data["vault_id"]) is None:  # another project's vault is not found
        raise ServiceError("IMG.0184", f"Vault {data['vault_id']} does not exist.")
    if server.status not in rules.SERVER_STATES_FOR_WHOLE_IMAGE:
        raise ServiceError("IMG.0126")
    volumes = servers.volumes_of(tx, server)
    shared = shared_disks.shared_volumes(volumes)
    if shared:  # a full-ECS image never holds shared disks; CBR would refuse this backup (7106)
        code, message = rules.SHARED_DISK_SERVER
        raise ServiceError(code, message.format(volume_id=shared[0].id))
    busy.check(tx, server_id, "image")  # imaged already, being backed up or changing its OS
    backup = cbr_backups.new_backup(  # the made-from-ECS source is CBR: it makes the backup itself
        tx, ctx, ctx.project_id, server_id, status="protecting", vault_id=data["vault_id"],
        volumes=[{"id": v.id, "size": v.doc["size"], "bootable": v.doc["bootable"], "shareable": False}
                 for v in volumes])
    src = {"type": "ecs", "backup_kind": "CBR", "backup_id": backup.id, "server_id": server_id}
    attrs = {**common_attrs(data), **server_os_attrs(server),
             "min_disk": system_disk_size(MADE_FROM_ECS, backup), "__originalimagename": server.doc.get("image_id", "")}
    img = _new_whole_image(tx, ctx, data["name"], src, backup, attrs)
    in_use.take(tx, MADE_FROM_ECS, backup, img.id, ctx.project_id, ctx.now)
    busy.hold(tx, server_id, busy.IMAGING, KIND, img.id, ctx.project_id)
    return start_job(tx, ctx, OP, [img], job_type="imsCreateWholeImageByInstanceJob",
                     payload={"backup_kind": "CBR", "backup_id": backup.id, "made_backup": True,
                              "server_id": server_id})


# -- the job ---------------------------------------------------------------------------------------

def _done(tx: Tx, task: Task, now: float) -> None:
    images_done(tx, task, now)
    if task.payload.get("made_backup"):
        backup = tx.entities.get(MADE_FROM_ECS.KIND, task.payload["backup_id"])
        if backup is not None:
            backup.status = "available"
            tx.entities.update(backup)
    if task.payload.get("server_id"):
        for image_id in task.payload.get("images", []):
            busy.release(tx, task.payload["server_id"], busy.IMAGING, image_id)


def _failed(tx: Tx, task: Task, now: float) -> None:
    images_failed(tx, task, now)  # image killed, its claims (backup, imaging) released
    mod = BACKUP_SOURCES[task.payload["backup_kind"]]
    item = tx.entities.get(mod.KIND, task.payload["backup_id"])
    if item is None:
        return
    if task.payload.get("made_backup"):
        tx.entities.delete(mod.KIND, item.id)
    else:
        for image_id in task.payload.get("images", []):
            in_use.free(tx, mod, item, image_id, now)


jobs.register(jobs.OpSpec(OP, "imsCreateWholeImageByBackupJob", _done, _failed, fail_code="IMG.0014"))


# -- deleting the image, replicating it ---------------------------------------------------------------

def _backup_of(tx: Tx, img: Entity) -> tuple[BackupSource, Entity] | None:
    src = source(img)
    mod = BACKUP_SOURCES.get(src.get("backup_kind", ""))
    if mod is None or not src.get("backup_id"):
        return None
    item = mod.get_item(tx, img.project_id, src["backup_id"])
    return (mod, item) if item is not None else None


def detach_backup(tx: Tx, ctx: Ctx, img: Entity, delete_backup: bool) -> None:
    """The image is going: unlink it from its backup, and delete the backup if asked."""
    if not is_whole_image(img):
        return
    found = _backup_of(tx, img)
    if found is None:
        return
    mod, item = found
    in_use.free(tx, mod, item, img.id, ctx.now)
    if delete_backup:
        try:
            mod.start_delete(tx, ctx, item)
        except ServiceError as exc:
            raise ServiceError("IMG.0176", f"Deleting the backup {item.id} failed: {exc.message}") from exc


def replicate_backup(tx: Tx, ctx: Ctx, img: Entity, copy: Entity, dest_project: str, vault_id: str) -> None:
    """A cross-region copy of a full-ECS image comes with a replica CBR backup in the destination."""
    found = _backup_of(tx, img)
    vols = found[0].disks(found[1]) if found is not None else None
    replica = cbr_backups.new_backup(tx, ctx, dest_project, source(img).get("server_id") or "",
                                     status="available", vault_id=vault_id, volumes=vols,
                                     os={"os_version": img.doc.get("__os_version", "")})
    replica.doc["image_type"] = "replication"  # CBR lists replicas with image_type=replication
    tx.entities.update(replica)
    copy.ref = replica.id
    copy.doc["__backup_id"] = replica.id
    copy.doc["_source"].update(backup_kind="CBR", backup_id=replica.id)
    tx.entities.update(copy)
    in_use.take(tx, MADE_FROM_ECS, replica, copy.id, dest_project, ctx.now)


def drop_replica_backup(tx: Tx, image_id: str, now: float) -> None:
    img = tx.entities.get(KIND, image_id)
    if img is None or not source(img).get("backup_id"):
        return
    tx.entities.delete(MADE_FROM_ECS.KIND, source(img)["backup_id"])


register_on_delete(detach_backup)
