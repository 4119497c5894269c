"""Benchmark 2: list latency and worker memory as the store grows to 1k, 10k and 100k images and backups.

GET /v2/cloudimages?limit=100 (first page and a deep marker page) and GET /v1/{pid}/checkpoint_items?limit=100
(first page and a deep marker page), one project holding N images and N backups.
Targets: p50 at 100k <= 2x p50 at 1k; RSS per worker <= 150 MB at 100k.

Seeding: one image and one backup are made through the real flow (seed server -> CSBS protect -> whole
image), then their stored rows are cloned through the store's repositories (new ids, spaced created_at),
so every row has exactly the document shape the services write.
"""

from __future__ import annotations

import argparse
import copy
import time
import uuid

from load import common

SIZES = (1_000, 10_000, 100_000)
WORKERS = 2
DEEP = 150  # the deep marker: the row this far from the oldest (the page after it is the last full page)


def templates(url: str) -> tuple[str, str]:
    """A real whole image and its backup in a throwaway project; returns their ids."""
    caller = common.Caller(url)
    server_id = common.seed_server(url, caller.project)
    backup_id = common.make_backup(caller, server_id)
    return common.make_whole_image(caller, backup_id), backup_id


def grow(db_path: str, project: str, image_id: str, backup_id: str, start: int, stop: int) -> list[str]:
    """Clone the template rows into `project` as rows start..stop-1 (oldest first); returns the new ids."""
    from ims_emulator.domain.records import Entity
    from ims_emulator.store import Database
    database = Database(db_path)
    base = time.time() - 10 ** 6
    ids: list[str] = []
    with database.write() as tx:
        tx.projects.ensure(project, "cn-north-4", None, base)
        image = tx.entities.get("image", image_id)
        item = tx.entities.get("csbs_item", backup_id)
        assert image is not None and item is not None
        for i in range(start, stop):
            moment = base + i
            new_image = str(uuid.uuid4())
            doc = copy.deepcopy(image.doc)
            doc.update(id=new_image, owner=project, self=f"/v2/images/{new_image}",
                       file=f"/v2/images/{new_image}/file", name=f"img-{i:06d}")
            tx.entities.insert(Entity("image", new_image, project, moment, doc=doc, status=image.status,
                                      name=f"img-{i:06d}", ref=None))
            new_item = str(uuid.uuid4())
            idoc = copy.deepcopy(item.doc)
            idoc.update(updated_at=moment, protected_at=moment)
            tx.entities.insert(Entity("csbs_item", new_item, project, moment, doc=idoc, status=item.status,
                                      name=f"bk-{i:06d}", ref=item.ref))
            ids.append(f"{new_image} {new_item}")
    database.close()
    return ids


def measure(url: str, raw: bytes, reps: int, warm: bool) -> list[float]:
    client = common.RawClient(url)
    try:
        if warm:
            client.request(raw)
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            status = client.request(raw)
            out.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"list answered {status}")
        return out
    finally:
        client.close()


def keyset_ms(db_path: str, project: str, endpoint: str, marker: str | None, reps: int = 7) -> float:
    """Median ms of the same page read through ims_emulator.store.paging (the store read alone)."""
    from ims_emulator.store import Database, paging
    kind = "image" if endpoint.startswith("cloudimages") else "csbs_item"
    database = Database(db_path)
    times = []
    try:
        for i in range(reps + 1):  # the first read warms the connection and the statement cache
            t0 = time.perf_counter()
            with database.read() as tx:
                found = paging.page_after(tx.entities, kind, project, marker, 100)
            if i:
                times.append(time.perf_counter() - t0)
            assert found is not None
    finally:
        database.close()
    return common.percentile(times, 50) * 1000


def run(sizes: tuple[int, ...] = SIZES, reps: int = 7) -> common.Report:
    report = common.Report(
        "Growth: list latency and memory with N images and N backups in one project",
        method=f"`serve --workers {WORKERS}`, strict auth, requests pre-signed and sent over one keep-alive socket, "
               f"one at a time; {reps} timed requests per cell after one warm-up (at 100k: 2, no warm-up, to stay "
               f"bounded). Rows cloned from "
               f"a real whole image and its CSBS backup through the store repositories. RSS = largest worker "
               f"VmRSS after the cell; peak = largest worker VmHWM. The 'keyset' column is the store read alone of "
               f"the same page through ims_emulator.store.paging (index range, limit+1 rows), timed in the bench "
               f"process on the same file: what the routes would cost with index-backed paging.",
        header=("rows", "endpoint", "p50 ms", "max ms", "worker RSS MB", "worker peak MB", "keyset store read ms"))
    emu = common.start_emulator(workers=WORKERS)
    try:
        image_id, backup_id = templates(emu.url)
        project = uuid.uuid4().hex
        ids: list[str] = []
        p50s: dict[tuple[int, str], float] = {}
        keysets: dict[tuple[int, str], float] = {}
        rss_at: dict[int, float] = {}
        for size in sizes:
            ids += grow(emu.db_path, project, image_id, backup_id, len(ids), size)
            deep_image, deep_item = ids[min(DEEP, len(ids) // 2)].split()
            endpoints = {
                "cloudimages first": ("/v2/cloudimages", {"limit": "100"}),
                "cloudimages deep marker": ("/v2/cloudimages", {"limit": "100", "marker": deep_image}),
                "checkpoint_items first": ("/v1/{project_id}/checkpoint_items", {"limit": "100"}),
                "checkpoint_items deep marker": ("/v1/{project_id}/checkpoint_items",
                                                 {"limit": "100", "marker": deep_item}),
            }
            big = size >= 100_000  # bounded: a full scan takes seconds there
            for name, (path, query) in endpoints.items():
                raw = common.signed_raw(emu.url, project, "GET", path, query)
                lat = measure(emu.url, raw, min(reps, 2) if big else reps, warm=not big)
                pids = emu.worker_pids()
                rss = max(common.rss_mb(p) for p in pids)
                peak = max(common.rss_mb(p, peak=True) for p in pids)
                p50s[(size, name)] = common.percentile(lat, 50) * 1000
                rss_at[size] = max(rss_at.get(size, 0.0), peak)
                keysets[(size, name)] = keyset_ms(emu.db_path, project, name, query.get("marker"))
                report.rows.append((size, name, p50s[(size, name)], max(lat) * 1000, rss, peak,
                                    keysets[(size, name)]))
        lo, hi = sizes[0], sizes[-1]
        for name in ("cloudimages first", "cloudimages deep marker", "checkpoint_items first",
                     "checkpoint_items deep marker"):
            report.verdict(f"{name}: p50 at {hi} / p50 at {lo}", p50s[(hi, name)] / p50s[(lo, name)], 2.0, "x",
                           False)
        report.verdict(f"peak RSS per worker at {hi}", rss_at[hi], 150.0, "MB", False)
        worst = max(keysets[(hi, n)] / keysets[(lo, n)] for n in endpoints)
        report.notes.append(f"keyset store read (ims_emulator.store.paging): worst p50 at {hi} / p50 at {lo} = "
                            f"{worst:.2f}x (the floor the list routes page through)")
    finally:
        emu.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated store sizes")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    run(tuple(int(s) for s in args.sizes.split(",")), args.reps).print()


if __name__ == "__main__":
    main()
