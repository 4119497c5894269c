"""CSBS delete (waiting_delete -> deleting -> gone) and restores (waiting_restore -> restoring -> available)."""

from __future__ import annotations

import uuid

from tests.csbs_support import PROVIDER, Csbs, assert_error, seed_backups, seed_server


def _restore_body(item, server, mapping=None):
    vbs = item["extend_info"]["volume_backups"]
    volumes = mapping if mapping is not None else [
        {"backup_id": vb["id"], "volume_id": vol["id"]} for vb, vol in zip(vbs, server["volumes"], strict=True)]
    return {"restore": {"provider_id": PROVIDER, "checkpoint_id": item["checkpoint_id"],
                        "parameters": {"checkpoint_item_id": item["id"], "power_on": True,
                                       "targets": {"server_id": server["id"], "volumes": volumes}}}}


def _check(csbs, item, server, mapping=None):
    entry = _restore_body(item, server, mapping)["restore"]["parameters"]
    body = {"check_restorable": [{"checkpoint_item_id": item["id"],
                                  "target": {"resource_id": server["id"], "resource_type": "OS::Nova::Server",
                                             "volumes": entry["targets"]["volumes"]}}]}
    resp = csbs.post(f"/providers/{PROVIDER}/resources/action", body)
    assert resp.status_code == 200, resp.text
    return resp.json()["restorable"][0]


# -- delete -----------------------------------------------------------------------------------------

def test_delete_moves_waiting_deleting_gone(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    control.put("/transitions", {"csbs.delete": "polls:2"})
    resp = csbs.delete_item(item)
    assert resp.status_code == 200 and resp.json() == {}
    assert csbs.items()[0]["status"] == "waiting_delete"
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "deleting"
    body = assert_error(csbs.item(item["id"]), 404, "CSBS.3001")
    assert body["error_msg"] == f"Checkpoint_item ({item['id']}) is not found."
    assert csbs.items() == []


def test_repeated_delete_while_deleting_is_accepted_again(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    control.put("/transitions", {"csbs.delete": "manual"})
    assert csbs.delete_item(item).status_code == 200
    again = csbs.delete_item(item)
    assert again.status_code == 200 and again.json() == {}
    jobs = [j for j in control.get("/state").json()["projects"][project]["jobs"] if j["op"] == "csbs.delete"]
    assert len(jobs) == 1  # no second deletion queued
    control.post("/settle", {"project_id": project})
    assert_error(csbs.delete_item(item), 404, "CSBS.3001")


def test_only_available_or_error_backups_can_be_deleted(control, project, url):
    control.put("/transitions", {"csbs.protect": "manual"})
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    assert_error(csbs.delete_item(item), 400, "CSBS.2003")
    assert csbs.items()[0]["status"] == "waiting_protect"
    (failed,) = seed_backups(control, project, [{"server_id": server["id"], "status": "error"}])
    assert csbs.delete(f"/providers/{PROVIDER}/checkpoints/{failed['checkpoint_id']}").status_code == 200


def test_delete_unknown_checkpoint_or_item(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    assert_error(csbs.delete(f"/providers/{PROVIDER}/checkpoints/{uuid.uuid4()}"), 404, "CSBS.3001")
    path = f"/providers/{PROVIDER}/checkpoints/{item['checkpoint_id']}"
    assert_error(csbs.delete(path, checkpoint_items=str(uuid.uuid4())), 404, "CSBS.3001")
    assert_error(csbs.delete(f"/providers/{uuid.uuid4()}/checkpoints/{item['checkpoint_id']}"), 400, "CSBS.9001")
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "available"


def test_delete_failure_leaves_an_error_backup(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    control.post("/faults", {"operations": ["csbs.delete"], "action": "fail_job", "project_id": project})
    assert csbs.delete_item(item).status_code == 200
    shown = csbs.item(item["id"]).json()["checkpoint_item"]
    assert shown["status"] == "error" and shown["extend_info"]["fail_op"] == "delete"


# -- restore ----------------------------------------------------------------------------------------

def test_restore_moves_waiting_restoring_available(control, project, url):
    server = seed_server(control, project, data_disks=2)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    control.put("/transitions", {"csbs.restore": "polls:2"})
    resp = csbs.post("/restores", _restore_body(item, server))
    assert resp.status_code == 200, resp.text
    restore = resp.json()["restore"]
    assert restore["status"] == "in_progress" and restore["checkpoint_id"] == item["checkpoint_id"]
    assert restore["parameters"]["checkpoint_item_id"] == item["id"] and uuid.UUID(restore["id"])
    assert restore["provider_id"] == PROVIDER and restore["project_id"] == project
    assert csbs.items()[0]["status"] == "waiting_restore"
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "restoring"
    assert_error(csbs.delete_item(item), 400, "CSBS.2003")  # busy while restoring
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] == "available"


def test_restore_onto_a_shared_disk_is_refused_with_6021(control, project, url):
    source = seed_server(control, project)
    target = seed_server(control, project, shared=True)
    csbs = Csbs(url, project)
    item = csbs.backup(source["id"])
    assert_error(csbs.post("/restores", _restore_body(item, target)), 400, "CSBS.6021")
    assert csbs.items()[0]["status"] == "available"  # nothing changed
    result = _check(csbs, item, target)
    assert result["result"] is False and result["error_code"] == "CSBS.6021"
    plain = _check(csbs, item, source)
    assert plain == {"resource_id": source["id"], "resource_type": "OS::Nova::Server", "result": True,
                     "error_msg": "", "error_code": ""}


def test_restore_mapping_rules(control, project, url):
    server = seed_server(control, project, data_disks=1)
    other = seed_server(control, project, data_disks=1)
    small = {"id": str(uuid.uuid4()), "name": "small", "volumes": [
        {"id": str(uuid.uuid4()), "size": 40, "bootable": True}, {"id": str(uuid.uuid4()), "size": 50}]}
    control.seed(project, [small])
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    sys_b, data_b = item["extend_info"]["volume_backups"]
    sys_v, data_v = server["volumes"]
    cases = [
        ("CSBS.6017", server, [{"backup_id": str(uuid.uuid4()), "volume_id": sys_v["id"]}]),
        ("CSBS.6014", server, [{"backup_id": sys_b["id"], "volume_id": other["volumes"][0]["id"]}]),
        ("CSBS.6023", server, [{"backup_id": data_b["id"], "volume_id": sys_v["id"]}]),
        ("CSBS.6018", server, [{"backup_id": sys_b["id"], "volume_id": sys_v["id"]}]),
        ("CSBS.6024", small, [{"backup_id": sys_b["id"], "volume_id": small["volumes"][0]["id"]},
                              {"backup_id": data_b["id"], "volume_id": small["volumes"][1]["id"]}]),
    ]
    for code, target, mapping in cases:
        status = 500 if code == "CSBS.6023" else 400  # the error table gives 6023 a 500
        assert_error(csbs.post("/restores", _restore_body(item, target, mapping)), status, code)
        assert _check(csbs, item, target, mapping)["error_code"] == code
    assert csbs.items()[0]["status"] == "available"


def test_restore_needs_an_available_backup_of_that_checkpoint(control, project, url):
    control.put("/transitions", {"csbs.protect": "manual"})
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    assert_error(csbs.post("/restores", _restore_body(item, server)), 400, "CSBS.4000")
    control.post("/settle", {"project_id": project})
    wrong = _restore_body(item, server)
    wrong["restore"]["checkpoint_id"] = str(uuid.uuid4())
    assert_error(csbs.post("/restores", wrong), 404, "CSBS.3001")
    bad = _restore_body(item, server)
    del bad["restore"]["parameters"]["power_on"]
    assert_error(csbs.post("/restores", bad), 400, "CSBS.9001")
    assert csbs.post("/restores", _restore_body(item, server)).status_code == 200


def test_target_server_already_restoring(control, project, url):
    control.put("/transitions", {"csbs.restore": "manual"})
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    first, second = csbs.backup(server["id"]), csbs.backup(server["id"])
    assert csbs.post("/restores", _restore_body(first, server)).status_code == 200
    assert_error(csbs.post("/restores", _restore_body(second, server)), 400, "CSBS.6015")
