"""ECS servers and their EVS volumes: the sources images and backups are made from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import jobs, public_images
from ims_emulator.domain.clock import iso_millis
from ims_emulator.domain.common import busy, ownership, shared_disks
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

SERVER, VOLUME = "server", shared_disks.VOLUME
# (action, from status) -> status once the ECS job settles
POWER = {"os-start": ("SHUTOFF", "ACTIVE"), "os-stop": ("ACTIVE", "SHUTOFF")}
DEFAULT_FLAVOR = {"id": "s6.large.2", "name": "s6.large.2", "vcpus": "2", "ram": "4096", "disk": "0"}


# -- seeding -----------------------------------------------------------------------------

def seed_servers(tx: Tx, ctx: Ctx, project_id: str, servers: list[dict[str, Any]]) -> list[Entity]:
    """Store servers + attached volumes; ids must be new (409 otherwise); all or nothing."""
    seen: set[str] = set()
    for s in servers:
        for kind, id_ in [(SERVER, s["id"])] + [(VOLUME, v["id"]) for v in s.get("volumes", [])]:
            if id_ in seen or tx.entities.exists(kind, id_):
                raise ConflictError(f"{kind} {id_} already exists")
            seen.add(id_)
    return [_insert_server(tx, ctx, project_id, s) for s in servers]


class ConflictError(Exception):
    """Seeding something that exists (control API answers 409)."""


def _insert_server(tx: Tx, ctx: Ctx, project_id: str, s: dict[str, Any]) -> Entity:
    volumes = s.get("volumes", [])
    if volumes and not any(v.get("bootable") for v in volumes):
        volumes[0]["bootable"] = True  # the first disk is the system disk unless one is named
    doc = {
        "id": s["id"], "name": s["name"], "status": s.get("status", "ACTIVE"),
        "flavor": s.get("flavor") or DEFAULT_FLAVOR,
        "image_id": s.get("image_id", public_images.CATALOGUE[0][0]),  # the public CentOS 7.6 image it runs
        "os_type": s.get("os_type", "Linux"), "os_version": s.get("os_version", "CentOS 7.6 64bit"),
        "availability_zone": s.get("availability_zone", f"{ctx.region}a"),
        "private_ip": s.get("private_ip", "192.168.0.10"),
        "volumes": [], "created": ctx.now, "updated": ctx.now,
    }
    data_disks = 0
    for index, v in enumerate(volumes):
        system = bool(v.get("bootable"))
        data_disks += 0 if system else 1
        device = "/dev/vda" if system else f"/dev/vd{chr(ord('a') + data_disks)}"
        doc["volumes"].append(v["id"])
        tx.entities.insert(Entity(VOLUME, v["id"], project_id, ctx.now, status="in-use", ref=s["id"],
                                  name=v.get("name", f"{s['name']}-{'sys' if system else 'data'}-{index}"),
                                  doc={"size": int(v["size"]), "bootable": system,
                                       "shareable": bool(v.get("shareable")), "device": device,
                                       "volume_type": v.get("volume_type", "SSD")}))
    return tx.entities.insert(Entity(SERVER, s["id"], project_id, ctx.now, doc=doc, status=doc["status"],
                                     name=s["name"]))


# -- reads ---------------------------------------------------------------------------------

def get_server(tx: Tx, project_id: str, server_id: str) -> Entity:
    server = ownership.owned(tx, project_id, SERVER, server_id)
    if server is None:
        raise ServiceError("Ecs.0114", id=server_id)
    return server


def volumes_of(tx: Tx, server: Entity) -> list[Entity]:
    """The server's volumes, system disk first, in attachment order."""
    found = {v.id: v for v in tx.entities.list(VOLUME, server.project_id, [("ref", "=", server.id)])}
    ordered = [found[i] for i in server.doc["volumes"] if i in found]
    return sorted(ordered, key=lambda v: not v.doc["bootable"])


is_shared = shared_disks.is_shared  # the one definition lives in domain/common/shared_disks.py
shared_volumes = shared_disks.shared_volumes


def get_volume(tx: Tx, project_id: str, volume_id: str) -> Entity:
    volume = ownership.owned(tx, project_id, VOLUME, volume_id)
    if volume is None:
        raise ServiceError("EVS.2003", id=volume_id)
    return volume


# -- power actions (ECS batch start/stop, an ECS job) ----------------------------------------

def power_action(tx: Tx, ctx: Ctx, action: str, server_ids: list[str]) -> Task:
    from ims_emulator.domain.ecs_servers import refuse_unsteady  # (it imports this module)
    servers = [get_server(tx, ctx.project_id, sid) for sid in server_ids]
    for server in servers:  # the busy rule: an ECS being imaged or changing its OS keeps its power state
        refuse_unsteady(server)  # building, rebuilding, rebooting or being deleted
        busy.check(tx, server.id, "start" if action == "os-start" else "stop")
    op = "ecs.start" if action == "os-start" else "ecs.stop"
    return jobs.start(tx, ctx, op, payload={"servers": server_ids, "action": action},
                      resource_id=server_ids[0] if len(server_ids) == 1 else None,
                      entities={"sub_jobs_total": len(server_ids)})


def _settle_power(tx: Tx, task: Task, now: float) -> None:
    _, to = POWER[task.payload["action"]]
    for sid in task.payload["servers"]:
        server = tx.entities.get(SERVER, sid)
        if server is not None:
            server.status = server.doc["status"] = to
            server.doc["updated"] = now
            tx.entities.update(server)
    _record_sub_jobs(task, now, "SUCCESS")


def _fail_power(tx: Tx, task: Task, now: float) -> None:
    _record_sub_jobs(task, now, "FAIL")


def _record_sub_jobs(task: Task, now: float, status: str) -> None:
    """A batch ECS job reports one sub-job per server (the recorded job body carries them)."""
    sub_type = SUB_JOB_TYPE[task.payload["action"]]
    failed = status == "FAIL"
    task.entities["sub_jobs"] = [
        {"status": status, "entities": {"server_id": sid}, "job_id": f"{task.id[:-4]}{i:04x}",
         "job_type": sub_type, "begin_time": iso_millis(task.created_at), "end_time": iso_millis(now),
         "error_code": task.error_code if failed else None, "fail_reason": task.fail_reason if failed else None}
        for i, sid in enumerate(task.payload["servers"], 1)]


SUB_JOB_TYPE = {"os-start": "startServer", "os-stop": "stopServer"}
jobs.register(jobs.OpSpec("ecs.start", "batchStartServers", _settle_power, _fail_power, fail_code="Ecs.0100"))
jobs.register(jobs.OpSpec("ecs.stop", "batchStopServers", _settle_power, _fail_power, fail_code="Ecs.0100"))
