"""/_emulator/: health, seed, reset, state. Unauthenticated, plain JSON, for tests and people."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ims_emulator import __version__
from ims_emulator.api import service_modules
from ims_emulator.api.errors import control_error
from ims_emulator.api.ops import first_error
from ims_emulator.api.schemas.world import YAML_TYPES, error_path, load_world, parse_world_text
from ims_emulator.domain import clock, faults, jobs, world
from ims_emulator.domain.clock import Policy, iso_millis
from ims_emulator.domain.records import Entity, Task
from ims_emulator.domain.servers import ConflictError
from ims_emulator.store.repos import wipe

SERVICE = "control"
bp = Blueprint("control", __name__, url_prefix="/_emulator")
RESET_SCOPES = ("project", "resources", "all")


def _db():  # noqa: ANN202
    return current_app.config["DB"]


def now(project_id: str | None = None) -> float:
    """The global virtual now, or one project's (global now + its own offset)."""
    with _db().read() as tx:
        control = clock.load(tx, project_id)
    moment = clock.global_now(control, time.time())
    return moment if project_id is None else clock.at_project(control, project_id, moment)[0]


def clocks() -> clock.Clocks:
    """Every project's clock at this moment."""
    with _db().read() as tx:
        return clock.Clocks(clock.load(tx), time.time())


def json_body(required: bool = True) -> Any:
    data = request.get_json(silent=True, force=True)
    if data is None and required:
        raise BadControlRequest("request body must be a JSON object")
    return data


class BadControlRequest(Exception):
    pass


@bp.errorhandler(BadControlRequest)
def _bad(exc: BadControlRequest) -> Response:
    return control_error(400, str(exc))


@bp.get("/health")
def health() -> Response:
    services = sorted({m.SERVICE for m in service_modules()} - {"control"})
    return jsonify({"status": "ok", "version": __version__, "services": services,
                    "schema_version": _db().schema_version(), "worker_pid": os.getpid()})


@bp.post("/seed")
def seed() -> tuple[Response, int] | Response:
    """One project (a world file's project object) or a whole world {"projects": [...]}; all or nothing.

    The body is JSON, or YAML when sent as application/yaml (the same text as a .yaml world file)."""
    try:
        body = _seed_body()
        seeds = load_world(body)
    except ValidationError as exc:
        return control_error(400, error_path(exc.messages))
    settings = current_app.config["SETTINGS"]
    numbered = isinstance(body, dict) and "projects" in body
    moment = now()
    try:
        with _db().write() as tx:
            results = world.seed_all(tx, seeds, settings.region, moment, numbered=numbered)
    except ConflictError as exc:
        return control_error(409, str(exc))
    except world.WorldError as exc:
        return control_error(400, str(exc))
    return jsonify({"projects": results} if numbered else results[0]), 201


def _seed_body() -> Any:
    if request.mimetype in YAML_TYPES:
        try:
            return parse_world_text(request.get_data(as_text=True), yaml_syntax=True)
        except ValueError as exc:
            raise BadControlRequest(str(exc)) from exc
    return json_body()


class ResetSchema(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.String(allow_none=True, validate=validate.Length(1, 64))
    scope = fields.String(validate=validate.OneOf(RESET_SCOPES))


@bp.post("/reset")
def reset() -> tuple[str, int] | Response:
    """{"project_id"}: that project, its fault rules, policy overrides and clock offset.
    {} (scope "resources"): every project's resources, their fault rules and overrides; global settings stay.
    {"scope": "all"}: that, plus every fault rule, the clock (offset 0, running) and the start-up policies."""
    data = request.get_json(silent=True, force=True)
    try:
        data = ResetSchema().load({} if data is None and not request.get_data().strip() else data)
    except ValidationError as exc:
        return control_error(400, first_error(exc.messages))
    if data.get("project_id") and data.get("scope", "project") != "project":
        return control_error(400, 'project_id resets one project: leave out scope, or use scope "project"')
    if data.get("scope") == "project" and not data.get("project_id"):
        return control_error(400, 'scope "project" needs a project_id')
    with _db().write() as tx:
        if data.get("project_id"):
            _reset_project(tx, data["project_id"])
        else:
            for pid in {r["project_id"] for r in faults.listed(tx) if r.get("project_id")}:
                faults.clear(tx, pid)  # rules for a project go with the (now gone) project
            clock.forget_all(tx)
            wipe(tx.conn, keep_control=True)
            if data.get("scope") == "all":
                faults.clear(tx)
                clock.save_global(tx, clock.Clock())
                tx.control.set("transitions", current_app.config["SETTINGS"].transition_map())
    return "", 204


def _reset_project(tx: Any, project: str) -> None:
    for repo in (tx.entities, tx.tasks, tx.claims):
        repo.delete_project(project)
    tx.projects.delete(project)
    faults.clear(tx, project)  # its fault rules were for this project's tests too
    clock.forget(tx, project)  # and so were its policy overrides and clock offset


@bp.get("/state")
def state() -> Response:
    """Everything: `now` (ISO 8601 UTC with milliseconds, as every `now` of the control API), the global
    clock and policy map, and under "overrides" each project's own policies and clock offset."""
    times = clocks()
    with _db().write() as tx:
        jobs.settle_due(tx, None, times.now_of)
    with _db().read() as tx:
        overrides = {p: _overrides_view(times.control, p) for p in clock.project_ids(times.control)}
        out: dict[str, Any] = {**clock_view(times.control, None, times.global_now),
                               "transitions": _global_map(times.control), "overrides": overrides, "projects": {}}
        for p in tx.projects.all():
            pid = p["project_id"]
            out["projects"][pid] = _project_state(tx, p, times.now_of(pid))
    return jsonify(out)


def clock_view(control: dict[str, Any], project_id: str | None, global_now: float) -> dict[str, Any]:
    """How GET /clock and the clock moves show a clock: now (ISO), its own offset, frozen."""
    if project_id is None:
        c = clock.global_clock(control)
        return {"now": iso_millis(global_now), "offset_seconds": c.offset, "frozen": c.frozen_at is not None}
    c = clock.project_clock(control, project_id)
    return {"now": iso_millis(c.now(global_now)), "offset_seconds": c.offset, "frozen": c.frozen_at is not None,
            "project_id": project_id}


def _overrides_view(control: dict[str, Any], project_id: str) -> dict[str, Any]:
    """A project's overrides as /state shows them (its now: GET /clock?project_id=)."""
    c = clock.project_clock(control, project_id)
    return {"transitions": clock.overrides(control, project_id).get("transitions", {}),
            "offset_seconds": c.offset, "frozen": c.frozen_at is not None}


def _global_map(control: dict[str, Any]) -> dict[str, str]:
    return {"default": "instant", **(control.get("transitions") or {})}


def _project_state(tx: Any, project: dict[str, Any], moment: float) -> dict[str, Any]:
    pid = project["project_id"]
    kinds: dict[str, list[dict[str, Any]]] = {}
    for kind in tx.entities.kinds_in(pid):
        kinds[kind] = [_entity(e) for e in tx.entities.list(kind, pid, order=(("created_at", "asc"), ("id", "asc")))]
    tasks = tx.tasks.list(pid)
    for tick in (t for t in tasks if jobs.is_recurring(t) and t.pending):  # a policy's schedule: its next run
        for e in kinds.get(tick.entity_kind or "", []):
            if e["id"] == tick.entity_id and tick.due_at is not None:
                e["next_run"] = iso_millis(tick.due_at)
    state = {"region": project["region"], "name": project["name"], "servers": kinds.pop("server", []),
             "volumes": kinds.pop("volume", []), "backups": kinds.pop("csbs_item", []),
             "images": kinds.pop("image", []),
             "jobs": [_task(t, moment) for t in tasks if not jobs.is_recurring(t)]}
    state.update(kinds)
    return state


def _entity(e: Entity) -> dict[str, Any]:
    return {"id": e.id, "status": e.status, "name": e.name, "ref": e.ref, **e.doc}


def _task(t: Task, moment: float) -> dict[str, Any]:
    d = {"id": t.id, "op": t.op, "job_type": t.job_type, "status": t.status, "policy": t.policy,
         "entity_kind": t.entity_kind, "entity_id": t.entity_id, "error_code": t.error_code,
         "fail_reason": t.fail_reason}
    if t.pending:
        d["settles"] = jobs.settles_when(t)
        d["progress"] = round(jobs.fraction(t, moment), 3)
    return d


@bp.get("/transitions")
def get_transitions() -> Response:
    """The global map and every project's overrides; with ?project_id= that project's overrides and
    the policy each operation gets there."""
    return _transitions_view(request.args.get("project_id") or None)


def _transitions_view(project: str | None) -> Response:
    with _db().read() as tx:
        control = clock.load(tx, project)
    out: dict[str, Any] = {"transitions": _global_map(control), "operations": jobs.operation_names()}
    if project is None:
        out["projects"] = {p: clock.overrides(control, p).get("transitions", {}) for p in clock.project_ids(control)
                           if clock.overrides(control, p).get("transitions")}
        return jsonify(out)
    layered = clock.at_project(control, project, 0.0)[1]
    out.update(project_id=project, overrides=clock.overrides(control, project).get("transitions", {}),
               effective={op: str(jobs.policy_for(op, layered)) for op in jobs.operation_names()})
    return jsonify(out)


@bp.put("/transitions")
def put_transitions() -> Response | tuple[Response, int]:
    """Replace the global policy map: {"default": "instant", "csbs.protect": "polls:3", ...};
    with "project_id" in the body (or ?project_id=) replace only that project's overrides ({} drops them)."""
    data = json_body()
    if not isinstance(data, dict):
        return control_error(400, 'body must map operation names to policies, e.g. {"default": "polls:3"}')
    data = dict(data)
    project = data.pop("project_id", None)
    query = request.args.get("project_id")
    if query is not None and project is not None and query != project:
        return control_error(400, "project_id in the query and in the body differ")
    project = project if project is not None else query
    if project is not None and (not isinstance(project, str) or not 1 <= len(project) <= 64):
        return control_error(400, "project_id must be a string of 1 to 64 characters")
    policies = _policy_map(data)
    if isinstance(policies, Response):
        return policies
    with _db().write() as tx:
        if project is None:
            tx.control.set("transitions", policies)
        else:
            clock.save_project(tx, project, transitions=policies)
    return _transitions_view(project)


def _policy_map(data: dict[str, Any]) -> dict[str, str] | Response:
    if not all(isinstance(v, str) for v in data.values()):
        return control_error(400, 'body must map operation names to policies, e.g. {"default": "polls:3"}')
    known = set(jobs.operation_names())
    unknown = sorted(k for k in data if k != "default" and k not in known and not _is_service_glob(k, known))
    if unknown:
        return control_error(400, f"unknown operation(s) {', '.join(unknown)}; valid: default, "
                                  f"{', '.join(sorted(known))}, or <service>.*")
    try:
        return {k: str(Policy.parse(v)) for k, v in data.items()}
    except ValueError as exc:
        return control_error(400, str(exc))


def _is_service_glob(name: str, known: set[str]) -> bool:
    return name.endswith(".*") and any(op.startswith(name[:-1]) for op in known)
