"""CSBS backup policies: CRUD, one policy per server, running a policy now."""

from __future__ import annotations

import uuid

from tests.csbs_support import PROVIDER, Csbs, assert_error, seed_server

PATTERN = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=WEEKLY;BYDAY=TH;BYHOUR=12;BYMINUTE=27\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")


def policy_body(name="my-plan", servers=(), enabled=True, **definition):
    return {"policy": {
        "name": name, "description": "My plan", "provider_id": PROVIDER, "parameters": {"common": {}},
        "resources": [{"id": s["id"], "type": "OS::Nova::Server", "name": s["name"]} for s in servers],
        "scheduled_operations": [{"name": "my-backup-policy", "description": "weekly", "enabled": enabled,
                                  "operation_type": "backup",
                                  "operation_definition": definition or {"max_backups": 20},
                                  "trigger": {"properties": {"pattern": PATTERN}}}]}}


def create(csbs, **kw):
    resp = csbs.post("/policies", policy_body(**kw))
    assert resp.status_code == 200, resp.text
    return resp.json()["policy"]


def test_create_answers_definition_numbers_as_strings_and_get_as_numbers(control, project, url):
    server = seed_server(control, project, name="app")
    csbs = Csbs(url, project)
    created = create(csbs, servers=[server], max_backups=20, retention_duration_days=-1, permanent=True)
    op = created["scheduled_operations"][0]
    assert op["operation_definition"] == {"max_backups": "20", "retention_duration_days": "-1",
                                          "permanent": "True", "plan_id": created["id"], "provider_id": PROVIDER}
    assert op["trigger"]["properties"]["pattern"] == PATTERN and op["trigger"]["type"] == "time"
    assert op["trigger_id"] == op["trigger"]["id"] and op["trigger"]["properties"]["format"] == "ical"
    assert len(op["trigger"]["properties"]["start_time"]) == 19
    assert created["resources"] == [{"id": server["id"], "name": "app", "type": "OS::Nova::Server",
                                     "extra_info": {}}]
    assert created["status"] == "enabled" and created["provider_id"] == PROVIDER
    shown = csbs.get(f"/policies/{created['id']}").json()["policy"]
    definition = shown["scheduled_operations"][0]["operation_definition"]
    assert definition["max_backups"] == 20 and definition["retention_duration_days"] == -1
    assert definition["permanent"] is True
    listed = csbs.get("/policies").json()["policies"]
    assert [p["id"] for p in listed] == [created["id"]]
    assert listed[0]["scheduled_operations"][0]["operation_definition"]["max_backups"] == 20


def test_a_server_is_in_at_most_one_policy(control, project, url):
    server = seed_server(control, project)
    other = seed_server(control, project)
    csbs = Csbs(url, project)
    first = create(csbs, name="first", servers=[server])
    assert_error(csbs.post("/policies", policy_body(name="second", servers=[other, server])), 400, "CSBS.6004")
    assert [p["name"] for p in csbs.get("/policies").json()["policies"]] == ["first"]  # nothing stored
    second = create(csbs, name="second", servers=[other])  # `other` was not claimed by the refused create
    change = {"policy": {"resources": [{"id": server["id"], "type": "OS::Nova::Server", "name": "x"}]}}
    assert_error(csbs.put(f"/policies/{second['id']}", change), 400, "CSBS.6004")
    assert csbs.get(f"/policies/{second['id']}").json()["policy"]["resources"][0]["id"] == other["id"]
    # unbinding from the first policy frees the server
    assert csbs.put(f"/policies/{first['id']}", {"policy": {"resources": []}}).status_code == 200
    assert csbs.put(f"/policies/{second['id']}", change).status_code == 200
    # deleting a policy frees its servers too
    assert csbs.delete(f"/policies/{second['id']}").status_code == 200
    assert create(csbs, name="third", servers=[server])["resources"][0]["id"] == server["id"]


def test_policy_names_are_unique_and_unknown_ids_404(control, project, url):
    csbs = Csbs(url, project)
    create(csbs, name="nightly")
    assert_error(csbs.post("/policies", policy_body(name="nightly")), 400, "CSBS.9007")
    missing = str(uuid.uuid4())
    assert_error(csbs.get(f"/policies/{missing}"), 404, "CSBS.3000")
    assert_error(csbs.put(f"/policies/{missing}", {"policy": {"name": "x"}}), 404, "CSBS.3000")
    assert_error(csbs.delete(f"/policies/{missing}"), 404, "CSBS.3000")


def test_update_policy_fields_and_schedule(control, project, url):
    csbs = Csbs(url, project)
    created = create(csbs, name="p1")
    op_id = created["scheduled_operations"][0]["id"]
    change = {"policy": {"name": "p2", "description": "changed", "scheduled_operations": [
        {"id": op_id, "enabled": False, "operation_definition": {"max_backups": 5}}]}}
    resp = csbs.put(f"/policies/{created['id']}", change)
    assert resp.status_code == 200, resp.text
    updated = resp.json()["policy"]
    assert updated["scheduled_operations"][0]["operation_definition"]["max_backups"] == "5"  # strings, as on create
    assert updated["user_id"] is None
    shown = csbs.get(f"/policies/{created['id']}").json()["policy"]
    assert shown["name"] == "p2" and shown["description"] == "changed" and shown["status"] == "disabled"
    assert shown["scheduled_operations"][0]["operation_definition"]["max_backups"] == 5
    assert "permanent" not in shown["scheduled_operations"][0]["operation_definition"]  # false is not echoed
    bad = {"policy": {"scheduled_operations": [{"id": str(uuid.uuid4()), "enabled": True}]}}
    assert_error(csbs.put(f"/policies/{created['id']}", bad), 400, "CSBS.9001")


def test_policy_validation(control, project, url):
    csbs = Csbs(url, project)
    bad_pattern = policy_body()
    bad_pattern["policy"]["scheduled_operations"][0]["trigger"]["properties"]["pattern"] = "every day"
    wrong_provider = policy_body()
    wrong_provider["policy"]["provider_id"] = str(uuid.uuid4())
    no_ops = policy_body()
    no_ops["policy"]["scheduled_operations"] = []
    bad_type = policy_body()
    bad_type["policy"]["resources"] = [{"id": "x", "type": "OS::Cinder::Volume", "name": "v"}]
    for body in (bad_pattern, wrong_provider, no_ops, bad_type, policy_body(name="bad name"),
                 policy_body(max_backups=100000), policy_body(day_backups=3)):
        assert_error(csbs.post("/policies", body), 400, "CSBS.9001")
    assert csbs.get("/policies").json()["policies"] == []


def test_list_policies_paging_and_name(control, project, url):
    csbs = Csbs(url, project)
    made = [create(csbs, name=f"p{i}")["id"] for i in range(3)]
    first = csbs.get("/policies", limit=2, sort="name:asc").json()
    assert [p["name"] for p in first["policies"]] == ["p0", "p1"]
    assert first["policies_links"][0]["rel"] == "next"
    rest = csbs.get("/policies", limit=2, sort="name:asc", marker=made[1]).json()
    assert [p["name"] for p in rest["policies"]] == ["p2"] and "policies_links" not in rest
    assert [p["name"] for p in csbs.get("/policies", name="p1").json()["policies"]] == ["p1"]


def test_run_policy_makes_one_backup_per_bound_server(control, project, url):
    control.put("/transitions", {"csbs.protect": "polls:2"})
    a, b = seed_server(control, project, name="a"), seed_server(control, project, name="b")
    csbs = Csbs(url, project)
    policy = create(csbs, name="daily", servers=[a, b])
    resp = csbs.post(f"/providers/{PROVIDER}/checkpoints",
                     {"checkpoint": {"plan_id": policy["id"], "parameters": {"auto_trigger": False}}})
    assert resp.status_code == 200, resp.text
    cp = resp.json()["checkpoint"]
    assert cp["status"] == "protecting" and cp["extra_info"] == '{"created_by": "manual"}'
    assert cp["protection_plan"]["id"] == policy["id"] and cp["protection_plan"]["name"] == "daily"
    assert {r["id"] for r in cp["protection_plan"]["resources"]} == {a["id"], b["id"]}
    items = csbs.items(checkpoint_id=cp["id"])
    assert {i["resource_id"] for i in items} == {a["id"], b["id"]}
    assert {i["status"] for i in items} == {"waiting_protect"}
    assert csbs.items(policy_id=policy["id"]) == items
    # a second run while the first is running is refused
    again = csbs.post(f"/providers/{PROVIDER}/checkpoints",
                      {"checkpoint": {"plan_id": policy["id"], "parameters": {}}})
    assert_error(again, 500, "CSBS.1001")
    for item in items:
        for _ in range(2):
            csbs.item(item["id"])
    assert {i["status"] for i in csbs.items(checkpoint_id=cp["id"])} == {"available"}
    # the whole checkpoint is deleted at once
    assert csbs.delete(f"/providers/{PROVIDER}/checkpoints/{cp['id']}").status_code == 200
    assert csbs.items() == []


def test_run_policy_needs_a_backable_server(control, project, url):
    shared = seed_server(control, project, shared=True)
    csbs = Csbs(url, project)
    policy = create(csbs, servers=[shared])
    body = {"checkpoint": {"plan_id": policy["id"], "parameters": {"resources": [shared["id"]]}}}
    assert_error(csbs.post(f"/providers/{PROVIDER}/checkpoints", body), 500, "CSBS.6032")
    body["checkpoint"]["plan_id"] = str(uuid.uuid4())
    assert_error(csbs.post(f"/providers/{PROVIDER}/checkpoints", body), 404, "CSBS.3000")
    assert csbs.items() == []


def test_policy_run_with_auto_trigger_names_backups_autobk(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    policy = create(csbs, servers=[server])
    body = {"checkpoint": {"plan_id": policy["id"], "parameters": {"auto_trigger": True}}}
    assert csbs.post(f"/providers/{PROVIDER}/checkpoints", body).status_code == 200
    (item,) = csbs.items()
    assert item["name"].startswith("autobk_") and item["extend_info"]["auto_trigger"] is True


def test_parallel_creates_bind_a_server_to_one_policy_only(control, project, url):
    from concurrent.futures import ThreadPoolExecutor
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: csbs.post("/policies", policy_body(name=f"race{i}", servers=[server])),
                                range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 7
    assert {a.json()["error_code"] for a in answers if a.status_code == 400} == {"CSBS.6004"}
    assert len(csbs.get("/policies").json()["policies"]) == 1


def test_ids_in_bodies_must_be_uuids(control, project, url):
    csbs = Csbs(url, project)
    body = policy_body()
    body["policy"]["resources"] = [{"id": "not-a-uuid", "type": "OS::Nova::Server", "name": "x"}]
    assert_error(csbs.post("/policies", body), 400, "CSBS.9001")
    run = {"checkpoint": {"plan_id": "abc", "parameters": {}}}
    assert_error(csbs.post(f"/providers/{PROVIDER}/checkpoints", run), 400, "CSBS.9001")
    check = {"check_protectable": [{"resource_id": "abc", "resource_type": "OS::Nova::Server"}]}
    assert_error(csbs.post(f"/providers/{PROVIDER}/resources/action", check), 400, "CSBS.9001")
