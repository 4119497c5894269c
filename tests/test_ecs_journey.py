"""The issue's journey through the official SDKs, unmodified (EcsClient, ImsClient, signed CSBS):
stopped server (40 + 50 + 60 GB) -> CSBS backup -> full-ECS image -> create_servers with no data_volumes
-> job SUCCESS -> ACTIVE with that image, three disks -> changeos of another server writes only its
system disk -> delete_servers -> 404."""

from __future__ import annotations

import uuid

from huaweicloudsdkecs.v2 import ShowServerRequest

from tests.csbs_support import Csbs
from tests.ecs_support import block_devices, change_os_v1, create_servers, delete_servers, ecs_job
from tests.ims_support import refusal, wait_job, whole_image
from tests.support import ecs_client, ims_client


def _server(name: str, sizes: list[int]) -> dict:
    vols = [{"id": str(uuid.uuid4()), "size": size, "bootable": i == 0} for i, size in enumerate(sizes)]
    return {"id": str(uuid.uuid4()), "name": name, "status": "SHUTOFF", "volumes": vols}


def _volumes(control, project, server_id):
    state = control.get("/state").json()["projects"][project]
    return {v["id"]: v for v in state["volumes"] if v["ref"] == server_id}


def test_backup_image_server_journey(url, control, project):
    source, other = _server("golden", [40, 50, 60]), _server("other", [40, 70])
    assert control.post("/seed", {"project_id": project, "servers": [source, other]}).status_code == 201
    ims, ecs = ims_client(url, project), ecs_client(url, project)

    item = Csbs(url, project).backup(source["id"], backup_name="golden-nightly")
    assert item["status"] == "available"
    image_id = wait_job(ims, whole_image(ims, "golden-full", backup_id=item["id"],
                                         whole_image_type="CSBS")).entities.image_id

    created = create_servers(ecs, image_id, name="restored")
    job = ecs_job(ecs, created.job_id)
    assert (job.status, job.job_type) == ("SUCCESS", "createServer")
    server_id = job.entities.sub_jobs[0].entities.server_id
    assert created.server_ids == [server_id]
    server = ecs.show_server(ShowServerRequest(server_id)).server
    assert (server.status, server.image.id) == ("ACTIVE", image_id)
    disks = block_devices(ecs, server_id)
    assert [(d.size, d.boot_index, d.device) for d in disks] == [
        (40, 0, "/dev/vda"), (50, 1, "/dev/vdb"), (60, 2, "/dev/vdc")]

    # changeos of another (stopped) server with the full-ECS image writes only its system disk
    before = _volumes(control, project, other["id"])
    assert ecs_job(ecs, change_os_v1(ecs, other["id"], image_id)).status == "SUCCESS"
    after = _volumes(control, project, other["id"])
    system, data = other["volumes"][0]["id"], other["volumes"][1]["id"]
    assert after[system]["image_id"] == image_id and after[data] == before[data] and len(after) == 2
    assert ecs.show_server(ShowServerRequest(other["id"])).server.image.id == image_id

    assert ecs_job(ecs, delete_servers(ecs, server_id)).status == "SUCCESS"
    gone = refusal(ecs.show_server, ShowServerRequest(server_id))
    assert (gone.status_code, gone.error_code) == (404, "Ecs.0114")
    assert _volumes(control, project, server_id) == {}
