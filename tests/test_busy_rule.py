"""The busy rule as a table: what holds a server x what is then asked of it, over HTTP.

Each cell uses a fresh stopped server bound (with a helper server) into a fresh CBR vault: the activity is
started with its operation held (`manual`), then the action is asked. A refused action answers its own
documented code; an allowed one is accepted. The table is written out here, not derived from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ims_support import seed_cbr, seed_csbs, seed_server
from tests.support import Api, Control

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
ACTIONS = ("start", "stop", "protect", "checkpoint", "image", "changeos")
# the documented refusal of each action while the server is busy
CODES = {"start": "Ecs.0100", "stop": "Ecs.0100", "protect": "CSBS.6005", "checkpoint": "BackupService.6125",
         "image": "IMG.0136", "changeos": "Ecs.0100"}
TABLE = """
activity                 start stop protect checkpoint image changeos
image-from-ecs             x    x     x        x        x      x
image-from-csbs-backup     x    x     x        x        x      x
image-from-cbr-backup      x    x     x        x        x      x
protect                    .    .     x        x        x      x
checkpoint                 .    .     x        x        x      x
changeos                   x    x     x        x        x      x
"""
REFUSED = {(row.split()[0], action): mark == "x"
           for row in TABLE.strip().splitlines()[1:] for action, mark in zip(ACTIONS, row.split()[1:], strict=True)}
HELD = {"default": "instant", "ims.create_whole_image": "manual", "csbs.protect": "manual",
        "cbr.create_checkpoint": "manual", "ecs.changeos": "manual"}


class Cell:
    """A stopped server (and a helper) in a fresh vault of the project."""

    def __init__(self, api: Api, control: Control, changeos_image: str) -> None:
        self.api, self.control, self.changeos_image = api, control, changeos_image
        self.server = seed_server(control, api.project_id, status="SHUTOFF")["id"]
        helper = seed_server(control, api.project_id, status="SHUTOFF")["id"]
        bound = [{"id": s, "type": "OS::Nova::Server"} for s in (self.server, helper)]
        body = {"vault": {"name": "v", "resources": bound,
                          "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                                      "protect_type": "backup", "size": 10000}}}
        self.vault = self._ok(api.post("/v3/{project_id}/vaults", body))["vault"]["id"]
        self.helper = helper

    @staticmethod
    def _ok(resp: Any) -> Any:
        assert resp.status_code == 200, resp.text
        return resp.json()

    def begin(self, activity: str) -> None:
        """Start the activity; its operation stays pending (manual) for the rest of the cell."""
        pid = self.api.project_id
        if activity == "image-from-ecs":
            self._ok(self.whole({"instance_id": self.server, "vault_id": self.vault}))
        elif activity == "image-from-csbs-backup":
            self._ok(self.whole({"backup_id": seed_csbs(self.control, pid, self.server), "whole_image_type": "CSBS"}))
        elif activity == "image-from-cbr-backup":
            self._ok(self.whole({"backup_id": seed_cbr(self.control, pid, self.server), "whole_image_type": "CBR"}))
        elif activity == "protect":
            self._ok(self.protect())
        elif activity == "checkpoint":
            self._ok(self.checkpoint([self.server]))
        else:
            self._ok(self.changeos())

    def whole(self, body: dict[str, Any]) -> Any:
        return self.api.post("/v1/cloudimages/wholeimages/action", {"name": "w", **body})

    def protect(self) -> Any:
        return self.api.post(f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{self.server}/action", {"protect": {}})

    def checkpoint(self, servers: list[str]) -> Any:
        return self.api.post("/v3/{project_id}/checkpoints",
                             {"checkpoint": {"vault_id": self.vault, "parameters": {"resources": servers}}})

    def changeos(self) -> Any:
        return self.api.post(f"/v2/{{project_id}}/cloudservers/{self.server}/changeos",
                             {"os-change": {"imageid": self.changeos_image}})

    def ask(self, action: str) -> str | None:
        """Ask the action; the refusal code, or None when it is accepted."""
        if action in ("start", "stop"):
            resp = self.api.post("/v1/{project_id}/cloudservers/action",
                                 {f"os-{action}": {"servers": [{"id": self.server}]}})
        elif action == "checkpoint":  # the helper is taken, the busy server listed as skipped with its code
            body = self._ok(self.checkpoint([self.server, self.helper]))
            skipped = {s["id"]: s["code"] for s in body["checkpoint"]["vault"]["skipped_resources"]}
            return skipped.get(self.server)
        else:
            resp = {"protect": self.protect, "changeos": self.changeos,
                    "image": lambda: self.whole({"instance_id": self.server, "vault_id": self.vault})}[action]()
        if resp.status_code == 200:
            return None
        body = resp.json()
        return body.get("error_code") or body["error"]["code"]


@pytest.fixture
def changeos_image(api: Api, control: Control) -> str:
    """An active system image of another server, to change OS with."""
    source = seed_server(control, api.project_id)["id"]
    control.put("/transitions", {"default": "instant"})
    job = api.post("/v2/cloudimages/action", {"name": "os", "instance_id": source}).json()["job_id"]
    entities = api.get(f"/v1/cloudimages/job/{job}").json()["entities"]
    return entities["image_id"]


def test_the_busy_rule_table(api, control, changeos_image):
    wrong = []
    for activity, action in REFUSED:
        control.put("/transitions", HELD)
        cell = Cell(api, control, changeos_image)
        cell.begin(activity)
        got = cell.ask(action)
        want = CODES[action] if REFUSED[(activity, action)] else None
        if got != want:
            wrong.append(f"{activity} x {action}: {got} (want {want})")
    assert wrong == []
    assert len(REFUSED) == 36


@pytest.mark.parametrize("activity", sorted({a for a, _ in REFUSED}))
def test_the_server_is_free_once_the_activity_settles(api, control, changeos_image, activity):
    control.put("/transitions", HELD)
    cell = Cell(api, control, changeos_image)
    cell.begin(activity)
    assert cell.ask("image") == "IMG.0136"
    assert control.post("/settle", {"project_id": api.project_id}).status_code == 200
    assert cell.ask("changeos") is None  # every activity refused it while it ran
