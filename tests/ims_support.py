"""IMS test helpers: seeding servers and backups, polling jobs through the official SDK."""

from __future__ import annotations

from typing import Any

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody, ListImagesRequest, ShowJobRequest

from tests.support import Control, server_spec, signed_call


def seed_server(control: Control, project: str, **kw: Any) -> dict[str, Any]:
    spec = server_spec(**kw)
    control.seed(project, [spec])
    return spec


def seed_cbr(control: Control, project: str, server_id: str, **kw: Any) -> str:
    resp = control.post("/seed/cbr_backups", {"project_id": project, "backups": [{"server_id": server_id, **kw}]})
    assert resp.status_code == 201, resp.text
    return resp.json()["backups"][0]["id"]


def seed_csbs(control: Control, project: str, server_id: str, **kw: Any) -> str:
    resp = control.post("/seed/csbs_backups", {"project_id": project, "backups": [{"server_id": server_id, **kw}]})
    assert resp.status_code == 201, resp.text
    return resp.json()["backups"][0]["id"]


def new_vault(control: Control, project: str, name: str = "vault") -> str:
    """A CBR server-backup vault of the project, made through the CBR v3 API (a full-ECS image from an
    ECS backs the server up into one of the caller's vaults)."""
    url = control.url.removesuffix("/_emulator")
    body = {"vault": {"name": name, "resources": [], "billing": {
        "consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup", "size": 100}}}
    resp = signed_call(url, project, "POST", "/v3/{project_id}/vaults", body)
    assert resp.status_code == 200, resp.text
    return resp.json()["vault"]["id"]


def refusal(call: Any, *args: Any, **kw: Any) -> ClientRequestException:
    """Run an SDK call that must be refused; return the exception (status, error_code)."""
    try:
        call(*args, **kw)
    except ClientRequestException as exc:
        return exc
    raise AssertionError("the call was not refused")


def whole_image(client: Any, name: str = "whole", **body: Any) -> str:
    """create_whole_image -> job id."""
    req = CreateWholeImageRequest(body=CreateWholeImageRequestBody(name=name, **body))
    return client.create_whole_image(req).job_id


def wait_job(client: Any, job_id: str, polls: int = 20) -> Any:
    """Poll show_job until it ends (tests set transitions to instant or polls:N, never time)."""
    for _ in range(polls):
        job = client.show_job(ShowJobRequest(job_id=job_id))
        if job.status in ("SUCCESS", "FAIL"):
            return job
    raise AssertionError(f"job {job_id} still {job.status}")


def image(client: Any, image_id: str) -> Any:
    found = client.list_images(ListImagesRequest(id=image_id)).images
    return found[0] if found else None
