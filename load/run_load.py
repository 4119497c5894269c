"""`make load`: a fresh emulator (2 workers, strict auth, temp db) under locust, headless and bounded.

Prints locust's stats table; exits non-zero when any request failed, when locust itself failed, or when the
emulator logged "database is locked" or an unexpected error. Stops the emulator (and every locust process) in
every case. `--distributed N` (`make load-distributed`): a locust master and N worker processes on loopback,
the way locust spreads load over machines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from load import common

HERE = Path(__file__).resolve().parent
BAD_LOG_LINES = ("database is locked", "unexpected error", "Traceback")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s", help="locust --run-time (e.g. 60s, 2m)")
    parser.add_argument("--workers", type=int, default=2, help="emulator worker processes")
    parser.add_argument("--csv", help="also write locust's CSV stats with this prefix")
    parser.add_argument("--distributed", type=int, default=0, metavar="N",
                        help="a locust master and N locust worker processes (on 127.0.0.1) instead of one process")
    args = parser.parse_args(argv)
    emu = common.start_emulator(workers=args.workers, auth="strict", transitions="default=polls:3", quiet=True)
    print(f"emulator: {emu.url} ({args.workers} workers, strict auth, db {emu.db_path})", flush=True)
    cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--host", emu.url,
           "-u", str(args.users), "-r", str(args.spawn_rate), "--run-time", args.run_time, "--stop-timeout", "10",
           "--exit-code-on-error", "1", "--only-summary"]
    if args.csv:
        cmd += ["--csv", args.csv]
    workers: list[subprocess.Popen[bytes]] = []
    if args.distributed:
        port = common.free_port()
        cmd += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                "--expect-workers", str(args.distributed)]
        worker_cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--worker",
                      "--master-host", "127.0.0.1", "--master-port", str(port)]
        workers = [subprocess.Popen(worker_cmd, cwd=HERE.parent) for _ in range(args.distributed)]
    code = 3
    try:
        code = subprocess.run(cmd, cwd=HERE.parent, timeout=_seconds(args.run_time) + 120).returncode
    except subprocess.TimeoutExpired:
        print("locust did not stop in time", file=sys.stderr)
    finally:
        emu.stop()
        worker_code = _stop_workers(workers)
    code = code or worker_code
    bad = [line.rstrip() for line in emu.stderr_text().splitlines() if any(b in line for b in BAD_LOG_LINES)]
    if bad:
        print("emulator log has errors:\n  " + "\n  ".join(bad[:20]), file=sys.stderr)
        code = code or 4
    print(f"load: {'OK' if code == 0 else f'FAILED (exit {code})'}", flush=True)
    return code


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> int:
    """Locust workers quit when their master does; any still running is stopped. 5: one failed."""
    failed = 0
    for proc in workers:
        try:
            failed |= proc.wait(30) != 0
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(10)
            failed = 1
    return 5 if failed else 0


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    total, number = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total, number = total + float(number) * units[ch], ""
    return total + (float(number) if number else 0.0)


if __name__ == "__main__":
    sys.exit(main())
