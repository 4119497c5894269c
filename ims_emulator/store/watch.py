"""Has anyone committed to the store since? Answered from sqlite's shared WAL index, without calling sqlite.

`PRAGMA data_version` answers the same question, but as a statement: the sqlite3 module releases and
re-takes the GIL around it, and under gunicorn's threads each release is a likely thread switch. On the
poll benchmark, skipping it alone gave 12% more polls a second.

In WAL mode every commit rewrites the WAL-index header: the first 48 bytes of the `-shm` file, kept twice
(offsets 0 and 48; sqlite's walformat.html). Its change counter and last frame move with each
transaction, whichever process commits, sqlite itself writing them; so a read-only map of those bytes
tells a changed store with a memory read. sqlite writes the second copy first and the first copy last,
and readers compare the two: copies that differ mean a commit is being written, and the answer is
"changed". Where there is no WAL index to map (another journal mode, a file system without shared
memory), `stamp()` is None and the caller asks sqlite.
"""

from __future__ import annotations

import mmap
import os
import sqlite3

HEADER = 48


class WalWatch:
    def __init__(self, path: str) -> None:
        # a connection of our own keeps the -shm file (and so this map) alive: sqlite removes it only when
        # the last connection of every process closes
        self._keeper = sqlite3.connect(path, check_same_thread=False)
        self._map: mmap.mmap | None = None
        try:
            if self._keeper.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                return
            self._keeper.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # maps the index
            fd = os.open(path + "-shm", os.O_RDONLY)
            try:
                if os.fstat(fd).st_size >= 2 * HEADER:
                    self._map = mmap.mmap(fd, 2 * HEADER, mmap.MAP_SHARED, mmap.PROT_READ)
            finally:
                os.close(fd)
        except (OSError, ValueError, sqlite3.Error):
            self._map = None

    def stamp(self) -> bytes | None:
        """The WAL-index header now; a different value means a commit since. None: unknown (ask sqlite)."""
        m = self._map
        if m is None:
            return None
        first, second = m[:HEADER], m[HEADER:2 * HEADER]
        return first if first == second else None

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._keeper.close()
