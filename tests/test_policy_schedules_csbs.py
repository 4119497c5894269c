"""Scheduled CSBS policy runs on the virtual clock, and retention, over HTTP with signed calls.

The module has its own emulator: it moves the clock by days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from tests.csbs_support import PROVIDER, Csbs, assert_error
from tests.ims_support import wait_job, whole_image
from tests.support import Control, InProcessServer, ims_client, new_project, server_spec

DAY, HOUR = 86400, 3600


@pytest.fixture(scope="module")
def emu() -> Iterator[InProcessServer]:
    server = InProcessServer()
    yield server
    server.stop()


@pytest.fixture
def ctl(emu: InProcessServer) -> Iterator[Control]:
    ctl = Control(emu.url)
    yield ctl
    ctl.put("/transitions", {"default": "instant"})


@pytest.fixture
def pid() -> str:
    return new_project()


def advance(ctl: Control, seconds: float) -> None:
    assert ctl.post("/clock/advance", {"seconds": seconds}).status_code == 200


def pattern(hour: int, wrapped: bool = True) -> str:
    rule = f"RRULE:FREQ=DAILY;BYHOUR={hour};BYMINUTE=0"
    if wrapped:
        return f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    return f"BEGIN:VEVENT\n{rule}\nEND:VEVENT"


def make_policy(csbs: Csbs, servers: list[dict], hour: int, enabled: bool = True, wrapped: bool = True,
                name: str = "nightly", **definition: object) -> dict:
    body = {"policy": {
        "name": name, "provider_id": PROVIDER, "parameters": {"common": {}},
        "resources": [{"id": s["id"], "type": "OS::Nova::Server", "name": s["name"]} for s in servers],
        "scheduled_operations": [{"name": "nightly", "enabled": enabled, "operation_type": "backup",
                                  "operation_definition": definition,
                                  "trigger": {"properties": {"pattern": pattern(hour, wrapped)}}}]}}
    resp = csbs.post("/policies", body)
    assert resp.status_code == 200, resp.text
    return resp.json()["policy"]


def start_of(policy: dict) -> datetime:
    text = policy["scheduled_operations"][0]["trigger"]["properties"]["start_time"]
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def daily_at(start: datetime, hour: int, count: int) -> list[str]:
    """The first `count` daily runs at hour:00 UTC strictly after start, as CSBS writes created_at."""
    first = start.replace(hour=hour, minute=0, second=0)
    if first <= start:
        first += timedelta(days=1)
    return [(first + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S.%f") for i in range(count)]


def far_hour(ctl: Control) -> int:
    """An hour of the day 12 hours from the virtual now: no run falls near the test's own steps."""
    now = datetime.strptime(ctl.get("/clock").json()["now"][:19], "%Y-%m-%dT%H:%M:%S")
    return (now.hour + 12) % 24


def scheduled(csbs: Csbs, policy: dict) -> list[dict]:
    items = csbs.items(policy_id=policy["id"])
    return sorted((i for i in items if i["extend_info"]["auto_trigger"]), key=lambda i: i["created_at"])


def setup(ctl: Control, pid: str, n: int = 1, **kw: object) -> tuple[Csbs, list[dict]]:
    servers = [server_spec(f"app-{i}", status="SHUTOFF") for i in range(n)]
    ctl.seed(pid, servers)
    return Csbs(ctl.url.rsplit("/_emulator", 1)[0], pid), servers


def test_daily_policy_keeps_the_newest_two_and_an_imaged_backup_survives(ctl, pid, emu):
    csbs, (server,) = setup(ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(csbs, [server], hour, max_backups=2)
    runs = daily_at(start_of(policy), hour, 5)

    advance(ctl, 3 * DAY + HOUR)
    kept = scheduled(csbs, policy)
    assert [i["created_at"] for i in kept] == runs[1:3]          # 3 runs happened; the oldest went
    assert {i["status"] for i in kept} == {"available"}
    assert [i["extend_info"]["incremental"] for i in kept] == [True, True]  # the pruned first run was full
    assert all(i["name"].startswith("autobk_") and i["resource_id"] == server["id"] for i in kept)
    checkpoint = csbs.get("/checkpoint_items", checkpoint_id=kept[0]["checkpoint_id"]).json()
    assert checkpoint["checkpoint_items"][0]["id"] == kept[0]["id"]

    ims = ims_client(emu.url, pid)
    job = wait_job(ims, whole_image(ims, backup_id=kept[0]["id"], whole_image_type="CSBS"))
    assert job.status == "SUCCESS"

    advance(ctl, 2 * DAY)
    after = scheduled(csbs, policy)
    assert [i["created_at"] for i in after] == [runs[1], runs[3], runs[4]]
    assert after[0]["extend_info"]["os_images_data"] == [{"image_id": job.entities.image_id}]


def test_retention_duration_days_ages_backups_out(ctl, pid):
    csbs, (server,) = setup(ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(csbs, [server], hour, wrapped=False, retention_duration_days=2)
    runs = daily_at(start_of(policy), hour, 7)
    advance(ctl, 5 * DAY)
    assert [i["created_at"] for i in scheduled(csbs, policy)] == runs[3:5]
    advance(ctl, DAY)
    assert [i["created_at"] for i in scheduled(csbs, policy)] == runs[4:6]


def test_a_disabled_policy_makes_nothing_and_manual_backups_are_never_pruned(ctl, pid):
    csbs, (server, other) = setup(ctl, pid, n=2)
    hour = far_hour(ctl)
    off = make_policy(csbs, [server], hour, enabled=False, name="off", max_backups=1)
    manual = csbs.backup(other["id"])
    on = make_policy(csbs, [other], hour, max_backups=1)
    state = ctl.get("/state").json()["projects"][pid]
    next_runs = {p["id"]: p.get("next_run") for p in state["csbs_policy"]}
    assert next_runs[off["id"]] is None and next_runs[on["id"]].endswith(f"T{hour:02d}:00:00.000Z")

    advance(ctl, 3 * DAY)
    assert csbs.items(resource_id=server["id"]) == []
    others = csbs.items(resource_id=other["id"])
    assert manual["id"] in {i["id"] for i in others} and len(others) == 2  # the manual one + the newest run


def test_a_bound_server_busy_at_a_run_is_skipped(ctl, pid):
    csbs, (busy, free) = setup(ctl, pid, n=2)
    ctl.put("/transitions", {"csbs.protect": "manual"})
    hour = far_hour(ctl)
    manual = csbs.backup(busy["id"])                     # protecting until settled
    policy = make_policy(csbs, [busy, free], hour)
    runs = daily_at(start_of(policy), hour, 3)

    advance(ctl, DAY)
    made = scheduled(csbs, policy)
    assert [(i["resource_id"], i["created_at"]) for i in made] == [(free["id"], runs[0])]
    assert made[0]["status"] in ("waiting_protect", "protecting")  # follows csbs.protect (manual)
    assert ctl.post("/settle", {"project_id": pid}).status_code == 200
    assert csbs.item(manual["id"]).json()["checkpoint_item"]["status"] == "available"

    advance(ctl, DAY)                                     # both free again: both backed up at the next run
    made = scheduled(csbs, policy)
    assert sorted((i["resource_id"], i["created_at"]) for i in made) == sorted(
        [(free["id"], runs[0]), (busy["id"], runs[1]), (free["id"], runs[1])])


def test_an_invalid_pattern_is_refused_and_nothing_is_stored(ctl, pid):
    csbs, (server,) = setup(ctl, pid)
    body = {"policy": {"name": "bad", "provider_id": PROVIDER, "parameters": {"common": {}}, "resources": [],
                       "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                                 "operation_definition": {"max_backups": 1},
                                                 "trigger": {"properties": {"pattern": pattern(1).replace(
                                                     "BYMINUTE=0", "BYMINUTE=0,30")}}}]}}
    assert_error(csbs.post("/policies", body), 400, "CSBS.9001")
    assert csbs.get("/policies").json()["policies"] == []


def test_editing_the_schedule_keeps_the_anchor_and_runs_from_now_on(ctl, pid):
    csbs, (server,) = setup(ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(csbs, [server], hour, enabled=False)
    advance(ctl, 2 * DAY)
    assert scheduled(csbs, policy) == []
    op_id = policy["scheduled_operations"][0]["id"]
    resp = csbs.put(f"/policies/{policy['id']}", {"policy": {"scheduled_operations": [{"id": op_id,
                                                                                       "enabled": True}]}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["policy"]["scheduled_operations"][0]["trigger"]["properties"]["start_time"] == \
        policy["scheduled_operations"][0]["trigger"]["properties"]["start_time"]
    advance(ctl, DAY)
    runs = daily_at(start_of(policy), hour, 4)
    assert [i["created_at"] for i in scheduled(csbs, policy)] == [runs[2]]  # none for the disabled days


def test_the_dashboard_shows_the_next_run(ctl, pid, emu):
    csbs, (server,) = setup(ctl, pid)
    hour = far_hour(ctl)
    make_policy(csbs, [server], hour)
    page = Control(emu.url).get(f"/ui?project_id={pid}&refresh=0").text
    assert "next run " in page and f"T{hour:02d}:00:00.000Z virtual" in page


def test_a_run_missed_while_the_last_backup_ran_is_the_only_one_missed(ctl, pid):
    csbs, (server,) = setup(ctl, pid)
    ctl.put("/transitions", {"csbs.protect": "seconds:7200"})   # a backup takes two hours
    hour = far_hour(ctl)
    body = {"policy": {"name": "twice", "provider_id": PROVIDER, "parameters": {"common": {}},
                       "resources": [{"id": server["id"], "type": "OS::Nova::Server", "name": server["name"]}],
                       "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                                 "operation_definition": {"max_backups": -1},
                                                 "trigger": {"properties": {"pattern": pattern(hour).replace(
                                                     f"BYHOUR={hour}", f"BYHOUR={hour},{(hour + 1) % 24}")}}}]}}
    policy = csbs.post("/policies", body).json()["policy"]
    first = datetime.strptime(daily_at(start_of(policy), hour, 1)[0], "%Y-%m-%dT%H:%M:%S.%f")
    now = datetime.strptime(ctl.get("/clock").json()["now"], "%Y-%m-%dT%H:%M:%S.%fZ")
    advance(ctl, (first - now).total_seconds() + 1800)             # just after the first run: still protecting
    assert [i["status"] for i in scheduled(csbs, policy)] == ["protecting"]
    advance(ctl, 26 * HOUR)   # +1 h: missed (still running); +24 h: made; +25 h: missed again
    made = scheduled(csbs, policy)
    assert [i["created_at"] for i in made] == [first.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                                               (first + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")]
    assert [i["status"] for i in made] == ["available", "available"]
    assert made[0]["extend_info"]["finished_at"] == (first + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")
