"""/_emulator/ for CSBS: seed backups directly and set a project's backup quota (tests and people)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ims_emulator.api.errors import control_error
from ims_emulator.api.ops import first_error
from ims_emulator.domain import backups, clock
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.regions import DEFAULT_REGION

SERVICE = "control"
bp = Blueprint("control_csbs", __name__, url_prefix="/_emulator")
SEEDABLE = ("available", "error", "protecting")


class _BackupSeed(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    server_id = fields.String(required=True, validate=validate.Length(1, 64))
    status = fields.String(load_default="available", validate=validate.OneOf(SEEDABLE))
    name = fields.String(validate=validate.Length(1, 255))
    description = fields.String(validate=validate.Length(0, 255))
    exclude_volumes = fields.List(fields.String(), load_default=list)


class BackupSeedSchema(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.String(required=True, validate=validate.Length(1, 64))
    backups = fields.List(fields.Nested(_BackupSeed), required=True)


class QuotaSchema(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.String(required=True, validate=validate.Length(1, 64))
    backups = fields.Integer(required=True, strict=True, validate=validate.Range(-1, 1_000_000))


def _load(schema: Schema) -> Any:
    return schema.load(request.get_json(silent=True, force=True))


def _ctx(tx: Any, project_id: str) -> Ctx:
    now, transitions = clock.effective(clock.load(tx, project_id), project_id, time.time())
    region = (tx.projects.get(project_id) or {}).get("region") or DEFAULT_REGION
    return Ctx(now=now, project_id=project_id, region=region, transitions=transitions)


@bp.post("/seed/csbs_backups")
def seed_backups() -> tuple[Response, int] | Response:
    """Create checkpoint items directly, bypassing the protect rules (e.g. a server with a shared disk)."""
    try:
        data = _load(BackupSeedSchema())
    except ValidationError as exc:
        return control_error(400, first_error(exc.messages))
    db = current_app.config["DB"]
    try:
        with db.write() as tx:
            ctx = _ctx(tx, data["project_id"])
            for spec in data["backups"]:
                if spec.get("id") and tx.entities.exists(backups.KIND, spec["id"]):
                    return control_error(409, f"backup {spec['id']} already exists")
            items = [backups.seed_item(tx, ctx, spec) for spec in data["backups"]]
    except LookupError as exc:
        return control_error(400, str(exc.args[0]))
    body = {"project_id": data["project_id"],
            "backups": [{"id": i.id, "checkpoint_id": i.ref, "status": i.status} for i in items]}
    return jsonify(body), 201


@bp.put("/csbs/quotas")
def set_quota() -> Response:
    """{"project_id", "backups": N} -> the CSBS backups quota of that project (-1 = unlimited)."""
    try:
        data = _load(QuotaSchema())
    except ValidationError as exc:
        return control_error(400, first_error(exc.messages))
    with current_app.config["DB"].write() as tx:
        quotas = tx.control.get(backups.QUOTA_KEY, {})
        quotas[data["project_id"]] = data["backups"]
        tx.control.set(backups.QUOTA_KEY, quotas)
    return jsonify({"project_id": data["project_id"], "backups": data["backups"]})
