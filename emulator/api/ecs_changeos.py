"""ECS change OS (ChangeServerOsWithCloudInit): POST /v2/{project_id}/cloudservers/{server_id}/changeos."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from emulator.api.ops import body_json, ctx, db, load, operation
from emulator.api.schemas.ims import ChangeOsBody
from emulator.domain import changeos

SERVICE = "ecs"
bp = Blueprint("ecs_changeos", __name__)


@bp.post("/v2/<project_id>/cloudservers/<server_id>/changeos")
@operation("ecs.changeos", resource_arg="server_id")
def change_os(project_id: str, server_id: str) -> Response:
    data = load(ChangeOsBody(), body_json())
    with db().write() as tx:
        task = changeos.change_os(tx, ctx(), server_id, data["os_change"]["imageid"])
    return jsonify({"job_id": task.id})
