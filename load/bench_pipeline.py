"""Benchmark 3: the SDK's create_whole_image plus show_job polls to SUCCESS, transitions `instant`.

Target: median <= 10 ms per pipeline (create + polls), measured in the client around the official SDK calls.
Each run uses its own CSBS backup (one image per backup), made before the timer starts.
"""

from __future__ import annotations

import argparse
import statistics
import time

from load import common

PER_PROJECT = 40  # under the private image quota (50)


def sdk(url: str, project: str):  # noqa: ANN201 - an ImsClient
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkims.v2 import ImsClient
    return (ImsClient.new_builder().with_credentials(BasicCredentials(common.AK, common.SK, project))
            .with_endpoints([url]).build())


def one(client, backup_id: str) -> tuple[float, int]:
    """Seconds from create to SUCCESS, and the number of polls it took."""
    from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody, ShowJobRequest
    body = CreateWholeImageRequestBody(name="bench", backup_id=backup_id, whole_image_type="CSBS")
    t0 = time.perf_counter()
    job_id = client.create_whole_image(CreateWholeImageRequest(body=body)).job_id
    polls = 0
    while True:
        polls += 1
        job = client.show_job(ShowJobRequest(job_id=job_id))
        if job.status in ("SUCCESS", "FAIL"):
            break
    elapsed = time.perf_counter() - t0
    if job.status != "SUCCESS":
        raise RuntimeError(f"job failed: {job}")
    return elapsed, polls


def backups(url: str, project: str, count: int) -> list[str]:
    caller = common.Caller(url, project)
    out = []
    for _ in range(count):
        out.append(common.make_backup(caller, common.seed_server(url, project)))
    return out


def run(runs: int = 40, workers: tuple[int, ...] = (1, 2)) -> common.Report:
    report = common.Report(
        "Pipeline latency: SDK create_whole_image + show_job polls to SUCCESS (instant)",
        method=f"{runs} pipelines per server, one at a time, official huaweicloudsdkims client (its signing and "
               f"model (de)serialisation included), strict auth; each pipeline on its own CSBS backup made "
               f"beforehand.",
        header=("server", "runs", "median ms", "p90 ms", "max ms", "polls"))
    for n in workers:
        emu = common.start_emulator(workers=n)
        try:
            times: list[float] = []
            polls = 0
            done = 0
            while done < runs:
                project = common.Caller(emu.url).project
                batch = min(PER_PROJECT, runs - done)
                client = sdk(emu.url, project)
                for backup_id in backups(emu.url, project, batch):
                    t, p = one(client, backup_id)
                    times.append(t)
                    polls = max(polls, p)
                done += batch
            label = "serve (1 process)" if n == 1 else f"serve --workers {n}"
            median = statistics.median(times) * 1000
            report.rows.append((label, runs, median, common.percentile(times, 90) * 1000, max(times) * 1000, polls))
            report.verdict(f"{label}: median pipeline", median, 10.0, "ms", False)
        finally:
            emu.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    run(parser.parse_args().runs).print()


if __name__ == "__main__":
    main()
