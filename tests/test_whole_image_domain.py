"""Unit tests of the full-ECS domain rules (no HTTP): states the API cannot seed, claims, rule tables."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from ims_emulator.domain import cbr_backups, image_rules, images, jobs, servers, vaults, whole_images
from ims_emulator.domain.common import busy
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.store import Database


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database(":memory:")
    yield database
    database.close()


@pytest.fixture
def ctx() -> Ctx:
    return Ctx(now=time.time(), project_id=uuid.uuid4().hex, region="cn-north-4")


def _server(tx, ctx, status="SHUTOFF"):
    sid = str(uuid.uuid4())
    spec = {"id": sid, "name": "vm", "status": status,
            "volumes": [{"id": str(uuid.uuid4()), "size": 50, "bootable": True}, {"id": str(uuid.uuid4()), "size": 10}]}
    servers.seed_servers(tx, ctx, ctx.project_id, [spec])
    return sid


def _vault(tx, ctx):
    return vaults.ensure(tx, ctx, str(uuid.uuid4())).id


def test_ecs_in_another_state_cannot_make_a_full_ecs_image(db, ctx):
    with db.write() as tx:
        sid = _server(tx, ctx, status="REBOOT")
        with pytest.raises(ServiceError) as err:
            whole_images.create_whole_image(tx, ctx, {"name": "w", "instance_id": sid, "vault_id": _vault(tx, ctx)})
    assert err.value.code == "IMG.0126"


def test_ecs_image_holds_the_imaging_and_backup_claims_until_the_job_settles(db, ctx):
    with db.write() as tx:
        sid = _server(tx, ctx)
        task = whole_images.create_whole_image(tx, ctx, {"name": "w", "instance_id": sid,
                                                         "vault_id": _vault(tx, ctx)})
        backup_id = task.payload["backup_id"]
        assert busy.activities(tx, sid) == {busy.IMAGING}
        assert tx.claims.holder(whole_images.backup_claim(backup_id)) == (images.KIND, task.entity_id)
        img = tx.entities.get(images.KIND, task.entity_id)
        assert images.is_whole_image(img) and img.ref == backup_id and img.doc["min_disk"] == 50
        jobs.settle(tx, task, ctx.now)
        assert busy.activities(tx, sid) == set()
        assert tx.claims.holder(whole_images.backup_claim(backup_id)) is not None  # held while the image lives
        assert tx.entities.get(cbr_backups.KIND, backup_id).status == "available"
        images.delete_image(tx, ctx, task.entity_id, delete_backup=False)
        assert tx.claims.holder(whole_images.backup_claim(backup_id)) is None


def test_backup_refusal_codes_are_per_backup_service():
    assert image_rules.BACKUP_SOURCES["CSBS"].already_used == "IMG.0134"
    assert image_rules.BACKUP_SOURCES["CBR"].already_used == "IMG.0029"
    assert image_rules.BACKUP_SOURCES["CSBS"].unavailable == "IMG.0132"
    assert image_rules.BACKUP_SOURCES["CBR"].unavailable == "IMG.0032"


def test_a_cbr_backup_without_a_system_disk_is_refused(db, ctx):
    with db.write() as tx:
        backup = cbr_backups.new_backup(tx, ctx, ctx.project_id, str(uuid.uuid4()), status="available",
                                        vault_id=None, volumes=[{"id": "d", "size": 10, "bootable": False}])
        with pytest.raises(ServiceError) as err:
            whole_images.find_backup(tx, ctx, backup.id, "CBR")
    assert err.value.code == "IMG.0033"


def test_image_view_hides_internal_keys_and_keeps_wire_strings(db, ctx):
    with db.write() as tx:
        img = images.new_image(tx, ctx, "n", {"type": "file"}, attrs={"max_ram": "1024"})
    view = images.image_view(img)
    assert "_source" not in view and view["__whole_image"] == "false" and view["max_ram"] == "1024"
    assert view["self"] == f"/v2/images/{img.id}" and view["status"] == "saving"


@pytest.mark.parametrize("version, expected", [
    ("CentOS 7.6 64bit", ("CentOS", "Linux", "64")),
    ("Windows Server 2019 Datacenter 64bit", ("Windows", "Windows", "64")),
    ("Ubuntu 14.04 server 32bit", ("Ubuntu", "Linux", "32")),
    ("Other Linux(64 bit)", ("Other", "Linux", "64")),
])
def test_os_attributes_derive_from_the_os_version(version, expected):
    attrs = image_rules.os_attrs(version)
    assert (attrs["__platform"], attrs["__os_type"], attrs["__os_bit"]) == expected


def test_time_filters():
    op, moment = image_rules.parse_time_filter("created_at", "gte:2020-01-02T03:04:05Z")
    assert op == "gte" and image_rules.compare(op, moment + 1, moment)
    assert image_rules.parse_time_filter("updated_at", "lt:2020-01-02 03:04:05")[1] == moment
    with pytest.raises(ServiceError):
        image_rules.parse_time_filter("created_at", "gte:yesterday")
