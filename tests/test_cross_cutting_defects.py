"""Regression tests of the defects the cross-cutting rules fixed (issue 13, defects 1-4), as written there,
through the official SDKs (CSBS v1 has none: signed raw calls, as the SDK signer makes them)."""

from __future__ import annotations

import uuid

import pytest
from huaweicloudsdkecs.v2 import (
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    ServerId,
)

from tests.ims_support import image, new_vault, refusal, seed_cbr, seed_csbs, seed_server, wait_job, whole_image
from tests.reliability_support import state
from tests.support import ecs_client, ims_client, new_project, signed_call
from tests.worlds_support import ids, pipeline_project

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"


def _start(ecs, server_id):
    body = BatchStartServersRequestBody(os_start=BatchStartServersOption(servers=[ServerId(id=server_id)]))
    return ecs.batch_start_servers(BatchStartServersRequest(body=body))


# -- defect 1: the stopped source ECS of a full-ECS image made from its backup -------------------------

@pytest.mark.parametrize("kind", ["CSBS", "CBR"])
def test_a_stopped_ecs_cannot_start_while_an_image_is_made_from_its_backup(url, control, project, kind):
    server = seed_server(control, project, status="SHUTOFF")
    backup = (seed_csbs if kind == "CSBS" else seed_cbr)(control, project, server["id"])
    ims, ecs = ims_client(url, project), ecs_client(url, project)
    control.put("/transitions", {"default": "instant", "ims.create_whole_image": "manual"})
    job_id = whole_image(ims, backup_id=backup, whole_image_type=kind)
    assert refusal(_start, ecs, server["id"]).error_code == "Ecs.0100"
    control.post("/settle", {"id": job_id})
    assert wait_job(ims, job_id).status == "SUCCESS"
    assert _start(ecs, server["id"]).job_id  # free again once the image is made


def test_a_world_seeded_saving_image_from_a_backup_holds_its_server(url, control, project, api):
    world = pipeline_project(project)
    server_id, _, image_id = ids(world)
    assert world["images"][0]["source"] == "backup"
    world["images"][0]["status"] = "saving"
    assert control.post("/seed", world).status_code == 201
    ecs = ecs_client(url, project)
    assert refusal(_start, ecs, server_id).error_code == "Ecs.0100"
    control.post("/settle", {"project_id": project})
    assert image(ims_client(url, project), image_id).status == "active"
    assert _start(ecs, server_id).job_id


# -- defect 2: a full-ECS image straight from an ECS with a shared disk ----------------------------------

def test_a_full_ecs_image_from_an_ecs_with_a_shared_disk_is_refused(url, control, project):
    server = seed_server(control, project, shared=True)
    vault = new_vault(control, project)
    before = state(control, project)
    exc = refusal(whole_image, ims_client(url, project), instance_id=server["id"], vault_id=vault)
    assert (exc.status_code, exc.error_code) == (400, "IMG.0126")
    assert server["volumes"][-1]["id"] in exc.error_msg  # the message names the shared disk
    assert state(control, project) == before  # no image, no CBR backup, no job


# -- defect 3: a CSBS policy naming another project's server -------------------------------------------

def _policy(server_id: str) -> dict:
    return {"policy": {"name": f"p-{uuid.uuid4().hex[:6]}", "provider_id": PROVIDER, "parameters": {"common": {}},
                       "resources": [{"id": server_id, "type": "OS::Nova::Server", "name": "vm"}],
                       "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                                 "operation_definition": {"max_backups": 1},
                                                 "trigger": {"properties": {"pattern": "BEGIN:VEVENT\nRRULE:FREQ="
                                                             "DAILY;BYHOUR=1;BYMINUTE=0\nEND:VEVENT"}}}]}}


def test_a_policy_cannot_claim_another_projects_or_a_missing_server(url, control, project):
    server = seed_server(control, project)
    other = new_project()
    control.seed(other, [])
    before = state(control, project)
    for server_id in (server["id"], str(uuid.uuid4())):
        resp = signed_call(url, other, "POST", "/v1/{project_id}/policies", _policy(server_id))
        assert (resp.status_code, resp.json()["error_code"]) == (400, "CSBS.6000"), resp.text
    assert state(control, project) == before
    mine = signed_call(url, project, "POST", "/v1/{project_id}/policies", _policy(server["id"]))
    assert mine.status_code == 200, mine.text  # the owner binds its own server


# -- defect 4: a full-ECS image from an ECS into another project's (or no) vault -----------------------

def test_a_full_ecs_image_cannot_use_another_projects_or_a_missing_vault(url, control, project):
    vault = new_vault(control, project)
    other = new_project()
    theirs = seed_server(control, other, status="SHUTOFF")
    before = state(control, project)
    ims = ims_client(url, other)
    for vault_id in (vault, str(uuid.uuid4())):
        exc = refusal(whole_image, ims, instance_id=theirs["id"], vault_id=vault_id)
        assert (exc.status_code, exc.error_code) == (400, "IMG.0184")
    assert state(control, project) == before  # the vault shows no usage, its backups list stays empty
    assert state(control, other)["images"] == []
    resp = signed_call(url, project, "DELETE", f"/v3/{{project_id}}/vaults/{vault}")
    assert resp.status_code == 200, resp.text  # the owner can still delete it
