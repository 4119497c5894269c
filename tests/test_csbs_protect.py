"""CSBS protect: the checkpoint, the item's lifecycle, the server rules, quota, check_protectable."""

from __future__ import annotations

import re
import uuid

from tests.csbs_support import PROVIDER, Csbs, assert_error, seed_server

MICROS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")


def _db(emulator):
    return emulator.app.config["DB"]


def test_protect_returns_a_protecting_checkpoint(control, project, url):
    server = seed_server(control, project, name="web")
    resp = Csbs(url, project).protect(server["id"], backup_name="nightly", description="before upgrade")
    assert resp.status_code == 200, resp.text
    cp = resp.json()["checkpoint"]
    assert cp["status"] == "protecting" and cp["project_id"] == project
    assert MICROS.match(cp["created_at"]) and uuid.UUID(cp["id"])
    assert cp["resource_graph"] is None and cp["extra_info"] is None
    plan = cp["protection_plan"]
    assert plan["id"].startswith("fake_") and plan["name"] == f"server protect plan for {server['id']}"
    assert plan["resources"] == [{"id": server["id"], "type": "OS::Nova::Server", "name": "web", "extra_info": {}}]


def test_item_moves_waiting_protecting_available(control, project, url):
    control.put("/transitions", {"csbs.protect": "polls:3"})
    server = seed_server(control, project, data_disks=2)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"], backup_name="b1")
    assert item["status"] == "waiting_protect" and item["extend_info"]["progress"] == 0  # listed at once
    seen = []
    for _ in range(3):
        shown = csbs.item(item["id"]).json()["checkpoint_item"]
        seen.append((shown["status"], shown["extend_info"]["progress"]))
    assert seen == [("protecting", 33), ("protecting", 66), ("available", 100)]
    assert shown["extend_info"]["finished_at"] and MICROS.match(shown["extend_info"]["finished_at"])
    assert shown["extend_info"]["supported_restore_mode"] == "backup"
    vbs = shown["extend_info"]["volume_backups"]
    assert [(v["source_volume_id"], v["source_volume_size"], v["bootable"]) for v in vbs] == \
        [(v["id"], v["size"], bool(v.get("bootable"))) for v in server["volumes"]]
    assert all(v["status"] == "available" and v["size"] == v["source_volume_size"] * 1024 for v in vbs)
    assert shown["extend_info"]["size"] == sum(v["size"] for v in vbs)


def test_item_has_every_documented_field_with_its_type(control, project, url):
    server = seed_server(control, project, name="db")
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"], backup_name="typed", tags=[{"key": "env", "value": "prod"}])
    item = csbs.item(item["id"]).json()["checkpoint_item"]
    assert item["status"] == "available" and item["name"] == "typed" and item["resource_id"] == server["id"]
    assert item["resource_type"] == "OS::Nova::Server" and item["tags"] == [{"key": "env", "value": "prod"}]
    for key in ("created_at", "updated_at", "protected_at"):
        assert MICROS.match(item[key]), key
    assert item["replication_records"] == [] and item["expired_at"] is None
    bd = item["backup_data"]
    assert isinstance(bd["ram"], int) and isinstance(bd["vcpus"], int) and isinstance(bd["disk"], int)
    assert {"eip", "cloudservicetype", "__openstack_region_name", "private_ip", "imagetype"} <= set(bd)
    ext = item["extend_info"]
    types = {"auto_trigger": bool, "average_speed": (int, float), "copy_status": str, "fail_code": dict,
             "fail_op": str, "fail_reason": str, "image_type": str, "incremental": bool, "progress": int,
             "resource_az": str, "resource_name": str, "resource_type": str, "size": int,
             "space_saving_ratio": (int, float), "volume_backups": list, "supported_restore_mode": str,
             "os_images_data": list, "support_lld": bool, "taskid": str, "hypervisor_type": str}
    for key, kind in types.items():
        assert isinstance(ext[key], kind), key
    assert ext["copy_status"] == "na" and ext["image_type"] == "backup" and ext["fail_code"] == {}
    assert ext["resource_name"] == "db" and ext["auto_trigger"] is False and ext["incremental"] is False
    assert "_shared_disk" not in item and "_shared_disk" not in ext


def test_failed_protect_ends_in_error_with_the_fault(control, project, url):
    server = seed_server(control, project)
    rule = {"operations": ["csbs.protect"], "action": "fail_job", "project_id": project,
            "error_code": "CSBS.9999", "message": "snapshot of the disk failed"}
    assert control.post("/faults", rule).status_code == 201
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    shown = csbs.item(item["id"]).json()["checkpoint_item"]
    ext = shown["extend_info"]
    assert shown["status"] == "error"
    assert ext["fail_op"] == "backup" and ext["fail_reason"] == "snapshot of the disk failed"
    assert ext["fail_code"] == {"Code": 9999, "Description": "CSBS.9999: snapshot of the disk failed"}
    # the server is free again: a new backup is accepted
    assert csbs.protect(server["id"]).status_code == 200


def test_shared_disk_server_is_refused_with_6010_and_nothing_stored(control, project, url):
    server = seed_server(control, project, shared=True)
    csbs = Csbs(url, project)
    body = assert_error(csbs.protect(server["id"]), 400, "CSBS.6010")
    shared = server["volumes"][-1]["id"]
    assert body["error_msg"] == f"Volume ({shared}) attached to server ({server['id']}) is shareable volume."
    assert csbs.items() == []
    assert csbs.get("/checkpoint_items/count").json() == {"count": 0}


def test_missing_server_and_server_without_disks(control, project, url):
    csbs = Csbs(url, project)
    assert_error(csbs.protect(str(uuid.uuid4())), 400, "CSBS.6000")
    diskless = {"id": str(uuid.uuid4()), "name": "empty", "volumes": []}
    control.seed(project, [diskless])
    assert_error(csbs.protect(diskless["id"]), 400, "CSBS.6007")
    assert csbs.items() == []


def test_server_status_must_be_running_or_stopped(emulator, control, project, url):
    server = seed_server(control, project, status="SHUTOFF")
    csbs = Csbs(url, project)
    assert csbs.protect(server["id"]).status_code == 200  # stopped is fine
    with _db(emulator).write() as tx:
        row = tx.entities.get("server", server["id"])
        row.status = row.doc["status"] = "ERROR"
        tx.entities.update(row)
    body = assert_error(csbs.protect(server["id"]), 400, "CSBS.6006")
    assert body["error_msg"] == f"Server ({server['id']}) status (ERROR) is not allowed to protect."


def test_server_being_backed_up_is_busy(control, project, url):
    control.put("/transitions", {"csbs.protect": "manual"})
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    assert csbs.protect(server["id"]).status_code == 200
    assert_error(csbs.protect(server["id"]), 400, "CSBS.6005")
    assert len(csbs.items()) == 1
    control.post("/settle", {"project_id": project})
    assert csbs.protect(server["id"]).status_code == 200


def test_quota_counts_real_backups(control, project, url):
    server = seed_server(control, project)
    assert control.put("/csbs/quotas", {"project_id": project, "backups": 1}).status_code == 200
    csbs = Csbs(url, project)
    assert csbs.get("/quotas").json()["quotas"]["resources"][1] == {"type": "backups", "quota": 1, "used": 0}
    first = csbs.backup(server["id"])
    body = assert_error(csbs.protect(server["id"]), 400, "CSBS.9006")
    assert body["error_msg"] == "Quota exceeded for resources: backups"
    quotas = csbs.get("/quotas").json()["quotas"]["resources"]
    assert quotas[0] == {"type": "backup_capacity", "unit": "GB", "quota": -1, "used": 140}
    assert quotas[1]["used"] == 1
    assert csbs.delete_item(first).status_code == 200
    assert csbs.protect(server["id"]).status_code == 200  # freed by the deletion


def test_check_protectable_reports_each_reason(control, project, url):
    good = seed_server(control, project)
    shared = seed_server(control, project, shared=True)
    missing = str(uuid.uuid4())
    body = {"check_protectable": [{"resource_id": good["id"], "resource_type": "OS::Nova::Server"},
                                  {"resource_id": shared["id"], "resource_type": "OS::Nova::Server"},
                                  {"resource_id": missing, "resource_type": "OS::Nova::Server"},
                                  {"resource_id": good["id"], "resource_type": "OS::Cinder::Volume"}]}
    resp = Csbs(url, project).post(f"/providers/{PROVIDER}/resources/action", body)
    assert resp.status_code == 200, resp.text
    out = resp.json()["protectable"]
    assert out[0] == {"resource_id": good["id"], "resource_type": "OS::Nova::Server", "result": True}
    assert [(o["result"], o.get("error_code")) for o in out[1:]] == \
        [(False, "CSBS.6010"), (False, "CSBS.6000"), (False, "CSBS.6003")]
    assert shared["id"] in out[1]["error_msg"]


def test_protect_input_validation(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    path = f"/providers/{PROVIDER}/resources/{server['id']}/action"
    bad = [
        {"protect": {"backup_name": "has space"}},
        {"protect": {"backup_name": "x" * 256}},
        {"protect": {"description": "<b>"}},
        {"protect": {"incremental": "yes"}},
        {"protect": {"tags": []}},
        {"protect": {"tags": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}},
        {"protect": {"tags": [{"key": f"k{i}", "value": "v"} for i in range(11)]}},
        {"protect": {"tags": [{"key": "k" * 37, "value": "v"}]}},
        {"protect": "now"},
        {},
    ]
    for body in bad:
        assert_error(csbs.post(path, body), 400, "CSBS.9001")
    assert_error(csbs.post(path, "{not json"), 400, "CSBS.9001")
    assert_error(csbs.post(f"/providers/{uuid.uuid4()}/resources/{server['id']}/action", {"protect": {}}),
                 400, "CSBS.9001")
    assert csbs.items() == []


def test_tag_whitespace_is_trimmed(control, project, url):
    server = seed_server(control, project)
    item = Csbs(url, project).backup(server["id"], tags=[{"key": " env ", "value": " dev "}])
    assert item["tags"] == [{"key": "env", "value": "dev"}]


def test_first_backup_is_full_later_ones_incremental(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    first = csbs.backup(server["id"], incremental=True)
    second = csbs.backup(server["id"], incremental=True)
    assert first["extend_info"]["incremental"] is False
    assert second["extend_info"]["incremental"] is True


def test_progress_rises_with_virtual_time(control, project, url):
    control.put("/transitions", {"csbs.protect": "seconds:1000"})
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    assert item["status"] == "waiting_protect" or item["extend_info"]["progress"] <= 1
    control.post("/clock/advance", {"seconds": 500})
    half = csbs.items()[0]
    assert half["status"] == "protecting" and 50 <= half["extend_info"]["progress"] <= 51
    assert half["extend_info"]["supported_restore_mode"] == "snapshot"
    control.post("/clock/advance", {"seconds": 500})
    done = csbs.items()[0]
    assert done["status"] == "available" and done["extend_info"]["progress"] == 100


def test_seeding_backups_checks_its_input(control, project, url):
    server = seed_server(control, project, shared=True)
    fixed = str(uuid.uuid4())
    resp = control.post("/seed/csbs_backups", {"project_id": project, "backups": [
        {"id": fixed, "server_id": server["id"], "name": "seeded"}]})
    assert resp.status_code == 201, resp.text
    assert resp.json()["backups"][0]["id"] == fixed
    shown = Csbs(url, project).item(fixed).json()["checkpoint_item"]
    assert shown["status"] == "available" and len(shown["extend_info"]["volume_backups"]) == 2  # shared disk kept
    again = control.post("/seed/csbs_backups", {"project_id": project, "backups": [
        {"id": fixed, "server_id": server["id"]}]})
    assert again.status_code == 409
    for bad in ({"project_id": project, "backups": [{"server_id": str(uuid.uuid4())}]},
                {"project_id": project, "backups": [{"server_id": server["id"], "status": "deleting"}]},
                {"project_id": project}):
        assert control.post("/seed/csbs_backups", bad).status_code == 400
    assert len(Csbs(url, project).items()) == 1
