"""Benchmark: a year of hourly policy runs after one clock jump. Target: well under a second.

A CSBS policy (24 runs a day, max_backups 7) bound to 2 servers, and a CBR policy (24 a day, keep 7)
on a vault with 2 servers; one `POST /_emulator/clock/advance` of 365 days settles 8760 occurrences
of each through the lazy settle path. Timed: the advance call (the first read after it finds
nothing due). Prints numbers; never asserts.

    python -m load.bench_schedules
"""

from __future__ import annotations

import statistics
import sys
import time

import requests

from load.common import PROVIDER, Caller, Report, server_spec, start_emulator

YEAR = 365 * 86400
HOURLY = "FREQ=DAILY;BYHOUR=" + ",".join(str(h) for h in range(24)) + ";BYMINUTE=0"


def _csbs_policy(c: Caller, servers: list[dict]) -> None:
    body = {"policy": {"name": "hourly", "provider_id": PROVIDER, "parameters": {"common": {}},
                       "resources": [{"id": s["id"], "type": "OS::Nova::Server", "name": s["name"]} for s in servers],
                       "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                                 "operation_definition": {"max_backups": 7},
                                                 "trigger": {"properties": {
                                                     "pattern": f"BEGIN:VEVENT\nRRULE:{HOURLY}\nEND:VEVENT"}}}]}}
    resp = c.call("POST", f"/v1/{c.project}/policies", body)
    resp.raise_for_status()


def _cbr_policy(c: Caller, servers: list[dict]) -> None:
    vault = c.call("POST", f"/v3/{c.project}/vaults", {"vault": {
        "name": "v", "resources": [{"id": s["id"], "type": "OS::Nova::Server"} for s in servers],
        "billing": {"consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup",
                    "size": 100000}}})
    vault.raise_for_status()
    policy = c.call("POST", f"/v3/{c.project}/policies", {"policy": {
        "name": "hourly", "operation_type": "backup", "operation_definition": {"max_backups": 7},
        "trigger": {"properties": {"pattern": [HOURLY]}}}})
    policy.raise_for_status()
    c.call("POST", f"/v3/{c.project}/vaults/{vault.json()['vault']['id']}/associatepolicy",
           {"policy_id": policy.json()["policy"]["id"]}).raise_for_status()


def one_year(url: str, with_cbr: bool) -> tuple[float, int]:
    c = Caller(url)
    servers = [server_spec(f"vm-{i}") for i in range(4)]
    requests.post(f"{url}/_emulator/seed", json={"project_id": c.project, "servers": servers},
                  timeout=30).raise_for_status()
    _csbs_policy(c, servers[:2])
    if with_cbr:
        _cbr_policy(c, servers[2:])
    t0 = time.perf_counter()
    requests.post(f"{url}/_emulator/clock/advance", json={"seconds": YEAR}, timeout=120).raise_for_status()
    elapsed = time.perf_counter() - t0
    items = c.call("GET", f"/v1/{c.project}/checkpoint_items").json()["checkpoint_items"]
    return elapsed, len(items)


def run(rounds: int = 3, with_cbr: bool = True) -> Report:
    report = Report("Schedules: 365 days of a 24-a-day policy in one clock jump",
                    method=f"{rounds} rounds, each a fresh project with a CSBS policy (2 servers, max_backups 7)"
                           f"{' and a CBR policy on a vault (2 servers, max_backups 7)' if with_cbr else ''}; "
                           f"timed: one `POST /_emulator/clock/advance` of 365 days (1 worker, fresh store).",
                    header=("round", "advance ms", "CSBS backups kept"))
    results = []
    for _ in range(rounds):  # a fresh emulator each round: the jump also runs every earlier project's policies
        with start_emulator(workers=1, auth="loose") as server:
            results.append(one_year(server.url, with_cbr))
    report.rows += [(i, t * 1000, n) for i, (t, n) in enumerate(results, 1)]
    report.verdict("median 365-day jump", statistics.median(t for t, _ in results) * 1000, 1000.0, "ms", False)
    return report


if __name__ == "__main__":
    run(with_cbr="--csbs-only" not in sys.argv).print()
