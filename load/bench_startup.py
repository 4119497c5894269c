"""Benchmark 4: process start to a healthy GET /_emulator/health, empty store. Target: <= 1 s.

Prints each run and the median; never asserts (benchmarks print numbers, tests assert behaviour).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.request

from load.common import Report

RUNS = 5


def one_start() -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ims_emulator", "serve", "--port", "0", "--db", ":memory:",
                             "--world", "none", "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        line = ""
        while "listening on" not in line:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line and proc.poll() is not None:
                raise RuntimeError("emulator exited")
        url = line.split("listening on ", 1)[1].split()[0]
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_emulator/health", timeout=1) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(10)


def run(runs: int = RUNS) -> Report:
    report = Report("Start-up: process start to a healthy GET /_emulator/health (empty store)",
                    method=f"{runs} starts of `python -m ims_emulator serve --port 0 --db :memory: --world none`, "
                           f"timed from spawning the process to the first 200 from /_emulator/health.",
                    header=("start", "ms"))
    times = [one_start() for _ in range(runs)]
    report.rows += [(i, t * 1000) for i, t in enumerate(times, 1)]
    report.verdict("median start-up", statistics.median(times) * 1000, 1000.0, "ms", False)
    return report


def main() -> None:
    run().print()


if __name__ == "__main__":
    main()
