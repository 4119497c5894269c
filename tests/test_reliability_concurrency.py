"""Races over real HTTP against `serve --workers 2` (two gunicorn processes, one sqlite file): "only one" rules
hold, read-modify-write loses nothing, and no client ever sees a 5xx or sqlite's "database is locked"."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.reliability_support import PROVIDER, Cloud, error_code, state
from tests.support import Control, SubprocessServer, new_project

PARALLEL = 50
SEEN = {"requests": 0}


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessServer]:
    db = tmp_path_factory.mktemp("race") / "state.db"
    server = SubprocessServer("--workers", "2", "--db", str(db), "--world", "none", "--quiet")
    yield server
    server.stop()
    print(f"\nconcurrency: {SEEN['requests']} parallel requests, none 5xx or locked")


def call(url: str, project: str, method: str, path: str, body: Any = None) -> requests.Response:
    """A fresh connection per call, so gunicorn spreads the calls over both workers."""
    headers = {"X-Auth-Token": "t", "X-Project-Id": project, "Content-Type": "application/json"}
    resp = requests.request(method, url + path.replace("{project_id}", project), headers=headers, timeout=60,
                            data=None if body is None else json.dumps(body))
    assert resp.status_code < 500, resp.text
    assert "locked" not in resp.text.lower() and "sqlite" not in resp.text.lower(), resp.text
    return resp


def race(n: int, fn: Any) -> list[requests.Response]:
    with ThreadPoolExecutor(n) as pool:
        out = list(pool.map(fn, range(n)))
    SEEN["requests"] += n
    return out


def _backed_up(url: str) -> tuple[Cloud, dict[str, Any]]:
    cloud = Cloud(url, new_project())
    server = cloud.seed_server()
    return cloud, cloud.seed_backup(server["id"])


def test_fifty_parallel_full_ecs_images_from_one_backup_make_exactly_one(workers):
    cloud, backup = _backed_up(workers.url)
    body = {"name": "race", "backup_id": backup["id"], "whole_image_type": "CSBS"}
    out = race(PARALLEL, lambda i: call(workers.url, cloud.project_id, "POST", "/v1/cloudimages/wholeimages/action",
                                        {**body, "name": f"race-{i}"}))
    assert Counter(r.status_code for r in out) == {200: 1, 400: PARALLEL - 1}
    assert {error_code(r) for r in out if r.status_code == 400} == {"IMG.0134"}
    images = state(Control(workers.url), cloud.project_id)["images"]
    assert [i["__backup_id"] for i in images] == [backup["id"]]
    assert cloud.quota_used() == 1


def test_parallel_deletes_of_one_image_delete_it_once(workers):
    cloud, backup = _backed_up(workers.url)
    image = _image(cloud, backup["id"])
    out = race(20, lambda _: call(workers.url, cloud.project_id, "DELETE", f"/v2/images/{image}",
                                  {"delete_backup": False}))
    assert Counter(r.status_code for r in out) == {204: 1, 404: 19}  # the native route: gone is 404
    assert {error_code(r) for r in out if r.status_code == 404} == {"IMG.0027"}
    # the backup is free again: exactly one of many new images wins it
    again = race(20, lambda i: call(workers.url, cloud.project_id, "POST", "/v1/cloudimages/wholeimages/action",
                                    {"name": f"again-{i}", "backup_id": backup["id"]}))
    assert Counter(r.status_code for r in again) == {200: 1, 400: 19}


def test_parallel_tag_writes_lose_nothing_and_respect_the_limit(workers):
    cloud, backup = _backed_up(workers.url)
    image = _image(cloud, backup["id"])
    path = f"/v2/{{project_id}}/images/{image}/tags"
    out = race(16, lambda i: call(workers.url, cloud.project_id, "POST", path, {"tag": {"key": f"k{i}", "value": "v"}}))
    assert Counter(r.status_code for r in out) == {204: 10, 400: 6}
    assert {error_code(r) for r in out if r.status_code == 400} == {"IMG.0116"}
    winners = {f"k{i}" for i, r in enumerate(out) if r.status_code == 204}
    tags = call(workers.url, cloud.project_id, "GET", path).json()["tags"]
    assert {t["key"] for t in tags} == winners


def test_parallel_protects_polls_and_lists_stay_consistent(workers):
    cloud = Cloud(workers.url, new_project())
    Control(workers.url).put("/transitions", {"csbs.protect": "polls:3"})
    try:
        servers = [cloud.seed_server()["id"] for _ in range(10)]
        protects = race(10, lambda i: call(workers.url, cloud.project_id, "POST",
                                           f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{servers[i]}/action",
                                           {"protect": {}}))
        assert [r.status_code for r in protects] == [200] * 10
        # the same servers again, while they are still being backed up: every one refused
        busy = race(10, lambda i: call(workers.url, cloud.project_id, "POST",
                                       f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{servers[i]}/action",
                                       {"protect": {}}))
        assert {r.status_code for r in busy} == {400}
        items = [i["id"] for i in cloud.items_of_checkpoint_all()]
        assert len(items) == 10
        reads = race(40, lambda i: call(workers.url, cloud.project_id, "GET",
                                        f"/v1/{{project_id}}/checkpoint_items/{items[i % 10]}"))
        assert {r.status_code for r in reads} == {200}
        final = {i["status"] for i in cloud.items_of_checkpoint_all()}
        assert final == {"available"}  # 4 reads of each item (+ lists) passed the 3-poll budget
    finally:
        Control(workers.url).put("/transitions", {"default": "instant"})


def _image(cloud: Cloud, backup_id: str) -> str:
    resp = cloud.whole_image(backup_id)
    assert resp.status_code == 200, resp.text
    return cloud.job(resp.json()["job_id"]).json()["entities"]["image_id"]


def test_image_creation_racing_backup_deletion_never_both_win(workers):
    """Half the calls make a full-ECS image from a backup, half delete that backup: one side wins, never both."""
    cloud, backup = _backed_up(workers.url)
    Control(workers.url).put("/transitions", {"csbs.delete": "manual"})
    try:
        def attempt(i: int) -> requests.Response:
            if i % 2:
                return call(workers.url, cloud.project_id, "DELETE", f"/v1/{{project_id}}/providers/{PROVIDER}"
                            f"/checkpoints/{backup['checkpoint_id']}?checkpoint_items={backup['id']}")
            return call(workers.url, cloud.project_id, "POST", "/v1/cloudimages/wholeimages/action",
                        {"name": f"race-{i}", "backup_id": backup["id"]})
        out = race(20, attempt)
        made = [r for i, r in enumerate(out) if not i % 2 and r.status_code == 200]
        deleted = [r for i, r in enumerate(out) if i % 2 and r.status_code == 200]
        stored = state(Control(workers.url), cloud.project_id)
        (item,) = stored["backups"]
        if made:
            assert len(made) == 1 and not deleted and item["status"] == "available"
            assert {error_code(r) for i, r in enumerate(out) if i % 2} == {"CSBS.8007"}
        else:
            assert deleted and item["status"] == "deleting" and stored["images"] == []
            assert {error_code(r) for i, r in enumerate(out) if not i % 2} == {"IMG.0132"}
    finally:
        Control(workers.url).put("/transitions", {"default": "instant"})
