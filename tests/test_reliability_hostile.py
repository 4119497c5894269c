"""Hostile input and isolation, table-driven over the live routes:
- project B, calling every route (from app.url_map) with project A's ids, gets a 4xx and A's state is unchanged;
- strict auth rejects tampered, misdirected, stale, future, header-stripped and unknown-AK signatures;
- oversized and deeply nested bodies, unicode/control characters in names and SQL metacharacters in filters and ids
  get a clean 4xx (or an empty result) in the service's format, and change nothing stored."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from tests.reliability_support import PROVIDER, Cloud, error_code, state
from tests.support import AK, SK, Api, Control, InProcessServer, new_project

POLICY = {"policy": {"name": "p", "provider_id": PROVIDER, "parameters": {"common": {}}, "resources": [],
                     "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                               "operation_definition": {"max_backups": 1},
                                               "trigger": {"properties": {
                                                   "pattern": "BEGIN:VEVENT\nRRULE:FREQ=DAILY;BYHOUR=1;BYMINUTE=0\n"
                                                              "END:VEVENT"}}}]}}


@pytest.fixture(scope="module")
def private() -> Iterator[InProcessServer]:
    server = InProcessServer()
    yield server
    server.stop()


class World:
    """Project A's resources of every kind, made through the public API."""

    def __init__(self, url: str) -> None:
        self.a = Cloud(url, new_project())
        self.b = Api(url, new_project())
        server = self.a.seed_server(status="ACTIVE")
        self.server = server["id"]
        self.volume = server["volumes"][0]["id"]
        resp = self.a.protect(self.server)
        assert resp.status_code == 200, resp.text
        (item,) = self.a.items_of_checkpoint(resp.json()["checkpoint"]["id"])
        self.item, self.checkpoint = item["id"], item["checkpoint_id"]
        seeded = self.a.seed_backup(self.server)
        made = self.a.whole_image(seeded["id"], name="whole")
        assert made.status_code == 200, made.text
        self.job = made.json()["job_id"]
        self.image = self.a.job(self.job).json()["entities"]["image_id"]
        self.backup = seeded["id"]
        resp = self.a.post("/v1/{project_id}/policies", POLICY)
        assert resp.status_code == 200, resp.text
        self.policy = resp.json()["policy"]["id"]
        tag = self.a.post(f"/v2/{{project_id}}/images/{self.image}/tags", {"tag": {"key": "owner", "value": "a"}})
        assert tag.status_code == 204, tag.text
        self.ids = {self.server, self.volume, self.item, self.checkpoint, self.image, self.job, self.policy,
                    self.backup}

    def fill(self, rule: str) -> list[str]:
        """Concrete paths for a route, every id taken from project A (project_id is B's own)."""
        values = {"project_id": self.b.project_id, "image_id": self.image, "server_id": self.server,
                  "volume_id": self.volume, "job_id": self.job, "item_id": self.item,
                  "checkpoint_id": self.checkpoint, "policy_id": self.policy, "provider_id": PROVIDER,
                  "member_id": self.b.project_id, "key": "owner", "tag": "owner", "filename": "x"}
        paths, tagged = [rule], "<any(csbs_backup, csbs_backup_policy):rtype>/<resource_id>"
        if tagged in rule:
            paths = [rule.replace(tagged, f"csbs_backup/{self.item}"),
                     rule.replace(tagged, f"csbs_backup_policy/{self.policy}")]
        out = []
        for path in paths:
            path = path.replace("<any(csbs_backup, csbs_backup_policy):rtype>", "csbs_backup")
            path = re.sub(r"<any\(([^)]*)\):\w+>", lambda m: m.group(1).split(",")[0].strip().strip("'"), path)
            path = path.replace("/providers/<provider_id>/resources/<resource_id>",
                                f"/providers/{PROVIDER}/resources/{self.server}")
            out.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x"), path))
        return out

    def body(self, method: str, path: str) -> Any:
        """A body that would be valid for A: only the project may make B's call fail."""
        for pattern, body in {
            "/wholeimages/action": {"name": "stolen", "backup_id": self.backup, "whole_image_type": "CSBS"},
            "/cloudimages/action": {"name": "stolen", "instance_id": self.server},
            "/v1/cloudimages/members": {"images": [self.image], "projects": [self.b.project_id]},
            "/members": {"member": self.b.project_id},
            "/resources/action": {"check_protectable": [{"resource_id": self.server,
                                                         "resource_type": "OS::Nova::Server"}]},
            f"/resources/{self.server}/action": {"protect": {}},
            "/restores": {"restore": {"checkpoint_id": self.checkpoint, "restore_target": self.server,
                                      "parameters": {"checkpoint_item_id": self.item}}},
            "/tags/action": {"action": "delete", "tags": [{"key": "owner", "value": "a"}]},
            "/tags": {"tag": {"key": "stolen", "value": "b"}},
            "/copy": {"name": "stolen"},
            "/file": {"bucket_url": "b:x.qcow2", "file_format": "qcow2"},
            "/cloudservers/action": {"os-stop": {"servers": [{"id": self.server}]}},
            "/changeos": {"os-change": {"imageid": self.image}},
            f"/v2/images/{self.image}": {"delete_backup": True} if method == "DELETE" else
            [{"op": "replace", "path": "/name", "value": "stolen"}],
        }.items():
            if path.endswith(pattern) or pattern in path:
                return body
        return {}


@pytest.fixture(scope="module")
def world(private: InProcessServer) -> World:
    return World(private.url)


def _routes(app: Any) -> list[tuple[str, str]]:
    return sorted((m, r.rule) for r in app.url_map.iter_rules()
                  if r.endpoint != "static" and not r.rule.startswith("/_emulator")
                  for m in (r.methods or set()) - {"HEAD", "OPTIONS"})


def test_project_b_cannot_read_change_or_delete_project_a_resources(private, world):
    before = state(Control(private.url), world.a.project_id)
    checked, wrong = 0, []
    for method, rule in _routes(private.app):
        for path in world.fill(rule):
            body = world.body(method, path) if method != "GET" else None
            headers = {"Content-Type": "application/openstack-images-v2.1-json-patch"} if method == "PATCH" else {}
            resp = world.b.call(method, path, body, headers=headers)
            checked += 1
            if not _isolated(world, method, path, body, resp):
                wrong.append(f"{method} {path} -> {resp.status_code} {resp.text[:200]}")
    assert wrong == [], "\n".join(wrong)
    assert checked > 80
    assert state(Control(private.url), world.a.project_id) == before


# routes that answer 200 with a per-resource verdict instead of an error (CSBS check_protectable/restorable)
PER_ITEM_VERDICT = "/resources/action"


def _isolated(world: World, method: str, path: str, body: Any, resp: requests.Response) -> bool:
    if resp.status_code >= 500:
        return False
    names_a = any(i in path for i in world.ids) or (body and any(i in json.dumps(body) for i in world.ids))
    if not names_a:  # B's own collections: nothing of A's shows
        return not any(i in resp.text for i in world.ids)
    if path.endswith(PER_ITEM_VERDICT):
        return resp.status_code == 200 and '"result":false' in resp.text.replace(" ", "")
    return 400 <= resp.status_code < 500 and error_code(resp) is not None


# -- strict auth ------------------------------------------------------------------------------------

def _signed(url: str, project: str, method: str, path: str, body: str = "", ak: str = AK, sk: str = SK,
            date: datetime | None = None, extra: dict[str, str] | None = None) -> tuple[str, dict[str, str], str]:
    """Sign with huaweicloudsdkcore's own signer; returns what to send (url, headers, body)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    scheme, host = url.split("://", 1)
    headers = {"Content-Type": "application/json", **(extra or {})}
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    req = SdkRequest(method=method, schema=scheme, host=host, resource_path=path, query_params=[],
                     header_params=headers, body=body)
    signed = BasicCredentials(ak, sk, project).sign_request(req)
    signed = signed.result() if hasattr(signed, "result") else signed
    sent = signed.body or ""
    return signed.url, dict(signed.header_params), sent.decode() if isinstance(sent, bytes) else sent


@pytest.fixture(scope="module")
def strict() -> Iterator[tuple[InProcessServer, str, str]]:
    server = InProcessServer(auth="strict")
    project = new_project()
    spec = Cloud(server.url, project).seed_server(status="ACTIVE")
    yield server, project, spec["id"]
    server.stop()


def _stop_body(server_id: str) -> str:
    return json.dumps({"os-stop": {"servers": [{"id": server_id}]}})


def _tamper(case: str, url: str, project: str, server_id: str) -> tuple[str, dict[str, str], str]:
    path = f"/v1/{project}/cloudservers/action"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if case == "valid":
        return _signed(url, project, "POST", path, _stop_body(server_id))
    if case == "tampered body":
        u, h, b = _signed(url, project, "POST", path, _stop_body(server_id))
        return u, h, b.replace("os-stop", "os-start")
    if case == "another path's signature":
        u, h, b = _signed(url, project, "POST", f"/v1/{project}/cloudservers/other", _stop_body(server_id))
        return u.replace("/cloudservers/other", "/cloudservers/action"), h, b
    if case == "stale X-Sdk-Date":
        return _signed(url, project, "POST", path, _stop_body(server_id), date=now - timedelta(minutes=20))
    if case == "future X-Sdk-Date":
        return _signed(url, project, "POST", path, _stop_body(server_id), date=now + timedelta(minutes=20))
    if case == "missing signed header":
        u, h, b = _signed(url, project, "POST", path, _stop_body(server_id), extra={"X-Project-Id": project})
        h.pop("X-Project-Id")
        return u, h, b
    if case == "unknown AK":
        return _signed(url, project, "POST", path, _stop_body(server_id), ak="AKNOBODYKNOWS000001")
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["tampered body", "another path's signature", "stale X-Sdk-Date",
                                  "future X-Sdk-Date", "missing signed header", "unknown AK"])
def test_strict_auth_rejects_and_changes_nothing(strict, case):
    server, project, server_id = strict
    before = state(Control(server.url), project)
    url, headers, body = _tamper(case, server.url, project, server_id)
    resp = requests.post(url, headers=headers, data=body, timeout=30)
    assert resp.status_code == 401, resp.text
    assert set(resp.json()) == {"error_msg", "error_code", "request_id"}
    assert resp.json()["error_code"] == "APIGW.0301"
    assert state(Control(server.url), project) == before


def test_strict_auth_accepts_the_untampered_request(strict):
    server, project, server_id = strict
    url, headers, body = _tamper("valid", server.url, project, server_id)
    assert requests.post(url, headers=headers, data=body, timeout=30).status_code == 200
    Control(server.url).post("/settle", {"project_id": project})
    url, headers, body = _signed(server.url, project, "POST", f"/v1/{project}/cloudservers/action",
                                 json.dumps({"os-start": {"servers": [{"id": server_id}]}}))
    assert requests.post(url, headers=headers, data=body, timeout=30).status_code == 200


# -- hostile bodies, names, filters, ids --------------------------------------------------------------

def _deep(n: int) -> str:
    return "[" * n + "]" * n


HOSTILE_BODIES = {
    "13 MiB body": ("POST", "/v2/images", b"{" + b" " * (13 * 1024 * 1024) + b"}"),
    "100k-deep JSON": ("POST", "/v1/cloudimages/wholeimages/action", _deep(100_000)),
    "deep JSON object": ("POST", "/v1/{project_id}/policies", '{"a":' * 50_000 + "1" + "}" * 50_000),
    "invalid UTF-8": ("POST", "/v1/cloudimages/wholeimages/action", b'{"name": "\xff\xfe"}'),
    "JSON with NUL": ("POST", "/v2/images", '{"name": "a\u0000b", "container_format": "bare"}'),
    "array body": ("PUT", "/v1/cloudimages/tags", "[1, 2, 3]"),
    "number body": ("POST", "/v1/{project_id}/cloudservers/action", "1e999999"),
    "duplicate keys": ("POST", "/v1/{project_id}/policies", '{"policy": 1, "policy": {}}'),
}
NAMES = ["\u0000nul", "bell\u0007", "line\nbreak", "\u202eevil", "😀" * 10, "名" * 300, "a" * 10_000,
         "'; DROP TABLE entities; --", "\ud800"]
FILTERS = ["' OR '1'='1", "%", "_", "_hole", "whole%", "\" OR 1=1 --", "*", "\\", "%00", "whole' --",
           "$.name", "1); DELETE FROM entities; --"]


# bugs this table found (deep JSON and lone surrogates escaping the parsers as 500s, LIKE filters taking % and _
# as wildcards) are fixed; the mechanism stays for the next one: a strict xfail, so its fix asks for the marker to go
KNOWN: dict[tuple[str, ...], str] = {}


def _params(values: list[Any], *prefix: str) -> list[Any]:
    return [pytest.param(v, marks=pytest.mark.xfail(strict=True, reason=KNOWN[(*prefix, v)]))
            if (*prefix, v) in KNOWN else v for v in values]


@pytest.mark.parametrize("case", _params(sorted(HOSTILE_BODIES)))
def test_hostile_bodies_get_a_clean_4xx_and_change_nothing(private, world, case):
    method, path, body = HOSTILE_BODIES[case]
    before = state(Control(private.url))
    resp = world.a.call(method, path, body, headers={"Content-Type": "application/json"})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    assert error_code(resp), resp.text[:300]
    assert state(Control(private.url)) == before


@pytest.mark.parametrize("name", _params(NAMES), ids=[repr(n)[:20] for n in NAMES])
def test_hostile_names_are_refused_or_stored_verbatim(private, world, name):
    """A name is either refused with the service's 4xx (nothing stored) or stored exactly as sent."""
    before = state(Control(private.url))
    body = json.dumps({"name": name, "container_format": "bare", "disk_format": "vhd"})
    resp = world.a.call("POST", "/v2/images", body.encode("utf-8", "surrogatepass"),
                        headers={"Content-Type": "application/json"})
    assert resp.status_code < 500, resp.text[:300]
    if resp.status_code >= 400:
        assert error_code(resp), resp.text[:300]
        assert state(Control(private.url)) == before
        return
    image = resp.json()["id"]
    assert world.a.image(image).json()["name"] == name
    assert world.a.delete_image(image, False).status_code == 204


FUZZY = {"csbs name", "ecs name"}  # substring filters (CSBS name, ECS name)
WHERES = ["ims name", "ims id", "glance name", "csbs name", "ecs name", "path id"]


@pytest.mark.parametrize(("where", "value"), [
    pytest.param(w, v, marks=pytest.mark.xfail(strict=True, reason=KNOWN[(w, v)])) if (w, v) in KNOWN else (w, v)
    for w in WHERES for v in FILTERS])
def test_sql_metacharacters_in_filters_and_ids_match_nothing(private, world, where, value):
    before = state(Control(private.url))
    quoted = requests.utils.quote(value, safe="")
    resp = world.a.get({"ims name": f"/v2/cloudimages?name={quoted}",
                        "ims id": f"/v2/cloudimages?id={quoted}",
                        "glance name": f"/v2/images?name={quoted}",
                        "csbs name": f"/v1/{{project_id}}/checkpoint_items?name={quoted}",
                        "ecs name": f"/v1/{{project_id}}/cloudservers/detail?name={quoted}",
                        "path id": f"/v2/images/{quoted}"}[where])
    assert resp.status_code < 500, resp.text[:300]
    if resp.status_code >= 400:
        assert error_code(resp), resp.text[:300]
    else:  # a pattern or an injection never widens a filter: exact ones match nothing, fuzzy ones literally
        body = resp.json()
        listed = body.get("images", body.get("checkpoint_items", body.get("servers", [])))
        if where in FUZZY:
            assert all(value in i["name"] for i in listed), (where, value, [i.get("name") for i in listed])
        else:
            assert listed == [], (where, value, [i.get("name") for i in listed])
    assert state(Control(private.url)) == before
