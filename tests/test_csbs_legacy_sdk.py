"""The legacy `huaweicloud-sdk-python` (openstack.csbs.v1) reading CSBS backups from the emulator.

Skipped unless that package is installed (it is not a dependency: `pip install huaweicloud-sdk-python==1.0.28`).
On Python >= 3.10 it needs the collections aliases it was written against; the shim below is the
caller-side fix (the SDK itself is unmodified). Its endpoint comes from OS_DATA_PROTECT_ENDPOINT_OVERRIDE.
"""

from __future__ import annotations

import collections
import collections.abc

import pytest

from tests.csbs_support import PROVIDER, seed_backups, seed_server

for _name in ("MutableMapping", "Mapping", "Iterable", "MutableSet", "Callable", "Sequence"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

pytest.importorskip("openstack.csbs.v1", reason="huaweicloud-sdk-python (legacy SDK) not installed")


def test_legacy_sdk_lists_reads_counts_and_deletes(control, project, url, monkeypatch):
    from openstack import connection

    from tests.support import AK, SK

    monkeypatch.setenv("OS_DATA_PROTECT_ENDPOINT_OVERRIDE", f"{url}/v1/%(project_id)s")
    server = seed_server(control, project)
    (seeded,) = seed_backups(control, project, [{"server_id": server["id"], "name": "legacy"}])
    conn = connection.Connection(ak=AK, sk=SK, project_id=project, region="cn-north-4", domain="myhuaweicloud.com")
    items = list(conn.csbs.checkpoint_items())
    assert [(i.id, i.name, i.status) for i in items] == [(seeded["id"], "legacy", "available")]
    one = conn.csbs.get_checkpoint_item(seeded["id"])
    assert one.checkpoint_id == seeded["checkpoint_id"] and one.extend_info["progress"] == 100
    assert conn.csbs.get_checkpoint_item_count().count == 1
    conn.csbs.delete_checkpoint(one.checkpoint_id, PROVIDER, checkpoint_items=one.id)
    assert list(conn.csbs.checkpoint_items()) == []
