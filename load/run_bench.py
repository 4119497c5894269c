"""`make bench`: every benchmark in one run, printed and written to load/results.md.

Benchmarks print figures; they never pass or fail a build (a missed target is marked MISSED in the file).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

from load import bench_growth, bench_pipeline, bench_poll, bench_startup, common

RESULTS = Path(__file__).with_name("results.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, small stores (a smoke check, not figures)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    reports = run_all(args.quick, args.out)
    missed = [v for r in reports for v in r.verdicts if v.endswith("MISSED")]
    print(f"wrote {args.out} ({len(missed)} target(s) missed)")
    return 0


def run_all(quick: bool, out: Path) -> list[common.Report]:
    """Run every benchmark (printing each as it ends) and write the results file."""
    t0, load_before = time.monotonic(), os.getloadavg()
    if quick:
        steps = [lambda: bench_startup.run(1), lambda: bench_poll.run(0.2, 1, peer=False),
                 lambda: bench_growth.run((20, 40), 1), lambda: bench_pipeline.run(1, (2,))]
    else:
        steps = [bench_startup.run, bench_poll.run, bench_pipeline.run, bench_growth.run]
    reports = []
    for step in steps:
        report = step()
        report.print()
        reports.append(report)
    info = common.machine()
    head = ["# ims-emulator benchmark results", "",
            f"Written by `make bench` (load/run_bench.py) on {datetime.date.today().isoformat()}"
            f"{' (--quick: not real figures)' if quick else ''}, {time.monotonic() - t0:.0f} s in all.", "",
            f"- machine: {info['nproc']} CPUs, {info['cpu']}", f"- python {info['python']}, {info['platform']}",
            f"- 1-minute load average: {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after (anything "
            f"else running shares the CPUs with the servers and clients)", ""]
    summary = ["## Summary", ""] + [f"- {v}" for r in reports for v in r.verdicts] + [""]
    out.write_text("\n".join(head + summary) + "\n" + "\n".join(r.markdown() for r in reports), encoding="utf-8")
    return reports


if __name__ == "__main__":
    sys.exit(main())
