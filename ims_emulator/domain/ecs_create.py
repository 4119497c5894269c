"""ECS create from an IMS image (v1/v1.1 cloudservers: job createServer; nova v2.1: no job on the wire).

The servers exist at once in BUILD with their disks; the job settles them ACTIVE. A failed v1/v1.1 job
rolls back (servers and disks removed, as the reference says v1 does); a failed nova create leaves the
server in ERROR with a fault (nova has no rollback).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import ecs_disks, ecs_servers, flavors, images, jobs, servers
from ims_emulator.domain.clock import iso_seconds
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

OP, NOVA_OP = "ecs.create", "ecs.nova_create"
SERVER_QUOTA = 100  # ECSs per project
MAX_COUNT = 100
NAME = re.compile(r"^[\w\-.\u4e00-\u9fa5]{1,64}$")


def create(tx: Tx, ctx: Ctx, spec: dict[str, Any], *, nova: bool = False, dry_run: bool = False) -> Task | None:
    """Check every rule, then store the servers (BUILD) and start the job; dry_run stops after the checks."""
    count = spec.get("count") or 1
    _check_name(spec["name"], count)
    flavor = flavors.get(spec["flavor_ref"])
    if flavor is None:
        raise ServiceError("Ecs.0029", f"Flavor {spec['flavor_ref']} does not exist.")
    zone = spec.get("availability_zone") or flavors.zones(ctx.region)[0]
    if zone not in flavors.zones(ctx.region):
        raise ServiceError("Ecs.0005", detail=f"availability_zone {zone} does not exist in {ctx.region}")
    img = ecs_disks.usable_image(tx, ctx.project_id, spec["image_ref"])
    _check_image(img, flavor, nova)
    disks = [ecs_disks.system_disk(img, spec["root_volume"])]
    disks += ecs_disks.data_disks(tx, ctx.project_id, img, spec.get("data_volumes") or [])
    used = tx.entities.count(servers.SERVER, ctx.project_id)
    if used + count > SERVER_QUOTA:
        raise ServiceError("Ecs.0001", f"Insufficient ECS quota: {used} of {SERVER_QUOTA} used, {count} requested.")
    if dry_run:
        return None
    made = [_insert(tx, ctx, _name(spec, i, count), flavor, zone, img, disks, used + i) for i in range(count)]
    ids = [s.id for s in made]
    op = NOVA_OP if nova else OP
    return jobs.start(tx, ctx, op, entity_kind=servers.SERVER, entity_id=ids[0], resource_id=ids[0],
                      payload={"servers": ids}, entities=ecs_servers.running_sub_jobs(ids, "createSingleServer",
                                                                                    ctx.now))


def _check_name(name: str, count: int) -> None:
    if not NAME.match(name) or (count > 1 and len(name) > 59):
        raise ServiceError("Ecs.0005", detail="name must be 1-64 letters, digits, '_', '-' or '.' "
                                              "(1-59 when count > 1)")
    if not 1 <= count <= MAX_COUNT:
        raise ServiceError("Ecs.0005", detail=f"count must be 1-{MAX_COUNT}")


def _check_image(img: Entity, flavor: flavors.Flavor, nova: bool) -> None:
    if img.doc.get("virtual_env_type") == "DataImage":
        raise ServiceError("Ecs.0007", f"Image {img.id} is a data disk image; use it as data_image_id.")
    if nova and images.is_whole_image(img):
        raise ServiceError("Ecs.0005", detail="the native API cannot create an ECS from a full-ECS image")
    if int(img.doc.get("min_ram") or 0) > flavor.ram:
        raise ServiceError("Ecs.0005", "The flavor does not match the image.")


def _name(spec: dict[str, Any], index: int, count: int) -> str:
    if count == 1 or spec.get("is_auto_rename") is False:
        return spec["name"]
    return f"{spec['name']}-{index + 1:04d}"


def _insert(tx: Tx, ctx: Ctx, name: str, flavor: flavors.Flavor, zone: str, img: Entity,
            disks: list[dict[str, Any]], ordinal: int) -> Entity:
    server_id = new_uuid()
    volumes = [{"id": new_uuid(), "size": d["size"], "bootable": d.get("bootable", False),
                "shareable": d.get("shareable", False), "volume_type": d["volume_type"]} for d in disks]
    spec = {"id": server_id, "name": name, "status": "BUILD", "flavor": flavors.server_flavor(flavor),
            "image_id": img.id, "os_type": img.doc.get("__os_type", "Linux"),
            "os_version": img.doc.get("__os_version", ""), "availability_zone": zone,
            "private_ip": f"192.168.{(ordinal // 200) % 256}.{ordinal % 200 + 20}", "volumes": volumes}
    server = servers.seed_servers(tx, ctx, ctx.project_id, [spec])[0]
    for vol, disk in zip(volumes, disks, strict=True):  # where each disk came from, as EVS shows it
        entity = tx.entities.get(servers.VOLUME, vol["id"])
        if entity is not None:
            entity.status = "creating"
            entity.doc.update(image_id=disk.get("image_id") or (img.id if disk.get("bootable") else None),
                              restored_from=disk.get("restored_from"), updated_at=iso_seconds(ctx.now))
            tx.entities.update(entity)
    return server


def _done(tx: Tx, task: Task, now: float) -> None:
    for server in ecs_servers.task_servers(tx, task):
        ecs_servers.set_status(server, "ACTIVE", now)
        tx.entities.update(server)
        for vol in servers.volumes_of(tx, server):
            vol.status = "in-use"
            tx.entities.update(vol)
    ecs_servers.finish_sub_jobs(task, now, "SUCCESS")


def _failed(tx: Tx, task: Task, now: float) -> None:
    for server in ecs_servers.task_servers(tx, task):
        if task.op == NOVA_OP:  # no rollback: the server stays, in ERROR, with the fault
            ecs_servers.set_status(server, "ERROR", now)
            server.doc["fault"] = {"code": 500, "message": task.fail_reason or "", "created": iso_seconds(now),
                                   "details": task.error_code or ""}
            tx.entities.update(server)
        else:  # v1/v1.1 roll a failed create back
            ecs_servers.remove(tx, server, delete_data=True)
    ecs_servers.finish_sub_jobs(task, now, "FAIL")


jobs.register(jobs.OpSpec(OP, "createServer", _done, _failed, fail_code="Ecs.0204"))
jobs.register(jobs.OpSpec(NOVA_OP, "createServer", _done, _failed, fail_code="Ecs.0204"))
