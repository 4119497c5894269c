"""Wire views shared by several services: jobs (IMS and ECS share the job framework)."""

from __future__ import annotations

from typing import Any

from ims_emulator.domain import jobs
from ims_emulator.domain.clock import iso_millis
from ims_emulator.domain.records import Task


def job_view(task: Task, now: float) -> dict[str, Any]:
    """The job body. Running: end_time "" and no error fields (live captures), entities.process_percent
    growing; done: explicit nulls and the entities as recorded (no process_percent)."""
    entities = dict(task.entities)
    if task.pending and task.op.startswith("ims."):
        entities["process_percent"] = round(jobs.fraction(task, now) * 100, 1)
    body: dict[str, Any] = {"status": task.status, "entities": entities, "job_id": task.id,
                            "job_type": task.job_type, "begin_time": iso_millis(task.created_at)}
    if task.pending:
        body["end_time"] = ""
        return body
    body["end_time"] = iso_millis(task.ended_at or task.created_at)
    body["error_code"] = task.error_code
    body["fail_reason"] = task.fail_reason
    return body
