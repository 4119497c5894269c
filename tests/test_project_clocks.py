"""Transition policies and the virtual clock per project: two suites on one emulator never interfere.

Project A runs with polls:3 and a clock 2 days ahead, project B with the global instant policy and no
offset, at the same time (threads, and a `--workers 2` server): each sees only its own timing and time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import huaweicloudsdkims.v2 as ims
import pytest

from tests.control_support import Ecs, own_emulator, raw_job, seeded_server
from tests.ims_misc_support import ecs_image
from tests.ims_sharing_support import answer, share
from tests.support import Control, InProcessServer, SubprocessServer, ims_client, new_project

TWO_DAYS = 2 * 86400
emulator = pytest.fixture(scope="module", name="emulator")(own_emulator)  # this module moves clocks


def _epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessServer]:
    db = tmp_path_factory.mktemp("clocks") / "state.db"
    server = SubprocessServer("--workers", "2", "--db", str(db), "--world", "none", "--quiet")
    yield server
    server.stop()


def _suite(url: str, project: str, slow: bool, ready: threading.Barrier) -> dict[str, Any]:
    """One suite's test: A (slow) sets polls:3 and +2 days for its project only; both stop a server."""
    control = Control(url)
    server = seeded_server(control, project)
    if slow:
        assert control.put("/transitions", {"project_id": project, "ecs.stop": "polls:3"}).status_code == 200
        assert control.post("/clock/advance", {"project_id": project, "seconds": TWO_DAYS}).status_code == 200
    ready.wait(timeout=30)  # both projects set up before either starts work
    job = Ecs(url, project).stop(server)
    polls = [raw_job(url, project, job) for _ in range(3)]
    return {"statuses": [p["status"] for p in polls], "begin": _epoch(polls[0]["begin_time"]),
            "clock": control.get(f"/clock?project_id={project}").json()}


def _two_suites(url: str) -> tuple[dict[str, Any], dict[str, Any], float]:
    a, b = new_project(), new_project()
    ready = threading.Barrier(2)
    global_before = _epoch(Control(url).get("/clock").json()["now"])
    with ThreadPoolExecutor(2) as pool:
        fa, fb = pool.submit(_suite, url, a, True, ready), pool.submit(_suite, url, b, False, ready)
        return fa.result(), fb.result(), global_before


@pytest.mark.parametrize("server", ["threads", "workers"])
def test_two_projects_each_see_only_their_own_timing_and_time(request, server):
    url = request.getfixturevalue("ims_emulator" if server == "threads" else "workers").url
    a, b, global_before = _two_suites(url)
    assert a["statuses"] == ["INIT", "RUNNING", "SUCCESS"]  # polls:3, only in A
    assert b["statuses"] == ["SUCCESS"] * 3                    # instant (global), untouched by A
    assert a["begin"] - global_before >= TWO_DAYS              # A's job time is 2 days ahead
    assert b["begin"] - global_before < TWO_DAYS / 2           # B's is not
    assert (a["clock"]["offset_seconds"], b["clock"]["offset_seconds"]) == (TWO_DAYS, 0)
    assert Control(url).get("/clock").json()["offset_seconds"] == 0  # the global clock did not move


def test_a_share_settles_under_the_sharing_projects_policy_and_both_sides_agree(url, control):
    a, b = new_project(), new_project()
    owner, friend = ims_client(url, a), ims_client(url, b)
    image_id = ecs_image(owner, control, a)
    control.put("/transitions", {"project_id": a, "ims.batch_add_members": "polls:3"})
    control.put("/transitions", {"project_id": b, "default": "instant"})
    job_id = share(owner, [image_id], [b])
    statuses = [owner.show_job(ims.ShowJobRequest(job_id=job_id)).status for _ in range(3)]
    assert statuses[2] == "SUCCESS" and set(statuses[:2]) <= {"INIT", "RUNNING"}  # A's polls:3, though B is instant
    accept = friend.show_job(ims.ShowJobRequest(job_id=answer(friend, [image_id], b, "accepted")))
    assert accept.status == "SUCCESS"  # B's own work follows B's policy
    seen_by_a = owner.list_image_members(ims.ListImageMembersRequest(image_id=image_id)).members
    seen_by_b = friend.glance_show_image_member(ims.GlanceShowImageMemberRequest(image_id=image_id, member_id=b))
    assert [(m.member_id, m.status, m.created_at) for m in seen_by_a] == [
        (b, "accepted", seen_by_b.created_at)]


def test_a_projects_map_falls_back_to_the_global_one_per_operation(control):
    p = new_project()
    control.put("/transitions", {"default": "polls:2", "ecs.start": "manual", "csbs.protect": "seconds:60"})
    body = control.put("/transitions", {"project_id": p, "ecs.*": "polls:5"}).json()
    assert body["overrides"] == {"ecs.*": "polls:5"}
    assert body["transitions"] == {"default": "polls:2", "ecs.start": "manual", "csbs.protect": "seconds:60"}
    eff = body["effective"]
    assert (eff["ecs.start"], eff["ecs.stop"], eff["csbs.protect"], eff["ims.create_image"]) == (
        "polls:5", "polls:5", "seconds:60", "polls:2")
    listed = control.get("/transitions").json()
    assert listed["projects"][p] == {"ecs.*": "polls:5"} and "ecs.*" not in listed["transitions"]
    assert control.get(f"/transitions?project_id={p}").json()["effective"] == eff


def test_project_overrides_by_query_parameter_and_refusals_change_nothing(control):
    p = new_project()
    assert control.put(f"/transitions?project_id={p}", {"ecs.stop": "manual"}).json()["overrides"] == {
        "ecs.stop": "manual"}
    for body, query in [({"project_id": "x" * 65}, ""), ({"project_id": 7}, ""), ({"project_id": "other"}, p),
                        ({"ecs.stop": "later"}, p), ({"ims.nothing": "instant"}, p)]:
        resp = control.put(f"/transitions?project_id={query}" if query else "/transitions", body)
        assert resp.status_code == 400 and resp.json()["error"], body
    assert control.get(f"/transitions?project_id={p}").json()["overrides"] == {"ecs.stop": "manual"}
    control.put("/transitions", {"project_id": p})  # {} drops them
    assert p not in control.get("/state").json()["overrides"]


def test_state_shows_each_projects_overrides_and_offset(control):
    p, q = new_project(), new_project()
    seeded_server(control, p)
    control.put("/transitions", {"project_id": p, "ecs.stop": "polls:3"})
    control.post("/clock/advance", {"project_id": p, "seconds": 3600})
    control.post("/clock", {"project_id": q, "freeze": True})
    state = control.get("/state").json()
    assert state["overrides"][p] == {"transitions": {"ecs.stop": "polls:3"}, "offset_seconds": 3600, "frozen": False}
    assert state["overrides"][q] == {"transitions": {}, "offset_seconds": 0, "frozen": True}
    assert _epoch(state["now"]) and state["frozen"] is False  # `now` is ISO here as in /clock


def test_resetting_a_project_removes_its_overrides_and_offset(control, url):
    p, other = new_project(), new_project()
    for project in (p, other):
        control.put("/transitions", {"project_id": project, "default": "manual"})
        control.post("/clock/advance", {"project_id": project, "seconds": 600})
    assert control.post("/reset", {"project_id": p}).status_code == 204
    assert control.get(f"/clock?project_id={p}").json()["offset_seconds"] == 0
    assert control.get(f"/transitions?project_id={p}").json()["overrides"] == {}
    job = Ecs(url, p).stop(seeded_server(control, p))
    assert raw_job(url, p, job)["status"] == "SUCCESS"  # the global instant again
    assert control.get(f"/clock?project_id={other}").json()["offset_seconds"] == 600  # others keep theirs


def test_advancing_one_project_settles_only_its_timed_work(control, url):
    a, b = new_project(), new_project()
    jobs = {}
    for p in (a, b):
        control.put("/transitions", {"project_id": p, "ecs.stop": "seconds:600"})
        jobs[p] = Ecs(url, p).stop(seeded_server(control, p))
    moved = control.post("/clock/advance", {"project_id": a, "seconds": 601}).json()
    assert moved["settled"] == 1 and moved["project_id"] == a
    assert (raw_job(url, a, jobs[a])["status"], raw_job(url, b, jobs[b])["status"]) == ("SUCCESS", "RUNNING")
    control.post("/clock/advance", {"seconds": 601})  # the global clock moves every project
    assert raw_job(url, b, jobs[b])["status"] == "SUCCESS"


# -- set, freeze, bounds ---------------------------------------------------------------------------

def _reads(control: Control, path: str, n: int = 3) -> list[str]:
    return [control.get(path).json()["now"] for _ in range(n)]


@pytest.mark.parametrize("project", [None, "p"])
def test_a_frozen_clock_stands_still_and_runs_on_from_where_it_stopped(control, project):
    pid = new_project() if project else None
    scope, path = ({"project_id": pid}, f"/clock?project_id={pid}") if pid else ({}, "/clock")
    frozen = control.post("/clock", {**scope, "freeze": True}).json()
    assert frozen["frozen"] is True and len(set(_reads(control, path))) == 1
    moved = control.post("/clock/advance", {**scope, "seconds": 60}).json()
    assert _epoch(moved["now"]) == pytest.approx(_epoch(frozen["now"]) + 60, abs=0.002)
    running = control.post("/clock", {**scope, "freeze": False}).json()
    assert running["frozen"] is False and _epoch(running["now"]) - _epoch(moved["now"]) < 5
    assert control.post("/clock", {**scope, "offset_seconds": 0}).json()["offset_seconds"] == 0


@pytest.mark.parametrize("body", [
    {"seconds": 10 * 366 * 86400}, {"project_id": "p", "seconds": 10 * 366 * 86400}])
def test_the_clock_cannot_be_pushed_past_the_supported_range(control, body):
    scope = {"project_id": body["project_id"]} if "project_id" in body else {}
    query = f"?project_id={body['project_id']}" if scope else ""
    control.post("/clock", {**scope, "offset_seconds": 0})
    codes = [control.post("/clock/advance", body).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 400  # 100 years, then the control API's 400
    refused = control.post("/clock/advance", body)
    assert refused.status_code == 400 and "100 years" in refused.json()["error"]
    assert control.post("/clock", {**scope, "offset_seconds": 1e12}).status_code == 400
    assert control.get(f"/clock{query}").json()["offset_seconds"] == 10 * 10 * 366 * 86400
    control.post("/clock", {**scope, "offset_seconds": 0})


@pytest.mark.parametrize("body", [{}, {"freeze": "yes"}, {"offset_seconds": "1"}, {"freeze": 1},
                                  {"offset_seconds": 5, "extra": 1}, {"project_id": ""}])
def test_bad_clock_settings_are_refused_and_change_nothing(control, body):
    before = control.get("/clock").json()
    resp = control.post("/clock", body)
    assert resp.status_code == 400 and resp.json()["error"]
    assert control.get("/clock").json()["offset_seconds"] == before["offset_seconds"]


# -- reset scopes -----------------------------------------------------------------------------------

def test_reset_all_clears_faults_clock_and_policies_the_default_keeps_global_ones():
    server = InProcessServer(transitions="default=polls:2")
    try:
        control, p = Control(server.url), new_project()
        control.put("/transitions", {"default": "manual"})
        control.put("/transitions", {"project_id": p, "ecs.stop": "polls:9"})
        control.post("/clock/advance", {"seconds": 3600})
        control.post("/clock", {"freeze": True})
        control.post("/faults", {"operations": ["ecs.stop"], "action": "fail_job"})
        control.post("/faults", {"operations": ["ecs.stop"], "action": "fail_job", "project_id": p})
        assert control.post("/reset", {}).status_code == 204
        state = control.get("/state").json()
        assert (state["overrides"], state["offset_seconds"], state["frozen"]) == ({}, 3600, True)
        assert state["transitions"] == {"default": "manual"}
        assert [r.get("project_id") for r in control.get("/faults").json()["faults"]] == [None]
        assert control.post("/reset", {"scope": "all"}).status_code == 204
        state = control.get("/state").json()
        assert (state["offset_seconds"], state["frozen"], state["transitions"]) == (0, False, {"default": "polls:2"})
        assert control.get("/faults").json()["faults"] == []
        for bad in ({"scope": "everything"}, {"scope": "all", "project_id": p}, {"scope": "project"}, [1]):
            assert control.post("/reset", bad).status_code == 400, bad
    finally:
        server.stop()


def test_a_control_api_500_is_answered_in_the_control_format(monkeypatch):
    server = InProcessServer()
    try:
        from ims_emulator.api import control as control_api

        def broken() -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(control_api, "clocks", broken)
        resp = Control(server.url).get("/state")
        assert resp.status_code == 500 and set(resp.json()) == {"error"} and "RuntimeError" in resp.json()["error"]
    finally:
        server.stop()
