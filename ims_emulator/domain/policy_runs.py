"""Scheduled policy runs on the virtual clock, lazily: no timers, no threads.

An enabled policy has one "tick" row in the tasks table (op "policy.tick", entity = the policy,
due_at = its next occurrence, payload.last = the instant up to which it has run). The ordinary
lazy settle path (a request of the project, clock/advance, settle, the state dump) finds it due
and calls `_tick`, which runs every occurrence in (last, now] at once through the policy kind's
runner and re-arms the row at the next occurrence after now. The row is the claim: it is re-read
and moved forward inside the same write transaction that writes the backups, so each occurrence
runs exactly once whatever the number of worker processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import clock, jobs, schedules
from ims_emulator.domain.clock import Policy
from ims_emulator.domain.common import busy
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.ids import new_job_id
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

OP = "policy.tick"


@dataclass(frozen=True)
class Runner:
    schedule: Callable[[Entity], tuple[Any, float, bool]]          # policy -> (pattern, start_time, enabled)
    run: Callable[[Tx, Entity, list[float], float], None]        # (tx, policy, occurrences, now)


RUNNERS: dict[str, Runner] = {}  # policy entity kind -> its runner


def register(kind: str, runner: Runner) -> None:
    RUNNERS[kind] = runner


def tick_of(tx: Tx, policy_id: str) -> Task | None:
    task = tx.tasks.pending_for_entity(policy_id)
    return task if task is not None and task.op == OP else None


def arm(tx: Tx, policy: Entity, since: float) -> None:
    """(Re)schedule a policy after a create/update: runs only after `since`; disabled -> no tick."""
    pattern, start, enabled = RUNNERS[policy.kind].schedule(policy)
    task = tick_of(tx, policy.id)
    due = schedules.next_after(pattern, start, since) if enabled else None
    if due is None:
        if task is not None:
            tx.tasks.delete(task.id)
        return
    if task is None:
        tx.tasks.insert(Task(id=new_job_id(), project_id=policy.project_id, op=OP, job_type="policySchedule",
                             status="INIT", policy="manual", created_at=since, due_at=due,
                             entity_kind=policy.kind, entity_id=policy.id, payload={"last": since}))
        return
    task.due_at, task.payload = due, {"last": since}
    tx.tasks.update(task)


def run_due(tx: Tx, policy_id: str, now: float) -> None:
    """Run what is due before a policy changes (whatever the request pipeline settled already)."""
    task = tick_of(tx, policy_id)
    if task is not None:
        _tick(tx, task, now)


def disarm(tx: Tx, policy_id: str) -> None:
    task = tick_of(tx, policy_id)
    if task is not None:
        tx.tasks.delete(task.id)


def _tick(tx: Tx, task: Task, now: float) -> None:
    fresh = tx.tasks.get(task.id)
    if fresh is None or not fresh.pending or fresh.due_at is None or fresh.due_at > now:
        return  # already run up to now (by another worker, or earlier in this transaction)
    policy = tx.entities.get(fresh.entity_kind or "", fresh.entity_id or "")
    if policy is None:
        tx.tasks.delete(fresh.id)
        return
    runner = RUNNERS[policy.kind]
    pattern, start, _ = runner.schedule(policy)
    times = list(schedules.occurrences(pattern, start, fresh.payload["last"], now))
    runner.run(tx, policy, times, now)
    fresh.payload = {"last": now}
    fresh.due_at = schedules.next_after(pattern, start, now)
    tx.tasks.update(fresh)


jobs.register(jobs.OpSpec(OP, "policySchedule", _tick, recurring=_tick))


# -- what runners share --------------------------------------------------------------------------

def ctx_at(tx: Tx, project_id: str, when: float) -> Ctx:
    """The context a scheduled run acts in: the policy's project at the occurrence instant."""
    project = tx.projects.get(project_id) or {}
    return Ctx(now=when, project_id=project_id, region=project.get("region", ""),
               transitions=clock.at_project(clock.load(tx, project_id), project_id, when)[1])  # its own policies


def duration(ctx: Ctx, op: str) -> float | None:
    """Seconds a backup of `op` takes under the transition policy; None if only a poll or settle ends it."""
    policy: Policy = jobs.policy_for(op, ctx.transitions)
    return {"instant": 0.0, "seconds": policy.amount}.get(policy.kind)


def finish_if_due(tx: Tx, task: Task, now: float) -> None:
    """A backup made at a past occurrence whose time is up by now ends at its due time."""
    if task.due_at is not None and task.due_at <= now:
        jobs.settle(tx, task, task.due_at)  # settled "at" its due time: finished_at = occurrence + duration


def busy_until(tx: Tx, server_id: str, action: str, now: float) -> float | None:
    """A server refused `action` because it is busy: when all the work holding it ends on the clock (None:
    some of it ends only on a poll or a settle). Work that ends by `now` is settled here first, at its own
    due time, so the runs after it see the server free, as they would have."""
    tasks = [tx.tasks.pending_for_entity(owner) for owner in busy.holders(tx, server_id, action)]
    if not tasks or any(t is None or t.due_at is None for t in tasks):
        return None
    for task in tasks:
        finish_if_due(tx, task, now)  # type: ignore[arg-type]
    return max(t.due_at for t in tasks)  # type: ignore[union-attr,type-var]
