"""CBR backups (kind "cbr_backup"), the checkpoints that make them, and backup sharing (members).

IMS treats CBR and CSBS backups alike: both modules implement common/backup_source.BackupSource.

- A checkpoint (kind "cbr_checkpoint") backs up servers of one vault: one backup per server, all
  "protecting" until the task "cbr.create_checkpoint" settles (available, or error on failure).
  Servers that cannot be backed up are listed in the checkpoint's skipped_resources.
- A server is backed up by one checkpoint at a time: claim "cbr-protecting:<server id>".
- Members (kind "cbr_member", owned by the backup's project, ref = backup id; added and answered in
  cbr_members.py) share a backup with
  another project; once accepted that project lists it (own_type=shared) and may make a full-ECS
  image from it: get_item then answers a copy marked shared_to_us, and the image is linked on the
  member record (member.image_id), never on the owner's backup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import jobs, servers, vaults
from ims_emulator.domain.common import busy, ownership, shared_disks
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "cbr_backup"
CHECKPOINT = "cbr_checkpoint"
MEMBER = "cbr_member"
SERVER_TYPE = "OS::Nova::Server"
STATUSES = ("available", "protecting", "deleting", "error", "restoring")
DELETABLE = ("available", "error")
PROTECTABLE_SERVER_STATUS = ("ACTIVE", "SHUTOFF")
CREATE_OP, DELETE_OP = "cbr.create_checkpoint", "cbr.delete"
MEMBER_STATUSES = ("pending", "accepted", "rejected")
OWN_TYPES = ("private", "shared", "all_granted")
DAY = 86400.0
SHARED_MARK = "_member_id"  # on the in-memory copy get_item answers for a backup shared to us


# -- the interface IMS uses ------------------------------------------------------------------

def get_item(tx: Tx, project_id: str, item_id: str) -> Entity | None:
    """The project's own backup, or a copy of one another project shared with it (accepted)."""
    found = ownership.resolve(tx, project_id, KIND, item_id)
    if found is None or (found.state == ownership.SHARED and found.member_status != "accepted"):
        return None
    if found.state == ownership.OWNED:
        return found.entity
    backup, member = found.entity, accepted_member(tx, item_id, project_id)
    assert member is not None
    doc = {**backup.doc, "shared_to_us": True, SHARED_MARK: member.id,
           "os_images_data": [{"image_id": member.doc["image_id"]}] if member.doc.get("image_id") else []}
    return Entity(KIND, backup.id, backup.project_id, backup.created_at, doc=doc, status=backup.status,
                  name=backup.name, ref=backup.ref)


def contains_system_disk(item: Entity) -> bool:
    return any(v.get("bootable") for v in item.doc["volumes"])


def disks(item: Entity) -> list[dict[str, Any]]:
    """The backed-up disks as {"id": source volume id, "size", "bootable", "shareable"}."""
    return [{"shareable": False, **v} for v in item.doc["volumes"]]


def server_of(item: Entity) -> str:
    return str(item.doc.get("server_id") or "")


def has_shared_disk(tx: Tx, item: Entity) -> bool:
    """True if a backed-up disk is a shared one (the one definition: domain/common/shared_disks.py)."""
    return bool(shared_disks.shared_disks_of_backup(tx, disks(item)))


def link_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    if item.doc.get(SHARED_MARK):
        _set_member_image(tx, item.doc[SHARED_MARK], image_id, now)
        return
    images = item.doc.setdefault("os_images_data", [])
    if not any(i["image_id"] == image_id for i in images):
        images.append({"image_id": image_id})
    item.doc["updated_at"] = now
    tx.entities.update(item)


def unlink_image(tx: Tx, item: Entity, image_id: str, now: float) -> None:
    for member in members_of(tx, item.id):
        if member.doc.get("image_id") == image_id:
            _set_member_image(tx, member.id, None, now)
    if item.doc.get(SHARED_MARK):
        return
    item.doc["os_images_data"] = [i for i in item.doc.get("os_images_data", []) if i["image_id"] != image_id]
    item.doc["updated_at"] = now
    tx.entities.update(item)


def start_delete(tx: Tx, ctx: Ctx, item: Entity) -> Task:
    if item.doc.get(SHARED_MARK):
        raise ServiceError("BackupService.6201", "A backup shared with this project can only be deleted by its owner.")
    if item.doc.get("os_images_data") or any(m.doc.get("image_id") for m in members_of(tx, item.id)):
        raise ServiceError("BackupService.6204")  # an image of ours, or one a member made from it
    if item.status not in DELETABLE:
        raise ServiceError("BackupService.6201", f"The backup status {item.status} does not allow deletion.")
    item.status = "deleting"
    tx.entities.update(item)
    return jobs.start(tx, ctx, DELETE_OP, entity_kind=KIND, entity_id=item.id, project_id=item.project_id)


def _delete_done(tx: Tx, task: Task, now: float) -> None:
    discard(tx, task.entity_id or "")


def discard(tx: Tx, backup_id: str) -> None:
    """Remove a backup now (deletion done, or policy retention), with its members."""
    for member in members_of(tx, backup_id):
        tx.entities.delete(MEMBER, member.id)
    tx.entities.delete(KIND, backup_id)


def _delete_failed(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(KIND, task.entity_id or "")
    if item is not None:
        item.status = "error"
        item.doc.update(fail_code=task.error_code, fail_reason=task.fail_reason)
        tx.entities.update(item)


jobs.register(jobs.OpSpec(DELETE_OP, "cbrDeleteBackup", _delete_done, _delete_failed,
                          fail_code="BackupService.6201"))


# -- making one --------------------------------------------------------------------------------

def _volumes(tx: Tx, server: Entity | None) -> list[dict[str, Any]]:
    if server is None:  # server gone or elsewhere: a plain 40 GB system disk
        return [{"id": new_uuid(), "size": 40, "bootable": True, "shareable": False}]
    return [{"id": v.id, "size": v.doc["size"], "bootable": v.doc["bootable"], "shareable": shared_disks.is_shared(v)}
            for v in servers.volumes_of(tx, server)]


def new_backup(tx: Tx, ctx: Ctx, project_id: str, server_id: str, *, status: str, vault_id: str | None,
               backup_id: str | None = None, shared_to_us: bool = False,
               volumes: list[dict[str, Any]] | None = None, os: dict[str, str] | None = None,
               checkpoint_id: str | None = None, name: str | None = None, description: str = "",
               auto_trigger: bool = False, incremental: bool = False, retention_days: int | None = None) -> Entity:
    server = ownership.owned(tx, project_id, servers.SERVER, server_id)
    doc = {"server_id": server_id, "vault_id": vault_id or new_uuid(), "shared_to_us": shared_to_us,
           "volumes": volumes if volumes is not None else _volumes(tx, server), "os_images_data": [],
           "os_version": (os or {}).get("os_version") or (server.doc.get("os_version") if server else None),
           "checkpoint_id": checkpoint_id or new_uuid(), "description": description,
           "resource_name": server.name if server else "", "auto_trigger": auto_trigger,
           "resource_az": server.doc.get("availability_zone", "") if server else "",
           "incremental": incremental, "image_type": "backup", "created_at": ctx.now, "updated_at": ctx.now,
           "expired_at": ctx.now + retention_days * DAY if retention_days else None}
    return tx.entities.insert(Entity(KIND, backup_id or new_uuid(), project_id, ctx.now, doc=doc, status=status,
                                     name=name or f"cbr_{server_id[:8]}", ref=server_id))


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
    """The control API's summary of a seeded backup."""
    return {"id": item.id, "status": item.status, "server_id": item.doc["server_id"],
            "vault_id": item.doc["vault_id"], "shared_to_us": item.doc["shared_to_us"],
            "volumes": item.doc["volumes"], "os_images_data": item.doc.get("os_images_data", [])}


# -- checkpoints (POST /v3/{project_id}/checkpoints) ---------------------------------------------

def _skip(server_id: str, name: str, code: str, reason: str) -> dict[str, str]:
    return {"id": server_id, "type": SERVER_TYPE, "name": name, "code": code, "reason": reason}


def _refusal(tx: Tx, server: Entity) -> tuple[str, str] | None:
    """Why a bound server is skipped by a checkpoint (the code and reason listed in skipped_resources)."""
    if server.status not in PROTECTABLE_SERVER_STATUS:
        return "BackupService.7101", f"Server status {server.status} forbids backup."
    shared = shared_disks.shared_volumes(servers.volumes_of(tx, server))
    if len(shared) > 1:
        return "BackupService.7107", "Too many shared disks; exclude them and retry."
    if shared:
        return "BackupService.7106", f"Shared disk {shared[0].id} cannot be backed up."
    refused = busy.refusal(tx, server.id, "checkpoint")
    return (refused.code, refused.message) if refused is not None else None


def skip_reason(tx: Tx, project_id: str, server_id: str) -> tuple[str, str] | None:
    """Why a checkpoint would skip this bound server now (None = it would back it up)."""
    server = ownership.owned(tx, project_id, servers.SERVER, server_id)
    return ("BackupService.7100", "Server not found.") if server is None else _refusal(tx, server)


def create_checkpoint(tx: Tx, ctx: Ctx, vault_id: str, params: dict[str, Any]) -> Entity:
    vault = vaults.get(tx, ctx.project_id, vault_id)
    if vault.status != "available":
        raise ServiceError("BackupService.6113")
    used = sum(vaults.backup_mb(b) for b in backups_in_vault(tx, vault.id) if b.status != "error")
    if used >= vault.doc["billing"]["size"] * 1024:
        raise ServiceError("BackupService.6114", f"Vault {vault.id} is full: {used} MB used of "
                                                 f"{vault.doc['billing']['size']} GB; enlarge it first.")
    bound = {r["id"]: r for r in vault.doc["resources"]}
    wanted = list(dict.fromkeys(params.get("resources") or [r["id"] for r in params.get("resource_details") or []]
                                or list(bound)))
    for rid in wanted:
        if rid not in bound:
            raise ServiceError("BackupService.9900", f"Invalid resources provided: {rid} is not in vault {vault_id}.")
    taken, skipped = [], []
    for rid in wanted:
        server = ownership.owned(tx, ctx.project_id, servers.SERVER, rid)
        why = ("BackupService.7100", "Server not found.") if server is None else _refusal(tx, server)
        if why:
            skipped.append(_skip(rid, bound[rid].get("name", ""), *why))
        else:
            taken.append(server)
    if not taken:
        raise ServiceError("BackupService.0001")
    cp_id = new_uuid()
    extra = {"name": params.get("name") or f"manualbk_{cp_id[:4]}", "description": params.get("description") or "",
             "retention_duration": params.get("retention_duration_days") or -1}
    made = [_backup_of_server(tx, ctx, vault, bound[s.id], s, cp_id, extra, params) for s in taken]
    doc = {"vault_id": vault.id, "vault_name": vault.name, "skipped_resources": skipped, "extra_info": extra,
           "backups": [b.id for b in made], "resources": [_cp_resource(tx, s) for s in taken]}
    checkpoint = tx.entities.insert(Entity(CHECKPOINT, cp_id, ctx.project_id, ctx.now, doc=doc,
                                           status="protecting", ref=vault.id))
    jobs.start(tx, ctx, CREATE_OP, entity_kind=CHECKPOINT, entity_id=cp_id, resource_id=vault.id,
               payload={"backups": doc["backups"], "servers": [s.id for s in taken]})
    return checkpoint


def _backup_of_server(tx: Tx, ctx: Ctx, vault: Entity, res: dict[str, Any], server: Entity, cp_id: str,
                      extra: dict[str, Any], params: dict[str, Any]) -> Entity:
    excluded = set((res.get("extra_info") or {}).get("exclude_volumes") or [])
    vols = [v for v in _volumes(tx, server) if v["id"] not in excluded]
    first = tx.entities.count(KIND, ctx.project_id, [("ref", "=", server.id)]) == 0
    busy.hold(tx, server.id, busy.CHECKPOINT, CHECKPOINT, cp_id, ctx.project_id)
    return new_backup(tx, ctx, ctx.project_id, server.id, status="protecting", vault_id=vault.id, volumes=vols,
                      checkpoint_id=cp_id, name=extra["name"], description=extra["description"],
                      auto_trigger=bool(params.get("auto_trigger")),
                      retention_days=params.get("retention_duration_days"),
                      incremental=bool(params.get("incremental")) and not first)


def _cp_resource(tx: Tx, server: Entity) -> dict[str, Any]:
    size = sum(v.doc["size"] for v in servers.volumes_of(tx, server))
    return {"id": server.id, "name": server.name or "", "type": SERVER_TYPE, "protect_status": "available",
            "resource_size": str(size)}  # a string, as the SDK model (CheckpointResourceResp) says


def _checkpoint_done(tx: Tx, task: Task, now: float) -> None:
    _finish_checkpoint(tx, task, now, "available", "available")


def _checkpoint_failed(tx: Tx, task: Task, now: float) -> None:
    _finish_checkpoint(tx, task, now, "error", "error")


def _finish_checkpoint(tx: Tx, task: Task, now: float, cp_status: str, backup_status: str) -> None:
    checkpoint = tx.entities.get(CHECKPOINT, task.entity_id or "")
    if checkpoint is not None:
        checkpoint.status = cp_status
        tx.entities.update(checkpoint)
    for backup_id in task.payload["backups"]:
        backup = tx.entities.get(KIND, backup_id)
        if backup is None or backup.status != "protecting":
            continue
        backup.status = backup_status
        backup.doc["updated_at"] = now
        if backup_status == "error":
            backup.doc.update(fail_code=task.error_code, fail_reason=task.fail_reason)
        tx.entities.update(backup)
    for server_id in task.payload["servers"]:
        busy.release(tx, server_id, busy.CHECKPOINT, task.entity_id or "")


jobs.register(jobs.OpSpec(CREATE_OP, "cbrCreateCheckpoint", _checkpoint_done, _checkpoint_failed,
                          fail_code="BackupService.6215"))


def get_checkpoint(tx: Tx, project_id: str, checkpoint_id: str) -> Entity:
    checkpoint = ownership.owned(tx, project_id, CHECKPOINT, checkpoint_id)
    if checkpoint is None:
        raise ServiceError("BackupService.6217", f"Restore point {checkpoint_id} does not exist.")
    return checkpoint


# -- backups (GET/PUT/DELETE /v3/{project_id}/backups) ---------------------------------------------

def readable(tx: Tx, project_id: str, backup_id: str) -> Entity:
    """A backup the project owns or that was shared with it (any member status)."""
    found = ownership.resolve(tx, project_id, KIND, backup_id)  # own, or shared in any member status
    backup = found.entity if found is not None else None
    if backup is None:
        raise ServiceError("BackupService.6200", f"Backup {backup_id} does not exist.")
    return backup


def own(tx: Tx, project_id: str, backup_id: str) -> Entity:
    backup = ownership.owned(tx, project_id, KIND, backup_id)
    if backup is None:
        raise ServiceError("BackupService.6200", f"Backup {backup_id} does not exist.")
    return backup


def rename(tx: Tx, backup: Entity, name: str, now: float) -> Entity:
    backup.name = name
    backup.doc["updated_at"] = now
    return tx.entities.update(backup)


def list_backups(tx: Tx, project_id: str, q: dict[str, Any]) -> list[Entity]:
    """The filtered backups a project sees (own, shared with it, or both per own_type), newest first."""
    own_type = q.get("own_type") or "private"
    rows: list[Entity] = []
    if own_type in ("private", "all_granted"):
        rows += tx.entities.list(KIND, project_id, _filters(q))
    if own_type in ("shared", "all_granted"):
        wanted = q.get("member_status") or "accepted"
        shared = tx.entities.list(MEMBER, None, [("$.dest_project_id", "=", project_id), ("status", "=", wanted)])
        ids = [m.ref for m in shared if m.ref]
        rows += tx.entities.list(KIND, None, [("id", "in", ids), *_filters(q)]) if ids else []
    rows.sort(key=lambda b: (b.created_at, b.id), reverse=not _ascending(q.get("sort")))
    return rows


def _ascending(sort: str | None) -> bool:
    return bool(sort) and str(sort).split(",")[0].endswith(":asc")


def _filters(q: dict[str, Any]) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for key, field in (("checkpoint_id", "$.checkpoint_id"), ("vault_id", "$.vault_id"), ("resource_id", "ref"),
                       ("resource_name", "$.resource_name"), ("resource_az", "$.resource_az"), ("name", "name")):
        if q.get(key):
            out.append((field, "=", q[key]))
    if q.get("status"):
        out.append(("status", "in", q["status"]))
    if q.get("resource_type") and q["resource_type"] != SERVER_TYPE:
        out.append(("id", "in", []))
    if q.get("image_type"):
        out.append(("$.image_type", "=", q["image_type"]))
    if q.get("start_time") is not None:
        out.append(("created_at", ">=", q["start_time"]))
    if q.get("end_time") is not None:
        out.append(("created_at", "<=", q["end_time"]))
    if q.get("incremental") is not None:
        out.append(("$.incremental", "=", q["incremental"]))
    return out


def backups_in_vault(tx: Tx, vault_id: str) -> list[Entity]:
    return tx.entities.list(KIND, None, [("$.vault_id", "=", vault_id)])


# -- members (backup sharing) ----------------------------------------------------------------------

def members_of(tx: Tx, backup_id: str) -> list[Entity]:
    return tx.entities.list(MEMBER, None, [("ref", "=", backup_id)], order=(("created_at", "asc"), ("id", "asc")))


def member_for(tx: Tx, backup_id: str, dest_project: str) -> Entity | None:
    return next((m for m in members_of(tx, backup_id) if m.doc["dest_project_id"] == dest_project), None)


def accepted_member(tx: Tx, backup_id: str, dest_project: str) -> Entity | None:
    member = member_for(tx, backup_id, dest_project)
    return member if member is not None and member.status == "accepted" else None


def _set_member_image(tx: Tx, member_id: str, image_id: str | None, now: float) -> None:
    member = tx.entities.get(MEMBER, member_id)
    if member is not None:
        member.doc["image_id"] = image_id
        member.doc["updated_at"] = now
        tx.entities.update(member)


def _member_status(tx: Tx, backup: Entity, project_id: str) -> str | None:
    member = member_for(tx, backup.id, project_id)
    return member.status if member is not None else None


ownership.register_sharing(KIND, _member_status)
