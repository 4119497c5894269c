"""The virtual clock: read it, move it forward, and the API's timestamps follow it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.control_support import Ecs, own_emulator, seeded_server

emulator = pytest.fixture(scope="module", name="emulator")(own_emulator)  # this module moves the clock


def _iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def test_clock_shows_now_and_offset(control):
    body = control.get("/clock").json()
    assert set(body) == {"now", "offset_seconds", "frozen"} and body["frozen"] is False
    assert abs((_iso(body["now"]) - datetime.now(timezone.utc)).total_seconds() - body["offset_seconds"]) < 60


def test_advance_moves_now_and_the_offset(control):
    before = control.get("/clock").json()
    after = control.post("/clock/advance", {"seconds": 3600}).json()
    assert after["offset_seconds"] == before["offset_seconds"] + 3600
    assert 3600 <= (_iso(after["now"]) - _iso(before["now"])).total_seconds() < 3660
    assert control.get("/clock").json()["offset_seconds"] == after["offset_seconds"]


def test_job_timestamps_come_from_the_virtual_clock(control, url, project):
    ecs = Ecs(url, project)
    server = seeded_server(control, project)
    first = ecs.job(ecs.stop(server)).begin_time
    control.post("/clock/advance", {"seconds": 7 * 86400})
    second = ecs.job(ecs.start(server)).begin_time
    assert (_iso(second) - _iso(first)).total_seconds() >= 7 * 86400


def test_advance_settles_due_work_at_once(control, url, project):
    ecs = Ecs(url, project)
    control.put("/transitions", {"ecs.stop": "seconds:30"})
    ecs.stop(seeded_server(control, project))
    resp = control.post("/clock/advance", {"seconds": 31})
    assert resp.json()["settled"] >= 1
    jobs = control.get("/state").json()["projects"][project]["jobs"]
    assert [j["status"] for j in jobs] == ["SUCCESS"]


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "10"}, {}, {"seconds": 5, "extra": 1}, [1]])
def test_bad_advance_is_refused_and_the_clock_stays(control, body):
    offset = control.get("/clock").json()["offset_seconds"]
    resp = control.post("/clock/advance", body)
    assert resp.status_code == 400 and resp.json()["error"]
    assert control.get("/clock").json()["offset_seconds"] == offset
