"""`make load`: a fresh emulator (2 workers, strict auth, temp db) under locust, headless and bounded.

Prints locust's stats table; exits non-zero when any request failed, when locust itself failed, or when the
emulator logged "database is locked" or an unexpected error. Stops the emulator in every case.
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
    args = parser.parse_args(argv)
    emu = common.start_emulator(workers=args.workers, auth="strict", transitions="default=polls:3", quiet=True)
    print(f"emulator: {emu.url} ({args.workers} workers, strict auth, db {emu.db_path})", flush=True)
    cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--host", emu.url,
           "-u", str(args.users), "-r", str(args.spawn_rate), "--run-time", args.run_time, "--stop-timeout", "10",
           "--exit-code-on-error", "1", "--only-summary"]
    if args.csv:
        cmd += ["--csv", args.csv]
    try:
        code = subprocess.run(cmd, cwd=HERE.parent, timeout=_seconds(args.run_time) + 120).returncode
    except subprocess.TimeoutExpired:
        print("locust did not stop in time", file=sys.stderr)
        code = 3
    finally:
        emu.stop()
    bad = [line.rstrip() for line in emu.stderr_text().splitlines() if any(b in line for b in BAD_LOG_LINES)]
    if bad:
        print("emulator log has errors:\n  " + "\n  ".join(bad[:20]), file=sys.stderr)
        code = code or 4
    print(f"load: {'OK' if code == 0 else f'FAILED (exit {code})'}", flush=True)
    return code


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
