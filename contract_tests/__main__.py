"""`python -m contract_tests --report`: operation x check -> pass/fail for every recorded response, and the total.

Starts a private in-process emulator (fresh :memory: store), runs each scenario in its own project."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from contract_tests.checks import COLUMNS, Result, evaluate, route_exists
from contract_tests.env import Env
from contract_tests.fixtures import fixture_names, load_allowlist
from contract_tests.scenarios import SCENARIOS
from contract_tests.sdk_calls import CALLS, invoke, unknown_fields
from tests.support import InProcessServer


def collect(fixtures: Iterable[str], with_sdk: bool) -> tuple[list[Result], list[tuple[str, str, str]]]:
    server = InProcessServer()
    try:
        results = [evaluate(Env(server.url), name) for name in fixtures]
        for r in results:
            r.landed = bool(SCENARIOS[r.fixture].pending) and route_exists(server, r.fixture)
        sdk = [sdk_row(server.url, name) for name in sorted(CALLS)] if with_sdk else []
        return results, sdk
    finally:
        server.stop()


def sdk_row(url: str, name: str) -> tuple[str, str, str]:
    """(operation, answered, fits the model) for one SDK operation called through the SDK."""
    try:
        response = invoke(Env(url), CALLS[name])
    except Exception as exc:  # noqa: BLE001 - any failure is a row in the table, not a crash
        return name, f"FAIL ({type(exc).__name__}: {str(exc)[:70]})", "n/a"
    unknown = unknown_fields(CALLS[name], response)
    return name, "pass", "pass" if not unknown else "FAIL " + "; ".join(unknown)[:100]


def render_sdk(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    lines = ["", f"{'SDK operation (called through the SDK)':<{width}}  answered  fits model", "-" * (width + 22)]
    lines += [f"{name:<{width}}  {answered:<8}  {fits}" for name, answered, fits in rows]
    ok = sum(a == "pass" and f == "pass" for _, a, f in rows)
    lines += ["", f"{ok} of {len(rows)} SDK operations answer and fit their response models"]
    return "\n".join(lines)


def render(results: list[Result], verbose: bool, every_file: bool = True) -> str:
    width = max(len(r.fixture) for r in results)
    head = f"{'recorded response':<{width}}  " + "  ".join(f"{c:<7}" for c in COLUMNS) + "  result"
    lines = [head, "-" * len(head)]
    for r in results:
        pending = SCENARIOS[r.fixture].pending if r.fixture in SCENARIOS else "no scenario"
        known = SCENARIOS[r.fixture].known_difference if r.fixture in SCENARIOS else None
        verdict = ("conforms" + ("*" if r.allowed else "")) if r.ok else \
            ("pending (xfail)" if pending else "known difference (xfail)" if known else "FAILS")
        if pending and r.landed:
            verdict += ", route exists now: drop it from PENDING"
        lines.append(f"{r.fixture:<{width}}  " + "  ".join(f"{r.column(c):<7}" for c in COLUMNS) + f"  {verdict}")
        if verbose and not r.ok:
            lines += [f"    ! {r.error}"] if r.error else [f"    - {p}" for p in r.problems]
        if verbose and r.borrowed:
            lines.append(f"    (keys shown by other recordings of this resource: {', '.join(r.borrowed)})")
    conform = sum(r.ok for r in results)
    lines += ["", f"{conform} of {len(results)} recorded responses conform"
                  f" (* = {sum(r.ok and bool(r.allowed) for r in results)} of them with allow-listed differences)"]
    used = {a for r in results for a in r.allowed}
    lines += [f"allow-list: {len(used)} of {len(load_allowlist())} entries in use"]
    for entry in load_allowlist() if every_file else []:
        if entry not in used:
            lines.append(f"  unused allow-list entry: {entry.fixture} {entry.check} {entry.path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract_tests")
    parser.add_argument("--report", action="store_true", help="print the conformance table")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every difference under its row")
    parser.add_argument("-k", default="", help="only recorded files whose name contains this text (no SDK table)")
    parser.add_argument("--recordings", type=Path, help="replay your own recordings (ims-emulator record --out DIR)")
    parser.add_argument("--world", default="none", help="with --recordings: the world the emulator starts from "
                        "(default: the session's world.json if parity wrote one, else none)")
    parser.add_argument("--transitions", default="recorded", help="with --recordings: `recorded` (async work "
                        "settles where the recording shows it settled) or transition policies")
    args = parser.parse_args(argv)
    if args.recordings:
        from contract_tests import recordings
        results = recordings.replay(args.recordings, args.world, args.transitions)
        print(recordings.render(results, args.verbose))
        return 0 if results and all(r.ok for r in results) else 1
    if not args.report:
        parser.print_help()
        return 2
    results, sdk = collect((n for n in fixture_names() if args.k in n), with_sdk=not args.k)
    print(render(results, args.verbose, every_file=not args.k))
    if sdk:
        print(render_sdk(sdk))
    return 0 if all(r.ok for r in results) and all(a == f == "pass" for _, a, f in sdk) else 1


if __name__ == "__main__":
    sys.exit(main())
