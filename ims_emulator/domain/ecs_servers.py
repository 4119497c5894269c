"""ECS server lifecycle beyond power actions: the status table, delete, reboot, per-server sub-jobs.

Status machine (OTC "ECS Statuses"): BUILD -> ACTIVE (create), ACTIVE <-> SHUTOFF (stop/start),
SHUTOFF -> REBUILD -> ACTIVE (change/reinstall OS), ACTIVE/SHUTOFF -> (task_state deleting) -> gone (404),
a failed nova create -> ERROR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import jobs, servers
from ims_emulator.domain.clock import iso_millis
from ims_emulator.domain.common import busy
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

# status -> (OS-EXT-STS:vm_state, OS-EXT-STS:power_state, OS-EXT-STS:task_state)
STATUS_VIEW: dict[str, tuple[str, int, str | None]] = {
    "ACTIVE": ("active", 1, None), "SHUTOFF": ("stopped", 4, None), "BUILD": ("building", 0, "spawning"),
    "REBUILD": ("stopped", 4, "rebuilding"), "REBOOT": ("active", 1, "rebooting"),
    "HARD_REBOOT": ("active", 1, "rebooting_hard"), "ERROR": ("error", 0, None),
}
STEADY = ("ACTIVE", "SHUTOFF")  # a server in any other status is in the middle of something
DELETE_OP, REBOOT_OP = "ecs.delete", "ecs.reboot"


def shown_status(server: Entity) -> str:
    """The wire status: a stopped server rewriting its system disk shows REBUILD."""
    return "REBUILD" if server.doc.get("task_state") == "rebuilding" else server.doc["status"]


def view_state(server: Entity) -> tuple[str, str, int, str | None]:
    """(status, OS-EXT-STS:vm_state, power_state, task_state) as the server views render them."""
    status = shown_status(server)
    vm_state, power_state, task_state = STATUS_VIEW.get(status, ("active", 1, None))
    return status, vm_state, power_state, server.doc.get("task_state") or task_state


def set_status(server: Entity, status: str, now: float) -> None:
    server.status = server.doc["status"] = status
    server.doc["updated"] = now


def refuse_unsteady(server: Entity) -> None:
    """A server being built, rebuilt, rebooted or deleted takes no other operation (Ecs.0100)."""
    if in_transition(server):
        raise ServiceError("Ecs.0100", f"The server {server.id} is {server.doc.get('task_state') or server.status}; "
                                       "this operation is not allowed now.")


def in_transition(server: Entity) -> bool:
    return server.status not in STEADY or bool(server.doc.get("task_state"))


def task_servers(tx: Tx, task: Task) -> list[Entity]:
    found = (tx.entities.get(servers.SERVER, sid) for sid in task.payload.get("servers", []))
    return [s for s in found if s is not None]


# -- sub-jobs: one per server (createSingleServer, deleteServer, rebootServer) ------------------------

def running_sub_jobs(server_ids: list[str], sub_type: str, now: float) -> dict[str, Any]:
    from ims_emulator.domain.ids import new_job_id
    return {"sub_jobs_total": len(server_ids), "sub_jobs": [
        {"status": "RUNNING", "entities": {"server_id": sid}, "job_id": new_job_id(), "job_type": sub_type,
         "begin_time": iso_millis(now), "end_time": ""} for sid in server_ids]}


def finish_sub_jobs(task: Task, now: float, status: str) -> None:
    failed = status == "FAIL"
    for sub in task.entities.get("sub_jobs", []):
        sub.update(status=status, end_time=iso_millis(now), error_code=task.error_code if failed else None,
                   fail_reason=task.fail_reason if failed else None)


# -- delete ---------------------------------------------------------------------------------------

def delete_servers(tx: Tx, ctx: Ctx, server_ids: list[str], delete_volume: bool) -> Task:
    """All or nothing: every server must be the caller's and steady; they show task_state deleting until
    the job settles, then are gone (404)."""
    found = [servers.get_server(tx, ctx.project_id, sid) for sid in dict.fromkeys(server_ids)]
    for server in found:
        refuse_unsteady(server)
        busy.check(tx, server.id, "delete")
    for server in found:
        server.doc["task_state"] = "deleting"
        tx.entities.update(server)
    ids = [s.id for s in found]
    return jobs.start(tx, ctx, DELETE_OP, entity_kind=servers.SERVER, entity_id=ids[0], resource_id=ids[0],
                      payload={"servers": ids, "delete_volume": delete_volume},
                      entities=running_sub_jobs(ids, "deleteServer", ctx.now))


def remove(tx: Tx, server: Entity, *, delete_data: bool) -> None:
    """The server goes; its system disk with it; data disks too, or they stay detached (available)."""
    for vol in servers.volumes_of(tx, server):
        if vol.doc["bootable"] or delete_data:
            tx.entities.delete(servers.VOLUME, vol.id)
        else:
            vol.ref, vol.status = None, "available"
            tx.entities.update(vol)
    tx.entities.delete(servers.SERVER, server.id)


def _deleted(tx: Tx, task: Task, now: float) -> None:
    for server in task_servers(tx, task):
        remove(tx, server, delete_data=bool(task.payload.get("delete_volume")))
    finish_sub_jobs(task, now, "SUCCESS")


def _delete_failed(tx: Tx, task: Task, now: float) -> None:
    for server in task_servers(tx, task):
        server.doc.pop("task_state", None)
        tx.entities.update(server)
    finish_sub_jobs(task, now, "FAIL")


# -- reboot ---------------------------------------------------------------------------------------

def reboot(tx: Tx, ctx: Ctx, server_ids: list[str], kind: str) -> Task:
    found = [servers.get_server(tx, ctx.project_id, sid) for sid in dict.fromkeys(server_ids)]
    for server in found:
        if server.status != "ACTIVE" or server.doc.get("task_state"):
            raise ServiceError("Ecs.0100", f"Only a running server can be rebooted; {server.id} is {server.status}.")
        busy.check(tx, server.id, "reboot")
    for server in found:
        set_status(server, "HARD_REBOOT" if kind == "HARD" else "REBOOT", ctx.now)
        tx.entities.update(server)
    ids = [s.id for s in found]
    return jobs.start(tx, ctx, REBOOT_OP, entity_kind=servers.SERVER, entity_id=ids[0], resource_id=ids[0],
                      payload={"servers": ids}, entities=running_sub_jobs(ids, "rebootServer", ctx.now))


def _rebooted(tx: Tx, task: Task, now: float) -> None:
    for server in task_servers(tx, task):
        set_status(server, "ACTIVE", now)
        tx.entities.update(server)
    finish_sub_jobs(task, now, "SUCCESS")


def _reboot_failed(tx: Tx, task: Task, now: float) -> None:
    for server in task_servers(tx, task):
        set_status(server, "ACTIVE", now)
        tx.entities.update(server)
    finish_sub_jobs(task, now, "FAIL")


jobs.register(jobs.OpSpec(DELETE_OP, "deleteServers", _deleted, _delete_failed, fail_code="Ecs.0100"))
jobs.register(jobs.OpSpec(REBOOT_OP, "batchRebootServers", _rebooted, _reboot_failed, fail_code="Ecs.0227"))
