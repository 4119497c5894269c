"""CSBS backups: checkpoints and their items (one item = one server backup = what IMS calls backup_id).

Every long step is a task (domain/jobs.py): protect, delete here; restore in csbs_restores.py,
replication in csbs_replication.py (listing and paging in csbs_listing.py). While a task is pending the
stored status is the "-ing" one (protecting/deleting/restoring) and what a client sees is derived
from the task's progress (0 -> waiting_*, >0 -> *-ing), so reads never need a write.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import jobs, servers
from ims_emulator.domain.common import busy, ownership, shared_disks
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "csbs_item"
CHECKPOINT = "csbs_checkpoint"
PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
SERVER_TYPE = "OS::Nova::Server"
STATUSES = ("waiting_protect", "protecting", "available", "waiting_restore", "restoring", "error",
            "waiting_delete", "deleting", "deleted")
# op -> (status while queued, status while running); the second one is stored
PENDING = {"csbs.protect": ("waiting_protect", "protecting"), "csbs.delete": ("waiting_delete", "deleting"),
           "csbs.restore": ("waiting_restore", "restoring")}
PROTECTABLE_SERVER_STATUS = ("ACTIVE", "SHUTOFF")
DELETABLE = ("available", "error")
REPLICATE = "csbs.replicate"
COPY_BUSY = ("waiting_copy", "copying")
DEFAULT_QUOTA = 600
QUOTA_KEY = "csbs_quota_backups"  # control key: {project_id: backups quota}


# -- the interface IMS uses ------------------------------------------------------------------

def get_item(tx: Tx, project_id: str, item_id: str) -> Entity | None:
    return ownership.owned(tx, project_id, KIND, item_id)


def own_item(tx: Tx, project_id: str, item_id: str) -> Entity:
    """The caller's backup, or CSBS's not-found (another project's id is not found either)."""
    item = get_item(tx, project_id, item_id)
    if item is None:
        raise ServiceError("CSBS.3001", id=item_id)
    return item


def contains_system_disk(item: Entity) -> bool:
    return any(vb.get("bootable") for vb in item.doc["extend_info"]["volume_backups"])


def disks(item: Entity) -> list[dict[str, Any]]:
    """The backed-up disks as {"id": source volume id, "size", "bootable", "shareable"} (what image code reads);
    `shareable` is False: whether a disk is shared is asked of its volume (has_shared_disk)."""
    return [{"id": vb["source_volume_id"], "size": vb["source_volume_size"], "bootable": bool(vb.get("bootable")),
             "shareable": False} for vb in item.doc["extend_info"]["volume_backups"]]


def server_of(item: Entity) -> str:
    return str(item.doc.get("resource_id") or "")


def has_shared_disk(tx: Tx, item: Entity) -> bool:
    """True if a backed-up disk is a shared one (the one definition: domain/common/shared_disks.py)."""
    return bool(shared_disks.shared_disks_of_backup(tx, disks(item)))


def link_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    images = item.doc["extend_info"].setdefault("os_images_data", [])
    if not any(i["image_id"] == image_id for i in images):
        images.append({"image_id": image_id})
    _touch(tx, item, now)


def unlink_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    ext = item.doc["extend_info"]
    ext["os_images_data"] = [i for i in ext.get("os_images_data", []) if i["image_id"] != image_id]
    _touch(tx, item, now)


def start_delete(tx: Tx, ctx: Ctx, item: Entity) -> Task:
    """Queue the deletion of one item (waiting_delete -> deleting -> gone); rules checked first."""
    check_deletable(item)
    item.status = "deleting"
    _touch(tx, item, ctx.now)
    return jobs.start(tx, ctx, "csbs.delete", entity_kind=KIND, entity_id=item.id, project_id=item.project_id,
                      payload={"checkpoint_id": item.ref})


def touch(tx: Tx, item: Entity, now: float) -> None:
    """Store the item with a new updated_at."""
    item.doc["updated_at"] = now
    tx.entities.update(item)


_touch = touch


# -- status as a client sees it --------------------------------------------------------------

def pending_task(tx: Tx, item: Entity) -> Task | None:
    task = tx.tasks.pending_for_entity(item.id)
    return task if task is not None and (task.op in PENDING or task.op == REPLICATE) else None


def visible_status(item: Entity, task: Task | None, now: float) -> str:
    if task is None or task.op not in PENDING or item.status not in {p[1] for p in PENDING.values()}:
        return item.status or "error"
    queued, running = PENDING[task.op]
    return queued if jobs.fraction(task, now) <= 0 else running


def copy_status(item: Entity, task: Task | None, now: float) -> str:
    if task is not None and task.op == REPLICATE:
        return "waiting_copy" if jobs.fraction(task, now) <= 0 else "copying"
    return str(item.doc["extend_info"].get("copy_status", "na"))


def progress(item: Entity, task: Task | None, now: float) -> int:
    if task is not None and task.op == "csbs.protect":
        return min(99, int(jobs.fraction(task, now) * 100))
    return int(item.doc["extend_info"].get("progress", 0))


# -- protect ---------------------------------------------------------------------------------

def protect_refusal(tx: Tx, project_id: str, server_id: str, resource_type: str = SERVER_TYPE) -> ServiceError | None:
    """Why this server cannot be backed up now (None = it can); shared by protect and check_protectable."""
    if resource_type != SERVER_TYPE:
        return ServiceError("CSBS.6003")
    server = ownership.owned(tx, project_id, servers.SERVER, server_id)
    if server is None:
        return ServiceError("CSBS.6000")
    if server.status not in PROTECTABLE_SERVER_STATUS:
        # message built here: the template's {status} name clashes with ServiceError's HTTP status argument
        return ServiceError("CSBS.6006", id=server_id, server_status=server.status)
    volumes = servers.volumes_of(tx, server)
    if not volumes:
        return ServiceError("CSBS.6007")
    shared = shared_disks.shared_volumes(volumes)
    if shared:
        return ServiceError("CSBS.6010", volume_id=shared[0].id, server_id=server_id)
    return busy.refusal(tx, server_id, "protect")


def quota(tx: Tx, project_id: str) -> int:
    return int(tx.control.get(QUOTA_KEY, {}).get(project_id, DEFAULT_QUOTA))


def check_quota(tx: Tx, project_id: str, adding: int) -> None:
    limit = quota(tx, project_id)
    if limit >= 0 and tx.entities.count(KIND, project_id) + adding > limit:
        raise ServiceError("CSBS.9006", resources="backups")


def protect(tx: Tx, ctx: Ctx, server_id: str, opts: dict[str, Any]) -> Entity:
    """Back up one server now: a checkpoint with one item, settled by a csbs.protect task."""
    refusal = protect_refusal(tx, ctx.project_id, server_id, opts.get("resource_type", SERVER_TYPE))
    if refusal is not None:
        raise refusal
    check_quota(tx, ctx.project_id, 1)
    server = servers.get_server(tx, ctx.project_id, server_id)
    plan = {"id": f"fake_{new_uuid()}", "name": f"server protect plan for {server_id}",
            "resources": [{"id": server_id, "type": SERVER_TYPE, "name": server.name, "extra_info": {}}]}
    checkpoint = new_checkpoint(tx, ctx, plan, None)
    item = new_item(tx, ctx, checkpoint, server, name=opts.get("backup_name"),
                    description=opts.get("description", ""), incremental=opts.get("incremental"),
                    tags=opts.get("tags", []))
    start_protect(tx, ctx, item)
    return checkpoint


def new_checkpoint(tx: Tx, ctx: Ctx, plan: dict[str, Any], extra_info: Any) -> Entity:
    doc = {"protection_plan": plan, "extra_info": extra_info, "resource_graph": None}
    return tx.entities.insert(Entity(CHECKPOINT, new_uuid(), ctx.project_id, ctx.now, doc=doc, status="protecting"))


def new_item(tx: Tx, ctx: Ctx, checkpoint: Entity, server: Entity, *, name: str | None, description: str = "",
             incremental: bool | None = None, tags: list[dict[str, str]] | None = None, auto_trigger: bool = False,
             policy_id: str | None = None, status: str = "protecting",
             exclude_volumes: tuple[str, ...] = (), item_id: str | None = None) -> Entity:
    volumes = [v for v in servers.volumes_of(tx, server) if v.id not in exclude_volumes]
    first = tx.entities.count(KIND, ctx.project_id, [("$.resource_id", "=", server.id)]) == 0
    incr = bool(incremental) and not first  # the first backup of a server is always full
    name = name or f"{'autobk' if auto_trigger else 'manualbk'}_{secrets.token_hex(2)}"
    flavor = server.doc["flavor"]
    doc = {
        "description": description, "resource_id": server.id, "resource_type": SERVER_TYPE,
        "backup_data": {"eip": "", "cloudservicetype": "QEMU", "ram": int(flavor.get("ram", 0)),
                        "vcpus": int(flavor.get("vcpus", 0)), "__openstack_region_name": ctx.region,
                        "private_ip": server.doc.get("private_ip", ""), "disk": int(flavor.get("disk", 0)),
                        "imagetype": "gold"},
        "extend_info": {
            "auto_trigger": auto_trigger, "space_saving_ratio": 0, "copy_status": "na", "fail_reason": "",
            "resource_az": server.doc.get("availability_zone", ""), "image_type": "backup", "finished_at": None,
            "average_speed": 0, "copy_from": "", "supported_restore_mode": "na", "support_lld": False,
            "os_images_data": [], "fail_code": {}, "incremental": incr, "taskid": str(uuid.uuid1()),
            "hypervisor_type": "QEMU", "progress": 0, "fail_op": "", "resource_name": server.name,
            "resource_type": SERVER_TYPE, "size": 0,
            "volume_backups": [_volume_backup(v, name, incr) for v in volumes],
        },
        "tags": list(tags or []), "updated_at": ctx.now, "protected_at": ctx.now, "policy_id": policy_id,
    }
    return tx.entities.insert(Entity(KIND, item_id or new_uuid(), ctx.project_id, ctx.now, doc=doc, status=status,
                                     name=name, ref=checkpoint.id))


def _volume_backup(volume: Entity, name: str, incremental: bool) -> dict[str, Any]:
    return {"status": "creating", "space_saving_ratio": 0, "name": f"{name}_{volume.name}",
            "bootable": bool(volume.doc["bootable"]), "average_speed": 0,
            "source_volume_size": volume.doc["size"], "source_volume_id": volume.id, "incremental": incremental,
            "image_type": "backup", "source_volume_name": volume.name, "id": new_uuid(), "size": 0,
            "snapshot_id": new_uuid()}


def start_protect(tx: Tx, ctx: Ctx, item: Entity) -> Task:
    busy.hold(tx, item.doc["resource_id"], busy.PROTECT, KIND, item.id, item.project_id)
    return jobs.start(tx, ctx, "csbs.protect", entity_kind=KIND, entity_id=item.id, resource_id=item.doc["resource_id"],
                      job_type="csbs_protect", payload={"checkpoint_id": item.ref})


def mark_available(item: Entity, now: float) -> None:
    ext = item.doc["extend_info"]
    for vb in ext["volume_backups"]:
        vb["status"], vb["size"] = "available", vb["source_volume_size"] * 1024
    ext.update(progress=100, finished_at=now, supported_restore_mode="backup",
               size=sum(vb["size"] for vb in ext["volume_backups"]))
    item.status = "available"
    item.doc["updated_at"] = now


def mark_error(item: Entity, op: str, code: str, reason: str, now: float) -> None:
    ext = item.doc["extend_info"]
    digits = "".join(ch for ch in code if ch.isdigit())
    ext.update(fail_op=op, fail_reason=reason, fail_code={"Code": int(digits or 0), "Description": f"{code}: {reason}"})
    item.doc["updated_at"] = now


def _protect_done(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        mark_available(item, now)
        tx.entities.update(item)
        tx.claims.release_owner(KIND, item.id)
    _settle_checkpoint(tx, task.payload.get("checkpoint_id"))


def _protect_failed(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        mark_error(item, "backup", task.error_code or "CSBS.9999", task.fail_reason or "", now)
        item.status = "error"
        item.doc["extend_info"]["progress"] = 0
        for vb in item.doc["extend_info"]["volume_backups"]:
            vb["status"] = "error"
        tx.entities.update(item)
        tx.claims.release_owner(KIND, item.id)
    _settle_checkpoint(tx, task.payload.get("checkpoint_id"))


def _settle_checkpoint(tx: Tx, checkpoint_id: str | None) -> None:
    """A checkpoint is available once no item is still being made; error if any failed; gone when empty."""
    checkpoint = tx.entities.get(CHECKPOINT, checkpoint_id or "")
    if checkpoint is None:
        return
    statuses = {i.status for i in tx.entities.list(KIND, checkpoint.project_id, [("ref", "=", checkpoint.id)])}
    if not statuses:
        tx.entities.delete(CHECKPOINT, checkpoint.id)
        return
    if "protecting" not in statuses:
        checkpoint.status = "error" if "error" in statuses else "available"
        tx.entities.update(checkpoint)


# -- delete ----------------------------------------------------------------------------------

def check_deletable(item: Entity) -> None:
    if item.doc["extend_info"].get("os_images_data"):
        raise ServiceError("CSBS.8007")
    if item.status not in DELETABLE or item.doc["extend_info"].get("copy_status") in COPY_BUSY:
        raise ServiceError("CSBS.2003")


def delete_checkpoint(tx: Tx, ctx: Ctx, checkpoint_id: str, item_id: str | None) -> list[Task]:
    """DELETE .../checkpoints/{id}[?checkpoint_items=]: all items of the checkpoint, or one.

    Items already being deleted are left alone (a repeated DELETE is answered 200 again).
    """
    filters: list[tuple[str, str, Any]] = [("ref", "=", checkpoint_id)]
    if item_id:
        filters.append(("id", "=", item_id))
    items = tx.entities.list(KIND, ctx.project_id, filters)
    if not items:
        raise ServiceError("CSBS.3001", id=item_id or checkpoint_id)
    todo = [i for i in items if i.status != "deleting"]
    for item in todo:  # every rule checked before anything is written
        check_deletable(item)
    return [start_delete(tx, ctx, item) for item in todo]


def _delete_done(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        discard(tx, item)


def discard(tx: Tx, item: Entity) -> None:
    """Remove an item now (deletion done, or policy retention): its claims and an emptied checkpoint go too."""
    tx.entities.delete(KIND, item.id)
    tx.claims.release_owner(KIND, item.id)
    _settle_checkpoint(tx, item.ref)


def _delete_failed(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        mark_error(item, "delete", task.error_code or "CSBS.9999", task.fail_reason or "", now)
        item.status = "error"
        tx.entities.update(item)


jobs.register(jobs.OpSpec("csbs.protect", "csbs_protect", _protect_done, _protect_failed, fail_code="CSBS.9999"))
jobs.register(jobs.OpSpec("csbs.delete", "csbs_delete", _delete_done, _delete_failed, fail_code="CSBS.9999"))


# -- seeding (control API) -------------------------------------------------------------------

def seed_item(tx: Tx, ctx: Ctx, spec: dict[str, Any]) -> Entity:
    """Store a backup directly (no protect rules: a server with a shared disk may be backed up here)."""
    server = ownership.owned(tx, ctx.project_id, servers.SERVER, spec["server_id"])
    if server is None:
        raise LookupError(f"server {spec['server_id']} not found in project {ctx.project_id}")
    plan = {"id": f"fake_{new_uuid()}", "name": f"server protect plan for {server.id}",
            "resources": [{"id": server.id, "type": SERVER_TYPE, "name": server.name, "extra_info": {}}]}
    checkpoint = new_checkpoint(tx, ctx, plan, None)
    item = new_item(tx, ctx, checkpoint, server, name=spec.get("name"), description=spec.get("description", ""),
                    exclude_volumes=tuple(spec.get("exclude_volumes", ())), item_id=spec.get("id"))
    status = spec.get("status", "available")
    if status == "protecting":
        start_protect(tx, ctx, item)
        return item
    mark_available(item, ctx.now)
    if status == "error":
        item.status = "error"
        mark_error(item, "backup", "CSBS.9999", "seeded failure", ctx.now)
    tx.entities.update(item)
    _settle_checkpoint(tx, checkpoint.id)
    return item
