"""Image tags through ImsClient: v1 legacy tags, v2 key/value tags, tag queries, Glance tags."""

from __future__ import annotations

import huaweicloudsdkims.v2 as ims
import pytest

from tests.ims_misc_support import (
    ecs_image_with,
    glance_image,
    image_doc,
    recorded_request,
    recording_problems,
    sdk_problems,
)
from tests.ims_sharing_support import refused
from tests.ims_support import wait_job
from tests.support import ims_client, new_project


@pytest.fixture
def client(url, project):
    return ims_client(url, project)


def add_tag(client, image_id: str, key: str, value: str = "") -> None:
    client.add_image_tag(ims.AddImageTagRequest(
        image_id=image_id, body=ims.AddImageTagRequestBody(tag=ims.ResourceTag(key=key, value=value))))


def image_tags_of(client, image_id: str) -> dict[str, str]:
    return {t.key: t.value for t in client.list_image_tags(ims.ListImageTagsRequest(image_id=image_id)).tags}


def test_tags_of_every_api_live_in_the_image_objects_tags_list(emulator, client, project, url, control):
    image_id = glance_image(url, project, tags=["old.1"])
    client.create_or_update_tags(ims.CreateOrUpdateTagsRequest(
        body=ims.AddOrUpdateTagsRequestBody(image_id=image_id, tag="aaaa.1111")))
    client.create_or_update_tags(ims.CreateOrUpdateTagsRequest(
        body=ims.AddOrUpdateTagsRequestBody(image_id=image_id, image_tag=ims.ResourceTag(key="key1", value="v1"))))
    add_tag(client, image_id, "key2", "value2")
    client.glance_create_tag(ims.GlanceCreateTagRequest(image_id=image_id, tag="bare"))
    assert image_doc(emulator, image_id)["tags"] == ["old.1", "aaaa.1111", "key1.v1", "key2.value2", "bare"]
    assert image_tags_of(client, image_id) == {"old": "1", "aaaa": "1111", "key1": "v1", "key2": "value2",
                                               "bare": ""}


def test_tags_given_at_image_creation_are_the_same_tags(control, client, project, url):
    image_id = ecs_image_with(client, control, project, image_tags=[ims.ImageTag(key="team", value="core")])
    add_tag(client, image_id, "env", "prod")
    assert image_tags_of(client, image_id) == {"team": "core", "env": "prod"}
    assert client.list_tags(ims.ListTagsRequest()).tags == ["team.core", "env.prod"]


def test_an_existing_key_is_overwritten_not_duplicated(emulator, client, project, url, control):
    image_id = glance_image(url, project)
    add_tag(client, image_id, "env", "dev")
    add_tag(client, image_id, "env", "prod")
    client.create_or_update_tags(ims.CreateOrUpdateTagsRequest(
        body=ims.AddOrUpdateTagsRequestBody(image_id=image_id, tag="env.test")))
    assert image_doc(emulator, image_id)["tags"] == ["env.test"]


def test_at_most_ten_tags_per_image_and_nothing_stored_on_refusal(emulator, client, project, url, control):
    image_id = glance_image(url, project)
    for i in range(10):
        add_tag(client, image_id, f"k{i}", "v")
    assert refused(add_tag, client, image_id, "k10", "v") == (400, "IMG.0116")
    add_tag(client, image_id, "k3", "changed")  # overwriting keeps the count
    batch = ims.BatchAddOrDeleteTagsRequest(image_id=image_id, body=ims.BatchAddOrDeleteTagsRequestBody(
        action="create", tags=[ims.ResourceTag(key="k0", value="x"), ims.ResourceTag(key="new", value="x")]))
    assert refused(client.batch_add_or_delete_tags, batch) == (400, "IMG.0116")
    tags = image_tags_of(client, image_id)
    assert len(tags) == 10 and tags["k0"] == "v" and tags["k3"] == "changed"


@pytest.mark.parametrize("key,value", [
    ("k" * 37, "v"), ("key", "v" * 44), ("", "v"), ("bad key", "v"), ("a.b", "v"), ("key", "bad value"),
    ("key", "1.0"),
])
def test_tag_format_is_checked(emulator, client, project, key, value, url, control):
    image_id = glance_image(url, project)
    assert refused(add_tag, client, image_id, key, value) == (400, "IMG.0115")
    assert image_doc(emulator, image_id)["tags"] == []


def test_legacy_tag_format_and_tag_xor_image_tag(emulator, api, url, control):
    image_id = glance_image(url, api.project_id)
    for body in ({"image_id": image_id, "tag": "a b.c"},
                 {"image_id": image_id, "tag": "a.1", "image_tag": {"key": "b", "value": "2"}},
                 {"image_id": image_id}):
        resp = api.put("/v1/cloudimages/tags", body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (400, "IMG.0115"), body
    assert image_doc(emulator, image_id)["tags"] == []


def test_recorded_tag_writes_answer_204(emulator, api, url, control):
    image_id = glance_image(url, api.project_id)
    for fixture in ("create_or_update_tags.tag.204.json", "create_or_update_tags.image_tag.204.json"):
        resp = api.put("/v1/cloudimages/tags", {**recorded_request(fixture), "image_id": image_id})
        assert recording_problems(fixture, resp.status_code, resp.text or None) == []
    resp = api.post(f"/v2/{{project_id}}/images/{image_id}/tags", recorded_request("add_image_tag.204.json"))
    assert recording_problems("add_image_tag.204.json", resp.status_code, resp.text or None) == []
    for fixture in ("batch_add_or_delete_tags.create.204.json", "batch_add_or_delete_tags.delete.204.json"):
        resp = api.post(f"/v2/{{project_id}}/images/{image_id}/tags/action", recorded_request(fixture))
        assert recording_problems(fixture, resp.status_code, resp.text or None) == []
    assert image_doc(emulator, image_id)["tags"] == ["aaaa.1111"]


def test_delete_of_an_absent_key_is_404_but_batch_delete_is_not(emulator, client, project, url, control):
    image_id = glance_image(url, project, tags=["a.1"])
    client.delete_image_tag(ims.DeleteImageTagRequest(image_id=image_id, key="a"))
    assert refused(client.delete_image_tag, ims.DeleteImageTagRequest(image_id=image_id, key="a")) == (404, "IMG.0121")
    client.batch_add_or_delete_tags(ims.BatchAddOrDeleteTagsRequest(
        image_id=image_id, body=ims.BatchAddOrDeleteTagsRequestBody(
            action="delete", tags=[ims.ResourceTag(key="a", value="1")])))
    client.batch_delete_tags(ims.BatchDeleteTagsRequest(
        image_id=image_id, body=ims.BatchDeleteTagsRequestBody(tags=[ims.ResourceTag(key="a", value="")])))


def test_batch_delete_matches_the_value_when_one_is_given(emulator, client, project, url, control):
    image_id = glance_image(url, project, tags=["a.1", "b.2", "c.3"])
    client.batch_delete_tags(ims.BatchDeleteTagsRequest(image_id=image_id, body=ims.BatchDeleteTagsRequestBody(
        tags=[ims.ResourceTag(key="a", value="other"), ims.ResourceTag(key="b", value="2"),
              ims.ResourceTag(key="c", value="")])))
    assert image_tags_of(client, image_id) == {"a": "1"}


def test_glance_tags(emulator, client, project, url, control):
    image_id = glance_image(url, project, tags=["env.prod"])
    client.glance_create_tag(ims.GlanceCreateTagRequest(image_id=image_id, tag="nightly"))
    client.glance_create_tag(ims.GlanceCreateTagRequest(image_id=image_id, tag="env"))  # existing key keeps value
    assert image_doc(emulator, image_id)["tags"] == ["env.prod", "nightly"]
    client.glance_delete_tag(ims.GlanceDeleteTagRequest(image_id=image_id, tag="nightly"))
    assert refused(client.glance_delete_tag, ims.GlanceDeleteTagRequest(image_id=image_id, tag="nightly"))[0] == 404
    assert refused(client.glance_create_tag, ims.GlanceCreateTagRequest(image_id=image_id, tag="a b"))[1] == "IMG.0115"


def test_only_the_owner_tags_an_image(emulator, client, project, url, control):
    other = new_project()
    image_id = glance_image(url, other)
    assert refused(add_tag, client, image_id, "k", "v") == (400, "IMG.0027")
    assert refused(client.list_image_tags, ims.ListImageTagsRequest(image_id=image_id)) == (400, "IMG.0027")
    assert image_doc(emulator, image_id)["tags"] == []


def test_list_images_tags_gathers_values_per_key(emulator, client, project, api, url, control):
    glance_image(url, project, tags=["key9.value9", "key3.valueXX", "key8"])
    glance_image(url, project, tags=["key3.value3", "key8"])
    glance_image(url, new_project(), tags=["foreign.1"])
    tags = {t.key: t.values for t in client.list_images_tags(ims.ListImagesTagsRequest()).tags}
    assert tags == {"key9": ["value9"], "key3": ["valueXX", "value3"], "key8": [""]}
    resp = api.get("/v2/{project_id}/images/tags")
    assert recording_problems("list_images_tags.200.json", resp.status_code, resp.json()) == []
    assert sdk_problems("ListImagesTagsResponse", resp.json()) == []
    image_id = glance_image(url, project, tags=["key0.value0", "key1.value0"])
    resp = api.get(f"/v2/{{project_id}}/images/{image_id}/tags")
    assert recording_problems("list_image_tags.200.json", resp.status_code, resp.json()) == []


def test_list_tags_legacy_strings_with_paging_and_filters(emulator, client, project, api, url, control):
    ecs_image_with(client, control, project, name="one", tags=["jjjj.11111", "test"])
    glance_image(url, project, name="two", tags=["uuuu.22222", "test"])  # queued
    assert client.list_tags(ims.ListTagsRequest()).tags == ["jjjj.11111", "test", "uuuu.22222"]
    assert client.list_tags(ims.ListTagsRequest(limit=2, page=2)).tags == ["uuuu.22222"]
    assert client.list_tags(ims.ListTagsRequest(status="queued")).tags == ["uuuu.22222", "test"]
    assert client.list_tags(ims.ListTagsRequest(status="active")).tags == ["jjjj.11111", "test"]
    assert client.list_tags(ims.ListTagsRequest(name="one")).tags == ["jjjj.11111", "test"]
    assert refused(client.list_tags, ims.ListTagsRequest(imagetype="bogus")) == (400, "IMG.0024")
    resp = api.get("/v1/cloudimages/tags", params={"limit": 5, "page": 1})
    assert recording_problems("list_tags.200.json", resp.status_code, resp.json()) == []


def _by_tags(client, action="filter", **kw):
    return client.list_image_by_tags(ims.ListImageByTagsRequest(
        body=ims.ListImageByTagsRequestBody(action=action, **kw)))


def test_list_image_by_tags_filters(emulator, client, project, url, control):
    a = glance_image(url, project, name="test100a", tags=["key3.valueXX", "key0.valueXX"])
    b = glance_image(url, project, name="test100b", tags=["key3.valueXX", "key9.value9"])
    c = glance_image(url, project, name="other", tags=["key3.v2", "key7.value7"])
    d = glance_image(url, project, name="untagged")

    def ids(**kw):
        return {r.resource_id for r in _by_tags(client, **kw).resources}

    assert ids(tags=[ims.Tags(key="key3", values=["valueXX"])]) == {a, b}
    assert ids(tags=[ims.Tags(key="key3", values=[])]) == {a, b, c}
    assert ids(tags_any=[ims.Tags(key="key0", values=[]), ims.Tags(key="key7", values=["value7"])]) == {a, c}
    assert ids(not_tags=[ims.Tags(key="key9", values=["value9"])]) == {a, c, d}
    assert ids(not_tags_any=[ims.Tags(key="key0", values=[]), ims.Tags(key="key7", values=[])]) == {b, d}
    assert ids(without_any_tag=True) == {d}
    assert ids(matches=[ims.TagKeyValue(key="resource_name", value="test100")]) == {a, b}
    assert ids(matches=[ims.TagKeyValue(key="resource_id", value=c)]) == {c}
    assert _by_tags(client, "count", tags=[ims.Tags(key="key3", values=[])]).total_count == 3
    page = _by_tags(client, tags=[ims.Tags(key="key3", values=[])], limit="1", offset="1")
    assert page.total_count == 3 and len(page.resources) == 1


def test_list_image_by_tags_matches_the_recorded_bodies(emulator, api, url, control):
    glance_image(url, api.project_id, name="test10002",
               tags=["key3.valueXX", "key0.valueXX", "key4.value4"])
    for fixture in ("list_image_by_tags.filter.200.json", "list_image_by_tags.count.200.json"):
        resp = api.post("/v2/{project_id}/images/resource_instances/action", recorded_request(fixture))
        assert recording_problems(fixture, resp.status_code, resp.json()) == []
        assert sdk_problems("ListImageByTagsResponse", resp.json()) == []
    assert resp.json() == {"total_count": 1}


@pytest.mark.parametrize("body", [
    {"action": "Filter"},
    {"action": "filter", "limit": "0"},
    {"action": "filter", "limit": "1001"},
    {"action": "filter", "offset": "-1"},
    {"action": "filter", "tags": [{"key": "k", "values": ["a", "a"]}]},
    {"action": "filter", "tags": [{"key": "k", "values": []}, {"key": "k", "values": []}]},
    {"action": "filter", "matches": [{"key": "name", "value": "x"}]},
])
def test_list_image_by_tags_bad_bodies(api, body, url, control):
    resp = api.post("/v2/{project_id}/images/resource_instances/action", body)
    assert resp.status_code == 400 and resp.json()["error"]["code"].startswith("IMG.")


def test_list_tags_of_shared_and_public_images(emulator, control, client, project, url):
    owner_project = new_project()
    owner = ims_client(url, owner_project)
    shared = ecs_image_with(owner, control, owner_project, tags=["from.owner"])
    glance_image(url, project, tags=["mine.1"])
    wait_job(owner, owner.batch_add_members(ims.BatchAddMembersRequest(
        body=ims.BatchAddMembersRequestBody(images=[shared], projects=[project]))).job_id)
    assert client.list_tags(ims.ListTagsRequest(imagetype="shared")).tags == []  # pending is not accepted
    assert client.list_tags(ims.ListTagsRequest(imagetype="shared", member_status="pending")).tags == ["from.owner"]
    assert client.list_tags(ims.ListTagsRequest(imagetype="gold")).tags == []  # the public catalogue's (as recorded)
    assert client.list_tags(ims.ListTagsRequest()).tags == ["mine.1"]
