"""A gunicorn gthread worker that spreads keep-alive connections evenly over the worker processes.

Every worker waits on the one listening socket, and whichever wakes first accepts. On a small
machine one worker often wins every race, so a load test's keep-alive clients all land on one
process (one core, one GIL) while the others idle: measured with 8 clients and 2 workers, throughput
halved in about one run in three. Here each worker publishes its open-connection count in memory
shared by all workers; a worker holding more connections than its least-loaded sibling waits a
moment before accepting, so the sibling (woken by the same connection) takes it. The wait is only a
preference: if no sibling has taken the connection by then (it may be stuck), this worker does.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 256        # workers alive at once (a respawned worker takes a free slot)
DEFER_S = 0.005    # how long a busier worker leaves a new connection to its siblings, at most
CHECK_S = 0.0005   # how often it looks whether one of them has taken it

# Made at import, in the master (gunicorn imports the worker class before forking), so every worker
# shares them: slot i holds (pid, open connections) at [2i], [2i + 1].
_table = multiprocessing.RawArray("q", 2 * SLOTS)
_claim = multiprocessing.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_slot(pid: int) -> int:
    with _claim:
        for i in range(SLOTS):
            owner = _table[2 * i]
            if owner == 0 or (owner != pid and not _alive(owner)):
                _table[2 * i], _table[2 * i + 1] = pid, 0
                return i
    return -1  # more workers than slots: this one just accepts as gunicorn would


def least_sibling_load(me: int) -> int | None:
    """The fewest open connections any other live worker holds (None when there is no other)."""
    loads = [_table[2 * i + 1] for i in range(SLOTS) if i != me and _table[2 * i] != 0]
    return min(loads) if loads else None


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    _slot = -1
    _conns = 0

    @property  # gthread counts a worker's connections in nr_conns (main thread only): mirror it
    def nr_conns(self) -> int:
        return self._conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._conns = value
        if self._slot >= 0:
            _table[2 * self._slot + 1] = value

    def init_process(self) -> None:
        self._slot = _take_slot(os.getpid())
        self.nr_conns = self._conns
        try:
            super().init_process()
        finally:
            if self._slot >= 0:
                _table[2 * self._slot], _table[2 * self._slot + 1] = 0, 0

    def accept(self, listener: Any) -> None:
        sibling = least_sibling_load(self._slot) if self._slot >= 0 else None
        if sibling is not None and self._conns > sibling and _left_to_sibling(listener):
            return
        super().accept(listener)  # a connection taken meanwhile is EAGAIN, which gthread ignores


def _left_to_sibling(listener: Any) -> bool:
    """Wait (up to DEFER_S) for a less-loaded sibling, woken by the same connection, to accept it."""
    deadline = time.monotonic() + DEFER_S
    while time.monotonic() < deadline:
        time.sleep(CHECK_S)
        if not select.select([listener], [], [], 0)[0]:
            return True  # nothing waiting any more: a sibling took it
    return False
