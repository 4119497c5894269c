"""CSBS v1 backup policies: POST/GET/PUT/DELETE /v1/{project_id}/policies (running one and replicating its
backups are checkpoint routes, in api/csbs.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.csbs import P, _empty, _next_link, list_args
from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas import csbs as schemas
from ims_emulator.domain import csbs_listing
from ims_emulator.domain import csbs_policies as policies
from ims_emulator.domain.clock import iso_micros_naive
from ims_emulator.domain.records import Entity

SERVICE = "csbs"
bp = Blueprint("csbs_policies", __name__)


def policy_view(policy: Entity, *, as_created: bool = False) -> dict[str, Any]:
    """The policy body. as_created: operation_definition values as strings (create and update responses)."""
    d = policy.doc
    return {"created_at": iso_micros_naive(d["created_at"]), "description": d["description"], "id": policy.id,
            "name": policy.name, "parameters": d["parameters"], "project_id": policy.project_id,
            "provider_id": d["provider_id"], "resources": d["resources"],
            "scheduled_operations": [_operation_view(op, as_created) for op in d["scheduled_operations"]],
            "status": policy.status, "tags": d.get("tags", [])}


def _operation_view(op: dict[str, Any], as_created: bool) -> dict[str, Any]:
    # permanent=false is not echoed (gsdk fixtures send it and get no key back)
    definition = {k: v for k, v in op["operation_definition"].items() if not (k == "permanent" and v is False)}
    if as_created:
        definition = {k: _as_string(v) for k, v in definition.items()}
    props = op["trigger"]["properties"]
    trigger = {**op["trigger"], "properties": {**props, "start_time": _start_time(props["start_time"])}}
    return {**op, "operation_definition": definition, "trigger": trigger}


def _as_string(value: Any) -> str:
    return str(value)  # Python spelling on purpose: True -> "True", as in the live create response


def _start_time(ts: float) -> str:
    return iso_micros_naive(ts).replace("T", " ")[:19]


# -- policies -----------------------------------------------------------------------------------------

@bp.post(f"{P}/policies")
@operation("csbs.create_policy")
def create_policy(project_id: str) -> Response:
    data = load(schemas.PolicyCreateBody(), body_json())["policy"]
    with db().write() as tx:
        policy = policies.create(tx, ctx(), data)
    return jsonify({"policy": policy_view(policy, as_created=True)})


@bp.get(f"{P}/policies")
@operation("csbs.list_policies")
def list_policies(project_id: str) -> Response:
    limit, offset, order = list_args()
    filters = [("name", "=", request.args["name"])] if request.args.get("name") else []
    with db().read() as tx:
        found = tx.entities.list(policies.KIND, ctx().project_id, filters)
    rows, more = csbs_listing.page(csbs_listing.sort_rows(found, order), request.args.get("marker"), offset, limit)
    body: dict[str, Any] = {"policies": [policy_view(p) for p in rows]}
    if more:
        body["policies_links"] = _next_link(rows)
    return jsonify(body)


@bp.get(f"{P}/policies/<policy_id>")
@operation("csbs.show_policy", resource_arg="policy_id")
def show_policy(project_id: str, policy_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"policy": policy_view(policies.get(tx, ctx().project_id, policy_id))})


@bp.put(f"{P}/policies/<policy_id>")
@operation("csbs.update_policy", resource_arg="policy_id")
def update_policy(project_id: str, policy_id: str) -> Response:
    data = load(schemas.PolicyUpdateBody(), body_json())["policy"]
    with db().write() as tx:
        policy = policies.update(tx, ctx(), policy_id, data)
    return jsonify({"policy": {**policy_view(policy, as_created=True), "user_id": None}})


@bp.delete(f"{P}/policies/<policy_id>")
@operation("csbs.delete_policy", resource_arg="policy_id")
def delete_policy(project_id: str, policy_id: str) -> Response:
    with db().write() as tx:
        policies.delete(tx, ctx().project_id, policy_id)
    return _empty(200)
