"""/_emulator/ test control: virtual clock, settling, fault rules, snapshots.

Plain JSON, unauthenticated, like the rest of /_emulator/. Everything is kept in the store, so
several worker processes behave as one emulator.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from emulator.api.control import now
from emulator.api.errors import control_error
from emulator.api.ops import first_error
from emulator.domain import faults, jobs
from emulator.domain.clock import iso_millis
from emulator.domain.records import Task
from emulator.store import Database
from emulator.store import snapshots as snaps

SERVICE = "control"
bp = Blueprint("control_time", __name__, url_prefix="/_emulator")
MAX_ADVANCE = 10 * 366 * 86400  # ten years is plenty for any retention rule


class ControlRequestError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(ControlRequestError)
def _refused(exc: ControlRequestError) -> Response:
    return control_error(exc.status, str(exc))


@bp.errorhandler(faults.FaultError)
def _bad_fault(exc: faults.FaultError) -> Response:
    return control_error(400, str(exc))


@bp.errorhandler(snaps.SnapshotError)
def _bad_snapshot(exc: snaps.SnapshotError) -> Response:
    return control_error(exc.status, str(exc))


def _db() -> Database:
    return current_app.config["DB"]


def _body(schema: Schema) -> dict[str, Any]:
    """An optional JSON object body, checked by schema (an empty body = {})."""
    raw = request.get_data(cache=True)
    data = request.get_json(silent=True, force=True) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ControlRequestError("request body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ControlRequestError(first_error(exc.messages)) from exc


class Number(fields.Float):
    """A JSON number, not a numeric string or a boolean."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


# -- virtual clock -------------------------------------------------------------------------------

class AdvanceSchema(Schema):
    class Meta:
        unknown = RAISE

    seconds = Number(required=True, allow_nan=False, validate=validate.Range(0, MAX_ADVANCE))


def _clock(tx: Any) -> dict[str, Any]:
    offset = tx.control.get("clock_offset", 0.0)
    return {"now": iso_millis(now()), "offset_seconds": offset}


@bp.get("/clock")
def get_clock() -> Response:
    with _db().read() as tx:
        return jsonify(_clock(tx))


@bp.post("/clock/advance")
def advance_clock() -> Response:
    """Move virtual time forward for every worker; timed work now due settles at once.

    Only seconds:X work is timed: manual work waits for /settle, polls:N work for its polls.
    """
    seconds = _body(AdvanceSchema())["seconds"]
    with _db().write() as tx:
        offset = tx.control.get("clock_offset", 0.0) + seconds
        tx.control.set("clock_offset", offset)
        settled = jobs.settle_due(tx, None, now())
    with _db().read() as tx:
        return jsonify({**_clock(tx), "settled": settled})


# -- settling --------------------------------------------------------------------------------------

class SettleSchema(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.String(validate=validate.Length(1, 64))
    id = fields.String(validate=validate.Length(1, 128))


def _summary(task: Task) -> dict[str, Any]:
    return {"id": task.id, "project_id": task.project_id, "op": task.op, "status": task.status,
            "entity_id": task.entity_id, "error_code": task.error_code}


@bp.post("/settle")
def settle() -> Response:
    """Finish pending work now: everything, one project's, or one job / the work on one entity."""
    data = _body(SettleSchema())
    moment = now()
    with _db().write() as tx:
        if "id" not in data:
            done = jobs.settle_pending(tx, data.get("project_id"), moment)
        else:
            task = jobs.find(tx, data["id"])
            if task is None or data.get("project_id", task.project_id) != task.project_id:
                raise ControlRequestError(f"no job or pending work with id {data['id']}", 404)
            done = [jobs.settle(tx, task, moment)] if task.pending else []
    return jsonify({"settled": [_summary(t) for t in done]})


# -- faults ----------------------------------------------------------------------------------------

class FaultSchema(Schema):
    class Meta:
        unknown = RAISE

    operations = fields.List(fields.String(validate=validate.Length(1, 128)), required=True,
                             validate=validate.Length(1, 100))
    action = fields.String(required=True, validate=validate.OneOf(faults.ACTIONS))
    project_id = fields.String(allow_none=True, validate=validate.Length(1, 64))
    resource_id = fields.String(allow_none=True, validate=validate.Length(1, 128))
    error_code = fields.String(allow_none=True)
    status = fields.Integer(allow_none=True, strict=True, validate=validate.Range(400, 599))
    message = fields.String(allow_none=True, validate=validate.Length(0, 1024))
    delay_ms = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, faults.MAX_DELAY_MS))
    times = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 2 ** 31 - 1))
    probability = Number(allow_none=True, allow_nan=False, validate=validate.Range(0, 1))
    seed = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, 2 ** 63 - 1))


def request_operations() -> list[str]:
    """API operation names (the @operation names of every route) that request faults can match."""
    return sorted({view.op for view in current_app.view_functions.values() if hasattr(view, "op")})


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    rule = faults.validate(_body(FaultSchema()), jobs.operation_names(), request_operations())
    with _db().write() as tx:
        stored = faults.add(tx, rule)
    return jsonify(stored), 201


@bp.get("/faults")
def list_faults() -> Response:
    with _db().read() as tx:
        rules = faults.listed(tx, request.args.get("project_id") or None)
    return jsonify({"faults": rules})


@bp.delete("/faults/<rule_id>")
def delete_fault(rule_id: str) -> tuple[str, int]:
    with _db().write() as tx:
        if not faults.remove(tx, rule_id):
            raise ControlRequestError(f"no fault rule {rule_id}", 404)
    return "", 204


@bp.delete("/faults")
def clear_faults() -> Response:
    """All rules, or with ?project_id= only the rules scoped to that project."""
    with _db().write() as tx:
        removed = faults.clear(tx, request.args.get("project_id") or None)
    return jsonify({"removed": removed})


# -- snapshots -------------------------------------------------------------------------------------

class SnapshotSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    overwrite = fields.Boolean(load_default=False)  # an existing name is a 409 unless asked


class RestoreSchema(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.String(validate=validate.Length(1, 64))


@bp.post("/snapshots")
def save_snapshot() -> tuple[Response, int]:
    body = _body(SnapshotSchema())
    temporary = current_app.config["SETTINGS"].db == ":memory:"
    return jsonify(snaps.save(_db(), body["name"], temporary=temporary, overwrite=body["overwrite"])), 201


@bp.get("/snapshots")
def list_snapshots() -> Response:
    return jsonify({"snapshots": snaps.listing(_db())})


@bp.post("/snapshots/<name>/restore")
def restore_snapshot(name: str) -> Response:
    """Put back the whole resource state, or with {"project_id"} only that project's."""
    project = _body(RestoreSchema()).get("project_id")
    restored = snaps.restore(_db(), name, project)
    return jsonify({"name": name, "project_id": project, "restored": restored})


@bp.delete("/snapshots/<name>")
def delete_snapshot(name: str) -> tuple[str, int]:
    snaps.delete(_db(), name)
    return "", 204
