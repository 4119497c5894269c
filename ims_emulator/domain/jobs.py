"""Async work: every long-running operation is a task that settles lazily.

A task is written in the request's transaction with a due time (instant / seconds:X) or a poll
budget (polls:N) or neither (manual). Before any request runs, work that is due settles through
the operation's own handler, whichever project it belongs to and whichever project asks
(`settle_due`, the one entry point). Which reads count as a poll is declared per API operation
(`@operation(polls=...)` naming a target in domain/polls.py) and applied by the request
pipeline. No timers, no threads: it works the same with several worker processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import faults
from ims_emulator.domain.clock import Policy, iso_millis, progress
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_job_id
from ims_emulator.domain.records import Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

Handler = Callable[["Tx", Task, float], None]
Clock = Callable[[str], float]  # project id -> that project's virtual now


@dataclass(frozen=True)
class OpSpec:
    name: str                      # transition/fault name, e.g. "ims.create_whole_image"
    job_type: str                  # wire job_type, e.g. "imsCreateWholeImageByBackupJob"
    on_success: Handler
    on_fail: Handler | None = None
    fail_code: str = "IMG.0014"    # error code a fail_job fault uses when it names none
    # recurring work (a policy's schedule): called with the settling time; it re-arms its own task
    # (due_at = next occurrence) instead of ending, and is no async operation a client sees
    recurring: Handler | None = None


OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    OPS[spec.name] = spec
    return spec


def operation_names() -> list[str]:
    return sorted(name for name, spec in OPS.items() if spec.recurring is None)


def is_recurring(task: Task) -> bool:
    return OPS[task.op].recurring is not None


def policy_for(op: str, transitions: dict[str, str]) -> Policy:
    text = transitions.get(op) or transitions.get(op.split(".", 1)[0] + ".*") or transitions.get("default")
    return Policy.parse(text or "instant")


def start(tx: Tx, ctx: Ctx, op: str, *, entity_kind: str | None = None, entity_id: str | None = None,
          payload: dict[str, Any] | None = None, entities: dict[str, Any] | None = None,
          resource_id: str | None = None, project_id: str | None = None, job_type: str | None = None) -> Task:
    spec = OPS[op]
    policy = policy_for(op, ctx.transitions)
    due = {"instant": ctx.now, "seconds": ctx.now + policy.amount}.get(policy.kind)
    project = project_id or ctx.project_id
    rule = faults.take(tx, "fail_job", op, project, resource_id or entity_id)
    fail_with = None
    if rule is not None:
        fail_with = {"code": rule.get("error_code") or spec.fail_code,
                     "reason": rule.get("message") or "injected failure"}
    task = Task(id=new_job_id(), project_id=project, op=op, job_type=job_type or spec.job_type,
                status="INIT", policy=str(policy), created_at=ctx.now, due_at=due,
                entity_kind=entity_kind, entity_id=entity_id, payload=payload or {},
                entities=entities or {}, fail_with=fail_with)
    return tx.tasks.insert(task)


def fraction(task: Task, now: float) -> float:
    if not task.pending:
        return 1.0
    return progress(Policy.parse(task.policy), task.created_at, now, task.polls_seen)


def poll(tx: Tx, task: Task, now: float) -> Task:
    """A client read of the task (or its entity): counts toward polls:N, may settle it."""
    if not task.pending or is_recurring(task):
        return task
    task.polls_seen += 1
    policy = Policy.parse(task.policy)
    if policy.kind == "polls" and task.polls_seen >= policy.amount:
        return settle(tx, task, now)
    # polls:N: the first read sees the job queued (INIT), the next ones RUNNING (the reference's status list)
    task.status = "INIT" if policy.kind == "polls" and task.polls_seen == 1 else "RUNNING"
    return tx.tasks.update(task)


def working_on(tx: Tx, entity_id: str | None) -> list[Task]:
    """The pending task working on an entity, as a list (what a poll target usually answers)."""
    task = tx.tasks.pending_for_entity(entity_id) if entity_id else None
    return [task] if task else []


def settle(tx: Tx, task: Task, now: float) -> Task:
    """Finish a task now: SUCCESS through the op's handler, or FAIL (fault, or the handler refused)."""
    if not task.pending:
        return task
    spec = OPS[task.op]
    if spec.recurring is not None:
        spec.recurring(tx, task, now)
        return task
    # timed work (seconds:X) ends when it was due, even if nobody looked until later (a clock jump)
    end = min(now, task.due_at) if task.due_at is not None and task.due_at > task.created_at else now
    task.ended_at = max(end, task.created_at)
    if task.fail_with:
        return _fail(tx, spec, task, task.fail_with["code"], task.fail_with["reason"])
    try:
        spec.on_success(tx, task, task.ended_at)
    except ServiceError as exc:
        return _fail(tx, spec, task, exc.code, exc.message)
    task.status = "SUCCESS"
    return tx.tasks.update(task)


def _fail(tx: Tx, spec: OpSpec, task: Task, code: str, reason: str) -> Task:
    task.status, task.error_code, task.fail_reason = "FAIL", code, reason
    if spec.on_fail:
        spec.on_fail(tx, task, task.ended_at or task.created_at)
    return tx.tasks.update(task)


def settle_due(tx: Tx, project_id: str | None, now: float | Clock) -> int:
    """THE entry point for due work: settle every task whose due time has come on its own project's
    clock (`now` a float: one clock for all), of one project or of all of them."""
    now_of: Clock = now if callable(now) else (lambda _project: now)  # type: ignore[assignment,return-value]
    settled = 0
    for task in tx.tasks.timed(project_id, None if callable(now) else now):
        moment = now_of(task.project_id)
        if task.due_at is not None and task.due_at <= moment:
            settle(tx, task, moment)
            settled += 1
    return settled


def settle_pending_by_clock(tx: Tx, project_id: str | None, now_of: Callable[[str], float]) -> list[Task]:
    """settle_pending, each task at its own project's now (due schedules run first, as there)."""
    for task in tx.tasks.timed(project_id):
        if is_recurring(task) and task.due_at is not None and task.due_at <= now_of(task.project_id):
            settle(tx, task, now_of(task.project_id))
    return [settle(tx, task, now_of(task.project_id)) for task in tx.tasks.pending(project_id)
            if not is_recurring(task)]


def settle_pending(tx: Tx, project_id: str | None, now: float) -> list[Task]:
    """Finish everything still pending now, whatever its policy (manual included); due schedules run first."""
    for task in tx.tasks.timed(project_id, now):
        if is_recurring(task):
            settle(tx, task, now)
    return [settle(tx, task, now) for task in tx.tasks.pending(project_id) if not is_recurring(task)]


def find(tx: Tx, id_: str) -> Task | None:
    """A task by its job id, else the pending task working on the entity with that id."""
    return tx.tasks.get(id_) or tx.tasks.pending_for_entity(id_)


def settles_when(task: Task) -> str:
    """For the state dump: how a pending task will settle."""
    policy = Policy.parse(task.policy)
    if policy.kind == "polls":
        return f"on poll {int(policy.amount)} (seen {task.polls_seen})"
    if task.due_at is not None:
        return f"at {iso_millis(task.due_at)} virtual"
    return "manual: POST /_emulator/settle"
