"""Before and after every request: id, auth, project, settling due work, request faults, declared polls, log."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections import deque
from typing import Any

from flask import Flask, Response, current_app, g, request

from ims_emulator.api import auth
from ims_emulator.api.errors import SERVICES, error_response
from ims_emulator.domain import clock, faults, jobs, polls
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_request_id
from ims_emulator.settings import Settings
from ims_emulator.store import Database
from ims_emulator.store.repos import Snapshot

log = logging.getLogger("ims_emulator.access")
RECENT = "ims_emulator.recent_requests"  # app.extensions key of the dashboard's ring buffer
RECENT_SIZE = 50
QUIET_READS_MAX = 10_000  # reads remembered as polling nothing, per connection, until the store changes


def before() -> Response | None:
    # the request, app and g objects bound once: each use of a context proxy is a lookup of its own
    gg, req = g._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
    gg.request_id = new_request_id()
    gg.t0 = time.perf_counter()
    if req.routing_exception is not None:
        raise req.routing_exception  # unknown route: the gateway answers, before auth
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = app.config["SETTINGS"]
    gg.service = app.config["SERVICE_OF"].get(req.blueprint or "", "ims")
    if gg.service == "control":
        return None
    auth.check(settings)
    view = app.view_functions[req.endpoint]
    gg.op = getattr(view, "op", req.endpoint)
    view_args = req.view_args or {}
    resource_id = view_args.get(getattr(view, "resource_arg", None) or "", None)
    project = auth.project_id(view_args.get("project_id"))
    if project is None:
        raise ServiceError("APIGW.0301", detail="no project: send X-Project-Id or use a project path")
    db = app.config["DB"]
    state = db.request_state()  # cached per connection while the store is unchanged
    wall = time.time()
    now, transitions = clock.effective(state.control, project, wall)
    region = _region(db, state, project)
    if region is None:  # an unknown project is registered on first use, in the default region
        with db.write() as tx:
            region = tx.projects.ensure(project, settings.region, None, now)["region"]
        state = db.request_state()  # this connection's own write dropped the snapshot
    gg.ctx = Ctx(now=now, project_id=project, region=region, transitions=transitions, settings=settings)
    if _anything_due(state, wall):
        with db.write() as tx:  # due work settles whoever asks (a share settles when its member answers)
            jobs.settle_due(tx, None, clock.now_of(state.control, wall))
        state = db.request_state()
    rules = state.control.get("faults", [])
    if rules and faults.might_apply(rules, faults.REQUEST_ACTIONS, gg.op, project, resource_id):
        answer = _request_fault(project, resource_id)
        if answer is not None:
            return answer
        state = db.request_state()  # taking the rule was a write
    target = getattr(view, "polls", None)
    if target:
        _poll(db, state, view, target, project, resource_id, now)
    return None


def _region(db: Database, state: Snapshot, project: str) -> str | None:
    if project not in state.regions:
        with db.peek() as tx:
            state.regions[project] = tx.request_state.region(project)
    return state.regions[project]


def _anything_due(state: Snapshot, wall: float) -> bool:
    return any(due <= clock.effective(state.control, project, wall)[0] for project, due in state.due.items())


def _poll(db: Database, state: Snapshot, view: Any, target: str, project: str, resource_id: str | None,
          now: float) -> None:
    """The route's declared poll: a read of the resource counts as a poll of the work it depends on."""
    if view.poll_check is not None:
        view.poll_check()  # bad input is refused before anything is written
    key = (target, project, resource_id)
    if key in state.quiet_reads:  # known to poll nothing, and the store has not changed since
        return
    with db.read() as tx:
        pending = polls.pending(tx, target, project, resource_id)
    if not pending:
        if len(state.quiet_reads) >= QUIET_READS_MAX:
            state.quiet_reads.clear()
        state.quiet_reads.add(key)
        return
    with db.write() as tx:
        polls.poll_read(tx, target, project, resource_id, now)


def _request_fault(project: str, resource_id: str | None) -> Response | None:
    with current_app.config["DB"].write() as tx:
        rule = faults.take(tx, faults.REQUEST_ACTIONS, g.op, project, resource_id)
    if rule is None:
        return None
    g.fault = rule["id"]
    if rule["action"] == "delay_ms":
        time.sleep(rule.get("delay_ms", 0) / 1000)
        return None
    if rule["action"] == "drop_connection":
        sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return Response(b"", status=500)
    code = rule.get("error_code") or SERVICES[g.service].internal
    return error_response(ServiceError(code, rule.get("message"), status=rule.get("status")))


def after(response: Response) -> Response:
    gg = g._get_current_object()  # type: ignore[attr-defined]
    request_id = getattr(gg, "request_id", None) or new_request_id()
    response.headers["X-Request-Id"] = request_id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = app.config["SETTINGS"]
    if not settings.quiet:
        _access_log(settings, response)
    ring = app.extensions.get(RECENT)
    if ring is not None:
        _remember(ring, gg, request._get_current_object(), response.status_code, request_id)  # type: ignore[attr-defined]
    return response


def _remember(ring: deque[tuple[Any, ...]], gg: Any, req: Any, status: int, request_id: str) -> None:
    """The dashboard's last requests: one tuple of values at hand (the page formats them when shown)."""
    if req.endpoint == "dashboard.ui":
        return
    env = req.environ
    ctx = getattr(gg, "ctx", None)
    t0 = getattr(gg, "t0", None)
    ring.append((time.time(), req.method, req.path, req.query_string, status, request_id,
                 getattr(gg, "op", None) or req.endpoint or "", ctx.project_id if ctx else "",
                 env.get("HTTP_AUTHORIZATION", ""), "HTTP_X_AUTH_TOKEN" in env,
                 0.0 if t0 is None else time.perf_counter() - t0, getattr(gg, "error", None)))


def recent(app: Flask) -> list[dict[str, Any]]:
    """The last requests this process answered, newest first (secrets still in: the caller masks them)."""
    keys = ("at", "method", "path", "query", "status", "request_id", "op", "project_id", "auth", "token", "ms",
            "error")
    out = []
    for row in reversed(app.extensions.get(RECENT, ())):
        r = dict(zip(keys, row, strict=True))
        query = r.pop("query").decode("latin-1")
        r["path"] += f"?{query}" if query else ""
        r["ms"] = round(r["ms"] * 1000, 1)
        r["error"] = r["error"].code if r["error"] is not None and r["status"] >= 400 else ""  # a refusal's code
        out.append(r)
    return out


def _access_log(settings: Settings, response: Response) -> None:
    ms = (time.perf_counter() - g.get("t0", time.perf_counter())) * 1000
    fields = {"method": request.method, "path": request.full_path.rstrip("?"), "status": response.status_code,
              "ms": round(ms, 2), "request_id": g.get("request_id")}
    error = g.get("error") if response.status_code >= 400 else None
    if error is not None:  # a refusal logs its code; a 401 also why (the problem, never a secret)
        fields["error_code"] = error.code
        if response.status_code == 401:
            fields["reason"] = error.message
    if settings.log_bodies:
        fields["request_body"] = request.get_data(cache=True, as_text=True)[:4096]
        fields["response_body"] = response.get_data(as_text=True)[:4096] if not response.direct_passthrough else ""
    if settings.log_format == "json":
        log.info(json.dumps(fields))
    else:
        log.info(" ".join(str(v) for v in fields.values()))


def install(app: Flask) -> None:
    app.extensions[RECENT] = deque(maxlen=RECENT_SIZE)  # per worker process
    app.before_request(before)
    app.after_request(after)
