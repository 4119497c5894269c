"""The store's change check and its row cache (store/watch.py, Database.request_state / peek).

A poll of an unchanged store runs no sqlite statement; any commit, from any connection or process, is
seen by the next request; a read through peek() never answers from before that commit.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from dataclasses import replace
from pathlib import Path

from ims_emulator.domain.records import Task
from ims_emulator.store import Database
from ims_emulator.store.watch import WalWatch


def _task(status: str = "RUNNING") -> Task:
    return Task(id="ff8080aa" + "0" * 24, project_id="p1", op="ims.create_whole_image", job_type="createImage",
                status=status, policy="manual", created_at=0.0)


def _statements(db: Database, fn: object) -> list[str]:
    seen: list[str] = []
    conn = db.connect()
    conn.set_trace_callback(seen.append)
    try:
        fn()  # type: ignore[operator]
    finally:
        conn.set_trace_callback(None)
    return seen


def _poll(db: Database, task_id: str) -> str | None:
    db.request_state()
    with db.peek() as tx:
        task = tx.tasks.get(task_id, "p1")
    return None if task is None else task.status


def _finish_in_another_process(path: str, task_id: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE tasks SET status='SUCCESS' WHERE id=?", (task_id,))
    conn.commit()
    conn.close()


def test_a_poll_of_an_unchanged_store_runs_no_statement(tmp_path: Path):
    db = Database(str(tmp_path / "s.db"))
    with db.write() as tx:
        tx.tasks.insert(_task())
    assert _poll(db, _task().id) == "RUNNING"  # reads, and remembers
    assert _statements(db, lambda: _poll(db, _task().id)) == []


def test_a_commit_by_another_process_is_seen_by_the_next_poll(tmp_path: Path):
    db = Database(str(tmp_path / "s.db"))
    with db.write() as tx:
        tx.tasks.insert(_task())
    assert _poll(db, _task().id) == "RUNNING"
    proc = multiprocessing.get_context("spawn").Process(target=_finish_in_another_process,
                                                        args=(db.path, _task().id))
    proc.start()
    proc.join(30)
    assert proc.exitcode == 0
    assert _poll(db, _task().id) == "SUCCESS"


def test_a_commit_by_another_connection_is_seen_even_between_check_and_read(tmp_path: Path):
    db, other = Database(str(tmp_path / "s.db")), Database(str(tmp_path / "s.db"))
    with db.write() as tx:
        tx.tasks.insert(_task())
    assert _poll(db, _task().id) == "RUNNING"
    db.request_state()  # the request's check ...
    with other.write() as tx:  # ... then another connection commits before the route reads
        tx.tasks.update(replace(_task(), status="SUCCESS"))
    with db.peek() as tx:
        assert tx.tasks.get(_task().id).status == "SUCCESS"


def test_this_connections_own_write_is_read_back(tmp_path: Path):
    db = Database(str(tmp_path / "s.db"))
    assert _poll(db, _task().id) is None  # a miss is remembered too ...
    with db.write() as tx:
        tx.tasks.insert(_task())
    assert _poll(db, _task().id) == "RUNNING"  # ... until this connection writes


def test_the_stamp_moves_with_each_commit_and_only_then(tmp_path: Path):
    db = Database(str(tmp_path / "s.db"))
    watch = WalWatch(db.path)
    first = watch.stamp()
    assert first is not None
    db.request_state()
    assert watch.stamp() == first  # reads do not move it
    with db.write() as tx:
        tx.tasks.insert(_task())
    second = watch.stamp()
    assert second not in (None, first)
    with db.write() as tx:
        tx.tasks.update(replace(_task(), status="SUCCESS"))
    assert watch.stamp() not in (None, first, second)
    watch.close()


def test_without_a_wal_index_the_store_asks_sqlite_every_time(tmp_path: Path):
    path = str(tmp_path / "plain.db")
    sqlite3.connect(path).execute("PRAGMA journal_mode=DELETE").fetchone()
    watch = WalWatch(path)
    assert watch.stamp() is None  # no -shm to map: unknown, never "unchanged"
    watch.close()


def test_control_state_written_elsewhere_is_seen_by_the_next_request(tmp_path: Path):
    db, other = Database(str(tmp_path / "s.db")), Database(str(tmp_path / "s.db"))
    assert "faults" not in db.request_state().control
    assert _statements(db, db.request_state) == []  # unchanged: nothing asked of sqlite
    with other.write() as tx:
        tx.control.set("faults", [{"id": "f1"}])
    assert db.request_state().control["faults"] == [{"id": "f1"}]


def test_reads_that_straddle_a_commit_are_read_again_as_of_one_moment(tmp_path: Path):
    db, other = Database(str(tmp_path / "s.db")), Database(str(tmp_path / "s.db"))
    task = replace(_task(), entity_kind="csbs_backup", entity_id="b1")
    with db.write() as tx:
        tx.tasks.insert(task)
    assert _poll(db, task.id) == "RUNNING"  # the task's row is kept ...
    runs = []

    def item_and_pending(tx: object) -> tuple[str, bool]:
        status = tx.tasks.get(task.id).status  # type: ignore[attr-defined]
        if not runs:  # ... then another connection finishes it between two reads of the same view
            with other.write() as w:
                w.tasks.update(replace(task, status="SUCCESS"))
        runs.append(status)
        return status, tx.tasks.pending_for_entity("b1") is not None  # type: ignore[attr-defined]

    assert db.reading(item_and_pending) == ("SUCCESS", False)  # never ("RUNNING", False): a mix
    assert runs == ["RUNNING", "SUCCESS"]
    again = lambda: (db.request_state(), db.reading(item_and_pending))  # noqa: E731
    again()  # the next request reads the changed store ...
    assert _statements(db, again) == []  # ... and the one after runs no statement again


def test_the_job_image_and_backup_views_leave_the_kept_records_as_stored(tmp_path: Path):
    """Kept records are shared by the polls that follow; a view that changed one would change the next answer.
    Every view that reads through peek() or reading() is polled here (a new one belongs in this list)."""
    from ims_emulator.app import create_app
    from ims_emulator.settings import Settings
    from tests.csbs_support import PROVIDER
    from tests.support import new_project, server_spec

    app = create_app(Settings(db=str(tmp_path / "s.db"), world="none", auth="off", quiet=True))
    http, project, spec, other = app.test_client(), new_project(), server_spec(), server_spec("cbr")
    head = {"X-Project-Id": project}
    seeded = http.post("/_emulator/seed", json={"project_id": project, "servers": [spec, other]})
    assert seeded.status_code in (200, 201)
    cbr = http.post("/_emulator/seed/cbr_backups", json={"project_id": project,
                                                          "backups": [{"server_id": other["id"]}]})
    cbr_backup = cbr.json["backups"][0]["id"]
    checkpoint = http.post(f"/v1/{project}/providers/{PROVIDER}/resources/{spec['id']}/action",
                           json={"protect": {}}).json["checkpoint"]["id"]
    item = http.get(f"/v1/{project}/checkpoint_items?checkpoint_id={checkpoint}").json["checkpoint_items"][0]["id"]
    assert http.get(f"/v1/{project}/checkpoint_items/{item}").json["checkpoint_item"]["status"] == "available"
    job = http.post("/v1/cloudimages/wholeimages/action", headers=head,
                    json={"name": "golden", "backup_id": item, "whole_image_type": "CSBS"}).json["job_id"]
    image = http.get(f"/v1/{project}/jobs/{job}").json["entities"]["image_id"]
    polls = [f"/v1/{project}/jobs/{job}", f"/v2/images/{image}", f"/v1/{project}/checkpoint_items/{item}",
             f"/v3/{project}/backups/{cbr_backup}"]
    answers = [[http.get(path, headers=head).get_json() for path in polls] for _ in range(3)]
    assert answers[1] == answers[2]
    db: Database = app.config["DB"]
    kept = db._local.state.rows
    assert {("tasks", job), ("entities", "image", image), ("entities", "csbs_item", item),
            ("entities", "cbr_backup", cbr_backup)} <= set(kept)
    with db.read() as tx:  # the same records, decoded afresh
        for key, record in kept.items():
            if key[0] == "tasks":
                assert record == tx.tasks.get(key[1]), key
            elif key[0] == "entities":
                assert record == tx.entities.get(key[1], key[2]), key


def test_a_refusal_read_across_a_commit_is_read_again_too(tmp_path: Path):
    db, other = Database(str(tmp_path / "s.db")), Database(str(tmp_path / "s.db"))
    with db.write() as tx:
        tx.tasks.insert(_task())
    assert _poll(db, _task().id) == "RUNNING"

    def finished_or_refuse(tx: object) -> str:
        status = tx.tasks.get(_task().id).status  # type: ignore[attr-defined]
        if status == "RUNNING":  # decided from the kept record, while another connection finishes it
            with other.write() as w:
                w.tasks.update(replace(_task(), status="SUCCESS"))
            raise LookupError("not finished")
        return status

    assert db.reading(finished_or_refuse) == "SUCCESS"
