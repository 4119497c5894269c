"""A control plane that is not open by accident (issue 15 #6, issue 17 #4): the optional control token, the
start-up banner (the address bound, a snippet that works in its auth mode, a warning off loopback), strict
mode without keys refusing to start."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import requests

from ims_emulator import banner
from ims_emulator.control import ControlError, EmulatorControl
from ims_emulator.settings import Settings
from tests.plugin_support import PLUGINS, entry_point_installed
from tests.support import InProcessServer, new_project, server_spec

pytest_plugins = ["pytester", *PLUGINS]
LOAD = [] if entry_point_installed() else ["-p", "ims_emulator.pytest_plugin"]
TOKEN = "ctl-s3cret"


@pytest.fixture(scope="module")
def guarded() -> Iterator[InProcessServer]:
    server = InProcessServer(control_token=TOKEN)
    yield server
    server.stop()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_emulator/state"), ("POST", "/_emulator/reset"), ("GET", "/_emulator/faults"),
    ("POST", "/_emulator/seed"), ("GET", "/_emulator/snapshots"), ("GET", "/_emulator/ui"),
    ("POST", "/_emulator/clock/advance"), ("GET", "/_emulator/openapi.json")])
def test_without_the_token_the_control_api_answers_401_and_changes_nothing(guarded, method, path):
    ctl = EmulatorControl(guarded.url, token=TOKEN)
    ctl.seed(new_project(), [server_spec()])
    before = _snapshot(guarded)
    for headers in ({}, {"X-Emulator-Token": "wrong"}, {"Authorization": "Basic Onhd"}):
        resp = requests.request(method, guarded.url + path, json={}, headers=headers, timeout=30)
        assert resp.status_code == 401, resp.text
        assert set(resp.json()) == {"error"} and "control token" in resp.json()["error"]
        assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert _snapshot(guarded) == before


def _snapshot(server: InProcessServer) -> tuple[object, ...]:
    """Projects, fault rules, snapshots and the clock offset (what the refused calls would have changed)."""
    get = lambda path: requests.get(server.url + path, headers={"X-Emulator-Token": TOKEN}, timeout=30).json()  # noqa: E731
    return (get("/_emulator/state")["projects"], get("/_emulator/faults"), get("/_emulator/snapshots"),
            get("/_emulator/clock")["offset_seconds"])


def test_the_token_opens_it_as_a_header_or_as_a_basic_password(guarded):
    assert requests.get(f"{guarded.url}/_emulator/state", headers={"X-Emulator-Token": TOKEN}).status_code == 200
    assert requests.get(f"{guarded.url}/_emulator/ui", auth=("any", TOKEN)).status_code == 200  # a browser


def test_health_stays_open_and_services_are_unaffected(guarded):
    assert requests.get(f"{guarded.url}/_emulator/health", timeout=30).status_code == 200
    resp = requests.get(f"{guarded.url}/v2/cloudimages", headers={"X-Auth-Token": "t", "X-Project-Id": new_project()})
    assert resp.status_code == 200


def test_the_control_client_sends_the_token_from_the_environment(guarded, monkeypatch):
    with pytest.raises(ControlError) as err:
        EmulatorControl(guarded.url).state()
    assert err.value.status == 401
    monkeypatch.setenv("IMS_EMULATOR_CONTROL_TOKEN", TOKEN)
    assert EmulatorControl(guarded.url).state().projects is not None


def test_the_pytest_plugin_sends_the_token(guarded, pytester):
    pytester.makepyfile("""
        def test_control(emulator_control, emulator_project, ims_client):
            assert emulator_project in emulator_control.state().projects
            emulator_control.reset(emulator_project)
    """)
    result = pytester.runpytest_inprocess(*LOAD, "-p", "no:cacheprovider", "-p", "no:randomly",
                                          f"--ims-emulator-url={guarded.url}", f"--ims-emulator-control-token={TOKEN}")
    result.assert_outcomes(passed=1)


def test_without_a_token_set_the_control_api_is_open():
    server = InProcessServer()
    try:
        assert EmulatorControl(server.url).state().projects == {}
        assert requests.get(f"{server.url}/_emulator/state", timeout=30).status_code == 200
    finally:
        server.stop()


# -- start-up ----------------------------------------------------------------------------------------

def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ims_emulator", "serve", "--port", "0", "--db", ":memory:", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def _banner(proc: subprocess.Popen[str]) -> list[str]:
    lines = []
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line.rstrip("\n"))
        if "print(client.list_images" in line:
            return lines
    raise AssertionError(f"no banner: {lines} {proc.stderr.read()}")  # type: ignore[union-attr]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def test_strict_mode_without_keys_refuses_to_start_and_says_how():
    result = subprocess.run([sys.executable, "-m", "ims_emulator", "serve", "--auth", "strict", "--db", ":memory:"],
                            capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if not k.startswith("IMS_EMULATOR_")})
    assert result.returncode == 2
    assert "--credentials" in result.stderr and "IMS_EMULATOR_CREDENTIALS" in result.stderr


@pytest.mark.parametrize("auth", ["loose", "strict"])
def test_the_banner_snippet_runs_in_the_mode_it_was_started_in(auth):
    project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    args = ["--world", "default", "--quiet", "--auth", auth]
    env = {"IMS_EMULATOR_CREDENTIALS": f"AKBANNER0000000001:SKbanner@{project}"} if auth == "strict" else {}
    proc = _serve(*args, env=env)
    try:
        lines = _banner(proc)
        assert "SKbanner" not in "\n".join(lines)  # a secret is never printed
        snippet = textwrap.dedent("\n".join(lines[lines.index("Point the official SDK at it:") + 1:]))
        run = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "IMS_EMULATOR_SK": "SKbanner"})
        assert run.returncode == 0, run.stderr
        assert "images" in run.stdout
    finally:
        _stop(proc)


def test_the_banner_prints_the_address_actually_bound():
    proc = _serve("--host", "localhost", "--world", "none", "--quiet")
    try:
        first = _banner(proc)[0]
        url = first.split("listening on ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert requests.get(f"{url}/_emulator/health", timeout=30).status_code == 200
    finally:
        _stop(proc)


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("::", True), ("192.0.2.10", True),
                                              ("127.0.0.1", False), ("127.0.0.5", False), ("::1", False),
                                              ("localhost", False)])
def test_binding_a_non_loopback_address_warns(host, warned):
    text = banner.bind_warning(Settings(db=":memory:"), host)
    assert (text is not None) is warned
    if warned:
        assert "/_emulator" in text and "--control-token" in text
        assert "control token" in banner.bind_warning(Settings(db=":memory:", control_token="t"), host)


def test_a_wildcard_bind_is_announced_as_such_with_a_loopback_client_url():
    assert banner.url("0.0.0.0", 8085) == "http://0.0.0.0:8085"
    assert banner.client_url("0.0.0.0", 8085) == "http://127.0.0.1:8085"
    assert banner.client_url("::", 8085) == "http://[::1]:8085"
