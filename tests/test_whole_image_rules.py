"""Full-ECS image rules, each through real HTTP (official SDK where it exists)."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from huaweicloudsdkecs.v2 import (
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    ServerId,
)
from huaweicloudsdkims.v2 import (
    CopyImageCrossRegionRequest,
    CopyImageCrossRegionRequestBody,
    GlanceDeleteImageRequest,
    GlanceDeleteImageRequestBody,
)

from tests.control_support import add_fault
from tests.ims_support import image, new_vault, refusal, seed_cbr, seed_csbs, seed_server, wait_job, whole_image
from tests.support import ecs_client, ims_client, new_project


def _error(resp: requests.Response) -> str:
    assert resp.status_code == 400, resp.text
    return resp.json()["error"]["code"]


def _images(api) -> list[dict]:
    return api.get("/v2/cloudimages").json()["images"]


# -- from a backup: the backup must be usable ----------------------------------------------------------

@pytest.mark.parametrize("kind, code", [("CSBS", "IMG.0127"), ("CBR", "IMG.0020")])
def test_backup_must_exist(api, kind, code):
    body = {"name": "w", "backup_id": str(uuid.uuid4()), "whole_image_type": kind}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == code
    assert _images(api) == []


def test_backup_type_must_match_whole_image_type(api, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    csbs = seed_csbs(control, project, server["id"])
    assert _error(api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "backup_id": cbr})) == "IMG.0198"
    body = {"name": "w", "backup_id": csbs, "whole_image_type": "CBR"}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0198"
    body = {"name": "w", "backup_id": csbs, "whole_image_type": "EVS"}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0198"


def test_backup_must_be_available(api, control, project):
    server = seed_server(control, project)
    csbs = seed_csbs(control, project, server["id"], status="error")
    cbr = seed_cbr(control, project, server["id"], status="protecting")
    assert _error(api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "backup_id": csbs})) == "IMG.0132"
    body = {"name": "w", "backup_id": cbr, "whole_image_type": "CBR"}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0032"
    assert _images(api) == []


def test_backup_must_contain_the_system_disk(api, control, project):
    server = seed_server(control, project)
    system = server["volumes"][0]["id"]
    csbs = seed_csbs(control, project, server["id"], exclude_volumes=[system])
    assert _error(api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "backup_id": csbs})) == "IMG.0033"


def test_backup_with_a_shared_disk_is_refused(api, control, project):
    server = seed_server(control, project, shared=True)
    csbs = seed_csbs(control, project, server["id"])
    resp = api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "backup_id": csbs})
    assert _error(resp) == "IMG.0132" and "shared" in resp.json()["error"]["message"]
    cbr = seed_cbr(control, project, server["id"])
    body = {"name": "w", "backup_id": cbr, "whole_image_type": "CBR"}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0132"
    assert _images(api) == []


def test_one_image_per_cbr_backup(url, api, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    ims = ims_client(url, project)
    first = wait_job(ims, whole_image(ims, backup_id=cbr, whole_image_type="CBR"))
    assert first.status == "SUCCESS" and first.job_type == "imsCreateWholeImageByBackupJob"
    body = {"name": "w2", "backup_id": cbr, "whole_image_type": "CBR"}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0029"
    assert len(_images(api)) == 1


def test_fifty_parallel_creates_from_one_backup_make_exactly_one_image(url, api, control, project):
    server = seed_server(control, project)
    backup = seed_csbs(control, project, server["id"])
    statuses: list[int] = []
    codes: list[str] = []
    start = threading.Barrier(50)

    def create(i: int) -> None:
        session = requests.Session()
        session.headers.update({"X-Auth-Token": "t", "X-Project-Id": project})
        start.wait()
        resp = session.post(f"{url}/v1/cloudimages/wholeimages/action", json={"name": f"w{i}", "backup_id": backup},
                            timeout=60)
        statuses.append(resp.status_code)
        if resp.status_code != 200:
            codes.append(resp.json()["error"]["code"])

    threads = [threading.Thread(target=create, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 1
    assert set(codes) == {"IMG.0134"}
    assert len(_images(api)) == 1


def test_failed_job_kills_the_image_and_frees_the_backup(url, api, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    add_fault(control, operations=["ims.create_whole_image"], action="fail_job", project_id=project,
              error_code="IMG.0014", times=1)
    ims = ims_client(url, project)
    job = wait_job(ims, whole_image(ims, backup_id=cbr, whole_image_type="CBR"))
    assert (job.status, job.error_code) == ("FAIL", "IMG.0014") and job.fail_reason
    assert image(ims, job.entities.image_id).status == "killed"
    again = wait_job(ims, whole_image(ims, "again", backup_id=cbr, whole_image_type="CBR"))
    assert again.status == "SUCCESS"
    # the killed image can be deleted; deleting it does not touch the backup now used by the new image
    assert api.delete(f"/v2/images/{job.entities.image_id}").status_code == 204


def test_image_still_being_created_cannot_be_deleted(api, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    control.put("/transitions", {"ims.create_whole_image": "manual"})
    api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "backup_id": cbr, "whole_image_type": "CBR"})
    (img,) = _images(api)
    assert img["status"] == "saving"
    assert _error(api.delete(f"/v2/images/{img['id']}", {"delete_backup": True})) == "IMG.0090"


def test_delete_without_backup_keeps_a_cbr_backup_and_frees_it(url, api, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    ims = ims_client(url, project)
    image_id = wait_job(ims, whole_image(ims, backup_id=cbr, whole_image_type="CBR")).entities.image_id
    ims.glance_delete_image(GlanceDeleteImageRequest(image_id, GlanceDeleteImageRequestBody(delete_backup=False)))
    state = control.get("/state").json()["projects"][project]
    assert [b["id"] for b in state["cbr_backup"]] == [cbr] and state["cbr_backup"][0]["os_images_data"] == []
    again = ims_client(url, project)
    assert wait_job(again, whole_image(again, backup_id=cbr, whole_image_type="CBR")).status == "SUCCESS"


def test_delete_with_backup_deletes_a_cbr_backup(url, control, project):
    server = seed_server(control, project)
    cbr = seed_cbr(control, project, server["id"])
    ims = ims_client(url, project)
    image_id = wait_job(ims, whole_image(ims, backup_id=cbr, whole_image_type="CBR")).entities.image_id
    ims.glance_delete_image(GlanceDeleteImageRequest(image_id, GlanceDeleteImageRequestBody(delete_backup=True)))
    assert "cbr_backup" not in control.get("/state").json()["projects"][project]


# -- from an ECS -----------------------------------------------------------------------------------

def _start(ecs, server_id):
    body = BatchStartServersRequestBody(os_start=BatchStartServersOption(servers=[ServerId(id=server_id)]))
    return ecs.batch_start_servers(BatchStartServersRequest(body=body))


def test_starting_the_stopped_ecs_is_refused_while_its_full_ecs_image_is_made(url, control, project):
    server = seed_server(control, project, status="SHUTOFF")
    ims, ecs = ims_client(url, project), ecs_client(url, project)
    control.put("/transitions", {"ims.create_whole_image": "polls:3"})
    job_id = whole_image(ims, instance_id=server["id"], vault_id=new_vault(control, project))
    exc = refusal(_start, ecs, server["id"])
    assert exc.error_code == "Ecs.0100"
    job = wait_job(ims, job_id)
    assert (job.status, job.job_type) == ("SUCCESS", "imsCreateWholeImageByInstanceJob")
    assert _start(ecs, server["id"]).job_id  # allowed again once the image is made
    img = image(ims, job.entities.image_id)
    assert img.status == "active" and img.backup_id


def test_a_failed_ecs_image_job_frees_the_ecs(url, control, project):
    server = seed_server(control, project, status="SHUTOFF")
    ims, ecs = ims_client(url, project), ecs_client(url, project)
    add_fault(control, operations=["ims.create_whole_image"], action="fail_job", project_id=project, times=1)
    job = wait_job(ims, whole_image(ims, instance_id=server["id"], vault_id=new_vault(control, project)))
    assert job.status == "FAIL"
    assert _start(ecs, server["id"]).job_id
    assert "cbr_backup" not in control.get("/state").json()["projects"][project]


def test_ecs_source_needs_a_vault_and_an_existing_ecs(api, control, project):
    server = seed_server(control, project)
    assert _error(api.post("/v1/cloudimages/wholeimages/action", {"name": "w", "instance_id": server["id"]})) \
        == "IMG.0184"
    body = {"name": "w", "instance_id": str(uuid.uuid4()), "vault_id": str(uuid.uuid4())}
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0005"
    assert _images(api) == []


def test_second_image_of_an_ecs_being_imaged_is_refused(api, control, project):
    server = seed_server(control, project)
    control.put("/transitions", {"ims.create_whole_image": "manual"})
    body = {"name": "w", "instance_id": server["id"], "vault_id": new_vault(control, project)}
    assert api.post("/v1/cloudimages/wholeimages/action", body).status_code == 200
    assert _error(api.post("/v1/cloudimages/wholeimages/action", body)) == "IMG.0136"


# -- cross-region replication ------------------------------------------------------------------------

def _destination(control, region="cn-north-1"):
    """A project in another region, named uniquely (project names are looked up per region)."""
    dest = new_project()
    control.seed(dest, [], region=region, project_name=f"{region}_{dest[:8]}")
    return f"{region}_{dest[:8]}", dest


def _cross(ims, image_id, name, **extra):
    region = name.rsplit("_", 1)[0]
    body = CopyImageCrossRegionRequestBody(name="replica", region=region, project_name=name,
                                           agency_name="ims_admin_agency", **extra)
    return ims.copy_image_cross_region(CopyImageCrossRegionRequest(image_id, body))


def test_cross_region_replication_of_a_full_ecs_image(url, control, project):
    dest, dest_id = _destination(control)
    far, _ = _destination(control, "af-south-1")
    server = seed_server(control, project)
    ims = ims_client(url, project)
    image_id = wait_job(ims, whole_image(ims, backup_id=seed_csbs(control, project, server["id"]))).entities.image_id

    assert refusal(_cross, ims, image_id, dest).error_code == "IMG.0184"  # no vault_id
    exc = refusal(_cross, ims, image_id, far, vault_id=str(uuid.uuid4()))
    assert exc.error_code == "IMG.0130"  # not a region full-ECS images replicate to
    job = wait_job(ims, _cross(ims, image_id, dest, vault_id=str(uuid.uuid4())).job_id)
    assert (job.status, job.job_type) == ("SUCCESS", "imsCrossRegionCopyImageJob")

    there = ims_client(url, dest_id)
    replica = image(there, job.entities.image_id)
    assert replica.status == "active" and replica.owner == dest_id and replica.backup_id
    back, _ = _destination(control, "cn-east-3")
    exc = refusal(_cross, there, replica.id, back, vault_id=str(uuid.uuid4()))
    assert exc.error_code == "IMG.0130"  # a replicated full-ECS image cannot be replicated again


def test_cross_region_copy_of_a_system_image_needs_no_vault(url, control, project):
    dest, dest_id = _destination(control, "cn-east-3")
    server = seed_server(control, project)
    ims = ims_client(url, project)
    api_body = {"name": "sys", "instance_id": server["id"]}
    resp = requests.post(f"{url}/v2/cloudimages/action", json=api_body,
                         headers={"X-Auth-Token": "t", "X-Project-Id": project}, timeout=30)
    image_id = wait_job(ims, resp.json()["job_id"]).entities.image_id
    job = wait_job(ims, _cross(ims, image_id, dest).job_id)
    assert job.status == "SUCCESS"
    assert image(ims_client(url, dest_id), job.entities.image_id).status == "active"
    assert refusal(_cross, ims, image_id, "cn-north-4_x").error_code == "IMG.0105"  # own region
    assert refusal(_cross, ims, image_id, "cn-east-3_nobody").error_code == "IMG.0145"  # no such project name
    api_body["cmk_id"] = str(uuid.uuid4())
    resp = requests.post(f"{url}/v2/cloudimages/action", json=api_body,
                         headers={"X-Auth-Token": "t", "X-Project-Id": project}, timeout=30)
    encrypted = wait_job(ims, resp.json()["job_id"]).entities.image_id
    assert refusal(_cross, ims, encrypted, dest).error_code == "IMG.0197"


# -- KooGallery ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, value", [("/__imagetype", "market"), ("/__system_support_market", "true")])
def test_a_full_ecs_image_cannot_become_a_market_image(url, api, control, project, path, value):
    server = seed_server(control, project)
    ims = ims_client(url, project)
    whole = wait_job(ims, whole_image(ims, backup_id=seed_cbr(control, project, server["id"]),
                                      whole_image_type="CBR")).entities.image_id
    system = wait_job(ims, api.post("/v2/cloudimages/action", {"name": "sys", "instance_id": server["id"]})
                      .json()["job_id"]).entities.image_id
    patch = [{"op": "add", "path": path, "value": value}]
    assert _error(api.patch(f"/v2/cloudimages/{whole}", patch)) == "IMG.0105"
    assert _error(api.patch(f"/v2/images/{whole}", patch)) == "IMG.0105"
    assert api.patch(f"/v2/cloudimages/{system}", patch).status_code == 200


def test_a_failed_replication_leaves_a_killed_copy_and_no_replica_backup(url, control, project):
    dest, dest_id = _destination(control)
    server = seed_server(control, project)
    ims = ims_client(url, project)
    image_id = wait_job(ims, whole_image(ims, backup_id=seed_cbr(control, project, server["id"]),
                                         whole_image_type="CBR")).entities.image_id
    add_fault(control, operations=["ims.copy_image_cross_region"], action="fail_job", project_id=project, times=1)
    job = wait_job(ims, _cross(ims, image_id, dest, vault_id=str(uuid.uuid4())).job_id)
    assert job.status == "FAIL"
    assert image(ims_client(url, dest_id), job.entities.image_id).status == "killed"
    assert "cbr_backup" not in control.get("/state").json()["projects"][dest_id]
