"""Several processes, one sqlite file: policies, clock, faults and snapshots are shared state.

`serve --workers 2` (gunicorn) spreads fresh connections over two worker processes; two plain
single-process servers on the same file make the alternation deterministic (A, B, A, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.control_support import Ecs, add_fault, fault, raw_job, seeded_server
from tests.support import Control, SubprocessServer, new_project, wait_for

QUIET = ("--world", "none", "--quiet")


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessServer]:
    db = tmp_path_factory.mktemp("mw") / "state.db"
    server = SubprocessServer("--workers", "2", "--db", str(db), *QUIET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db = tmp_path_factory.mktemp("pair") / "state.db"
    a = SubprocessServer("--db", str(db), *QUIET)
    b = SubprocessServer("--db", str(db), *QUIET)
    yield a.url, b.url
    a.stop()
    b.stop()


@pytest.fixture(autouse=True)
def instant_after(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("workers", "pair"):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            Control(server.url if name == "workers" else server[0]).put("/transitions", {"default": "instant"})


def _show_server(url: str, project: str, server: str) -> int:
    """A fresh connection each time, so gunicorn hands requests to either worker."""
    return requests.get(f"{url}/v1/{project}/cloudservers/{server}", timeout=30,
                        headers={"X-Auth-Token": "t"}).status_code


def test_two_worker_processes_serve(workers):
    children = Path(f"/proc/{workers.proc.pid}/task/{workers.proc.pid}/children")
    if not children.exists():
        pytest.skip("needs /proc")
    # the address is announced before gunicorn forks its workers: wait for the processes to exist
    wait_for(lambda: len(children.read_text().split()) == 2)


def test_polls_3_counts_reads_in_every_worker(workers):
    control, project = Control(workers.url), new_project()
    control.put("/transitions", {"ecs.stop": "polls:3"})
    server = seeded_server(control, project)
    job = Ecs(workers.url, project).stop(server)
    statuses = [raw_job(workers.url, project, job)["status"] for _ in range(3)]
    assert statuses == ["INIT", "RUNNING", "SUCCESS"]
    assert Ecs(workers.url, project).server_status(server) == "SHUTOFF"


def test_parallel_polls_are_counted_exactly_once_each(workers):
    control, project = Control(workers.url), new_project()
    control.put("/transitions", {"ecs.stop": "polls:10"})
    job = Ecs(workers.url, project).stop(seeded_server(control, project))
    with ThreadPoolExecutor(9) as pool:
        seen = list(pool.map(lambda _: raw_job(workers.url, project, job)["status"], range(9)))
    assert sorted(seen) == ["INIT"] + ["RUNNING"] * 8  # exactly one read was the first
    assert raw_job(workers.url, project, job)["status"] == "SUCCESS"


def test_polls_alternating_between_two_processes(pair):
    a, b = pair
    control, project = Control(a), new_project()
    control.put("/transitions", {"ecs.stop": "polls:3"})
    server = seeded_server(control, project)
    job = Ecs(a, project).stop(server)
    assert [raw_job(url, project, job)["status"] for url in (b, a, b)] == ["INIT", "RUNNING", "SUCCESS"]
    assert Ecs(a, project).server_status(server) == "SHUTOFF"


def test_clock_advance_in_one_process_settles_work_seen_by_the_other(pair):
    a, b = pair
    control, project = Control(a), new_project()
    control.put("/transitions", {"ecs.stop": "seconds:120"})
    job = Ecs(b, project).stop(seeded_server(control, project))
    assert raw_job(a, project, job)["status"] == "RUNNING"
    Control(b).post("/clock/advance", {"seconds": 121})
    assert Control(a).get("/clock").json()["offset_seconds"] == Control(b).get("/clock").json()["offset_seconds"]
    assert raw_job(a, project, job)["status"] == "SUCCESS"


def test_manual_work_settled_through_the_other_process(pair):
    a, b = pair
    control, project = Control(a), new_project()
    control.put("/transitions", {"default": "manual"})
    job = Ecs(a, project).stop(seeded_server(control, project))
    assert Control(b).post("/settle", {"id": job}).json()["settled"][0]["status"] == "SUCCESS"
    assert raw_job(a, project, job)["status"] == "SUCCESS"


def test_fault_times_are_counted_across_workers(workers):
    control, project = Control(workers.url), new_project()
    server = seeded_server(control, project)
    rule = add_fault(control, operations=["ecs.show_server"], action="http_error", project_id=project,
                     error_code="Ecs.0114", times=2)
    codes = [_show_server(workers.url, project, server) for _ in range(6)]
    assert sorted(codes) == [200] * 4 + [404] * 2
    assert fault(control, rule["id"])["fired"] == 2


def test_fail_job_fires_once_across_two_processes(pair):
    a, b = pair
    control, project = Control(a), new_project()
    server = seeded_server(control, project)
    add_fault(control, operations=["ecs.stop", "ecs.start"], action="fail_job", project_id=project, times=1)
    first = Ecs(a, project).stop(server)
    second = Ecs(b, project).stop(server)
    assert [raw_job(b, project, first)["status"], raw_job(a, project, second)["status"]] == ["FAIL", "SUCCESS"]


def test_project_scoped_fault_spares_other_projects_in_every_worker(workers):
    control, mine, theirs = Control(workers.url), new_project(), new_project()
    add_fault(control, operations=["*"], action="http_error", project_id=mine, error_code="Ecs.0114")
    server = seeded_server(control, theirs)
    assert {_show_server(workers.url, theirs, server) for _ in range(6)} == {200}
    assert {_show_server(workers.url, mine, server) for _ in range(4)} == {404}
    control.delete(f"/faults?project_id={mine}")


def test_drop_connection_under_gunicorn(workers):
    control, project = Control(workers.url), new_project()
    server = seeded_server(control, project)
    add_fault(control, operations=["ecs.show_server"], action="drop_connection", project_id=project, times=1)
    with pytest.raises(requests.ConnectionError):
        _show_server(workers.url, project, server)
    assert _show_server(workers.url, project, server) == 200


def test_transitions_set_in_one_process_apply_in_the_other(pair):
    a, b = pair
    Control(a).put("/transitions", {"ecs.stop": "polls:2"})
    assert Control(b).get("/transitions").json()["transitions"]["ecs.stop"] == "polls:2"
    project = new_project()
    job = Ecs(b, project).stop(seeded_server(Control(b), project))
    assert raw_job(b, project, job)["status"] == "INIT"  # the first read of a polls:N job


def test_snapshot_saved_in_one_process_restored_in_the_other(pair):
    a, b = pair
    project = new_project()
    server = seeded_server(Control(a), project)
    assert Control(a).post("/snapshots", {"name": f"mw-{project}"}).status_code == 201
    Ecs(a, project).stop(server)
    assert Control(b).post(f"/snapshots/mw-{project}/restore", {"project_id": project}).status_code == 200
    assert Ecs(a, project).server_status(server) == "ACTIVE"
    assert [s["name"] for s in Control(a).get("/snapshots").json()["snapshots"]] == [f"mw-{project}"]


def test_snapshot_restore_under_gunicorn(workers):
    control, project = Control(workers.url), new_project()
    server = seeded_server(control, project)
    control.post("/snapshots", {"name": "before-stop"})
    Ecs(workers.url, project).stop(server)
    assert control.post("/snapshots/before-stop/restore", {"project_id": project}).status_code == 200
    statuses = {Ecs(workers.url, project).server_status(server) for _ in range(4)}
    assert statuses == {"ACTIVE"}


def test_start_up_transitions_reach_every_worker(tmp_path):
    server = SubprocessServer("--workers", "2", "--db", str(tmp_path / "s.db"), *QUIET,
                              "--transitions", "default=manual,ecs.stop=polls:2")
    try:
        control, project = Control(server.url), new_project()
        assert control.get("/transitions").json()["transitions"] == {"default": "manual", "ecs.stop": "polls:2"}
        ecs = Ecs(server.url, project)
        stop = ecs.stop(seeded_server(control, project))
        start = ecs.start(seeded_server(control, project, status="SHUTOFF"))
        assert [raw_job(server.url, project, stop)["status"] for _ in range(2)] == ["INIT", "SUCCESS"]
        assert {raw_job(server.url, project, start)["status"] for _ in range(4)} == {"RUNNING"}
    finally:
        server.stop()


def test_transitions_from_the_environment(tmp_path):
    server = SubprocessServer("--db", str(tmp_path / "e.db"), *QUIET,
                              env={"IMS_EMULATOR_TRANSITIONS": "ecs.*=polls:2"})
    try:
        assert Control(server.url).get("/transitions").json()["transitions"]["ecs.*"] == "polls:2"
    finally:
        server.stop()


def test_csbs_backup_progress_alternating_between_two_processes(pair):
    from tests.csbs_support import Csbs
    a, b = pair
    project = new_project()
    Control(a).put("/transitions", {"csbs.protect": "polls:3"})
    server = seeded_server(Control(a), project)
    item = Csbs(a, project).backup(server, backup_name="shared")
    seen = [Csbs(url, project).item(item["id"]).json()["checkpoint_item"] for url in (b, a, b)]
    assert [(i["status"], i["extend_info"]["progress"]) for i in seen] == \
        [("protecting", 33), ("protecting", 66), ("available", 100)]


def test_ims_fail_job_rule_fires_in_any_worker(workers):
    from huaweicloudsdkims.v2 import ShowJobProgressRequest

    from tests.ims_support import seed_csbs, whole_image
    from tests.support import ims_client
    control, project = Control(workers.url), new_project()
    backup = seed_csbs(control, project, seeded_server(control, project, status="SHUTOFF"))
    add_fault(control, operations=["ims.*"], action="fail_job", project_id=project, error_code="IMG.0014", times=1)
    ims = ims_client(workers.url, project)
    results = []
    for name in ("first", "second"):
        job = whole_image(ims, name, backup_id=backup, whole_image_type="CSBS")
        results.append(ims.show_job_progress(ShowJobProgressRequest(job_id=job)).status)
    assert results == ["FAIL", "SUCCESS"]


def _open_stores(pid: str) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.endswith(".db") and "ims-emulator-" in target:
            found.add(target)
    return found


def test_workers_share_one_memory_store_and_it_goes_at_exit():
    server = SubprocessServer("--workers", "2", "--db", ":memory:", *QUIET)
    try:
        pid = str(server.proc.pid)
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if not children.exists():
            pytest.skip("needs /proc")
        kids = wait_for(lambda: (lambda k: k if len(k) == 2 else None)(children.read_text().split()))
        requests.get(server.url + "/_emulator/health", timeout=30)
        master = _open_stores(pid)
        assert len(master) == 1
        wait_for(lambda: all(_open_stores(k) == master for k in kids))  # each worker opens the same file
        project = new_project()
        control = Control(server.url)
        control.post("/snapshots", {"name": "mem"})
        server_id = seeded_server(control, project)
        assert {_show_server(server.url, project, server_id) for _ in range(8)} == {200}
    finally:
        server.stop()
    (store,) = master
    assert not Path(store).exists() and not Path(store + ".snapshots").exists()
