"""/_emulator/seed/cbr_backups: store CBR backups (full-ECS images are made from them)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import ValidationError

from ims_emulator.api.errors import control_error
from ims_emulator.api.ops import first_error
from ims_emulator.api.schemas.ims import CbrSeedBody
from ims_emulator.domain import cbr_backups
from ims_emulator.domain.context import Ctx

SERVICE = "control"
bp = Blueprint("control_cbr", __name__, url_prefix="/_emulator")


@bp.post("/seed/cbr_backups")
def seed_cbr_backups() -> tuple[Response, int] | Response:
    try:
        data = CbrSeedBody().load(request.get_json(silent=True, force=True) or {})
    except ValidationError as exc:
        return control_error(400, first_error(exc.messages))
    from ims_emulator.api.control import now
    db = current_app.config["DB"]
    moment = now(data["project_id"])
    try:
        with db.write() as tx:
            project = tx.projects.ensure(data["project_id"], current_app.config["SETTINGS"].region, None, moment)
            c = Ctx(now=moment, project_id=data["project_id"], region=project["region"])
            made = cbr_backups.seed(tx, c, data["project_id"], data["backups"])
    except LookupError as exc:
        return control_error(409, str(exc))
    return jsonify({"project_id": data["project_id"], "backups": [cbr_backups.view(b) for b in made]}), 201
