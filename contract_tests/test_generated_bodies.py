"""Generated request bodies against every body-taking route: an invalid body (by the route's own marshmallow schema)
gets a 400 in the service's error format and changes nothing stored; a valid one never gets a 5xx."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema

from contract_tests.body_strategies import invalid_bodies, valid_bodies
from contract_tests.env import CSBS, Env
from contract_tests.fixtures import load_fixture
from ims_emulator.api import ecs as ecs_api
from ims_emulator.api.schemas import csbs as csbs_schemas
from ims_emulator.api.schemas import ecs as ecs_schemas
from ims_emulator.api.schemas import ims as ims_schemas
from ims_emulator.api.schemas import ims_extra
from tests.support import InProcessServer

# how each family answers a refused body: (body shape, code prefix)
FORMATS = {"ims": ("nested", "IMG."), "ecs": ("nested", "Ecs."), "csbs": ("flat", "CSBS.")}
CONTROL_SCHEMAS = {"world"}  # /_emulator seed format, not an emulated service's request
EXEMPT = {"CbrSeedBody": "control API seeding, not a service request",
          "ResourceTagBody": "only nested inside other bodies (covered through them)"}


class World:
    """The resources routes need in their paths, made once per module through the public API."""

    def __init__(self, url: str) -> None:
        self.env = Env(url)
        self.partner = Env(url)
        for env in (self.env, self.partner):  # a real project exists before its first call
            env.control.seed(env.project, [])

    @cached_property
    def server(self) -> str:
        return self.env.server(status="ACTIVE")["id"]

    @cached_property
    def image(self) -> str:
        return self.env.image()

    @cached_property
    def victim(self) -> str:
        """An image only the delete route uses (a valid delete body removes it; later examples then get 404)."""
        return self.env.image()

    @cached_property
    def queued(self) -> str:
        return self.env.call("POST", "/v2/images", {"name": "meta", "container_format": "bare",
                                                    "disk_format": "vmdk"}).expect(201)["id"]

    @cached_property
    def shared(self) -> str:
        self.env.call("POST", f"/v2/images/{self.image}/members", {"member": self.partner.project}).expect(200)
        return self.image

    @cached_property
    def item(self) -> str:
        return self.env.backup()["id"]

    @cached_property
    def policy(self) -> str:
        body = {"policy": {"name": "p", "provider_id": CSBS.rsplit("/", 1)[1], "parameters": {"common": {}},
                           "resources": [], "scheduled_operations": [{
                               "enabled": True, "operation_type": "backup", "operation_definition": {"max_backups": 1},
                               "trigger": {"properties": {"pattern": "BEGIN:VEVENT\nRRULE:FREQ=DAILY;BYHOUR=1;"
                                                                     "BYMINUTE=0\nEND:VEVENT"}}}]}}
        return self.env.call("POST", "/v1/{project_id}/policies", body).expect(200)["policy"]["id"]


@dataclasses.dataclass(frozen=True)
class Route:
    schema: type[Schema]
    method: str
    path: Callable[[World], str]
    family: str

    @property
    def name(self) -> str:
        return f"{self.schema.__name__} {self.method}"


IM, X, C, E = ims_schemas, ims_extra, csbs_schemas, ecs_schemas
ROUTES = [
    Route(IM.CreateImageBody, "POST", lambda w: "/v2/cloudimages/action", "ims"),
    Route(IM.CreateWholeImageBody, "POST", lambda w: "/v1/cloudimages/wholeimages/action", "ims"),
    Route(IM.CreateDataImageBody, "POST", lambda w: "/v1/cloudimages/dataimages/action", "ims"),
    Route(IM.QuickImportBody, "POST", lambda w: "/v2/cloudimages/quickimport/action", "ims"),
    Route(IM.RegisterImageBody, "PUT", lambda w: f"/v1/cloudimages/{w.queued}/upload", "ims"),
    Route(IM.ExportImageBody, "POST", lambda w: f"/v1/cloudimages/{w.image}/file", "ims"),
    Route(IM.CopyInRegionBody, "POST", lambda w: f"/v1/cloudimages/{w.image}/copy", "ims"),
    Route(IM.CopyCrossRegionBody, "POST", lambda w: f"/v1/cloudimages/{w.image}/cross_region_copy", "ims"),
    Route(IM.GlanceCreateBody, "POST", lambda w: "/v2/images", "ims"),
    Route(IM.GlanceDeleteBody, "DELETE", lambda w: f"/v2/images/{w.victim}", "ims"),
    Route(IM.ChangeOsBody, "POST", lambda w: f"/v2/{{project_id}}/cloudservers/{w.server}/changeos", "ecs"),
    Route(X.CreateOrUpdateTagsBody, "PUT", lambda w: "/v1/cloudimages/tags", "ims"),
    Route(X.TagListBody, "DELETE", lambda w: f"/v1/{{project_id}}/cloudimages/{w.image}/tags/delete", "ims"),
    Route(X.AddImageTagBody, "POST", lambda w: f"/v2/{{project_id}}/images/{w.image}/tags", "ims"),
    Route(X.BatchAddOrDeleteTagsBody, "POST", lambda w: f"/v2/{{project_id}}/images/{w.image}/tags/action", "ims"),
    Route(X.ListImageByTagsBody, "POST", lambda w: "/v2/{project_id}/images/resource_instances/action", "ims"),
    Route(X.BatchMembersBody, "POST", lambda w: "/v1/cloudimages/members", "ims"),
    Route(X.BatchMembersBody, "DELETE", lambda w: "/v1/cloudimages/members", "ims"),
    Route(X.BatchUpdateMembersBody, "PUT", lambda w: "/v1/cloudimages/members", "ims"),
    Route(X.GlanceAddMemberBody, "POST", lambda w: f"/v2/images/{w.image}/members", "ims"),
    Route(X.GlanceUpdateMemberBody, "PUT", lambda w: f"/v2/images/{w.shared}/members/{w.partner.project}", "ims"),
    Route(C.ResourcesAction, "POST", lambda w: f"{CSBS}/resources/action", "csbs"),
    Route(C.ProtectBody, "POST", lambda w: f"{CSBS}/resources/{w.server}/action", "csbs"),
    Route(C.RunPolicyBody, "POST", lambda w: f"{CSBS}/checkpoints", "csbs"),
    Route(C.RestoreBody, "POST", lambda w: "/v1/{project_id}/restores", "csbs"),
    Route(C.PolicyCreateBody, "POST", lambda w: "/v1/{project_id}/policies", "csbs"),
    Route(C.PolicyUpdateBody, "PUT", lambda w: f"/v1/{{project_id}}/policies/{w.policy}", "csbs"),
    Route(C.TagBody, "POST", lambda w: f"/v1/{{project_id}}/csbs_backup/{w.item}/tags", "csbs"),
    Route(C.TagsAction, "POST", lambda w: f"/v1/{{project_id}}/csbs_backup/{w.item}/tags/action", "csbs"),
    Route(C.ResourceInstances, "POST", lambda w: "/v1/{project_id}/csbs_backup/resource_instances/action", "csbs"),
    Route(C.ReplicateBody, "POST", lambda w: f"{CSBS}/checkpoint_items/{w.item}/replicate", "csbs"),
    Route(C.ReplicatePolicyBody, "POST", lambda w: f"{CSBS}/checkpoints/replicate", "csbs"),
    Route(ecs_api.PowerActionBody, "POST", lambda w: "/v1/{project_id}/cloudservers/action", "ecs"),
    Route(E.CreateServersBody, "POST", lambda w: "/v1.1/{project_id}/cloudservers", "ecs"),
    Route(E.DeleteServersBody, "POST", lambda w: "/v1/{project_id}/cloudservers/delete", "ecs"),
    Route(E.ReinstallBody, "POST", lambda w: f"/v1/{{project_id}}/cloudservers/{w.server}/reinstallos", "ecs"),
    Route(E.NovaCreateBody, "POST", lambda w: "/v2.1/{project_id}/servers", "ecs"),
]
IDS = [r.name for r in ROUTES]
FAST = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


# recorded requests: valid starting points where the schema's cross-field rules defeat blind generation
EXAMPLES = {"PolicyCreateBody": [load_fixture("csbs/create_policy.200.json")["request"]],
            "TagsAction": [load_fixture("csbs/batch_backup_tags_action.204.json")["request"]]}


@pytest.fixture(scope="module")
def private() -> Iterator[InProcessServer]:
    """A private emulator: /_emulator/state then holds only this module's projects (small and fast)."""
    server = InProcessServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(private: InProcessServer) -> World:
    return World(private.url)


def _schema_modules() -> list[Any]:
    """Every module of ims_emulator/api/schemas/ except the control API's seed format: new ones join automatically."""
    import ims_emulator.api.schemas as package
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in CONTROL_SCHEMAS]
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def test_every_request_schema_is_exercised() -> None:
    top_level = ("ResourcesAction", "TagsAction", "ResourceInstances")  # CSBS bodies not named *Body
    schemas = {name for module in _schema_modules()
               for name, cls in inspect.getmembers(module, inspect.isclass)
               if issubclass(cls, Schema) and cls.__module__ == module.__name__
               and not name.startswith("_") and (name.endswith("Body") or name in top_level)}
    assert sorted(schemas - {r.schema.__name__ for r in ROUTES} - set(EXEMPT)) == []


def assert_refusal(family: str, status: int, body: Any) -> None:
    shape, prefix = FORMATS[family]
    assert status == 400, (status, body)
    if shape == "nested":
        assert set(body) == {"error"} and set(body["error"]) == {"message", "code"}, body
        code = body["error"]["code"]
    else:
        assert {"error_code", "error_msg"} <= set(body) and "error" not in body, body
        code = body["error_code"]
    assert code.startswith(prefix), body


def _state(world: World) -> Any:
    return world.env.control.get("/state").json()["projects"]


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@FAST
@given(data=st.data())
def test_invalid_body_is_refused_and_changes_nothing(world: World, route: Route, data: st.DataObject) -> None:
    path = route.path(world)
    before = _baseline(world, route)
    body = data.draw(invalid_bodies(route.schema()), label="body")
    out = world.env.call(route.method, path, body)
    assert_refusal(route.family, out.status, out.body)
    assert _state(world) == before


_BASELINES: dict[tuple[int, str], Any] = {}


def _baseline(world: World, route: Route) -> Any:
    """The stored state before the first example of a route: no invalid body may ever change it."""
    return _BASELINES.setdefault((id(world), route.name), _state(world))


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@settings(FAST, max_examples=5)
@given(data=st.data())
def test_valid_body_never_breaks_the_service(private: InProcessServer, route: Route, data: st.DataObject) -> None:
    world = _valid_world(private.url)
    body = data.draw(valid_bodies(route.schema(), EXAMPLES.get(route.schema.__name__, [])), label="body")
    out = world.env.call(route.method, route.path(world), body)
    assert out.status < 500, (out.status, out.body)
    if out.status >= 400:
        shape, _ = FORMATS[route.family]
        assert ("error" in out.body) if shape == "nested" else ("error_code" in out.body), out.body


_VALID: dict[str, World] = {}


def _valid_world(url: str) -> World:
    """A separate world for valid bodies (they may change it); the invalid-body world stays untouched."""
    return _VALID.setdefault(url, World(url))
