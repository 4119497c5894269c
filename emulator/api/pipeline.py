"""Before and after every request: id, auth, project, settling due work, request faults, log."""

from __future__ import annotations

import json
import logging
import socket
import time

from flask import Flask, Response, current_app, g, request

from emulator.api import auth
from emulator.api.errors import SERVICES, error_response
from emulator.domain import faults, jobs
from emulator.domain.context import Ctx
from emulator.domain.errors import ServiceError
from emulator.domain.ids import new_request_id
from emulator.settings import Settings

log = logging.getLogger("ims_emulator.access")
CONTROL_KEYS = ("clock_offset", "transitions", "faults")


def virtual_now(offset: float) -> float:
    return time.time() + offset


def before() -> Response | None:
    g.request_id = new_request_id()
    g.t0 = time.perf_counter()
    if request.routing_exception is not None:
        raise request.routing_exception  # unknown route: the gateway answers, before auth
    settings: Settings = current_app.config["SETTINGS"]
    g.service = current_app.config["SERVICE_OF"].get(request.blueprint or "", "ims")
    if g.service == "control":
        return None
    auth.check(settings)
    view = current_app.view_functions[request.endpoint]
    g.op = getattr(view, "op", request.endpoint)
    view_args = request.view_args or {}
    resource_id = view_args.get(getattr(view, "resource_arg", None) or "", None)
    project = auth.project_id(view_args.get("project_id"))
    if project is None:
        raise ServiceError("APIGW.0301", detail="no project: send X-Project-Id or use a project path")
    db = current_app.config["DB"]
    with db.peek() as tx:  # one statement: control values, region and next due time agree
        control, region, next_due = tx.request_state.get(project, CONTROL_KEYS)
    now = virtual_now(control.get("clock_offset", 0.0))
    due = next_due is not None and next_due <= now
    if region is None:  # an unknown project is registered on first use, in the default region
        with db.write() as tx:
            region = tx.projects.ensure(project, settings.region, None, now)["region"]
    g.ctx = Ctx(now=now, project_id=project, region=region, transitions=control.get("transitions", {}),
                settings=settings)
    if due:
        with db.write() as tx:
            jobs.settle_due(tx, project, now)
    rules = control.get("faults", [])
    if rules and faults.might_apply(rules, faults.REQUEST_ACTIONS, g.op, project, resource_id):
        return _request_fault(project, resource_id)
    return None


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
    response.headers["X-Request-Id"] = g.get("request_id") or new_request_id()
    settings: Settings = current_app.config["SETTINGS"]
    if not settings.quiet:
        _access_log(settings, response)
    return response


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
    app.before_request(before)
    app.after_request(after)
