"""GET /_emulator/ui: a server-rendered page of everything a test run has done, with buttons to drive it.

Projects, servers, volumes, backups, images and jobs with their states, links between them and how pending work
will settle, the clock, the transition policies and fault rules in force, and the last requests this process
answered (an in-memory ring buffer per worker process; secrets in Authorization / X-Auth-Token are masked).
The buttons (reset, settle, advance the clock, clear faults) call the control API itself from the browser.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, render_template_string, request

from ims_emulator import __version__
from ims_emulator.api import control as control_api
from ims_emulator.api import dashboard_rows as rows
from ims_emulator.api import pipeline
from ims_emulator.api.dashboard_page import PAGE, SCRIPT
from ims_emulator.domain import faults
from ims_emulator.store import snapshots as snaps

SERVICE = "control"
bp = Blueprint("dashboard", __name__, url_prefix="/_emulator")
MAX_ROWS = 500                      # per table: a long CI run makes thousands of projects
DEFAULT_REFRESH = 2                 # seconds; ?refresh=0 turns the meta refresh off
SECRET_HEADERS = ("authorization", "x-auth-token", "x-subject-token", "x-security-token")
_SIGNATURE = re.compile(r"(Signature=)[^,\s]+", re.IGNORECASE)


# -- recent requests ---------------------------------------------------------------------------------

def mask_header(name: str, value: str) -> str:
    """A header value safe to log or show: AK/SK signatures and tokens are replaced by ***."""
    if name.lower() not in SECRET_HEADERS:
        return value
    if name.lower() == "authorization" and "Signature=" in value:
        return _SIGNATURE.sub(r"\1***", value)  # keep the scheme and the access key: they help debugging
    return "***"


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: mask_header(k, v) for k, v in headers.items()}


def _caller(auth: str, token: bool) -> str:
    """Who called, for the table: the AK of a signed call, or "token", or "-" (never the secret).

    Worked out when the page is shown, not on every request (the hook below is on the hot path)."""
    if auth:
        access = re.search(r"Access=([^,\s]+)", auth)
        return f"AK {access.group(1)}" if access else mask_header("Authorization", auth)
    return "token" if token else "-"


# -- the page ----------------------------------------------------------------------------------------

@bp.get("/ui")
def ui() -> Response:
    only = request.args.get("project_id") or None
    refresh = _refresh(request.args.get("refresh"))
    state = control_api.state().get_json()        # the same dump as GET /_emulator/state
    transitions = control_api.get_transitions().get_json()["transitions"]
    with current_app.config["DB"].read() as tx:
        rules = faults.listed(tx)
    offset, overrides = state.get("offset_seconds", 0.0), state.get("overrides", {})
    projects = {pid: p for pid, p in state["projects"].items() if only in (None, pid)}
    page = render_template_string(
        PAGE, script=SCRIPT, version=__version__, now=_iso(state["now"]), offset=_seconds(offset), refresh=refresh,
        only=only, scope_body=json.dumps({"project_id": only} if only else {}),
        scope_query=f"?project_id={only}" if only else "",
        projects=[_project_row(pid, p, overrides.get(pid, {})) for pid, p in projects.items()],
        rows={name: [r for pid, p in projects.items() for r in build(pid, p)] for name, build in rows.ROWS.items()},
        other=_other_resources(projects), jobs=_jobs(projects), transitions=transitions, faults=rules,
        snapshots=snaps.listing(current_app.config["DB"]),
        requests=[{**r, "caller": _caller(r["auth"], r["token"])} for r in pipeline.recent(current_app)],
        max_rows=MAX_ROWS)
    resp = Response(page, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _refresh(raw: str | None) -> int:
    try:
        return max(0, min(int(raw), 3600)) if raw is not None else DEFAULT_REFRESH
    except ValueError:
        return DEFAULT_REFRESH


def _iso(epoch: float | str) -> str:
    if isinstance(epoch, str):  # already ISO (one format for `now` everywhere)
        return epoch
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _seconds(value: Any) -> str:
    return "" if value is None else f"{float(value):g}"


def _project_row(pid: str, p: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """One project; `own` is its entry in /state's `overrides` (its clock offset and transition overrides)."""
    counts = {name: len(build(pid, p)) for name, build in rows.ROWS.items()}
    pending = sum(1 for j in p.get("jobs", []) if j.get("settles"))
    frozen = " (frozen)" if own.get("frozen") else ""
    policies = ", ".join(f"{op}={policy}" for op, policy in sorted((own.get("transitions") or {}).items()))
    return {"id": pid, "name": p.get("name"), "region": p.get("region"), "pending": pending,
            "jobs": len(p.get("jobs", [])), "offset": _seconds(own.get("offset_seconds", 0)) + frozen,
            "overrides": policies, **counts}


def _other_resources(projects: dict[str, Any]) -> list[dict[str, Any]]:
    known = {*rows.SHOWN, "backups", "jobs", "region", "name"}
    return [{"project": pid, "kind": kind, "id": e.get("id"), "name": e.get("name") or "",
             "status": e.get("status") or "", "next_run": e.get("next_run")}  # next_run: backup policies
            for pid, p in projects.items() for kind, items in p.items()
            if kind not in known and isinstance(items, list) for e in items if isinstance(e, dict)]


def _jobs(projects: dict[str, Any]) -> list[dict[str, Any]]:
    rows_ = [{"project": pid, "percent": _percent(j.get("progress")), **j}
             for pid, p in projects.items() for j in p.get("jobs", [])]
    return sorted(rows_, key=lambda j: (not j.get("settles"), j["project"]))  # pending first


def _percent(progress: float | None) -> str:
    return "" if progress is None else f"{round(progress * 100)}%"
