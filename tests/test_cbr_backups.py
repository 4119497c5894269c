"""CBR checkpoints and backups through CbrClient: statuses on the emulator clock, lists, deletes, refusals."""

from __future__ import annotations

import uuid

import huaweicloudsdkcbr.v1 as cbr
import pytest

from tests.cbr_support import (
    backup_of,
    checkpoint,
    create_vault,
    list_backups,
    recording_problems,
    sdk_problems,
    seed_servers,
    show_backup,
    show_checkpoint,
    show_vault,
)
from tests.control_support import add_fault
from tests.ims_support import refusal, wait_job, whole_image
from tests.support import cbr_client, ims_client, server_spec


@pytest.fixture
def client(url, project):
    return cbr_client(url, project)


def test_a_checkpoint_protects_until_its_task_settles(client, control, project):
    control.put("/transitions", {"cbr.create_checkpoint": "polls:3"})
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    cp = checkpoint(client, vault.id, [server["id"]], name="nightly", description="d")
    assert cp.status == "protecting" and cp.vault.id == vault.id and cp.vault.skipped_resources == []
    assert cp.extra_info.name == "nightly" and cp.extra_info.retention_duration == -1
    backup = list_backups(client, checkpoint_id=cp.id).backups[0]  # poll 1
    assert (backup.status, backup.name, backup.resource_id) == ("protecting", "nightly", server["id"])
    assert show_checkpoint(client, cp.id).status == "protecting"  # poll 2
    assert show_backup(client, backup.id).status == "available"  # poll 3 settles
    assert show_checkpoint(client, cp.id).status == "available"


def test_checkpoint_without_resources_backs_up_the_whole_vault(client, control, project):
    a, b = seed_servers(control, project, server_spec("a"), server_spec("b"))
    vault = create_vault(client, server_ids=(a["id"], b["id"]))
    cp = checkpoint(client, vault.id)
    assert sorted(r.id for r in cp.vault.resources) == sorted([a["id"], b["id"]])
    assert list_backups(client, checkpoint_id=cp.id).count == 2


def test_shared_disk_servers_are_skipped_with_7106(client, control, project):
    plain, shared = seed_servers(control, project, server_spec("plain"), server_spec("shared", shared=True))
    vault = create_vault(client, server_ids=(plain["id"], shared["id"]))
    cp = checkpoint(client, vault.id)
    assert [(s.id, s.code) for s in cp.vault.skipped_resources] == [(shared["id"], "BackupService.7106")]
    assert [b.resource_id for b in list_backups(client, checkpoint_id=cp.id).backups] == [plain["id"]]
    only_shared = create_vault(client, "v2")
    client.remove_vault_resource(cbr.RemoveVaultResourceRequest(
        vault_id=vault.id, body=cbr.VaultRemoveResourceReq(resource_ids=[shared["id"]])))
    client.add_vault_resource(cbr.AddVaultResourceRequest(vault_id=only_shared.id, body=cbr.VaultAddResourceReq(
        resources=[cbr.ResourceCreate(id=shared["id"], type="OS::Nova::Server")])))
    exc = refusal(checkpoint, client, only_shared.id)
    assert (exc.status_code, exc.error_code) == (400, "BackupService.0001")


def test_checkpoint_refusals(client, control, project):
    server, outside = seed_servers(control, project, server_spec(), server_spec())
    vault = create_vault(client, server_ids=(server["id"],))
    assert refusal(checkpoint, client, str(uuid.uuid4())).error_code == "BackupService.6105"
    assert refusal(checkpoint, client, vault.id, [outside["id"]]).error_code == "BackupService.9900"
    assert list_backups(client).count == 0


def test_a_server_being_backed_up_is_skipped_by_a_second_checkpoint(client, control, project):
    control.put("/transitions", {"cbr.create_checkpoint": "manual"})
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    checkpoint(client, vault.id)
    assert refusal(checkpoint, client, vault.id).error_code == "BackupService.0001"
    control.post("/settle", {})
    assert [b.status for b in list_backups(client).backups] == ["available"]
    assert checkpoint(client, vault.id).status == "protecting"


def test_a_failed_checkpoint_leaves_backups_in_error(client, control, project):
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    add_fault(control, operations=["cbr.create_checkpoint"], action="fail_job", project_id=project)
    cp = checkpoint(client, vault.id)
    assert show_checkpoint(client, cp.id).status == "error"
    assert [b.status for b in list_backups(client).backups] == ["error"]
    assert checkpoint(client, vault.id).status == "protecting"  # the server is free again


def test_backup_bodies_match_the_sdk_and_the_recordings(api, client, control, project):
    backup = backup_of(client, control, project)
    shown = api.get(f"/v3/{project}/backups/{backup.id}").json()
    assert sdk_problems("ShowBackupResponse", shown) == []
    assert recording_problems("show_backup.200.json", 200, shown) == []
    assert shown["backup"]["children"][0]["parent_id"] == backup.id
    kept = checkpoint(client, backup.vault_id, retention_duration_days=30)  # a backup that expires
    assert show_backup(client, list_backups(client, checkpoint_id=kept.id).backups[0].id).expired_at is not None
    listed = api.get(f"/v3/{project}/backups?checkpoint_id={kept.id}").json()
    assert sdk_problems("ListBackupsResponse", listed) == []
    assert recording_problems("list_backups.200.json", 200, listed) == []
    cp = api.get(f"/v3/{project}/checkpoints/{backup.checkpoint_id}").json()
    assert sdk_problems("ShowCheckpointResponse", cp) == []
    assert recording_problems("show_checkpoint.200.json", 200, cp) == []


def test_created_checkpoint_body_matches_the_recording(api, client, control, project):
    server = seed_servers(control, project)[0]
    vault = create_vault(client, server_ids=(server["id"],))
    body = {"checkpoint": {"vault_id": vault.id, "parameters": {
        "auto_trigger": True, "description": "backup_description", "incremental": True, "name": "backup_name",
        "resources": [server["id"]]}}}
    resp = api.post(f"/v3/{project}/checkpoints", body)
    assert sdk_problems("CreateCheckpointResponse", resp.json()) == []
    assert recording_problems("create_checkpoint.200.json", resp.status_code, resp.json()) == []


def test_list_filters_sort_and_pages(client, control, project):
    a, b = seed_servers(control, project, server_spec("a"), server_spec("b"))
    vault = create_vault(client, server_ids=(a["id"], b["id"]))
    first = checkpoint(client, vault.id, [a["id"]], name="first")
    checkpoint(client, vault.id, [b["id"]], name="second")
    everything = list_backups(client)
    assert [x.name for x in everything.backups] == ["second", "first"]  # newest first
    assert [x.name for x in list_backups(client, sort="created_at:asc").backups] == ["first", "second"]
    assert [x.name for x in list_backups(client, resource_id=a["id"]).backups] == ["first"]
    assert [x.name for x in list_backups(client, checkpoint_id=first.id).backups] == ["first"]
    assert list_backups(client, vault_id=vault.id).count == 2
    assert list_backups(client, vault_id=str(uuid.uuid4())).count == 0
    assert list_backups(client, status="protecting").count == 0
    assert list_backups(client, resource_type="OS::Cinder::Volume").count == 0
    page = list_backups(client, limit=1, offset=1)
    assert (page.count, [x.name for x in page.backups]) == (2, ["first"])
    after = list_backups(client, marker=everything.backups[0].id)
    assert [x.name for x in after.backups] == ["first"]
    assert refusal(list_backups, client, own_type="nobody").error_code == "BackupService.9900"
    assert refusal(list_backups, client, start_time="yesterday").error_code == "BackupService.9900"


def test_update_backup_renames_it(client, control, project):
    backup = backup_of(client, control, project)
    body = cbr.BackupUpdateReq(backup=cbr.BackupUpdate(name="renamed"))
    assert client.update_backup(cbr.UpdateBackupRequest(backup_id=backup.id, body=body)).backup.name == "renamed"
    assert show_backup(client, backup.id).name == "renamed"


def test_delete_backup_goes_through_deleting(client, control, project):
    control.put("/transitions", {"cbr.delete": "polls:2"})
    backup = backup_of(client, control, project)
    client.delete_backup(cbr.DeleteBackupRequest(backup_id=backup.id))
    assert show_backup(client, backup.id).status == "deleting"
    exc = refusal(show_backup, client, backup.id)
    assert (exc.status_code, exc.error_code) == (404, "BackupService.6200")
    assert show_vault(client, backup.vault_id).billing.used == 0


def test_a_backup_with_an_image_cannot_be_deleted(url, client, control, project):
    backup = backup_of(client, control, project)
    ims = ims_client(url, project)
    job = wait_job(ims, whole_image(ims, backup_id=backup.id, whole_image_type="CBR"))
    assert job.status == "SUCCESS"
    exc = refusal(client.delete_backup, cbr.DeleteBackupRequest(backup_id=backup.id))
    assert (exc.status_code, exc.error_code) == (400, "BackupService.6204")
    assert [i.image_id for i in show_backup(client, backup.id).extend_info.os_images_data] == [job.entities.image_id]


def test_unknown_backups_and_checkpoints(client):
    exc = refusal(show_backup, client, str(uuid.uuid4()))
    assert (exc.status_code, exc.error_code) == (404, "BackupService.6200")
    exc = refusal(show_checkpoint, client, str(uuid.uuid4()))
    assert (exc.status_code, exc.error_code) == (404, "BackupService.6217")


def test_backups_are_per_project(url, client, control, project):
    backup = backup_of(client, control, project)
    stranger = cbr_client(url, uuid.uuid4().hex)
    assert refusal(show_backup, stranger, backup.id).error_code == "BackupService.6200"
    assert list_backups(stranger).count == 0


def test_a_server_being_imaged_is_skipped_with_6125(url, client, control, project):
    control.put("/transitions", {"ims.create_whole_image": "manual"})
    busy, free = seed_servers(control, project, server_spec("busy"), server_spec("free"))
    vault = create_vault(client, server_ids=(busy["id"], free["id"]))
    ims = ims_client(url, project)
    whole_image(ims, instance_id=busy["id"], vault_id=vault.id)
    cp = checkpoint(client, vault.id)
    assert [(s.id, s.code) for s in cp.vault.skipped_resources] == [(busy["id"], "BackupService.6125")]
    assert [r.id for r in cp.vault.resources] == [free["id"]]
