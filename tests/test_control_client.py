"""ims_emulator.control.EmulatorControl against a real emulator: typed results, server messages on refusal."""

from __future__ import annotations

import socket
import uuid

import pytest

from ims_emulator.control import Clock, ControlError, EmulatorControl, FaultRule, Health, ProjectState, Snapshot
from tests.control_support import Ecs
from tests.support import Api


@pytest.fixture
def ctl(emulator, control) -> EmulatorControl:  # `control` puts transitions back after each test
    return EmulatorControl(emulator.url)


def _seeded(ctl: EmulatorControl, project: str, **kw) -> dict:
    spec = ctl.server_spec("web-1", **kw)
    result = ctl.seed(project, [spec], project_name="team-a")
    assert result.project_id == project and result.servers == [spec["id"]]
    return spec


def test_health_is_typed(ctl):
    health = ctl.health()
    assert isinstance(health, Health) and health.status == "ok"
    assert "ims" in health.services and "csbs" in health.services


def test_seed_then_state_shows_the_servers_and_volumes(ctl, project):
    spec = _seeded(ctl, project, data_disks=2, shared=True)
    state = ctl.project_state(project)
    assert isinstance(state, ProjectState) and state.name == "team-a" and state.region
    assert [s["id"] for s in state.servers] == [spec["id"]]
    assert sorted(v["id"] for v in state.volumes) == sorted(v["id"] for v in spec["volumes"])
    assert state.by_id(spec["id"])["status"] == "ACTIVE"
    assert project in ctl.state().projects


def test_refusals_raise_with_the_servers_message(ctl, project):
    spec = _seeded(ctl, project)
    with pytest.raises(ControlError) as err:
        ctl.seed(project, [spec])
    assert err.value.status == 409 and spec["id"] in err.value.message
    with pytest.raises(ControlError) as err:
        ctl.seed(project, [{"id": "x", "name": "n", "status": "PAUSED"}])
    assert err.value.status == 400 and "status" in err.value.message and "400" in str(err.value)
    with pytest.raises(ControlError) as err:
        ctl.project_state(uuid.uuid4().hex)
    assert err.value.status == 404


def test_unreachable_emulator_is_a_control_error():
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ControlError) as err:
        EmulatorControl(f"http://127.0.0.1:{port}", timeout=5).health()
    assert err.value.status == 0 and "unreachable" in str(err.value)


def test_policies_apply_inside_the_block_and_are_put_back(ctl, url, project):
    spec = _seeded(ctl, project)
    ecs = Ecs(url, project)
    with ctl.policies({"ecs.stop": "manual"}, default="polls:3") as applied:
        assert applied.transitions == {"default": "polls:3", "ecs.stop": "manual"}
        assert "ecs.stop" in applied.operations
        job_id = ecs.stop(spec["id"])
        (job,) = ctl.project_state(project).jobs
        assert (job.id, job.pending, job.policy) == (job_id, True, "manual")
        assert "POST /_emulator/settle" in job.settles
    assert ctl.transitions().transitions == {"default": "instant"}
    assert ecs.status(job_id) == "RUNNING"  # manual work waits for settle, whatever the policy now
    (settled,) = ctl.settle(id=job_id)
    assert (settled.id, settled.status, settled.project_id) == (job_id, "SUCCESS", project)
    assert ecs.server_status(spec["id"]) == "SHUTOFF"


def test_unknown_operation_in_policies_is_refused(ctl):
    with pytest.raises(ControlError) as err:
        ctl.set_transitions({"ims.no_such_thing": "manual"})
    assert err.value.status == 400 and "ims.no_such_thing" in err.value.message


def test_advancing_the_clock_settles_timed_work(ctl, url, project):
    spec = _seeded(ctl, project)
    ecs = Ecs(url, project)
    ctl.set_transitions({"ecs.stop": "seconds:600"})
    job_id = ecs.stop(spec["id"])
    before = ctl.clock()
    assert isinstance(before, Clock) and ctl.project_state(project).jobs[0].settles.startswith("at ")
    after = ctl.advance_clock(600)
    assert after.offset_seconds == before.offset_seconds + 600 and after.settled >= 1
    assert ecs.status(job_id) == "SUCCESS"
    with pytest.raises(ControlError) as err:
        ctl.advance_clock(-1)
    assert err.value.status == 400


def test_settle_a_whole_project(ctl, url, project):
    spec = _seeded(ctl, project)
    ctl.set_transitions(default="manual")
    job_id = Ecs(url, project).stop(spec["id"])
    assert [t.id for t in ctl.settle(project_id=project)] == [job_id]
    assert ctl.settle(project_id=project) == []


def test_fault_rules_round_trip_and_fire(ctl, url, project):
    rule = ctl.add_fault("ecs.list_servers_details", "http_error", project_id=project, status=503,
                         message="try later", times=1)
    assert isinstance(rule, FaultRule) and (rule.action, rule.fired, rule.times) == ("http_error", 0, 1)
    assert [r.id for r in ctl.faults(project)] == [rule.id]
    assert Api(url, project).get("/v1/{project_id}/cloudservers/detail").status_code == 503
    assert ctl.faults(project)[0].fired == 1
    ctl.delete_fault(rule.id)
    assert ctl.faults(project) == []
    with pytest.raises(ControlError) as err:
        ctl.delete_fault(rule.id)
    assert err.value.status == 404
    ctl.add_fault(["ecs.*"], "fail_job", project_id=project)
    ctl.add_fault(["ecs.*"], "fail_job", project_id=project)
    assert ctl.clear_faults(project) == 2


def test_bad_fault_rule_is_refused_with_the_reason(ctl, project):
    with pytest.raises(ControlError) as err:
        ctl.add_fault(["ecs.stop"], "delay_ms", project_id=project)
    assert err.value.status == 400 and "delay_ms" in err.value.message


def test_snapshot_restore_one_project(ctl, url, project):
    spec = _seeded(ctl, project)
    name = f"client-{uuid.uuid4().hex[:12]}"
    saved = ctl.save_snapshot(name)
    assert isinstance(saved, Snapshot) and saved.name == name and name in [s.name for s in ctl.snapshots()]
    Ecs(url, project).stop(spec["id"])
    restored = ctl.restore_snapshot(name, project_id=project)
    assert restored.project_id == project and restored.restored["entities"] >= 1
    assert ctl.project_state(project).by_id(spec["id"])["status"] == "ACTIVE"
    ctl.delete_snapshot(name)
    with pytest.raises(ControlError) as err:
        ctl.restore_snapshot(name)
    assert err.value.status == 404


def test_reset_one_project(ctl, project):
    _seeded(ctl, project)
    ctl.add_fault(["ecs.*"], "fail_job", project_id=project)
    ctl.reset(project)
    assert project not in ctl.state().projects
    assert ctl.faults(project) == []
