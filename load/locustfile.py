"""Locust users for the polling paths users load-test: the CSBS -> full-ECS image pipeline, pollers, listers.

Every request is signed by huaweicloudsdkcore's signer (run the server with --auth strict); each user works in
its own project. Start with load/run_load.py (`make load`), or by hand:
    locust -f load/locustfile.py --host http://127.0.0.1:8085
The emulator should run with transitions like {"default": "polls:3"} so pollers see RUNNING before SUCCESS;
this file sets that when the test starts.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import requests
from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from load import common  # noqa: E402

TRANSITIONS = json.loads(os.environ.get("LOAD_TRANSITIONS", '{"default": "polls:3"}'))
MAX_POLLS = 30
ITERATIONS_PER_PROJECT = 100  # stay far below the CSBS backup quota (600 per project)


@events.test_start.add_listener
def _set_transitions(environment: Any, **_: Any) -> None:
    if environment.host:
        common.set_transitions(environment.host, TRANSITIONS)


class Failed(Exception):
    """A step of a flow got an answer a real client would treat as a failure."""


class SignedUser(HttpUser):
    """Signed calls as this user's own project; a failed step ends the current flow."""

    abstract = True
    wait_time = between(0.0, 0.05)

    def on_start(self) -> None:
        self.project = uuid.uuid4().hex

    def call(self, method: str, path: str, name: str, body: Any = None, query: dict[str, Any] | None = None,
             ok: tuple[int, ...] = (200,)) -> Any:
        s = common.sign(self.host, self.project, method, path, body, query)
        with self.client.request(method, s.url, headers=s.headers, data=s.body or None, name=name,
                                 catch_response=True) as resp:
            if resp.status_code not in ok:
                resp.failure(f"{resp.status_code}: {resp.text[:300]}")
                raise Failed(name)
            try:
                data = resp.json() if resp.content else None
            except ValueError:
                resp.failure("answer is not JSON")
                raise Failed(name) from None
            resp.success()
            return data

    def seed_server(self) -> str:
        spec = common.server_spec()
        with self.client.post("/_emulator/seed", json={"project_id": self.project, "servers": [spec]},
                              name="/_emulator/seed", catch_response=True) as resp:
            if resp.status_code != 201:
                resp.failure(f"{resp.status_code}: {resp.text[:300]}")
                raise Failed("seed")
        return spec["id"]

    def poll(self, path: str, name: str, done: Any, key: str | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        """GET `path` until done(body) is true; a flow that never settles is a failure."""
        for _ in range(MAX_POLLS):
            body = self.call("GET", path, name, ok=ok)
            value = body.get(key) if key and isinstance(body, dict) else body
            if done(value):
                return value
        events.request.fire(request_type="POLL", name=name, response_time=0, response_length=0,
                            exception=Failed(f"not settled after {MAX_POLLS} polls"), context={})
        raise Failed(name)

    # -- the steps of the real pipeline ---------------------------------------------------------------
    def backup(self, server_id: str) -> str:
        answer = self.call("POST", common.protect_path(server_id), "csbs protect", {"protect": {}})
        listed = self.call("GET", "/v1/{project_id}/checkpoint_items", "csbs list items (by checkpoint)",
                           query={"checkpoint_id": answer["checkpoint"]["id"]})
        item_id = listed["checkpoint_items"][0]["id"]
        item = self.poll(f"/v1/{{project_id}}/checkpoint_items/{item_id}", "csbs show item (poll)",
                         lambda i: i["status"] in ("available", "error"), key="checkpoint_item")
        if item["status"] != "available":
            raise Failed(f"backup {item_id} ended {item['status']}")
        return item_id

    def whole_image(self, backup_id: str) -> tuple[str, str]:
        answer = self.call("POST", "/v1/cloudimages/wholeimages/action", "ims create whole image",
                           common.whole_image_body(backup_id))
        job = self.poll(f"/v1/{{project_id}}/jobs/{answer['job_id']}", "ims show job (poll)",
                        lambda j: j["status"] in ("SUCCESS", "FAIL"))
        if job["status"] != "SUCCESS":
            raise Failed(f"job {answer['job_id']} failed: {job.get('fail_reason')}")
        return answer["job_id"], job["entities"]["image_id"]


class PipelineUser(SignedUser):
    """seed a server -> CSBS protect -> poll the backup -> full-ECS image -> poll the job -> read -> delete."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.iterations = 0

    @task
    def pipeline(self) -> None:
        self.iterations += 1
        if self.iterations % ITERATIONS_PER_PROJECT == 0:
            self.project = uuid.uuid4().hex
        try:
            backup_id = self.backup(self.seed_server())
            _, image_id = self.whole_image(backup_id)
            image = self.call("GET", f"/v2/images/{image_id}", "glance show image")
            if image["status"] != "active":
                raise Failed(f"image {image_id} is {image['status']}")
            self.call("DELETE", f"/v2/images/{image_id}", "glance delete image (+backup)", {"delete_backup": True},
                      ok=(204,))
            self.poll(f"/v1/{{project_id}}/checkpoint_items/{backup_id}", "csbs show item (poll deletion)",
                      lambda b: b is not None and "checkpoint_item" not in b, ok=(200, 404))
        except Failed:
            pass  # already counted as a failed request


class PollerUser(SignedUser):
    """Hammers the reads pollers make: a job, an image and a backup, all finished."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.ready = False
        try:
            self.backup_id = self.backup(self.seed_server())
            self.job_id, self.image_id = self.whole_image(self.backup_id)
            self.ready = True
        except Failed:
            pass

    @task(3)
    def job(self) -> None:
        if self.ready:
            self.call_quietly("GET", f"/v1/{{project_id}}/jobs/{self.job_id}", "ims show job")

    @task(2)
    def image(self) -> None:
        if self.ready:
            self.call_quietly("GET", f"/v2/images/{self.image_id}", "glance show image")

    @task(1)
    def image_ims(self) -> None:
        if self.ready:
            self.call_quietly("GET", "/v2/cloudimages", "ims list images (by id)", query={"id": self.image_id})

    @task(2)
    def backup_item(self) -> None:
        if self.ready:
            self.call_quietly("GET", f"/v1/{{project_id}}/checkpoint_items/{self.backup_id}", "csbs show item")

    def call_quietly(self, *args: Any, **kw: Any) -> None:
        try:
            self.call(*args, **kw)
        except Failed:
            pass


class ListerUser(SignedUser):
    """Pages GET /v2/cloudimages and GET /v1/{pid}/checkpoint_items with filters, following markers."""

    weight = 1
    IMAGES = 3

    def on_start(self) -> None:
        super().on_start()
        self.ready = False
        try:
            for _ in range(self.IMAGES):
                self.whole_image(self.backup(self.seed_server()))
            self.ready = True
        except Failed:
            pass

    @task
    def images(self) -> None:
        if not self.ready:
            return
        query: dict[str, Any] = {"limit": 2, "__imagetype": "private", "status": "active", "__whole_image": "true"}
        seen = self.pages("/v2/cloudimages", "ims list images (page)", query, "images",
                          lambda body: _marker_of(body.get("next")))
        if seen != self.IMAGES:
            events.request.fire(request_type="CHECK", name="ims list images (page)", response_time=0,
                                response_length=0, exception=Failed(f"paged {seen} images, want {self.IMAGES}"),
                                context={})

    @task
    def backups(self) -> None:
        if not self.ready:
            return
        query: dict[str, Any] = {"limit": 2, "status": "available", "resource_type": "OS::Nova::Server"}
        self.pages("/v1/{project_id}/checkpoint_items", "csbs list items (page)", query, "checkpoint_items",
                   lambda body: _marker_of((body.get("checkpoint_items_links") or [{}])[0].get("href")))

    def pages(self, path: str, name: str, query: dict[str, Any], key: str, next_marker: Any) -> int:
        seen = 0
        try:
            for _ in range(50):
                body = self.call("GET", path, name, query=query)
                seen += len(body[key])
                marker = next_marker(body)
                if not marker:
                    break
                query = {**query, "marker": marker}
        except Failed:
            pass
        return seen


def _marker_of(link: str | None) -> str | None:
    if not link:
        return None
    from urllib.parse import parse_qs, urlsplit
    return (parse_qs(urlsplit(link).query).get("marker") or [None])[0]


if __name__ == "__main__":  # a one-flow check without locust's runner: python load/locustfile.py URL
    url = sys.argv[1]
    common.set_transitions(url, TRANSITIONS)
    c = common.Caller(url, session=requests.Session())
    print(common.make_whole_image(c, common.make_backup(c, common.seed_server(url, c.project))))
