"""Crash safety and schema versioning: SIGKILL mid-write loses nothing a client was told succeeded, the file
stays intact, pending work still settles after a restart; an older store file is migrated forward on start and a
newer one is refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.reliability_support import DEEP, PROVIDER, Cloud
from tests.support import Control, SubprocessServer, new_project, server_spec

KILLS = 12 if DEEP else 3
ACKED_BEFORE_KILL = 25   # the kill lands after this many acknowledged writes (mid-load, never between rounds)
LOADERS = 4
ARGS = ("--world", "none", "--quiet", "--transitions", "ims.create_whole_image=manual,csbs.protect=manual")
V2_INDEXES = ("tasks_project", "claims_project")


def _kill(server: SubprocessServer) -> None:
    """SIGKILL the server and any worker processes it forked: no shutdown code runs."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for target in [pid, *kids]:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(10)


class Load:
    """Writers that record every write acknowledged with a 2xx; signals once enough have been acknowledged."""

    def __init__(self, url: str, project: str, acked: list[tuple[str, str, str]], more: int) -> None:
        self.url, self.project, self.target = url, project, len(acked) + more
        self.acked = list(acked)     # (project, kind, id) the client was told exists
        self.errors: list[str] = []
        self.enough = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(LOADERS)]

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        for t in self.threads:
            t.join(30)

    def _ack(self, kind: str, id_: str) -> None:
        with self.lock:
            self.acked.append((self.project, kind, id_))
            if len(self.acked) >= self.target:
                self.enough.set()

    def _run(self) -> None:
        session = requests.Session()
        session.headers.update({"X-Auth-Token": "t", "X-Project-Id": self.project})
        try:
            while True:
                self._round(session)
        except requests.RequestException:
            return  # the server is gone: whatever was in flight was never acknowledged
        except AssertionError as exc:
            self.errors.append(str(exc))
            self.enough.set()

    def _round(self, http: requests.Session) -> None:
        spec = server_spec(status="SHUTOFF")
        resp = http.post(f"{self.url}/_emulator/seed", json={"project_id": self.project, "servers": [spec]})
        assert resp.status_code == 201, resp.text
        self._ack("server", spec["id"])
        resp = http.post(f"{self.url}/v1/{self.project}/providers/{PROVIDER}/resources/{spec['id']}/action",
                         json={"protect": {}})
        assert resp.status_code == 200, resp.text
        checkpoint = resp.json()["checkpoint"]["id"]
        self._ack("checkpoint", checkpoint)
        resp = http.post(f"{self.url}/_emulator/seed/csbs_backups",
                         json={"project_id": self.project, "backups": [{"server_id": spec["id"]}]})
        assert resp.status_code == 201, resp.text
        backup = resp.json()["backups"][0]["id"]
        self._ack("backup", backup)
        resp = http.post(f"{self.url}/v1/cloudimages/wholeimages/action",
                         json={"name": "crash", "backup_id": backup, "whole_image_type": "CSBS"})
        assert resp.status_code == 200, resp.text
        self._ack("job", resp.json()["job_id"])


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _assert_reflected(url: str, acked: list[tuple[str, str, str]]) -> None:
    projects = Control(url).get("/state").json()["projects"]
    seen: set[tuple[str, str, str]] = set()
    for pid, st in projects.items():
        for kind, key in (("server", "servers"), ("backup", "backups"), ("checkpoint", "csbs_checkpoint"),
                          ("job", "jobs")):
            seen |= {(pid, kind, row["id"]) for row in st.get(key, [])}
    lost = [a for a in acked if a not in seen]
    assert lost == [], f"{len(lost)} acknowledged writes lost: {lost[:5]}"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigkill_mid_load_loses_nothing_acknowledged(tmp_path, workers):
    db = tmp_path / "state.db"
    acked: list[tuple[str, str, str]] = []
    for _ in range(KILLS):
        server = SubprocessServer("--db", str(db), "--workers", workers, *ARGS)
        try:
            _assert_reflected(server.url, acked)
            with Load(server.url, new_project(), acked, ACKED_BEFORE_KILL) as load:  # a project per round: quotas
                assert load.enough.wait(60), "the load never got going"
                _kill(server)
            assert load.errors == []
            acked = load.acked
        finally:
            server.stop()
        assert _integrity(db) == "ok"
    # after the last kill: everything acknowledged is there, and the pending work still settles
    server = SubprocessServer("--db", str(db), "--workers", workers, *ARGS)
    try:
        _assert_reflected(server.url, acked)
        settled = Control(server.url).post("/settle", {}).json()["settled"]
        assert settled and {t["status"] for t in settled} == {"SUCCESS"}
        for project in {p for p, _, _ in acked}:
            cloud = Cloud(server.url, project)
            images = cloud.images()
            assert {i["status"] for i in images} <= {"active"}
            assert len(images) >= sum(p == project and kind == "job" for p, kind, _ in acked)
            assert {i["status"] for i in cloud.items_of_checkpoint_all()} <= {"available"}
    finally:
        server.stop()
    assert _integrity(db) == "ok"
    print(f"\ncrash: {KILLS} SIGKILLs with {workers} worker(s), {len(acked)} acknowledged writes, none lost")


# -- schema versions ------------------------------------------------------------------------------

def _make_v1_file(db: Path, project: str) -> dict[str, Any]:
    """A store as the version-1 emulator left it: data written through the API, without the version-2 indexes."""
    server = SubprocessServer("--db", str(db), "--world", "none", "--quiet")
    try:
        spec = server_spec(status="SHUTOFF")
        Control(server.url).seed(project, [spec])
        cloud = Cloud(server.url, project)
        backup = cloud.seed_backup(spec["id"])
        Control(server.url).put("/transitions", {"ims.create_whole_image": "manual"})
        job = cloud.whole_image(backup["id"]).json()["job_id"]
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:  # exactly the version-1 DDL: no tasks_project / claims_project
        for index in V2_INDEXES:
            conn.execute(f"DROP INDEX {index}")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    return {"server": spec["id"], "backup": backup["id"], "job": job}


def _indexes(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}


@pytest.fixture
def v1_file(tmp_path: Path) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    db, project = tmp_path / "v1.db", new_project()
    made = _make_v1_file(db, project)
    assert not set(V2_INDEXES) & _indexes(db)
    yield db, project, made


def test_a_version_1_file_is_migrated_forward_on_start(v1_file):
    db, project, made = v1_file
    server = SubprocessServer("--db", str(db), "--world", "none", "--quiet")
    try:
        assert Control(server.url).get("/health").json()["schema_version"] == 2
        cloud = Cloud(server.url, project)
        assert cloud.get(f"/v1/{{project_id}}/cloudservers/{made['server']}").status_code == 200
        assert cloud.job(made["job"]).json()["status"] == "RUNNING"  # the pending job survived the upgrade
        assert Control(server.url).post("/settle", {"id": made["job"]}).json()["settled"][0]["status"] == "SUCCESS"
        image = cloud.job(made["job"]).json()["entities"]["image_id"]
        assert cloud.image(image).json()["status"] == "active"
    finally:
        server.stop()
    assert set(V2_INDEXES) <= _indexes(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
    assert _integrity(db) == "ok"


def test_a_file_from_a_newer_emulator_is_refused_untouched(tmp_path):
    db = tmp_path / "future.db"
    SubprocessServer("--db", str(db), "--world", "none", "--quiet").stop()  # created current
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(RuntimeError, match="schema version 99"):
        SubprocessServer("--db", str(db), "--world", "none", "--quiet")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "99"
