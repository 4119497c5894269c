"""The same test controls on the real product operations: an IMS full-ECS image job (official
ImsClient) and a CSBS backup (raw calls signed by the SDK's signer)."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions import exceptions as sdk_exc
from huaweicloudsdkims.v2 import ListImagesRequest, ShowJobRequest

from tests.control_support import add_fault, own_emulator
from tests.csbs_support import Csbs
from tests.ims_support import image, seed_csbs, seed_server, whole_image
from tests.support import ims_client, new_project

emulator = pytest.fixture(scope="module", name="emulator")(own_emulator)  # this module moves the clock


@pytest.fixture
def ims(url: str, project: str):  # noqa: ANN201
    return ims_client(url, project)


def _backup(control, project) -> str:
    server = seed_server(control, project, status="SHUTOFF")
    return seed_csbs(control, project, server["id"])


def _job(ims, job_id):  # noqa: ANN001, ANN202
    return ims.show_job(ShowJobRequest(job_id=job_id))


# -- IMS: ims.create_whole_image ------------------------------------------------------------------

def test_ims_job_polls_3_init_then_running_with_growing_percent(control, project, ims):
    control.put("/transitions", {"ims.create_whole_image": "polls:3"})
    job = whole_image(ims, "polled", backup_id=_backup(control, project), whole_image_type="CSBS")
    first, second = _job(ims, job), _job(ims, job)
    assert (first.status, second.status) == ("INIT", "RUNNING")
    assert 0 < first.entities.process_percent < second.entities.process_percent < 100
    assert image(ims, first.entities.image_id).status != "active"
    third = _job(ims, job)
    assert third.status == "SUCCESS" and image(ims, third.entities.image_id).status == "active"


def test_ims_job_seconds_policy_follows_the_virtual_clock(control, project, ims):
    control.put("/transitions", {"ims.*": "seconds:1200"})
    job = whole_image(ims, "timed", backup_id=_backup(control, project), whole_image_type="CSBS")
    assert _job(ims, job).status == "RUNNING"
    control.post("/clock/advance", {"seconds": 600})
    half = _job(ims, job)
    assert half.status == "RUNNING" and 45 <= half.entities.process_percent <= 55
    control.post("/clock/advance", {"seconds": 601})
    assert _job(ims, job).status == "SUCCESS"


def test_ims_job_manual_settles_by_image_id(control, project, ims):
    control.put("/transitions", {"ims.create_whole_image": "manual"})
    job = whole_image(ims, "by-hand", backup_id=_backup(control, project), whole_image_type="CSBS")
    image_id = _job(ims, job).entities.image_id
    control.post("/clock/advance", {"seconds": 86400})
    assert _job(ims, job).status == "RUNNING"
    settled = control.post("/settle", {"id": image_id, "project_id": project}).json()["settled"]
    assert [t["id"] for t in settled] == [job]
    assert image(ims, image_id).status == "active"


def test_ims_fail_job_kills_the_image_and_frees_the_backup(control, project, ims):
    backup = _backup(control, project)
    add_fault(control, operations=["ims.create_whole_image"], action="fail_job", project_id=project,
              error_code="IMG.0014", times=1)
    failed = _job(ims, whole_image(ims, "doomed", backup_id=backup, whole_image_type="CSBS"))
    assert (failed.status, failed.error_code) == ("FAIL", "IMG.0014")
    assert all(i.status != "active" for i in ims.list_images(ListImagesRequest(name="doomed")).images or [])
    again = _job(ims, whole_image(ims, "second-try", backup_id=backup, whole_image_type="CSBS"))
    assert again.status == "SUCCESS"   # the failed job released its claim on the backup


def test_ims_http_error_is_an_ims_error_body(control, project, ims):
    add_fault(control, operations=["ims.create_whole_image"], action="http_error", project_id=project,
              error_code="IMG.0014", status=500, times=1)
    with pytest.raises(sdk_exc.ServerResponseException) as err:
        whole_image(ims, "refused", backup_id=_backup(control, project), whole_image_type="CSBS")
    assert (err.value.status_code, err.value.error_code) == (500, "IMG.0014")


# -- CSBS: csbs.protect ---------------------------------------------------------------------------

def test_csbs_protect_seconds_policy_shows_growing_progress(control, url, project):
    control.put("/transitions", {"csbs.protect": "seconds:100"})
    csbs = Csbs(url, project)
    item = csbs.backup(seed_server(control, project)["id"], backup_name="timed")
    control.post("/clock/advance", {"seconds": 25})
    quarter = csbs.item(item["id"]).json()["checkpoint_item"]
    control.post("/clock/advance", {"seconds": 50})
    three_quarters = csbs.item(item["id"]).json()["checkpoint_item"]
    assert quarter["status"] == three_quarters["status"] == "protecting"
    assert 20 <= quarter["extend_info"]["progress"] < three_quarters["extend_info"]["progress"] <= 80
    control.post("/clock/advance", {"seconds": 26})
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "available"


def test_csbs_protect_manual_settles_by_backup_id(control, url, project):
    control.put("/transitions", {"csbs.*": "manual"})
    csbs = Csbs(url, project)
    item = csbs.backup(seed_server(control, project)["id"], backup_name="by-hand")
    for _ in range(3):
        assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] != "available"
    control.post("/settle", {"id": item["id"]})
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "available"


def test_csbs_fail_job_leaves_an_error_backup_with_the_code(control, url, project):
    add_fault(control, operations=["csbs.protect"], action="fail_job", project_id=project,
              error_code="CSBS.9999", message="storage unavailable")
    csbs = Csbs(url, project)
    server = seed_server(control, project)["id"]
    item = csbs.backup(server, backup_name="doomed")
    shown = csbs.item(item["id"]).json()["checkpoint_item"]
    assert shown["status"] == "error"
    assert shown["extend_info"]["fail_reason"] == "storage unavailable"
    control.delete(f"/faults?project_id={project}")
    assert csbs.backup(server, backup_name="healthy")["status"] in ("available", "protecting", "waiting_protect")


def test_csbs_http_error_is_a_flat_csbs_body_and_other_projects_are_spared(control, url, project):
    add_fault(control, operations=["csbs.*"], action="http_error", project_id=project, error_code="CSBS.9999")
    resp = Csbs(url, project).get("/checkpoint_items")
    assert resp.status_code == 500
    assert set(resp.json()) == {"error_code", "error_msg"} and resp.json()["error_code"] == "CSBS.9999"
    assert Csbs(url, new_project()).get("/checkpoint_items").status_code == 200
