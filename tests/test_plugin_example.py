"""The README's "Using it from pytest" example, as a real test: keep the two identical.

Only the two plugin_support lines are not in the README: with the package installed, the ims_emulator
entry point loads the plugin and they do nothing.
"""

import pytest
from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody, ShowJobProgressRequest

from tests.plugin_support import PLUGINS

pytest_plugins = PLUGINS

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"  # CSBS provider id of ECS servers


def backed_up_server(emulator_control, csbs, project):
    """Seed a stopped server, back it up with CSBS; returns the backup id."""
    server = emulator_control.server_spec("web-1", status="SHUTOFF")
    emulator_control.seed(project, [server])
    resp = csbs.call("POST", f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{server['id']}/action",
                     {"protect": {"backup_name": "nightly"}})
    assert resp.status == 200, resp.json
    items = csbs.call("GET", "/v1/{project_id}/checkpoint_items",
                      query={"checkpoint_id": resp.json["checkpoint"]["id"]})
    return items.json["checkpoint_items"][0]["id"]


def start_whole_image(ims_client, backup_id):
    body = CreateWholeImageRequestBody(name="golden", backup_id=backup_id, whole_image_type="CSBS")
    return ims_client.create_whole_image(CreateWholeImageRequest(body=body)).job_id


def job(ims_client, job_id):
    return ims_client.show_job_progress(ShowJobProgressRequest(job_id=job_id))


@pytest.mark.ims_transitions(**{"ims.create_whole_image": "polls:2"})
def test_whole_image_runs_then_succeeds(emulator_control, emulator_project, csbs, ims_client):
    job_id = start_whole_image(ims_client, backed_up_server(emulator_control, csbs, emulator_project))

    assert job(ims_client, job_id).status == "INIT"      # poll 1
    done = job(ims_client, job_id)                       # poll 2 settles it
    assert done.status == "SUCCESS"
    image = emulator_control.project_state(emulator_project).by_id(done.entities.image_id)
    assert image["status"] == "active"


@pytest.mark.ims_fault(operations=["ims.create_whole_image"], action="fail_job", error_code="IMG.0014")
def test_whole_image_failure_is_reported(emulator_control, emulator_project, csbs, ims_client):
    job_id = start_whole_image(ims_client, backed_up_server(emulator_control, csbs, emulator_project))

    failed = job(ims_client, job_id)
    assert (failed.status, failed.error_code) == ("FAIL", "IMG.0014")
    image = emulator_control.project_state(emulator_project).by_id(failed.entities.image_id)
    assert image is None or image["status"] == "killed"
