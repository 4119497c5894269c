"""ECS slice: read servers, batch start/stop (an ECS job), and the job route both ECS and IMS use."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, fields, validate

from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.domain import ecs_servers, servers
from ims_emulator.domain.clock import iso_micros_naive, iso_seconds
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "ecs"
bp = Blueprint("ecs", __name__)


class _ServerRef(Schema):
    id = fields.String(required=True, validate=validate.Length(1, 64))


class _PowerOption(Schema):
    servers = fields.List(fields.Nested(_ServerRef), required=True, validate=validate.Length(1, 1000))
    type = fields.String(validate=validate.OneOf(["SOFT", "HARD"]))


class _RebootOption(Schema):
    servers = fields.List(fields.Nested(_ServerRef), required=True, validate=validate.Length(1, 1000))
    type = fields.String(required=True, validate=validate.OneOf(["SOFT", "HARD"]))


class PowerActionBody(Schema):
    os_start = fields.Nested(_PowerOption, data_key="os-start")
    os_stop = fields.Nested(_PowerOption, data_key="os-stop")
    reboot = fields.Nested(_RebootOption)


@bp.get("/v1/<project_id>/cloudservers/<server_id>")
@operation("ecs.show_server", resource_arg="server_id", polls="ecs.server")
def show_server(project_id: str, server_id: str) -> Response:
    return jsonify({"server": server_view(*read_server(server_id))})


def read_server(server_id: str) -> tuple[Entity, list[Entity]]:
    """The server and its disks (the read polled the job working on it before the route ran)."""
    with db().read() as tx:
        server = servers.get_server(tx, ctx().project_id, server_id)
        return server, servers.volumes_of(tx, server)


def server_filters() -> list[tuple[str, str, Any]]:
    """?status= (exact) and ?name= (substring): the filters both server lists (ECS and Nova) take."""
    filters: list[tuple[str, str, Any]] = []
    if request.args.get("status"):
        filters.append(("status", "=", request.args["status"]))
    if request.args.get("name"):
        filters.append(("name", "contains", request.args["name"]))
    return filters


@bp.get("/v1/<project_id>/cloudservers/detail")
@bp.get("/v1.1/<project_id>/cloudservers/detail")
@operation("ecs.list_servers_details")
def list_servers(project_id: str) -> Response:
    limit = query_int("limit", 25, 1, 1000, code="Ecs.0005")
    offset = query_int("offset", 1, 0, None, code="Ecs.0005") or 1
    filters = server_filters()
    with db().read() as tx:
        total = tx.entities.count(servers.SERVER, ctx().project_id, filters)
        rows = tx.entities.list(servers.SERVER, ctx().project_id, filters, limit=limit,
                                offset=(offset - 1) * (limit or 0))
        body = [server_view(s, servers.volumes_of(tx, s)) for s in rows]
    return jsonify({"count": total, "servers": body})


@bp.post("/v1/<project_id>/cloudservers/action")
@operation("ecs.batch_power_action")
def batch_action(project_id: str) -> Response:
    data = load(PowerActionBody(), body_json())
    chosen = [(a, data[k]) for a, k in (("os-start", "os_start"), ("os-stop", "os_stop"), ("reboot", "reboot"))
              if k in data]
    if len(chosen) != 1:
        raise ServiceError("Ecs.0005", detail="exactly one of os-start, os-stop, reboot")
    action, option = chosen[0]
    ids = [s["id"] for s in option["servers"]]
    with db().write() as tx:
        if action == "reboot":
            task = ecs_servers.reboot(tx, ctx(), ids, option["type"])
        else:
            task = servers.power_action(tx, ctx(), action, ids)
    return jsonify({"job_id": task.id})


USER_ID = "0bc5e11f91dd48849bb03b7c8a263b2c"  # the emulator's one IAM user (32-hex like real user ids)
VPC_ID = "0431c5e5-bc94-4a44-8263-15da2a642435"


def server_view(server: Entity, volumes: list[Entity]) -> dict[str, Any]:
    d = server.doc
    status, vm_state, power_state, task_state = ecs_servers.view_state(server)
    return {
        "id": server.id, "name": d["name"],
        "addresses": {VPC_ID: [{"version": "4", "addr": d["private_ip"], "primary": True,
                                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01", "OS-EXT-IPS:type": "fixed",
                                "OS-EXT-IPS:port_id": str(uuid.uuid5(uuid.NAMESPACE_URL, server.id))}]},
        "flavor": {**d["flavor"], "asic_accelerators": []},
        "accessIPv4": "", "accessIPv6": "", "status": status, "progress": 0, "hostId": "",
        "updated": iso_seconds(d["updated"]), "created": iso_seconds(d["created"]),
        "metadata": {"metering.order_id": "", "image_name": d.get("os_version", ""),
                     "metering.resourcespeccode": d["flavor"].get("id", ""), "charging_mode": "0",
                     "vpc_id": VPC_ID, "os_type": d["os_type"], "metering.resourcetype": "1",
                     "metering.image_id": d["image_id"], "os_bit": "64", "__support_agent_list": "hss,ces",
                     "cascaded.instance_extrainfo": "", "metering.imagetype": "gold"},
        "tags": [], "description": "", "locked": False, "config_drive": "", "tenant_id": server.project_id,
        "user_id": USER_ID, "key_name": "",
        "os-extended-volumes:volumes_attached": [
            {"id": v.id, "delete_on_termination": "false", "device": v.doc["device"],
             "bootIndex": "0" if v.doc["bootable"] else "-1"} for v in volumes],
        "OS-EXT-STS:task_state": task_state, "OS-EXT-STS:power_state": power_state,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-SRV-ATTR:host": "", "OS-EXT-SRV-ATTR:instance_name": f"instance-{server.id[:8]}",
        "OS-EXT-SRV-ATTR:hypervisor_hostname": "", "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": d["availability_zone"], "os:scheduler_hints": {},
        "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda", "OS-EXT-SRV-ATTR:ramdisk_id": "",
        "OS-EXT-SRV-ATTR:user_data": None, "OS-SRV-USG:launched_at": iso_micros_naive(d["created"]),
        "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:launch_index": 0, "host_status": "UP",
        "OS-EXT-SRV-ATTR:reservation_id": "", "OS-EXT-SRV-ATTR:hostname": d["name"],
        "OS-SRV-USG:terminated_at": None,
        "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}],
        "security_groups": [{"id": "00000000-0000-4000-8000-000000000001", "name": "default"}],
        "image": {"id": d["image_id"]}, "hypervisor": None, "auto_terminate_time": "",
        "cpu_options": {"hw:cpu_threads": None}, "enclave_options": {"enabled": False},
        "capacity_reservation_id": None, "capacity_reservation_specification": {"id": None, "preference": None},
        "security_options": {"tpm_enabled": None}, "spod_id": None, "enterprise_project_id": "0",
        **({"fault": d["fault"]} if d.get("fault") else {}),
    }
