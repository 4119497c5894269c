"""Benchmark 1: poll throughput and latency against a bare Flask app under the same server, and moto.

GET /v1/{pid}/jobs/{job_id} (a finished job), GET /v2/images/{id} (an active image) and
GET /v1/{pid}/checkpoint_items/{id} (an available CSBS backup), signed by the SDK's
signer, `serve --workers 2` in the default mode (loose auth) and strict, with 1 and 8 concurrent keep-alive
clients; the ceiling is a Flask app returning a constant JSON body under gunicorn gthread with the same
workers and threads; the peer is moto's EC2 DescribeImages (when moto is installed).
Targets at 8 clients: >= 0.7 (default) / 0.6 (strict) of the bare app's req/s, p99 <= 10 ms.

Requests are signed once before the run (X-Sdk-Date stays valid for 15 minutes) and sent as raw bytes over
one keep-alive socket per client thread, so the client costs a send and a read per request.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import subprocess
import sys
import threading
import time

import requests

from load import common

WORKERS = 2
THREADS = 2   # the emulator's default per worker (see README, Load)
POLLS = ("job", "image", "backup")
FORM = "application/x-www-form-urlencoded; charset=utf-8"
# moto does not check signatures; a SigV4-shaped header makes the request look like the AWS CLI's
AWS_HEADERS = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ec2/aws4_request, "
                                "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
               "X-Amz-Date": "20260101T000000Z"}


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
            "image": common.signed_raw(url, caller.project, "GET", f"/v2/images/{image_id}"),
            "backup": common.signed_raw(url, caller.project, "GET", f"/v1/{{project_id}}/checkpoint_items/{backup_id}")}


def start_moto() -> common.Server | None:
    """moto's server (the peer a user would otherwise pick) when installed: `pip install -e '.[bench]'`."""
    if importlib.util.find_spec("moto") is None:
        return None
    port = common.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], cwd=common.ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    common.wait_healthy(url, path="/moto-api/")
    return common.Server(proc, url, None, "", [])


def moto_request(url: str) -> bytes:
    """EC2 DescribeImages of one AMI (the first of moto's built-in ones), as the AWS CLI would send it."""
    query = "Action=DescribeImages&Version=2016-11-15&Owner.1=amazon"
    first = requests.post(url, data=query, headers={**AWS_HEADERS, "Content-Type": FORM}, timeout=120)
    ami = re.search(r"<imageId>(ami-[0-9a-f]+)</imageId>", first.text)
    if ami is None:
        raise RuntimeError(f"moto DescribeImages answered {first.status_code}: {first.text[:200]}")
    body = f"Action=DescribeImages&Version=2016-11-15&ImageId.1={ami.group(1)}"
    return common.raw_bytes(url, "POST", "/", {**AWS_HEADERS, "Content-Type": FORM}, body)


def run(seconds: float = 3.0, rounds: int = 5, peer: bool = True) -> common.Report:
    report = common.Report(
        "Poll throughput (GET job, GET image, GET backup) vs a bare Flask app and moto",
        method=f"Emulator `serve --workers {WORKERS}` (gunicorn gthread, {THREADS} threads a worker, keep-alive) "
               f"in the default mode (loose auth) and with `--auth strict` (both `--quiet`: no access log), both "
               f"sent the same SDK-signed requests "
               f"(signed once, sent as raw bytes over one keep-alive socket per client thread). The ceiling: a "
               f"Flask app returning a constant JSON body under the same gunicorn settings and worker class; the peer: "
               f"moto's server "
               f"(`python -m moto.server`, its defaults) answering EC2 DescribeImages of one AMI, when moto is "
               f"installed. {rounds} rounds; each round runs every target for {seconds:g} s, one after the other "
               f"(side by side in time); req/s is the median round, latencies pool every round. The client threads "
               f"share the machine's CPUs with the servers.",
        header=("target", "clients", "req/s (median round)", "x bare", "x moto", "p50 ms", "p99 ms", "non-200"))
    servers = {"default": common.start_emulator(workers=WORKERS, auth="loose"),
               "strict": common.start_emulator(workers=WORKERS, auth="strict"),
               "bare": common.start_bare(workers=WORKERS, threads=THREADS)}
    moto = start_moto() if peer else None
    try:
        targets = [("bare", servers["bare"].url, common.raw_bytes(servers["bare"].url, "GET", "/v1/x/jobs/y"))]
        for mode in ("default", "strict"):
            raws = prepare(servers[mode].url)
            targets += [(f"{name} ({mode})", servers[mode].url, raws[name]) for name in POLLS]
        if moto is not None:
            targets.append(("moto DescribeImages", moto.url, moto_request(moto.url)))
        elif peer:
            report.notes.append("moto is not installed (`pip install -e '.[bench]'`): no peer column")
        _measure(report, targets, seconds, rounds)
        for name, srv in servers.items():
            if "database is locked" in srv.stderr_text():
                report.notes.append(f"'database is locked' appeared in the {name} emulator's log")
    finally:
        for srv in [*servers.values(), *([moto] if moto else [])]:
            srv.stop()
    return report


def _measure(report: common.Report, targets: list[tuple[str, str, bytes]], seconds: float, rounds: int) -> None:
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
            results[(name, clients)] = (statistics.median(rps[name]), common.percentile(lat[name], 50) * 1000,
                                        common.percentile(lat[name], 99) * 1000)
        bare = results[("bare", clients)][0]
        peer = results.get(("moto DescribeImages", clients), (0.0,))[0]
        for name, _, _ in targets:
            r, p50, p99 = results[(name, clients)]
            report.rows.append((name, clients, r, round(r / bare, 2), round(r / peer, 1) if peer else "-",
                                p50, p99, bad[name]))
    for mode, floor in (("default", 0.7), ("strict", 0.6)):
        for name in POLLS:
            rps8, _, p99 = results[(f"{name} ({mode})", 8)]
            report.verdict(f"GET {name} ({mode}) req/s at 8 clients as a fraction of bare",
                           rps8 / results[("bare", 8)][0], floor, "x", True)
            report.verdict(f"GET {name} ({mode}) p99 at 8 clients", p99, 10.0, "ms", False)
    if ("moto DescribeImages", 8) in results:
        report.verdict("GET job (default) req/s at 8 clients as a multiple of moto", results[("job (default)", 8)][0]
                       / results[("moto DescribeImages", 8)][0], 1.0, "x", True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.seconds, args.rounds).print()


if __name__ == "__main__":
    main()
