"""`serve --workers N` spreads keep-alive connections over its worker processes (ims_emulator/balance.py).

A load tester's clients each hold one connection for the whole run; if they all land on one worker, the
others idle and throughput halves (load/results.md). Connections are opened one after the other, each used
before the next is opened: the pattern that, with gunicorn's stock gthread worker, often put every one of
them on the same process.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ims_emulator import balance
from tests.support import SubprocessServer, wait_for

CONNECTIONS = 16


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessServer]:
    db = tmp_path_factory.mktemp("balance") / "state.db"
    server = SubprocessServer("--workers", "2", "--db", str(db), "--world", "none", "--quiet")
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    if children.exists():  # the address is announced before gunicorn forks its workers
        wait_for(lambda: len(children.read_text().split()) == 2)
    yield server
    server.stop()


def _worker_of(conn: http.client.HTTPConnection) -> int:
    pids = set()
    for _ in range(10):  # a few requests on the same keep-alive connection, as a poller makes
        conn.request("GET", "/_emulator/health")
        resp = conn.getresponse()
        assert resp.status == 200
        pids.add(json.loads(resp.read())["worker_pid"])
    assert len(pids) == 1  # one connection, one worker
    return pids.pop()


def test_sequential_keep_alive_connections_are_spread_evenly(two_workers):
    address = urlsplit(two_workers.url)
    conns = [http.client.HTTPConnection(address.hostname, address.port, timeout=30) for _ in range(CONNECTIONS)]
    try:
        per_worker = Counter(_worker_of(conn) for conn in conns)  # each opened and used before the next
    finally:
        for conn in conns:
            conn.close()
    assert len(per_worker) == 2, per_worker
    assert min(per_worker.values()) >= CONNECTIONS // 2 - 2, per_worker  # even, give or take a lost race


def test_a_worker_counts_its_connections_where_its_siblings_see_them():
    worker = balance.BalancedThreadWorker.__new__(balance.BalancedThreadWorker)
    worker._slot = 200  # a slot of its own, out of the way of any real worker in this process
    balance._table[2 * 200] = 1  # a live owner
    try:
        worker.nr_conns = 0
        worker.nr_conns += 3   # gthread's own bookkeeping: accept ...
        worker.nr_conns -= 1   # ... and a closed keep-alive connection
        assert worker.nr_conns == 2
        assert balance._table[2 * 200 + 1] == 2
        assert balance.least_sibling_load(me=201) == 2  # what any other worker compares itself with
        assert balance.least_sibling_load(me=200) is None  # nobody else alive in this table
    finally:
        balance._table[2 * 200] = balance._table[2 * 200 + 1] = 0
