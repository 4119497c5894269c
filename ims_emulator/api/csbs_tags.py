"""CSBS v1 tags on backups (csbs_backup) and policies (csbs_backup_policy)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ims_emulator.api.csbs import DEFAULT_LIMIT, P, _empty, item_view
from ims_emulator.api.csbs_policies import policy_view
from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas import csbs as schemas
from ims_emulator.domain import backups
from ims_emulator.domain import csbs_policies as policies
from ims_emulator.domain.common import ownership
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

SERVICE = "csbs"
bp = Blueprint("csbs_tags", __name__)
TAGGED = {"csbs_backup": (backups.KIND, "CSBS.3001"), "csbs_backup_policy": (policies.KIND, "CSBS.3000")}
RTYPE = "<any(csbs_backup, csbs_backup_policy):rtype>"


def _tag_detail(rtype: str, entity: Entity, now: float, tx: Any) -> dict[str, Any]:
    if rtype == "csbs_backup":
        return item_view(entity, backups.pending_task(tx, entity), now)
    return policy_view(entity)


def _tagged(tx: Any, rtype: str, resource_id: str) -> Entity:
    kind, missing = TAGGED[rtype]
    entity = ownership.owned(tx, ctx().project_id, kind, resource_id)
    if entity is None:
        raise ServiceError(missing, id=resource_id)
    return entity


@bp.post(f"{P}/{RTYPE}/<resource_id>/tags")
@operation("csbs.create_tag", resource_arg="resource_id")
def create_tag(project_id: str, rtype: str, resource_id: str) -> Response:
    tag = load(schemas.TagBody(), body_json())["tag"]
    with db().write() as tx:
        entity = _tagged(tx, rtype, resource_id)
        policies.add_tags(entity, [tag])
        tx.entities.update(entity)
    return _empty()


@bp.delete(f"{P}/{RTYPE}/<resource_id>/tags/<key>")
@operation("csbs.delete_tag", resource_arg="resource_id")
def delete_tag(project_id: str, rtype: str, resource_id: str, key: str) -> Response:
    with db().write() as tx:
        entity = _tagged(tx, rtype, resource_id)
        policies.remove_tag(entity, key)
        tx.entities.update(entity)
    return _empty()


@bp.get(f"{P}/{RTYPE}/<resource_id>/tags")
@operation("csbs.show_tags", resource_arg="resource_id")
def show_tags(project_id: str, rtype: str, resource_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"tags": _tagged(tx, rtype, resource_id).doc.get("tags", [])})


@bp.post(f"{P}/{RTYPE}/<resource_id>/tags/action")
@operation("csbs.batch_tags_action", resource_arg="resource_id")
def batch_tags(project_id: str, rtype: str, resource_id: str) -> Response:
    data = load(schemas.TagsAction(), body_json())
    with db().write() as tx:
        entity = _tagged(tx, rtype, resource_id)
        if data["action"] == "create":
            policies.add_tags(entity, data["tags"])
        else:
            policies.remove_tags(entity, data["tags"])
        tx.entities.update(entity)
    return _empty()


@bp.get(f"{P}/{RTYPE}/tags")
@operation("csbs.list_project_tags")
def project_tags(project_id: str, rtype: str) -> Response:
    with db().read() as tx:
        return jsonify({"tags": policies.project_tags(tx.entities.list(TAGGED[rtype][0], ctx().project_id))})


@bp.post(f"{P}/{RTYPE}/resource_instances/action")
@operation("csbs.resource_instances")
def resource_instances(project_id: str, rtype: str) -> Response:
    query = load(schemas.ResourceInstances(), body_json())
    now = ctx().now
    with db().read() as tx:
        rows = tx.entities.list(TAGGED[rtype][0], ctx().project_id, order=(("created_at", "asc"), ("id", "asc")))
        hits = [e for e in rows if policies.matches_tags(e, query, _resource_name(e))]
        if query["action"] == "count":
            return jsonify({"total_count": len(hits)})
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", DEFAULT_LIMIT))
        chosen = hits[offset:offset + limit]
        resources = [{"resource_id": e.id, "resource_name": _resource_name(e),
                      "resource_detail": _tag_detail(rtype, e, now, tx), "tags": e.doc.get("tags", [])}
                     for e in chosen]
    return jsonify({"resources": resources, "total_count": len(hits)})


def _resource_name(entity: Entity) -> str:
    return entity.name or ""
