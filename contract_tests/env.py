"""What a scenario drives the emulator with: one project over real HTTP, plus helpers that put the
emulator into the situation a recording shows (seeded servers, images, backups, finished jobs)."""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from typing import Any

import requests

from tests.support import Api, Control, new_project, server_spec

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"  # the fixed CSBS provider id
CSBS = f"/v1/{{project_id}}/providers/{PROVIDER}"


class ScenarioError(AssertionError):
    """A set-up step failed: the emulator could not be driven into the recorded situation."""


@dataclasses.dataclass
class Outcome:
    status: int
    body: Any
    headers: dict[str, str]
    text: str = ""

    @classmethod
    def of(cls, resp: requests.Response) -> Outcome:
        body: Any = None
        if resp.content:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
        return cls(resp.status_code, body, dict(resp.headers), resp.text)

    def expect(self, *statuses: int) -> Any:
        if self.status not in statuses:
            raise ScenarioError(f"set-up call answered {self.status}: {self.text[:300]}")
        return self.body


class Env:
    def __init__(self, url: str, project: str | None = None) -> None:
        self.url = url
        self.project = project or new_project()
        self.api = Api(url, self.project)
        self.control = Control(url)

    def other(self) -> Env:
        """A second project (a sharing partner) on the same emulator."""
        return Env(self.url)

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Outcome:
        return Outcome.of(self.api.call(method, path, body, **kw))

    # -- ECS / EVS ------------------------------------------------------------------------------
    def server(self, status: str = "SHUTOFF", data_disks: int = 1, name: str = "vm") -> dict[str, Any]:
        spec = server_spec(name=name, status=status, data_disks=data_disks)
        self.control.seed(self.project, [spec])
        return spec

    # -- jobs --------------------------------------------------------------------------------------
    def job(self, job_id: str) -> Outcome:
        return self.call("GET", f"/v1/{{project_id}}/jobs/{job_id}")

    def finish(self, job_id: str) -> dict[str, Any]:
        """Read the job until it has settled (transitions are instant in tests); SUCCESS or a ScenarioError."""
        for _ in range(5):
            body = self.job(job_id).expect(200)
            if body["status"] == "SUCCESS":
                return body
            if body["status"] == "FAIL":
                raise ScenarioError(f"job {job_id} failed: {body.get('error_code')} {body.get('fail_reason')}")
        raise ScenarioError(f"job {job_id} did not settle: {body}")

    def run_job(self, method: str, path: str, body: Any, **kw: Any) -> tuple[str, dict[str, Any]]:
        job_id = self.call(method, path, body, **kw).expect(200)["job_id"]
        return job_id, self.finish(job_id)

    # -- IMS ----------------------------------------------------------------------------------------
    def image(self, name: str = "img", server: dict[str, Any] | None = None) -> str:
        """A private system-disk image made from a stopped ECS (the recorded way to get one)."""
        server = server or self.server()
        _, job = self.run_job("POST", "/v2/cloudimages/action", {"name": name, "instance_id": server["id"]})
        return job["entities"]["image_id"]

    def public_image(self) -> str:
        body = self.call("GET", "/v2/cloudimages?__imagetype=gold&limit=1").expect(200)
        if not body.get("images"):
            raise ScenarioError("the emulator lists no public (gold) image")
        return body["images"][0]["id"]

    # -- CSBS ---------------------------------------------------------------------------------------
    def backup(self, server: dict[str, Any] | None = None) -> dict[str, Any]:
        """A finished CSBS backup of a running ECS: the checkpoint_item body."""
        server = server or self.server(status="ACTIVE")
        cp = self.call("POST", f"{CSBS}/resources/{server['id']}/action",
                       {"protect": {"backup_name": "backup"}}).expect(200)["checkpoint"]
        items = []
        for _ in range(5):
            items = self.call("GET", f"/v1/{{project_id}}/checkpoint_items?checkpoint_id={cp['id']}").expect(200)
            items = items["checkpoint_items"]
            if items and items[0]["status"] == "available":
                return items[0]
        raise ScenarioError(f"backup of checkpoint {cp['id']} did not become available: {items}")

    def whole_image_from_backup(self) -> tuple[str, dict[str, Any]]:
        item = self.backup()
        _, job = self.run_job("POST", "/v1/cloudimages/wholeimages/action",
                              {"name": "whole", "backup_id": item["id"], "whole_image_type": "CSBS"})
        return job["entities"]["image_id"], item

    # -- CBR ----------------------------------------------------------------------------------------
    def vault_id(self) -> str:
        """A vault of this project (IMS resolves a full-ECS image's vault_id among the caller's vaults)."""
        return str(self.vault()["id"])

    def seeded_cbr_backup(self) -> str:
        """A CBR backup of a running ECS, stored through the control API (the way IMS tests get one)."""
        server = self.server(status="ACTIVE")
        resp = self.control.post("/seed/cbr_backups", {"project_id": self.project, "backups": [
            {"server_id": server["id"], "vault_id": self.vault_id()}]})
        if resp.status_code != 201:
            raise ScenarioError(f"seeding a CBR backup answered {resp.status_code}: {resp.text[:300]}")
        return resp.json()["backups"][0]["id"]

    def vault(self, resources: list[str] | None = None, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """A vault made through the CBR v3 API (for the CBR recordings)."""
        bound = [{"id": r, "type": "OS::Nova::Server"} for r in resources or []]
        body = {"vault": {"name": "vault", "resources": bound, **({"tags": tags} if tags else {}),
                          "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                                      "protect_type": "backup", "size": 100}}}
        return self.call("POST", "/v3/{project_id}/vaults", body).expect(200)["vault"]

    def cbr_backup(self, retention_days: int | None = None) -> dict[str, Any]:
        """A backup made through the CBR v3 API: vault + checkpoint, then the listed backup."""
        server = self.server(status="ACTIVE")
        vault = self.vault([server["id"]])
        params: dict[str, Any] = {"resources": [server["id"]]}
        if retention_days is not None:  # a backup with an expiry (expired_at)
            params["retention_duration_days"] = retention_days
        cp = self.call("POST", "/v3/{project_id}/checkpoints",
                       {"checkpoint": {"vault_id": vault["id"], "parameters": params}}).expect(200)["checkpoint"]
        backups = self.call("GET", f"/v3/{{project_id}}/backups?checkpoint_id={cp['id']}").expect(200)["backups"]
        if not backups:
            raise ScenarioError(f"checkpoint {cp['id']} lists no backup")
        return backups[0]


def swap(obj: Any, mapping: dict[str, str]) -> Any:
    """A deep copy of a recorded request with recorded ids replaced by the seeded ones."""
    text = json.dumps(copy.deepcopy(obj))
    for old, new in mapping.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


def fresh_id() -> str:
    return str(uuid.uuid4())
