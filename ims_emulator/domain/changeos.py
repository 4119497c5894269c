"""ECS change OS (v1 and v2 changeos) and reinstall OS with an IMS image: only the system disk is rewritten
(data disks stay as they are, also with a full-ECS image).

Allowed states (ECS reference): a stopped server, or one whose previous OS change/reinstall failed; a
running one only with `mode: withStopServer` (the SDK's option: the service stops it first). Meanwhile the
server shows REBUILD (stored stopped, task_state rebuilding, so other services see a stopped server that is
busy); afterwards it is in the state it was asked in (stopped, or running again after withStopServer); a
failed change leaves it stopped and marked so the change can be retried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import ecs_servers, images, jobs, public_images, servers
from ims_emulator.domain.clock import iso_seconds
from ims_emulator.domain.common import busy
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

OP = "ecs.changeos"
REINSTALL_OP = "ecs.reinstallos"
FAILED_FLAG = "os_change_failed"
REBUILDING = "rebuilding"  # task_state while the system disk is rewritten: the server shows REBUILD


def change_os(tx: Tx, ctx: Ctx, server_id: str, image_id: str, option: dict[str, Any] | None = None,
              *, cloud_init: bool = True, op: str = OP) -> Task:
    option = option or {}
    server = servers.get_server(tx, ctx.project_id, server_id)
    check_credentials(option, cloud_init)
    try:
        img = images.get_image(tx, ctx.project_id, image_id)
    except ServiceError:
        raise ServiceError("Ecs.0005", detail=f"image {image_id} not found") from None
    if img.status != "active":
        raise ServiceError("Ecs.0005", detail=f"image {image_id} is not active")
    if img.doc.get("virtual_env_type") == "DataImage":
        raise ServiceError("Ecs.0005", detail=f"image {image_id} is a data disk image")
    return _start(tx, ctx, server, img.id, option, op)


def reinstall_os(tx: Tx, ctx: Ctx, server_id: str, option: dict[str, Any], *, cloud_init: bool = True) -> Task:
    """Reinstall = change OS to the image the server runs now."""
    server = servers.get_server(tx, ctx.project_id, server_id)
    return change_os(tx, ctx, server_id, server.doc["image_id"], option, cloud_init=cloud_init, op=REINSTALL_OP)


def check_credentials(option: dict[str, Any], cloud_init: bool) -> None:
    """SDK rules: with Cloud-Init not both adminpass and keyname; without it, one of them is needed."""
    both = bool(option.get("adminpass")) and bool(option.get("keyname"))
    if cloud_init and both:
        raise ServiceError("Ecs.0005", detail="adminpass and keyname cannot both be given")
    if not cloud_init and not (option.get("adminpass") or option.get("keyname")):
        raise ServiceError("Ecs.0005", detail="adminpass or keyname is required")


def _start(tx: Tx, ctx: Ctx, server: Entity, image_id: str, option: dict[str, Any], op: str) -> Task:
    ecs_servers.refuse_unsteady(server)
    allowed = (server.status == "SHUTOFF" or server.doc.get(FAILED_FLAG)
               or (server.status == "ACTIVE" and option.get("mode") == "withStopServer"))
    if not allowed:
        raise ServiceError("Ecs.0100", f"The server {server.id} is {server.status}: only a stopped ECS (or one "
                                       "whose OS change failed) can change its OS, or send mode withStopServer.")
    if not any(v.doc["bootable"] for v in servers.volumes_of(tx, server)):
        raise ServiceError("Ecs.0105", f"The server {server.id} has no system disk.")
    busy.check(tx, server.id, "changeos")
    server.doc.update(task_state=REBUILDING, restart_after=server.status == "ACTIVE")
    ecs_servers.set_status(server, "SHUTOFF", ctx.now)  # withStopServer: the service stops it first
    tx.entities.update(server)
    task = jobs.start(tx, ctx, op, entity_kind=servers.SERVER, entity_id=server.id, resource_id=server.id,
                      payload={"image_id": image_id})
    busy.hold(tx, server.id, busy.CHANGEOS, "task", task.id, ctx.project_id)
    return task


def _done(tx: Tx, task: Task, now: float) -> None:
    busy.release(tx, task.entity_id or "", busy.CHANGEOS, task.id)
    server = tx.entities.get(servers.SERVER, task.entity_id or "")
    img = tx.entities.get(images.KIND, task.payload["image_id"]) or public_images.get(task.payload["image_id"])
    if server is None or img is None:
        raise ServiceError("Ecs.0100", "The server or image no longer exists.")
    server.doc.update(image_id=img.id, os_version=img.doc.get("__os_version", ""),
                      os_type=img.doc.get("__os_type", "Linux"), updated=now)
    server.doc.pop(FAILED_FLAG, None)
    server.doc.pop("task_state", None)
    ecs_servers.set_status(server, "ACTIVE" if server.doc.pop("restart_after", False) else "SHUTOFF", now)
    tx.entities.update(server)
    system = next((v for v in servers.volumes_of(tx, server) if v.doc["bootable"]), None)
    if system is not None:  # the system disk is re-imaged (grown to the image's min_disk if smaller)
        system.doc["size"] = max(int(system.doc["size"]), int(img.doc.get("min_disk") or 0))
        system.doc["image_id"] = img.id
        system.doc["updated_at"] = iso_seconds(now)
        tx.entities.update(system)


def _failed(tx: Tx, task: Task, now: float) -> None:
    busy.release(tx, task.entity_id or "", busy.CHANGEOS, task.id)
    server = tx.entities.get(servers.SERVER, task.entity_id or "")
    if server is None:
        return
    server.doc[FAILED_FLAG] = True
    server.doc.pop("task_state", None)
    server.doc.pop("restart_after", None)
    ecs_servers.set_status(server, "SHUTOFF", now)
    tx.entities.update(server)


jobs.register(jobs.OpSpec(OP, "changeOS", _done, _failed, fail_code="Ecs.0100"))
jobs.register(jobs.OpSpec(REINSTALL_OP, "reinstallOS", _done, _failed, fail_code="Ecs.0100"))
