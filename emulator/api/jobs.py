"""Job routes. IMS and ECS serve GET /v1/{project_id}/jobs/{job_id} from one job framework."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from emulator.api.ops import ctx, db, operation
from emulator.api.views import job_view
from emulator.domain import jobs
from emulator.domain.errors import ServiceError

SERVICE = "ims"
bp = Blueprint("jobs", __name__)


def _poll(job_id: str) -> Response:
    c = ctx()
    with db().peek() as tx:  # one statement
        task = tx.tasks.get(job_id, c.project_id)
    if task is None:
        raise ServiceError("IMG.0023", f"Job {job_id} does not exist.", status=404)
    if task.pending:  # only a pending job's read is a write (it counts as a poll)
        with db().write() as tx:
            task = jobs.poll(tx, tx.tasks.get(job_id) or task, c.now)
    return jsonify(job_view(task, c.now))


@bp.get("/v1/<project_id>/jobs/<job_id>")
@operation("ims.show_job", resource_arg="job_id")
def show_job(project_id: str, job_id: str) -> Response:
    return _poll(job_id)


@bp.get("/v1/cloudimages/job/<job_id>")
@operation("ims.show_job_progress", resource_arg="job_id")
def show_job_progress(job_id: str) -> Response:
    return _poll(job_id)
