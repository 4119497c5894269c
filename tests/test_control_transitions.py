"""Transition policies on async jobs, seen through the official ECS SDK: instant, polls:N,
seconds:X (virtual clock), manual (explicit settle), globs and defaults."""

from __future__ import annotations

import pytest

from tests.control_support import Ecs, own_emulator, pending_jobs, seeded_server

emulator = pytest.fixture(scope="module", name="emulator")(own_emulator)  # this module moves the clock


@pytest.fixture
def ecs(url: str, project: str) -> Ecs:
    return Ecs(url, project)


def test_instant_job_is_done_on_first_read(control, project, ecs):
    control.put("/transitions", {"default": "instant"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    assert ecs.status(job) == "SUCCESS"
    assert ecs.server_status(server) == "SHUTOFF"


def test_polls_3_reports_init_then_running_then_success(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "polls:3"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    first, second = ecs.job(job), ecs.job(job)
    assert (first.status, second.status) == ("INIT", "RUNNING")
    assert first.end_time == "" and ecs.server_status(server) == "ACTIVE"
    third = ecs.job(job)
    assert third.status == "SUCCESS" and third.end_time
    assert ecs.server_status(server) == "SHUTOFF"


def test_polls_progress_grows_while_pending(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "polls:4"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    seen = []
    for _ in range(3):
        ecs.job(job)
        seen.append(pending_jobs(control, project)[0]["progress"])
    assert seen == sorted(seen) and seen[0] < seen[-1] < 1
    assert pending_jobs(control, project)[0]["settles"] == "on poll 4 (seen 3)"


def test_seconds_policy_settles_when_the_virtual_clock_passes_it(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "seconds:600"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    assert ecs.status(job) == "RUNNING"
    control.post("/clock/advance", {"seconds": 300})
    assert ecs.status(job) == "RUNNING"
    assert 0.45 < pending_jobs(control, project)[0]["progress"] < 0.55
    assert ecs.server_status(server) == "ACTIVE"
    control.post("/clock/advance", {"seconds": 301})
    done = ecs.job(job)
    assert done.status == "SUCCESS"
    assert ecs.server_status(server) == "SHUTOFF"
    # the job ended when it was due (begin + 600 s), not when somebody looked
    assert _seconds_between(done.begin_time, done.end_time) == pytest.approx(600, abs=0.01)


def test_manual_waits_for_settle_even_across_clock_jumps(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "manual"})
    server = seeded_server(control, project)
    job = ecs.stop(server)
    for _ in range(5):
        assert ecs.status(job) == "RUNNING"
    control.post("/clock/advance", {"seconds": 86400})
    assert ecs.status(job) == "RUNNING"
    assert pending_jobs(control, project)[0]["settles"] == "manual: POST /_emulator/settle"
    resp = control.post("/settle", {"id": job})
    assert resp.status_code == 200
    assert [(t["id"], t["status"]) for t in resp.json()["settled"]] == [(job, "SUCCESS")]
    assert ecs.status(job) == "SUCCESS" and ecs.server_status(server) == "SHUTOFF"


def test_settle_by_project_finishes_only_that_project(control, url, project, ecs, emulator):
    from tests.support import new_project
    control.put("/transitions", {"default": "manual"})
    other = new_project()
    other_ecs = Ecs(url, other)
    mine, theirs = ecs.stop(seeded_server(control, project)), other_ecs.stop(seeded_server(control, other))
    settled = control.post("/settle", {"project_id": project}).json()["settled"]
    assert [t["id"] for t in settled] == [mine]
    assert ecs.status(mine) == "SUCCESS" and other_ecs.status(theirs) == "RUNNING"
    control.post("/settle", {"project_id": other})
    assert other_ecs.status(theirs) == "SUCCESS"


def test_settle_unknown_id_is_404(control, project):
    resp = control.post("/settle", {"id": "ff8080" + "0" * 26})
    assert resp.status_code == 404 and "no job" in resp.json()["error"]


def test_service_glob_and_default_apply_in_order(control, project, ecs):
    control.put("/transitions", {"default": "manual", "ecs.*": "polls:2", "ecs.start": "instant"})
    stopped = seeded_server(control, project, status="SHUTOFF")
    running = seeded_server(control, project)
    start_job, stop_job = ecs.start(stopped), ecs.stop(running)
    assert ecs.status(start_job) == "SUCCESS"        # exact name wins
    assert ecs.status(stop_job) == "INIT"            # then the service glob (polls:2)
    assert ecs.status(stop_job) == "SUCCESS"


def test_policy_is_fixed_when_the_job_starts(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "manual"})
    job = ecs.stop(seeded_server(control, project))
    control.put("/transitions", {"default": "instant"})
    assert ecs.status(job) == "RUNNING"


def test_unknown_operation_is_refused_listing_valid_names(control):
    resp = control.put("/transitions", {"ecs.hibernate": "instant"})
    assert resp.status_code == 400
    message = resp.json()["error"]
    assert "ecs.hibernate" in message and "ecs.stop" in message and "ecs.start" in message
    assert control.get("/transitions").json()["transitions"].get("ecs.hibernate") is None


@pytest.mark.parametrize("policy", ["polls:0", "seconds:-1", "sometimes", "polls:x", ""])
def test_bad_policy_is_refused_and_nothing_changes(control, policy):
    control.put("/transitions", {"ecs.stop": "polls:7"})
    resp = control.put("/transitions", {"ecs.stop": policy})
    assert resp.status_code == 400
    assert control.get("/transitions").json()["transitions"]["ecs.stop"] == "polls:7"


def test_transitions_lists_every_registered_operation(control):
    body = control.get("/transitions").json()
    assert {"ecs.start", "ecs.stop"} <= set(body["operations"])
    assert body["transitions"]["default"] == "instant"


def _seconds_between(begin: str, end: str) -> float:
    from datetime import datetime
    parse = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    return (parse(end) - parse(begin)).total_seconds()
