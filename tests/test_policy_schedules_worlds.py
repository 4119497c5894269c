"""World files with backup policies and vaults: a suite starts from "a server under a nightly policy"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import huaweicloudsdkcbr.v1 as cbr
import pytest

from tests.csbs_support import Csbs
from tests.support import Control, InProcessServer, cbr_client, new_project, server_spec


@pytest.fixture(scope="module")
def emu() -> Iterator[InProcessServer]:
    server = InProcessServer()
    yield server
    server.stop()


def test_a_world_with_a_csbs_policy_and_a_vault_under_a_cbr_policy_backs_up_on_the_clock(emu):
    ctl, pid = Control(emu.url), new_project()
    app, db = server_spec("app-1", status="SHUTOFF"), server_spec("db-1", status="SHUTOFF")
    cbr_policy, vault_id = str(uuid.uuid4()), str(uuid.uuid4())
    world = {"projects": [{
        "project_id": pid, "servers": [app, db],
        "policies": [{"name": "nightly", "servers": [app["id"]], "pattern": "FREQ=DAILY;BYHOUR=2;BYMINUTE=0",
                      "max_backups": 2},
                     {"id": cbr_policy, "type": "cbr", "name": "nightly-cbr",
                      "pattern": ["FREQ=DAILY;BYHOUR=3;BYMINUTE=0"], "max_backups": 1}],
        "vaults": [{"id": vault_id, "name": "db-vault", "servers": [db["id"]], "policy_id": cbr_policy}]}]}
    resp = ctl.post("/seed", world)
    assert resp.status_code == 201, resp.text
    state = ctl.get("/state").json()["projects"][pid]
    assert [p["next_run"][11:] for p in state["csbs_policy"]] == ["02:00:00.000Z"]
    assert [p["next_run"][11:] for p in state["cbr_policy"]] == ["03:00:00.000Z"]

    assert ctl.post("/clock/advance", {"seconds": 3 * 86400}).status_code == 200
    csbs = Csbs(emu.url, pid)
    items = csbs.items(resource_id=app["id"])
    assert len(items) == 2 and all(i["extend_info"]["auto_trigger"] for i in items)
    assert all(i["created_at"][11:19] == "02:00:00" for i in items)
    backups = cbr_client(emu.url, pid).list_backups(cbr.ListBackupsRequest(vault_id=vault_id)).backups
    assert [(b.resource_id, b.created_at[11:19]) for b in backups] == [(db["id"], "03:00:00")]


def test_a_world_policy_naming_a_missing_server_or_policy_is_refused_whole(emu):
    ctl, pid = Control(emu.url), new_project()
    server = server_spec("app-1")
    missing = str(uuid.uuid4())
    bad = {"project_id": pid, "servers": [server],
           "policies": [{"name": "p", "servers": [missing], "pattern": "FREQ=DAILY;BYHOUR=2;BYMINUTE=0"}]}
    resp = ctl.post("/seed", bad)
    assert resp.status_code == 400 and resp.json()["error"].startswith("policies[0].servers: server"), resp.text
    bad = {"project_id": pid, "servers": [server], "vaults": [{"name": "v", "policy_id": missing}]}
    resp = ctl.post("/seed", bad)
    assert resp.status_code == 400 and "vaults[0]: BackupService.6000" in resp.json()["error"], resp.text
    bad = {"project_id": pid, "policies": [{"name": "p", "pattern": "FREQ=HOURLY"}]}
    resp = ctl.post("/seed", bad)
    assert resp.status_code == 400 and "policies[0]: CSBS.9001" in resp.json()["error"], resp.text
    assert pid not in ctl.get("/state").json()["projects"]  # all or nothing
