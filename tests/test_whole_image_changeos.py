"""ECS change OS with a full-ECS image (huaweicloudsdkecs): only the system disk is rewritten."""

from __future__ import annotations

import uuid

from huaweicloudsdkecs.v2 import (
    ChangeServerOsWithCloudInitOption,
    ChangeServerOsWithCloudInitRequest,
    ChangeServerOsWithCloudInitRequestBody,
    ShowJobRequest,
    ShowServerRequest,
)

from tests.ims_support import new_vault, refusal, seed_cbr, seed_server, wait_job, whole_image
from tests.support import ecs_client, ims_client


def _changeos(ecs, server_id, image_id):
    body = ChangeServerOsWithCloudInitRequestBody(os_change=ChangeServerOsWithCloudInitOption(
        imageid=image_id, keyname="kp-1"))
    return ecs.change_server_os_with_cloud_init(ChangeServerOsWithCloudInitRequest(server_id, body))


def test_changeos_with_a_full_ecs_image_rewrites_only_the_system_disk(url, api, control, project):
    source = seed_server(control, project, name="golden")
    target = seed_server(control, project, name="target", data_disks=2, status="SHUTOFF")
    ims, ecs = ims_client(url, project), ecs_client(url, project)
    cbr = seed_cbr(control, project, source["id"])
    image_id = wait_job(ims, whole_image(ims, backup_id=cbr, whole_image_type="CBR")).entities.image_id

    def disks():
        state = control.get("/state").json()["projects"][project]
        return {v["id"]: v for v in state["volumes"] if v["ref"] == target["id"]}
    before = disks()
    data = [v["id"] for v in target["volumes"][1:]]
    evs_before = [api.get(f"/v2/{{project_id}}/cloudvolumes/{vid}").json() for vid in data]
    job = _changeos(ecs, target["id"], image_id)
    shown = ecs.show_job(ShowJobRequest(job.job_id))
    assert shown.status == "SUCCESS" and shown.job_type == "changeOS"
    server = ecs.show_server(ShowServerRequest(target["id"])).server
    assert server.image.id == image_id and server.metadata["metering.image_id"] == image_id
    after = disks()
    system = target["volumes"][0]["id"]
    assert after[system]["image_id"] == image_id
    for vid in data:  # data volumes untouched
        assert after[vid] == before[vid]
    assert [api.get(f"/v2/{{project_id}}/cloudvolumes/{vid}").json() for vid in data] == evs_before


def test_changeos_refuses_an_unknown_image_and_a_server_being_imaged(url, control, project):
    server = seed_server(control, project, status="SHUTOFF")
    ecs = ecs_client(url, project)
    assert refusal(_changeos, ecs, server["id"], str(uuid.uuid4())).error_code == "Ecs.0005"
    control.put("/transitions", {"ims.create_whole_image": "manual"})
    ims = ims_client(url, project)
    whole_image(ims, instance_id=server["id"], vault_id=new_vault(control, project))
    other = seed_server(control, project)
    cbr = seed_cbr(control, project, other["id"])
    control.put("/transitions", {"default": "instant", "ims.create_whole_image": "manual"})
    job_id = whole_image(ims, "w2", backup_id=cbr, whole_image_type="CBR")
    control.post("/settle", {"id": job_id})
    image_id = wait_job(ims, job_id).entities.image_id
    busy = refusal(_changeos, ecs, server["id"], image_id)
    assert busy.error_code == "Ecs.0100" and "full-ECS image" in busy.error_msg
