"""The CBR story end to end with CbrClient + ImsClient: vault -> checkpoint -> backup -> full-ECS image ->
shared with another project; backup sharing (members) and the images made from shared backups."""

from __future__ import annotations

import huaweicloudsdkcbr.v1 as cbr
import huaweicloudsdkims.v2 as ims
import pytest

from tests.cbr_support import (
    add_member,
    answer_member,
    backup_of,
    checkpoint,
    create_vault,
    list_backups,
    recording_problems,
    sdk_problems,
    seed_servers,
    show_backup,
)
from tests.ims_support import refusal, wait_job, whole_image
from tests.support import cbr_client, ims_client, new_project, server_spec


@pytest.fixture
def client(url, project):
    return cbr_client(url, project)


@pytest.fixture
def owner_ims(url, project):
    return ims_client(url, project)


@pytest.fixture
def friend_id():
    return new_project()


@pytest.fixture
def friend(url, friend_id):
    return cbr_client(url, friend_id)


@pytest.fixture
def friend_ims(url, friend_id):
    return ims_client(url, friend_id)


def share_image(client, image_id, project):
    return wait_job(client, client.batch_add_members(ims.BatchAddMembersRequest(
        body=ims.BatchAddMembersRequestBody(images=[image_id], projects=[project]))).job_id)


def accept_image(client, image_id, project, vault_id):
    return wait_job(client, client.batch_update_members(ims.BatchUpdateMembersRequest(
        body=ims.BatchUpdateMembersRequestBody(images=[image_id], project_id=project, status="accepted",
                                               vault_id=vault_id))).job_id)


def image_from(client, backup_id, name="whole"):
    job = wait_job(client, whole_image(client, name, backup_id=backup_id, whole_image_type="CBR"))
    assert job.status == "SUCCESS", job
    return job.entities.image_id


def test_cbr_backup_to_shared_full_ecs_image(client, owner_ims, control, project, friend, friend_ims, friend_id):
    backup = backup_of(client, control, project)
    image_id = image_from(owner_ims, backup.id)
    shown = owner_ims.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id))
    assert (shown.status, shown.backup_id) == ("active", backup.id)
    assert [i.image_id for i in show_backup(client, backup.id).extend_info.os_images_data] == [image_id]
    assert share_image(owner_ims, image_id, friend_id).status == "SUCCESS"
    vault = create_vault(friend, "friend-vault")
    assert accept_image(friend_ims, image_id, friend_id, vault.id).status == "SUCCESS"
    assert [i.id for i in friend_ims.list_images(ims.ListImagesRequest()).images] == [image_id]
    # the same backup cannot make a second image
    assert refusal(whole_image, owner_ims, "again", backup_id=backup.id, whole_image_type="CBR").error_code \
        == "IMG.0029"


def test_a_backup_being_made_cannot_make_an_image_yet(client, owner_ims, control, project):
    control.put("/transitions", {"cbr.create_checkpoint": "manual"})
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    cp = checkpoint(client, vault.id)
    backup = list_backups(client, checkpoint_id=cp.id).backups[0]
    assert refusal(whole_image, owner_ims, backup_id=backup.id, whole_image_type="CBR").error_code == "IMG.0032"
    control.post("/settle", {})
    assert image_from(owner_ims, backup.id)


def test_full_ecs_image_from_an_ecs_lands_in_the_named_vault(client, owner_ims, control, project):
    server = seed_servers(control, project, server_spec())[0]
    vault = create_vault(client, "target")
    job = wait_job(owner_ims, whole_image(owner_ims, instance_id=server["id"], vault_id=vault.id))
    assert job.status == "SUCCESS"
    made = list_backups(client, vault_id=vault.id).backups
    assert [(b.resource_id, b.status) for b in made] == [(server["id"], "available")]
    assert [i.image_id for i in made[0].extend_info.os_images_data] == [job.entities.image_id]
    exc = refusal(client.delete_backup, cbr.DeleteBackupRequest(backup_id=made[0].id))
    assert exc.error_code == "BackupService.6204"


def test_a_server_being_backed_up_by_cbr_cannot_be_imaged(client, owner_ims, control, project):
    control.put("/transitions", {"cbr.create_checkpoint": "manual"})
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    checkpoint(client, vault.id)
    exc = refusal(whole_image, owner_ims, instance_id=server["id"], vault_id=vault.id)
    assert exc.error_code == "IMG.0136"


# -- backup members ----------------------------------------------------------------------------------

def test_shared_backup_story(client, owner_ims, control, project, friend, friend_ims, friend_id):
    backup = backup_of(client, control, project)
    member = add_member(client, backup.id, friend_id)[0]
    assert (member.status, member.dest_project_id, member.backup_id) == ("pending", friend_id, backup.id)
    assert list_backups(friend, own_type="shared").count == 0  # pending: not yet usable
    assert [b.id for b in list_backups(friend, own_type="shared", member_status="pending").backups] == [backup.id]
    vault = create_vault(friend, "mine")
    accepted = answer_member(friend, backup.id, friend_id, "accepted", vault.id)
    assert (accepted.status, accepted.vault_id) == ("accepted", vault.id)
    assert [b.id for b in list_backups(friend, own_type="shared").backups] == [backup.id]
    assert list_backups(friend).count == 0  # private (default) = own backups only
    assert list_backups(friend, own_type="all_granted").count == 1

    image_id = image_from(friend_ims, backup.id, "from-shared")
    shown = client.show_member_detail(cbr.ShowMemberDetailRequest(backup_id=backup.id, member_id=member.id)).member
    assert shown.image_id == image_id
    assert show_backup(client, backup.id).extend_info.os_images_data is None  # the owner's backup is untouched
    # an image made from a backup shared to us cannot be shared on
    exc = refusal(share_image, friend_ims, image_id, new_project())
    assert exc.error_code == "IMG.0135"
    # while the image exists the member stays and the owner cannot delete the backup
    exc = refusal(client.delete_backup, cbr.DeleteBackupRequest(backup_id=backup.id))
    assert exc.error_code == "BackupService.6204"
    exc = refusal(client.delete_member, cbr.DeleteMemberRequest(backup_id=backup.id, member_id=member.id))
    assert exc.error_code == "BackupService.6710"
    friend_ims.glance_delete_image(ims.GlanceDeleteImageRequest(image_id=image_id,
                                                                body=ims.GlanceDeleteImageRequestBody()))
    client.delete_member(cbr.DeleteMemberRequest(backup_id=backup.id, member_id=member.id))
    assert list_backups(friend, own_type="shared").count == 0
    assert refusal(whole_image, friend_ims, backup_id=backup.id, whole_image_type="CBR").error_code == "IMG.0020"


def test_member_rules(client, control, project, friend, friend_id):
    backup = backup_of(client, control, project)
    assert refusal(add_member, client, backup.id, project).error_code == "BackupService.9900"
    add_member(client, backup.id, friend_id)
    assert refusal(add_member, client, backup.id, friend_id).error_code == "BackupService.6703"
    assert refusal(answer_member, friend, backup.id, friend_id, "accepted").error_code == "BackupService.9900"
    assert refusal(answer_member, client, backup.id, friend_id, "accepted",
                   create_vault(client, "x").id).error_code == "BackupService.6705"  # the owner cannot answer
    assert refusal(add_member, friend, backup.id, new_project()).error_code == "BackupService.6200"
    members = client.show_members_detail(cbr.ShowMembersDetailRequest(backup_id=backup.id))
    assert (members.count, members.members[0].status) == (1, "pending")


def test_unavailable_backups_cannot_be_shared(client, control, project, friend_id):
    control.put("/transitions", {"cbr.create_checkpoint": "manual"})
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    cp = checkpoint(client, vault.id)
    backup = list_backups(client, checkpoint_id=cp.id).backups[0]
    exc = refusal(add_member, client, backup.id, friend_id)
    assert (exc.status_code, exc.error_code) == (400, "BackupService.6702")


def test_member_bodies_match_the_sdk_and_the_recordings(api, url, client, control, project, friend, friend_id):
    backup = backup_of(client, control, project)
    members = f"/v3/{project}/backups/{backup.id}/members"
    added = api.post(members, {"members": [friend_id]})
    assert sdk_problems("AddMemberResponse", added.json()) == []
    assert recording_problems("add_member.200.json", added.status_code, added.json()) == []
    listed = api.get(members)
    assert sdk_problems("ShowMembersDetailResponse", listed.json()) == []
    assert recording_problems("show_members_detail.200.json", listed.status_code, listed.json()) == []
    vault = create_vault(friend, "v")
    answered = type(api)(url, friend_id).put(f"/v3/{friend_id}/backups/{backup.id}/members/{friend_id}",
                                             {"status": "accepted", "vault_id": vault.id})
    assert sdk_problems("UpdateMemberStatusResponse", answered.json()) == []
    assert recording_problems("update_member_status.200.json", answered.status_code, answered.json()) == []


def test_cross_region_replica_lands_in_the_destination_vault(url, client, owner_ims, control, project):
    backup = backup_of(client, control, project)
    image_id = image_from(owner_ims, backup.id)
    dest_id = new_project()
    dest_name = f"cn-north-1_{dest_id[:8]}"
    control.seed(dest_id, [], region="cn-north-1", project_name=dest_name)
    there = cbr_client(url, dest_id)
    vault = create_vault(there, "replicas")
    body = ims.CopyImageCrossRegionRequestBody(name="replica", region="cn-north-1", project_name=dest_name,
                                               agency_name="ims_admin_agency", vault_id=vault.id)
    job = wait_job(owner_ims, owner_ims.copy_image_cross_region(
        ims.CopyImageCrossRegionRequest(image_id, body)).job_id)
    assert job.status == "SUCCESS"
    replicas = list_backups(there, vault_id=vault.id).backups
    assert [(r.image_type, r.status, r.resource_size) for r in replicas] == [("replication", "available", 140)]
    assert [i.image_id for i in replicas[0].extend_info.os_images_data] == [job.entities.image_id]
    assert list_backups(there, image_type="backup").count == 0
