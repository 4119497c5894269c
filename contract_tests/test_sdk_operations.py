"""Every served operation of the official SDKs, called through the SDK: the answer deserialises into the SDK's
response model with no field the model does not know; error answers surface as ClientRequestException with our
error code."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import EcsClient
from huaweicloudsdkims.v2 import ImsClient

from contract_tests.env import CSBS, Env
from contract_tests.sdk_calls import CALLS, ERRORS, PENDING, invoke, invoke_error, unknown_fields
from tests.support import Control, InProcessServer, new_project, signed_call

ECS_SERVED = {"show_server", "list_servers_details", "batch_start_servers", "batch_stop_servers", "show_job",
              "change_server_os_with_cloud_init", "change_server_os_without_cloud_init", "create_servers",
              "create_post_paid_servers", "nova_create_servers", "delete_servers", "nova_delete_server",
              "reinstall_server_with_cloud_init", "reinstall_server_without_cloud_init", "list_server_block_devices",
              "show_server_block_device", "list_server_volume_attachments", "nova_show_server",
              "nova_list_servers_details", "nova_list_servers", "batch_reboot_servers", "list_flavors"}


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
    # the version documents answer 300 Multiple Choices, as the real IMS does; everything else a 2xx
    expected = (300, 300) if sdk_call.op in ("list_versions", "show_version") else (200, 299)
    assert expected[0] <= response.status_code <= expected[1], (name, response.status_code)
    assert unknown_fields(sdk_call, response) == []


@pytest.mark.parametrize("err", ERRORS, ids=[e.name for e in ERRORS])
def test_sdk_error_carries_our_code(emulator: InProcessServer, err: object) -> None:
    with pytest.raises(ClientRequestException) as caught:
        invoke_error(Env(emulator.url), err)  # type: ignore[arg-type]
    exc = caught.value
    assert exc.error_code == err.code, exc  # type: ignore[attr-defined]
    assert exc.error_code != str(exc.status_code)
    assert re.fullmatch(r"[0-9a-f]{32}", exc.request_id or ""), exc.request_id


MISSING = "00000000-0000-4000-8000-00000000dead"
CSBS_ERRORS = [  # CSBS has no SDK: signed raw calls, parsed by the SDK core's own error handler
    ("unknown backup", "GET", f"/v1/{{project_id}}/checkpoint_items/{MISSING}", None, 404, "CSBS.3001"),
    ("protect unknown server", "POST", f"{CSBS}/resources/{MISSING}/action", {"protect": {}}, 400, "CSBS.6000"),
    ("unknown policy", "GET", f"/v1/{{project_id}}/policies/{MISSING}", None, 404, "CSBS.3000"),
    ("policy without fields", "POST", "/v1/{project_id}/policies", {"policy": {}}, 400, "CSBS.9001"),
]


@pytest.mark.parametrize("name, method, path, body, status, code", CSBS_ERRORS, ids=[e[0] for e in CSBS_ERRORS])
def test_csbs_error_parses_in_the_sdk_core(emulator: InProcessServer, name: str, method: str, path: str,
                                           body: Any, status: int, code: str) -> None:
    resp = signed_call(emulator.url, new_project(), method, path, body)
    raw = requests.Response()
    raw.status_code, raw._content = resp.status_code, resp.text.encode()  # noqa: SLF001 - the SDK's own parser
    raw.headers.update(resp.headers)
    with pytest.raises(ClientRequestException) as caught:
        DefaultExceptionHandler().handle_exception(None, raw)
    assert (caught.value.status_code, caught.value.error_code) == (status, code)
    assert set(resp.json()) == {"error_code", "error_msg"}


# served operations no SDK-call entry can reach with a success answer
UNREACHABLE = {"cbr.show_op_log": "no served call lists operation logs, so no log id exists (its 404 is recorded)"}


def test_every_served_sdk_operation_is_covered(emulator: InProcessServer) -> None:
    """Routes are named after SDK operations (@operation("cbr.show_backup")): each one an SDK has needs an entry."""
    from huaweicloudsdkcbr.v1 import CbrClient
    clients = {"ims": ImsClient, "ecs": EcsClient, "cbr": CbrClient}
    served = {getattr(fn, "op", "") for fn in emulator.app.view_functions.values()}
    sdk_ops = {f"{svc}.{op}" for svc, cls in clients.items() for op in _sdk_ops(cls)}
    assert sorted((served & sdk_ops) - set(CALLS) - set(UNREACHABLE)) == []
