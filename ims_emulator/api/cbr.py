"""CBR v3 (/v3/{project_id}/...): vaults, checkpoints, backups, backup sharing, CSBS migration.

Errors are flat {"error_code", "error_msg"} with BackupService codes; malformed input is
400 BackupService.9900 with nothing stored. Reads of a backup or checkpoint count as polls of the
task working on it (transition policies polls:N).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.api.schemas import cbr as schemas
from ims_emulator.domain import cbr_backups, cbr_members, cbr_migration, cbr_policies, vaults
from ims_emulator.domain.clock import iso_millis_offset
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import UUID_RE
from ims_emulator.domain.records import Entity

SERVICE = "cbr"
bp = Blueprint("cbr", __name__)
P = "/v3/<project_id>"
BAD = "BackupService.9900"
MAX_LIMIT = 1000
VOLUME_TYPE = "OS::Cinder::Volume"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _empty(status: int = 200) -> Response:
    return Response(status=status)


def _t(ts: float) -> str:
    return iso_millis_offset(ts)


# -- views ------------------------------------------------------------------------------------------

def vault_view(tx: Any, vault: Entity) -> dict[str, Any]:
    return vaults.view(tx, vault, cbr_backups.backups_in_vault(tx, vault.id), _t(vault.created_at))


def backup_view(b: Entity) -> dict[str, Any]:
    d = b.doc
    ext: dict[str, Any] = {"auto_trigger": d.get("auto_trigger", False),
                           "supported_restore_mode": "backup" if b.status == "available" else "na",
                           "contain_system_disk": cbr_backups.contains_system_disk(b), "support_lld": True,
                           "system_disk": False}
    if d.get("os_images_data"):
        ext["os_images_data"] = d["os_images_data"]
    common = _common(b)
    return {**common, "id": b.id, "name": b.name, "description": d.get("description", ""),
            "resource_id": d["server_id"], "resource_name": d.get("resource_name", ""),
            "resource_type": cbr_backups.SERVER_TYPE, "resource_size": sum(v["size"] for v in d["volumes"]),
            "resource_az": d.get("resource_az", ""), "updated_at": _t(d.get("updated_at", b.created_at)),
            "enterprise_project_id": "0", "extend_info": ext,
            "children": [_child_view(b, common, v) for v in d["volumes"]],
            **({"expired_at": _t(d["expired_at"])} if d.get("expired_at") else {}),  # none: kept forever
            **({"scheduled_operation_id": d["policy_id"]} if d.get("policy_id") else {})}  # made by a policy


def _common(b: Entity) -> dict[str, Any]:
    return {"provider_id": vaults.PROVIDER_IDS["server"], "checkpoint_id": b.doc.get("checkpoint_id", ""),
            "vault_id": b.doc["vault_id"], "image_type": b.doc.get("image_type", "backup"),
            "project_id": b.project_id, "status": b.status,
            "created_at": _t(b.created_at)}


def _child_view(b: Entity, common: dict[str, Any], vol: dict[str, Any]) -> dict[str, Any]:
    resource_name = b.doc.get("resource_name", "")
    return {**common, "id": _derived(b.id, vol["id"]), "resource_id": vol["id"], "resource_size": vol["size"],
            "children": [], "parent_id": b.id, "resource_name": resource_name, "name": f"{b.name}_{resource_name}",
            "resource_type": VOLUME_TYPE,
            "extend_info": {"auto_trigger": b.doc.get("auto_trigger", False), "bootable": bool(vol.get("bootable")),
                            "snapshot_id": _derived(b.id, vol["id"], "snapshot"), "encrypted": False}}


def _derived(*parts: str) -> str:
    """Stable ids for a backup's per-disk children (not stored: they follow the backup)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def checkpoint_view(cp: Entity, *, created: bool = False) -> dict[str, Any]:
    d = cp.doc
    plan: dict[str, Any] = {"id": d["vault_id"], "name": d["vault_name"], "resources": d["resources"]}
    if created:
        plan["skipped_resources"] = d["skipped_resources"]
    body = {"id": cp.id, "status": cp.status, "created_at": _t(cp.created_at), "project_id": cp.project_id,
            "vault": plan}
    if created:
        body["extra_info"] = d["extra_info"]
    return body


def member_view(m: Entity) -> dict[str, Any]:
    body = {"id": m.id, "status": m.status, "backup_id": m.ref, "dest_project_id": m.doc["dest_project_id"],
            "created_at": _t(m.created_at)}
    for key in ("vault_id", "image_id"):
        if m.doc.get(key):
            body[key] = m.doc[key]
    return body


def _page(rows: list[Any], offset: int, limit: int) -> list[Any]:
    return rows[offset:offset + limit]


# -- vaults -----------------------------------------------------------------------------------------

@bp.post(f"{P}/vaults")
@operation("cbr.create_vault")
def create_vault(project_id: str) -> Response:
    data = load(schemas.VaultCreateReq(), body_json())["vault"]
    with db().write() as tx:
        if data.get("backup_policy_id"):  # the vault is bound to it from the start
            cbr_policies.get(tx, ctx().project_id, data["backup_policy_id"])
        vault = vaults.create(tx, ctx(), data)
        return jsonify({"vault": vault_view(tx, vault)})


@bp.get(f"{P}/vaults")
@operation("cbr.list_vault")
def list_vault(project_id: str) -> Response:
    limit = query_int("limit", MAX_LIMIT, 1, MAX_LIMIT, code=BAD)
    offset = query_int("offset", 0, 0, code=BAD)
    with db().read() as tx:
        rows = vaults.list_vaults(tx, ctx().project_id, request.args.to_dict())
        page = [vault_view(tx, v) for v in _page(rows, offset or 0, limit or MAX_LIMIT)]
    body: dict[str, Any] = {"vaults": page, "count": len(rows)}
    if "limit" in request.args or "offset" in request.args:
        body.update(limit=limit, offset=offset)
    return jsonify(body)


@bp.get(f"{P}/vaults/<vault_id>")
@operation("cbr.show_vault", resource_arg="vault_id")
def show_vault(project_id: str, vault_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"vault": vault_view(tx, vaults.get(tx, ctx().project_id, vault_id))})


@bp.put(f"{P}/vaults/<vault_id>")
@operation("cbr.update_vault", resource_arg="vault_id")
def update_vault(project_id: str, vault_id: str) -> Response:
    data = load(schemas.VaultUpdateReq(), body_json())["vault"]
    with db().write() as tx:
        vault = vaults.update(tx, vaults.get(tx, ctx().project_id, vault_id), data)
        return jsonify({"vault": vault_view(tx, vault)})


@bp.delete(f"{P}/vaults/<vault_id>")
@operation("cbr.delete_vault", resource_arg="vault_id")
def delete_vault(project_id: str, vault_id: str) -> Response:
    with db().write() as tx:
        vault = vaults.get(tx, ctx().project_id, vault_id)
        vaults.delete(tx, vault, len(cbr_backups.backups_in_vault(tx, vault.id)))
    return _empty()


@bp.post(f"{P}/vaults/<vault_id>/addresources")
@operation("cbr.add_vault_resource", resource_arg="vault_id")
def add_vault_resource(project_id: str, vault_id: str) -> Response:
    data = load(schemas.VaultAddResourceReq(), body_json())
    with db().write() as tx:
        added = vaults.add_resources(tx, ctx(), vaults.get(tx, ctx().project_id, vault_id), data["resources"])
    return jsonify({"add_resource_ids": added})


@bp.post(f"{P}/vaults/<vault_id>/removeresources")
@operation("cbr.remove_vault_resource", resource_arg="vault_id")
def remove_vault_resource(project_id: str, vault_id: str) -> Response:
    data = load(schemas.VaultRemoveResourceReq(), body_json())
    with db().write() as tx:
        removed = vaults.remove_resources(tx, vaults.get(tx, ctx().project_id, vault_id), data["resource_ids"])
    return jsonify({"remove_resource_ids": removed})


@bp.get(f"{P}/vault/<vault_id>/tags")
@operation("cbr.show_vault_tag", resource_arg="vault_id")
def show_vault_tag(project_id: str, vault_id: str) -> Response:
    if not UUID_RE.match(vault_id):
        raise ServiceError(BAD, param="vault_id")
    with db().read() as tx:
        vault = vaults.get(tx, ctx().project_id, vault_id)
    return jsonify({"tags": [{"key": t["key"], "values": [t.get("value", "")]} for t in vault.doc["tags"]],
                    "sys_tags": []})


# -- checkpoints ------------------------------------------------------------------------------------

@bp.post(f"{P}/checkpoints")
@operation("cbr.create_checkpoint")
def create_checkpoint(project_id: str) -> Response:
    data = load(schemas.VaultBackupReq(), body_json())["checkpoint"]
    with db().write() as tx:
        checkpoint = cbr_backups.create_checkpoint(tx, ctx(), data["vault_id"], data["parameters"])
    return jsonify({"checkpoint": checkpoint_view(checkpoint, created=True)})


@bp.get(f"{P}/checkpoints/<checkpoint_id>")
@operation("cbr.show_checkpoint", resource_arg="checkpoint_id", polls="cbr.checkpoint")
def show_checkpoint(project_id: str, checkpoint_id: str) -> Response:
    c = ctx()
    with db().read() as tx:
        return jsonify({"checkpoint": checkpoint_view(cbr_backups.get_checkpoint(tx, c.project_id, checkpoint_id))})


# -- backups ----------------------------------------------------------------------------------------

def _time_arg(name: str) -> float | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, TIME_FORMAT).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise ServiceError(BAD, param=name) from None


def _backup_query() -> dict[str, Any]:
    q: dict[str, Any] = {k: request.args.get(k) for k in (
        "checkpoint_id", "vault_id", "resource_id", "resource_name", "resource_az", "name", "resource_type",
        "image_type", "sort", "member_status", "own_type")}
    if q["own_type"] and q["own_type"] not in cbr_backups.OWN_TYPES:
        raise ServiceError(BAD, param="own_type")
    if q["member_status"] and q["member_status"] not in cbr_backups.MEMBER_STATUSES:
        raise ServiceError(BAD, param="member_status")
    q["status"] = request.args.getlist("status") or None
    q["start_time"], q["end_time"] = _time_arg("start_time"), _time_arg("end_time")
    incremental = (request.args.get("incremental") or "").lower()
    if incremental not in (None, "", "true", "false"):
        raise ServiceError(BAD, param="incremental")
    q["incremental"] = None if not incremental else incremental == "true"
    return q


def _list_args() -> tuple[dict[str, Any], int, int]:
    q = _backup_query()
    limit = query_int("limit", MAX_LIMIT, 1, MAX_LIMIT, code=BAD) or MAX_LIMIT
    offset = query_int("offset", 0, 0, code=BAD) or 0
    return q, limit, offset


@bp.get(f"{P}/backups")
@operation("cbr.list_backups", polls="cbr.backups", check=_list_args)
def list_backups(project_id: str) -> Response:
    c = ctx()
    q, limit, offset = _list_args()
    marker = request.args.get("marker")
    with db().read() as tx:
        rows = cbr_backups.list_backups(tx, c.project_id, q)
    if marker:
        ids = [b.id for b in rows]
        if marker not in ids:
            raise ServiceError(BAD, param="marker")
        rows = rows[ids.index(marker) + 1:]
    body: dict[str, Any] = {"backups": [backup_view(b) for b in _page(rows, offset, limit)], "count": len(rows)}
    if "limit" in request.args or "offset" in request.args:
        body.update(limit=limit, offset=offset)
    return jsonify(body)


@bp.get(f"{P}/backups/<backup_id>")
@operation("cbr.show_backup", resource_arg="backup_id", polls="cbr.backup")
def show_backup(project_id: str, backup_id: str) -> Response:
    caller = ctx().project_id  # (not found also when the pipeline's poll has just finished its deletion)
    return jsonify({"backup": db().reading(lambda tx: backup_view(cbr_backups.readable(tx, caller, backup_id)))})


@bp.put(f"{P}/backups/<backup_id>")
@operation("cbr.update_backup", resource_arg="backup_id")
def update_backup(project_id: str, backup_id: str) -> Response:
    data = load(schemas.BackupUpdateReq(), body_json())["backup"]
    c = ctx()
    with db().write() as tx:
        backup = cbr_backups.rename(tx, cbr_backups.own(tx, c.project_id, backup_id), data["name"], c.now)
        return jsonify({"backup": backup_view(backup)})


@bp.delete(f"{P}/backups/<backup_id>")
@operation("cbr.delete_backup", resource_arg="backup_id")
def delete_backup(project_id: str, backup_id: str) -> Response:
    c = ctx()
    with db().write() as tx:
        cbr_backups.start_delete(tx, c, cbr_backups.own(tx, c.project_id, backup_id))
    return _empty()


# -- backup members ---------------------------------------------------------------------------------

@bp.post(f"{P}/backups/<backup_id>/members")
@operation("cbr.add_member", resource_arg="backup_id")
def add_member(project_id: str, backup_id: str) -> Response:
    data = load(schemas.AddMembersReq(), body_json())
    if data.get("domains"):
        raise ServiceError(BAD, "Sharing with accounts (domains) is not emulated; use project ids in members.")
    with db().write() as tx:
        made = cbr_members.add_members(tx, ctx(), backup_id, data["members"])
    return jsonify({"members": [member_view(m) for m in made]})


@bp.get(f"{P}/backups/<backup_id>/members")
@operation("cbr.show_members_detail", resource_arg="backup_id")
def show_members_detail(project_id: str, backup_id: str) -> Response:
    limit = query_int("limit", MAX_LIMIT, 1, MAX_LIMIT, code=BAD) or MAX_LIMIT
    offset = query_int("offset", 0, 0, code=BAD) or 0
    with db().read() as tx:
        rows = cbr_members.visible_members(tx, ctx().project_id, backup_id)
    for key in ("dest_project_id", "image_id", "vault_id"):
        if request.args.get(key):
            rows = [m for m in rows if m.doc.get(key) == request.args[key]]
    if request.args.get("status"):
        rows = [m for m in rows if m.status == request.args["status"]]
    return jsonify({"members": [member_view(m) for m in _page(rows, offset, limit)], "count": len(rows)})


@bp.get(f"{P}/backups/<backup_id>/members/<member_id>")
@operation("cbr.show_member_detail", resource_arg="backup_id")
def show_member_detail(project_id: str, backup_id: str, member_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"member": member_view(cbr_members.find_member(tx, ctx().project_id, backup_id, member_id))})


@bp.put(f"{P}/backups/<backup_id>/members/<member_id>")
@operation("cbr.update_member_status", resource_arg="backup_id")
def update_member_status(project_id: str, backup_id: str, member_id: str) -> Response:
    data = load(schemas.UpdateMemberReq(), body_json())
    c = ctx()
    with db().write() as tx:
        member = cbr_members.find_member(tx, c.project_id, backup_id, member_id)
        member = cbr_members.answer(tx, c, member, data["status"], data.get("vault_id"))
        return jsonify({"member": member_view(member)})


@bp.delete(f"{P}/backups/<backup_id>/members/<member_id>")
@operation("cbr.delete_member", resource_arg="backup_id")
def delete_member(project_id: str, backup_id: str, member_id: str) -> Response:
    c = ctx()
    with db().write() as tx:
        cbr_members.remove_member(tx, c, cbr_members.find_member(tx, c.project_id, backup_id, member_id))
    return _empty(204)


# -- CSBS -> CBR migration, operation logs ------------------------------------------------------------

@bp.post("/v3/migrates")
@operation("cbr.migrate_domain")
def migrate_domain() -> Response:
    data = load(schemas.MigrateReq(), body_json())
    with db().write() as tx:
        record = cbr_migration.start(tx, ctx(), data)
    return jsonify({record.doc["region"]: "running"})


@bp.get("/v3/migrates")
@operation("cbr.show_migrate_status", polls="cbr.migration")
def show_migrate_status() -> Response:
    c = ctx()
    with db().read() as tx:
        record = cbr_migration.latest(tx, c.project_id)
        if record is None:
            raise ServiceError("BackupService.4001")
        task = tx.tasks.get(record.doc.get("task_id", ""))
        record = tx.entities.get(cbr_migration.KIND, record.id) or record
        line = cbr_migration.project_status(record, task, c.now)
    return jsonify({"status": line["status"], "project_status": [line]})


@bp.get(f"{P}/operation-logs/<operation_log_id>")
@operation("cbr.show_op_log", resource_arg="operation_log_id")
def show_op_log(project_id: str, operation_log_id: str) -> Response:
    raise ServiceError("BackupService.6500")  # operation logs are not kept by the emulator
