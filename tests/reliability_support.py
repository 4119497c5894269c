"""Reliability test helpers: one project's IMS/CSBS calls as plain HTTP, error-body checks, state snapshots."""

from __future__ import annotations

import os
from typing import Any

import requests

from tests.support import Api, Control, server_spec

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
DEEP = os.environ.get("IMS_EMULATOR_DEEP") == "1"
# how each service answers a failure (the body shape a client's error handler parses)
NESTED = ("ims", "glance", "ecs", "evs")


def error_code(resp: requests.Response) -> str | None:
    """The error code of a 4xx/5xx in the service's own format (None for any other shape)."""
    try:
        body = resp.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if set(body) == {"error"} and isinstance(body["error"], dict) and set(body["error"]) == {"message", "code"}:
        return body["error"]["code"]
    if {"error_code", "error_msg"} <= set(body) and "error" not in body:
        return body["error_code"]
    return None


class Cloud(Api):
    """One project's IMS and CSBS calls (loose auth, X-Auth-Token)."""

    def __init__(self, url: str, project: str) -> None:
        super().__init__(url, project)
        self.control = Control(url)

    # -- seeding ------------------------------------------------------------------------------
    def seed_server(self, shared: bool = False, status: str = "SHUTOFF") -> dict[str, Any]:
        spec = server_spec(status=status, shared=shared)
        self.control.seed(self.project_id, [spec])
        return spec

    def seed_backup(self, server_id: str, status: str = "available") -> dict[str, Any]:
        resp = self.control.post("/seed/csbs_backups", {"project_id": self.project_id,
                                                        "backups": [{"server_id": server_id, "status": status}]})
        assert resp.status_code == 201, resp.text
        return resp.json()["backups"][0]

    # -- CSBS -----------------------------------------------------------------------------------
    def protect(self, server_id: str) -> requests.Response:
        return self.post(f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{server_id}/action", {"protect": {}})

    def items_of_checkpoint(self, checkpoint_id: str) -> list[dict[str, Any]]:
        resp = self.get(f"/v1/{{project_id}}/checkpoint_items?checkpoint_id={checkpoint_id}")
        assert resp.status_code == 200, resp.text
        return resp.json()["checkpoint_items"]

    def items_of_checkpoint_all(self) -> list[dict[str, Any]]:
        resp = self.get("/v1/{project_id}/checkpoint_items?limit=1000")
        assert resp.status_code == 200, resp.text
        return resp.json()["checkpoint_items"]

    def item(self, item_id: str) -> requests.Response:
        return self.get(f"/v1/{{project_id}}/checkpoint_items/{item_id}")

    def delete_backup(self, item_id: str, checkpoint_id: str) -> requests.Response:
        return self.delete(f"/v1/{{project_id}}/providers/{PROVIDER}/checkpoints/{checkpoint_id}"
                           f"?checkpoint_items={item_id}")

    # -- IMS --------------------------------------------------------------------------------------
    def whole_image(self, backup_id: str, name: str = "whole") -> requests.Response:
        return self.post("/v1/cloudimages/wholeimages/action",
                         {"name": name, "backup_id": backup_id, "whole_image_type": "CSBS"})

    def job(self, job_id: str) -> requests.Response:
        return self.get(f"/v1/cloudimages/job/{job_id}")

    def image(self, image_id: str) -> requests.Response:
        return self.get(f"/v2/images/{image_id}")

    def delete_image(self, image_id: str, delete_backup: bool) -> requests.Response:
        return self.delete(f"/v2/images/{image_id}", {"delete_backup": delete_backup})

    def quota_used(self) -> int:
        resp = self.get("/v1/cloudimages/quota")
        assert resp.status_code == 200, resp.text
        return resp.json()["quotas"]["resources"][0]["used"]

    def images(self) -> list[dict[str, Any]]:
        resp = self.get("/v2/cloudimages?__imagetype=private&limit=1000")
        assert resp.status_code == 200, resp.text
        return resp.json()["images"]


def state(control: Control, project: str | None = None) -> Any:
    """GET /_emulator/state without what moves with wall time (the clock, pending jobs' progress)."""
    projects = control.get("/state").json()["projects"]
    for proj in projects.values():
        for job in proj.get("jobs", []):
            job.pop("progress", None)
    return projects.get(project) if project else projects
