"""Bad input to the image-making calls: the IMS error body, HTTP 400, and nothing stored."""

from __future__ import annotations

import uuid

import pytest

CREATE_WHOLE = "/v1/cloudimages/wholeimages/action"


def _backup() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("body, code", [
    ({"backup_id": "b"}, "IMG.0013"),                                    # name missing
    ({"name": "", "backup_id": "b"}, "IMG.0013"),
    ({"name": "x" * 129, "backup_id": "b"}, "IMG.0002"),                 # too long
    ({"name": " lead", "backup_id": "b"}, "IMG.0003"),                   # leading space
    ({"name": "bad/name", "backup_id": "b"}, "IMG.0003"),                # pattern
    ({"name": 42, "backup_id": "b"}, "IMG.0001"),                        # wrong type
    ({"name": "ok", "backup_id": 7}, "IMG.0001"),
    ({"name": "ok", "backup_id": "b", "min_ram": "1024"}, "IMG.0001"),   # int expected
    ({"name": "ok", "backup_id": "b", "tags": "a.b"}, "IMG.0001"),
    ({"name": "ok"}, "IMG.0019"),                                        # no source
    ({"name": "ok", "backup_id": "not-a-uuid"}, "IMG.0031"),             # bad UUID
    ({"name": "ok", "backup_id": "b", "whole_image_type": "EVS"}, "IMG.0198"),  # unknown enum value
    ({"name": "ok", "backup_id": "b", "description": "<script>"}, "IMG.0054"),
    ({"name": "ok", "backup_id": "b", "description": "d" * 1025}, "IMG.0004"),
    ({"name": "ok", "backup_id": "b", "tags": ["a.b"], "image_tags": [{"key": "c", "value": "d"}]}, "IMG.0115"),
    ({"name": "ok", "backup_id": "b", "instance_id": str(uuid.uuid4())}, "IMG.0001"),  # two sources
    ({"name": "ok", "backup_id": "b", "min_ram": -1}, "IMG.0055"),
    ({"name": "ok", "backup_id": "b", "min_ram": 2048, "max_ram": 1024}, "IMG.0055"),
    ({"name": "ok", "backup_id": "b", "enterprise_project_id": "my-ep"}, "IMG.0155"),
])
def test_bad_whole_image_bodies_are_refused_and_nothing_is_stored(api, body, code):
    body = {k: (_backup() if v == "b" else v) for k, v in body.items()}
    resp = api.post(CREATE_WHOLE, body)
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == code and error["message"]
    assert list(resp.json()) == ["error"] and list(error) == ["message", "code"]
    assert api.get("/v2/cloudimages").json()["images"] == []


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", "null"])
def test_invalid_json_is_img_0001(api, raw):
    resp = api.post(CREATE_WHOLE, raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "IMG.0001"


@pytest.mark.parametrize("path", ["/v2/cloudimages/action", "/v1/cloudimages/dataimages/action",
                                  "/v2/cloudimages/quickimport/action"])
def test_other_create_calls_refuse_a_missing_name(api, path):
    body = {"image_url": "bucket-a:file.qcow2", "min_disk": 40, "os_version": "CentOS 7.6 64bit"}
    resp = api.post(path, body)
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "IMG.0013")
    assert api.get("/v2/cloudimages").json()["images"] == []
