"""Numbers cannot crash it (issue 15 #2, #3): one parser, ASCII digits within each parameter's bounds, NaN and
Infinity refused on the way in and never written. The generated test drives every integer parameter of every
route (ims_emulator/domain/numbers.PARAMETERS) with hostile values over HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from ims_emulator.app import create_app
from ims_emulator.domain import numbers
from ims_emulator.settings import Settings
from tests.ims_support import seed_cbr
from tests.reliability_support import state
from tests.support import Api, Control, InProcessServer, new_project, server_spec

DEEP = os.environ.get("IMS_EMULATOR_DEEP") == "1"
# what a hostile client sends: as query text, and as the JSON text of a body value (an empty query value is absent)
BAD = ["²", "-1", str(2 ** 63), "1e400", "NaN"]
BAD_DEEP = [" 1", "1 ", "+1", "0x10", "１", "1.0", "١", "9" * 5000, str(2 ** 31), "-0", "1_000", "Infinity"]
BAD_JSON = ['"²"', "-1", str(2 ** 63), "1e400", "NaN"]
BAD_JSON_DEEP = ["-Infinity", "Infinity", "1.5", "true", "null", '"1e3"', '" 1"', '"-1"', "[1]", "{}", "9" * 5000]
NESTED = ("ims", "glance", "ecs", "evs")


def test_the_parser_takes_ascii_digits_within_bounds_only():
    b = numbers.Bounds(1, 1000)
    assert [numbers.parse(v, b) for v in ("1", "0001000", 7, "1000")] == [1, 1000, 7, 1000]
    for bad in ("²", "١", "１", "-1", "+1", " 1", "", "1.0", "1e3", "NaN", "0", "1001", "9" * 5000, True, 1.0,
                None, 2 ** 63, -1):
        assert numbers.parse(bad, b) is None, bad


# -- the generated test over every route and every integer parameter --------------------------------

@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    server = InProcessServer()
    project = new_project()
    control = Control(server.url)
    spec = server_spec(status="SHUTOFF")
    control.seed(project, [spec])
    api = Api(server.url, project)
    job = api.post("/v2/cloudimages/action", {"name": "img", "instance_id": spec["id"]}).json()["job_id"]
    image_id = api.get(f"/v1/{project}/jobs/{job}").json()["entities"]["image_id"]
    ids = {"project_id": project, "image_id": image_id, "backup_id": seed_cbr(control, project, spec["id"]),
           "rtype": "csbs_backup", "protectable_type": "server"}
    yield {"server": server, "api": api, "control": control, "ids": ids}
    server.stop()


def _routes() -> dict[str, tuple[str, str]]:
    """operation -> (method, path template) from the app's own URL map, so a renamed route is followed."""
    app = create_app(Settings(db=":memory:", world="none", quiet=True))
    found: dict[str, tuple[str, str]] = {}
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "op", None)
        if op in numbers.PARAMETERS and op not in found:
            method = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0]
            found[op] = (method, rule.rule)
    return found


ROUTES = _routes()


def _cases() -> list[Any]:
    out = []
    for op, places in sorted(numbers.PARAMETERS.items()):
        for where, params in places.items():
            values = (BAD + (BAD_DEEP if DEEP else [])) if where == "query" else \
                (BAD_JSON + (BAD_JSON_DEEP if DEEP else []))
            for name in params:
                out += [pytest.param(op, where, name, v, id=f"{op}-{where}-{name}-{v[:12]!r}") for v in values]
    return out


def _path(template: str, ids: dict[str, str]) -> str:
    import re
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: ids[m.group(1)], template)


def _send(world: dict[str, Any], op: str, where: str, name: str, value: str) -> Any:
    method, template = ROUTES[op]
    path = _path(template, world["ids"])
    api: Api = world["api"]
    if where == "query":
        return api.call(method, path, params={name: value})
    if where == "body":
        return api.call(method, path, f'{{"action": "filter", "{name}": {value}}}',
                        headers={"Content-Type": "application/json"})
    patch = f'[{{"op": "replace", "path": "/{name}", "value": {value}}}]'
    return api.call(method, path, patch, headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})


def test_every_parameter_of_the_table_has_a_route():
    assert set(ROUTES) == set(numbers.PARAMETERS)


def test_every_integer_query_parameter_a_view_reads_is_in_the_table():
    """A new route reading query_int("x") without a table entry would escape the generated test."""
    import inspect
    import re
    app = create_app(Settings(db=":memory:", world="none", quiet=True))
    missing = []
    for view in set(app.view_functions.values()):
        for name in re.findall(r"""query_int\(\s*["'](\w+)["']""", inspect.getsource(view)):
            if name not in numbers.PARAMETERS.get(getattr(view, "op", ""), {}).get("query", {}):
                missing.append(f"{getattr(view, 'op', view.__name__)} {name}")
    assert missing == []


@pytest.mark.parametrize(("op", "where", "name"), [
    (op, where, name) for op, places in sorted(numbers.PARAMETERS.items()) for where, ps in places.items()
    for name in ps])
def test_a_value_within_bounds_is_taken(world, op, where, name):
    bounds = numbers.PARAMETERS[op][where][name]
    # bodies carry limit/offset as strings holding numbers (IMS takes only those, CSBS both)
    resp = _send(world, op, where, name, str(bounds.lo) if where == "query" else json.dumps(str(bounds.lo)))
    assert resp.status_code < 300, resp.text[:300]


@pytest.mark.parametrize(("op", "where", "name", "value"), _cases())
def test_a_hostile_number_is_the_services_4xx_and_changes_nothing(world, op, where, name, value):
    before = state(world["control"])
    resp = _send(world, op, where, name, value)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    body = resp.json()
    if op.split(".")[0] in NESTED:
        assert set(body) == {"error"} and set(body["error"]) == {"message", "code"}, body
    else:
        assert {"error_code", "error_msg"} <= set(body), body
    assert state(world["control"]) == before


# -- issue 15 #2 and #3 as written ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def plain() -> Iterator[tuple[InProcessServer, Api]]:
    server = InProcessServer()
    api = Api(server.url, new_project())
    api.get("/v2/cloudimages")  # register the project first: "nothing stored" compares states after that
    yield server, api
    server.stop()


@pytest.mark.parametrize("path", [
    "/v1/{project_id}/cloudservers/detail?offset=9223372036854775808",
    "/v1/{project_id}/checkpoint_items?limit=9223372036854775807",
    "/v2/cloudimages?limit=%C2%B2", "/v2/images?limit=%C2%B2", "/v2/cloudimages?min_disk=%C2%B2",
    "/v2/cloudimages?min_ram=%C2%B2", "/v1/{project_id}/checkpoint_items?limit=%C2%B2",
    "/v1/{project_id}/checkpoint_items?offset=%C2%B2", "/v1/{project_id}/policies?limit=%C2%B2",
    "/v1/{project_id}/policies?offset=%C2%B2"])
def test_issue_15_numbers_in_query_strings_are_a_400(plain, path):
    resp = plain[1].get(path)
    assert resp.status_code == 400, resp.text


@pytest.mark.parametrize("path", ["/v1/{project_id}/csbs_backup/resource_instances/action",
                                  "/v2/{project_id}/images/resource_instances/action"])
def test_issue_15_superscript_limits_in_resource_instances_bodies_are_a_400(plain, path):
    resp = plain[1].post(path, {"action": "filter", "limit": "²"})
    assert resp.status_code == 400, resp.text


def test_issue_15_nan_in_a_policy_is_refused_and_never_written(plain):
    server, api = plain
    body = ('{"policy": {"name": "p", "parameters": {"common": {"x": NaN}}, "provider_id": '
            '"fc4d5750-22e7-4798-8a46-f48f62c4c1da", "resources": [], "scheduled_operations": []}}')
    resp = api.post("/v1/{project_id}/policies", body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error_code"] == "CSBS.9001", resp.text
    for text in (api.get("/v1/{project_id}/policies").text, Control(server.url).get("/state").text):
        json.loads(text, parse_constant=_refuse)  # strict JSON: no NaN / Infinity anywhere


def _refuse(token: str) -> None:
    raise AssertionError(f"non-strict JSON constant {token}")


def test_issue_15_ecs_0005_keeps_the_parameter_name(plain):
    resp = plain[1].get("/v1/{project_id}/cloudservers/detail?limit=%C2%B2")
    assert resp.status_code == 400
    assert resp.json()["error"] == {"message": "Invalid request parameter: limit.", "code": "Ecs.0005"}


@pytest.mark.parametrize(("path", "body"), [
    ("/v2/{project_id}/images/resource_instances/action", {"action": "filter", "without_any_tag": 0}),
    ("/v2/{project_id}/images/resource_instances/action", {"action": "count", "without_any_tag": 1}),
    ("/v2/{project_id}/images/resource_instances/action", {"action": "count", "without_any_tag": "true"}),
    ("/v2/images", {"name": "n", "container_format": "bare", "disk_format": "vhd", "protected": 1}),
])
def test_issue_15_ims_booleans_take_true_and_false_only(plain, path, body):
    server, api = plain
    before = state(Control(server.url))
    resp = api.post(path, body)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "IMG.0001", resp.text
    assert state(Control(server.url)) == before
    key = next(k for k in ("without_any_tag", "protected") if k in body)
    assert api.post(path, {**body, key: False}).status_code < 300


# -- every integer field of every request body (generated from the marshmallow schemas) -------------------

def _integer_fields() -> list[Any]:
    import importlib
    import pkgutil

    import marshmallow
    from marshmallow import fields as mf

    import ims_emulator.api
    for mod in pkgutil.walk_packages(ims_emulator.api.__path__, "ims_emulator.api."):
        importlib.import_module(mod.name)
    seen, out = set(), []
    todo = list(marshmallow.Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls in seen or not cls.__module__.startswith("ims_emulator.api"):
            continue
        seen.add(cls)
        for name, field in cls._declared_fields.items():
            if isinstance(field, mf.Integer):
                out.append(pytest.param(cls, name, id=f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}.{name}"))
    return sorted(out, key=lambda p: p.id)


@pytest.mark.parametrize(("schema", "name"), _integer_fields())
def test_every_integer_body_field_refuses_what_the_store_cannot_hold(schema, name):
    """2**63 and '²' never load (nor true and 1.5 where the field is strict: CSBS/CBR also take "10"); -1 neither,
    unless the field declares negative values (-1 = unlimited)."""
    from marshmallow import ValidationError, validate
    field = schema._declared_fields[name]
    key = field.data_key or name
    negative_ok = any(isinstance(v, validate.Range) and (v.min is None or v.min < 0) for v in field.validators)
    for bad in [2 ** 63, "²", *([True, 1.5] if field.strict else []), *([] if negative_ok else [-1])]:
        with pytest.raises(ValidationError) as err:
            schema().load({key: bad}, partial=True)
        assert key in json.dumps(err.value.messages), (bad, err.value.messages)
