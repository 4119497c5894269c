"""CBR policies through the official CbrClient: CRUD, vault binding, scheduled checkpoints and retention.

The module has its own emulator: it moves the clock by days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import huaweicloudsdkcbr.v1 as cbr
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.cbr_support import create_vault, seed_servers
from tests.ims_support import refusal, wait_job, whole_image
from tests.support import Control, InProcessServer, cbr_client, ims_client, new_project, server_spec

DAY, HOUR = 86400, 3600


@pytest.fixture(scope="module")
def emu() -> Iterator[InProcessServer]:
    server = InProcessServer()
    yield server
    server.stop()


@pytest.fixture
def ctl(emu: InProcessServer) -> Iterator[Control]:
    ctl = Control(emu.url)
    yield ctl
    ctl.put("/transitions", {"default": "instant"})


@pytest.fixture
def pid() -> str:
    return new_project()


@pytest.fixture
def client(emu: InProcessServer, pid: str):
    return cbr_client(emu.url, pid)


def advance(ctl: Control, seconds: float) -> None:
    assert ctl.post("/clock/advance", {"seconds": seconds}).status_code == 200


def far_hour(ctl: Control) -> int:
    now = datetime.strptime(ctl.get("/clock").json()["now"][:19], "%Y-%m-%dT%H:%M:%S")
    return (now.hour + 12) % 24


def make_policy(client, hour: int, enabled: bool = True, name: str = "daily", **definition):
    trigger = cbr.PolicyTriggerReq(properties=cbr.PolicyTriggerPropertiesReq(
        pattern=[f"FREQ=DAILY;INTERVAL=1;BYHOUR={hour:02d};BYMINUTE=00"]))
    body = cbr.PolicyCreateReq(policy=cbr.PolicyCreate(
        name=name, operation_type="backup", enabled=enabled, trigger=trigger,
        operation_definition=cbr.PolicyoODCreate(**definition)))
    return client.create_policy(cbr.CreatePolicyRequest(body=body)).policy


def associate(client, vault_id: str, policy_id: str):
    body = cbr.VaultAssociate(policy_id=policy_id)
    return client.associate_vault_policy(cbr.AssociateVaultPolicyRequest(vault_id=vault_id, body=body))


def daily_at(policy, hour: int, count: int) -> list[str]:
    start = datetime.strptime(policy.trigger.properties.start_time, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    first = start.replace(hour=hour, minute=0, second=0)
    if first <= start:
        first += timedelta(days=1)
    return [(first + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S.000+00:00") for i in range(count)]


def scheduled(client, vault_id: str) -> list:
    found = client.list_backups(cbr.ListBackupsRequest(vault_id=vault_id)).backups
    return sorted((b for b in found if b.extend_info.auto_trigger), key=lambda b: b.created_at)


def vault_with(client, ctl: Control, pid: str, n: int = 1, name: str = "vault"):
    servers = seed_servers(ctl, pid, *[server_spec(f"app-{i}", status="SHUTOFF") for i in range(n)])
    return create_vault(client, name=name, server_ids=tuple(s["id"] for s in servers)), servers


def test_a_daily_policy_on_a_vault_keeps_the_newest_two_and_the_imaged_one(ctl, pid, client, emu):
    vault, (server,) = vault_with(client, ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(client, hour, max_backups=2)
    bound = associate(client, vault.id, policy.id).associate_policy
    assert (bound.vault_id, bound.policy_id) == (vault.id, policy.id)
    runs = daily_at(policy, hour, 5)

    advance(ctl, 3 * DAY + HOUR)
    kept = scheduled(client, vault.id)
    assert [b.created_at for b in kept] == runs[1:3]
    incremental = client.list_backups(cbr.ListBackupsRequest(vault_id=vault.id, incremental=True)).backups
    assert sorted(b.id for b in incremental) == sorted(b.id for b in kept)  # the first (pruned) one was full
    assert all(b.name.startswith("autobk_") and b.resource_id == server["id"] and b.status == "available"
               and b.scheduled_operation_id == policy.id for b in kept)

    ims = ims_client(emu.url, pid)
    job = wait_job(ims, whole_image(ims, backup_id=kept[0].id, whole_image_type="CBR"))
    assert job.status == "SUCCESS"
    advance(ctl, 2 * DAY)
    assert [b.created_at for b in scheduled(client, vault.id)] == [runs[1], runs[3], runs[4]]


def test_retention_days_stamp_expired_at_and_age_backups_out(ctl, pid, client):
    vault, _ = vault_with(client, ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(client, hour, retention_duration_days=2)
    associate(client, vault.id, policy.id)
    runs = daily_at(policy, hour, 6)
    advance(ctl, 5 * DAY)
    kept = scheduled(client, vault.id)
    assert [b.created_at for b in kept] == runs[3:5]
    assert kept[0].expired_at == runs[5]  # created_at + 2 days


def test_a_disabled_policy_makes_nothing_and_a_busy_server_is_skipped(ctl, pid, client):
    quiet, _ = vault_with(client, ctl, pid, name="quiet")
    associate(client, quiet.id, make_policy(client, far_hour(ctl), enabled=False, name="off").id)
    ctl.put("/transitions", {"cbr.create_checkpoint": "manual"})
    vault, (busy, free) = vault_with(client, ctl, pid, n=2)
    body = cbr.VaultBackupReq(checkpoint=cbr.VaultBackup(vault_id=vault.id, parameters=cbr.CheckpointParam(
        resources=[busy["id"]])))
    client.create_checkpoint(cbr.CreateCheckpointRequest(body=body))   # busy until settled
    hour = far_hour(ctl)
    policy = make_policy(client, hour)
    associate(client, vault.id, policy.id)
    runs = daily_at(policy, hour, 2)

    advance(ctl, DAY)
    assert scheduled(client, quiet.id) == []
    made = scheduled(client, vault.id)
    assert [(b.resource_id, b.created_at) for b in made] == [(free["id"], runs[0])]


def test_policy_crud_binding_and_filters(ctl, pid, client):
    vault, _ = vault_with(client, ctl, pid)
    hour = far_hour(ctl)
    policy = make_policy(client, hour, max_backups=3)
    assert policy.trigger.properties.pattern == [f"FREQ=DAILY;INTERVAL=1;BYHOUR={hour:02d};BYMINUTE=00"]
    assert policy.operation_definition.max_backups == 3 and policy.enabled is True
    associate(client, vault.id, policy.id)
    associate(client, vault.id, policy.id)  # binding the bound policy again is fine (terraform does)
    listed = client.list_policies(cbr.ListPoliciesRequest(vault_id=vault.id))
    assert listed.count == 1 and listed.policies[0].associated_vaults[0].vault_id == vault.id

    body = cbr.PolicyUpdateReq(policy=cbr.PolicyUpdate(name="renamed", operation_definition=cbr.PolicyoODCreate(
        retention_duration_days=7)))
    updated = client.update_policy(cbr.UpdatePolicyRequest(policy_id=policy.id, body=body)).policy
    assert updated.name == "renamed" and updated.operation_definition.retention_duration_days == 7
    assert updated.operation_definition.max_backups is None  # replaced as a whole
    assert updated.trigger.properties.start_time == policy.trigger.properties.start_time

    dissociated = client.disassociate_vault_policy(cbr.DisassociateVaultPolicyRequest(
        vault_id=vault.id, body=cbr.VaultDissociate(policy_id=policy.id))).dissociate_policy
    assert dissociated.policy_id == policy.id
    again = refusal(client.disassociate_vault_policy, cbr.DisassociateVaultPolicyRequest(
        vault_id=vault.id, body=cbr.VaultDissociate(policy_id=policy.id)))
    assert (again.status_code, again.error_code) == (404, "BackupService.6002")
    assert client.list_policies(cbr.ListPoliciesRequest(vault_id=vault.id)).count == 0

    client.delete_policy(cbr.DeletePolicyRequest(policy_id=policy.id))
    gone = refusal(client.show_policy, cbr.ShowPolicyRequest(policy_id=policy.id))
    assert (gone.status_code, gone.error_code) == (404, "BackupService.6000")


@pytest.mark.parametrize("pattern", [["FREQ=HOURLY;BYMINUTE=0"], ["FREQ=DAILY;BYHOUR=1;BYMINUTE=0,30"],
                                     ["FREQ=DAILY;BYHOUR=25;BYMINUTE=0"]])
def test_invalid_patterns_are_refused_and_nothing_is_stored(client, pattern):
    trigger = cbr.PolicyTriggerReq(properties=cbr.PolicyTriggerPropertiesReq(pattern=pattern))
    body = cbr.PolicyCreateReq(policy=cbr.PolicyCreate(name="bad", operation_type="backup", trigger=trigger,
                                                       operation_definition=cbr.PolicyoODCreate(max_backups=1)))
    exc = refusal(client.create_policy, cbr.CreatePolicyRequest(body=body))
    assert (exc.status_code, exc.error_code) == (400, "BackupService.9900")
    assert client.list_policies(cbr.ListPoliciesRequest()).count == 0


def test_list_protectable_and_replication_capabilities(ctl, pid, client):
    shared = server_spec("shared", shared=True)
    vault, (plain,) = vault_with(client, ctl, pid)
    seed_servers(ctl, pid, shared)
    found = client.list_protectable(cbr.ListProtectableRequest(protectable_type="server")).instances
    by_id = {i.id: i for i in found}
    assert by_id[plain["id"]].protectable.result is True and by_id[plain["id"]].protectable.vault.id == vault.id
    assert by_id[shared["id"]].protectable.result is False
    assert by_id[shared["id"]].protectable.code == "BackupService.7106"
    assert len(by_id[plain["id"]].children) == len(plain["volumes"])
    one = client.show_protectable(cbr.ShowProtectableRequest(protectable_type="server", instance_id=shared["id"]))
    assert one.instance.name == "shared"
    caps = client.show_replication_capabilities(cbr.ShowReplicationCapabilitiesRequest()).regions
    assert caps[0].name == "cn-north-4" and "cn-east-3" in caps[0].replication_destinations
    with pytest.raises(ClientRequestException):
        client.list_protectable(cbr.ListProtectableRequest(protectable_type="bogus"))
