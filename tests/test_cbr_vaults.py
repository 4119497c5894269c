"""CBR vaults through CbrClient: create/list/show/update/delete, binding servers, capacity, refusals."""

from __future__ import annotations

import uuid

import huaweicloudsdkcbr.v1 as cbr
import pytest

from tests.cbr_support import (
    checkpoint,
    create_vault,
    recording_problems,
    sdk_problems,
    seed_servers,
    show_vault,
)
from tests.ims_support import refusal
from tests.support import cbr_client, server_spec


@pytest.fixture
def client(url, project):
    return cbr_client(url, project)


def test_a_vault_shows_its_servers_and_capacity(client, control, project):
    server = seed_servers(control, project, server_spec(data_disks=1))[0]
    vault = create_vault(client, "v1", (server["id"],))
    assert vault.name == "v1" and vault.billing.status == "available" and vault.billing.size == 1000
    assert vault.provider_id == "0daac4c5-6707-4851-97ba-169e36266b66"
    assert [(r.id, r.size, r.backup_count) for r in vault.resources] == [(server["id"], 140, 0)]
    assert vault.billing.allocated == 140 and vault.billing.used == 0
    checkpoint(client, vault.id, [server["id"]])
    shown = show_vault(client, vault.id)
    assert shown.resources[0].backup_count == 1 and shown.billing.used == 140 * 1024


def test_vault_bodies_match_the_sdk_and_the_recordings(api, control, project):
    server = seed_servers(control, project)[0]
    resource = {"id": server["id"], "type": "OS::Nova::Server",
                "extra_info": {"exclude_volumes": [server["volumes"][1]["id"]]}}
    body = {"vault": {"name": "v", "resources": [resource], "tags": [{"key": "k", "value": "v"}],
                      "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                                  "protect_type": "backup", "size": 100}}}
    created = api.post(f"/v3/{project}/vaults", body)
    assert created.status_code == 200, created.text
    assert sdk_problems("CreateVaultResponse", created.json()) == []
    assert recording_problems("create_vault.200.json", 200, created.json()) == []
    vault_id = created.json()["vault"]["id"]
    shown = api.get(f"/v3/{project}/vaults/{vault_id}")
    assert recording_problems("show_vault.200.json", 200, shown.json()) == []
    listed = api.get(f"/v3/{project}/vaults")
    assert sdk_problems("ListVaultResponse", listed.json()) == []
    assert recording_problems("list_vault.200.json", 200, listed.json()) == []


def test_list_filters_and_pages(client, control, project):
    a, b = seed_servers(control, project, server_spec(), server_spec())
    first = create_vault(client, "alpha", (a["id"],))
    create_vault(client, "beta", (b["id"],))
    everything = client.list_vault(cbr.ListVaultRequest())
    assert everything.count == 2 and [v.name for v in everything.vaults] == ["beta", "alpha"]
    assert [v.id for v in client.list_vault(cbr.ListVaultRequest(name="alpha")).vaults] == [first.id]
    assert [v.id for v in client.list_vault(cbr.ListVaultRequest(resource_ids=a["id"])).vaults] == [first.id]
    page = client.list_vault(cbr.ListVaultRequest(limit=1, offset=1))
    assert page.count == 2 and [v.name for v in page.vaults] == ["alpha"]


def test_a_server_sits_in_one_vault_at_a_time(client, control, project):
    server = seed_servers(control, project)[0]
    first = create_vault(client, "one", (server["id"],))
    exc = refusal(create_vault, client, "two", (server["id"],))
    assert (exc.status_code, exc.error_code) == (400, "BackupService.7116")
    assert client.list_vault(cbr.ListVaultRequest()).count == 1  # nothing stored
    other = create_vault(client, "two")
    add = cbr.AddVaultResourceRequest(vault_id=other.id, body=cbr.VaultAddResourceReq(
        resources=[cbr.ResourceCreate(id=server["id"], type="OS::Nova::Server")]))
    assert refusal(client.add_vault_resource, add).error_code == "BackupService.7116"
    client.remove_vault_resource(cbr.RemoveVaultResourceRequest(
        vault_id=first.id, body=cbr.VaultRemoveResourceReq(resource_ids=[server["id"]])))
    assert show_vault(client, first.id).resources == []
    assert client.add_vault_resource(add).add_resource_ids == [server["id"]]
    assert [r.id for r in show_vault(client, other.id).resources] == [server["id"]]


def test_unknown_servers_and_vaults_are_refused(client, control, project):
    exc = refusal(create_vault, client, "v", (str(uuid.uuid4()),))
    assert (exc.status_code, exc.error_code) == (404, "BackupService.7100")
    exc = refusal(client.show_vault, cbr.ShowVaultRequest(vault_id=str(uuid.uuid4())))
    assert (exc.status_code, exc.error_code) == (404, "BackupService.6105")


def test_bad_bodies_store_nothing(api, project):
    bad = {"vault": {"name": "v", "resources": [], "billing": {"consistent_level": "crash_consistent",
                                                                "object_type": "server", "protect_type": "x",
                                                                "size": 100}}}
    resp = api.post(f"/v3/{project}/vaults", bad)
    assert resp.status_code == 400 and resp.json()["error_code"] == "BackupService.9900"
    assert set(resp.json()) == {"error_code", "error_msg"}
    assert api.get(f"/v3/{project}/vaults").json()["count"] == 0


def test_a_full_vault_takes_no_more_backups_until_enlarged(client, control, project):
    server = seed_servers(control, project)[0]  # 140 GB of disks
    vault = create_vault(client, "small", (server["id"],), size=100)
    checkpoint(client, vault.id)  # fits: the vault was empty
    exc = refusal(checkpoint, client, vault.id)
    assert (exc.status_code, exc.error_code) == (400, "BackupService.6114")
    client.update_vault(cbr.UpdateVaultRequest(vault_id=vault.id, body=cbr.VaultUpdateReq(
        vault=cbr.VaultUpdate(billing=cbr.BillingUpdate(size=300)))))
    assert checkpoint(client, vault.id).status == "protecting"


def test_update_renames_and_grows_never_shrinks(client, project):
    vault = create_vault(client, "v", size=100)

    def update(**kw):
        return client.update_vault(cbr.UpdateVaultRequest(vault_id=vault.id, body=cbr.VaultUpdateReq(
            vault=cbr.VaultUpdate(**kw)))).vault

    grown = update(name="renamed", billing=cbr.BillingUpdate(size=200))
    assert (grown.name, grown.billing.size) == ("renamed", 200)
    assert refusal(update, billing=cbr.BillingUpdate(size=50)).error_code == "BackupService.9900"
    assert show_vault(client, vault.id).billing.size == 200


def test_a_vault_with_backups_cannot_be_deleted(client, control, project):
    server = seed_servers(control, project)[0]
    vault = create_vault(client, "v", (server["id"],))
    checkpoint(client, vault.id, [server["id"]])
    assert refusal(client.delete_vault, cbr.DeleteVaultRequest(vault_id=vault.id)).error_code == "BackupService.9900"
    empty = create_vault(client, "empty")
    client.delete_vault(cbr.DeleteVaultRequest(vault_id=empty.id))
    assert refusal(show_vault, client, empty.id).error_code == "BackupService.6105"


def test_deleting_a_vault_frees_its_servers(client, control, project):
    server = seed_servers(control, project)[0]
    vault = create_vault(client, "v", (server["id"],))
    client.delete_vault(cbr.DeleteVaultRequest(vault_id=vault.id))
    assert [r.id for r in create_vault(client, "again", (server["id"],)).resources] == [server["id"]]


def test_vault_tags_and_missing_operation_logs(api, client, project):
    vault = create_vault(client, "v")
    resp = api.get(f"/v3/{project}/vault/not-a-vault/tags")
    assert recording_problems("show_vault_tag.400.json", resp.status_code, resp.json()) == []
    assert api.get(f"/v3/{project}/vault/{vault.id}/tags").json() == {"tags": [], "sys_tags": []}
    resp = api.get(f"/v3/{project}/operation-logs/{uuid.uuid4().hex}")
    assert recording_problems("show_op_log.404.json", resp.status_code, resp.json()) == []


def test_vaults_are_per_project(url, client, project):
    vault = create_vault(client, "v")
    stranger = cbr_client(url, uuid.uuid4().hex)
    assert refusal(show_vault, stranger, vault.id).error_code == "BackupService.6105"


def test_racing_binds_of_one_server_one_wins(url, control, project):
    from concurrent.futures import ThreadPoolExecutor

    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
    server = seed_servers(control, project)[0]

    def bind(name):
        try:
            return create_vault(cbr_client(url, project), name, (server["id"],)).id
        except ClientRequestException as exc:
            return exc.error_code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(bind, [f"v{i}" for i in range(6)]))
    assert sorted(r for r in results if r.startswith("BackupService")) == ["BackupService.7116"] * 5
    holders = [v for v in cbr_client(url, project).list_vault(cbr.ListVaultRequest()).vaults if v.resources]
    assert len(holders) == 1
