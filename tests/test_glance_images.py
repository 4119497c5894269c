"""Glance-compatible /v2/images: metadata + register, list envelope, show, both PATCH media types, delete."""

from __future__ import annotations

import json

import pytest
from huaweicloudsdkims.v2 import (
    GlanceCreateImageMetadataRequest,
    GlanceCreateImageMetadataRequestBody,
    GlanceListImagesRequest,
    GlanceShowImageRequest,
    GlanceUpdateImageRequest,
    GlanceUpdateImageRequestBody,
    RegisterImageRequest,
    RegisterImageRequestBody,
)

from tests.ims_support import refusal, wait_job
from tests.support import ims_client


def _metadata(ims, name="glance-img", **kw):
    body = GlanceCreateImageMetadataRequestBody(name=name, container_format="bare", disk_format="qcow2",
                                                min_disk=40, min_ram=1024, visibility="private", **kw)
    return ims.glance_create_image_metadata(GlanceCreateImageMetadataRequest(body=body))


def test_create_metadata_then_register_the_file(url, api, project):
    ims = ims_client(url, project)
    created = _metadata(ims, os_version="Ubuntu 20.04 server 64bit", tags=["web"])
    assert created.status == "queued" and created.image_size == "0" and created.imagetype == "private"
    assert (created.min_disk, created.disk_format, created.os_version) == (40, "qcow2", "Ubuntu 20.04 server 64bit")
    raw = api.post("/v2/images", {"name": "second"})
    assert raw.status_code == 201 and raw.json()["status"] == "queued"

    job = ims.register_image(RegisterImageRequest(created.id, RegisterImageRequestBody(image_url="ims-bucket:u.qcow2")))
    done = wait_job(ims, job.job_id)
    assert (done.job_type, done.status, done.entities.image_id) == ("imsNativeImportImageJob", "SUCCESS", created.id)
    shown = ims.glance_show_image(GlanceShowImageRequest(created.id))
    assert shown.status == "active" and shown.isregistered == "true"
    again = refusal(ims.register_image, RegisterImageRequest(created.id, RegisterImageRequestBody(
        image_url="ims-bucket:u.qcow2")))
    assert again.error_code == "IMG.1075"  # only a queued image is registered


def test_glance_create_refuses_non_private_and_bad_types(api):
    assert api.post("/v2/images", {"name": "p", "visibility": "public"}).json()["error"]["code"] == "IMG.0001"
    assert api.post("/v2/images", {"name": "p", "min_disk": "40"}).json()["error"]["code"] == "IMG.0001"
    assert api.post("/v2/images", {"name": "x" * 256}).json()["error"]["code"] == "IMG.0062"
    assert api.get("/v2/images").json()["images"] == []


def test_show_counts_as_a_poll_of_the_image_job(url, control, project):
    ims = ims_client(url, project)
    control.put("/transitions", {"ims.register_image": "polls:2"})
    created = _metadata(ims)
    ims.register_image(RegisterImageRequest(created.id, RegisterImageRequestBody(image_url="ims-bucket:u.vhd")))
    assert ims.glance_show_image(GlanceShowImageRequest(created.id)).status == "saving"
    assert ims.glance_show_image(GlanceShowImageRequest(created.id)).status == "active"


def test_list_envelope_with_first_next_and_schema(url, api, project):
    ims = ims_client(url, project)
    ids = [_metadata(ims, name=f"g{i}").id for i in range(3)]
    page = api.get("/v2/images?limit=2&sort_key=name&sort_dir=asc").json()
    assert [i["id"] for i in page["images"]] == ids[:2]
    assert page["schema"] == "/v2/schemas/images"
    assert page["first"] == "/v2/images?limit=2&sort_key=name&sort_dir=asc"
    assert page["next"].endswith(f"marker={ids[1]}")
    rest = api.get(page["next"]).json()
    assert [i["id"] for i in rest["images"]] == ids[2:] and "next" not in rest
    sdk = ims.glance_list_images(GlanceListImagesRequest(limit=2, sort_key="name", sort_dir="asc"))
    assert [i.id for i in sdk.images] == ids[:2] and sdk.next and sdk.schema == "/v2/schemas/images"


@pytest.mark.parametrize("media", ["application/openstack-images-v2.1-json-patch",
                                   "application/openstack-images-v2.0-json-patch", "application/json"])
@pytest.mark.parametrize("path", ["/v2/images/{id}", "/v2/cloudimages/{id}"])
def test_patch_accepts_both_json_patch_forms_on_both_paths(url, api, project, media, path):
    ims = ims_client(url, project)
    image_id = _active(ims)
    body = ([{"replace": "/name", "value": "renamed"}] if "v2.0" in media
            else [{"op": "replace", "path": "/name", "value": "renamed"}])
    resp = api.patch(path.format(id=image_id), json.dumps(body), headers={"Content-Type": media})
    assert resp.status_code == 200, resp.text
    assert resp.json()["name"] == "renamed" and resp.json()["id"] == image_id


def _active(ims):
    created = _metadata(ims)
    wait_job(ims, ims.register_image(RegisterImageRequest(created.id, RegisterImageRequestBody(
        image_url="ims-bucket:u.qcow2"))).job_id)
    return created.id


def test_glance_update_through_the_sdk(url, project):
    ims = ims_client(url, project)
    image_id = _active(ims)
    body = [GlanceUpdateImageRequestBody(op="add", path="/__description", value="hello")]
    assert ims.glance_update_image(GlanceUpdateImageRequest(image_id, body)).description == "hello"
    queued = _metadata(ims).id  # the native PATCH limits attributes, not status: a queued image updates
    assert ims.glance_update_image(GlanceUpdateImageRequest(queued, body)).description == "hello"


def test_delete_with_and_without_a_body(url, api, project):
    ims = ims_client(url, project)
    a, b = _metadata(ims).id, _metadata(ims).id
    resp = api.delete(f"/v2/images/{a}")
    assert resp.status_code == 204 and resp.text == ""
    assert api.delete(f"/v2/images/{b}", {"delete_backup": False}).status_code == 204
    assert api.get("/v2/images").json()["images"] == []
    gone = api.delete(f"/v2/images/{a}")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "IMG.0027")
    protected = _metadata(ims, protected=True).id
    assert api.delete(f"/v2/images/{protected}").json()["error"]["code"] == "IMG.0028"
