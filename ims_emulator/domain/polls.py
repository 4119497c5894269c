"""Which reads count as a poll: one table, from the kind of resource a read names to the pending tasks
it polls (a polls:N task settles on its Nth poll). Routes name a target in `@operation(polls=...)`;
the request pipeline applies it before the route runs, whichever service the route belongs to.

A target resolves the resource the way the route does (same visibility: a caller that may not read
the resource gets the route's own not-found and nothing is polled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ims_emulator.domain import backups, cbr_backups, cbr_migration, ecs_servers, images, jobs, servers
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.jobs import working_on
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

# (tx, caller project, resource id or None) -> the tasks a read of it depends on
PollTarget = Callable[["Tx", str, "str | None"], list[Task]]
BEING_MADE = ("queued", "saving")          # an image whose job is still running
CBR_PENDING = ("protecting", "deleting")   # a CBR backup whose checkpoint or deletion is still running


def job(tx: Tx, caller: str, job_id: str | None) -> list[Task]:
    task = tx.tasks.get(job_id or "", caller)
    return [task] if task is not None else []


def image(tx: Tx, caller: str, image_id: str | None) -> list[Task]:
    """An image the caller cannot see polls nothing: the route answers its own not-found (Glance: 404)."""
    try:
        img = images.get_image(tx, caller, image_id or "")
    except ServiceError:
        return []
    return working_on(tx, img.id) if img.status in BEING_MADE else []


def ecs_server(tx: Tx, caller: str, server_id: str | None) -> list[Task]:
    """A server being created, rebuilt, rebooted or deleted: its read polls that job."""
    server = servers.get_server(tx, caller, server_id or "")
    return working_on(tx, server.id) if ecs_servers.in_transition(server) else []


def csbs_item(tx: Tx, caller: str, item_id: str | None) -> list[Task]:
    item = backups.get_item(tx, caller, item_id or "")
    return working_on(tx, item.id) if item is not None else []


def cbr_checkpoint(tx: Tx, caller: str, checkpoint_id: str | None) -> list[Task]:
    return working_on(tx, cbr_backups.get_checkpoint(tx, caller, checkpoint_id or "").id)


def _cbr_work(tx: Tx, rows: list[Entity]) -> list[Task]:
    """A protecting backup is made by its checkpoint's task; a deleting one by its own."""
    out: dict[str, Task] = {}
    for b in rows:
        if b.status == "protecting":
            out.update((t.id, t) for t in working_on(tx, b.doc.get("checkpoint_id")))
        elif b.status == "deleting":
            out.update((t.id, t) for t in working_on(tx, b.id))
    return list(out.values())


def cbr_backup(tx: Tx, caller: str, backup_id: str | None) -> list[Task]:
    return _cbr_work(tx, [cbr_backups.readable(tx, caller, backup_id or "")])


def cbr_backups_listed(tx: Tx, caller: str, _: str | None) -> list[Task]:
    """A list read polls each of the caller's backups still being made or deleted (once per task)."""
    return _cbr_work(tx, tx.entities.list(cbr_backups.KIND, caller, [("status", "in", list(CBR_PENDING))]))


def cbr_migration_status(tx: Tx, caller: str, _: str | None) -> list[Task]:
    record = cbr_migration.latest(tx, caller)
    task = tx.tasks.get(record.doc.get("task_id", "")) if record is not None else None
    return [task] if task is not None else []


TARGETS: dict[str, PollTarget] = {
    "job": job,
    "image": image,
    "ecs.server": ecs_server,
    "csbs.item": csbs_item,
    "cbr.checkpoint": cbr_checkpoint,
    "cbr.backup": cbr_backup,
    "cbr.backups": cbr_backups_listed,
    "cbr.migration": cbr_migration_status,
}


def pending(tx: Tx, target: str, caller: str, resource_id: str | None) -> list[Task]:
    """The pending tasks a read would poll (nothing written)."""
    return [t for t in TARGETS[target](tx, caller, resource_id) if t.pending]


def poll_read(tx: Tx, target: str, caller: str, resource_id: str | None, now: float) -> list[Task]:
    """A read of the resource: one poll of each pending task it depends on (polls:N may settle it)."""
    return [jobs.poll(tx, t, now) for t in pending(tx, target, caller, resource_id)]
