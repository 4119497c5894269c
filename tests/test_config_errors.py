"""Configuration errors name their flag or variable and what it accepts (exit 2); logs and control-API answers
that tell a user what happened: a 401's reason in the access log, JSON-only logs, snapshot names, GET /_emulator/."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from tests.support import Control, SubprocessServer, new_project, signed_call, wait_for


def _serve(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ims_emulator", "serve", "--port", "0", "--db", ":memory:", *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(("args", "env", "named", "accepted"), [
    ((), {"IMS_EMULATOR_PORT": "abc"}, "IMS_EMULATOR_PORT", "an integer"),
    ((), {"IMS_EMULATOR_QUIET": "maybe"}, "IMS_EMULATOR_QUIET", "true"),
    ((), {"IMS_EMULATOR_AUTH": "stict"}, "IMS_EMULATOR_AUTH", "off | loose | strict"),
    (("--world", "pipline"), {}, "--world", "default | pipeline | none"),
    (("--world", "missing-world.json"), {}, "--world", "no such world file"),
    (("--workers", "0"), {}, "--workers", "1 or more"),
    (("--transitions", "sometimes"), {}, "--transitions", "instant, polls:N, seconds:X or manual"),
])
def test_a_bad_setting_exits_2_naming_it_and_what_it_accepts(args, env, named, accepted):
    result = _serve(*args, env={**os.environ, **env})
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and accepted in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_world_file_exits_2_with_the_field_at_fault(tmp_path):
    world = tmp_path / "w.json"
    world.write_text(json.dumps({"projects": [{"project_id": new_project(), "servers": [{"name": "a"}]}]}))
    result = _serve("--world", str(world))
    assert result.returncode == 2
    assert "projects[0].servers[0].id" in result.stderr and str(world) in result.stderr


def test_json_log_mode_prints_json_only_and_a_401_logs_its_reason_not_the_secret():
    server = SubprocessServer("--db", ":memory:", "--auth", "strict", "--credentials", "AKLOG:SKLOG-secret",
                              "--log-format", "json")
    try:
        banner = json.loads(server.output[0])
        assert banner["url"] == server.url and "BasicCredentials" in banner["snippet"]
        denied = signed_call(server.url, new_project(), "GET", "/v1/{project_id}/cloudservers/detail",
                             ak="AKLOG", sk="SKLOG-wrong-secret")
        assert denied.status_code == 401
        rid = denied.headers["X-Request-Id"]
        line = wait_for(lambda: next((x for x in list(server.output) if rid in x), None))
    finally:
        server.stop()
    logged = json.loads(line)
    assert (logged["status"], logged["error_code"]) == (401, "APIGW.0301")
    assert "verify aksk signature fail" in logged["reason"]
    everything = "".join(server.output)
    assert "SKLOG" not in everything and "Signature=" not in everything
    for text in server.output:
        json.loads(text)  # every line, banner included, is one JSON object


def test_a_snapshot_name_is_not_silently_overwritten(url):
    ctl, name = Control(url), f"once-{new_project()}"
    assert ctl.post("/snapshots", {"name": name}).status_code == 201
    again = ctl.post("/snapshots", {"name": name})
    assert again.status_code == 409 and "overwrite" in again.json()["error"]
    assert ctl.post("/snapshots", {"name": name, "overwrite": True}).status_code == 201
    assert [s["name"] for s in ctl.get("/snapshots").json()["snapshots"]].count(name) == 1
    ctl.delete(f"/snapshots/{name}")


def test_the_control_root_lists_the_control_endpoints(url):
    resp = requests.get(f"{url}/_emulator/", timeout=10)
    assert resp.status_code == 200
    listed = {(e["method"], e["path"]) for e in resp.json()["endpoints"]}
    for expected in [("POST", "/_emulator/reset"), ("GET", "/_emulator/state"), ("POST", "/_emulator/seed"),
                     ("POST", "/_emulator/snapshots/{name}/restore"), ("GET", "/_emulator/ui")]:
        assert expected in listed
    assert all(path.startswith("/_emulator/") for _, path in listed)
