"""Strict auth covers exactly what the SDK signs: tampering with any signed part is the gateway's 401, nothing
changes; the SDK's own requests (JSON bodies, json-patch with UNSIGNED-PAYLOAD) still pass."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from huaweicloudsdkims.v2 import UpdateImageRequest, UpdateImageRequestBody

from tests.ims_misc_support import ecs_image
from tests.reliability_support import state
from tests.support import AK, SK, Control, InProcessServer, ims_client, new_project

LEGIT = json.dumps({"name": "legit", "container_format": "bare", "disk_format": "vhd"})
EVIL = LEGIT.replace("legit", "evil")


@pytest.fixture(scope="module")
def strict() -> Iterator[tuple[InProcessServer, str]]:
    server = InProcessServer(auth="strict")
    yield server, new_project()
    server.stop()


def sign(url: str, project: str, method: str, path: str, body: str = "", query: list[Any] | None = None,
         headers: dict[str, str] | None = None) -> tuple[str, dict[str, str], str]:
    """What huaweicloudsdkcore's signer sends: (url, headers, body)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    scheme, host = url.split("://", 1)
    req = SdkRequest(method=method, schema=scheme, host=host, resource_path=path, query_params=query or [],
                     header_params={"Content-Type": "application/json", **(headers or {})}, body=body)
    signed = BasicCredentials(AK, SK, project).sign_request(req)
    signed = signed.result() if hasattr(signed, "result") else signed
    sent = signed.body or ""
    return signed.url, dict(signed.header_params), sent.decode() if isinstance(sent, bytes) else sent


def _refused(server: InProcessServer, project: str, method: str, url: str, headers: dict[str, str],
             body: str) -> None:
    before = state(Control(server.url))
    resp = requests.request(method, url, headers=headers, data=body.encode() or None, timeout=30)
    assert resp.status_code == 401, resp.text
    assert list(resp.json()) == ["error_msg", "error_code", "request_id"]
    assert resp.json()["error_code"] == "APIGW.0301"
    assert state(Control(server.url)) == before


def test_issue_15_body_swapped_after_signing_with_an_unsigned_content_hash(strict):
    server, project = strict
    url, headers, _ = sign(server.url, project, "POST", "/v2/images", LEGIT)
    headers["X-Sdk-Content-Sha256"] = hashlib.sha256(LEGIT.encode()).hexdigest()
    _refused(server, project, "POST", url, headers, EVIL)
    headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD"
    _refused(server, project, "POST", url, headers, EVIL)


def test_the_untampered_request_passes(strict):
    server, project = strict
    url, headers, body = sign(server.url, project, "POST", "/v2/images", LEGIT)
    headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD"  # unsigned: ignored, the body is hashed
    resp = requests.post(url, headers=headers, data=body, timeout=30)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "legit"


TAMPER = {
    "body": lambda u, h, b: (u, h, EVIL),
    "path": lambda u, h, b: (u.replace("/v2/images", "/v1/cloudimages/dataimages/action"), h, b),
    "query": lambda u, h, b: (u + "?name=x", h, b),
    "content-type": lambda u, h, b: (u, {**h, "Content-Type": "application/json;charset=utf-8"}, b),
    "host": lambda u, h, b: (u, {**h, "Host": "localhost"}, b),
    "x-project-id": lambda u, h, b: (u, {**h, "X-Project-Id": new_project()}, b),
    "x-sdk-date": lambda u, h, b: (u, {**h, "X-Sdk-Date": h["X-Sdk-Date"][:-2] + "00Z"
                                       if not h["X-Sdk-Date"].endswith("00Z") else h["X-Sdk-Date"][:-2] + "01Z"}, b),
    "user-agent": lambda u, h, b: (u, {**h, "User-Agent": "curl/8"}, b),
    "signature": lambda u, h, b: (u, {**h, "Authorization": h["Authorization"][:-1] +
                                      ("0" if h["Authorization"][-1] != "0" else "1")}, b),
}


@pytest.mark.parametrize("part", sorted(TAMPER))
def test_tampering_with_a_signed_part_is_refused(strict, part):
    server, project = strict
    url, headers, body = sign(server.url, project, "POST", "/v2/images", LEGIT, headers={"User-Agent": "sdk/1"})
    url, headers, body = TAMPER[part](url, headers, body)
    _refused(server, project, "POST", url, headers, body)


def test_tampering_with_the_method_is_refused(strict):
    server, project = strict
    url, headers, body = sign(server.url, project, "GET", "/v2/images")
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    _refused(server, project, "POST", url, headers, LEGIT)


def test_tampering_with_a_query_value_is_refused(strict):
    server, project = strict
    url, headers, _ = sign(server.url, project, "GET", "/v2/cloudimages", query=[("limit", 1), ("name", "a b")])
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    resp = requests.get(url.replace("limit=1", "limit=2"), headers=headers, timeout=30)
    assert resp.status_code == 401 and resp.json()["error_code"] == "APIGW.0301"


def test_an_unsigned_project_header_is_refused(strict):
    """Without signing X-Project-Id a captured request could be replayed for another project."""
    server, project = strict
    url, headers, body = sign(server.url, project, "POST", "/v2/images", LEGIT)
    auth = headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "x-project-id" in signed
    from ims_emulator.domain import signing
    lower = {k.lower(): v for k, v in headers.items()}
    kept = [h for h in signed if h != "x-project-id"]
    canon = signing.canonical_request("POST", "/v2/images", "", lower, kept, body.encode())
    sig = signing.signature(SK, signing.string_to_sign(canon, lower["x-sdk-date"]))
    headers["Authorization"] = f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={';'.join(kept)}, Signature={sig}"
    _refused(server, project, "POST", url, headers, body)


def test_the_sdks_json_patch_with_a_signed_unsigned_payload_passes(strict):
    """The SDK signs X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD for json-patch bodies: that is accepted."""
    server, project = strict
    client = ims_client(server.url, project)
    image_id = ecs_image(client, Control(server.url), project)
    updated = client.update_image(UpdateImageRequest(image_id=image_id, body=[
        UpdateImageRequestBody(op="replace", path="/name", value="patched")]))
    assert updated.name == "patched"
