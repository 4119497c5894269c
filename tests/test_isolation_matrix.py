"""The ownership rule as a matrix generated from the Flask URL map: project B naming project A's ids.

Every route whose path names an id is called by B with A's ids filled in; every route that takes ids in
its body (BODY_IDS) or query (QUERY_IDS) is called with A's ids there. B is answered with its service's
own "not found" code (a list filtered by A's id lists nothing), and A's `GET /_emulator/state` is
byte-for-byte what it was. A new route is covered by the path generation, or the test fails until it is
classified here. One app, in process (Flask test client), seeded once.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from ims_emulator.app import create_app
from ims_emulator.domain import public_images
from ims_emulator.settings import Settings
from tests.support import server_spec

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
# each service's answer to an id the caller cannot see (the catalogue's "does not exist" codes)
NOT_FOUND = {
    "IMG.0027", "IMG.0005", "IMG.0020", "IMG.0127", "IMG.0120", "IMG.0184",  # image, ECS, CBR/CSBS backup, disk, vault
    "Ecs.0114", "EVS.2003", "Ecs.0031",  # server, volume, the image to create an ECS from
    "Ecs.0005",  # changeos: the image to install is unknown to the caller
    "IMG.0023", "BackupService.6500",  # job, CBR operation log
    "CSBS.3000", "CSBS.3001", "CSBS.6000",  # policy, backup, server
    "BackupService.6200", "BackupService.6105", "BackupService.6217", "BackupService.7100",  # backup, vault,
    "BackupService.6705",  # restore point, server, member
    "BackupService.6000",  # CBR policy
}
# routes with ids only in the body: (method, rule) -> bodies naming A's ids (B's own ids elsewhere)
BODY_IDS = {
    ("POST", "/v1/<project_id>/policies"): lambda w: [{"policy": {
        "name": "p", "provider_id": PROVIDER, "parameters": {"common": {}},
        "resources": [{"id": w.a["server"], "type": "OS::Nova::Server", "name": "vm"}],
        "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                  "operation_definition": {"max_backups": 1},
                                  "trigger": {"properties": {"pattern": "BEGIN:VEVENT\nRRULE:FREQ=DAILY;BYHOUR=1;"
                                                                        "BYMINUTE=0\nEND:VEVENT"}}}]}}],
    ("POST", "/v1/cloudimages/wholeimages/action"): lambda w: [
        {"name": "w", "backup_id": w.a["item"], "whole_image_type": "CSBS"},
        {"name": "w", "backup_id": w.a["backup"], "whole_image_type": "CBR"},
        {"name": "w", "instance_id": w.a["server"], "vault_id": w.b["vault"]},
        {"name": "w", "instance_id": w.b["server"], "vault_id": w.a["vault"]}],
    ("POST", "/v2/cloudimages/action"): lambda w: _image_bodies(w),
    ("POST", "/v2.1/cloudimages/action"): lambda w: _image_bodies(w),
    ("POST", "/v1/<project_id>/cloudservers/action"): lambda w: [
        {"os-stop": {"servers": [{"id": w.a["server"]}]}}, {"os-start": {"servers": [{"id": w.a["server"]}]}},
        {"reboot": {"type": "SOFT", "servers": [{"id": w.a["server"]}]}}],
    ("POST", "/v1/<project_id>/cloudservers/delete"): lambda w: [{"servers": [{"id": w.a["server"]}]}],
    ("POST", "/v1/<project_id>/cloudservers"): lambda w: _server_bodies(w),
    ("POST", "/v1.1/<project_id>/cloudservers"): lambda w: _server_bodies(w),
    ("POST", "/v2.1/<project_id>/servers"): lambda w: [{"server": {"name": "n", "imageRef": w.a["image"],
                                                                   "flavorRef": "s6.large.2"}}],
    ("POST", "/v1/cloudimages/members"): lambda w: [{"images": [w.a["image"]], "projects": [w.c]}],
    ("PUT", "/v1/cloudimages/members"): lambda w: [{"images": [w.a["image"]], "project_id": w.b["project"],
                                                    "status": "accepted"}],
    ("DELETE", "/v1/cloudimages/members"): lambda w: [{"images": [w.a["image"]], "projects": [w.c]}],
    ("PUT", "/v1/cloudimages/tags"): lambda w: [{"image_id": w.a["image"], "tag": "k.v"}],
    ("POST", "/v1/<project_id>/restores"): lambda w: [{"restore": {
        "provider_id": PROVIDER, "checkpoint_id": w.a["checkpoint"], "restore_target": None,
        "parameters": {"checkpoint_item_id": w.a["item"], "power_on": True, "targets": {
            "server_id": w.b["server"], "volumes": [{"backup_id": str(uuid.uuid4()), "volume_id": w.b["volume"]}]}}}}],
    ("POST", "/v1/<project_id>/providers/<provider_id>/checkpoints"): lambda w: [
        {"checkpoint": {"plan_id": w.a["policy"], "parameters": {}}}],
    ("POST", "/v1/<project_id>/providers/<provider_id>/checkpoints/replicate"): lambda w: [{"replication": {
        "policy_id": w.a["policy"], "destination_region": "cn-north-1",
        "destination_project_id": w.b["project"]}}],
    ("POST", "/v3/<project_id>/checkpoints"): lambda w: [{"checkpoint": {"vault_id": w.a["vault"],
                                                                         "parameters": {}}}],
    ("POST", "/v3/<project_id>/vaults"): lambda w: [{"vault": {
        "name": "v", "resources": [{"id": w.a["server"], "type": "OS::Nova::Server"}],
        "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                    "protect_type": "backup", "size": 100}}}],
}
# valid bodies for routes that name A's id in the path (the default body suits the others)
PATH_BODIES = {
    "/replicate": lambda w: {"replication": {"destination_region": "cn-north-1",
                                             "destination_project_id": w.b["project"]}},
    "/policies/": lambda w: {"policy": {"name": "stolen"}},
    "/members": lambda w: {"members": [w.b["project"]], "member": w.b["project"]},
    "/addresources": lambda w: {"resources": [{"id": w.b["server"], "type": "OS::Nova::Server"}]},
    "/removeresources": lambda w: {"resource_ids": [w.b["server"]]},
    "/associatepolicy": lambda w: {"policy_id": w.a["cbr_policy"]},
    "/dissociatepolicy": lambda w: {"policy_id": w.a["cbr_policy"]},
}
# list routes that filter by an id in the query: B filtering by A's id lists none of A's things
QUERY_IDS = {
    ("GET", "/v1/<project_id>/checkpoint_items"): lambda w: [{"resource_id": w.a["server"]},
                                                             {"checkpoint_id": w.a["checkpoint"]}],
    ("GET", "/v1/<project_id>/checkpoint_items/count"): lambda w: [{"resource_id": w.a["server"]}],
    ("GET", "/v3/<project_id>/backups"): lambda w: [{"vault_id": w.a["vault"]}, {"resource_id": w.a["server"]}],
    ("GET", "/v2/cloudimages"): lambda w: [{"id": w.a["image"]}],
    ("GET", "/v2/images"): lambda w: [{"id": w.a["image"]}],
    ("GET", "/v2/<project_id>/cloudvolumes/detail"): lambda w: [{"server_id": w.a["server"]}],
    ("GET", "/v3/<project_id>/vaults"): lambda w: [{"id": w.a["vault"]}],
    ("GET", "/v3/<project_id>/policies"): lambda w: [{"vault_id": w.a["vault"]}],
    ("GET", "/v3/<project_id>/protectables/<protectable_type>/instances"): lambda w: [{"id": w.a["server"]}],
}
# routes that take no id of another resource (B's own collections, catalogues, creation from files)
NO_IDS = {
    "/", "/<any('v2.2', 'v2.1', 'v2.0', 'v1.1', 'v1.0'):version>", "/v1.1/<project_id>/cloudservers/detail",
    "/v1/<project_id>/<any(csbs_backup, csbs_backup_policy):rtype>/resource_instances/action",
    "/v1/<project_id>/<any(csbs_backup, csbs_backup_policy):rtype>/tags", "/v1/<project_id>/cloudservers/detail",
    "/v1/<project_id>/policies", "/v1/<project_id>/quotas", "/v1/<project_id>/replication_capabilities",
    "/v1/<project_id>/providers/<provider_id>/resources/action",  # per-server verdicts: see the test below
    "/v1/cloudimages/dataimages/action", "/v1/cloudimages/os_version", "/v1/cloudimages/quota",
    "/v1/cloudimages/tags", "/v2.1/cloudimages/dataimages/action", "/v2.1/cloudimages/quickimport/action",
    "/v2/<project_id>/images/resource_instances/action", "/v2/<project_id>/images/tags",
    "/v2/cloudimages/quickimport/action", "/v2/images", "/v2/schemas/image", "/v2/schemas/images",
    "/v2/schemas/member", "/v2/schemas/members", "/v3/migrates",
    "/v3/<project_id>/policies", "/v3/<project_id>/replication-capabilities",
    "/v1/<project_id>/cloudservers/flavors", "/v2.1/<project_id>/servers", "/v2.1/<project_id>/servers/detail",
}


def _server_bodies(w: World) -> list[dict[str, Any]]:
    """ECS create naming A's image as the OS, or as a data-disk image (a public image as the OS)."""
    base = {"name": "n", "flavorRef": "s6.large.2", "vpcid": str(uuid.uuid4()), "nics": [{"subnet_id": "s"}],
            "root_volume": {"volumetype": "SSD"}}
    return [{"server": {**base, "imageRef": w.a["image"]}},
            {"server": {**base, "imageRef": public_images.all_images()[0].id, "data_volumes": [
                {"volumetype": "SSD", "size": 40, "data_image_id": w.a["image"]}]}}]


def _image_bodies(w: World) -> list[dict[str, Any]]:
    return [{"name": "i", "instance_id": w.a["server"]},
            {"name": "i", "volume_id": w.a["volume"], "os_version": "CentOS 7.6 64bit"},
            {"name": "i", "data_images": [{"name": "d", "volume_id": w.a["data_volume"]}]}]


class World:
    """Project A with one of everything (made through the API), project B with a server and a vault."""

    def __init__(self) -> None:
        self.app = create_app(Settings(port=0, db=":memory:", world="none", quiet=True))
        self.http = self.app.test_client()
        self.c = uuid.uuid4().hex
        self.a = self._project()
        self.b = self._project()
        a = self.a
        self.call(a, "POST", f"/v3/{a['project']}/vaults/{a['vault']}/addresources",
                  {"resources": [{"id": a["server"], "type": "OS::Nova::Server"}]}).expect(200)
        self.call(a, "POST", f"/v3/{a['project']}/checkpoints",
                  {"checkpoint": {"vault_id": a["vault"], "parameters": {}}}).expect(200)
        backups = self.call(a, "GET", f"/v3/{a['project']}/backups", query={"vault_id": a["vault"]}).expect(200)
        a["backup"] = backups["backups"][0]["id"]
        a["cbr_checkpoint"] = backups["backups"][0]["checkpoint_id"]
        self.call(a, "POST", f"/v3/{a['project']}/backups/{a['backup']}/members",
                  {"members": [self.c]}).expect(200)
        seeded = self.control("POST", "/seed/csbs_backups",
                              {"project_id": a["project"], "backups": [{"server_id": a["server"]}]})["backups"][0]
        a["item"], a["checkpoint"] = seeded["id"], seeded["checkpoint_id"]
        job = self.call(a, "POST", "/v1/cloudimages/wholeimages/action",
                        {"name": "w", "backup_id": a["item"], "whole_image_type": "CSBS"}).expect(200)["job_id"]
        a["job"] = job
        a["image"] = self.call(a, "GET", f"/v1/cloudimages/job/{job}").expect(200)["entities"]["image_id"]
        self.call(a, "POST", f"/v2/{a['project']}/images/{a['image']}/tags",
                  {"tag": {"key": "owner", "value": "a"}}).expect(204)
        policy = BODY_IDS[("POST", "/v1/<project_id>/policies")](self)[0]
        a["policy"] = self.call(a, "POST", f"/v1/{a['project']}/policies", policy).expect(200)["policy"]["id"]
        cbr_policy = {"policy": {"name": "p", "operation_type": "backup", "operation_definition": {"max_backups": 1},
                                 "trigger": {"properties": {"pattern": ["FREQ=DAILY;BYHOUR=1;BYMINUTE=0"]}}}}
        a["cbr_policy"] = self.call(a, "POST", f"/v3/{a['project']}/policies", cbr_policy).expect(200)["policy"]["id"]
        self.call(a, "POST", f"/v3/{a['project']}/vaults/{a['vault']}/associatepolicy",
                  {"policy_id": a["cbr_policy"]}).expect(200)
        self.ids = {v for k, v in a.items() if k != "project"}

    def _project(self) -> dict[str, str]:
        project = uuid.uuid4().hex
        spec = server_spec(status="SHUTOFF", data_disks=1)
        self.control("POST", "/seed", {"project_id": project, "servers": [spec]})
        p = {"project": project, "server": spec["id"], "volume": spec["volumes"][0]["id"],
             "data_volume": spec["volumes"][1]["id"]}
        billing = {"consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup",
                   "size": 1000}
        vault = {"vault": {"name": "v", "resources": [], "billing": billing}}
        made = self.call(p, "POST", f"/v3/{project}/vaults", vault)
        p["vault"] = made.expect(200)["vault"]["id"]
        return p

    def control(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.http.open("/_emulator" + path, method=method, json=body)
        assert resp.status_code < 300, resp.get_data(as_text=True)
        return resp.get_json(silent=True)

    def call(self, who: dict[str, str], method: str, path: str, body: Any = None,
             query: dict[str, str] | None = None) -> Reply:
        headers = {"X-Auth-Token": "t", "X-Project-Id": who["project"]}
        if method == "PATCH":
            headers["Content-Type"] = "application/openstack-images-v2.1-json-patch"
            resp = self.http.open(path, method=method, data=json.dumps(body), headers=headers, query_string=query)
        else:
            resp = self.http.open(path, method=method, json=body, headers=headers, query_string=query)
        return Reply(resp.status_code, resp.get_data(as_text=True))

    def state_of_a(self) -> bytes:
        """A's part of GET /_emulator/state, as bytes (every task of A has settled: nothing moves with time)."""
        projects = self.control("GET", "/state")["projects"]
        return json.dumps(projects[self.a["project"]], sort_keys=True).encode()

    def fill(self, rule: str) -> list[str]:
        """Concrete paths for a rule: project_id is B's own, every other id A's."""
        a = self.a
        values = {"project_id": self.b["project"], "image_id": a["image"], "server_id": a["server"],
                  "volume_id": a["volume"], "job_id": a["job"], "item_id": a["item"], "policy_id": a["policy"],
                  "provider_id": PROVIDER, "vault_id": a["vault"], "backup_id": a["backup"],
                  "member_id": self.c, "key": "owner", "tag": "owner", "operation_log_id": a["job"],
                  "protectable_type": "server", "instance_id": a["server"],
                  "checkpoint_id": a["cbr_checkpoint"] if rule.startswith("/v3/") else a["checkpoint"]}
        if rule.startswith("/v3/"):
            values["policy_id"] = a["cbr_policy"]
        if "<any(csbs_backup, csbs_backup_policy):rtype>/<resource_id>" in rule:
            return [self._sub(rule.replace("<any(csbs_backup, csbs_backup_policy):rtype>/<resource_id>", tail), values)
                    for tail in (f"csbs_backup/{a['item']}", f"csbs_backup_policy/{a['policy']}")]
        if "/resources/<resource_id>" in rule:
            values["resource_id"] = a["server"]
        return [self._sub(rule, values)]

    @staticmethod
    def _sub(rule: str, values: dict[str, str]) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule)


class Reply:
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text

    def expect(self, status: int) -> Any:
        assert self.status == status, (status, self.status, self.text)
        return json.loads(self.text) if self.text else None

    def code(self) -> str | None:
        try:
            body = json.loads(self.text)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return body.get("error_code") or (body.get("error") or {}).get("code")


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def _routes(world: World) -> list[tuple[str, str]]:
    return sorted((m, r.rule) for r in world.app.url_map.iter_rules()
                  if r.endpoint != "static" and not r.rule.startswith("/_emulator")
                  for m in (r.methods or set()) - {"HEAD", "OPTIONS"})


def _body(world: World, method: str, path: str) -> Any:
    """A body that would be valid for A's own call, so that only ownership can refuse it."""
    for marker, make in PATH_BODIES.items():
        if method in ("POST", "PUT") and (path.endswith(marker) or marker.endswith("/") and marker in path):
            return make(world)
    if method == "PATCH":
        return [{"op": "replace", "path": "/name", "value": "stolen"}]
    if method == "DELETE" and path.startswith("/v2/images/") and path.count("/") == 3:
        return {"delete_backup": True}
    return {"name": "stolen", "member": "x", "tag": {"key": "k", "value": "v"}, "protect": {},
            "os-change": {"imageid": "x"}, "bucket_url": "b:x.qcow2", "file_format": "qcow2",
            "image_url": "b:x.qcow2", "status": "accepted", "members": ["x"], "backup": {"name": "n"},
            "vault": {"name": "n"}, "resources": [], "resource_ids": [], "action": "delete",
            "tags": [{"key": "owner", "value": "a"}]}


def _lists_any(reply: Reply, ids: set[str]) -> bool:
    """Whether a list answer shows any of the ids (links echoing the query do not count)."""
    body = json.loads(reply.text)
    shown = {k: v for k, v in body.items() if k not in ("first", "next", "self", "links")}
    return any(i in json.dumps(shown) for i in ids)


def test_every_route_is_generated_or_classified(world):
    unclassified = [(m, r) for m, r in _routes(world) if "<" not in r.replace("<project_id>", "")
                    .replace("<provider_id>", "").replace("<any(", "") and (m, r) not in BODY_IDS
                    and (m, r) not in QUERY_IDS and r not in NO_IDS]
    assert unclassified == []


def test_project_b_naming_project_a_ids_is_not_found_and_a_is_unchanged(world):
    before = world.state_of_a()
    wrong, checked = [], 0
    for method, rule in _routes(world):
        for path in world.fill(rule):
            cases: list[tuple[Any, dict[str, str] | None]] = []
            if (method, rule) in BODY_IDS:
                cases = [(b, None) for b in BODY_IDS[(method, rule)](world)]
            elif (method, rule) in QUERY_IDS:
                cases = [(None, q) for q in QUERY_IDS[(method, rule)](world)]
            elif path != rule.replace("<project_id>", world.b["project"]) and any(i in path for i in world.ids):
                cases = [(_body(world, method, path) if method != "GET" else None, None)]
            for body, query in cases:
                checked += 1
                reply = world.call(world.b, method, path, body, query)
                if query is not None:
                    ok = reply.status == 200 and not _lists_any(reply, world.ids)
                else:
                    ok = 400 <= reply.status < 500 and reply.code() in NOT_FOUND
                if not ok:
                    wrong.append(f"{method} {path} {body if body is not None else query} -> {reply.status} "
                                 f"{reply.text[:160]}")
    assert wrong == [], "\n".join(wrong)
    assert checked > 90
    assert world.state_of_a() == before


def test_check_protectable_answers_another_projects_server_as_not_found(world):
    before = world.state_of_a()
    body = {"check_protectable": [{"resource_id": world.a["server"], "resource_type": "OS::Nova::Server"}]}
    reply = world.call(world.b, "POST", f"/v1/{world.b['project']}/providers/{PROVIDER}/resources/action", body)
    verdict = reply.expect(200)["protectable"][0]
    assert verdict["result"] is False and verdict["error_code"] == "CSBS.6000", verdict
    assert world.state_of_a() == before
