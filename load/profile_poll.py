"""What one poll costs in-process (no HTTP server, no other process): microseconds per request and
sqlite statements per request for GET job / GET image, against the bare app, in the default (loose) and
strict auth modes; then a pyinstrument profile of many GET job requests.

In-process figures do not depend on how busy the machine's other cores are, so they can be compared
while other work runs (wall-clock throughput cannot).

    python -m load.profile_poll [--n 3000] [--no-profile]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from load import bench_poll, common


def _app(db: str, auth: str) -> Any:
    from ims_emulator.app import create_app
    from ims_emulator.settings import Settings
    return create_app(Settings(db=db, world="none", auth=auth, quiet=True, credentials=common.CREDENTIALS),
                      seed_world=False)


def caller(app: Any, raw: bytes) -> Callable[[], None]:
    """A WSGI call of the request in `raw` (request line + headers, as bench_poll sends them)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, path_qs, _ = head[0].split(" ")
    path, _, qs = path_qs.partition("?")
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": qs, "RAW_URI": path_qs,
                           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
                           "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), "REMOTE_ADDR": "127.0.0.1"}
    for line in head[1:]:
        name, _, value = line.partition(":")
        key = name.strip().upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        env[key] = value.strip()

    def call() -> None:
        e = dict(env)
        e["wsgi.input"] = io.BytesIO(b"")
        status: list[str] = []
        out = app(e, lambda s, h, exc=None: status.append(s))
        b"".join(out)
        if hasattr(out, "close"):
            out.close()
        if status[0][:3] != "200":
            raise RuntimeError(f"{path}: {status[0]}")
    return call


def per_request(call: Callable[[], None], n: int) -> float:
    """Median of 5 batches, CPU microseconds per request (this thread's CPU time: other processes on the
    machine slow the wall clock down, not this figure)."""
    for _ in range(50):
        call()
    batches = []
    for _ in range(5):
        t0 = time.thread_time()
        for _ in range(n // 5):
            call()
        batches.append((time.thread_time() - t0) / (n // 5) * 1e6)
    return sorted(batches)[2]


def statements(app: Any, call: Callable[[], None]) -> list[str]:
    """The SQL one request runs (this thread's connection, after a warm-up request)."""
    call()
    seen: list[str] = []
    conn = app.config["DB"].connect()
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="ims-profile-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    db = os.path.join(tmp.name, "state.db")
    with common.start_emulator(workers=1, db=db, auth="strict") as emu:
        raws = bench_poll.prepare(emu.url)  # SDK-signed: loose auth sees the same headers and checks less
    from load.bare_app import app as bare
    rows = [("bare", "-", per_request(caller(bare, common.raw_bytes("http://x", "GET", "/v1/x/jobs/y")), args.n), 0)]
    apps = {"loose": _app(db, "loose"), "strict": _app(db, "strict")}
    for mode, app in apps.items():
        for name in bench_poll.POLLS:
            call = caller(app, raws[name])
            rows.append((f"GET {name}", mode, per_request(call, args.n), len(statements(app, call))))
    print(f"{'target':12} {'auth':7} {'cpu us/req':>11} {'sql/request':>12}")
    for name, mode, us, sql in rows:
        print(f"{name:12} {mode:7} {us:11.0f} {sql:12}")
    for line in statements(apps["loose"], caller(apps["loose"], raws["job"])):
        print("  sql:", line)
    if not args.no_profile:
        from pyinstrument import Profiler
        call = caller(apps["loose"], raws["job"])
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for _ in range(args.n):
            call()
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    tmp.cleanup()


if __name__ == "__main__":
    main()
