"""/_emulator/ test control: virtual clock, settling, fault rules, snapshots.

Plain JSON, unauthenticated, like the rest of /_emulator/. Everything is kept in the store, so
several worker processes behave as one emulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ims_emulator.api.control import clock_view, clocks
from ims_emulator.api.errors import control_error
from ims_emulator.api.ops import first_error
from ims_emulator.domain import clock, faults, jobs
from ims_emulator.domain.records import Task
from ims_emulator.store import Database
from ims_emulator.store import snapshots as snaps

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


class Flag(fields.Boolean):
    """A JSON true/false, not 1/0 or a string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# -- virtual clock -------------------------------------------------------------------------------
# Global, or one project's (body "project_id"; GET ?project_id=): a project's now is the global now
# plus its own offset. Offsets stay within +-100 years (clock.MAX_OFFSET): beyond, a 400.

class AdvanceSchema(Schema):
    class Meta:
        unknown = RAISE

    seconds = Number(required=True, allow_nan=False, validate=validate.Range(0, MAX_ADVANCE))
    project_id = fields.String(validate=validate.Length(1, 64))


class SetClockSchema(Schema):
    class Meta:
        unknown = RAISE

    offset_seconds = Number(allow_nan=False, validate=validate.Range(-clock.MAX_OFFSET, clock.MAX_OFFSET))
    freeze = Flag()
    project_id = fields.String(validate=validate.Length(1, 64))


def _clock(project: str | None, **extra: Any) -> Response:
    times = clocks()
    return jsonify({**clock_view(times.control, project, times.global_now), **extra})


@bp.get("/clock")
def get_clock() -> Response:
    return _clock(request.args.get("project_id") or None)


@bp.post("/clock")
def set_clock() -> Response:
    """Set the offset and/or freeze ({"freeze": true}) or let the clock run again ({"freeze": false})."""
    data = _body(SetClockSchema())
    if "offset_seconds" not in data and "freeze" not in data:
        raise ControlRequestError("give offset_seconds and/or freeze")
    offset, freeze = data.get("offset_seconds"), data.get("freeze")
    return _move(data.get("project_id"), lambda c, base: c.changed(base, offset, freeze))


@bp.post("/clock/advance")
def advance_clock() -> Response:
    """Move virtual time forward (for every project, or one); timed work now due settles at once.

    Only seconds:X work is timed: manual work waits for /settle, polls:N work for its polls.
    """
    data = _body(AdvanceSchema())
    return _move(data.get("project_id"), lambda c, base: c.advanced(data["seconds"]))


def _move(project: str | None, change: Callable[[clock.Clock, float], clock.Clock]) -> Response:
    """Change the global clock or one project's, then settle whatever that made due (each on its own clock)."""
    with _db().write() as tx:
        control = clock.load(tx, project)
        wall = time.time()
        try:
            if project is None:
                clock.save_global(tx, change(clock.global_clock(control), wall))
            else:
                moved = change(clock.project_clock(control, project), clock.global_now(control, wall))
                clock.save_project(tx, project, moved)
        except clock.ClockError as exc:
            raise ControlRequestError(str(exc)) from exc
        times = clock.Clocks(clock.load(tx), wall)
        settled = jobs.settle_due(tx, None, times.now_of)
    return _clock(project, settled=settled)


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
    now_of = clocks().now_of
    with _db().write() as tx:
        if "id" not in data:
            done = jobs.settle_pending_by_clock(tx, data.get("project_id"), now_of)
        else:
            task = jobs.find(tx, data["id"])
            if task is None or data.get("project_id", task.project_id) != task.project_id:
                raise ControlRequestError(f"no job or pending work with id {data['id']}", 404)
            done = [jobs.settle(tx, task, now_of(task.project_id))] if task.pending else []
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
