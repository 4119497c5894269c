"""Declarative worlds: backups and images in given states, from --world FILE and POST /_emulator/seed."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import yaml
from huaweicloudsdkims.v2 import GlanceDeleteImageRequest, GlanceDeleteImageRequestBody

from tests.csbs_support import Csbs
from tests.ims_support import image, refusal, wait_job, whole_image
from tests.support import Control, SubprocessServer, ims_client
from tests.worlds_support import PIPELINE, ids, pipeline_project


def _seed(control, body, status=201):
    resp = control.post("/seed", body)
    assert resp.status_code == status, resp.text
    return resp.json()


def _stored(control, project):
    return control.get("/state").json()["projects"].get(project)


# -- backups in a given state -------------------------------------------------------------------------

def test_an_available_csbs_backup_from_a_world_makes_exactly_one_full_ecs_image(url, control, project):
    world = pipeline_project(project)
    _, backup_id, _ = ids(world)
    world.pop("images")
    _seed(control, world)
    ims = ims_client(url, project)
    job = wait_job(ims, whole_image(ims, "from-world", backup_id=backup_id, whole_image_type="CSBS"))
    assert job.status == "SUCCESS"
    exc = refusal(ims.create_whole_image, *[_again(backup_id)])
    assert exc.error_code == "IMG.0134"


def test_a_backup_seeded_in_error_cannot_make_an_image(url, control, project):
    world = pipeline_project(project)
    world.pop("images")
    world["backups"][0]["status"] = "error"
    _seed(control, world)
    ims = ims_client(url, project)
    exc = refusal(ims.create_whole_image, *[_again(world["backups"][0]["id"])])
    assert exc.status_code == 400
    assert Csbs(url, project).item(world["backups"][0]["id"]).json()["checkpoint_item"]["status"] == "error"


def test_a_protecting_backup_follows_the_transition_policy(url, control, project):
    control.put("/transitions", {"csbs.protect": "manual"})
    world = pipeline_project(project)
    _, backup_id, _ = ids(world)
    world.pop("images")
    world["backups"][0]["status"] = "protecting"
    _seed(control, world)
    csbs = Csbs(url, project)
    assert csbs.item(backup_id).json()["checkpoint_item"]["status"] in ("waiting_protect", "protecting")
    control.post("/settle", {"project_id": project})
    assert csbs.item(backup_id).json()["checkpoint_item"]["status"] == "available"


def test_a_cbr_backup_in_a_world_is_a_cbr_backup(url, control, project, api):
    world = pipeline_project(project)
    server_id, backup_id, image_id = ids(world)
    world["backups"] = [{"id": backup_id, "type": "cbr", "server_id": server_id, "vault_id": str(uuid.uuid4())}]
    body = _seed(control, world)
    assert body["backups"] == [{"id": backup_id, "type": "cbr", "status": "available"}]
    img = image(ims_client(url, project), image_id)
    assert img.backup_id == backup_id and img.status == "active"
    raw = api.get(f"/v2/cloudimages?id={image_id}").json()["images"][0]
    assert raw["__data_origin"] == f"cbr_backup,{backup_id}"


# -- images in a given state ----------------------------------------------------------------------------

def test_an_active_full_ecs_image_from_a_world_holds_its_backup(url, control, project, api):
    world = pipeline_project(project)
    _, backup_id, image_id = ids(world)
    body = _seed(control, world)
    assert body["images"] == [{"id": image_id, "status": "active", "__backup_id": backup_id}]
    ims = ims_client(url, project)
    img = image(ims, image_id)
    assert img.status == "active" and img.backup_id == backup_id and img.name == "app-1-full"
    assert api.get(f"/v2/cloudimages?id={image_id}").json()["images"][0]["__whole_image"] == "true"
    csbs = Csbs(url, project)
    item = csbs.item(backup_id).json()["checkpoint_item"]
    assert item["extend_info"]["os_images_data"] == [{"image_id": image_id}]
    assert csbs.delete_item(item).json()["error_code"] == "CSBS.8007"
    assert refusal(ims.create_whole_image, *[_again(backup_id)]).error_code == "IMG.0134"
    # deleting the image (keeping the backup) frees the backup, as through the API
    ims.glance_delete_image(GlanceDeleteImageRequest(image_id, GlanceDeleteImageRequestBody(delete_backup=False)))
    assert wait_job(ims, whole_image(ims, "again", backup_id=backup_id)).status == "SUCCESS"


def test_a_killed_image_from_a_world_leaves_its_backup_free(url, control, project):
    world = pipeline_project(project)
    _, backup_id, image_id = ids(world)
    world["images"][0]["status"] = "killed"
    _seed(control, world)
    ims = ims_client(url, project)
    assert image(ims, image_id).status == "killed"
    assert wait_job(ims, whole_image(ims, "after-killed", backup_id=backup_id)).status == "SUCCESS"


def test_a_saving_image_stays_saving_until_settled(url, control, project):
    world = pipeline_project(project)
    server_id, _, image_id = ids(world)
    world["images"] = [{"id": image_id, "name": "sys-disk", "source": "server", "server_id": server_id,
                        "status": "saving"}]
    _seed(control, world)
    ims = ims_client(url, project)
    assert image(ims, image_id).status == "saving"
    assert image(ims, image_id).status == "saving"  # reads do not finish it: it waits for /settle
    assert control.post("/settle", {"project_id": project}).status_code == 200
    assert image(ims, image_id).status == "active"


def test_a_full_ecs_image_being_made_from_a_server_blocks_its_start(url, control, project, api):
    world = pipeline_project(project)
    server_id, _, image_id = ids(world)
    world.pop("backups")
    world["images"] = [{"id": image_id, "name": "whole-from-ecs", "source": "server", "server_id": server_id,
                        "whole": True, "vault_id": str(uuid.uuid4()), "status": "saving"}]
    _seed(control, world)
    start = {"os-start": {"servers": [{"id": server_id}]}}
    refused = api.post(f"/v1/{project}/cloudservers/action", start)
    assert refused.status_code == 400 and "Ecs.0100" in refused.text, refused.text
    control.post("/settle", {"project_id": project})
    assert image(ims_client(url, project), image_id).status == "active"
    assert api.post(f"/v1/{project}/cloudservers/action", start).status_code == 200


def test_an_image_from_a_file(url, control, project):
    spec = {"name": "imported", "source": "file", "min_disk": 50, "image_url": "my-bucket:disk.qcow2"}
    world = {"project_id": project, "images": [spec]}
    (made,) = _seed(control, world)["images"]
    img = image(ims_client(url, project), made["id"])
    assert img.status == "active" and img.min_disk == 50


# -- one project or a whole world; errors name the field; all or nothing -------------------------------

def test_seed_takes_a_whole_world(control):
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    body = _seed(control, {"projects": [pipeline_project(a), {"project_id": b, "region": "cn-east-3"}]})
    assert [p["project_id"] for p in body["projects"]] == [a, b]
    assert len(_stored(control, a)["images"]) == 1 and _stored(control, b)["region"] == "cn-east-3"


def test_seed_takes_yaml(control, project):
    text = yaml.safe_dump({"projects": [pipeline_project(project)]})
    resp = requests.post(f"{control.url}/seed", data=text, headers={"Content-Type": "application/yaml"}, timeout=30)
    assert resp.status_code == 201, resp.text
    assert _stored(control, project)["images"][0]["status"] == "active"
    broken = requests.post(f"{control.url}/seed", data="projects: [", headers={"Content-Type": "application/yaml"},
                           timeout=30)
    assert broken.status_code == 400 and "not valid YAML" in broken.json()["error"]


def test_a_bad_field_is_named_by_its_path_and_nothing_is_stored(control, project):
    world = pipeline_project(project)
    world["backups"].append({"server_id": world["servers"][0]["id"], "status": "deleting"})
    resp = control.post("/seed", {"projects": [world]})
    assert resp.status_code == 400
    assert "projects[0].backups[1].status: Must be one of: available, error, protecting." in resp.text
    assert _stored(control, project) is None
    world["backups"].pop()
    world["images"][0]["id"] = "img-1"
    resp = control.post("/seed", world)
    assert resp.status_code == 400 and resp.json()["error"] == "images[0].id: must be a UUID"


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w["images"][0].update(backup_id=str(uuid.uuid4())), "images[0].backup_id: backup"),
    (lambda w: w["backups"][0].update(server_id=str(uuid.uuid4())), "backups[0].server_id: server"),
    (lambda w: w["images"].append({**w["images"][0], "id": str(uuid.uuid4())}), "images[1]: IMG.0134"),
])
def test_a_world_breaking_a_rule_is_refused_whole(control, project, change, message):
    world = pipeline_project(project)
    change(world)
    resp = control.post("/seed", world)
    assert resp.status_code == 400 and message in resp.json()["error"], resp.text
    assert _stored(control, project) is None


def test_an_existing_id_is_a_conflict_and_nothing_is_stored(control, project):
    first = pipeline_project(project)
    _seed(control, first)
    other = uuid.uuid4().hex
    again = pipeline_project(other)
    again["images"][0]["id"] = first["images"][0]["id"]
    assert control.post("/seed", again).status_code == 409
    assert _stored(control, other) is None


# -- --world FILE at start-up -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_serve_loads_a_world_file(tmp_path, suffix):
    world = json.loads(PIPELINE.read_text(encoding="utf-8"))
    path = tmp_path / f"world{suffix}"
    path.write_text(json.dumps(world) if suffix == ".json" else yaml.safe_dump(world), encoding="utf-8")
    server = SubprocessServer("--db", ":memory:", "--world", str(path))
    try:
        (project,) = world["projects"]
        state = Control(server.url).get("/state").json()["projects"][project["project_id"]]
        (img,) = state["images"]
        assert img["id"] == project["images"][0]["id"] and img["status"] == "active"
        assert [b["id"] for b in state["backups"]] == [project["backups"][0]["id"]]
    finally:
        server.stop()


def test_serve_refuses_a_bad_world_file_naming_the_field(tmp_path):
    world = json.loads(PIPELINE.read_text(encoding="utf-8"))
    world["projects"][0]["images"][0]["status"] = "deleted"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(world), encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"projects\[0\]\.images\[0\]\.status: Must be one of"):
        SubprocessServer("--db", ":memory:", "--world", str(path))


def test_serve_refuses_a_world_naming_a_missing_backup(tmp_path):
    world = json.loads(PIPELINE.read_text(encoding="utf-8"))
    world["projects"][0]["images"][0]["backup_id"] = str(uuid.uuid4())
    path = tmp_path / "dangling.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"projects\[0\]\.images\[0\]\.backup_id: backup .* not found"):
        SubprocessServer("--db", ":memory:", "--world", str(path))


def _again(backup_id):
    from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody
    return CreateWholeImageRequest(body=CreateWholeImageRequestBody(name="again", backup_id=backup_id))
