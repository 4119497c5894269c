"""The backup interface IMS codes against (ims_emulator/domain/backups.py), on a stored item."""

from __future__ import annotations

from typing import Any

from ims_emulator.domain import backups
from ims_emulator.domain.context import Ctx
from tests.csbs_support import Csbs, assert_error, seed_backups, seed_server


def _db(emulator: Any) -> Any:
    return emulator.app.config["DB"]


def test_interface_reads_a_seeded_backup(emulator, control, project):
    plain = seed_server(control, project)
    shared = seed_server(control, project, shared=True)
    (a, b) = seed_backups(control, project, [{"server_id": plain["id"]}, {"server_id": shared["id"]}])
    no_sys = seed_backups(control, project, [{"server_id": plain["id"],
                                              "exclude_volumes": [plain["volumes"][0]["id"]]}])[0]
    with _db(emulator).read() as tx:
        item_a = backups.get_item(tx, project, a["id"])
        item_b = backups.get_item(tx, project, b["id"])
        item_c = backups.get_item(tx, project, no_sys["id"])
        assert backups.get_item(tx, "someone-else", a["id"]) is None
        assert backups.contains_system_disk(item_a) and not backups.has_shared_disk(tx, item_a)
        assert backups.has_shared_disk(tx, item_b)
    assert item_a.status == "available" and item_a.ref == a["checkpoint_id"]
    assert not backups.contains_system_disk(item_c)


def test_linked_image_blocks_delete_until_unlinked(emulator, control, project, url):
    server = seed_server(control, project)
    (seeded,) = seed_backups(control, project, [{"server_id": server["id"]}])
    csbs = Csbs(url, project)
    with _db(emulator).write() as tx:
        item = backups.get_item(tx, project, seeded["id"])
        backups.link_image(tx, item, "img-1", 0.0)
    shown = csbs.item(seeded["id"]).json()["checkpoint_item"]
    assert shown["extend_info"]["os_images_data"] == [{"image_id": "img-1"}]
    assert_error(csbs.delete_item(shown), 400, "CSBS.8007")
    assert csbs.item(seeded["id"]).json()["checkpoint_item"]["status"] == "available"  # nothing changed
    with _db(emulator).write() as tx:
        backups.unlink_image(tx, backups.get_item(tx, project, seeded["id"]), "img-1", 0.0)
    assert csbs.delete_item(shown).status_code == 200
    assert_error(csbs.item(seeded["id"]), 404, "CSBS.3001")


def test_start_delete_is_the_csbs_delete_path(emulator, control, project, url):
    control.put("/transitions", {"csbs.delete": "polls:2"})
    server = seed_server(control, project)
    (seeded,) = seed_backups(control, project, [{"server_id": server["id"]}])
    with _db(emulator).write() as tx:
        item = backups.get_item(tx, project, seeded["id"])
        ctx = Ctx(now=item.created_at, project_id=project, region="cn-north-4",
                  transitions={"csbs.delete": "polls:2"})
        task = backups.start_delete(tx, ctx, item)
    assert task.op == "csbs.delete" and task.entity_id == seeded["id"]
    csbs = Csbs(url, project)
    assert csbs.item(seeded["id"]).json()["checkpoint_item"]["status"] == "deleting"
    assert_error(csbs.item(seeded["id"]), 404, "CSBS.3001")


def test_start_delete_refuses_a_linked_backup(emulator, control, project):
    server = seed_server(control, project)
    (seeded,) = seed_backups(control, project, [{"server_id": server["id"]}])
    with _db(emulator).write() as tx:
        item = backups.get_item(tx, project, seeded["id"])
        backups.link_image(tx, item, "img-2", 0.0)
        ctx = Ctx(now=0.0, project_id=project, region="cn-north-4")
        try:
            backups.start_delete(tx, ctx, item)
        except backups.ServiceError as exc:
            assert exc.code == "CSBS.8007"
        else:
            raise AssertionError("delete of a backup with an image was accepted")
