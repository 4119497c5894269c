"""`python -m contract_tests --report`: operation x check -> pass/fail for every recorded response, and the total.

Starts a private in-process emulator (fresh :memory: store), runs each scenario in its own project."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from contract_tests.checks import COLUMNS, Result, evaluate
from contract_tests.env import Env
from contract_tests.fixtures import fixture_names, load_allowlist
from contract_tests.scenarios import SCENARIOS
from tests.support import InProcessServer


def collect(fixtures: Iterable[str]) -> list[Result]:
    server = InProcessServer()
    try:
        return [evaluate(Env(server.url), name) for name in fixtures]
    finally:
        server.stop()


def render(results: list[Result], verbose: bool) -> str:
    width = max(len(r.fixture) for r in results)
    head = f"{'recorded response':<{width}}  " + "  ".join(f"{c:<7}" for c in COLUMNS) + "  result"
    lines = [head, "-" * len(head)]
    for r in results:
        pending = SCENARIOS[r.fixture].pending if r.fixture in SCENARIOS else "no scenario"
        verdict = "conforms" if r.ok else ("pending (xfail)" if pending else "FAILS")
        lines.append(f"{r.fixture:<{width}}  " + "  ".join(f"{r.column(c):<7}" for c in COLUMNS) + f"  {verdict}")
        if verbose and not r.ok:
            lines += [f"    ! {r.error}"] if r.error else [f"    - {p}" for p in r.problems]
    conform = sum(r.ok for r in results)
    lines += ["", f"{conform} of {len(results)} recorded responses conform"]
    used = {a for r in results for a in r.allowed}
    lines += [f"allow-list: {len(used)} of {len(load_allowlist())} entries in use"]
    for entry in load_allowlist():
        if entry not in used:
            lines.append(f"  unused allow-list entry: {entry.fixture} {entry.check} {entry.path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract_tests")
    parser.add_argument("--report", action="store_true", help="print the conformance table")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every difference under its row")
    parser.add_argument("-k", default="", help="only recorded files whose name contains this text")
    args = parser.parse_args(argv)
    if not args.report:
        parser.print_help()
        return 2
    results = collect(n for n in fixture_names() if args.k in n)
    print(render(results, args.verbose))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
