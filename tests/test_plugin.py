"""ims_emulator.pytest_plugin: fixtures and markers, in this session and in inner pytest runs (pytester)."""

from __future__ import annotations

import uuid

import pytest
from huaweicloudsdkecs.v2 import ListServersDetailsRequest

from ims_emulator.control import EmulatorControl
from ims_emulator.pytest_plugin import start_emulator
from tests.plugin_support import PLUGINS, entry_point_installed

pytest_plugins = ["pytester", *PLUGINS]
LOAD = [] if entry_point_installed() else ["-p", "ims_emulator.pytest_plugin"]


def run_inner(pytester, source: str, *args: str):
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_inprocess(*LOAD, "-p", "no:cacheprovider", "-p", "no:randomly", "-rs",
                                       "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


# -- fixtures in this session ------------------------------------------------------------------------

def test_each_test_gets_its_own_registered_project(emulator_control, emulator_project, ims_emulator):
    assert len(emulator_project) == 32 and int(emulator_project, 16) >= 0
    state = emulator_control.project_state(emulator_project)
    assert state.region and state.servers == []
    assert ims_emulator.started_here and emulator_control.base_url == ims_emulator.url


def test_sdk_clients_act_as_the_test_project(emulator_control, emulator_project, ecs_client, ims_client, cbr_client):
    spec = emulator_control.server_spec("only-mine")
    emulator_control.seed(emulator_project, [spec])
    emulator_control.seed(uuid.uuid4().hex, [emulator_control.server_spec("someone-else")])
    servers = ecs_client.list_servers_details(ListServersDetailsRequest()).servers
    assert [s.name for s in servers] == ["only-mine"]
    assert type(ims_client).__name__ == "ImsClient" and type(cbr_client).__name__ == "CbrClient"


def test_csbs_calls_are_signed_and_never_raise(csbs):
    listed = csbs.call("GET", "/v1/{project_id}/checkpoint_items", query={"limit": 5})
    assert listed.status == 200 and listed.json["checkpoint_items"] == []
    assert listed.request_id and len(listed.request_id) == 32
    missing = csbs.call("GET", "/v1/{project_id}/checkpoint_items/no-such-item")
    assert missing.status == 404 and missing.json["error_code"].startswith("CSBS.")


@pytest.mark.ims_project(region="cn-south-1", name="team-south")
def test_project_marker_picks_the_region(emulator_control, emulator_project, ecs_client):
    state = emulator_control.project_state(emulator_project)
    assert (state.region, state.name) == ("cn-south-1", "team-south")


@pytest.mark.ims_transitions({"ecs.stop": "manual"}, default="polls:3")
def test_transitions_marker_sets_the_map_for_the_test_project(emulator_control, emulator_project):
    mine = emulator_control.transitions()
    assert (mine.project_id, mine.overrides) == (emulator_project, {"default": "polls:3", "ecs.stop": "manual"})
    assert (mine.effective["ecs.stop"], mine.effective["ecs.start"]) == ("manual", "polls:3")
    assert emulator_control.globally.transitions().transitions == {"default": "instant"}  # no one else's


@pytest.mark.ims_fault(operations=["ecs.stop"], action="fail_job", error_code="Ecs.0100")
@pytest.mark.ims_fault(["ecs.show_server"], "http_error", status=503)
def test_fault_markers_are_scoped_to_the_test_project(emulator_control, emulator_project):
    rules = emulator_control.faults(emulator_project)
    assert sorted((r.action, tuple(r.operations)) for r in rules) == [
        ("fail_job", ("ecs.stop",)), ("http_error", ("ecs.show_server",))]
    assert all(r.project_id == emulator_project for r in rules)


# -- inner runs: what happens after a test, options, environment --------------------------------------

def test_markers_are_registered(pytester):
    result = pytester.runpytest_inprocess(*LOAD, "-W", "ignore::pytest.PytestAssertRewriteWarning", "--markers")
    result.stdout.fnmatch_lines(["*ims_transitions(*", "*ims_fault(*", "*ims_project(*"])


def test_markers_are_undone_after_the_test(pytester):
    result = run_inner(pytester, """
        import pytest
        seen = {}

        @pytest.mark.ims_transitions(default="polls:3", **{"csbs.protect": "manual"})
        @pytest.mark.ims_fault(operations=["csbs.protect"], action="fail_job")
        def test_a(emulator_control, emulator_project):
            seen["project"] = emulator_project
            assert emulator_control.transitions().effective["csbs.protect"] == "manual"
            assert len(emulator_control.faults(emulator_project)) == 1

        def test_b(emulator_control):
            assert emulator_control.transitions(seen["project"]).overrides == {}
            assert emulator_control.globally.transitions().projects == {}
            assert emulator_control.faults(seen["project"]) == []
            assert emulator_control.faults() == []

        @pytest.mark.ims_fault(operations=["ecs.*"], action="fail_job")
        def test_c_may_remove_its_own_rule(emulator_control, emulator_project):
            emulator_control.clear_faults(emulator_project)
    """)
    result.assert_outcomes(passed=3)


def test_a_bad_marker_fails_the_test_with_the_servers_reason(pytester):
    result = run_inner(pytester, """
        import pytest

        @pytest.mark.ims_transitions(**{"ims.not_an_op": "manual"})
        def test_a():
            pass
    """)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ims.not_an_op*"])


@pytest.mark.parametrize("how", ["option", "env"])
def test_an_existing_emulator_is_used_when_given(pytester, monkeypatch, how):
    outer = start_emulator()
    try:
        args = [f"--ims-emulator-url={outer.url}"] if how == "option" else []
        if how == "env":
            monkeypatch.setenv("IMS_EMULATOR_URL", outer.url)
        result = run_inner(pytester, f"""
            def test_a(ims_emulator, emulator_project):
                assert not ims_emulator.started_here and ims_emulator.url == {outer.url!r}
                open("project.txt", "w").write(emulator_project)
        """, *args)
        result.assert_outcomes(passed=1)
        project = (pytester.path / "project.txt").read_text()
        assert project in EmulatorControl(outer.url).state().projects
    finally:
        outer.stop()


def test_an_unreachable_url_stops_the_run_with_a_clear_message(pytester):
    free = start_emulator()
    free.stop()  # its port now has no listener
    result = run_inner(pytester, "def test_a(ims_emulator):\n    pass\n", f"--ims-emulator-url={free.url}",
                       "--ims-emulator-wait=0.2")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*is not answering*"])


def test_a_missing_sdk_skips_with_the_install_hint(pytester):
    result = run_inner(pytester, """
        import sys
        import pytest

        @pytest.fixture
        def no_ims_sdk(monkeypatch):
            monkeypatch.setitem(sys.modules, "huaweicloudsdkims.v2", None)

        def test_a(no_ims_sdk, ims_client):
            pass
    """)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*huaweicloudsdkims.v2 is not installed*pip install*"])


def test_strict_auth_accepts_the_fixtures_signatures_only(pytester):
    result = run_inner(pytester, """
        import urllib.error, urllib.request
        import pytest
        from huaweicloudsdkecs.v2 import ListServersDetailsRequest

        def test_a(ims_emulator, csbs, ecs_client):
            assert csbs.call("GET", "/v1/{project_id}/checkpoint_items").status == 200
            assert ecs_client.list_servers_details(ListServersDetailsRequest()).servers == []
            unsigned = urllib.request.Request(ims_emulator.url + "/v1/" + csbs.project_id + "/checkpoint_items",
                                              headers={"X-Auth-Token": "t"})
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(unsigned)
            assert err.value.code == 401
    """, "--ims-emulator-auth=strict")
    result.assert_outcomes(passed=1)
