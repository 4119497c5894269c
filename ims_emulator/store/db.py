"""Connections, transactions and schema versioning for the sqlite store.

WAL + busy timeout + short `BEGIN IMMEDIATE` write transactions: several worker processes can
share one file. One connection per thread.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from ims_emulator.store.repos import Claims, Control, Entities, Projects, RequestState, Rows, Snapshot, Tasks
from ims_emulator.store.watch import WalWatch

SCHEMA_VERSION = 2
SCHEMA = Path(__file__).with_name("schema.sql").read_text(encoding="utf-8")
BUSY_TIMEOUT_MS = 15000
T = TypeVar("T")


class Tx:
    """One transaction: the repositories the domain works with (each made on first use: a poll uses one)."""

    def __init__(self, conn: sqlite3.Connection, rows: Rows | None = None) -> None:
        self.conn = conn
        self.rows = rows  # peek() and reading() only: records by id, kept while the store is unchanged

    @cached_property
    def entities(self) -> Entities:
        return Entities(self.conn, self.rows)

    @cached_property
    def tasks(self) -> Tasks:
        return Tasks(self.conn, self.rows)

    @cached_property
    def claims(self) -> Claims:
        return Claims(self.conn)

    @cached_property
    def projects(self) -> Projects:
        return Projects(self.conn)

    @cached_property
    def control(self) -> Control:
        return Control(self.conn)

    @cached_property
    def request_state(self) -> RequestState:
        return RequestState(self.conn)


class Database:
    def __init__(self, path: str) -> None:
        if path == ":memory:":
            # a private temp file, not sqlite's :memory:, so every thread sees the same data
            fd, path = tempfile.mkstemp(prefix="ims-emulator-", suffix=".db", dir=_tmp_dir())
            os.close(fd)
            atexit.register(_remove_db_files, path)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._migrate()
        self._watch = WalWatch(path)

    # -- connections -------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def write(self) -> Iterator[Tx]:
        conn = self.connect()
        if conn.in_transaction:  # nested in an open write: join it
            yield Tx(conn)
            return
        _begin_immediate(conn)
        try:
            yield Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._local.state = None  # data_version does not move for a connection's own commits

    def request_state(self) -> Snapshot:
        """This connection's request snapshot, re-read only when the store changed since: a memory read of
        the WAL index when nothing did (store/watch.py), else sqlite's data_version decides."""
        stamp = self._watch.stamp()
        state: Snapshot | None = getattr(self._local, "state", None)
        if state is not None and stamp is not None and state.stamp == stamp:
            return state
        repo = RequestState(self.connect())
        version = repo.version()  # read after the stamp: a commit in between only makes the next check re-read
        if state is None or state.version != version:
            state = repo.snapshot(version)
        state.stamp = stamp
        self._local.state = state
        return state

    def _current_rows(self) -> Rows | None:
        """The row cache of this connection's snapshot, if the store is provably unchanged since it was read."""
        state: Snapshot | None = getattr(self._local, "state", None)
        if state is None or state.stamp is None or state.stamp != self._watch.stamp():
            return None
        return state.rows

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A consistent snapshot for reads (a deferred transaction never takes the write lock)."""
        conn = self.connect()
        if conn.in_transaction:  # nested: join the open transaction
            yield Tx(conn)
            return
        conn.execute("BEGIN")
        try:
            yield Tx(conn)
        finally:
            conn.execute("COMMIT")

    def reading(self, fn: Callable[[Tx], T]) -> T:
        """fn's reads as of one moment. From the rows kept while the store is unchanged when it provably stayed
        unchanged from before the first read to after the last (so every read saw the same store), else
        again inside a read transaction. fn must only read, records included (they may be the kept ones, shared
        with later reads): it may run twice."""
        conn = self.connect()
        rows = None if conn.in_transaction else self._current_rows()
        if rows is not None:
            try:
                result = fn(Tx(conn, rows))
            except Exception:  # a refusal (not found) is an answer too: kept only under the same rule
                if self._current_rows() is rows:
                    raise
            else:
                if self._current_rows() is rows:
                    return result
        with self.read() as tx:
            return fn(tx)

    @contextmanager
    def peek(self) -> Iterator[Tx]:
        """For ONE read statement: no BEGIN/COMMIT round trips (a single statement reads one snapshot).
        Use read() when several statements must agree. Records read by id are kept while the store is
        unchanged, so a poll of an unchanged store runs no statement at all; they are shared with later reads,
        so a caller only reads them."""
        conn = self.connect()
        yield Tx(conn, None if conn.in_transaction else self._current_rows())

    # -- schema ------------------------------------------------------------------------
    def _migrate(self) -> None:
        conn = self.connect()
        _begin_immediate(conn)
        try:
            for statement in _statements(SCHEMA):
                conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            current = int(row["value"]) if row else SCHEMA_VERSION  # a new file is created current
            if current > SCHEMA_VERSION:  # never relabel a newer file as ours: it would be misread
                raise StoreVersionError(f"{self.path} has schema version {current}; this emulator knows up to "
                                        f"{SCHEMA_VERSION}: use a newer ims-emulator or another --db file")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(version, ()):
                    conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        row = self.connect().execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row["value"])


class StoreVersionError(RuntimeError):
    """The store file was written by a newer emulator (its schema version is above SCHEMA_VERSION)."""


# version -> statements that bring a file of version-1 forward (schema.sql is always current)
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: per-project reset, snapshots and the state dump read a project's tasks and claims without a full scan
    2: ("CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id, created_at)",
        "CREATE INDEX IF NOT EXISTS claims_project ON claims (project_id)"),
}


def _statements(script: str) -> list[str]:
    lines = [ln for ln in script.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _begin_immediate(conn: sqlite3.Connection) -> None:
    # busy_timeout covers most waits; a short retry loop covers the rest (never surface "locked")
    for attempt in range(50):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(min(0.01 * (attempt + 1), 0.2))
    conn.execute("BEGIN IMMEDIATE")


def _tmp_dir() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _remove_db_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except OSError:
            pass
