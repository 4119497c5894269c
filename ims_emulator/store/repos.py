"""Repositories: the SQL for each table, returning domain records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ims_emulator.domain.records import Entity, Task

Rows = dict[tuple[str, ...], Any]
ROWS_MAX = 2_000  # records kept per connection and store version before the cache starts over (a few MB)


def _cached(rows: Rows | None, key: tuple[str, ...], fetch: Any, decode: Any) -> Any:
    """decode(fetch()) once per key while the store is unchanged (rows is None: no cache, e.g. in a
    transaction). A kept record is shared by the reads that follow: Database.peek()/reading() callers
    only read (a view builds its own dicts), and tests/test_store_watch.py checks that they do."""
    if rows is None:
        row = fetch()
        return None if row is None else decode(row)
    if key not in rows:
        if len(rows) >= ROWS_MAX:
            rows.clear()
        row = fetch()
        rows[key] = None if row is None else decode(row)
    return rows[key]

COLUMNS = {"id", "project_id", "status", "name", "ref", "created_at"}
Filter = tuple[str, str, Any]  # (field, op, value): field is a column or a "$.json.path"
OPS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "in": "IN"}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _field_sql(name: str) -> tuple[str, list[Any]]:
    if name in COLUMNS:
        return name, []
    if name.startswith("$."):
        return "json_extract(doc, ?)", [name]
    raise ValueError(f"unknown filter field {name}")


def _where(filters: Iterable[Filter]) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for name, op, value in filters:
        sql, fargs = _field_sql(name)
        if op == "in":
            values = list(value)
            if not values:
                parts.append("0")
                continue
            parts.append(f"{sql} IN ({','.join('?' * len(values))})")
            args += fargs + values
        elif op == "contains":  # substring match: LIKE with the value's own % _ \ escaped
            escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(f"{sql} LIKE ? ESCAPE '\\'")
            args += fargs + [f"%{escaped}%"]
        elif op == "is" and value is None:
            parts.append(f"{sql} IS NULL")
            args += fargs
        else:
            parts.append(f"{sql} {OPS[op]} ?")
            args += fargs + [value]
    return (" AND ".join(parts) or "1"), args


class Entities:
    def __init__(self, conn: sqlite3.Connection, rows: Rows | None = None) -> None:
        self.conn = conn
        self.rows = rows

    @staticmethod
    def _row(r: sqlite3.Row) -> Entity:
        return Entity(kind=r["kind"], id=r["id"], project_id=r["project_id"], status=r["status"],
                      name=r["name"], ref=r["ref"], created_at=r["created_at"], doc=json.loads(r["doc"]))

    def insert(self, e: Entity) -> Entity:
        self.conn.execute(
            "INSERT INTO entities(kind, id, project_id, status, name, ref, created_at, doc)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (e.kind, e.id, e.project_id, e.status, e.name, e.ref, e.created_at, _dumps(e.doc)))
        return e

    def update(self, e: Entity) -> Entity:
        self.conn.execute(
            "UPDATE entities SET project_id=?, status=?, name=?, ref=?, doc=? WHERE kind=? AND id=?",
            (e.project_id, e.status, e.name, e.ref, _dumps(e.doc), e.kind, e.id))
        return e

    def delete(self, kind: str, id: str) -> None:
        self.conn.execute("DELETE FROM entities WHERE kind=? AND id=?", (kind, id))

    def exists(self, kind: str, id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM entities WHERE kind=? AND id=?", (kind, id)).fetchone() is not None

    def get(self, kind: str, id: str, project_id: str | None = None) -> Entity | None:
        e: Entity | None = _cached(self.rows, ("entities", kind, id), lambda: self.conn.execute(
            "SELECT * FROM entities WHERE kind=? AND id=?", (kind, id)).fetchone(), self._row)
        if e is None or (project_id is not None and e.project_id != project_id):
            return None
        return e

    def list(self, kind: str, project_id: str | None = None, filters: Sequence[Filter] = (),
             *, order: Sequence[tuple[str, str]] = (("created_at", "desc"), ("id", "desc")),
             limit: int | None = None, offset: int = 0) -> list[Entity]:
        sql, args = self._select("*", kind, project_id, filters)
        order_sql = []
        for name, direction in order:
            fsql, fargs = _field_sql(name)
            order_sql.append(f"{fsql} {'DESC' if direction == 'desc' else 'ASC'}")
            args += fargs
        sql += " ORDER BY " + ", ".join(order_sql)
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else limit, offset]
        return [self._row(r) for r in self.conn.execute(sql, args)]

    def count(self, kind: str, project_id: str | None = None, filters: Sequence[Filter] = ()) -> int:
        sql, args = self._select("COUNT(*)", kind, project_id, filters)
        return int(self.conn.execute(sql, args).fetchone()[0])

    def kinds_in(self, project_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT kind FROM entities WHERE project_id=?", (project_id,))]

    def delete_project(self, project_id: str) -> None:
        self.conn.execute("DELETE FROM entities WHERE project_id=?", (project_id,))

    @staticmethod
    def _select(what: str, kind: str, project_id: str | None, filters: Sequence[Filter]) -> tuple[str, list[Any]]:
        where, args = _where(filters)
        sql = f"SELECT {what} FROM entities WHERE kind=?"
        head: list[Any] = [kind]
        if project_id is not None:
            sql += " AND project_id=?"
            head.append(project_id)
        return sql + " AND " + where, head + args


class Claims:
    """Unique tokens: claim() raises sqlite3.IntegrityError when another owner holds one."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def claim(self, token: str, owner_kind: str, owner_id: str, project_id: str) -> bool:
        """True if this owner now holds the token; False if someone else does."""
        try:
            self.conn.execute("INSERT INTO claims(token, owner_kind, owner_id, project_id) VALUES (?,?,?,?)",
                              (token, owner_kind, owner_id, project_id))
            return True
        except sqlite3.IntegrityError:
            row = self.holder(token)
            return row is not None and row == (owner_kind, owner_id)

    def holder(self, token: str) -> tuple[str, str] | None:
        r = self.conn.execute("SELECT owner_kind, owner_id FROM claims WHERE token=?", (token,)).fetchone()
        return (r[0], r[1]) if r else None

    def release(self, token: str) -> None:
        self.conn.execute("DELETE FROM claims WHERE token=?", (token,))

    def tokens_with_prefix(self, prefix: str) -> list[str]:
        """Every held token starting with `prefix` (a range scan on the primary key)."""
        rows = self.conn.execute("SELECT token FROM claims WHERE token >= ? AND token < ? ORDER BY token",
                                 (prefix, prefix + "\uffff"))
        return [r[0] for r in rows]

    def release_owner(self, owner_kind: str, owner_id: str) -> None:
        self.conn.execute("DELETE FROM claims WHERE owner_kind=? AND owner_id=?", (owner_kind, owner_id))

    def delete_project(self, project_id: str) -> None:
        self.conn.execute("DELETE FROM claims WHERE project_id=?", (project_id,))


TASK_JSON = ("payload", "entities", "fail_with")


class Tasks:
    def __init__(self, conn: sqlite3.Connection, rows: Rows | None = None) -> None:
        self.conn = conn
        self.rows = rows

    @staticmethod
    def _row(r: sqlite3.Row) -> Task:
        d = dict(r)
        for k in TASK_JSON:
            d[k] = json.loads(d[k]) if d[k] is not None else None
        return Task(**d)

    def insert(self, t: Task) -> Task:
        d = dict(t.__dict__)
        for k in TASK_JSON:
            d[k] = None if d[k] is None else _dumps(d[k])
        cols = ",".join(d)
        self.conn.execute(f"INSERT INTO tasks({cols}) VALUES ({','.join('?' * len(d))})", list(d.values()))
        return t

    def update(self, t: Task) -> Task:
        self.conn.execute(
            "UPDATE tasks SET status=?, due_at=?, polls_seen=?, ended_at=?, entities=?, error_code=?,"
            " fail_reason=?, payload=?, fail_with=?, policy=? WHERE id=?",
            (t.status, t.due_at, t.polls_seen, t.ended_at, _dumps(t.entities), t.error_code, t.fail_reason,
             _dumps(t.payload), None if t.fail_with is None else _dumps(t.fail_with), t.policy, t.id))
        return t

    def get(self, id: str, project_id: str | None = None) -> Task | None:
        t: Task | None = _cached(self.rows, ("tasks", id), lambda: self.conn.execute(
            "SELECT * FROM tasks WHERE id=?", (id,)).fetchone(), self._row)
        if t is None or (project_id is not None and t.project_id != project_id):
            return None
        return t

    def timed(self, project_id: str | None, up_to: float | None = None) -> list[Task]:
        """Pending tasks with a due time (up to a bound), earliest first: each project's clock decides which
        are due."""
        sql = "SELECT * FROM tasks WHERE status IN ('INIT','RUNNING') AND due_at <= ?"
        args: list[Any] = [float("inf") if up_to is None else up_to]
        if project_id is not None:
            sql += " AND project_id=?"
            args.append(project_id)
        return [self._row(r) for r in self.conn.execute(sql + " ORDER BY due_at, created_at", args)]

    def pending(self, project_id: str | None = None) -> list[Task]:
        sql = "SELECT * FROM tasks WHERE status IN ('INIT','RUNNING')"
        args: list[Any] = []
        if project_id is not None:
            sql += " AND project_id=?"
            args.append(project_id)
        return [self._row(r) for r in self.conn.execute(sql + " ORDER BY created_at", args)]

    def pending_for_entity(self, entity_id: str) -> Task | None:
        task: Task | None = _cached(self.rows, ("pending", entity_id), lambda: self.conn.execute(
            "SELECT * FROM tasks WHERE entity_id=? AND status IN ('INIT','RUNNING') ORDER BY created_at DESC LIMIT 1",
            (entity_id,)).fetchone(), self._row)
        return task

    def list(self, project_id: str | None = None) -> list[Task]:
        sql, args = "SELECT * FROM tasks", []
        if project_id is not None:
            sql, args = sql + " WHERE project_id=?", [project_id]
        return [self._row(r) for r in self.conn.execute(sql + " ORDER BY created_at", args)]

    def delete(self, id: str) -> None:
        self.conn.execute("DELETE FROM tasks WHERE id=?", (id,))

    def delete_project(self, project_id: str) -> None:
        self.conn.execute("DELETE FROM tasks WHERE project_id=?", (project_id,))


class Projects:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, project_id: str) -> dict[str, Any] | None:
        r = self.conn.execute("SELECT * FROM projects WHERE project_id=?", (project_id,)).fetchone()
        return dict(r) if r else None

    def ensure(self, project_id: str, region: str, name: str | None, now: float) -> dict[str, Any]:
        self.conn.execute("INSERT OR IGNORE INTO projects(project_id, region, name, created_at) VALUES (?,?,?,?)",
                          (project_id, region, name or region, now))
        return self.get(project_id)  # type: ignore[return-value]

    def set_region(self, project_id: str, region: str, name: str | None) -> None:
        self.conn.execute("UPDATE projects SET region=?, name=? WHERE project_id=?",
                          (region, name or region, project_id))

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM projects ORDER BY created_at, project_id")]

    def find(self, region: str, name: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM projects WHERE region=?", [region]
        if name:
            sql, args = sql + " AND name=?", args + [name]
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY created_at", args)]

    def delete(self, project_id: str) -> None:
        self.conn.execute("DELETE FROM projects WHERE project_id=?", (project_id,))


class Control:
    """Shared settings as JSON values."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str, default: Any = None) -> Any:
        r = self.conn.execute("SELECT value FROM control WHERE key=?", (key,)).fetchone()
        return json.loads(r[0]) if r else default

    def set(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO control(key, value) VALUES (?, ?)", (key, _dumps(value)))

    def delete(self, key: str) -> None:
        self.conn.execute("DELETE FROM control WHERE key=?", (key,))

    def with_prefix(self, prefix: str) -> dict[str, Any]:
        """Every key starting with prefix (e.g. the per-project "project:<id>" rows) and its value."""
        rows = self.conn.execute("SELECT key, value FROM control WHERE substr(key, 1, ?) = ? ORDER BY key",
                                 (len(prefix), prefix))
        return {k: json.loads(v) for k, v in rows}


@dataclass
class Snapshot:
    """What every request needs before its route runs, read in ONE statement and kept per connection
    while the store file is unchanged (`version` is sqlite's data_version): the shared control values,
    each project's earliest due time, and lookups made since (regions, reads known to poll nothing)."""

    version: int
    control: dict[str, Any]
    due: dict[str, float]                  # project -> earliest due time of its pending timed work
    regions: dict[str, str | None] = field(default_factory=dict)
    quiet_reads: set[tuple[str, str, str | None]] = field(default_factory=set)  # (target, caller, id)
    stamp: bytes | None = None             # the WAL-index header it was checked against (store/watch.py)
    rows: Rows = field(default_factory=dict)  # records read by id through Database.peek() / reading()


class RequestState:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def version(self) -> int:
        """Changes whenever another connection (any thread or process) commits to the file."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def snapshot(self, version: int) -> Snapshot:
        row = self.conn.execute(
            "SELECT (SELECT json_group_object(key, json(value)) FROM control),"
            " (SELECT json_group_object(project_id, printf('%.6f', d)) FROM (SELECT project_id, MIN(due_at) AS d"
            "  FROM tasks WHERE status IN ('INIT','RUNNING') AND due_at IS NOT NULL GROUP BY project_id))").fetchone()
        due = {p: float(d) for p, d in json.loads(row[1] or "{}").items()}
        return Snapshot(version, json.loads(row[0] or "{}"), due)

    def region(self, project_id: str) -> str | None:
        row = self.conn.execute("SELECT region FROM projects WHERE project_id=?", (project_id,)).fetchone()
        return row[0] if row else None


def wipe(conn: sqlite3.Connection, keep_control: bool = True) -> None:
    for table in ("entities", "claims", "tasks", "projects"):
        conn.execute(f"DELETE FROM {table}")
    if not keep_control:
        conn.execute("DELETE FROM control")
