"""Auth modes with the real huaweicloudsdkcore signer, and project resolution."""

import json
import time

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import ShowServerRequest

from tests.support import AK, Control, InProcessServer, ecs_client, new_project, server_spec, signed_call


@pytest.fixture(scope="module")
def strict():
    server = InProcessServer(auth="strict")
    yield server
    server.stop()


@pytest.fixture
def seeded(strict):
    project, spec = new_project(), server_spec()
    Control(strict.url).seed(project, [spec])
    return project, spec["id"]


def test_signed_sdk_requests_pass(strict, seeded):
    project, sid = seeded
    assert ecs_client(strict.url, project).show_server(ShowServerRequest(server_id=sid)).server.id == sid


def test_wrong_sk_gets_the_gateway_401(strict, seeded):
    project, sid = seeded
    with pytest.raises(ClientRequestException) as err:
        ecs_client(strict.url, project, sk="not-the-secret").show_server(ShowServerRequest(server_id=sid))
    assert err.value.status_code == 401 and err.value.error_code == "APIGW.0301"
    assert err.value.error_msg.startswith("Incorrect IAM authentication information")


def test_unknown_ak_is_named_in_the_401(strict, seeded):
    project, sid = seeded
    with pytest.raises(ClientRequestException) as err:
        ecs_client(strict.url, project, ak="AKNOBODY").show_server(ShowServerRequest(server_id=sid))
    assert err.value.error_code == "APIGW.0301" and "ak AKNOBODY not exist" in err.value.error_msg


def test_gateway_body_is_flat_with_request_id(strict, seeded):
    project, sid = seeded
    resp = requests.get(f"{strict.url}/v1/{project}/cloudservers/{sid}", headers={"X-Auth-Token": "t"})
    body = resp.json()
    assert resp.status_code == 401 and list(body) == ["error_msg", "error_code", "request_id"]
    assert body["request_id"] == resp.headers["X-Request-Id"]


def test_stale_date_and_tampered_body_are_rejected(strict, seeded):
    project, sid = seeded
    ok = signed_call(strict.url, project, "POST", "/v1/{project_id}/cloudservers/action",
                     {"os-stop": {"servers": [{"id": sid}]}})
    assert ok.status_code == 200
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    host = strict.url.split("://")[1]
    req = SdkRequest(method="POST", schema="http", host=host, resource_path=f"/v1/{project}/cloudservers/action",
                     query_params=[],
                     header_params={"Content-Type": "application/json",
                                    "X-Sdk-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600))},
                     body=json.dumps({"os-start": {"servers": [{"id": sid}]}}))
    signed = BasicCredentials(AK, "SKemulator/test+secret", project).sign_request(req)
    stale = requests.post(signed.url, headers=signed.header_params, data=signed.body)
    assert stale.status_code == 401 and "expired" in stale.json()["error_msg"]
    fresh = BasicCredentials(AK, "SKemulator/test+secret", project).sign_request(
        SdkRequest(method="POST", schema="http", host=host, resource_path=f"/v1/{project}/cloudservers/action",
                   query_params=[],
                   header_params={"Content-Type": "application/json"},
                   body=json.dumps({"os-start": {"servers": [{"id": sid}]}})))
    tampered = requests.post(fresh.url, headers=fresh.header_params, data=fresh.body.replace(b"os-start", b"os-stop"))
    assert tampered.status_code == 401


def test_strict_mode_refuses_unsigned_token_requests_but_not_control(strict):
    resp = requests.get(f"{strict.url}/v1/{new_project()}/cloudservers/detail", headers={"X-Auth-Token": "x"})
    assert resp.status_code == 401
    assert requests.get(f"{strict.url}/_emulator/health").status_code == 200


def test_loose_mode_needs_some_credential(url):
    project = new_project()
    path = f"{url}/v1/{project}/cloudservers/detail"
    assert requests.get(path).status_code == 401
    assert requests.get(path, headers={"X-Auth-Token": "anything"}).status_code == 200
    assert requests.get(path, headers={"Authorization": "SDK-HMAC-SHA256 Access=x, SignedHeaders=host, "
                                                        "Signature=00"}).status_code == 200


def test_off_mode_accepts_anything():
    server = InProcessServer(auth="off")
    try:
        assert requests.get(f"{server.url}/v1/{new_project()}/cloudservers/detail").status_code == 200
    finally:
        server.stop()


def test_project_from_header_when_path_has_none(url, control, project):
    # /v1/cloudimages/job/{id} has no project in its path: X-Project-Id scopes it
    resp = requests.get(f"{url}/v1/cloudimages/job/ff8080000000000000000000000000aa", headers={"X-Auth-Token": "t"})
    assert resp.status_code == 401 and resp.json()["error_code"] == "APIGW.0301"
    resp = requests.get(f"{url}/v1/cloudimages/job/ff8080000000000000000000000000aa",
                        headers={"X-Auth-Token": "t", "X-Project-Id": project})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "IMG.0023"


def test_unknown_project_is_registered_in_the_default_region(url, control):
    project = new_project()
    requests.get(f"{url}/v1/{project}/cloudservers/detail", headers={"X-Auth-Token": "t"})
    assert control.get("/state").json()["projects"][project]["region"] == "cn-north-4"
