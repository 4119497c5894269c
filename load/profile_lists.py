"""Where a list request's time goes as the store grows: EXPLAIN QUERY PLAN of the SQL it runs, and a
pyinstrument (or cProfile) profile of GET /v2/cloudimages?limit=100 and GET /v1/{pid}/checkpoint_items?limit=100
with N images and N backups in one project, in-process (no HTTP server).

    python -m load.profile_lists --rows 10000
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import tempfile
import time
from typing import Any

from load import bench_growth, common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="ims-profile-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    db = os.path.join(tmp.name, "state.db")
    with common.start_emulator(workers=1, db=db) as emu:
        image_id, backup_id = bench_growth.templates(emu.url)
    project = "f" * 32
    bench_growth.grow(db, project, image_id, backup_id, 0, args.rows)
    explain(db, project)
    app = _app(db)
    for path in ("/v2/cloudimages", "/v1/{project_id}/checkpoint_items"):
        profile(app, project, path, {"limit": "100"})
    keyset(app, project)
    tmp.cleanup()


def explain(db: str, project: str) -> None:
    conn = sqlite3.connect(db)
    sql = "SELECT * FROM entities WHERE kind=? AND project_id=? AND 1 ORDER BY created_at DESC, id DESC"
    print("SQL of Entities.list (what both list routes run, no LIMIT):\n  " + sql)
    for kind in ("image", "csbs_item"):
        plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, (kind, project))]
        count = conn.execute("SELECT COUNT(*) FROM entities WHERE kind=? AND project_id=?", (kind, project)).fetchone()
        print(f"  {kind}: {plan}; rows read per request: {count[0]}")
    print()


def keyset(app: Any, project: str) -> None:
    """The same pages read through ims_emulator.store.paging (an index range of limit+1 rows)."""
    from ims_emulator.store import paging
    database = app.config["DB"]
    for kind in ("image", "csbs_item"):
        with database.read() as tx:
            last = tx.entities.list(kind, project, order=(("created_at", "asc"), ("id", "asc")), limit=200)[-1]
        for label, marker in (("first page", None), ("deep marker", last.id)):
            t0 = time.perf_counter()
            with database.read() as tx:
                found = paging.page_after(tx.entities, kind, project, marker, 100)
            ms = (time.perf_counter() - t0) * 1000
            assert found is not None
            print(f"== keyset page of {kind}, {label}: {ms:.1f} ms for {len(found[0])} rows (store read only)")


def _app(db: str) -> Any:
    from ims_emulator.app import create_app
    from ims_emulator.settings import Settings
    return create_app(Settings(db=db, world="none", auth="off", quiet=True), seed_world=False)


def profile(app: Any, project: str, path: str, query: dict[str, str]) -> None:
    from werkzeug.test import EnvironBuilder
    env = EnvironBuilder(path=path.replace("{project_id}", project), query_string=query,
                         headers={"X-Project-Id": project}).get_environ()

    def call() -> None:
        e = dict(env)
        e["wsgi.input"] = io.BytesIO(b"")
        status: list[str] = []
        out = app(e, lambda s, h, exc=None: status.append(s))
        b"".join(out)
        if status[0][:3] != "200":
            raise RuntimeError(status[0])

    call()
    t0 = time.perf_counter()
    call()
    print(f"== {path}?limit=100: {(time.perf_counter() - t0) * 1000:.0f} ms")
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.runcall(call)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    call()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
