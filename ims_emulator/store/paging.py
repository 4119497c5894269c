"""Keyset paging over one kind of entity in a project: a page costs the same at 1k or 100k rows.

The default order of the IMS and CSBS lists (created_at, id, newest first) is the tail of the entities_page
index (project_id, kind, created_at, id), so the page after a marker is an index range read of limit+1 rows,
instead of loading, decoding and sorting every row of the project.
"""

from __future__ import annotations

from collections.abc import Sequence

from ims_emulator.domain.records import Entity
from ims_emulator.store.repos import Entities, Filter, _where


def page_after(entities: Entities, kind: str, project_id: str, marker_id: str | None, limit: int,
               filters: Sequence[Filter] = (), newest_first: bool = True) -> tuple[list[Entity], bool] | None:
    """Rows after `marker_id` in (created_at, id) order, at most `limit`, and whether more follow.

    None when the marker is not a row of this kind in this project (callers answer their own 400).
    Filters are the same as Entities.list's; column filters keep the read inside the index range.
    """
    where, args = _where(filters)
    sql = f"SELECT * FROM entities WHERE project_id=? AND kind=? AND {where}"
    head: list[object] = [project_id, kind]
    direction, cmp = ("DESC", "<") if newest_first else ("ASC", ">")
    if marker_id:
        mark = entities.conn.execute("SELECT created_at, id FROM entities WHERE kind=? AND id=? AND project_id=?",
                                     (kind, marker_id, project_id)).fetchone()
        if mark is None:
            return None
        sql += f" AND (created_at, id) {cmp} (?, ?)"
        args += [mark[0], mark[1]]
    sql += f" ORDER BY created_at {direction}, id {direction} LIMIT ?"
    rows = [Entities._row(r) for r in entities.conn.execute(sql, [*head, *args, limit + 1])]
    return rows[:limit], len(rows) > limit
