"""Parallel suites on one emulator: xdist workers (-n 2) sharing one --ims-emulator-url, each test
changing transitions and the clock through the plugin, pass together (repeated in IMS_EMULATOR_DEEP=1)."""

from __future__ import annotations

import os

from ims_emulator.control import EmulatorControl
from ims_emulator.pytest_plugin import start_emulator
from tests.plugin_support import PLUGINS, entry_point_installed

pytest_plugins = ["pytester", *PLUGINS]
LOAD = [] if entry_point_installed() else ["-p", "ims_emulator.pytest_plugin"]
ROUNDS = 4 if os.environ.get("IMS_EMULATOR_DEEP") == "1" else 1

INNER = '''
import pytest
from huaweicloudsdkecs.v2 import (BatchStopServersOption, BatchStopServersRequest, BatchStopServersRequestBody,
                                  ServerId, ShowJobRequest)
from ims_emulator.control import epoch_of

TWO_DAYS = 2 * 86400
ROUNDS = range(%d)


def stop(control, project, ecs):
    spec = control.server_spec("vm")
    control.seed(project, [spec])
    body = BatchStopServersRequestBody(os_stop=BatchStopServersOption(servers=[ServerId(id=spec["id"])]))
    job_id = ecs.batch_stop_servers(BatchStopServersRequest(body=body)).job_id
    return [ecs.show_job(ShowJobRequest(job_id=job_id)) for _ in range(3)]


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.ims_transitions({"ecs.stop": "polls:3"})
def test_slow_and_two_days_ahead(round_, emulator_control, emulator_project, ecs_client):
    moved = emulator_control.advance_clock(TWO_DAYS)
    assert (moved.project_id, moved.offset_seconds) == (emulator_project, TWO_DAYS)
    polls = stop(emulator_control, emulator_project, ecs_client)
    assert [p.status for p in polls] == ["INIT", "RUNNING", "SUCCESS"]
    ahead = epoch_of(polls[0].begin_time) - emulator_control.globally.clock().epoch
    assert TWO_DAYS - 60 < ahead <= TWO_DAYS


@pytest.mark.parametrize("round_", ROUNDS)
def test_instant_and_now(round_, emulator_control, emulator_project, ecs_client):
    emulator_control.set_transitions(default="instant")
    polls = stop(emulator_control, emulator_project, ecs_client)
    assert [p.status for p in polls] == ["SUCCESS"] * 3
    assert abs(epoch_of(polls[0].begin_time) - emulator_control.globally.clock().epoch) < 60
    assert emulator_control.clock().offset_seconds == 0
'''


def test_xdist_workers_sharing_one_emulator_keep_their_own_policies_and_clocks(pytester):
    shared = start_emulator()
    try:
        pytester.makepyfile(test_inner=INNER % ROUNDS)
        result = pytester.runpytest_subprocess(*LOAD, "-p", "no:cacheprovider", "-n", "2",
                                               f"--ims-emulator-url={shared.url}")
        result.assert_outcomes(passed=2 * ROUNDS)
        control = EmulatorControl(shared.url)
        assert control.clock().offset_seconds == 0  # nobody moved the global clock
        assert control.transitions().transitions == {"default": "instant"}
    finally:
        shared.stop()
