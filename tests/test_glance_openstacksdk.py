"""The OpenStack-native /v2/images routes through openstacksdk, unmodified (token auth, endpoint override):
a gone or foreign image is 404 there (openstacksdk's "not found"), a queued image can be renamed; the
IMS-native routes keep IMG.0027 with 400."""

from __future__ import annotations

import uuid

import pytest

openstack = pytest.importorskip("openstack")
from keystoneauth1 import session  # noqa: E402 - after the skip: openstacksdk brings keystoneauth1
from keystoneauth1.token_endpoint import Token  # noqa: E402
from openstack import exceptions  # noqa: E402

from tests.support import new_project  # noqa: E402


def connect(url: str, project: str):
    """openstacksdk as a user points it at a Glance endpoint: a token, no catalogue, the project header."""
    sess = session.Session(auth=Token(endpoint=url, token="any-token"), additional_headers={"X-Project-Id": project})
    return openstack.connection.Connection(session=sess, image_endpoint_override=url, image_api_version="2")


def test_openstacksdk_finds_renames_and_deletes_like_glance(url, project, api):
    conn = connect(url, project)
    queued = conn.image.create_image(name="queued-one", disk_format="qcow2", container_format="bare")
    assert queued.status == "queued"

    assert conn.image.find_image("queued-one").id == queued.id  # a name: the 404 on /v2/images/queued-one
    conn.image.update_image(queued, name="renamed")  # a queued image updates (json-patch)
    assert conn.image.get_image(queued.id).name == "renamed"
    assert conn.image.find_image(str(uuid.uuid4())) is None

    conn.image.delete_image(queued)
    conn.image.delete_image(queued, ignore_missing=True)  # gone: quietly
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_image(queued.id)
    # the IMS-native routes keep their own answer for the same image
    gone = api.patch(f"/v2/cloudimages/{queued.id}", [{"op": "replace", "path": "/name", "value": "x"}])
    assert (gone.status_code, gone.json()["error"]["code"]) == (400, "IMG.0027")


def test_another_projects_image_is_not_found(url, project):
    mine = connect(url, project).image.create_image(name="private", disk_format="qcow2", container_format="bare")
    stranger = connect(url, new_project())
    with pytest.raises(exceptions.NotFoundException):
        stranger.image.get_image(mine.id)
    with pytest.raises(exceptions.NotFoundException):
        stranger.image.update_image(mine.id, name="stolen")
    stranger.image.delete_image(mine.id, ignore_missing=True)
    assert connect(url, project).image.get_image(mine.id).name == "private"  # untouched
