"""Benchmark 1: poll throughput and latency against a bare Flask app under the same server.

GET /v1/{pid}/jobs/{job_id} (a finished job) and GET /v2/images/{id} (an active image), signed by the SDK's
signer, strict auth, `serve --workers 2` (gunicorn gthread), with 1 and 8 concurrent keep-alive clients;
the yardstick is a Flask app returning a constant JSON body under gunicorn gthread with the same workers.
Targets at 8 clients: >= 0.5 of the bare app's req/s, p99 <= 10 ms.

Requests are signed once before the run (X-Sdk-Date stays valid for 15 minutes) and sent as raw bytes over
one keep-alive socket per client thread, so the client costs a send and a read per request.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from load import common

WORKERS = 2


def drive(url: str, raw: bytes, clients: int, seconds: float) -> tuple[float, list[float], int]:
    """req/s, latencies (s) and the number of non-200 answers over `seconds` with `clients` threads."""
    conns = [common.RawClient(url) for _ in range(clients)]
    for conn in conns:  # warm the connections (and the workers)
        for _ in range(20):
            conn.request(raw)
    lat: list[list[float]] = [[] for _ in conns]
    bad = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def loop(i: int) -> None:
        conn, mine = conns[i], lat[i]
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at[0]:
                return
            status = conn.request(raw)
            mine.append(time.perf_counter() - t0)
            if status != 200:
                bad[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    t_begin = time.perf_counter()
    stop_at[0] = t_begin + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_begin
    for conn in conns:
        conn.close()
    flat = [x for xs in lat for x in xs]
    return len(flat) / elapsed, flat, sum(bad)


def prepare(url: str) -> dict[str, bytes]:
    """A finished whole-image job and its active image, made through the real flow; pre-signed reads."""
    caller = common.Caller(url)
    server_id = common.seed_server(url, caller.project)
    backup_id = common.make_backup(caller, server_id)
    resp = caller.call("POST", "/v1/cloudimages/wholeimages/action", common.whole_image_body(backup_id))
    job_id = resp.json()["job_id"]
    image_id = common.wait_job(caller, job_id)["entities"]["image_id"]
    return {"job": common.signed_raw(url, caller.project, "GET", f"/v1/{{project_id}}/jobs/{job_id}"),
            "image": common.signed_raw(url, caller.project, "GET", f"/v2/images/{image_id}")}


def run(seconds: float = 3.0, rounds: int = 5) -> common.Report:
    report = common.Report(
        "Poll throughput (GET job, GET image) vs a bare Flask app",
        method=f"Both servers: gunicorn gthread, {WORKERS} workers x 8 threads, keep-alive. Emulator: strict auth, "
               f"SDK-signed requests (signed once before the run, sent as raw bytes over one keep-alive socket per "
               f"client thread). {rounds} rounds; each round runs bare, job and image for {seconds:g} s each, one "
               f"after the other (side by side in time); req/s is the median round, latencies pool every round. "
               f"The client threads run on the same machine and share its CPUs with the servers.",
        header=("target", "clients", "req/s (median round)", "p50 ms", "p99 ms", "non-200"))
    emu = common.start_emulator(workers=WORKERS)
    bare = common.start_bare(workers=WORKERS)
    try:
        raws = prepare(emu.url)
        targets = (("bare", bare.url, common.raw_bytes(bare.url, "GET", "/v1/x/jobs/y")),
                   ("job", emu.url, raws["job"]), ("image", emu.url, raws["image"]))
        results: dict[tuple[str, int], tuple[float, float, float]] = {}
        for clients in (1, 8):
            rps: dict[str, list[float]] = {name: [] for name, _, _ in targets}
            lat: dict[str, list[float]] = {name: [] for name, _, _ in targets}
            bad: dict[str, int] = {name: 0 for name, _, _ in targets}
            for _ in range(rounds):
                for name, url, raw in targets:
                    r, times, b = drive(url, raw, clients, seconds)
                    rps[name].append(r)
                    lat[name] += times
                    bad[name] += b
            for name, _, _ in targets:
                row = (statistics.median(rps[name]), common.percentile(lat[name], 50) * 1000,
                       common.percentile(lat[name], 99) * 1000)
                results[(name, clients)] = row
                report.rows.append((name, clients, *row, bad[name]))
        for name in ("job", "image"):
            rps8, _, p99 = results[(name, 8)]
            report.verdict(f"GET {name} req/s at 8 clients as a fraction of bare", rps8 / results[("bare", 8)][0],
                           0.5, "x", True)
            report.verdict(f"GET {name} p99 at 8 clients", p99, 10.0, "ms", False)
        if "database is locked" in emu.stderr_text():
            report.notes.append("'database is locked' appeared in the emulator log")
    finally:
        emu.stop()
        bare.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.seconds, args.rounds).print()


if __name__ == "__main__":
    main()
