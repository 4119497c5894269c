"""ECS v1/v1.1 server lifecycle: create (job createServer), delete (job deleteServers), block devices,
volume attachments and flavors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas.ecs import CreateServersBody, DeleteServersBody
from ims_emulator.domain import ecs_create, ecs_servers, flavors, servers
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "ecs"
bp = Blueprint("ecs_servers", __name__)
SLOTS = {"free_scsi": 25, "free_blk": 17, "free_disk": 25}  # minus the attached disks (the reference example)


def _create() -> tuple[Response, int]:
    data = load(CreateServersBody(), body_json())
    with db().write() as tx:
        task = ecs_create.create(tx, ctx(), data["server"], dry_run=bool(data.get("dry_run")))
    if task is None:  # dry run: every check passed, nothing made
        return jsonify({}), 202
    return jsonify({"job_id": task.id, "serverIds": task.payload["servers"]}), 200


@bp.post("/v1/<project_id>/cloudservers")
@operation("ecs.create_post_paid_servers")
def create_post_paid_servers(project_id: str) -> tuple[Response, int]:
    return _create()


@bp.post("/v1.1/<project_id>/cloudservers")
@operation("ecs.create_servers")
def create_servers(project_id: str) -> tuple[Response, int]:
    return _create()


@bp.post("/v1/<project_id>/cloudservers/delete")
@operation("ecs.delete_servers")
def delete_servers(project_id: str) -> Response:
    data = load(DeleteServersBody(), body_json())
    with db().write() as tx:
        task = ecs_servers.delete_servers(tx, ctx(), [s["id"] for s in data["servers"]],
                                          bool(data.get("delete_volume")))
    return jsonify({"job_id": task.id})


def _attached(server_id: str) -> tuple[Entity, list[Entity]]:
    with db().read() as tx:
        server = servers.get_server(tx, ctx().project_id, server_id)
        return server, servers.volumes_of(tx, server)


def block_device(server: Entity, v: Entity, index: int) -> dict[str, Any]:
    return {"pciAddress": f"0000:02:{index + 1:02x}.0", "volumeId": v.id, "device": v.doc["device"],
            "serverId": server.id, "id": v.id, "size": int(v.doc["size"]),
            "bootIndex": 0 if v.doc["bootable"] else index, "bus": "virtio"}


@bp.get("/v1/<project_id>/cloudservers/<server_id>/block_device")
@operation("ecs.list_server_block_devices", resource_arg="server_id")
def list_block_devices(project_id: str, server_id: str) -> Response:
    server, vols = _attached(server_id)
    free = {k: max(n - len(vols), 0) for k, n in SLOTS.items()}
    return jsonify({"attachableQuantity": free,
                    "volumeAttachments": [block_device(server, v, i) for i, v in enumerate(vols)]})


@bp.get("/v1/<project_id>/cloudservers/<server_id>/block_device/<volume_id>")
@operation("ecs.show_server_block_device", resource_arg="server_id")
def show_block_device(project_id: str, server_id: str, volume_id: str) -> Response:
    server, vols = _attached(server_id)
    for i, v in enumerate(vols):
        if v.id == volume_id:
            return jsonify({"volumeAttachment": block_device(server, v, i)})
    raise ServiceError("Ecs.0111", f"Volume {volume_id} is not attached to the server {server_id}.")


@bp.get("/v1/<project_id>/cloudservers/<server_id>/os-volume_attachments")
@operation("ecs.list_server_volume_attachments", resource_arg="server_id")
def list_volume_attachments(project_id: str, server_id: str) -> Response:
    server, vols = _attached(server_id)
    return jsonify({"volumeAttachments": [{"device": v.doc["device"], "id": v.id, "serverId": server.id,
                                           "volumeId": v.id} for v in vols]})


@bp.get("/v1/<project_id>/cloudservers/flavors")
@operation("ecs.list_flavors")
def list_flavors(project_id: str) -> Response:
    zone = request.args.get("availability_zone")
    if zone and zone not in flavors.zones(ctx().region):
        return jsonify({"flavors": []})
    return jsonify({"flavors": [flavor_view(f, project_id) for f in flavors.FLAVORS.values()]})


def flavor_view(f: flavors.Flavor, project_id: str) -> dict[str, Any]:
    return {
        "id": f.id, "name": f.id, "vcpus": str(f.vcpus), "ram": f.ram, "disk": "0", "swap": "",
        "links": [{"rel": "self", "href": f"/v1.0/{project_id}/flavors/{f.id}", "type": None},
                  {"rel": "bookmark", "href": f"/{project_id}/flavors/{f.id}", "type": None}],
        "OS-FLV-EXT-DATA:ephemeral": 0, "rxtx_factor": 1, "OS-FLV-DISABLED:disabled": False,
        "rxtx_quota": None, "rxtx_cap": None, "os-flavor-access:is_public": True,
        "os_extra_specs": {"ecs:virtualization_env_types": "CloudCompute", "ecs:generation": f.generation,
                           "ecs:performancetype": f.performance, "resource_type": f"IOoptimized{f.generation.upper()}"},
    }
