"""Unit tests of the cross-cutting rule functions (ims_emulator/domain/common): no HTTP, an in-memory store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from ims_emulator.domain import cbr_backups, cbr_members, images, servers
from ims_emulator.domain.common import busy, in_use, ownership, shared_disks
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity
from ims_emulator.store import Database


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database(":memory:")
    yield database
    database.close()


def _ctx(project: str | None = None) -> Ctx:
    return Ctx(now=time.time(), project_id=project or uuid.uuid4().hex, region="cn-north-4")


def _server(tx, ctx, shared=False):
    spec = {"id": str(uuid.uuid4()), "name": "vm", "volumes": [
        {"id": str(uuid.uuid4()), "size": 40, "bootable": True},
        {"id": str(uuid.uuid4()), "size": 10, "shareable": shared}]}
    servers.seed_servers(tx, ctx, ctx.project_id, [spec])
    return spec


# -- busy ----------------------------------------------------------------------------------------------

def test_busy_refuses_by_the_table_and_frees_on_release(db):
    ctx = _ctx()
    with db.write() as tx:
        sid = _server(tx, ctx)["id"]
        assert all(busy.refusal(tx, sid, action) is None for action in busy.BLOCKED_BY)
        busy.hold(tx, sid, busy.PROTECT, "csbs_item", "item-1", ctx.project_id)
        assert busy.activities(tx, sid) == {busy.PROTECT}
        assert busy.refusal(tx, sid, "start") is None  # a backup does not stop a power change
        assert busy.refusal(tx, sid, "protect").code == "CSBS.6005"
        with pytest.raises(ServiceError) as err:
            busy.check(tx, sid, "image")
        assert err.value.code == "IMG.0136"
        busy.release(tx, sid, busy.PROTECT, "item-1")
        assert busy.activities(tx, sid) == set() and busy.refusal(tx, sid, "protect") is None


def test_two_images_from_two_backups_hold_the_server_until_both_end(db):
    ctx = _ctx()
    with db.write() as tx:
        sid = _server(tx, ctx)["id"]
        other = _server(tx, ctx)["id"]
        busy.hold(tx, sid, busy.IMAGING, "image", "img-1", ctx.project_id)
        busy.hold(tx, sid, busy.IMAGING, "image", "img-2", ctx.project_id)
        assert busy.refusal(tx, other, "start") is None  # another server (a prefix of none) is free
        busy.release(tx, sid, busy.IMAGING, "img-1")
        assert busy.refusal(tx, sid, "start").code == "Ecs.0100"
        tx.claims.release_owner("image", "img-2")  # a failed image job releases everything it holds
        assert busy.refusal(tx, sid, "start") is None


# -- ownership -------------------------------------------------------------------------------------------

def test_ownership_resolves_owned_shared_and_not_found(db):
    a, b, c = _ctx(), _ctx(), _ctx()
    with db.write() as tx:
        spec = _server(tx, a)
        backup = cbr_backups.new_backup(tx, a, a.project_id, spec["id"], status="available", vault_id=None)
        member = cbr_members.add_members(tx, a, backup.id, [b.project_id])[0]
        assert ownership.resolve(tx, a.project_id, cbr_backups.KIND, backup.id).state == ownership.OWNED
        shared = ownership.resolve(tx, b.project_id, cbr_backups.KIND, backup.id)
        assert (shared.state, shared.member_status) == (ownership.SHARED, "pending")
        assert ownership.visible(tx, b.project_id, cbr_backups.KIND, backup.id) is None  # not accepted yet
        assert ownership.owned(tx, b.project_id, cbr_backups.KIND, backup.id) is None
        assert ownership.resolve(tx, c.project_id, cbr_backups.KIND, backup.id) is None
        assert ownership.resolve(tx, b.project_id, servers.SERVER, spec["id"]) is None  # servers are never shared
        assert ownership.resolve(tx, a.project_id, servers.SERVER, {"id": spec["id"]}) is None  # junk ids
        member.status = "accepted"
        tx.entities.update(member)
        assert ownership.visible(tx, b.project_id, cbr_backups.KIND, backup.id).id == backup.id


def test_an_image_is_visible_to_an_accepted_member_or_when_public(db):
    a, b = _ctx(), _ctx()
    with db.write() as tx:
        img = images.new_image(tx, a, "img", {"type": "file"}, status="active")
        assert ownership.visible(tx, b.project_id, images.KIND, img.id) is None
        img.doc["visibility"] = "public"
        tx.entities.update(img)
        assert ownership.visible(tx, b.project_id, images.KIND, img.id).id == img.id


# -- shared disks ------------------------------------------------------------------------------------------

def test_a_backups_disk_is_shared_when_its_volume_is_or_its_record_says_so(db):
    ctx = _ctx()
    with db.write() as tx:
        spec = _server(tx, ctx, shared=True)
        system, data = (v["id"] for v in spec["volumes"])
        assert shared_disks.shared_disks_of_backup(tx, [{"id": system}, {"id": data}]) == [data]
        assert shared_disks.shared_disks_of_backup(tx, [{"id": system, "shareable": True}]) == []  # the volume wins
        gone = str(uuid.uuid4())
        assert shared_disks.shared_disks_of_backup(tx, [{"id": gone, "shareable": True}]) == [gone]
        vols = servers.volumes_of(tx, tx.entities.get(servers.SERVER, spec["id"]))
        assert [v.id for v in shared_disks.shared_volumes(vols)] == [data]


# -- in use ----------------------------------------------------------------------------------------------

def test_the_claim_is_the_one_record_of_a_backup_in_use(db):
    ctx = _ctx()
    with db.write() as tx:
        spec = _server(tx, ctx)
        backup = cbr_backups.new_backup(tx, ctx, ctx.project_id, spec["id"], status="available", vault_id=None)
        assert in_use.take(tx, cbr_backups, backup, "img-1", ctx.project_id, ctx.now)
        assert not in_use.take(tx, cbr_backups, backup, "img-2", ctx.project_id, ctx.now)
        stored: Entity = tx.entities.get(cbr_backups.KIND, backup.id)
        assert in_use.image_using(tx, backup.id) == "img-1"
        assert stored.doc["os_images_data"] == [{"image_id": "img-1"}]
        in_use.free(tx, cbr_backups, stored, "img-1", ctx.now)
        assert in_use.image_using(tx, backup.id) is None
        assert tx.entities.get(cbr_backups.KIND, backup.id).doc["os_images_data"] == []
