"""Job routes. IMS and ECS serve GET /v1/{project_id}/jobs/{job_id} from one job framework."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ims_emulator.api.ops import ctx, db, operation
from ims_emulator.api.views import job_view
from ims_emulator.domain.errors import ServiceError

SERVICE = "ims"
bp = Blueprint("jobs", __name__)


def _show(job_id: str) -> Response:
    c = ctx()
    with db().peek() as tx:  # one statement (the pipeline has counted the read as a poll)
        task = tx.tasks.get(job_id, c.project_id)
    if task is None:
        raise ServiceError("IMG.0023", f"Job {job_id} does not exist.", status=404)
    return jsonify(job_view(task, c.now))


@bp.get("/v1/<project_id>/jobs/<job_id>")
@operation("ims.show_job", resource_arg="job_id", polls="job")
def show_job(project_id: str, job_id: str) -> Response:
    return _show(job_id)


show_job.services = ("ims", "ecs")  # type: ignore[attr-defined]  # one route answers both SDKs' show_job


@bp.get("/v1/cloudimages/job/<job_id>")
@operation("ims.show_job_progress", resource_arg="job_id", polls="job")
def show_job_progress(job_id: str) -> Response:
    return _show(job_id)
