"""Which operations of the official SDK clients and of the CSBS v1 API the emulator serves.

The operation lists are data (operations.json, generated from the installed SDKs by
`python -m ims_emulator.coverage.generate`, i.e. `make coverage`); "emulated" is derived from the app's own
routes, so the running server needs no SDK and the answer cannot drift from what is served.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

DATA = "operations.json"
_VAR = re.compile(r"^\{[^}]+\}$")
_RULE_VAR = re.compile(r"^<(?:(\w+)(?:\((.*)\))?:)?\w+>$")


@lru_cache(maxsize=1)
def operations() -> dict[str, Any]:
    """{"sdk_versions": {...}, "services": {service: {"client", "operations": [{"name", "method", "path"}]}}}."""
    return json.loads((files(__package__) / DATA).read_text(encoding="utf-8"))


def _rule_segments(rule: Rule) -> list[str | frozenset[str] | None]:
    """Per path segment: a literal, a set of literals (an `any(...)` converter), or None (any value)."""
    out: list[str | frozenset[str] | None] = []
    for seg in rule.rule.strip("/").split("/"):
        m = _RULE_VAR.match(seg)
        if not m:
            out.append(seg)
        elif m.group(1) == "any":
            out.append(frozenset(v.strip().strip("'\"") for v in m.group(2).split(",")))
        else:
            out.append(None)
    return out


def _matches(segments: list[str | frozenset[str] | None], path: str) -> bool:
    """Same shape: a path variable only where the route has one, literals equal (or allowed by any(...))."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) != len(segments):
        return False
    for part, seg in zip(parts, segments, strict=True):
        variable = bool(_VAR.match(part))
        if seg is None:
            if not variable:
                return False  # a literal path (e.g. /cloudservers/flavors) caught by an id route is not served
        elif isinstance(seg, frozenset):
            if not variable and part not in seg:  # a variable here (GET /{version}) is served for the listed values
                return False
        elif variable or part != seg:
            return False
    return True


# which route services may answer an SDK client's operations (Glance paths are IMS's SDK operations)
ANSWERED_BY = {"ims": {"ims", "glance"}}


def _route_services(app: Flask) -> dict[str, set[str]]:
    """endpoint -> services it answers: its module's SERVICE, or a view's own `services` (a shared route)."""
    from ims_emulator.api import service_modules
    of_blueprint = {mod.bp.name: mod.SERVICE for mod in service_modules()}
    out = {}
    for endpoint, view in app.view_functions.items():
        own = getattr(view, "services", None)
        out[endpoint] = set(own) if own else {of_blueprint.get(endpoint.split(".", 1)[0], "")}
    return out


def _body_keys(view: Any) -> set[str] | None:
    """Top-level body keys a view's request schemas accept (None: it declares none, any body goes)."""
    from ims_emulator.api.openapi import request_schemas
    schemas = request_schemas(view)
    if not schemas:
        return None
    return {f.data_key or name for cls in schemas for name, f in cls().fields.items()}


def report(app: Flask) -> dict[str, Any]:
    """Every operation with emulated true/false, per service, with counts."""
    services_of = _route_services(app)
    rules = [(r, _rule_segments(r)) for r in app.url_map.iter_rules()
             if not r.rule.startswith(("/_emulator", "/static"))]
    services: dict[str, Any] = {}
    for name, svc in operations()["services"].items():
        allowed = ANSWERED_BY.get(name, {name})
        ops = [{**op, "emulated": _served(app, op, allowed, rules, services_of)} for op in svc["operations"]]
        services[name] = {"client": svc["client"], "emulated": sum(o["emulated"] for o in ops), "total": len(ops),
                          "operations": ops}
    return {"sdk_versions": operations()["sdk_versions"], "services": services}


def _served(app: Flask, op: dict[str, Any], allowed: set[str], rules: list[Any],
            services_of: dict[str, set[str]]) -> bool:
    for rule, segs in rules:
        if op["method"] not in (rule.methods or ()) or not services_of[rule.endpoint] & allowed:
            continue
        if not _matches(segs, op["path"]):
            continue
        keys = _body_keys(app.view_functions[rule.endpoint]) if op.get("body_key") else None
        if keys is None or op["body_key"] in keys:  # one path, several operations told apart by the body
            return True
    return False


def app_routes() -> Flask:
    """The routes of every service module, without a store (what `ims-emulator coverage` reads)."""
    from ims_emulator.api import service_modules
    app = Flask("coverage")
    for mod in service_modules():
        app.register_blueprint(mod.bp)
    return app


def render_markdown(rep: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in sorted(rep["sdk_versions"].items()))
    lines = ["# Coverage", "",
             "Which operations the emulator serves: every operation of the official SDK clients and of the CSBS v1",
             "API, matched against the app's routes. Generated by `make coverage` (do not edit by hand); also",
             "`ims-emulator coverage` and `GET /_emulator/coverage`.", "",
             f"SDKs: {versions}.", "",
             "| service | client | emulated |", "|---|---|---|"]
    lines += [f"| {name} | {svc['client']} | {svc['emulated']} of {svc['total']} |"
              for name, svc in rep["services"].items()]
    for name, svc in rep["services"].items():
        lines += ["", f"## {name}: {svc['client']}", "",
                  "| operation | method | path | emulated |", "|---|---|---|---|"]
        lines += [f"| `{o['name']}` | {o['method']} | `{o['path']}` | {'yes' if o['emulated'] else 'no'} |"
                  for o in svc["operations"]]
    return "\n".join(lines) + "\n"


def render_text(rep: dict[str, Any], missing_only: bool = False) -> str:
    lines = []
    for name, svc in rep["services"].items():
        lines.append(f"{name} ({svc['client']}): {svc['emulated']} of {svc['total']} emulated")
        lines += [f"  {'yes' if o['emulated'] else 'no ':3}  {o['name']:45} {o['method']:6} {o['path']}"
                  for o in svc["operations"] if not (missing_only and o["emulated"])]
    return "\n".join(lines) + "\n"


def add_parser(sub: Any) -> None:
    """`ims-emulator coverage [--format text|markdown|json] [--missing]` (registered by cli.py)."""
    cov = sub.add_parser("coverage", help="list the SDK and CSBS operations and whether each is emulated",
                         description="Every operation of ImsClient, EcsClient, EvsClient, CbrClient and the CSBS v1 "
                                     "API, emulated or not, from the app's routes (COVERAGE.md is this as markdown).")
    cov.add_argument("--format", dest="coverage_format", choices=("text", "markdown", "json"), default="text")
    cov.add_argument("--missing", action="store_true", help="text format: list only the operations not emulated")


def run(args: Any) -> int:
    rep = report(app_routes())
    if args.coverage_format == "json":
        print(json.dumps(rep, indent=1))
    elif args.coverage_format == "markdown":
        print(render_markdown(rep), end="")
    else:
        print(render_text(rep, args.missing), end="")
    return 0
