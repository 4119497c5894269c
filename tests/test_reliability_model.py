"""Model-checked rules: a hypothesis state machine drives the HTTP API with random sequences of calls
(seed servers with and without shared disks, back up, make full-ECS images, settle, delete with or without the
backup, copy/export/share attempts, move the clock, inject job failures, probe from another project) and checks
every answer and the stored state against a small reference model of the rules.

IMS_EMULATOR_DEEP=1 (make test-deep) runs many more and longer sequences.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule

from tests.reliability_support import DEEP, Cloud, error_code, state
from tests.support import Control, InProcessServer, new_project

# the documented image statuses a full-ECS image may move through (from -> allowed next)
IMAGE_TRANSITIONS = {"queued": {"queued", "saving", "active", "killed"}, "saving": {"saving", "active", "killed"},
                     "active": {"active"}, "killed": {"killed"}}
# CSBS timers far longer than any run (wall time moves the virtual clock too): only advance_clock settles them
TRANSITIONS = {"default": "instant", "ims.create_whole_image": "manual", "csbs.protect": "seconds:3600",
               "csbs.delete": "seconds:1800"}
VAULT_BODY = {"vault": {"name": "model", "resources": [], "billing": {
    "consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup", "size": 100}}}
ADVANCE = 3601  # one clock step settles every CSBS timer started before it
EXAMPLES = {"examples": 0, "steps": 0}


def refused(resp: Any, code: str) -> None:
    """A 4xx in the service's own body format with this code (its HTTP status comes from the catalogue)."""
    assert 400 <= resp.status_code < 500 and error_code(resp) == code, (code, resp.status_code, resp.text)


@dataclasses.dataclass
class Backup:
    id: str
    checkpoint: str
    server: str
    shared: bool
    status: str                 # available | error | protecting | deleting | gone
    image: str | None = None    # the live (not killed, not deleted) image made from it


@dataclasses.dataclass
class Image:
    id: str
    backup: str | None          # the CSBS backup it was made from (None: made from an ECS, via its own CBR backup)
    job: str
    final: str                  # active | killed: what the job will end in
    server: str | None = None   # the ECS it is being made from (holds the server until the job ends)
    settled: bool = False
    seen: str = "queued"
    deleted: bool = False


SERVER = None


def _server() -> InProcessServer:
    global SERVER
    if SERVER is None:
        SERVER = InProcessServer()
    return SERVER


class ImageRules(RuleBasedStateMachine):
    servers = Bundle("servers")
    backups = Bundle("backups")
    images = Bundle("images")

    def __init__(self) -> None:
        super().__init__()
        self.url = _server().url
        self.control = Control(self.url)
        self.cloud = Cloud(self.url, new_project())
        self.other = Cloud(self.url, new_project())
        made = self.cloud.post("/v3/{project_id}/vaults", VAULT_BODY)
        assert made.status_code == 200, made.text
        self.vault = made.json()["vault"]["id"]  # a full-ECS image from an ECS backs it up into the caller's vault
        self.model_backups: dict[str, Backup] = {}
        self.model_images: dict[str, Image] = {}
        self.busy: set[str] = set()     # servers with a backup still protecting
        self.fail_armed = False
        EXAMPLES["examples"] += 1

    # -- world ------------------------------------------------------------------------------------
    @initialize(target=servers)
    def first_servers(self) -> Any:
        """Every sequence starts with one plain server and one with a shareable data disk."""
        return multiple(*((self.cloud.seed_server(shared=shared)["id"], shared) for shared in (False, True)))

    @initialize(target=backups)
    def first_backup(self) -> str:
        spec = self.cloud.seed_server()
        seeded = self.cloud.seed_backup(spec["id"])
        return self._track(Backup(seeded["id"], seeded["checkpoint_id"], spec["id"], False, "available"))

    @rule(target=servers, shared=st.booleans())
    def add_server(self, shared: bool) -> tuple[str, bool]:
        return self.cloud.seed_server(shared=shared)["id"], shared

    @rule(target=backups, server=servers)
    def protect(self, server: tuple[str, bool]) -> Any:
        server_id, shared = server
        resp = self.cloud.protect(server_id)
        if shared:
            refused(resp, "CSBS.6010")
            return multiple()
        if server_id in self.busy or self._imaged(server_id):
            refused(resp, "CSBS.6005")  # backed up already, or a full-ECS image is made from it or its backup
            return multiple()
        assert resp.status_code == 200, resp.text
        (item,) = self.cloud.items_of_checkpoint(resp.json()["checkpoint"]["id"])
        assert item["status"] == "protecting"
        self.busy.add(server_id)
        return self._track(Backup(item["id"], item["checkpoint_id"], server_id, False, "protecting"))

    @rule(target=backups, server=servers, status=st.sampled_from(["available", "error"]))
    def seed_backup(self, server: tuple[str, bool], status: str) -> str:
        seeded = self.cloud.seed_backup(server[0], status)
        return self._track(Backup(seeded["id"], seeded["checkpoint_id"], server[0], server[1], status))

    def _imaged(self, server_id: str) -> bool:
        """A full-ECS image is being made from the server, or from one of its backups (the busy rule)."""
        return any(not i.settled and not i.deleted and (i.server == server_id or (
            i.backup is not None and self.model_backups[i.backup].server == server_id))
            for i in self.model_images.values())

    def _track(self, backup: Backup) -> str:
        self.model_backups[backup.id] = backup
        return backup.id

    @rule()
    def advance_clock(self) -> None:
        assert self.control.post("/clock/advance", {"seconds": ADVANCE}).status_code == 200
        self._csbs_timers_done()

    def _csbs_timers_done(self) -> None:
        for b in self.model_backups.values():
            b.status = {"protecting": "available", "deleting": "gone"}.get(b.status, b.status)
        self.busy.clear()

    @precondition(lambda self: not self.fail_armed)
    @rule()
    def inject_job_failure(self) -> None:
        resp = self.control.post("/faults", {"operations": ["ims.create_whole_image"], "action": "fail_job",
                                             "project_id": self.cloud.project_id, "times": 1})
        assert resp.status_code == 201, resp.text
        self.fail_armed = True

    @rule()
    def settle_jobs(self) -> None:
        """POST /_emulator/settle: every pending task of the project ends now (CSBS ones too)."""
        assert self.control.post("/settle", {"project_id": self.cloud.project_id}).status_code == 200
        self._csbs_timers_done()
        for img in self.model_images.values():
            self._settled(img)

    def _settled(self, img: Image) -> None:
        if img.settled or img.deleted:
            return
        img.settled = True
        if img.final == "killed" and img.backup:  # a failed job releases the backup
            self.model_backups[img.backup].image = None

    # -- full-ECS images ------------------------------------------------------------------------------
    @rule(target=images, backup=backups)
    def create_whole_image(self, backup: str) -> Any:
        b = self.model_backups[backup]
        before = state(self.control, self.cloud.project_id)
        resp = self.cloud.whole_image(backup)
        expected = self._refusal(b)
        event(f"from backup: {expected or resp.status_code}")
        if expected is not None:
            refused(resp, expected)
            assert state(self.control, self.cloud.project_id) == before  # nothing stored
            return multiple()
        assert resp.status_code == 200, resp.text
        job = resp.json()["job_id"]
        body = self.cloud.job(job).json()
        assert body["status"] == "RUNNING", body
        img = Image(body["entities"]["image_id"], backup, job, "killed" if self.fail_armed else "active")
        self.fail_armed = False
        self.model_images[img.id] = img
        b.image = img.id
        return img.id

    @rule(target=images, server=servers)
    def create_whole_image_from_ecs(self, server: tuple[str, bool]) -> Any:
        """From an ECS (a CBR backup is made first); never with a shared disk, one at a time per server, and
        never while CSBS is backing the server up or an image is made from one of its backups."""
        server_id, shared = server
        before = state(self.control, self.cloud.project_id)
        resp = self.cloud.post("/v1/cloudimages/wholeimages/action",
                               {"name": "from-ecs", "instance_id": server_id, "vault_id": self.vault})
        event(f"from ECS: {resp.status_code}")
        if shared or self._imaged(server_id) or server_id in self.busy:
            refused(resp, "IMG.0126" if shared else "IMG.0136")
            assert state(self.control, self.cloud.project_id) == before
            return multiple()
        assert resp.status_code == 200, resp.text
        job = resp.json()["job_id"]
        body = self.cloud.job(job).json()
        assert body["status"] == "RUNNING" and body["job_type"] == "imsCreateWholeImageByInstanceJob", body
        img = Image(body["entities"]["image_id"], None, job, "killed" if self.fail_armed else "active", server_id)
        self.fail_armed = False
        self.model_images[img.id] = img
        return img.id

    @staticmethod
    def _refusal(b: Backup) -> str | None:
        if b.status == "gone":
            return "IMG.0127"
        if b.status != "available" or b.shared:
            return "IMG.0132"
        if b.image is not None:
            return "IMG.0134"
        return None

    @rule(image=images)
    def poll_job(self, image: str) -> None:
        img = self.model_images[image]
        body = self.cloud.job(img.job).json()
        if not img.settled:
            assert body["status"] in ("INIT", "RUNNING"), body
        else:
            assert body["status"] == {"active": "SUCCESS", "killed": "FAIL"}[img.final], body
            if img.final == "killed":
                assert body["error_code"] == "IMG.0014", body

    @rule(image=images)
    def show_image(self, image: str) -> None:
        img = self.model_images[image]
        resp = self.cloud.image(image)
        if img.deleted:
            refused(resp, "IMG.0027")
            return
        assert resp.status_code == 200, resp.text
        status = resp.json()["status"]
        assert status in IMAGE_TRANSITIONS[img.seen], (img.seen, status)
        assert status == (img.final if img.settled else status), (img, status)
        if not img.settled:
            assert status in ("queued", "saving"), status
        img.seen = status

    @rule(image=images, delete_backup=st.booleans())
    def delete_image(self, image: str, delete_backup: bool) -> None:
        img = self.model_images[image]
        resp = self.cloud.delete_image(image, delete_backup)
        event(f"delete image: {resp.status_code} {error_code(resp) or ''}")
        if img.deleted:
            refused(resp, "IMG.0027")
            return
        if not img.settled:
            refused(resp, "IMG.0090")
            return
        if img.backup is None:  # its own CBR backup goes with it if asked (it was never shared with anything)
            assert resp.status_code == 204, resp.text
            img.deleted = True
            return
        b = self.model_backups[img.backup]
        other_image = b.image not in (None, img.id)
        if delete_backup and b.status != "gone" and (other_image or b.status not in ("available", "error")):
            refused(resp, "IMG.0176")
            return
        assert resp.status_code == 204, resp.text
        img.deleted = True
        if b.image == img.id:
            b.image = None
        if delete_backup and b.status != "gone":
            b.status = "deleting"

    @rule(backup=backups)
    def delete_backup(self, backup: str) -> None:
        b = self.model_backups[backup]
        resp = self.cloud.delete_backup(b.id, b.checkpoint)
        if b.status == "gone":
            refused(resp, "CSBS.3001")
        elif b.status == "deleting":
            assert resp.status_code == 200, resp.text
        elif b.image is not None:
            refused(resp, "CSBS.8007")
        elif b.status == "protecting":
            refused(resp, "CSBS.2003")
        else:
            assert resp.status_code == 200, resp.text
            b.status = "deleting"

    @rule(image=images, how=st.sampled_from(["copy", "export", "share"]))
    def forbidden_on_full_ecs_image(self, image: str, how: str) -> None:
        img = self.model_images[image]
        before = state(self.control, self.cloud.project_id)
        if how == "copy":
            resp = self.cloud.post(f"/v1/cloudimages/{image}/copy", {"name": "copy"})
        elif how == "export":
            resp = self.cloud.post(f"/v1/cloudimages/{image}/file", {"bucket_url": "b:x.qcow2", "file_format": "qcow2"})
        else:
            resp = self.cloud.post(f"/v2/images/{image}/members", {"member": self.other.project_id})
        # a gone image is not found; sharing needs an active image first; else each use has its full-ECS refusal
        active = img.settled and img.final == "active"
        code = {"copy": "IMG.0130", "export": "IMG.0128", "share": "IMG.0135" if active else "IMG.0046"}[how]
        refused(resp, "IMG.0027" if img.deleted else code)
        assert state(self.control, self.cloud.project_id) == before

    @rule(image=images, verb=st.sampled_from(["GET", "DELETE", "PATCH"]))
    def other_project_cannot_touch(self, image: str, verb: str) -> None:
        body = {"delete_backup": True} if verb == "DELETE" else None
        if verb == "PATCH":
            body = [{"op": "replace", "path": "/name", "value": "stolen"}]
        resp = self.other.call(verb, f"/v2/images/{image}", body,
                               headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
        refused(resp, "IMG.0027")

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def stored_state_matches_the_model(self) -> None:
        EXAMPLES["steps"] += 1
        mine = state(self.control, self.cloud.project_id) or {"images": [], "backups": []}
        live = [i for i in self.model_images.values() if not i.deleted]
        stored = {i["id"]: i for i in mine["images"]}
        assert set(stored) == {i.id for i in live}          # deleted things stay gone, nothing extra
        per_backup: dict[str, int] = {}
        imaging = {i.server for i in live if i.server and not i.settled}
        pending = [i for i in stored.values() if i["status"] in ("queued", "saving")]
        assert len(pending) == sum(not i.settled for i in live)
        assert len(imaging) == sum(bool(i.server) and not i.settled for i in live)  # one at a time per server
        for img in stored.values():
            if img["status"] != "killed":
                per_backup[img["__backup_id"]] = per_backup.get(img["__backup_id"], 0) + 1
        assert all(n == 1 for n in per_backup.values()), per_backup  # one image per backup
        backups = {b["id"] for b in mine["backups"]}
        assert backups == {b.id for b in self.model_backups.values() if b.status != "gone"}
        theirs = state(self.control, self.other.project_id)
        assert not theirs or (theirs["images"] == [] and theirs["backups"] == [])

    @invariant()
    def quota_counts_the_images(self) -> None:
        live = sum(not i.deleted for i in self.model_images.values())
        assert self.cloud.quota_used() == live
        assert len(self.cloud.images()) == live
        assert self.other.quota_used() == 0


ImageRules.TestCase.settings = settings(
    max_examples=int(os.environ.get("IMS_EMULATOR_MODEL_EXAMPLES", 100 if DEEP else 20)),
    stateful_step_count=60 if DEEP else 25, deadline=None, database=None, derandomize=not DEEP,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.target] if not DEEP else list(Phase))


@pytest.fixture(scope="module", autouse=True)
def private_server() -> Iterator[None]:
    """The machine moves the clock and sets transitions: a private server keeps that from other modules."""
    server = _server()
    Control(server.url).put("/transitions", TRANSITIONS)
    yield
    print(f"\nstate machine: {EXAMPLES['examples']} examples, {EXAMPLES['steps']} checked steps")
    server.stop()


TestImageRules = ImageRules.TestCase
