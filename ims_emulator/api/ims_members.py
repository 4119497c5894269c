"""Image sharing: v1 batch member jobs and member reads, Glance native member calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.glance import native_404
from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.api.schemas import ims_extra as schemas
from ims_emulator.domain import members
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "ims"
bp = Blueprint("ims_members", __name__)


def _not_found(image_id: str, member_id: str) -> ServiceError:
    return ServiceError("IMG.0121", f"Member {member_id} of image {image_id} does not exist.", status=404)


# -- v1 batch (async jobs) ---------------------------------------------------------------------

def _batch_body() -> dict[str, Any]:
    data = load(schemas.BatchMembersBody(), body_json())
    members.check_batch_targets(data["projects"], data["domains"], data["organizations"])
    return data


@bp.post("/v1/cloudimages/members")
@operation("ims.batch_add_members")
def batch_add_members() -> Response:
    data = _batch_body()
    with db().write() as tx:
        task = members.start_add(tx, ctx(), data["images"], data["projects"])
    return jsonify({"job_id": task.id})


@bp.put("/v1/cloudimages/members")
@operation("ims.batch_update_members")
def batch_update_members() -> Response:
    data = load(schemas.BatchUpdateMembersBody(), body_json())
    members.check_answering_project(data["project_id"], ctx().project_id)
    with db().write() as tx:
        task = members.start_update(tx, ctx(), data["images"], data["status"], data.get("vault_id"))
    return jsonify({"job_id": task.id})


@bp.delete("/v1/cloudimages/members")
@operation("ims.batch_delete_members")
def batch_delete_members() -> Response:
    data = _batch_body()
    with db().write() as tx:
        task = members.start_delete(tx, ctx(), data["images"], data["projects"])
    return jsonify({"job_id": task.id})


# -- reads (v1 and Glance) ---------------------------------------------------------------------

def _page(rows: list[Entity]) -> tuple[list[Entity], str | None]:
    limit = query_int("limit", None, 1)
    marker = request.args.get("marker")
    if marker:
        ids = [m.doc["member_id"] for m in rows]
        if marker not in ids:
            raise ServiceError("IMG.0017", param="marker")
        rows = rows[ids.index(marker) + 1:]
    if limit is not None and len(rows) > limit:
        return rows[:limit], rows[limit - 1].doc["member_id"]
    return rows, None


def _list(image_id: str, glance: bool) -> Response:
    with db().read() as tx:
        rows, next_marker = _page(members.readable(tx, image_id, ctx().project_id))
    body: dict[str, Any] = {"members": [members.view(m, with_type=not glance) for m in rows],
                            "schema": members.MEMBERS_SCHEMA}
    if not glance or "limit" in request.args:
        body["page_info"] = {"current_count": len(rows)}
        if next_marker:
            body["page_info"]["next_marker"] = next_marker
    return jsonify(body)


def _show(image_id: str, member_id: str, glance: bool) -> Response:
    with db().read() as tx:
        found = [m for m in members.readable(tx, image_id, ctx().project_id) if m.doc["member_id"] == member_id]
    if not found:
        raise _not_found(image_id, member_id)
    return jsonify(members.view(found[0], with_type=not glance))


@bp.get("/v1/<project_id>/cloudimages/<image_id>/members")
@operation("ims.list_image_members", resource_arg="image_id")
def list_image_members(project_id: str, image_id: str) -> Response:
    return _list(image_id, glance=False)


@bp.get("/v1/<project_id>/cloudimages/<image_id>/members/<member_id>")
@operation("ims.show_image_member", resource_arg="image_id")
def show_image_member(project_id: str, image_id: str, member_id: str) -> Response:
    return _show(image_id, member_id, glance=False)


@bp.get("/v2/images/<image_id>/members")
@operation("ims.glance_list_image_members", resource_arg="image_id")
@native_404
def glance_list_image_members(image_id: str) -> Response:
    return _list(image_id, glance=True)


@bp.get("/v2/images/<image_id>/members/<member_id>")
@operation("ims.glance_show_image_member", resource_arg="image_id")
@native_404
def glance_show_image_member(image_id: str, member_id: str) -> Response:
    return _show(image_id, member_id, glance=True)


# -- Glance writes (synchronous) ---------------------------------------------------------------

@bp.post("/v2/images/<image_id>/members")
@operation("ims.glance_add_image_member", resource_arg="image_id")
@native_404
def glance_add_image_member(image_id: str) -> Response:
    data = load(schemas.GlanceAddMemberBody(), body_json())
    c = ctx()
    with db().write() as tx:
        member = members.add_one(tx, c.project_id, image_id, data["member"], c.now)
    return jsonify(members.view(member, with_type=False))


@bp.put("/v2/images/<image_id>/members/<member_id>")
@operation("ims.glance_update_image_member", resource_arg="image_id")
@native_404
def glance_update_image_member(image_id: str, member_id: str) -> Response:
    data = load(schemas.GlanceUpdateMemberBody(), body_json())
    c = ctx()
    with db().write() as tx:
        member = members.check_answer(tx, image_id, member_id, c.project_id, data["status"], data.get("vault_id"))
        member = members.set_status(tx, member, data["status"], data.get("vault_id"), c.now)
    return jsonify(members.view(member, with_type=False))


@bp.delete("/v2/images/<image_id>/members/<member_id>")
@operation("ims.glance_delete_image_member", resource_arg="image_id")
@native_404
def glance_delete_image_member(image_id: str, member_id: str) -> Response:
    with db().write() as tx:
        members.check_delete(tx, ctx().project_id, [image_id])
        if not members.remove(tx, image_id, member_id):
            raise _not_found(image_id, member_id)
    return Response(status=204)
