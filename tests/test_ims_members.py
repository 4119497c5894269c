"""Image sharing through ImsClient: batch member jobs, member reads, Glance members, the sharing rules."""

from __future__ import annotations

import uuid

import huaweicloudsdkims.v2 as ims
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests import ims_sharing_support as sharing
from tests.control_support import add_fault
from tests.ims_misc_support import (
    ecs_image,
    make_image,
    recorded_request,
    recording_problems,
    sdk_problems,
    whole_image_from,
)
from tests.ims_sharing_support import answer, refused, share, unshare
from tests.ims_support import wait_job
from tests.support import ims_client, new_project

owner, friend_id, friend = sharing.owner, sharing.friend_id, sharing.friend  # the fixtures


def member_ids(client, image_id):
    return [m.member_id for m in client.list_image_members(ims.ListImageMembersRequest(image_id=image_id)).members]


def sees(client, image_id) -> bool:
    try:
        client.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id))
        return True
    except ClientRequestException:
        return False


def job_problems(fixture: str, api, job_id: str) -> list[str]:
    resp = api.get(f"/v1/{{project_id}}/jobs/{job_id}")
    problems = recording_problems(fixture, resp.status_code, resp.json())
    return [p for p in problems if "process_percent" not in p]  # the shared job view adds it (SDK field)


# -- the batch (async) member APIs ---------------------------------------------------------------

def test_share_accept_reject_unshare_story(control, owner, project, friend, friend_id, api, url):
    image_id = ecs_image(owner, control, project)
    job = wait_job(owner, share(owner, [image_id], [friend_id]))
    assert (job.status, job.job_type) == ("SUCCESS", "imsAddImageMembersJob")
    assert [(r.image_id, r.status) for r in job.entities.results] == [(image_id, "success")]
    assert job_problems("show_job.imsAddImageMembersJob.success.200.json", api, job.job_id) == []
    member = owner.list_image_members(ims.ListImageMembersRequest(image_id=image_id)).members[0]
    assert (member.member_id, member.status, member.member_type) == (friend_id, "pending", "project")
    assert not sees(friend, image_id)  # pending: not visible yet

    job = wait_job(friend, answer(friend, [image_id], friend_id, "accepted"))
    assert (job.status, job.job_type) == ("SUCCESS", "imsUpdateImageMembersJob")
    assert job_problems("show_job.imsUpdateImageMembersJob.success.200.json",
                        type(api)(url, friend_id), job.job_id) == []
    assert sees(friend, image_id)
    assert [i.id for i in friend.list_images(ims.ListImagesRequest()).images] == [image_id]
    shown = friend.show_image_member(ims.ShowImageMemberRequest(image_id=image_id, member_id=friend_id))
    assert shown.status == "accepted"

    wait_job(friend, answer(friend, [image_id], friend_id, "rejected"))
    assert not sees(friend, image_id)

    job = wait_job(owner, unshare(owner, [image_id], [friend_id]))
    assert (job.status, job.job_type) == ("SUCCESS", "imsDelImageMembersJob")
    assert job_problems("show_job.imsDelImageMembersJob.success.200.json", api, job.job_id) == []
    assert member_ids(owner, image_id) == []


def test_recorded_batch_requests_answer_a_job_id(control, owner, project, api, url, friend_id):
    images = [ecs_image(owner, control, project, "a"), ecs_image(owner, control, project, "b")]
    others = [friend_id, new_project()]
    body = {**recorded_request("batch_add_members.200.json"), "images": images, "projects": others}
    resp = api.post("/v1/cloudimages/members", body)
    assert recording_problems("batch_add_members.200.json", resp.status_code, resp.json()) == []
    assert wait_job(owner, resp.json()["job_id"]).status == "SUCCESS"
    friend_api = type(api)(url, friend_id)
    for fixture in ("batch_update_members.accepted.200.json", "batch_update_members.accepted_cbr_vault.200.json"):
        body = {**recorded_request(fixture), "images": images, "project_id": friend_id}
        resp = friend_api.put("/v1/cloudimages/members", body)
        assert recording_problems(fixture, resp.status_code, resp.json()) == []
    body = {**recorded_request("batch_delete_members.200.json"), "images": images, "projects": others}
    resp = api.delete("/v1/cloudimages/members", body)
    assert recording_problems("batch_delete_members.200.json", resp.status_code, resp.json()) == []


def test_members_are_written_when_the_job_settles(control, owner, project, friend_id):
    image_id = ecs_image(owner, control, project)
    control.put("/transitions", {"ims.batch_add_members": "polls:2"})
    job_id = share(owner, [image_id], [friend_id])
    assert member_ids(owner, image_id) == []
    assert owner.show_job(ims.ShowJobRequest(job_id=job_id)).status == "INIT"
    assert owner.show_job(ims.ShowJobRequest(job_id=job_id)).status == "SUCCESS"
    assert member_ids(owner, image_id) == [friend_id]


def test_a_failed_member_job_stores_nothing(control, owner, project, friend_id):
    image_id = ecs_image(owner, control, project)
    add_fault(control, operations=["ims.batch_add_members"], action="fail_job", project_id=project)
    job = wait_job(owner, share(owner, [image_id], [friend_id]))
    assert (job.status, job.error_code) == ("FAIL", "IMG.0112")
    assert member_ids(owner, image_id) == []


def test_the_rules_are_rechecked_when_the_job_settles(control, owner, project):
    image_id = whole_image_from(owner, control, project, "cbr")
    control.put("/transitions", {"ims.batch_add_members": "manual"})
    first = share(owner, [image_id], [new_project() for _ in range(6)])
    second = share(owner, [image_id], [new_project() for _ in range(6)])  # each fits alone, not both
    control.post("/settle", {"project_id": project})
    jobs = [owner.show_job(ims.ShowJobRequest(job_id=j)) for j in (first, second)]
    assert [(j.status, j.error_code) for j in jobs] == [("SUCCESS", None), ("FAIL", "IMG.0088")]
    assert len(member_ids(owner, image_id)) == 6


# -- the sharing rules ---------------------------------------------------------------------------

def test_full_ecs_images_from_cbr_backups_can_be_shared(control, owner, project, friend_id):
    image_id = whole_image_from(owner, control, project, "cbr")
    assert wait_job(owner, share(owner, [image_id], [friend_id])).status == "SUCCESS"
    assert member_ids(owner, image_id) == [friend_id]


@pytest.mark.parametrize("source,seed", [("csbs", {}), ("ecs", {}), ("cbr", {"shared_to_us": True})])
def test_other_full_ecs_images_cannot_be_shared(control, owner, project, friend_id, source, seed):
    image_id = whole_image_from(owner, control, project, source, **seed)
    assert refused(share, owner, [image_id], [friend_id]) == (400, "IMG.0135")
    assert member_ids(owner, image_id) == []


def test_cannot_share_with_yourself(control, owner, project):
    image_id = ecs_image(owner, control, project)
    assert refused(share, owner, [image_id], [project]) == (400, "IMG.0076")
    assert member_ids(owner, image_id) == []


def test_public_images_cannot_be_shared(emulator, owner, friend_id):
    image_id = make_image(emulator, new_project(), visibility="public")
    assert refused(share, owner, [image_id], [friend_id]) == (400, "IMG.0089")


def test_encrypted_and_unfinished_images_cannot_be_shared(emulator, owner, project, friend_id):
    encrypted = make_image(emulator, project, __system__cmkid="0e1d4a3c-5a1b-4c1e-9e55-0e1d4a3c5a1b")
    assert refused(share, owner, [encrypted], [friend_id]) == (400, "IMG.0098")
    saving = make_image(emulator, project, status="saving")
    assert refused(share, owner, [saving], [friend_id]) == (400, "IMG.0046")


def test_only_the_owner_shares(control, owner, project, friend, friend_id):
    image_id = ecs_image(owner, control, project)
    assert refused(share, friend, [image_id], [new_project()]) == (400, "IMG.0027")
    assert refused(unshare, friend, [image_id], [friend_id]) == (400, "IMG.0027")


def test_one_bad_image_refuses_the_whole_batch(control, owner, project, friend_id):
    good = ecs_image(owner, control, project)
    bad = whole_image_from(owner, control, project, "csbs")
    assert refused(share, owner, [good, bad], [friend_id]) == (400, "IMG.0135")
    assert member_ids(owner, good) == []


def test_member_limits_full_ecs_10_others_128(control, owner, project):
    whole = whole_image_from(owner, control, project, "cbr")
    assert refused(share, owner, [whole], [new_project() for _ in range(11)]) == (400, "IMG.0088")
    wait_job(owner, share(owner, [whole], [new_project() for _ in range(10)]))
    assert refused(share, owner, [whole], [new_project()]) == (400, "IMG.0088")
    plain = ecs_image(owner, control, project)
    assert refused(share, owner, [plain], [new_project() for _ in range(129)]) == (400, "IMG.0088")
    assert wait_job(owner, share(owner, [plain], [new_project() for _ in range(128)])).status == "SUCCESS"


def test_accepting_a_full_ecs_image_needs_a_vault(control, owner, project, friend, friend_id):
    image_id = whole_image_from(owner, control, project, "cbr")
    wait_job(owner, share(owner, [image_id], [friend_id]))
    assert refused(answer, friend, [image_id], friend_id, "accepted") == (400, "IMG.0184")
    assert not sees(friend, image_id)
    wait_job(friend, answer(friend, [image_id], friend_id, "rejected"))  # rejecting needs none
    wait_job(friend, answer(friend, [image_id], friend_id, "accepted", str(uuid.uuid4())))
    assert sees(friend, image_id)


def test_only_the_recipient_answers_and_only_for_shared_images(control, owner, project, friend, friend_id):
    image_id = ecs_image(owner, control, project)
    assert refused(answer, friend, [image_id], friend_id, "accepted") == (400, "IMG.0027")  # not shared yet
    wait_job(owner, share(owner, [image_id], [friend_id]))
    assert refused(answer, owner, [image_id], friend_id, "accepted") == (400, "IMG.0067")
    assert refused(answer, friend, [image_id], project, "accepted") == (400, "IMG.0067")


@pytest.mark.parametrize("body", [
    {"images": [], "projects": ["p"]},
    {"projects": ["p"]},
    {"images": ["i"]},
    {"images": "i", "projects": ["p"]},
])
def test_bad_batch_bodies(api, body):
    resp = api.post("/v1/cloudimages/members", body)
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "IMG.0001")


def test_sharing_with_accounts_is_refused(control, owner, project):
    image_id = ecs_image(owner, control, project)
    req = ims.BatchAddMembersRequest(body=ims.BatchAddMembersRequestBody(images=[image_id], domains=["acct"]))
    assert refused(owner.batch_add_members, req) == (400, "IMG.0105")


# -- reads -----------------------------------------------------------------------------------------

def test_v1_member_list_pages_with_marker(control, owner, project, api):
    image_id = ecs_image(owner, control, project)
    others = sorted(new_project() for _ in range(3))  # one job adds them at once: listed by id
    wait_job(owner, share(owner, [image_id], others))
    page = owner.list_image_members(ims.ListImageMembersRequest(image_id=image_id, limit=2))
    assert [m.member_id for m in page.members] == others[:2]
    assert (page.page_info.current_count, page.page_info.next_marker) == (2, others[1])
    rest = owner.list_image_members(ims.ListImageMembersRequest(image_id=image_id, limit=2, marker=others[1]))
    assert [m.member_id for m in rest.members] == others[2:] and rest.page_info.next_marker is None
    body = api.get(f"/v1/{{project_id}}/cloudimages/{image_id}/members").json()
    assert sdk_problems("ListImageMembersResponse", body) == []


def test_a_member_sees_only_itself_and_strangers_nothing(control, owner, project, friend, friend_id, url):
    image_id = ecs_image(owner, control, project)
    wait_job(owner, share(owner, [image_id], [friend_id, new_project()]))
    assert member_ids(friend, image_id) == [friend_id]
    stranger = ims_client(url, new_project())
    assert refused(stranger.list_image_members, ims.ListImageMembersRequest(image_id=image_id)) == (400, "IMG.0027")
    missing = ims.ShowImageMemberRequest(image_id=image_id, member_id=new_project())
    assert refused(owner.show_image_member, missing) == (404, "IMG.0121")


# -- Glance members (synchronous) ------------------------------------------------------------------

def test_glance_member_calls(control, owner, project, friend, friend_id, api, url):
    image_id = ecs_image(owner, control, project)
    resp = api.post(f"/v2/images/{image_id}/members", {"member": friend_id})
    assert recording_problems("glance_add_image_member.200.json", resp.status_code, resp.json()) == []
    assert sdk_problems("GlanceAddImageMemberResponse", resp.json()) == []
    assert resp.json()["status"] == "pending"
    assert refused(owner.glance_add_image_member, ims.GlanceAddImageMemberRequest(
        image_id=image_id, body=ims.GlanceAddImageMemberRequestBody(member=friend_id))) == (409, "IMG.0112")

    resp = api.get(f"/v2/images/{image_id}/members")
    assert recording_problems("glance_list_image_members.200.json", resp.status_code, resp.json()) == []
    listed = owner.glance_list_image_members(ims.GlanceListImageMembersRequest(image_id=image_id))
    assert [m.member_id for m in listed.members] == [friend_id]

    update = ims.GlanceUpdateImageMemberRequest(image_id=image_id, member_id=friend_id,
                                                body=ims.GlanceUpdateImageMemberRequestBody(status="accepted"))
    assert refused(owner.glance_update_image_member, update) == (403, "IMG.0026")
    friend_api = type(api)(url, friend_id)
    resp = friend_api.put(f"/v2/images/{image_id}/members/{friend_id}",
                          recorded_request("glance_update_image_member.accepted.200.json"))
    assert recording_problems("glance_update_image_member.accepted.200.json", resp.status_code, resp.json()) == []
    assert sees(friend, image_id)
    resp = friend_api.get(f"/v2/images/{image_id}/members/{friend_id}")
    assert recording_problems("glance_show_image_member.200.json", resp.status_code, resp.json()) == []
    assert friend.glance_show_image_member(ims.GlanceShowImageMemberRequest(
        image_id=image_id, member_id=friend_id)).status == "accepted"

    delete = ims.GlanceDeleteImageMemberRequest(image_id=image_id, member_id=friend_id)
    assert refused(friend.glance_delete_image_member, delete) == (404, "IMG.0027")  # native route: 404
    owner.glance_delete_image_member(delete)
    assert not sees(friend, image_id)
    assert refused(owner.glance_delete_image_member, delete) == (404, "IMG.0121")


def test_glance_add_applies_the_sharing_rules(control, owner, project):
    image_id = whole_image_from(owner, control, project, "csbs")
    add = ims.GlanceAddImageMemberRequest(image_id=image_id,
                                          body=ims.GlanceAddImageMemberRequestBody(member=new_project()))
    assert refused(owner.glance_add_image_member, add) == (400, "IMG.0135")
    plain = ecs_image(owner, control, project)
    add = ims.GlanceAddImageMemberRequest(image_id=plain, body=ims.GlanceAddImageMemberRequestBody(member=project))
    assert refused(owner.glance_add_image_member, add) == (400, "IMG.0076")


def test_glance_accepting_a_full_ecs_image_needs_a_vault(control, owner, project, friend, friend_id, url):
    image_id = whole_image_from(owner, control, project, "cbr")
    owner.glance_add_image_member(ims.GlanceAddImageMemberRequest(
        image_id=image_id, body=ims.GlanceAddImageMemberRequestBody(member=friend_id)))

    def accept(vault_id=None):
        return friend.glance_update_image_member(ims.GlanceUpdateImageMemberRequest(
            image_id=image_id, member_id=friend_id,
            body=ims.GlanceUpdateImageMemberRequestBody(status="accepted", vault_id=vault_id)))

    assert refused(accept) == (400, "IMG.0184")
    assert accept(str(uuid.uuid4())).status == "accepted"


def test_deleting_an_image_drops_its_members(emulator, control, owner, project, friend_id):
    image_id = ecs_image(owner, control, project)
    wait_job(owner, share(owner, [image_id], [friend_id]))
    owner.glance_delete_image(ims.GlanceDeleteImageRequest(image_id=image_id,
                                                           body=ims.GlanceDeleteImageRequestBody()))
    with emulator.app.config["DB"].read() as tx:
        assert tx.entities.list("image_member", None, [("ref", "=", image_id)]) == []
