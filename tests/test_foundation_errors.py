"""Error formats and request handling every service shares."""

import re

import requests


def test_unknown_route_is_the_gateway_404(url):
    resp = requests.get(f"{url}/v9/nothing/here", headers={"X-Auth-Token": "t"})
    body = resp.json()
    assert resp.status_code == 404 and body["error_code"] == "APIGW.0101"
    assert list(body) == ["error_msg", "error_code", "request_id"]


def test_wrong_method_is_the_gateway_404(api):
    resp = api.call("PUT", "/v1/{project_id}/cloudservers/detail")
    assert resp.status_code == 404 and resp.json()["error_code"] == "APIGW.0101"


def test_every_response_has_a_request_id(api, url):
    for resp in (api.get("/v1/{project_id}/cloudservers/detail"), requests.get(f"{url}/nope"),
                 requests.get(f"{url}/_emulator/health")):
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-Id"])


def test_invalid_json_gets_the_service_format_400(api, control, project):
    resp = api.post("/v1/{project_id}/cloudservers/action", "{not json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "Ecs.0005"
    resp = api.post("/v1/{project_id}/cloudservers/action", {"os-start": {"servers": "x"}})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "Ecs.0005"
    assert control.get("/state").json()["projects"][project]["jobs"] == []


def test_oversized_body_is_413(url, project):
    from tests.support import InProcessServer
    server = InProcessServer(max_body_bytes=1024)
    try:
        resp = requests.post(f"{server.url}/v1/{project}/cloudservers/action", data=b"x" * 4096,
                             headers={"X-Auth-Token": "t", "Content-Type": "application/json"})
        assert resp.status_code == 413 and resp.json()["error_code"] == "APIGW.0201"
    finally:
        server.stop()


def test_unexpected_exception_is_a_500_in_the_service_format(api, monkeypatch):
    from ims_emulator.domain import servers

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(servers, "get_server", boom)
    resp = api.get("/v1/{project_id}/cloudservers/anything")
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "Ecs.0001" and "simulated" not in resp.text


def test_odd_input_never_500s(api):
    for path in ("/v1/{project_id}/cloudservers/%27%3B--", "/v1/{project_id}/cloudservers/detail?limit=abc",
                 "/v1/{project_id}/cloudservers/detail?limit=-1", "/v2/{project_id}/cloudvolumes/%00",
                 "/v1/{project_id}/cloudservers/detail?name=%25%27"):
        assert api.get(path).status_code < 500, path
