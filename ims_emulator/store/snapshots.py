"""Named snapshots of the resource state, as sqlite files beside the store.

Save: sqlite's online backup API into a temp file, then an atomic rename, so a reader in another
process never sees half a snapshot. Restore: ATTACH the file and copy its rows over the live
tables inside one BEGIN IMMEDIATE transaction, so it works while other connections and worker
processes keep the store open (they see the old state or the new one, never a mix).
The control table (transitions, faults, clock) is not restored: those belong to the running test.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ims_emulator.store.db import SCHEMA_VERSION, Database

TABLES = ("projects", "entities", "claims", "tasks")  # every table with a project_id column
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_cleanup: set[str] = set()


class SnapshotError(Exception):
    """Bad name, missing or incompatible snapshot; .status is the control API's answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def directory(db: Database) -> Path:
    return snapshot_dir(db.path)


def snapshot_dir(db_path: str) -> Path:
    """Snapshots live beside the store file: <db>.snapshots/<name>.db."""
    return Path(db_path + ".snapshots")


def _file(db: Database, name: str) -> Path:
    if not NAME_RE.match(name or ""):
        raise SnapshotError("snapshot name must be 1-64 characters: letters, digits, '_', '-', '.'")
    return directory(db) / f"{name}.db"


def _describe(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"name": path.stem, "created_at": datetime.fromtimestamp(st.st_mtime, tz=timezone.utc).isoformat(),
            "size_bytes": st.st_size}


def save(db: Database, name: str, temporary: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Copy the whole store to the named snapshot; an existing name is a 409 unless `overwrite`."""
    target = _file(db, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if temporary and str(target.parent) not in _cleanup:  # a :memory: store leaves nothing behind
        _cleanup.add(str(target.parent))
        atexit.register(shutil.rmtree, target.parent, True)
    tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
    dst = sqlite3.connect(tmp)
    try:
        db.connect().backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
    if overwrite:
        os.replace(tmp, target)
        return _describe(target)
    try:
        os.link(tmp, target)  # atomic "create if absent": two parallel saves of one name cannot both win
    except FileExistsError:
        raise SnapshotError(f"a snapshot named {name} exists; send \"overwrite\": true to replace it", 409) from None
    finally:
        tmp.unlink()
    return _describe(target)


def listing(db: Database) -> list[dict[str, Any]]:
    folder = directory(db)
    files = sorted(folder.glob("*.db"), key=lambda p: (p.stat().st_mtime, p.name)) if folder.is_dir() else []
    return [_describe(p) for p in files]


def delete(db: Database, name: str) -> None:
    path = _file(db, name)
    if not path.exists():
        raise SnapshotError(f"no snapshot named {name}", 404)
    path.unlink()


def restore(db: Database, name: str, project_id: str | None = None) -> dict[str, int]:
    """Replace the live rows (all, or one project's) with the snapshot's; returns rows per table."""
    path = _file(db, name)
    if not path.exists():
        raise SnapshotError(f"no snapshot named {name}", 404)
    conn = db.connect()
    conn.execute("ATTACH DATABASE ? AS snap", (str(path),))
    try:
        with db.write() as tx:
            _check_version(tx.conn)
            return {table: _copy(tx.conn, table, project_id) for table in TABLES}
    finally:
        conn.execute("DETACH DATABASE snap")


def _check_version(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT value FROM snap.meta WHERE key='schema_version'").fetchone()
    if row is None or int(row[0]) != SCHEMA_VERSION:
        raise SnapshotError(f"snapshot has schema version {row[0] if row else '?'}, the store {SCHEMA_VERSION}",
                            409)


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def _copy(conn: sqlite3.Connection, table: str, project_id: str | None) -> int:
    live = _columns(conn, "main", table)
    cols = ",".join(c for c in live if c in set(_columns(conn, "snap", table)))
    where, args = (" WHERE project_id=?", [project_id]) if project_id else ("", [])
    conn.execute(f"DELETE FROM main.{table}{where}", args)
    cur = conn.execute(f"INSERT INTO main.{table}({cols}) SELECT {cols} FROM snap.{table}{where}", args)
    return cur.rowcount
