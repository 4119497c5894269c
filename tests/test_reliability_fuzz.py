"""Schemathesis against the live emulator, from its own GET /_emulator/openapi.json: generated requests for every
route never get a 5xx, every error is in the owning service's body format, responses match the document.

Bounded here (make test); IMS_EMULATOR_DEEP=1 / `make fuzz` tries many more cases per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings

from tests.reliability_support import DEEP, Cloud, state
from tests.support import InProcessServer, new_project

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from fuzz.hooks import strict_json  # noqa: E402

CASES_PER_OPERATION = int(os.environ.get("IMS_EMULATOR_FUZZ_CASES", "60" if DEEP else "3"))
# the control API changes global settings (clock, faults, transitions, reset): fuzzed in its own module run only
SKIP_PREFIXES = ("/_emulator/",)
TRIED: dict[str, Any] = {"cases": 0, "5xx": 0, "statuses": {}}


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[InProcessServer, Any, Cloud]]:
    server = InProcessServer()
    cloud = Cloud(server.url, new_project())
    server_spec = cloud.seed_server(status="ACTIVE")
    cloud.seed_backup(server_spec["id"])
    raw = requests.get(server.url + "/_emulator/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    yield server, schema, cloud
    server.stop()
    print(f"\nfuzz: {TRIED['cases']} generated cases, {TRIED['5xx']} answered 5xx; by status {TRIED['statuses']}")


def _operations(raw: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, ops in raw["paths"].items() if not path.startswith(SKIP_PREFIXES)
            for method in ops]


def test_the_document_covers_every_route(fuzzed):
    server, _, _ = fuzzed
    raw = requests.get(server.url + "/_emulator/openapi.json", timeout=30).json()
    assert raw["openapi"].startswith("3.")
    routed = {(m, r.rule) for r in server.app.url_map.iter_rules() if r.endpoint != "static"
              for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    assert len({(m.upper(), p) for p, ops in raw["paths"].items() for m in ops}) == len(routed)
    whole = raw["paths"]["/v1/cloudimages/wholeimages/action"]["post"]
    assert whole["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateWholeImageBody"}
    body = raw["components"]["schemas"]["CreateWholeImageBody"]
    assert {"name", "backup_id", "whole_image_type"} <= set(body["properties"])


def test_generated_requests_never_get_a_5xx(fuzzed):
    server, schema, cloud = fuzzed
    before = state(cloud.control, cloud.project_id)
    headers = {"X-Auth-Token": "fuzz", "X-Project-Id": cloud.project_id}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIP_PREFIXES):
            continue
        _fuzz(operation, server.url, headers, failures)
        # and without credentials: the API gateway's 401 body, which the document must allow on every route
        _fuzz(operation, server.url, {"X-Project-Id": cloud.project_id}, failures, cases=1)
    assert failures == [], "\n".join(failures[:10])
    assert TRIED["5xx"] == 0
    # the other project's data was never reachable from the fuzzed one
    assert state(cloud.control, cloud.project_id)["servers"] == before["servers"]


def test_generated_control_requests_never_get_a_5xx():
    """The control API on a server of its own (reset, clock, faults and snapshots are global there)."""
    server = InProcessServer()
    try:
        raw = requests.get(server.url + "/_emulator/openapi.json", timeout=30).json()
        schema = schemathesis.openapi.from_dict(raw)
        failures: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path.startswith(SKIP_PREFIXES):
                _fuzz(operation, server.url, {}, failures)
        assert failures == [], "\n".join(failures[:10])
    finally:
        server.stop()


class _Recorded(Exception):
    """A check failure already written to `failures` (hypothesis re-raises it after shrinking)."""


def _fuzz(operation: Any, url: str, headers: dict[str, str], failures: list[str], cases: int = 0) -> None:
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance, strict_json]

    @settings(max_examples=cases or CASES_PER_OPERATION, deadline=None, database=None, derandomize=not DEEP,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        TRIED["cases"] += 1
        response = case.call(base_url=url, headers=headers)
        TRIED["statuses"][response.status_code] = TRIED["statuses"].get(response.status_code, 0) + 1
        if response.status_code >= 500:
            TRIED["5xx"] += 1
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report them all
            failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:600]}")
            raise _Recorded(str(exc)[:200]) from exc

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - only check failures, already in failures, are absorbed
        if not _recorded(exc):
            raise  # a refused connection, a hypothesis error: the test fails on it


def _recorded(exc: BaseException) -> bool:
    """A recorded check failure, or a group of them (hypothesis reports several distinct ones as a group)."""
    group = getattr(exc, "exceptions", None)
    return isinstance(exc, _Recorded) or (group is not None and all(_recorded(e) for e in group))
