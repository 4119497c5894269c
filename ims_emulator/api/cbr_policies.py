"""CBR v3 policies and their vault bindings, protectable resources, replication capabilities.

Shapes follow the SDK models (Policy, VaultPolicyResp, ProtectablesResp, ...); errors are the flat
BackupService body of the CBR service.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.cbr import vault_view
from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.api.schemas import cbr_policies as schemas
from ims_emulator.domain import cbr_backups, cbr_policies, regions, servers, vaults
from ims_emulator.domain.clock import iso_millis_offset
from ims_emulator.domain.common import ownership, shared_disks
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "cbr"
bp = Blueprint("cbr_policies", __name__)
P = "/v3/<project_id>"
BAD = "BackupService.9900"
PROTECTABLE_TYPES = ("server", "disk", "turbo", "workspace", "workspace_v2")


def _clean(value: Any) -> Any:
    """Drop the nulls the SDK sends for every unset field (what was not sent is not echoed)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    return value


def _start_time(ts: float) -> str:
    return iso_millis_offset(ts)[:19].replace("T", " ")  # "2019-05-08 06:57:05", as the SDK field text shows


def policy_view(tx: Any, policy: Entity) -> dict[str, Any]:
    d = policy.doc
    props = {**d["trigger"]["properties"], "start_time": _start_time(d["trigger"]["properties"]["start_time"])}
    bound = [{"vault_id": v.id, **({"destination_vault_id": dest} if (dest := cbr_policies.destination_of(v, policy))
                                   else {})} for v in cbr_policies.bound_vaults(tx, policy)]
    return {"id": policy.id, "name": policy.name, "enabled": d["enabled"], "operation_type": d["operation_type"],
            "operation_definition": d["operation_definition"], "policy_type": d["policy_type"],
            "trigger": {**d["trigger"], "properties": props}, "associated_vaults": bound}


# -- policies ---------------------------------------------------------------------------------------

@bp.post(f"{P}/policies")
@operation("cbr.create_policy")
def create_policy(project_id: str) -> Response:
    data = _clean(load(schemas.PolicyCreateReq(), body_json())["policy"])
    with db().write() as tx:
        policy = cbr_policies.create(tx, ctx(), data)
        return jsonify({"policy": policy_view(tx, policy)})


@bp.get(f"{P}/policies")
@operation("cbr.list_policies")
def list_policies(project_id: str) -> Response:
    kind = request.args.get("operation_type")
    if kind and kind not in cbr_policies.LINK:
        raise ServiceError(BAD, param="operation_type")
    with db().read() as tx:
        rows = cbr_policies.list_policies(tx, ctx().project_id, kind, request.args.get("vault_id"))
        return jsonify({"policies": [policy_view(tx, p) for p in rows], "count": len(rows)})


@bp.get(f"{P}/policies/<policy_id>")
@operation("cbr.show_policy", resource_arg="policy_id")
def show_policy(project_id: str, policy_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"policy": policy_view(tx, cbr_policies.get(tx, ctx().project_id, policy_id))})


@bp.put(f"{P}/policies/<policy_id>")
@operation("cbr.update_policy", resource_arg="policy_id")
def update_policy(project_id: str, policy_id: str) -> Response:
    data = _clean(load(schemas.PolicyUpdateReq(), body_json())["policy"])
    with db().write() as tx:
        policy = cbr_policies.update(tx, ctx(), policy_id, data)
        return jsonify({"policy": policy_view(tx, policy)})


@bp.delete(f"{P}/policies/<policy_id>")
@operation("cbr.delete_policy", resource_arg="policy_id")
def delete_policy(project_id: str, policy_id: str) -> Response:
    with db().write() as tx:
        cbr_policies.delete(tx, ctx().project_id, policy_id)
    return Response(status=204)


# -- binding ----------------------------------------------------------------------------------------

def _binding(vault_id: str, policy: Entity, tx: Any) -> dict[str, Any]:
    vault = vaults.get(tx, policy.project_id, vault_id)
    body = {"vault_id": vault_id, "policy_id": policy.id}
    dest = cbr_policies.destination_of(vault, policy)
    return {**body, "destination_vault_id": dest} if dest else body


@bp.post(f"{P}/vaults/<vault_id>/associatepolicy")
@operation("cbr.associate_vault_policy", resource_arg="vault_id")
def associate_vault_policy(project_id: str, vault_id: str) -> Response:
    data = _clean(load(schemas.VaultAssociate(), body_json()))
    ids = data.get("add_policy_ids") or ([data["policy_id"]] if data.get("policy_id") else [])
    if not ids or (data.get("policy_id") and data.get("add_policy_ids")):
        raise ServiceError(BAD, "Invalid policy_id provided: give policy_id or add_policy_ids.")
    with db().write() as tx:
        done = [cbr_policies.associate(tx, ctx().project_id, vault_id, pid, data.get("destination_vault_id"))
                for pid in ids]
        return jsonify({"associate_policy": _binding(vault_id, done[0], tx)})


@bp.post(f"{P}/vaults/<vault_id>/dissociatepolicy")
@operation("cbr.disassociate_vault_policy", resource_arg="vault_id")
def disassociate_vault_policy(project_id: str, vault_id: str) -> Response:
    data = load(schemas.VaultDissociate(), body_json())
    with db().write() as tx:
        vault = vaults.get(tx, ctx().project_id, vault_id)
        policy = cbr_policies.get(tx, ctx().project_id, data["policy_id"])
        body = {"vault_id": vault.id, "policy_id": policy.id}
        dest = cbr_policies.destination_of(vault, policy)
        cbr_policies.dissociate(tx, ctx().project_id, vault_id, data["policy_id"])
    return jsonify({"dissociate_policy": {**body, "destination_vault_id": dest} if dest else body})


# -- protectables -----------------------------------------------------------------------------------

def _server_instance(tx: Any, server: Entity) -> dict[str, Any]:
    volumes = servers.volumes_of(tx, server)
    why = cbr_backups.skip_reason(tx, server.project_id, server.id)
    vault_id = vaults.vault_of_server(tx, server.id)
    vault = vaults.find(tx, server.project_id, vault_id) if vault_id else None
    protectable: dict[str, Any] = {"result": why is None}
    if why:
        protectable.update(code=why[0], reason=why[1], message=why[1])
    if vault is not None:
        protectable["vault"] = vault_view(tx, vault)
    return {"id": server.id, "name": server.name or "", "type": "OS::Nova::Server", "status": server.status,
            "size": sum(v.doc["size"] for v in volumes),
            "detail": {"id": server.id, "name": server.name, "status": server.status,
                       "OS-EXT-AZ:availability_zone": server.doc.get("availability_zone", "")},
            "children": [_volume_instance(v, "in-use") for v in volumes], "protectable": protectable}


def _volume_instance(volume: Entity, status: str) -> dict[str, Any]:
    shared = shared_disks.is_shared(volume)
    return {"id": volume.id, "name": volume.name or "", "type": "OS::Cinder::Volume", "status": status,
            "size": volume.doc["size"], "children": [], "protectable": {"result": not shared},
            "detail": {"id": volume.id, "size": volume.doc["size"], "multiattach": shared,
                       "bootable": str(bool(volume.doc["bootable"])).lower()}}


def _instances(tx: Any, kind: str) -> list[dict[str, Any]]:
    pid = ctx().project_id
    if kind == "server":
        return [_server_instance(tx, s) for s in tx.entities.list(servers.SERVER, pid,
                                                                  order=(("created_at", "asc"), ("id", "asc")))]
    if kind == "disk":
        return [_volume_instance(v, "in-use" if v.ref else "available")
                for v in tx.entities.list(servers.VOLUME, pid, order=(("created_at", "asc"), ("id", "asc")))]
    return []  # turbo and workspace resources are not emulated


def _check_type(kind: str) -> None:
    if kind not in PROTECTABLE_TYPES:
        raise ServiceError(BAD, param="protectable_type")


@bp.get(f"{P}/protectables/<protectable_type>/instances")
@operation("cbr.list_protectable")
def list_protectable(project_id: str, protectable_type: str) -> Response:
    _check_type(protectable_type)
    limit = query_int("limit", 50, 1, 50, code=BAD) or 50
    offset = query_int("offset", 0, 0, code=BAD) or 0
    with db().read() as tx:
        rows = _instances(tx, protectable_type)
    for key in ("id", "name", "status"):
        if request.args.get(key):
            rows = [r for r in rows if str(r[key]) == request.args[key]]
    if request.args.get("server_id") and protectable_type == "disk":
        with db().read() as tx:
            server = ownership.owned(tx, ctx().project_id, servers.SERVER, request.args["server_id"])
            attached = {v.id for v in servers.volumes_of(tx, server)} if server else set()
        rows = [r for r in rows if r["id"] in attached]
    if request.args.get("marker"):
        ids = [r["id"] for r in rows]
        rows = rows[ids.index(request.args["marker"]) + 1:] if request.args["marker"] in ids else []
    return jsonify({"instances": rows[offset:offset + limit]})


@bp.get(f"{P}/protectables/<protectable_type>/instances/<instance_id>")
@operation("cbr.show_protectable", resource_arg="instance_id")
def show_protectable(project_id: str, protectable_type: str, instance_id: str) -> Response:
    _check_type(protectable_type)
    with db().read() as tx:
        found = [r for r in _instances(tx, protectable_type) if r["id"] == instance_id]
    if not found:
        raise ServiceError("BackupService.7100", f"Resource {instance_id} does not exist.")
    return jsonify({"instance": found[0]})


@bp.get(f"{P}/replication-capabilities")
@operation("cbr.show_replication_capabilities")
def show_replication_capabilities(project_id: str) -> Response:
    region = regions.get(ctx().region)
    destinations = sorted(region.csbs_replication_to) if region else []
    return jsonify({"regions": [{"name": ctx().region, "replication_destinations": destinations}]})


