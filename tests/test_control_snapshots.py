"""Snapshots of the whole state, restore (whole or one project), and per-project reset."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from tests.control_support import Ecs, seeded_server
from tests.support import Control, InProcessServer, new_project


@pytest.fixture
def private() -> Iterator[InProcessServer]:
    """A server of its own: whole-state restores must not wipe other tests' data."""
    server = InProcessServer()
    yield server
    server.stop()


def _servers(control: Control, project: str) -> dict[str, str]:
    state = control.get("/state").json()["projects"].get(project)
    return {} if state is None else {s["id"]: s["status"] for s in state["servers"]}


def test_save_change_restore_brings_everything_back(private):
    control, project = Control(private.url), new_project()
    ecs = Ecs(private.url, project)
    server = seeded_server(control, project)
    saved = control.post("/snapshots", {"name": "seeded"})
    assert saved.status_code == 201 and saved.json()["name"] == "seeded"
    ecs.stop(server)
    later = new_project()
    seeded_server(control, later)
    assert _servers(control, project) == {server: "SHUTOFF"}
    resp = control.post("/snapshots/seeded/restore")
    assert resp.status_code == 200 and resp.json()["restored"]["projects"] == 1
    assert _servers(control, project) == {server: "ACTIVE"}
    assert later not in control.get("/state").json()["projects"]
    assert ecs.server_status(server) == "ACTIVE"   # the service sees it too


def test_restore_brings_back_pending_work_and_its_claims(private):
    control, project = Control(private.url), new_project()
    ecs = Ecs(private.url, project)
    control.put("/transitions", {"ecs.stop": "manual"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    control.post("/snapshots", {"name": "pending"})
    control.post("/settle", {"id": job})
    assert ecs.status(job) == "SUCCESS"
    control.post("/snapshots/pending/restore")
    assert ecs.status(job) == "RUNNING"
    control.post("/settle", {"id": job})
    assert ecs.server_status(server) == "SHUTOFF"


def test_restore_works_while_other_connections_are_open(private):
    control, project = Control(private.url), new_project()
    seeded_server(control, project)
    control.post("/snapshots", {"name": "one"})
    reader = sqlite3.connect(private.app.config["DB"].path)
    try:
        assert reader.execute("SELECT COUNT(*) FROM entities WHERE kind='server'").fetchone()[0] == 1
        seeded_server(control, project)
        assert reader.execute("SELECT COUNT(*) FROM entities WHERE kind='server'").fetchone()[0] == 2
        assert control.post("/snapshots/one/restore").status_code == 200
        assert reader.execute("SELECT COUNT(*) FROM entities WHERE kind='server'").fetchone()[0] == 1
    finally:
        reader.close()


def test_restore_keeps_transitions_faults_and_clock(private):
    control, project = Control(private.url), new_project()
    control.post("/snapshots", {"name": "empty"})
    control.put("/transitions", {"ecs.stop": "polls:5"})
    control.post("/faults", {"operations": ["ecs.stop"], "action": "fail_job", "project_id": project})
    offset = control.post("/clock/advance", {"seconds": 100}).json()["offset_seconds"]
    control.post("/snapshots/empty/restore")
    assert control.get("/transitions").json()["transitions"]["ecs.stop"] == "polls:5"
    assert len(control.get("/faults").json()["faults"]) == 1
    assert control.get("/clock").json()["offset_seconds"] == offset


def test_restore_one_project_leaves_the_others_alone(control, url):
    mine, theirs = new_project(), new_project()
    a = seeded_server(control, mine)
    b = seeded_server(control, theirs)
    name = f"p-{mine}"
    assert control.post("/snapshots", {"name": name}).status_code == 201
    Ecs(url, mine).stop(a)
    Ecs(url, theirs).stop(b)
    extra = seeded_server(control, mine)
    resp = control.post(f"/snapshots/{name}/restore", {"project_id": mine})
    assert resp.json()["restored"]["entities"] == 3   # the server and its two volumes
    assert _servers(control, mine) == {a: "ACTIVE"} and extra not in _servers(control, mine)
    assert _servers(control, theirs) == {b: "SHUTOFF"}
    assert control.delete(f"/snapshots/{name}").status_code == 204


def test_list_replace_and_delete(private):
    control = Control(private.url)
    assert control.get("/snapshots").json() == {"snapshots": []}
    control.post("/snapshots", {"name": "a"})
    seeded_server(control, new_project())
    control.post("/snapshots", {"name": "b"})
    control.post("/snapshots", {"name": "a"})  # same name: replaced
    names = [s["name"] for s in control.get("/snapshots").json()["snapshots"]]
    assert sorted(names) == ["a", "b"]
    assert all(s["size_bytes"] > 0 for s in control.get("/snapshots").json()["snapshots"])
    assert control.delete("/snapshots/a").status_code == 204
    assert control.delete("/snapshots/a").status_code == 404
    assert [s["name"] for s in control.get("/snapshots").json()["snapshots"]] == ["b"]


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "../x"}, {"name": "a b"}, {}, {"name": "x", "y": 1}])
def test_bad_snapshot_names_are_refused(control, body):
    resp = control.post("/snapshots", body)
    assert resp.status_code == 400 and resp.json()["error"]


def test_restoring_a_missing_snapshot_is_404(control):
    resp = control.post("/snapshots/never-saved/restore")
    assert resp.status_code == 404 and "never-saved" in resp.json()["error"]


def test_project_reset_empties_one_project_only(control, url):
    mine, theirs = new_project(), new_project()
    a = seeded_server(control, mine)
    b = seeded_server(control, theirs)
    control.put("/transitions", {"ecs.stop": "manual"})
    Ecs(url, mine).stop(a)
    assert control.post("/reset", {"project_id": mine}).status_code == 204
    projects = control.get("/state").json()["projects"]
    assert mine not in projects
    assert _servers(control, theirs) == {b: "ACTIVE"}
    assert control.post("/settle", {"project_id": mine}).json()["settled"] == []  # its pending job went too
    seeded_server(control, mine)
    assert a not in _servers(control, mine)


def test_full_reset_empties_everything(private):
    control = Control(private.url)
    for _ in range(2):
        seeded_server(control, new_project())
    assert control.post("/reset").status_code == 204
    assert control.get("/state").json()["projects"] == {}
