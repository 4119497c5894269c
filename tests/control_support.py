"""Helpers for the test-control tests: ECS power jobs through the official SDK, fault rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from huaweicloudsdkecs.v2 import (
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    BatchStopServersOption,
    BatchStopServersRequest,
    BatchStopServersRequestBody,
    ServerId,
    ShowJobRequest,
    ShowServerRequest,
)

from tests.support import Control, InProcessServer, ecs_client, server_spec


class Ecs:
    """One project's ECS, through the official SDK client."""

    def __init__(self, url: str, project: str) -> None:
        self.client = ecs_client(url, project)

    def stop(self, server_id: str) -> str:
        body = BatchStopServersRequestBody(os_stop=BatchStopServersOption(servers=[ServerId(id=server_id)]))
        return self.client.batch_stop_servers(BatchStopServersRequest(body=body)).job_id

    def start(self, server_id: str) -> str:
        body = BatchStartServersRequestBody(os_start=BatchStartServersOption(servers=[ServerId(id=server_id)]))
        return self.client.batch_start_servers(BatchStartServersRequest(body=body)).job_id

    def job(self, job_id: str) -> Any:
        return self.client.show_job(ShowJobRequest(job_id=job_id))

    def status(self, job_id: str) -> str:
        return self.job(job_id).status

    def server_status(self, server_id: str) -> str:
        return self.client.show_server(ShowServerRequest(server_id=server_id)).server.status


def seeded_server(control: Control, project: str, status: str = "ACTIVE") -> str:
    spec = server_spec(status=status)
    control.seed(project, [spec])
    return spec["id"]


def add_fault(control: Control, **rule: Any) -> dict[str, Any]:
    resp = control.post("/faults", rule)
    assert resp.status_code == 201, resp.text
    return resp.json()


def fault(control: Control, rule_id: str) -> dict[str, Any]:
    return next(r for r in control.get("/faults").json()["faults"] if r["id"] == rule_id)


def pending_jobs(control: Control, project: str) -> list[dict[str, Any]]:
    jobs = control.get("/state").json()["projects"][project]["jobs"]
    return [j for j in jobs if j["status"] in ("INIT", "RUNNING")]


def raw_job(url: str, project: str, job_id: str, session: requests.Session | None = None) -> dict[str, Any]:
    """GET the ECS job with plain requests (a fresh connection unless a session is given)."""
    http = session or requests
    resp = http.get(f"{url}/v1/{project}/jobs/{job_id}", timeout=30,
                    headers={"X-Auth-Token": "t", "X-Project-Id": project})
    assert resp.status_code == 200, resp.text
    return resp.json()


def own_emulator() -> Iterator[InProcessServer]:
    """A module's own server (use as its `emulator` fixture): the virtual clock is global to a
    server, so modules that advance it must not shift the timestamps other modules compare."""
    server = InProcessServer()
    yield server
    server.stop()
