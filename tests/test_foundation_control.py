"""The control API: health, the seed contract, reset, state."""

import uuid

from tests.support import server_spec


def test_health_lists_services(control):
    body = control.get("/health").json()
    assert body["status"] == "ok" and body["version"]
    assert {"ecs", "evs", "ims"} <= set(body["services"])


def test_seed_creates_project_servers_and_volumes(control, api, project):
    spec = server_spec("web", data_disks=2)
    resp = control.post("/seed", {"project_id": project, "region": "cn-east-3", "servers": [spec]})
    assert resp.status_code == 201
    assert resp.json() == {"project_id": project, "region": "cn-east-3", "servers": [spec["id"]]}
    state = control.get("/state").json()["projects"][project]
    assert state["region"] == "cn-east-3"
    assert [s["id"] for s in state["servers"]] == [spec["id"]]
    assert {v["id"] for v in state["volumes"]} == {v["id"] for v in spec["volumes"]}
    server = api.get(f"/v1/{{project_id}}/cloudservers/{spec['id']}").json()["server"]
    attached = server["os-extended-volumes:volumes_attached"]
    assert [a["bootIndex"] for a in attached] == ["0", "-1", "-1"]


def test_seed_existing_id_is_409_and_stores_nothing(control, project):
    first = server_spec("a")
    control.seed(project, [first])
    again = server_spec("b")
    again["volumes"][0]["id"] = first["volumes"][0]["id"]  # one clashing volume id
    resp = control.post("/seed", {"project_id": project, "servers": [server_spec("c"), again]})
    assert resp.status_code == 409
    state = control.get("/state").json()["projects"][project]
    assert [s["name"] for s in state["servers"]] == ["a"]


BAD_SEEDS = [
    ({"servers": []}, "project_id"),
    ({"project_id": "p", "servers": [{"name": "x"}]}, "id"),
    ({"project_id": "p", "servers": [{"id": "s1", "name": "x", "status": "RUNNING"}]}, "status"),
    ({"project_id": "p", "servers": [{"id": "s1", "name": "x", "volumes": [{"id": "v", "size": "40"}]}]}, "size"),
    ({"project_id": "p", "region": "mars-1", "servers": []}, "region"),
    ({"project_id": "p", "servers": [], "bogus": 1}, "bogus"),
    ({"project_id": "bad id!", "servers": []}, "project_id"),
]


def test_bad_seed_is_400_with_a_clear_message_and_stores_nothing(control):
    for body, field in BAD_SEEDS:
        pid = body.get("project_id")
        resp = control.post("/seed", body)
        assert resp.status_code == 400, body
        assert field in resp.json()["error"], resp.json()
        if pid and pid.isalnum():
            assert pid not in control.get("/state").json()["projects"]
    assert control.post("/seed", None).status_code == 400


def test_duplicate_ids_inside_one_seed_are_refused(control, project):
    spec = server_spec()
    spec["volumes"][1]["id"] = spec["volumes"][0]["id"]
    assert control.post("/seed", {"project_id": project, "servers": [spec]}).status_code == 400


def test_reset_one_project_leaves_others(control):
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    control.seed(a, [server_spec()])
    control.seed(b, [server_spec()])
    assert control.post("/reset", {"project_id": a}).status_code == 204
    projects = control.get("/state").json()["projects"]
    assert a not in projects and len(projects[b]["servers"]) == 1


def test_reset_all_empties_state_but_keeps_settings():
    from tests.support import Control, InProcessServer
    server = InProcessServer(transitions="default=polls:2")
    try:
        ctl = Control(server.url)
        ctl.seed(uuid.uuid4().hex, [server_spec()])
        assert ctl.post("/reset").status_code == 204
        assert ctl.get("/state").json()["projects"] == {}
        assert ctl.get("/transitions").json()["transitions"]["default"] == "polls:2"
    finally:
        server.stop()
