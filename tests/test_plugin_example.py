"""The README's "Using it from pytest" example, as a real test (keep the two identical)."""

from tests.plugin_support import PLUGINS

pytest_plugins = PLUGINS  # with the package installed the ims_emulator entry point loads the plugin instead

# --- README example starts here ---
import pytest  # noqa: E402
from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody, ShowJobProgressRequest  # noqa: E402

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"  # the CSBS provider id for ECS servers


def backup(emulator_control, csbs, project):
    """Seed a stopped server and back it up with CSBS; returns the backup (checkpoint item) id."""
    server = emulator_control.server_spec("web-1", status="SHUTOFF", data_disks=1)
    emulator_control.seed(project, [server])
    resp = csbs.call("POST", f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{server['id']}/action",
                     {"protect": {"backup_name": "nightly"}})
    assert resp.status == 200, resp.json
    checkpoint = resp.json["checkpoint"]["id"]
    items = csbs.call("GET", "/v1/{project_id}/checkpoint_items", query={"checkpoint_id": checkpoint})
    return items.json["checkpoint_items"][0]["id"]


def create_whole_image(ims_client, backup_id):
    body = CreateWholeImageRequestBody(name="golden", backup_id=backup_id, whole_image_type="CSBS")
    return ims_client.create_whole_image(CreateWholeImageRequest(body=body)).job_id


@pytest.mark.ims_transitions(**{"ims.create_whole_image": "polls:2"})
def test_image_from_backup_is_running_then_done(emulator_control, emulator_project, csbs, ims_client):
    job_id = create_whole_image(ims_client, backup(emulator_control, csbs, emulator_project))

    assert ims_client.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status == "RUNNING"   # poll 1
    job = ims_client.show_job_progress(ShowJobProgressRequest(job_id=job_id))                       # poll 2 settles it
    assert job.status == "SUCCESS"
    image = emulator_control.project_state(emulator_project).by_id(job.entities.image_id)
    assert image["status"] == "active"


@pytest.mark.ims_fault(operations=["ims.create_whole_image"], action="fail_job", error_code="IMG.0014")
def test_image_job_failure_is_reported(emulator_control, emulator_project, csbs, ims_client):
    job = ims_client.show_job_progress(ShowJobProgressRequest(job_id=create_whole_image(
        ims_client, backup(emulator_control, csbs, emulator_project))))
    assert job.status == "FAIL" and job.error_code == "IMG.0014"
