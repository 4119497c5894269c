"""domain.clock: per-project clocks and policy maps (unit tests of the one function requests use)."""

from __future__ import annotations

import pytest

from ims_emulator.domain import clock
from ims_emulator.domain.jobs import policy_for


def _policy(global_map: dict[str, str], project_map: dict[str, str], op: str) -> str:
    return str(policy_for(op, clock.layer(global_map, project_map)))


@pytest.mark.parametrize(("project_map", "op", "expected"), [
    ({}, "csbs.protect", "manual"),                          # no overrides: the global map
    ({"ecs.stop": "polls:3"}, "csbs.protect", "manual"),     # another op: falls back to the global one
    ({"ecs.stop": "polls:3"}, "ecs.stop", "polls:3"),
    ({"ecs.stop": "polls:3"}, "ecs.start", "seconds:5"),     # global glob still applies to other ecs ops
    ({"csbs.*": "polls:4"}, "csbs.protect", "polls:4"),      # a project glob beats a global exact entry
    ({"csbs.*": "polls:4"}, "ims.create_image", "polls:2"),  # ... only for its service
    ({"default": "instant"}, "csbs.protect", "instant"),     # a project default: the global map is not used
])
def test_a_project_map_resolves_first_per_operation(project_map, op, expected):
    global_map = {"default": "polls:2", "csbs.protect": "manual", "ecs.*": "seconds:5"}
    assert _policy(global_map, project_map, op) == expected


def test_effective_adds_the_project_offset_to_the_global_clock():
    control = {"clock_offset": 100.0, "transitions": {"default": "polls:2"},
               clock.project_key("a"): {"offset_seconds": 50.0, "transitions": {"ecs.stop": "manual"}}}
    assert clock.effective(control, "a", 1000.0) == (1150.0, {"default": "polls:2", "ecs.stop": "manual"})
    assert clock.effective(control, "b", 1000.0) == (1100.0, {"default": "polls:2"})
    assert set(clock.control_keys("a")) >= {"clock_offset", "transitions", clock.project_key("a")}


def test_frozen_clocks_ignore_their_base_until_let_go():
    frozen = clock.Clock(10.0).changed(base=1000.0, freeze=True)
    assert frozen.now(5000.0) == 1010.0 and frozen.advanced(5).now(9999.0) == 1015.0
    running = frozen.changed(base=2000.0, freeze=False)
    assert running.frozen_at is None and running.now(2000.0) == 1010.0  # goes on from where it stopped


def test_offsets_are_bounded():
    with pytest.raises(clock.ClockError):
        clock.Clock(clock.MAX_OFFSET).advanced(1)
    with pytest.raises(clock.ClockError):
        clock.Clock().changed(0.0, offset=-clock.MAX_OFFSET - 1)
    assert clock.Clock().changed(0.0, offset=clock.MAX_OFFSET).offset == clock.MAX_OFFSET
