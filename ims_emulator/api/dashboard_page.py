"""The dashboard's HTML: one server-rendered page; its buttons call the control API (a few lines of script)."""

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
 .st-active,.st-available,.st-success,.st-shutoff,.st-in-use{background:#d7f5dd}
 .st-running,.st-init,.st-queued,.st-saving,.st-protecting,.st-creating,.st-deleting,.st-restoring{background:#fff2c6}
 .st-fail,.st-error,.st-killed{background:#ffd6d6} .s5{color:#b00} .s4{color:#a60}
 .flag{padding:1px 6px;border-radius:8px;background:#ffe0b2;font-weight:600} tr:target{outline:2px solid #4a90d9}
 #controls{margin:10px 0;padding:8px;background:#fff;border:1px solid #ddd} #controls button,td button{margin-right:6px}
 #action-result{font-family:monospace;font-size:12px;margin-top:6px;white-space:pre-wrap}
</style></head><body>
<h1>ims-emulator {{ version }}</h1>
<div class="muted">virtual now <span id="clock">{{ now }}</span> (offset {{ offset }} s) &middot;
 {% if refresh %}refreshes every {{ refresh }} s
 (<a href="?refresh=0{% if only %}&amp;project_id={{ only }}{% endif %}">stop</a>){% else %}not refreshing{% endif %}
 {% if only %}&middot; project {{ only }} (<a href="?">all</a>){% endif %}</div>

<div id="controls">
 <button id="settle" data-method="POST" data-path="/_emulator/settle" data-body='{{ scope_body }}'>Settle pending
  work{% if only %} of this project{% endif %}</button>
 <input id="advance-seconds" type="number" min="1" value="3600" style="width:6em" aria-label="seconds"> s
 <button id="advance" data-method="POST" data-path="/_emulator/clock/advance" data-seconds="advance-seconds">Advance
  the clock</button>
 <button id="clear-faults" data-method="DELETE" data-path="/_emulator/faults{{ scope_query }}">Clear fault
  rules{% if only %} of this project{% endif %}</button>
 <button id="reset-all" data-method="POST" data-path="/_emulator/reset" data-body='{"scope": "all"}'
  data-confirm="Reset everything (all projects, fault rules, clock)?">Reset all</button>
 <div id="action-result" class="muted"></div>
</div>

<h2>Projects ({{ projects|length }})</h2>
<table id="projects"><thead><tr><th>project</th><th>name</th><th>region</th><th>clock offset (s)</th>
<th>transition overrides</th>
<th>servers</th>
<th>volumes</th><th>backups</th><th>images</th><th>jobs</th><th>pending</th><th></th></tr></thead><tbody>
{% for p in projects[:max_rows] %}<tr><td class="id"><a href="?project_id={{ p.id }}">{{ p.id }}</a></td>
<td>{{ p.name }}</td><td>{{ p.region }}</td><td>{{ p.offset }}</td><td>{{ p.overrides }}</td>
<td>{{ p.servers }}</td><td>{{ p.volumes }}</td>
<td>{{ p.backups }}</td><td>{{ p.images }}</td><td>{{ p.jobs }}</td><td>{{ p.pending }}</td>
<td><button class="reset-project" data-method="POST" data-path="/_emulator/reset"
 data-body='{{ {"project_id": p.id}|tojson }}'>reset</button><button class="settle-project" data-method="POST"
 data-path="/_emulator/settle" data-body='{{ {"project_id": p.id}|tojson }}'>settle</button></td></tr>{% endfor %}
</tbody></table>

{% macro cell(l) %}{% if l %}{% if l.href %}<a href="{{ l.href }}">{{ l.text }}</a>{% else %}{{ l.text }}{% endif %}
{%- endif %}{% endmacro %}
{% macro status(s) %}<span class="st st-{{ s|lower }}">{{ s }}</span>{% endmacro %}

<h2>Servers ({{ rows.servers|length }})</h2>
<table id="servers"><thead><tr><th>name</th><th>id</th><th>status</th><th>pending work settles</th>
<th>project</th></tr></thead><tbody>
{% for r in rows.servers[:max_rows] %}<tr id="server-{{ r.id }}"><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td>{{ status(r.status) }}</td><td>{{ r.settles }}</td><td class="id">{{ r.project[:8] }}</td></tr>{% endfor %}
</tbody></table>

<h2>Volumes ({{ rows.volumes|length }})</h2>
<table id="volumes"><thead><tr><th>name</th><th>id</th><th>size (GB)</th><th>bootable</th><th>shareable</th>
<th>server</th><th>status</th><th>project</th></tr></thead><tbody>
{% for r in rows.volumes[:max_rows] %}<tr id="volume-{{ r.id }}"><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td>{{ r.size }}</td><td>{{ "yes" if r.bootable else "no" }}</td>
<td>{% if r.shareable %}<span class="flag">shareable</span>{% else %}no{% endif %}</td>
<td>{{ cell(r.server) }} {{ r.device }}</td><td>{{ status(r.status) }}</td><td class="id">{{ r.project[:8] }}</td></tr>
{% endfor %}</tbody></table>

<h2>Backups ({{ rows.backups|length }})</h2>
<table id="backups"><thead><tr><th>name</th><th>id</th><th>type</th><th>status</th><th>server</th>
<th>image made from it</th><th>pending work settles</th><th>project</th></tr></thead><tbody>
{% for r in rows.backups[:max_rows] %}<tr id="backup-{{ r.id }}"><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td>{{ r.type }}</td><td>{{ status(r.status) }}</td><td>{{ cell(r.server) }}</td>
<td>{% for i in r.images %}{{ cell(i) }} {% endfor %}</td><td>{{ r.settles }}</td>
<td class="id">{{ r.project[:8] }}</td></tr>{% endfor %}
</tbody></table>

<h2>Images ({{ rows.images|length }})</h2>
<table id="images"><thead><tr><th>name</th><th>id</th><th>kind</th><th>status</th><th>made from</th>
<th>pending work settles</th><th>project</th></tr></thead><tbody>
{% for r in rows.images[:max_rows] %}<tr id="image-{{ r.id }}"><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td>{{ r.kind }}</td><td>{{ status(r.status) }}</td><td>{{ r.source_type }} {{ cell(r.source) }}</td>
<td>{{ r.settles }}</td><td class="id">{{ r.project[:8] }}</td></tr>{% endfor %}
</tbody></table>

{% if other %}<h2>Other resources ({{ other|length }})</h2>
<table id="other"><thead><tr><th>kind</th><th>name</th><th>id</th><th>status</th><th>next run</th><th>project</th>
</tr></thead><tbody>
{% for r in other[:max_rows] %}<tr><td>{{ r.kind }}</td><td>{{ r.name }}</td><td class="id">{{ r.id }}</td>
<td>{{ status(r.status) }}</td><td>{% if r.next_run %}next run {{ r.next_run }} virtual{% endif %}</td>
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
<table id="requests"><thead><tr><th>method</th><th>path</th><th>status</th><th>error code</th><th>operation</th>
<th>request id</th><th>caller</th><th>ms</th></tr></thead><tbody>
{% for r in requests %}<tr><td>{{ r.method }}</td><td class="id">{{ r.path }}</td>
<td class="s{{ (r.status // 100) }}">{{ r.status }}</td><td class="s{{ (r.status // 100) }}">{{ r.error or "" }}</td>
<td>{{ r.op }}</td><td class="id">{{ r.request_id }}</td><td class="id">{{ r.caller }}</td><td>{{ r.ms }}</td></tr>
{% endfor %}</tbody></table>
<script>{{ script|safe }}</script>
</body></html>
"""


SCRIPT = """
// Each button calls the control API (the same calls a test makes), shows the answer, and reloads the page.
const shown = sessionStorage.getItem("ims-emulator-action");
if (shown) {
  document.getElementById("action-result").textContent = shown;
  sessionStorage.removeItem("ims-emulator-action");
}
document.querySelectorAll("button[data-path]").forEach((button) => button.addEventListener("click", async () => {
  const d = button.dataset;
  if (d.confirm && !window.confirm(d.confirm)) return;
  let body = d.body;
  if (d.seconds) body = JSON.stringify({seconds: Number(document.getElementById(d.seconds).value)});
  const init = {method: d.method, headers: {"Content-Type": "application/json"}};
  if (d.method !== "DELETE") init.body = body || "{}";
  const resp = await fetch(d.path, init);
  const text = (await resp.text()).slice(0, 300);
  sessionStorage.setItem("ims-emulator-action", `${d.method} ${d.path} -> ${resp.status} ${text}`);
  location.reload();
}));
"""
