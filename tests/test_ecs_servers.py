"""ECS servers made from images over HTTP: the create rules, data_volumes with a full-ECS image, data-disk
images, the status machine under polls:N, a failed create rolled back, change OS states, delete and reboot,
and a new server used as a source again (backup -> image -> server)."""

from __future__ import annotations

import uuid

from tests.csbs_support import Csbs
from tests.support import server_spec

VPC, SUBNET = str(uuid.uuid4()), str(uuid.uuid4())


def _server(name: str, sizes: list[int], status: str = "SHUTOFF") -> dict:
    vols = [{"id": str(uuid.uuid4()), "size": size, "bootable": i == 0} for i, size in enumerate(sizes)]
    return {"id": str(uuid.uuid4()), "name": name, "status": status, "volumes": vols}


def _body(image_id: str, **server) -> dict:
    return {"server": {"imageRef": image_id, "flavorRef": "s6.large.2", "name": "made", "vpcid": VPC,
                       "nics": [{"subnet_id": SUBNET}], "root_volume": {"volumetype": "SSD"}, **server}}


def _job(api, job_id: str) -> dict:
    return api.get(f"/v1/{{project_id}}/jobs/{job_id}").json()


def _create(api, image_id: str, **server) -> str:
    """create_servers -> the new server's id (job settled: instant transitions)."""
    resp = api.post("/v1.1/{project_id}/cloudservers", _body(image_id, **server))
    assert resp.status_code == 200, resp.text
    job = _job(api, resp.json()["job_id"])
    assert job["status"] == "SUCCESS", job
    return job["entities"]["sub_jobs"][0]["entities"]["server_id"]


def _refused(api, image_id: str, **server) -> tuple[int, str]:
    resp = api.post("/v1.1/{project_id}/cloudservers", _body(image_id, **server))
    return resp.status_code, resp.json()["error"]["code"]


def _disks(api, server_id: str) -> list[tuple[str, int]]:
    body = api.get(f"/v1/{{project_id}}/cloudservers/{server_id}/block_device").json()
    return [(d["device"], d["size"]) for d in body["volumeAttachments"]]


def _whole_image(api, url, control, project, sizes=(40, 50, 60)) -> tuple[str, dict, dict]:
    """A stopped server, its CSBS backup and a full-ECS image of it: (image id, server, backup item)."""
    source = _server("golden", list(sizes))
    control.seed(project, [source])
    item = Csbs(url, project).backup(source["id"])
    job = api.post("/v1/cloudimages/wholeimages/action",
                   {"name": "full", "backup_id": item["id"], "whole_image_type": "CSBS"}).json()["job_id"]
    return _job(api, job)["entities"]["image_id"], source, item


def _system_image(api, control, project, name="sys") -> str:
    spec = server_spec(status="SHUTOFF")
    control.seed(project, [spec])
    job = api.post("/v2/cloudimages/action", {"name": name, "instance_id": spec["id"]}).json()["job_id"]
    return _job(api, job)["entities"]["image_id"]


def test_data_volumes_change_restored_disks_and_add_new_ones(api, url, control, project):
    image_id, _, item = _whole_image(api, url, control, project)
    vb = {v["source_volume_size"]: v for v in item["extend_info"]["volume_backups"]}
    server_id = _create(api, image_id, data_volumes=[
        {"volumetype": "SAS", "size": 80, "extendparam": {"snapshotId": vb[60]["source_volume_id"]}},
        {"volumetype": "SSD", "size": 20}])
    assert _disks(api, server_id) == [("/dev/vda", 40), ("/dev/vdb", 50), ("/dev/vdc", 80), ("/dev/vdd", 20)]
    smaller = [{"volumetype": "SSD", "size": 55, "extendparam": {"snapshotId": vb[60]["source_volume_id"]}}]
    assert _refused(api, image_id, data_volumes=smaller) == (400, "Ecs.0005")
    unknown = [{"volumetype": "SSD", "size": 60, "extendparam": {"snapshotId": str(uuid.uuid4())}}]
    assert _refused(api, image_id, data_volumes=unknown) == (400, "Ecs.0005")


def test_a_system_disk_image_takes_blank_and_data_image_disks(api, control, project):
    image_id = _system_image(api, control, project)
    spec = server_spec(status="SHUTOFF")
    control.seed(project, [spec])
    job = api.post("/v2/cloudimages/action", {"name": "d", "data_images": [
        {"name": "data", "volume_id": spec["volumes"][1]["id"]}]}).json()["job_id"]
    data_image = _job(api, job)["entities"]["sub_jobs_result"][0]["entities"]["image_id"]
    server_id = _create(api, image_id, root_volume={"volumetype": "SSD", "size": 60}, data_volumes=[
        {"volumetype": "SSD", "size": 100, "data_image_id": data_image}, {"volumetype": "SATA", "size": 10}])
    assert _disks(api, server_id) == [("/dev/vda", 60), ("/dev/vdb", 100), ("/dev/vdc", 10)]
    volumes = api.get(f"/v2/{{project_id}}/cloudvolumes/detail?server_id={server_id}").json()["volumes"]
    assert {v["size"] for v in volumes} == {60, 100, 10}
    as_data = [{"volumetype": "SSD", "size": 40, "data_image_id": image_id}]
    assert _refused(api, image_id, data_volumes=as_data) == (400, "Ecs.0007")
    assert _refused(api, data_image) == (400, "Ecs.0007")
    assert _refused(api, image_id, data_volumes=[{"volumetype": "SSD", "size": 10, "extendparam": {
        "snapshotId": spec["volumes"][1]["id"]}}]) == (400, "Ecs.0005")  # snapshotId: full-ECS images only


def test_create_rules_refuse_and_store_nothing(api, url, control, project, emulator):
    image_id = _system_image(api, control, project)
    before = control.get("/state").json()["projects"][project]
    assert _refused(api, image_id, flavorRef="x9.huge.1") == (400, "Ecs.0029")
    assert _refused(api, str(uuid.uuid4())) == (400, "Ecs.0031")
    resp = api.post("/v1.1/{project_id}/cloudservers", _body(image_id, root_volume={"volumetype": "SSD", "size": 20}))
    assert resp.json()["error"] == {"code": "Ecs.0005", "message": "root volume size is [20], must over image "
                                                                   "mindisk [40]"}
    assert _refused(api, image_id, availability_zone="mars-1a") == (400, "Ecs.0005")
    assert _refused(api, image_id, data_volumes=[{"volumetype": "SSD", "size": 10}] * 24) == (400, "Ecs.0042")
    assert control.get("/state").json()["projects"][project] == before
    other = type(api)(url, uuid.uuid4().hex)  # another project cannot use this private image
    assert _refused(other, image_id) == (400, "Ecs.0031")
    control.seed(project, [server_spec(f"vm{i}", data_disks=0) for i in range(99)])
    assert _refused(api, image_id) == (400, "Ecs.0001")  # 100 ECSs (quota) with the image's source


def test_nova_create_refuses_a_full_ecs_image_and_boots_a_system_image(api, url, control, project):
    image_id, *_ = _whole_image(api, url, control, project)
    nova = {"server": {"name": "n", "imageRef": image_id, "flavorRef": "s6.large.2"}}
    assert api.post("/v2.1/{project_id}/servers", nova).json()["error"]["code"] == "Ecs.0005"
    nova["server"]["imageRef"] = _system_image(api, control, project)
    made = api.post("/v2.1/{project_id}/servers", nova)
    assert made.status_code == 202
    server_id = made.json()["server"]["id"]
    assert api.get(f"/v2.1/{{project_id}}/servers/{server_id}").json()["server"]["status"] == "ACTIVE"
    assert api.delete(f"/v2.1/{{project_id}}/servers/{server_id}").status_code == 204
    assert api.get(f"/v2.1/{{project_id}}/servers/{server_id}").status_code == 404


def test_build_then_active_under_polls(api, control, project):
    image_id = _system_image(api, control, project)
    control.put("/transitions", {"ecs.create": "polls:3"})
    resp = api.post("/v1.1/{project_id}/cloudservers", _body(image_id)).json()
    server_id = resp["serverIds"][0]
    first = _job(api, resp["job_id"])
    assert (first["status"], first["job_type"], first["end_time"]) == ("INIT", "createServer", "")
    assert first["entities"]["sub_jobs"][0]["entities"]["server_id"] == server_id
    server = api.get(f"/v1/{{project_id}}/cloudservers/{server_id}").json()["server"]  # poll 2
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("BUILD", "spawning")
    stop = api.post("/v1/{project_id}/cloudservers/action", {"os-stop": {"servers": [{"id": server_id}]}})
    assert stop.json()["error"]["code"] == "Ecs.0100"  # a server being built takes no other operation
    assert _job(api, resp["job_id"])["status"] == "SUCCESS"  # poll 3
    assert api.get(f"/v1/{{project_id}}/cloudservers/{server_id}").json()["server"]["status"] == "ACTIVE"


def test_a_failed_create_rolls_back(api, control, project):
    image_id = _system_image(api, control, project)
    control.post("/faults", {"operations": ["ecs.create"], "action": "fail_job", "project_id": project})
    resp = api.post("/v1.1/{project_id}/cloudservers", _body(image_id, data_volumes=[
        {"volumetype": "SSD", "size": 10}])).json()
    job = _job(api, resp["job_id"])
    assert (job["status"], job["error_code"]) == ("FAIL", "Ecs.0204")
    assert job["entities"]["sub_jobs"][0]["status"] == "FAIL"
    assert api.get(f"/v1/{{project_id}}/cloudservers/{resp['serverIds'][0]}").status_code == 404
    volumes = api.get(f"/v2/{{project_id}}/cloudvolumes/detail?server_id={resp['serverIds'][0]}").json()
    assert volumes["count"] == 0


def test_change_os_states(api, control, project):
    image_id = _system_image(api, control, project)
    running = server_spec("running")
    control.seed(project, [running])
    path = f"/v2/{{project_id}}/cloudservers/{running['id']}/changeos"
    assert api.post(path, {"os-change": {"imageid": image_id}}).json()["error"]["code"] == "Ecs.0100"
    job = api.post(path, {"os-change": {"imageid": image_id, "mode": "withStopServer"}}).json()["job_id"]
    assert _job(api, job)["status"] == "SUCCESS"
    server = api.get(f"/v1/{{project_id}}/cloudservers/{running['id']}").json()["server"]
    assert (server["status"], server["image"]["id"]) == ("ACTIVE", image_id)  # stopped, changed, running again
    v1 = f"/v1/{{project_id}}/cloudservers/{running['id']}/changeos"
    assert api.post(v1, {"os-change": {"imageid": image_id, "mode": "withStopServer"}}).json()["error"][
        "code"] == "Ecs.0005"  # without Cloud-Init: adminpass or keyname
    stopped = server_spec("stopped", status="SHUTOFF")
    control.seed(project, [stopped])
    control.post("/faults", {"operations": ["ecs.changeos"], "action": "fail_job", "project_id": project,
                             "times": 1})
    path = f"/v2/{{project_id}}/cloudservers/{stopped['id']}/changeos"
    assert _job(api, api.post(path, {"os-change": {"imageid": image_id}}).json()["job_id"])["status"] == "FAIL"
    failed = api.get(f"/v1/{{project_id}}/cloudservers/{stopped['id']}").json()["server"]
    assert failed["status"] == "SHUTOFF"  # and retryable:
    assert _job(api, api.post(path, {"os-change": {"imageid": image_id}}).json()["job_id"])["status"] == "SUCCESS"
    reinstall = f"/v1/{{project_id}}/cloudservers/{stopped['id']}/reinstallos"
    job = api.post(reinstall, {"os-reinstall": {"adminpass": "Pw#12345"}}).json()["job_id"]
    assert (_job(api, job)["status"], _job(api, job)["job_type"]) == ("SUCCESS", "reinstallOS")


def test_delete_keeps_data_disks_unless_asked_and_reboot_needs_a_running_server(api, control, project):
    image_id = _system_image(api, control, project)
    keep = _create(api, image_id, data_volumes=[{"volumetype": "SSD", "size": 10}])
    reboot = api.post("/v1/{project_id}/cloudservers/action", {"reboot": {"type": "SOFT", "servers": [{"id": keep}]}})
    job = _job(api, reboot.json()["job_id"])
    assert (job["status"], job["job_type"], job["entities"]["sub_jobs"][0]["job_type"]) == (
        "SUCCESS", "batchRebootServers", "rebootServer")
    data = [v for v in api.get(f"/v2/{{project_id}}/cloudvolumes/detail?server_id={keep}").json()["volumes"]
            if v["bootable"] == "false"]
    job = api.post("/v1/{project_id}/cloudservers/delete", {"servers": [{"id": keep}], "delete_volume": False})
    assert _job(api, job.json()["job_id"])["job_type"] == "deleteServers"
    left = api.get(f"/v2/{{project_id}}/cloudvolumes/{data[0]['id']}").json()["volume"]
    assert (left["status"], left["attachments"]) == ("available", [])
    stopped = server_spec("stopped", status="SHUTOFF")
    control.seed(project, [stopped])
    refused = api.post("/v1/{project_id}/cloudservers/action",
                       {"reboot": {"type": "HARD", "servers": [{"id": stopped["id"]}]}})
    assert refused.json()["error"]["code"] == "Ecs.0100"
    gone = api.post("/v1/{project_id}/cloudservers/delete", {"servers": [{"id": stopped["id"]},
                                                                         {"id": str(uuid.uuid4())}]})
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "Ecs.0114")
    assert api.get(f"/v1/{{project_id}}/cloudservers/{stopped['id']}").status_code == 200  # nothing deleted


def test_a_new_server_is_a_source_again(api, url, control, project):
    image_id, *_ = _whole_image(api, url, control, project, sizes=(40, 70))
    first = _create(api, image_id, name="gen-1")
    stop = api.post("/v1/{project_id}/cloudservers/action", {"os-stop": {"servers": [{"id": first}]}})
    assert _job(api, stop.json()["job_id"])["status"] == "SUCCESS"
    item = Csbs(url, project).backup(first)
    assert item["status"] == "available"
    job = api.post("/v1/cloudimages/wholeimages/action",
                   {"name": "gen-2", "backup_id": item["id"], "whole_image_type": "CSBS"}).json()["job_id"]
    again = _job(api, job)["entities"]["image_id"]
    second = _create(api, again, name="gen-2")
    assert _disks(api, second) == [("/dev/vda", 40), ("/dev/vdb", 70)]
    control.put("/transitions", {"csbs.protect": "manual"})
    assert Csbs(url, project).protect(second).status_code == 200
    busy = api.post("/v1/{project_id}/cloudservers/delete", {"servers": [{"id": second}]})
    assert busy.json()["error"]["code"] == "Ecs.0100"  # being backed up: the busy rule holds for new servers
