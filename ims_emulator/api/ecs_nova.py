"""ECS native OpenStack Nova v2.1 server routes: create (202, no job), show, list, detail, delete (204)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ecs import VPC_ID, read_server, server_filters
from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.api.schemas.ecs import NovaCreateBody
from ims_emulator.domain import ecs_create, ecs_servers, servers
from ims_emulator.domain.clock import iso_micros_naive, iso_seconds
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "ecs"
bp = Blueprint("ecs_nova", __name__)


def _int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError("Ecs.0005", detail=f"{field} must be an integer") from None


def _as_cloudserver(nova: dict[str, Any]) -> dict[str, Any]:
    """The nova body mapped onto the v1 create spec: boot_index 0 is the system disk, blank ones data disks."""
    bdm = nova.get("block_device_mapping_v2") or []
    root = next((b for b in bdm if str(b.get("boot_index")) == "0"), {})
    image_ref = nova.get("image_ref") or (root.get("uuid") if root.get("source_type") == "image" else None)
    if not image_ref:
        raise ServiceError("Ecs.0005", detail="imageRef (or a boot_index 0 image block device) is required")
    data = [{"volumetype": b.get("volume_type") or "SATA", "size": _int(b.get("volume_size"), "volume_size") or 0}
            for b in bdm if b is not root and b.get("source_type") == "blank"]
    return {"name": nova["name"], "image_ref": image_ref, "flavor_ref": nova["flavor_ref"],
            "availability_zone": nova.get("availability_zone"), "count": nova.get("min_count") or 1,
            "root_volume": {"volumetype": root.get("volume_type") or "SATA",
                            "size": _int(root.get("volume_size"), "volume_size")},
            "data_volumes": data, "is_auto_rename": True}


def _links(project_id: str, kind: str, id_: str) -> list[dict[str, str]]:
    return [{"href": f"/v2.1/{project_id}/{kind}/{id_}", "rel": "self"},
            {"href": f"/{project_id}/{kind}/{id_}", "rel": "bookmark"}]


@bp.post("/v2.1/<project_id>/servers")
@operation("ecs.nova_create_servers")
def nova_create(project_id: str) -> tuple[Response, int]:
    spec = _as_cloudserver(load(NovaCreateBody(), body_json())["server"])
    with db().write() as tx:
        task = ecs_create.create(tx, ctx(), spec, nova=True)
    assert task is not None
    first = task.payload["servers"][0]
    return jsonify({"server": {"security_groups": [{"name": "default"}], "OS-DCF:diskConfig": "MANUAL",
                               "id": first, "links": _links(project_id, "servers", first),
                               "adminPass": secrets.token_urlsafe(9)}}), 202  # nova's generated password


@bp.get("/v2.1/<project_id>/servers/<server_id>")
@operation("ecs.nova_show_server", resource_arg="server_id", polls="ecs.server")
def nova_show(project_id: str, server_id: str) -> Response:
    return jsonify({"server": nova_view(*read_server(server_id))})


def _page() -> tuple[list[Entity], list[list[Entity]]]:
    limit = query_int("limit", 25, 1, 1000, code="Ecs.0005") or 25
    with db().read() as tx:
        rows = tx.entities.list(servers.SERVER, ctx().project_id, server_filters())
        marker = request.args.get("marker")
        if marker:
            ids = [r.id for r in rows]
            if marker not in ids:
                raise ServiceError("Ecs.0005", detail=f"marker {marker} not found")
            rows = rows[ids.index(marker) + 1:]
        rows = rows[:limit]
        return rows, [servers.volumes_of(tx, s) for s in rows]


@bp.get("/v2.1/<project_id>/servers/detail")
@operation("ecs.nova_list_servers_details")
def nova_detail(project_id: str) -> Response:
    rows, vols = _page()
    return jsonify({"servers": [nova_view(s, v) for s, v in zip(rows, vols, strict=True)]})


@bp.get("/v2.1/<project_id>/servers")
@operation("ecs.nova_list_servers")
def nova_list(project_id: str) -> Response:
    rows, _ = _page()
    return jsonify({"servers": [{"name": s.name, "id": s.id, "links": _links(project_id, "servers", s.id)}
                                for s in rows]})


@bp.delete("/v2.1/<project_id>/servers/<server_id>")
@operation("ecs.nova_delete_server", resource_arg="server_id")
def nova_delete(project_id: str, server_id: str) -> tuple[str, int]:
    with db().write() as tx:  # system and data disks go with it (the native API has no delete_volume)
        ecs_servers.delete_servers(tx, ctx(), [server_id], delete_volume=True)
    return "", 204


def nova_view(server: Entity, volumes: list[Entity]) -> dict[str, Any]:
    d, p = server.doc, server.project_id
    status, vm_state, power_state, task_state = ecs_servers.view_state(server)
    view = {
        "id": server.id, "name": d["name"], "status": status, "tenant_id": p, "user_id": "",
        "created": iso_seconds(d["created"]), "updated": iso_seconds(d["updated"]), "hostId": "",
        "flavor": {"id": d["flavor"]["id"], "links": _links(p, "flavors", d["flavor"]["id"])},
        "image": {"id": d["image_id"], "links": _links(p, "images", d["image_id"])},
        "key_name": None, "metadata": {}, "progress": 0 if status == "BUILD" else 100,
        "addresses": {VPC_ID: [{"addr": d["private_ip"], "version": 4, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01",
                                "OS-EXT-IPS:type": "fixed"}]},
        "security_groups": [{"name": "default"}], "links": _links(p, "servers", server.id),
        "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": d["availability_zone"],
        "OS-EXT-SRV-ATTR:host": "", "OS-EXT-SRV-ATTR:hypervisor_hostname": "",
        "OS-EXT-SRV-ATTR:instance_name": f"instance-{server.id[:8]}",
        "OS-EXT-STS:power_state": power_state, "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:vm_state": vm_state, "OS-SRV-USG:launched_at": iso_micros_naive(d["created"]),
        "OS-SRV-USG:terminated_at": None,
        "os-extended-volumes:volumes_attached": [{"id": v.id, "delete_on_termination": bool(v.doc["bootable"])}
                                                 for v in volumes],
        "accessIPv4": "", "accessIPv6": "", "config_drive": "", "locked": False, "tags": [], "description": "",
    }
    if d.get("fault"):
        view["fault"] = d["fault"]
    return view
