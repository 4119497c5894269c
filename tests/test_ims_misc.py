"""Quota, OS versions, API versions and Glance schemas through ImsClient and raw HTTP."""

from __future__ import annotations

import huaweicloudsdkims.v2 as ims
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from contract_tests.fixtures import load_fixture
from tests.ims_misc_support import glance_image, recording_problems, sdk_problems
from tests.support import ims_client, new_project


def test_quota_counts_the_projects_private_images(url, project, api):
    client = ims_client(url, project)
    assert client.show_image_quota(ims.ShowImageQuotaRequest()).quotas.resources[0].used == 0
    glance_image(url, project, "a")
    glance_image(url, project, "b")
    glance_image(url, new_project())  # someone else's image does not count
    quota = client.show_image_quota(ims.ShowImageQuotaRequest()).quotas.resources[0]
    assert (quota.type, quota.used, quota.quota, quota.min, quota.max) == ("image", 2, 50, 1, 1000)
    resp = api.get("/v1/cloudimages/quota")
    assert sdk_problems("ShowImageQuotaResponse", resp.json()) == []
    assert recording_problems("show_image_quota.200.json", resp.status_code, resp.json()) == []


def test_os_versions_grouped_by_platform_and_filtered_by_tag(url, project, api):
    client = ims_client(url, project)
    every = client.list_os_versions(ims.ListOsVersionsRequest()).body
    arm = client.list_os_versions(ims.ListOsVersionsRequest(tag="arm")).body
    names = {v.os_version for p in every for v in p.version_list}
    arm_names = {v.os_version for p in arm for v in p.version_list}
    assert "Windows Server 2019 Datacenter 64bit" in names - arm_names  # Windows images are x86 only
    assert arm_names and arm_names < names
    for group in every:
        assert all(v.platform == group.platform and v.os_version_key == v.os_version for v in group.version_list)
        assert all(isinstance(v.os_bit, int) for v in group.version_list)
    raw = api.get("/v1/cloudimages/os_version").json()
    assert isinstance(raw, list)  # a top-level array
    assert sdk_problems("ListOsVersionsResponse", raw) == []


def test_os_versions_unknown_tag_is_refused(url, project):
    with pytest.raises(ClientRequestException) as err:
        ims_client(url, project).list_os_versions(ims.ListOsVersionsRequest(tag="sparc"))
    assert (err.value.status_code, err.value.error_code) == (400, "IMG.0017")


def test_versions_answer_300_like_the_recorded_bodies(url, project, api):
    client = ims_client(url, project)
    versions = client.list_versions(ims.ListVersionsRequest()).versions
    expected = load_fixture("ims/list_versions.300.json")["response"]["versions"]
    assert [(v.id, v.status) for v in versions] == [(v["id"], v["status"]) for v in expected]
    one = client.show_version(ims.ShowVersionRequest(version="v2.0")).versions
    assert [(v.id, v.status) for v in one] == [("v2.0", "SUPPORTED")]
    resp = api.get("/")
    assert resp.status_code == 300
    assert resp.json()["versions"][0]["links"][0] == {"href": f"{url}/v2/", "rel": "self"}
    assert recording_problems("list_versions.300.json", resp.status_code, resp.json()) == []
    assert sdk_problems("ListVersionsResponse", resp.json()) == []
    resp = api.get("/v2.0")
    assert recording_problems("show_version.v2.0.300.json", resp.status_code, resp.json()) == []


def test_unknown_version_is_an_unpublished_path(api):
    resp = api.get("/v9.9")
    assert resp.status_code == 404
    assert resp.json()["error_code"] == "APIGW.0101"


@pytest.mark.parametrize("method,name", [
    ("glance_show_image_schemas", "image"),
    ("glance_list_image_schemas", "images"),
    ("glance_show_image_member_schemas", "member"),
    ("glance_list_image_member_schemas", "members"),
])
def test_glance_schemas(url, project, api, method, name):
    class_name = "".join(w.capitalize() for w in method.split("_"))
    resp = getattr(ims_client(url, project), method)(getattr(ims, class_name + "Request")())
    assert resp.name == name and resp.properties
    assert sdk_problems(class_name + "Response", api.get(f"/v2/schemas/{name}").json()) == []


def test_member_schema_matches_the_recorded_document(api):
    assert api.get("/v2/schemas/member").json() == load_fixture(
        "ims/glance_show_image_member_schemas.200.json")["response"]
