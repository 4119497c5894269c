"""One recorded exchange checked end to end: run its scenario, compare with the recording, walk the SDK model
(success) or parse the error the way the SDK does (failure). Shared by pytest and `python -m contract_tests`."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import requests
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException
from werkzeug.exceptions import HTTPException

from contract_tests.compare import CHECKS, FORMAT, Allowance, Problem, compare_response, split
from contract_tests.env import Env, Outcome, ScenarioError
from contract_tests.fixtures import load_allowlist, load_fixture
from contract_tests.formats import classify, glob
from contract_tests.scenarios import run
from contract_tests.sdk_models import SDK, response_model, walk_response

COLUMNS = (*CHECKS, SDK)


@dataclasses.dataclass
class Result:
    fixture: str
    problems: list[Problem] = dataclasses.field(default_factory=list)
    allowed: list[Allowance] = dataclasses.field(default_factory=list)
    error: str | None = None  # the scenario could not drive the emulator into the recorded situation
    landed: bool = False  # (report) a pending operation whose route exists now
    borrowed: list[str] = dataclasses.field(default_factory=list)  # extra keys other recordings of it show

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    def column(self, check: str) -> str:
        if self.error is not None:
            return "n/a"
        return "FAIL" if any(p.check == check for p in self.problems) else "pass"


def sdk_error_problems(fixture: str, recorded: dict[str, Any], out: Outcome) -> list[Problem]:
    """An error answer must surface in the SDK as ClientRequestException carrying the recorded code."""
    want = _error_code(recorded["response"])
    raw = requests.Response()
    raw.status_code, raw._content = out.status, out.text.encode()  # noqa: SLF001 - feeding the SDK's own parser
    raw.headers.update(out.headers)
    try:
        DefaultExceptionHandler().handle_exception(None, raw)
    except ClientRequestException as exc:
        if exc.error_code != want:
            return [Problem(SDK, "$", f"SDK reads error code {exc.error_code!r}, recording has {want!r}")]
        return []
    except SdkException as exc:
        return [Problem(SDK, "$", f"SDK raised {type(exc).__name__}, not ClientRequestException")]
    return [Problem(SDK, "$", "SDK raised nothing for an error answer")]


# Headers seen in live captures (live-behaviour.md): (fixture glob, header, exact value)
LIVE_HEADERS = [
    ("ims/list_images.*", "Content-Type", "application/json; charset=UTF-8"),
    ("ims/list_images.*", "Cache-Control", "no-cache, no-store, must-revalidate"),
]


def header_problems(fixture: str, out: Outcome) -> list[Problem]:
    """Every answer carries X-Request-Id, 32 lowercase hex, which the SDK reads into errors; some calls carry
    more headers live captures show."""
    headers = {k.lower(): v for k, v in out.headers.items()}
    problems = []
    if classify(headers.get("x-request-id", "")) != "hex32":
        problems.append(Problem(FORMAT, "<header X-Request-Id>", f"{headers.get('x-request-id')!r} is not 32 hex"))
    for pattern, name, want in LIVE_HEADERS:
        if glob(pattern, fixture) and headers.get(name.lower()) != want:
            problems.append(Problem(FORMAT, f"<header {name}>", f"{headers.get(name.lower())!r}, live: {want!r}"))
    return problems


def _error_code(body: dict[str, Any]) -> str | None:
    for key in ("error_code", "code"):
        if key in body:
            return body[key]
    nested = [v for v in body.values() if isinstance(v, dict)]
    return _error_code(nested[0]) if nested else None


def evaluate(env: Env, fixture: str, allow: list[Allowance] | None = None) -> Result:
    recorded = load_fixture(fixture)
    result = Result(fixture)
    try:
        out = run(env, fixture)
    except ScenarioError as exc:
        result.error = str(exc)
        return result
    return judge(fixture, recorded, out, allow, result)


def judge(fixture: str, recorded: dict[str, Any], out: Outcome, allow: list[Allowance] | None = None,
          result: Result | None = None) -> Result:
    """Every check of one emulator answer against one recording (also for a user's recordings, no scenario)."""
    result = result or Result(fixture)
    problems = compare_response(fixture, recorded, out.status, out.body, result.borrowed)
    problems += header_problems(fixture, out)
    if recorded["status"] >= 400:
        problems += sdk_error_problems(fixture, recorded, out)
    elif (model := response_model(fixture)) and out.status < 400:
        problems += walk_response(*model, out.body)
    result.problems, result.allowed = split(problems, fixture, load_allowlist() if allow is None else allow)
    return result


def route_exists(server: Any, fixture: str) -> bool:
    """Whether the emulator now has a route for the recorded call (a pending entry that should go)."""
    rec = load_fixture(fixture)
    path = re.sub(r"\{[^}]+\}", "x", rec["path"].split("?")[0])
    try:
        server.app.url_map.bind("ims_emulator").match(path, rec["method"])
    except HTTPException:
        return False
    return True
