"""CSBS -> CBR migration through CbrClient: the CSBS backup moves (same id) into the "default" vault and the
full-ECS image made from it becomes shareable."""

from __future__ import annotations

import huaweicloudsdkcbr.v1 as cbr
import huaweicloudsdkims.v2 as ims
import pytest

from tests.cbr_support import (
    create_vault,
    list_backups,
    migrate,
    migrate_status,
    recording_problems,
    sdk_problems,
    seed_servers,
    show_backup,
)
from tests.control_support import add_fault
from tests.ims_support import refusal, seed_csbs, wait_job, whole_image
from tests.support import cbr_client, ims_client, new_project, signed_call


@pytest.fixture
def client(url, project):
    return cbr_client(url, project)


@pytest.fixture
def owner_ims(url, project):
    return ims_client(url, project)


def share_image(client, image_id, project):
    return wait_job(client, client.batch_add_members(ims.BatchAddMembersRequest(
        body=ims.BatchAddMembersRequestBody(images=[image_id], projects=[project]))).job_id)


def csbs_item(url, project, item_id):
    return signed_call(url, project, "GET", f"/v1/{project}/checkpoint_items/{item_id}")


def test_csbs_image_is_shareable_only_after_migration(url, client, owner_ims, control, project):
    server = seed_servers(control, project)[0]
    item_id = seed_csbs(control, project, server["id"])
    job = wait_job(owner_ims, whole_image(owner_ims, backup_id=item_id, whole_image_type="CSBS"))
    image_id = job.entities.image_id
    friend = new_project()
    assert refusal(share_image, owner_ims, image_id, friend).error_code == "IMG.0135"

    started = migrate(client)
    assert list(started.body.values()) == ["running"]
    status = migrate_status(client)
    assert status.status == "success" and status.project_status[0].progress == 100

    backup = show_backup(client, item_id)  # same id, now a CBR backup
    assert (backup.resource_id, backup.status) == (server["id"], "available")
    assert [i.image_id for i in backup.extend_info.os_images_data] == [image_id]
    vault = client.show_vault(cbr.ShowVaultRequest(vault_id=backup.vault_id)).vault
    assert vault.name == "default"
    assert csbs_item(url, project, item_id).status_code == 404
    listed = signed_call(url, project, "GET", f"/v1/{project}/checkpoint_items").json()["checkpoint_items"]
    assert listed == []

    shown = owner_ims.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id))
    assert shown.backup_id == item_id  # __backup_id kept
    assert share_image(owner_ims, image_id, friend).status == "SUCCESS"
    assert refusal(whole_image, owner_ims, "again", backup_id=item_id, whole_image_type="CBR").error_code == "IMG.0029"


def test_migration_reuses_an_existing_default_vault(client, control, project):
    server = seed_servers(control, project)[0]
    default = create_vault(client, "default")
    item_id = seed_csbs(control, project, server["id"])
    migrate(client)
    migrate_status(client)
    assert show_backup(client, item_id).vault_id == default.id
    assert client.list_vault(cbr.ListVaultRequest(name="default")).count == 1


def test_migration_status_moves_with_its_task(client, control, project):
    control.put("/transitions", {"cbr.migrate": "polls:2"})
    server = seed_servers(control, project)[0]
    item_id = seed_csbs(control, project, server["id"])
    migrate(client)
    first = migrate_status(client)
    assert first.status == "migrating" and first.project_status[0].progress < 100
    assert list_backups(client).count == 0  # nothing moved yet
    assert migrate_status(client).status == "success"
    assert [b.id for b in list_backups(client).backups] == [item_id]


def test_a_failed_migration_moves_nothing(url, client, control, project):
    server = seed_servers(control, project)[0]
    item_id = seed_csbs(control, project, server["id"])
    add_fault(control, operations=["cbr.migrate"], action="fail_job", project_id=project)
    migrate(client)
    status = migrate_status(client)
    line = status.project_status[0]
    assert (status.status, line.status) == ("failed", "failed") and isinstance(line.fail_code, int)
    assert csbs_item(url, project, item_id).status_code == 200
    assert list_backups(client).count == 0


def test_no_migration_yet_is_404(client):
    exc = refusal(migrate_status, client)
    assert (exc.status_code, exc.error_code) == (404, "BackupService.4001")


def test_busy_csbs_backups_stay_in_csbs(url, client, control, project):
    server = seed_servers(control, project)[0]
    item_id = seed_csbs(control, project, server["id"], status="error")
    migrate(client)
    migrate_status(client)
    assert csbs_item(url, project, item_id).status_code == 200
    assert list_backups(client).count == 0


def status_region(api):
    return api.get("/v3/migrates").json()["project_status"][0]["region_id"]


def test_migration_bodies_match_the_sdk_and_the_recordings(api, control, project):
    server = seed_servers(control, project)[0]
    seed_csbs(control, project, server["id"])
    started = api.post("/v3/migrates", {"all_regions": True, "reservation": 0.2})
    assert sdk_problems("MigrateDomainResponse", started.json()) == []
    (region, state), = started.json().items()
    assert region == status_region(api) and state == "running"
    # the recording's key is its own region's name: compare the shape under that name
    assert recording_problems("migrate_domain.200.json", started.status_code, {"cn-north-7": state}) == []
    status = api.get("/v3/migrates")
    assert sdk_problems("ShowMigrateStatusResponse", status.json()) == []
    assert recording_problems("show_migrate_status.200.json", status.status_code, status.json()) == []
