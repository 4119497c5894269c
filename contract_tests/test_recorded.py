"""Every recorded real response against the emulator's answer in the same situation."""

from __future__ import annotations

import pytest

from contract_tests.checks import evaluate, route_exists
from contract_tests.compare import CHECKS
from contract_tests.env import Env
from contract_tests.fixtures import fixture_names, load_allowlist, load_fixture
from contract_tests.formats import glob
from contract_tests.scenarios import SCENARIOS
from contract_tests.sdk_models import SDK
from tests.support import Control, InProcessServer


def _params() -> list[object]:
    out = []
    for name in fixture_names():
        scenario = SCENARIOS.get(name)
        why = scenario and (scenario.pending or scenario.known_difference)
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def test_every_recording_has_a_scenario() -> None:
    assert sorted(set(fixture_names()) - set(SCENARIOS)) == []


def test_every_recording_keeps_its_source() -> None:
    for name in fixture_names():
        rec = load_fixture(name)
        assert rec["source"].startswith("https://"), name
        assert {"method", "path", "status", "request", "response"} <= set(rec), name


def test_allow_list_entries_are_explained() -> None:
    for entry in load_allowlist():
        assert any(glob(entry.check, c) for c in (*CHECKS, SDK)) and len(entry.reason) > 40, entry
        assert not (entry.check == "*" and entry.path == "*"), \
            f"an entry allowing every difference is a KNOWN_DIFFERENCES xfail, not an allowance: {entry}"


def test_every_allow_list_entry_is_used(emulator: InProcessServer) -> None:
    """An entry that covers no difference any more hides nothing today, but would hide a regression tomorrow."""
    used = set()
    for name in fixture_names():
        scenario = SCENARIOS[name]
        if not (scenario.pending or scenario.known_difference):
            used.update(evaluate(Env(emulator.url), name).allowed)
    assert [f"{a.fixture} {a.check} {a.path}" for a in load_allowlist() if a not in used] == []


@pytest.mark.parametrize("fixture", _params())
def test_recorded_response_conforms(emulator: InProcessServer, control: Control, fixture: str) -> None:
    result = evaluate(Env(emulator.url), fixture)
    assert result.error is None, f"scenario could not be driven: {result.error}"
    assert result.problems == [], "\n".join(map(str, result.problems))


def test_fixtures_readme_lists_every_recording() -> None:
    from contract_tests.fixtures import RECORDED
    readme = (RECORDED.parent / "README.md").read_text(encoding="utf-8")
    assert [n for n in fixture_names() if f"`{n}` | {load_fixture(n)['source']} |" not in readme] == []


def test_pending_operations_are_not_served_yet(emulator: InProcessServer) -> None:
    """A PENDING entry must go once its route lands (even if the answer does not conform yet)."""
    landed = [name for name, s in SCENARIOS.items() if s.pending and route_exists(emulator, name)]
    assert landed == [], "operation landed: remove these from PENDING in contract_tests/scenarios.py"
