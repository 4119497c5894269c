"""The command line: flags, IMS_EMULATOR_* variables, the demo world, state across restarts."""

import subprocess
import sys

import requests

from tests.support import Control, SubprocessServer, new_project, server_spec

DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ims_emulator", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_help_documents_every_flag():
    out = _run("serve", "--help").stdout
    for flag in ("--host", "--port", "--db", "--world", "--region", "--auth", "--credentials", "--transitions",
                 "--workers", "IMS_EMULATOR_"):
        assert flag in out
    assert "serve" in _run("--help").stdout


def test_bad_settings_exit_2_with_a_message():
    result = _run("serve", "--transitions", "sometimes")
    assert result.returncode == 2 and "invalid transition policy" in result.stderr
    result = _run("serve", "--db", ":memory:", "--transitions", "default=instant,ims.create_hole_image=polls:2")
    assert result.returncode == 2 and "ims.create_hole_image" in result.stderr
    result = _run("serve", "--credentials", "no-colon")
    assert result.returncode == 2 and "AK:SK" in result.stderr


def test_default_world_state_survives_a_restart_and_env_sets_flags(tmp_path):
    db = str(tmp_path / "state.db")
    env = {"IMS_EMULATOR_TRANSITIONS": "default=polls:2", "IMS_EMULATOR_QUIET": "1"}
    server = SubprocessServer("--db", db, "--world", "default", env=env)
    try:
        ctl = Control(server.url)
        projects = ctl.get("/state").json()["projects"]
        demo = projects[DEMO_PROJECT]
        assert demo["region"] == "cn-north-4"
        assert sorted(s["status"] for s in demo["servers"]) == ["ACTIVE", "ACTIVE", "SHUTOFF"]
        assert any(v["shareable"] for v in demo["volumes"])
        assert ctl.get("/transitions").json()["transitions"]["default"] == "polls:2"
        extra = new_project()
        ctl.seed(extra, [server_spec("kept")])
    finally:
        server.stop()
    again = SubprocessServer("--db", db, "--world", "default", "--quiet")
    try:
        projects = Control(again.url).get("/state").json()["projects"]
        assert [s["name"] for s in projects[extra]["servers"]] == ["kept"]
        assert len(projects[DEMO_PROJECT]["servers"]) == 3  # not seeded twice
    finally:
        again.stop()


def test_strict_mode_from_the_command_line(tmp_path):
    server = SubprocessServer("--db", ":memory:", "--world", "none", "--auth", "strict",
                              "--credentials", "AK1:SK1,AK2:SK2", "--quiet")
    try:
        resp = requests.get(f"{server.url}/v1/{new_project()}/cloudservers/detail", headers={"X-Auth-Token": "t"})
        assert resp.status_code == 401
        from tests.support import signed_call
        assert signed_call(server.url, new_project(), "GET", "/v1/{project_id}/cloudservers/detail",
                           ak="AK2", sk="SK2").status_code == 200
    finally:
        server.stop()
