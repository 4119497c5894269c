"""ECS change OS with an IMS image: only the system disk is rewritten (data disks stay as they are)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.domain import images, jobs, servers
from emulator.domain.clock import iso_seconds
from emulator.domain.common import busy
from emulator.domain.context import Ctx
from emulator.domain.errors import ServiceError
from emulator.domain.records import Task

if TYPE_CHECKING:
    from emulator.store import Tx

OP = "ecs.changeos"


def change_os(tx: Tx, ctx: Ctx, server_id: str, image_id: str) -> Task:
    server = servers.get_server(tx, ctx.project_id, server_id)
    try:
        img = images.get_image(tx, ctx.project_id, image_id)
    except ServiceError:
        raise ServiceError("Ecs.0005", detail=f"image {image_id} not found") from None
    if img.status != "active":
        raise ServiceError("Ecs.0005", detail=f"image {image_id} is not active")
    if img.doc.get("virtual_env_type") == "DataImage":
        raise ServiceError("Ecs.0005", detail=f"image {image_id} is a data disk image")
    busy.check(tx, server.id, "changeos")
    task = jobs.start(tx, ctx, OP, entity_kind=servers.SERVER, entity_id=server.id, resource_id=server.id,
                      payload={"image_id": img.id})
    busy.hold(tx, server.id, busy.CHANGEOS, "task", task.id, ctx.project_id)
    return task


def _failed(tx: Tx, task: Task, now: float) -> None:
    busy.release(tx, task.entity_id or "", busy.CHANGEOS, task.id)


def _done(tx: Tx, task: Task, now: float) -> None:
    busy.release(tx, task.entity_id or "", busy.CHANGEOS, task.id)
    server = tx.entities.get(servers.SERVER, task.entity_id or "")
    img = tx.entities.get(images.KIND, task.payload["image_id"])
    if server is None or img is None:
        raise ServiceError("Ecs.0100", "The server or image no longer exists.")
    server.doc.update(image_id=img.id, os_version=img.doc.get("__os_version", ""),
                      os_type=img.doc.get("__os_type", "Linux"), updated=now)
    tx.entities.update(server)
    system = next((v for v in servers.volumes_of(tx, server) if v.doc["bootable"]), None)
    if system is not None:  # the system disk is re-imaged (grown to the image's min_disk if smaller)
        system.doc["size"] = max(int(system.doc["size"]), int(img.doc.get("min_disk") or 0))
        system.doc["image_id"] = img.id
        system.doc["updated_at"] = iso_seconds(now)
        tx.entities.update(system)


jobs.register(jobs.OpSpec(OP, "changeOS", _done, _failed, fail_code="Ecs.0100"))
