"""Every served operation of the official SDKs, called through the SDK: the answer deserialises into the SDK's
response model with no field the model does not know; error answers surface as ClientRequestException with our
error code."""

from __future__ import annotations

import re

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import EcsClient
from huaweicloudsdkims.v2 import ImsClient

from contract_tests.env import Env
from contract_tests.sdk_calls import CALLS, ERRORS, PENDING, invoke, invoke_error, unknown_fields
from tests.support import Control, InProcessServer

ECS_SERVED = {"show_server", "list_servers_details", "batch_start_servers", "batch_stop_servers", "show_job",
              "change_server_os_with_cloud_init"}


def _sdk_ops(client: type) -> set[str]:
    return {m[:-len("_invoker")] for m in dir(client) if m.endswith("_invoker")}


def test_every_ims_sdk_operation_is_covered() -> None:
    ops = _sdk_ops(ImsClient)
    assert len(ops) == 51
    assert sorted(f"ims.{op}" for op in ops if f"ims.{op}" not in CALLS) == []


def test_the_served_ecs_operations_are_covered() -> None:
    assert ECS_SERVED <= _sdk_ops(EcsClient)
    assert sorted(op for op in ECS_SERVED if f"ecs.{op}" not in CALLS) == []


def _params() -> list[object]:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=PENDING[name])]
                         if name in PENDING else []) for name in sorted(CALLS)]


@pytest.mark.parametrize("name", _params())
def test_sdk_operation_answer_fits_the_model(emulator: InProcessServer, control: Control, name: str) -> None:
    sdk_call = CALLS[name]
    response = invoke(Env(emulator.url), sdk_call)
    assert 200 <= response.status_code < 300 or sdk_call.op in ("list_versions", "show_version")  # 300 by design
    assert unknown_fields(sdk_call, response) == []


@pytest.mark.parametrize("err", ERRORS, ids=[e.name for e in ERRORS])
def test_sdk_error_carries_our_code(emulator: InProcessServer, err: object) -> None:
    with pytest.raises(ClientRequestException) as caught:
        invoke_error(Env(emulator.url), err)  # type: ignore[arg-type]
    exc = caught.value
    assert exc.error_code == err.code, exc  # type: ignore[attr-defined]
    assert exc.error_code != str(exc.status_code)
    assert re.fullmatch(r"[0-9a-f]{32}", exc.request_id or ""), exc.request_id
