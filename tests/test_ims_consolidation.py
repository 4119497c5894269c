"""IMS rules that live in one place: shared images as members see them, create-time tags, the image quota,
and image lists read as index-backed keyset pages (through ImsClient and plain HTTP)."""

from __future__ import annotations

import uuid

import huaweicloudsdkims.v2 as ims
import pytest

from ims_emulator.domain import public_images
from ims_emulator.store.repos import Entities
from tests import ims_sharing_support as sharing
from tests.ims_misc_support import ecs_image, ecs_image_with, glance_image, make_image
from tests.ims_sharing_support import answer, refused, share
from tests.ims_support import seed_server, wait_job
from tests.support import ims_client, new_project

owner, friend_id, friend = sharing.owner, sharing.friend_id, sharing.friend  # the fixtures


def shared(owner, friend, friend_id, image_id, status=None):
    wait_job(owner, share(owner, [image_id], [friend_id]))
    if status:
        wait_job(friend, answer(friend, [image_id], friend_id, status))


def listed(client, **query) -> list:
    return client.list_images(ims.ListImagesRequest(**query)).images


SHARED_QUERY = {"visibility": "shared", "imagetype": "shared"}


# -- shared images as an accepted member sees them -----------------------------------------------

def test_the_documented_shared_query_lists_what_the_member_accepted(control, owner, project, friend, friend_id):
    accepted = ecs_image(owner, control, project, "accepted")
    pending = ecs_image(owner, control, project, "pending")
    rejected = ecs_image(owner, control, project, "rejected")
    shared(owner, friend, friend_id, accepted, "accepted")
    shared(owner, friend, friend_id, pending)
    shared(owner, friend, friend_id, rejected, "rejected")
    own = ecs_image(friend, control, friend_id, "own")

    found = listed(friend, member_status="accepted", **SHARED_QUERY)
    assert [(i.id, i.imagetype, i.visibility, i.owner) for i in found] == [(accepted, "shared", "shared", project)]
    assert [i.id for i in listed(friend, member_status="pending", **SHARED_QUERY)] == [pending]
    assert [i.id for i in listed(friend, member_status="rejected", **SHARED_QUERY)] == [rejected]
    assert [i.id for i in listed(friend, imagetype="shared")] == [accepted]  # member_status defaults to accepted
    assert [i.id for i in listed(friend, visibility="shared")] == [accepted]
    assert [i.id for i in listed(friend, visibility="private")] == [own]
    assert [i.id for i in listed(friend, imagetype="private")] == [own]
    assert {i.id for i in listed(friend)} == {own, accepted}


def test_the_owner_still_sees_its_shared_image_as_private(control, owner, project, friend, friend_id):
    image_id = ecs_image(owner, control, project)
    shared(owner, friend, friend_id, image_id, "accepted")
    (mine,) = listed(owner, id=image_id)
    assert (mine.imagetype, mine.visibility) == ("private", "private")
    assert listed(owner, **SHARED_QUERY, member_status="accepted") == []
    shown = owner.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id))
    assert (shown.imagetype, shown.visibility) == ("private", "private")


def test_glance_show_and_list_render_a_shared_image_as_shared(control, owner, project, friend, friend_id, url):
    image_id = ecs_image(owner, control, project)
    shared(owner, friend, friend_id, image_id, "accepted")
    shown = friend.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id))
    assert (shown.imagetype, shown.visibility) == ("shared", "shared")
    glance = friend.glance_list_images(ims.GlanceListImagesRequest(visibility="shared")).images
    assert [(i.id, i.imagetype, i.visibility) for i in glance] == [(image_id, "shared", "shared")]


def test_shared_images_page_in_order_with_the_members_own(control, owner, project, friend, friend_id):
    mine = [ecs_image(friend, control, friend_id, f"own{i}") for i in range(2)]
    theirs = ecs_image(owner, control, project, "theirs")
    shared(owner, friend, friend_id, theirs, "accepted")
    mine.append(ecs_image(friend, control, friend_id, "own2"))
    expected = [i.id for i in listed(friend, limit=10)]
    assert set(expected) == {*mine, theirs} and expected.index(theirs) == 1  # newest first: own2, theirs, ...
    assert [i.id for i in listed(friend, limit=1, marker=theirs)] == [expected[2]]
    assert [i.id for i in listed(friend, limit=2, marker=expected[0])] == expected[1:3]
    oldest_first = [i.id for i in listed(friend, sort_dir="asc", limit=10)]
    assert oldest_first == expected[::-1]
    assert [i.id for i in listed(friend, sort_dir="asc", limit=5, marker=theirs)] == oldest_first[3:]


# -- tags of image-creating requests: one set of rules -------------------------------------------

def test_a_key_only_image_tag_reads_as_the_bare_key(control, owner, project):
    image_id = ecs_image_with(owner, control, project, image_tags=[ims.TagKeyValue(key="solo", value="")])
    (img,) = listed(owner, id=image_id)
    assert img.tags == ["solo"]


def test_a_repeated_tag_key_is_updated_not_counted_twice(control, owner, project):
    tags = [ims.TagKeyValue(key=f"k{i}", value="v") for i in range(10)] + [ims.TagKeyValue(key="k0", value="w")]
    image_id = ecs_image_with(owner, control, project, image_tags=tags)
    (img,) = listed(owner, id=image_id)
    assert len(img.tags) == 10 and "k0.w" in img.tags


def test_glance_create_checks_its_tags_and_stores_nothing_when_refused(url, project, api):
    assert api.post("/v2/images", {"name": "many", "tags": [f"t{i}" for i in range(11)]}).json()["error"]["code"] \
        == "IMG.0116"
    assert api.post("/v2/images", {"name": "long", "tags": ["x" * 256]}).json()["error"]["code"] == "IMG.0115"
    assert api.post("/v2/images", {"name": "empty", "tags": [""]}).json()["error"]["code"] == "IMG.0115"
    assert api.get("/v2/images").json()["images"] == []
    image_id = glance_image(url, project, tags=["test=testvalue", "env.prod", "env.dev"])
    assert api.get(f"/v2/images/{image_id}").json()["tags"] == ["test=testvalue", "env.dev"]


def test_data_image_tags_follow_the_same_rules(control, owner, project, api):
    server = seed_server(control, project, status="SHUTOFF", data_disks=1)
    volume = next(v["id"] for v in server["volumes"] if not v.get("bootable"))
    body = {"name": "sys", "instance_id": server["id"],
            "data_images": [{"name": "d", "volume_id": volume, "tags": ["bad tag.x"]}]}
    assert api.post("/v2/cloudimages/action", body).json()["error"]["code"] == "IMG.0115"
    assert listed(owner) == []
    body["data_images"][0]["tags"] = ["disk.one"]
    job = wait_job(owner, api.post("/v2/cloudimages/action", body).json()["job_id"])
    data_image = next(i for i in listed(owner) if i.name == "d")
    assert job.status == "SUCCESS" and data_image.tags == ["disk.one"]


# -- the quota reported is the quota enforced ----------------------------------------------------

def test_the_reported_image_quota_is_the_one_creation_enforces(project, api):
    quota = api.get("/v1/cloudimages/quota").json()["quotas"]["resources"][0]["quota"]
    made = 0
    while api.post("/v2/images", {"name": f"q{made}"}).status_code == 201:
        made += 1
        assert made <= quota
    assert made == quota


# -- lists are keyset pages --------------------------------------------------------------------------

def _decoded_rows(monkeypatch) -> list[int]:
    """Counts the stored rows the store decodes (the cost of a list grows with them)."""
    seen = [0]
    original = Entities._row

    def counting(r):
        seen[0] += 1
        return original(r)

    monkeypatch.setattr(Entities, "_row", staticmethod(counting))
    return seen


@pytest.fixture
def big_project(emulator):
    """A project with 600 images stored directly (what the API makes, more than the quota allows)."""
    project = new_project()
    ids = [make_image(emulator, project, name=f"img{i}", tags=["env.prod"] if i % 2 else []) for i in range(600)]
    return project, ids[::-1]  # newest first


@pytest.mark.parametrize("query", [{}, {"status": "active"}, {"protected": "false"}, {"owner": "self"}])
def test_a_list_page_reads_only_the_rows_it_needs(emulator, url, big_project, monkeypatch, query):
    project, newest_first = big_project
    client = ims_client(url, project)
    query = {k: project if v == "self" else v for k, v in query.items()}
    seen = _decoded_rows(monkeypatch)
    first = listed(client, limit=20, **query)
    deep = listed(client, limit=20, marker=newest_first[500], **query)
    assert [i.id for i in first] == newest_first[:20]
    assert [i.id for i in deep] == newest_first[501:521]
    assert seen[0] < 120  # two pages of 21 rows and the marker, not 1200 rows


def test_filters_sql_cannot_test_still_fill_every_page(emulator, url, big_project):
    project, newest_first = big_project
    client = ims_client(url, project)
    tagged = [i for n, i in enumerate(newest_first) if (599 - n) % 2]
    seen, marker = [], None
    while True:
        page = client.list_images(ims.ListImagesRequest(tag="env=prod", limit=100, marker=marker)).images
        assert len(page) == 100 or len(page) == len(tagged) - len(seen)
        seen += [i.id for i in page]
        if len(page) < 100:
            break
        marker = page[-1].id
    assert seen == tagged


def test_a_list_page_without_more_rows_has_no_next(emulator, api, big_project, url):
    project, newest_first = big_project
    resp = type(api)(url, project).get("/v2/cloudimages", params={"limit": "100", "marker": newest_first[499]})
    body = resp.json()
    assert [i["id"] for i in body["images"]] == newest_first[500:] and "next" not in body


def test_an_unknown_or_filtered_out_marker_is_refused(emulator, url, big_project):
    project, newest_first = big_project
    client = ims_client(url, project)
    assert refused(client.list_images, ims.ListImagesRequest(marker=str(uuid.uuid4()))) == (400, "IMG.0017")
    untagged = newest_first[1]
    assert refused(client.list_images, ims.ListImagesRequest(marker=untagged, tag="env=prod")) == (400, "IMG.0017")


# -- one answer to "which images": ListTags and ListImages ---------------------------------------

def test_list_tags_takes_the_list_images_filters(control, owner, project):
    ecs_image_with(owner, control, project, image_tags=[ims.TagKeyValue(key="team", value="core")])
    assert owner.list_tags(ims.ListTagsRequest(architecture="x86")).tags == ["team.core"]
    assert owner.list_tags(ims.ListTagsRequest(architecture="arm")).tags == []
    assert owner.list_tags(ims.ListTagsRequest(created_at="gte:2000-01-01T00:00:00Z")).tags == ["team.core"]
    assert refused(owner.list_tags, ims.ListTagsRequest(status="bogus")) == (400, "IMG.0017")


def test_public_images_are_the_same_set_for_image_and_tag_lists(emulator, owner, project):
    seeded = make_image(emulator, new_project(), visibility="public", tags=["gold.tag"])  # no API makes one
    gold = {i.id for i in listed(owner, imagetype="gold")}
    assert gold == {i.id for i in public_images.all_images()} and seeded not in gold
    assert owner.list_tags(ims.ListTagsRequest(imagetype="gold")).tags == []  # the catalogue's, not the seeded one's
