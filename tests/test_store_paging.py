"""ims_emulator.store.paging: keyset pages in the lists' default order (newest first, then id), marker excluded."""

from __future__ import annotations

import uuid

from ims_emulator.domain.records import Entity
from ims_emulator.store import Database
from ims_emulator.store.paging import page_after


def _store(rows: int) -> tuple[Database, str, list[str]]:
    database, project = Database(":memory:"), uuid.uuid4().hex
    ids = []
    with database.write() as tx:
        for i in range(rows):
            ids.append(str(uuid.uuid4()))
            # two rows share each created_at: the id decides between them
            tx.entities.insert(Entity("image", ids[-1], project, 1000.0 + i // 2, doc={"n": i},
                                      status="active" if i % 3 else "queued", name=f"n{i}"))
        tx.entities.insert(Entity("image", str(uuid.uuid4()), uuid.uuid4().hex, 5000.0, doc={}))  # other project
    return database, project, ids


def test_pages_follow_the_full_list_order_without_gaps_or_repeats():
    database, project, _ = _store(23)
    with database.read() as tx:
        expected = [e.id for e in tx.entities.list("image", project)]  # created_at desc, id desc
        seen, marker, more = [], None, True
        while more:
            found = page_after(tx.entities, "image", project, marker, 5)
            assert found is not None
            rows, more = found
            seen += [r.id for r in rows]
            marker = rows[-1].id if rows else None
    assert seen == expected


def test_oldest_first_and_filters_narrow_the_same_order():
    database, project, _ = _store(12)
    with database.read() as tx:
        expected = [e.id for e in tx.entities.list("image", project, [("status", "=", "active")],
                                                    order=(("created_at", "asc"), ("id", "asc")))]
        rows, more = page_after(tx.entities, "image", project, expected[2], 4, [("status", "=", "active")],
                                newest_first=False)
    assert [r.id for r in rows] == expected[3:7] and more is (len(expected) > 7)


def test_a_marker_from_another_project_or_unknown_is_refused():
    database, project, _ = _store(3)
    with database.read() as tx:
        assert page_after(tx.entities, "image", project, str(uuid.uuid4()), 5) is None
        stranger = tx.entities.list("image", None, [("project_id", "!=", project)])[0]
        assert page_after(tx.entities, "image", project, stranger.id, 5) is None
