"""/_emulator/: health, seed, reset, state. Unauthenticated, plain JSON, for tests and people."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import ValidationError

from emulator import __version__
from emulator.api import service_modules
from emulator.api.errors import control_error
from emulator.api.schemas.world import YAML_TYPES, error_path, load_world, parse_world_text
from emulator.domain import faults, jobs, world
from emulator.domain.clock import Policy, iso_millis
from emulator.domain.records import Entity, Task
from emulator.domain.servers import ConflictError
from emulator.store.repos import wipe

SERVICE = "control"
bp = Blueprint("control", __name__, url_prefix="/_emulator")


def _db():  # noqa: ANN202
    return current_app.config["DB"]


def now() -> float:
    with _db().read() as tx:
        return time.time() + tx.control.get("clock_offset", 0.0)


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
                    "schema_version": _db().schema_version()})


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


@bp.post("/reset")
def reset() -> tuple[str, int]:
    data = request.get_json(silent=True, force=True) or {}
    project = data.get("project_id") if isinstance(data, dict) else None
    with _db().write() as tx:
        if project:
            for repo in (tx.entities, tx.tasks, tx.claims):
                repo.delete_project(project)
            tx.projects.delete(project)
            faults.clear(tx, project)  # its fault rules were for this project's tests too
        else:
            wipe(tx.conn, keep_control=True)
    return "", 204


@bp.get("/state")
def state() -> Response:
    moment = now()
    with _db().write() as tx:
        jobs.settle_due(tx, None, moment)
    with _db().read() as tx:
        out: dict[str, Any] = {"now": moment, "projects": {}}
        for p in tx.projects.all():
            pid = p["project_id"]
            out["projects"][pid] = _project_state(tx, p, moment)
    return jsonify(out)


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
    with _db().read() as tx:
        current = tx.control.get("transitions", {})
    return jsonify({"transitions": {"default": "instant", **current}, "operations": jobs.operation_names()})


@bp.put("/transitions")
def put_transitions() -> Response | tuple[Response, int]:
    """Replace the policy map: {"default": "instant", "csbs.protect": "polls:3", ...}."""
    data = json_body()
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return control_error(400, 'body must map operation names to policies, e.g. {"default": "polls:3"}')
    known = set(jobs.operation_names())
    unknown = sorted(k for k in data if k != "default" and k not in known and not _is_service_glob(k, known))
    if unknown:
        return control_error(400, f"unknown operation(s) {', '.join(unknown)}; valid: default, "
                                  f"{', '.join(sorted(known))}, or <service>.*")
    try:
        policies = {k: str(Policy.parse(v)) for k, v in data.items()}
    except ValueError as exc:
        return control_error(400, str(exc))
    with _db().write() as tx:
        tx.control.set("transitions", policies)
    return get_transitions()


def _is_service_glob(name: str, known: set[str]) -> bool:
    return name.endswith(".*") and any(op.startswith(name[:-1]) for op in known)
