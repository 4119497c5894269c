"""GET /_emulator/openapi.json: an OpenAPI 3 document of every route, generated (never hand-written) from
app.url_map, each view's marshmallow request schema (apispec's MarshmallowPlugin) and the query parameters the
view reads. Responses: any JSON on 2XX; on 4XX/5XX the error body of the service that owns the route.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from marshmallow import Schema
from werkzeug.routing import Rule

from ims_emulator.api.errors import control_error
from ims_emulator.domain.errors import SERVICE_FORMATS

SERVICE = "control"
bp = Blueprint("openapi", __name__, url_prefix="/_emulator")

# the error body each service answers with (api/errors.py builds them); the gateway's for auth/unknown routes
ERROR_BODIES: dict[str, dict[str, Any]] = {
    "nested": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {
        "error": {"type": "object", "required": ["message", "code"], "additionalProperties": False,
                  "properties": {"message": {"type": "string"}, "code": {"type": "string"}}}}},
    "flat": {"type": "object", "required": ["error_code", "error_msg"], "not": {"required": ["error"]},
             "properties": {"error_code": {"type": "string"}, "error_msg": {"type": "string"}}},
    "gateway": {"type": "object", "required": ["error_msg", "error_code", "request_id"], "additionalProperties": False,
                "properties": {"error_msg": {"type": "string"}, "error_code": {"type": "string"},
                               "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}},
    "control": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
}
FORMAT_OF = {**{service: fmt for service, (_, fmt) in SERVICE_FORMATS.items()}, "control": "control"}
BODY_READERS = {"body_json", "_object_body", "json_body", "get_json", "_load", "load"}
QUERY_RE = re.compile(r"""(?:request\.args\.get(?:list)?|query_int|_query\w*|args\.get)\(\s*["']([\w.:-]+)["']""")
CONVERTER_RE = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
JSON_PATCH = "application/openstack-images-v2.1-json-patch"
MIMETYPE_RE = re.compile(r"""mimetype=["']([\w/+.-]+)["']""")


@bp.get("/openapi.json")
def openapi() -> Response:
    try:
        return jsonify(build(current_app))
    except ImportError:  # apispec is a runtime dependency; say so instead of a 500
        return control_error(501, "install apispec to serve the OpenAPI document")


def build(app: Flask) -> dict[str, Any]:
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    plugin = MarshmallowPlugin(schema_name_resolver=_nested_name)
    spec = APISpec(title="ims-emulator", version="1", openapi_version="3.0.3", plugins=[plugin])
    for name, body in ERROR_BODIES.items():
        spec.components.schema(f"Error_{name}", body)
    spec.components.security_scheme("token", {"type": "apiKey", "in": "header", "name": "X-Auth-Token"})
    known: dict[type[Schema], str] = {}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods or ()))):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        service = app.config["SERVICE_OF"].get(rule.endpoint.split(".", 1)[0], "ims")
        path, params = _path(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = _operation(spec, known, view, service, method, params)
            paths.setdefault(path, {})[method.lower()] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


def _nested_name(schema: Any) -> str:
    """Nested schemas are named after their module too: csbs.Tag and ims.Tag are different things."""
    cls = schema if isinstance(schema, type) else type(schema)
    return f"{cls.__module__.rsplit('.', 1)[-1]}_{cls.__name__}"


def _path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """/v1/<project_id>/x/<any('a','b'):v> -> /v1/{project_id}/x/{v} and its path parameters."""
    params = []

    def repl(m: re.Match[str]) -> str:
        converter, args, name = m.groups()
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if converter == "any":
            schema = {"type": "string", "enum": [a.strip().strip("'\"") for a in (args or "").split(",")]}
        elif converter == "int":
            schema = {"type": "integer"}
        elif converter != "path":
            schema["pattern"] = "^[^/]+$"
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return CONVERTER_RE.sub(repl, rule.rule), params


def _operation(spec: Any, known: dict[type[Schema], str], view: Callable[..., Any], service: str, method: str,
               path_params: list[dict[str, Any]]) -> dict[str, Any]:
    error = {"$ref": f"#/components/schemas/Error_{FORMAT_OF.get(service, 'nested')}"}
    gateway = {"$ref": "#/components/schemas/Error_gateway"}
    errors = error if service == "control" else {"anyOf": [error, gateway]}  # flat and gateway overlap
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}",
        "summary": getattr(view, "op", view.__name__),
        "tags": [service],
        "parameters": [*path_params, *_query_params(view)],
        "responses": {"2XX": {"description": "success", "content": {_media_type(view): {"schema": {}}}},
                      "204": {"description": "success, no body"},
                      "4XX": {"description": "refused", "content": {"application/json": {"schema": errors}}},
                      "5XX": {"description": "failed", "content": {"application/json": {"schema": errors}}}},
    }
    if service != "control":
        op["security"] = [{"token": []}]
    body = _request_body(spec, known, view, method)
    if body is not None:
        op["requestBody"] = body
    return op


def _media_type(view: Callable[..., Any]) -> str:
    """What a view answers with: JSON unless it builds its Response with another mimetype (the dashboard)."""
    try:
        found = MIMETYPE_RE.findall(inspect.getsource(view))
    except (OSError, TypeError):
        found = []
    return found[0] if found else "application/json"


def _query_params(view: Callable[..., Any]) -> list[dict[str, Any]]:
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return []
    names = dict.fromkeys(QUERY_RE.findall(source))
    return [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names]


def _request_body(spec: Any, known: dict[type[Schema], str], view: Callable[..., Any],
                  method: str) -> dict[str, Any] | None:
    if method == "GET":
        return None
    schemas = request_schemas(view)
    names = set(view.__code__.co_names)
    if not schemas and not (names & BODY_READERS):
        return None
    media = JSON_PATCH if method == "PATCH" else "application/json"
    if not schemas:
        return {"required": False, "content": {media: {"schema": {}}}}
    refs = [_component(spec, known, cls) for cls in schemas]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    return {"required": True, "content": {media: {"schema": schema}}}


def _component(spec: Any, known: dict[type[Schema], str], cls: type[Schema]) -> dict[str, str]:
    if cls not in known:
        name = cls.__name__
        if name in known.values():  # two modules with a schema of one name
            name = f"{cls.__module__.rsplit('.', 1)[-1]}_{name}"
        spec.components.schema(name, schema=cls)
        known[cls] = name
    return {"$ref": f"#/components/schemas/{known[cls]}"}


def request_schemas(view: Callable[..., Any]) -> list[type[Schema]]:
    """The marshmallow schemas a view loads its body with: names its code refers to, directly or as
    module.Attribute (e.g. `schemas.CreateImageBody()`), that resolve to Schema classes."""
    found: list[type[Schema]] = []
    code_names = view.__code__.co_names
    modules = [v for n in code_names if isinstance(v := view.__globals__.get(n), ModuleType)]
    for name in code_names:
        candidates = [view.__globals__.get(name), *(getattr(m, name, None) for m in modules)]
        for obj in candidates:
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj not in found:
                found.append(obj)
    return found
