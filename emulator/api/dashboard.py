"""GET /_emulator/ui: a read-only, server-rendered page of everything a test run has done.

Projects, servers, backups, images and jobs with their states and how pending work will settle,
the transition policies and fault rules in force, and the last requests this process answered
(an in-memory ring buffer per worker process; secrets in Authorization / X-Auth-Token are masked).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, render_template_string, request

from emulator import __version__
from emulator.api import control as control_api
from emulator.api import pipeline
from emulator.domain import faults
from emulator.store import snapshots as snaps

SERVICE = "control"
bp = Blueprint("dashboard", __name__, url_prefix="/_emulator")
MAX_ROWS = 500                      # per table: a long CI run makes thousands of projects
DEFAULT_REFRESH = 2                 # seconds; ?refresh=0 turns the meta refresh off
RESOURCE_GROUPS = ("servers", "backups", "images")
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
    projects = {pid: p for pid, p in state["projects"].items() if only in (None, pid)}
    page = render_template_string(
        PAGE, version=__version__, now=_iso(state["now"]), refresh=refresh, only=only,
        projects=[_project_row(pid, p) for pid, p in projects.items()],
        groups={g_: _resources(projects, g_) for g_ in RESOURCE_GROUPS}, other=_other_resources(projects),
        jobs=_jobs(projects), transitions=transitions, faults=rules, snapshots=snaps.listing(current_app.config["DB"]),
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


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _pending_by_entity(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {j["entity_id"]: j for j in project.get("jobs", []) if j.get("settles") and j.get("entity_id")}


def _project_row(pid: str, p: dict[str, Any]) -> dict[str, Any]:
    counts = {g_: len(p.get(g_, [])) for g_ in (*RESOURCE_GROUPS, "volumes")}
    pending = sum(1 for j in p.get("jobs", []) if j.get("settles"))
    return {"id": pid, "name": p.get("name"), "region": p.get("region"), "pending": pending,
            "jobs": len(p.get("jobs", [])), **counts}


def _resources(projects: dict[str, Any], group: str) -> list[dict[str, Any]]:
    rows = []
    for pid, p in projects.items():
        pending = _pending_by_entity(p)
        for e in p.get(group, []):
            job = pending.get(e["id"])
            rows.append({"project": pid, "id": e["id"], "name": e.get("name") or "", "status": e.get("status") or "",
                         "settles": f"{job['op']}: {job['settles']}" if job else ""})
    return rows


def _other_resources(projects: dict[str, Any]) -> list[dict[str, Any]]:
    known = {*RESOURCE_GROUPS, "volumes", "jobs", "region", "name"}
    return [{"project": pid, "kind": kind, "id": e.get("id"), "name": e.get("name") or "",
             "status": e.get("status") or "", "next_run": e.get("next_run")}  # next_run: backup policies
            for pid, p in projects.items() for kind, items in p.items()
            if kind not in known and isinstance(items, list) for e in items]


def _jobs(projects: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"project": pid, "percent": _percent(j.get("progress")), **j}
            for pid, p in projects.items() for j in p.get("jobs", [])]
    return sorted(rows, key=lambda j: (not j.get("settles"), j["project"]))  # pending first


def _percent(progress: float | None) -> str:
    return "" if progress is None else f"{round(progress * 100)}%"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
{% if refresh %}<meta http-equiv="refresh" content="{{ refresh }}">{% endif %}
<title>ims-emulator dashboard</title>
<style>
 body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
 h1{font-size:18px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px}
 table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:4px}
 th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
 th{background:#f0f0f0} td.id{font-family:monospace;font-size:12px} .muted{color:#777}
 .st{padding:1px 6px;border-radius:8px;background:#e8e8e8;font-weight:600}
 .st-active,.st-available,.st-success,.st-shutoff{background:#d7f5dd}
 .st-running,.st-init,.st-queued,.st-saving,.st-protecting,.st-creating,.st-deleting,.st-restoring{background:#fff2c6}
 .st-fail,.st-error,.st-killed{background:#ffd6d6} .s5{color:#b00} .s4{color:#a60}
</style></head><body>
<h1>ims-emulator {{ version }}</h1>
<div class="muted">virtual now {{ now }} &middot; {% if refresh %}refreshes every {{ refresh }} s
 (<a href="?refresh=0{% if only %}&amp;project_id={{ only }}{% endif %}">stop</a>){% else %}not refreshing{% endif %}
 {% if only %}&middot; project {{ only }} (<a href="?">all</a>){% endif %} &middot; read-only</div>

<h2>Projects ({{ projects|length }})</h2>
<table id="projects"><thead><tr><th>project</th><th>name</th><th>region</th><th>servers</th><th>volumes</th>
<th>backups</th><th>images</th><th>jobs</th><th>pending</th></tr></thead><tbody>
{% for p in projects[:max_rows] %}<tr><td class="id"><a href="?project_id={{ p.id }}">{{ p.id }}</a></td>
<td>{{ p.name }}</td><td>{{ p.region }}</td><td>{{ p.servers }}</td><td>{{ p.volumes }}</td>
<td>{{ p.backups }}</td><td>{{ p.images }}</td>
<td>{{ p.jobs }}</td><td>{{ p.pending }}</td></tr>{% endfor %}
</tbody></table>

{% for group in ("servers", "backups", "images") %}
<h2>{{ group|capitalize }} ({{ groups[group]|length }})</h2>
<table id="{{ group }}"><thead><tr><th>name</th><th>id</th><th>status</th><th>pending work settles</th>
<th>project</th></tr></thead><tbody>
{% for r in groups[group][:max_rows] %}<tr><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td><span class="st st-{{ r.status|lower }}">{{ r.status }}</span></td><td>{{ r.settles }}</td>
<td class="id">{{ r.project[:8] }}</td></tr>{% endfor %}
</tbody></table>
{% endfor %}
{% if other %}<h2>Other resources ({{ other|length }})</h2>
<table id="other"><thead><tr><th>kind</th><th>name</th><th>id</th><th>status</th><th>project</th></tr></thead><tbody>
{% for r in other[:max_rows] %}<tr><td>{{ r.kind }}</td><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td><span class="st st-{{ r.status|lower }}">{{ r.status }}</span>
{% if r.next_run %} next run {{ r.next_run }} virtual{% endif %}</td>
<td class="id">{{ r.project[:8] }}</td></tr>
{% endfor %}</tbody></table>{% endif %}

<h2>Jobs ({{ jobs|length }})</h2>
<table id="jobs"><thead><tr><th>operation</th><th>job id</th><th>status</th><th>policy</th><th>settles</th>
<th>progress</th><th>entity</th><th>error</th><th>project</th></tr></thead><tbody>
{% for j in jobs[:max_rows] %}<tr><td>{{ j.op }}</td><td class="id">{{ j.id }}</td>
<td><span class="st st-{{ j.status|lower }}">{{ j.status }}</span></td><td>{{ j.policy }}</td>
<td>{{ j.settles or "" }}</td><td>{{ j.percent }}</td>
<td class="id">{{ j.entity_kind or "" }} {{ j.entity_id or "" }}</td>
<td>{{ j.error_code or "" }}{% if j.fail_reason %}: {{ j.fail_reason }}{% endif %}</td>
<td class="id">{{ j.project[:8] }}</td></tr>{% endfor %}
</tbody></table>

<h2>Transition policies</h2>
<table id="transitions"><thead><tr><th>operation</th><th>policy</th></tr></thead><tbody>
{% for op, policy in transitions.items() %}<tr><td>{{ op }}</td><td>{{ policy }}</td></tr>{% endfor %}
</tbody></table>

<h2>Fault rules ({{ faults|length }})</h2>
<table id="faults"><thead><tr><th>id</th><th>operations</th><th>action</th><th>detail</th><th>project</th>
<th>fired / matched</th></tr></thead><tbody>
{% for f in faults %}<tr><td class="id">{{ f.id }}</td><td>{{ f.operations|join(", ") }}</td><td>{{ f.action }}</td>
<td>{{ f.error_code or "" }} {{ f.status or "" }} {% if f.delay_ms %}{{ f.delay_ms }} ms{% endif %}
{% if f.times %}&times;{{ f.times }}{% endif %} {{ f.message or "" }}</td>
<td class="id">{{ f.project_id or "any" }}</td><td>{{ f.fired }} / {{ f.matched }}</td></tr>{% endfor %}
</tbody></table>

{% if snapshots %}<h2>Snapshots</h2>
<div id="snapshots">{% for s in snapshots %}<code>{{ s.name }}</code> {% endfor %}</div>{% endif %}

<h2>Last requests ({{ requests|length }}, this process, newest first)</h2>
<table id="requests"><thead><tr><th>method</th><th>path</th><th>status</th><th>operation</th><th>request id</th>
<th>caller</th><th>ms</th></tr></thead><tbody>
{% for r in requests %}<tr><td>{{ r.method }}</td><td class="id">{{ r.path }}</td>
<td class="s{{ (r.status // 100) }}">{{ r.status }}</td><td>{{ r.op }}</td><td class="id">{{ r.request_id }}</td>
<td class="id">{{ r.caller }}</td><td>{{ r.ms }}</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""
