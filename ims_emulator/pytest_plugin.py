"""pytest plugin (entry point `ims_emulator`): an emulator per test session, a fresh project per test.

Fixtures: ims_emulator, emulator_control, emulator_project, ims_client, ecs_client, cbr_client, csbs.
Markers: ims_transitions(...) and ims_fault(...) for one test, undone afterwards; ims_project(region=...).
Transition policies and the clock are per project: the marker and emulator_control's policy and clock
helpers act on the test's own emulator_project, so xdist workers sharing one emulator never interfere.
Use an emulator that is already running with --ims-emulator-url or IMS_EMULATOR_URL.
(PYTEST_DONT_REWRITE: nothing here asserts; it may be imported before pytest loads it as a plugin.)
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from ims_emulator.control import ControlError, EmulatorControl, http

URL_ENV = "IMS_EMULATOR_URL"
AK_ENV, SK_ENV = "IMS_EMULATOR_AK", "IMS_EMULATOR_SK"
# the in-session emulator accepts these (auth loose accepts any signed call; strict checks this pair)
DEFAULT_AK, DEFAULT_SK = "AKIMSEMULATORPYTEST0", "SKims-emulator-pytest-plugin"
SDK_HINT = "pip install huaweicloudsdkcore huaweicloudsdkims huaweicloudsdkecs huaweicloudsdkcbr"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ims_emulator", "IMS/CSBS emulator")
    group.addoption("--ims-emulator-url", default=None,
                    help=f"use this running emulator instead of starting one (env {URL_ENV})")
    group.addoption("--ims-emulator-auth", default="loose", choices=("off", "loose", "strict"),
                    help="auth mode of the emulator the plugin starts (default loose)")
    group.addoption("--ims-emulator-control-token", default=None,
                    help="the control token of the emulator at --ims-emulator-url (env IMS_EMULATOR_CONTROL_TOKEN)")
    group.addoption("--ims-emulator-wait", type=float, default=10.0,
                    help="seconds to wait for a given --ims-emulator-url to answer (default 10)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ims_transitions(policies=None, **ops): transition policies for this test's emulator_project, "
                   'e.g. @pytest.mark.ims_transitions(default="polls:3", **{"csbs.protect": "manual"}); removed after')
    config.addinivalue_line(
        "markers", "ims_fault(operations, action, **rule): a fault rule scoped to this test's emulator_project, "
                   'e.g. @pytest.mark.ims_fault(operations=["ims.create_whole_image"], action="fail_job"); '
                   "removed after")
    config.addinivalue_line(
        "markers", 'ims_project(region=None, name=None): the region and name emulator_project is registered with')


# -- the server --------------------------------------------------------------------------------------

@dataclass
class RunningEmulator:
    """An emulator the session talks to: started here (stop() ends it) or given by URL."""

    url: str
    control: EmulatorControl
    ak: str = DEFAULT_AK
    sk: str = DEFAULT_SK
    _server: Any = None

    @property
    def started_here(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def start_emulator(auth: str = "loose", ak: str = DEFAULT_AK, sk: str = DEFAULT_SK,
                   **settings: Any) -> RunningEmulator:
    """create_app behind werkzeug's threaded server on 127.0.0.1:<free port>, in a daemon thread."""
    from werkzeug.serving import make_server

    from ims_emulator.app import create_app
    from ims_emulator.server import _Handler
    from ims_emulator.settings import Settings

    base = dict(port=0, db=":memory:", world="none", quiet=True, auth=auth, credentials=f"{ak}:{sk}")
    app = create_app(Settings(**{**base, **settings}))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Handler)
    threading.Thread(target=server.serve_forever, name="ims-emulator", daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    return RunningEmulator(url, EmulatorControl(url), ak, sk, server)


@pytest.fixture(scope="session")
def ims_emulator(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """The session's emulator: --ims-emulator-url / IMS_EMULATOR_URL if given, else one started in-process."""
    given = pytestconfig.getoption("--ims-emulator-url") or os.environ.get(URL_ENV)
    ak, sk = os.environ.get(AK_ENV, DEFAULT_AK), os.environ.get(SK_ENV, DEFAULT_SK)
    if given:
        token = pytestconfig.getoption("--ims-emulator-control-token")
        running = RunningEmulator(given.rstrip("/"), EmulatorControl(given, token=token), ak, sk)
        problem = _unhealthy(running.control, pytestconfig.getoption("--ims-emulator-wait"))
        if problem:
            pytest.fail(f"ims-emulator at {given} is not answering: {problem}", pytrace=False)
        yield running
        return
    running = start_emulator(pytestconfig.getoption("--ims-emulator-auth"), ak, sk)
    yield running
    running.stop()


def _unhealthy(control: EmulatorControl, wait: float) -> str | None:
    try:
        control.wait_healthy(timeout=wait)
    except ControlError as exc:
        return str(exc)
    return None


@pytest.fixture
def emulator_control(ims_emulator: RunningEmulator, emulator_project: str) -> EmulatorControl:
    """The control client bound to emulator_project: transitions/policies/clock/advance_clock act on the
    test's project (`.globally` for the global map and clock); seed, reset, state, settle as unbound."""
    return ims_emulator.control.for_project(emulator_project)


@pytest.fixture
def emulator_project(ims_emulator: RunningEmulator, request: pytest.FixtureRequest) -> str:
    """A fresh 32-hex project id, registered (seeded empty) in its region: tests never share state.

    The region is the emulator's default unless the test says @pytest.mark.ims_project(region=..., name=...).
    """
    mark = request.node.get_closest_marker("ims_project")
    options = dict(mark.kwargs) if mark else {}
    unknown = set(options) - {"region", "name"}
    if unknown or (mark and mark.args):
        raise pytest.UsageError(f"ims_project takes region= and name= only, not {sorted(unknown) or mark.args}")
    project_id = uuid.uuid4().hex
    ims_emulator.control.seed(project_id, region=options.get("region"), project_name=options.get("name"))
    return project_id


# -- markers -------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _ims_emulator_markers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Apply ims_transitions / ims_fault markers; does nothing (starts nothing) for unmarked tests."""
    policy_mark = request.node.get_closest_marker("ims_transitions")
    fault_marks = list(request.node.iter_markers("ims_fault"))
    if policy_mark is None and not fault_marks:
        yield
        return
    control: EmulatorControl = request.getfixturevalue("emulator_control")
    project = request.getfixturevalue("emulator_project")
    rule_ids = []
    before = control.transitions(project).overrides if policy_mark else None
    try:
        if policy_mark is not None:
            control.set_transitions(_policies(policy_mark), project_id=project)
        if fault_marks:
            rule_ids = [control.add_fault(**_fault_rule(mark, project)).id for mark in reversed(fault_marks)]
        yield
    finally:
        for rule_id in rule_ids:
            try:
                control.delete_fault(rule_id)
            except ControlError as exc:
                if exc.status != 404:  # a test may delete its rule itself
                    raise
        if before is not None:
            control.set_transitions(before, project_id=project)


def _policies(mark: pytest.Mark) -> dict[str, str]:
    if len(mark.args) > 1 or (mark.args and not isinstance(mark.args[0], Mapping)):
        raise pytest.UsageError("ims_transitions takes one optional dict and keyword policies")
    return {**(mark.args[0] if mark.args else {}), **mark.kwargs}


def _fault_rule(mark: pytest.Mark, project: str) -> dict[str, Any]:
    rule = dict(mark.kwargs)
    if mark.args:  # ims_fault(["ecs.stop"], "fail_job") reads like the keyword form
        rule.update(zip(("operations", "action"), mark.args, strict=False))
    if "operations" not in rule or "action" not in rule:
        raise pytest.UsageError("ims_fault needs operations=[...] and action=...")
    rule.setdefault("project_id", project)
    return rule


# -- clients ---------------------------------------------------------------------------------------------

def _sdk(module: str) -> Any:
    return pytest.importorskip(module, reason=f"{module} is not installed ({SDK_HINT})")


def sdk_client(client_cls: Any, running: RunningEmulator, project_id: str) -> Any:
    core_auth = _sdk("huaweicloudsdkcore.auth.credentials")
    http_config = _sdk("huaweicloudsdkcore.http.http_config").HttpConfig.get_default_config()
    http_config.timeout = (5, 30)
    credentials = core_auth.BasicCredentials(running.ak, running.sk, project_id)
    return (client_cls.new_builder().with_http_config(http_config).with_credentials(credentials)
            .with_endpoints([running.url]).build())


@pytest.fixture
def ims_client(ims_emulator: RunningEmulator, emulator_project: str) -> Any:
    """huaweicloudsdkims.v2.ImsClient for emulator_project."""
    return sdk_client(_sdk("huaweicloudsdkims.v2").ImsClient, ims_emulator, emulator_project)


@pytest.fixture
def ecs_client(ims_emulator: RunningEmulator, emulator_project: str) -> Any:
    """huaweicloudsdkecs.v2.EcsClient for emulator_project."""
    return sdk_client(_sdk("huaweicloudsdkecs.v2").EcsClient, ims_emulator, emulator_project)


@pytest.fixture
def cbr_client(ims_emulator: RunningEmulator, emulator_project: str) -> Any:
    """huaweicloudsdkcbr.v1.CbrClient for emulator_project."""
    return sdk_client(_sdk("huaweicloudsdkcbr.v1").CbrClient, ims_emulator, emulator_project)


@dataclass(frozen=True)
class CsbsResponse:
    status: int
    json: Any
    headers: dict[str, str]

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-Id")


class CsbsClient:
    """CSBS v1 has no SDK: raw calls signed by huaweicloudsdkcore's signer. `{project_id}` in a path is filled."""

    def __init__(self, running: RunningEmulator, project_id: str) -> None:
        self.url, self.project_id, self.ak, self.sk = running.url, project_id, running.ak, running.sk

    def call(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> CsbsResponse:
        """Send one signed request; any status comes back (nothing is raised for 4xx/5xx)."""
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.sdk_request import SdkRequest
        scheme, host = self.url.split("://", 1)
        path = path.replace("{project_id}", self.project_id)
        data = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
        request = SdkRequest(method=method.upper(), schema=scheme, host=host, resource_path=path,
                             query_params=list((query or {}).items()),
                             header_params={"Content-Type": "application/json"}, body=data)
        signed = BasicCredentials(self.ak, self.sk, self.project_id).sign_request(request)
        signed = signed.result() if hasattr(signed, "result") else signed
        raw = signed.body.encode() if isinstance(signed.body, str) else signed.body
        result = http(method.upper(), signed.url, raw or None, signed.header_params)
        try:
            payload = result.json()
        except ValueError:
            payload = result.body.decode("utf-8", "replace")
        return CsbsResponse(result.status, payload, result.headers)


@pytest.fixture
def csbs(ims_emulator: RunningEmulator, emulator_project: str) -> CsbsClient:
    """Signed CSBS v1 calls as emulator_project: csbs.call("GET", "/v1/{project_id}/checkpoint_items")."""
    _sdk("huaweicloudsdkcore")
    return CsbsClient(ims_emulator, emulator_project)
