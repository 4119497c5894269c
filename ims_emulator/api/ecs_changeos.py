"""ECS change OS and reinstall OS: v2 (with Cloud-Init) and v1 (without) changeos / reinstallos -> an ECS job."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas.ecs import ReinstallBody
from ims_emulator.api.schemas.ims import ChangeOsBody
from ims_emulator.domain import changeos

SERVICE = "ecs"
bp = Blueprint("ecs_changeos", __name__)


def _change(server_id: str, cloud_init: bool) -> Response:
    option = load(ChangeOsBody(), body_json())["os_change"]
    with db().write() as tx:
        task = changeos.change_os(tx, ctx(), server_id, option["imageid"], option, cloud_init=cloud_init)
    return jsonify({"job_id": task.id})


def _reinstall(server_id: str, cloud_init: bool) -> Response:
    option = load(ReinstallBody(), body_json())["os_reinstall"]
    with db().write() as tx:
        task = changeos.reinstall_os(tx, ctx(), server_id, option, cloud_init=cloud_init)
    return jsonify({"job_id": task.id})


@bp.post("/v2/<project_id>/cloudservers/<server_id>/changeos")
@operation("ecs.changeos", resource_arg="server_id")
def change_os(project_id: str, server_id: str) -> Response:
    return _change(server_id, cloud_init=True)


@bp.post("/v1/<project_id>/cloudservers/<server_id>/changeos")
@operation("ecs.change_server_os_without_cloud_init", resource_arg="server_id")
def change_os_v1(project_id: str, server_id: str) -> Response:
    return _change(server_id, cloud_init=False)


@bp.post("/v2/<project_id>/cloudservers/<server_id>/reinstallos")
@operation("ecs.reinstall_server_with_cloud_init", resource_arg="server_id")
def reinstall_os(project_id: str, server_id: str) -> Response:
    return _reinstall(server_id, cloud_init=True)


@bp.post("/v1/<project_id>/cloudservers/<server_id>/reinstallos")
@operation("ecs.reinstall_server_without_cloud_init", resource_arg="server_id")
def reinstall_os_v1(project_id: str, server_id: str) -> Response:
    return _reinstall(server_id, cloud_init=False)
