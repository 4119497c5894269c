"""CSBS v1 (/v1/{project_id}/...): backups (checkpoint items), restores, policies, quotas, tags.

Errors are flat {"error_code", "error_msg"}; malformed input is 400 CSBS.9001 with nothing stored.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas import csbs as schemas
from ims_emulator.domain import backups, csbs_listing, csbs_replication, csbs_restores, numbers, regions
from ims_emulator.domain import csbs_policies as policies
from ims_emulator.domain.clock import iso_micros_naive
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task
from ims_emulator.store import paging

if TYPE_CHECKING:
    from ims_emulator.store import Tx

SERVICE = "csbs"
bp = Blueprint("csbs", __name__)
P = "/v1/<project_id>"
DEFAULT_LIMIT = 1000


def _provider(provider_id: str) -> None:
    if provider_id != backups.PROVIDER_ID:
        raise ServiceError("CSBS.9001")


def _empty(status: int = 204) -> Response:
    return Response(status=status)


# -- views ------------------------------------------------------------------------------------------

def _time(ts: float | None) -> str | None:
    return None if ts is None else iso_micros_naive(ts)


def item_view(item: Entity, task: Task | None, now: float) -> dict[str, Any]:
    d = item.doc
    status = backups.visible_status(item, task, now)
    ext = {**d["extend_info"], "progress": backups.progress(item, task, now),
           "finished_at": _time(d["extend_info"].get("finished_at"))}
    ext["copy_status"] = backups.copy_status(item, task, now)
    if status == "protecting":
        ext["supported_restore_mode"] = "snapshot"  # UNCONFIRMED: snapshots exist once protecting runs
    return {"id": item.id, "name": item.name, "description": d["description"], "status": status,
            "checkpoint_id": item.ref, "resource_id": d["resource_id"], "resource_type": d["resource_type"],
            "created_at": _time(item.created_at), "updated_at": _time(d["updated_at"]),
            "protected_at": _time(d["protected_at"]), "backup_data": d["backup_data"], "extend_info": ext,
            "tags": d.get("tags", []),
            "replication_records": [_record_view(r) for r in d.get("replication_records", [])],
            "periodic_type": None, "progress": None, "expired_at": None}


def _record_view(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "created_at": _time(record["created_at"]), "updated_at": _time(record["updated_at"])}


def checkpoint_view(checkpoint: Entity) -> dict[str, Any]:
    d = checkpoint.doc
    return {"status": checkpoint.status, "created_at": _time(checkpoint.created_at), "id": checkpoint.id,
            "resource_graph": None, "project_id": checkpoint.project_id, "extra_info": d["extra_info"],
            "protection_plan": d["protection_plan"]}


# -- resources/action: check_protectable, check_restorable ------------------------------------------

@bp.post(f"{P}/providers/<provider_id>/resources/action")
@operation("csbs.resources_action")
def resources_action(project_id: str, provider_id: str) -> Response:
    _provider(provider_id)
    data = load(schemas.ResourcesAction(), body_json())
    with db().read() as tx:
        if "check_protectable" in data:
            return jsonify({"protectable": [_protectable(tx, r) for r in data["check_protectable"]]})
        return jsonify({"restorable": [_restorable(tx, r) for r in data["check_restorable"]]})


def _protectable(tx: Any, ref: dict[str, Any]) -> dict[str, Any]:
    refusal = backups.protect_refusal(tx, ctx().project_id, ref["resource_id"], ref["resource_type"])
    out: dict[str, Any] = {"resource_id": ref["resource_id"], "resource_type": ref["resource_type"],
                           "result": refusal is None}
    if refusal is not None:
        out.update(error_code=refusal.code, error_msg=refusal.message)
    return out


def _restorable(tx: Any, ref: dict[str, Any]) -> dict[str, Any]:
    target = ref["target"]
    refusal = csbs_restores.restorable_refusal(tx, ctx().project_id, ref["checkpoint_item_id"], target["resource_type"],
                                         target["resource_id"], target["volumes"])
    return {"resource_id": target["resource_id"], "resource_type": target["resource_type"],
            "result": refusal is None, "error_msg": refusal.message if refusal else "",
            "error_code": refusal.code if refusal else ""}


# -- protect, run a policy, delete, restore ----------------------------------------------------------

@bp.post(f"{P}/providers/<provider_id>/resources/<resource_id>/action")
@operation("csbs.protect", resource_arg="resource_id")
def protect(project_id: str, provider_id: str, resource_id: str) -> Response:
    _provider(provider_id)
    data = load(schemas.ProtectBody(), body_json())
    with db().write() as tx:
        checkpoint = backups.protect(tx, ctx(), resource_id, data["protect"])
        return jsonify({"checkpoint": checkpoint_view(checkpoint)})


@bp.post(f"{P}/providers/<provider_id>/checkpoints")
@operation("csbs.create_checkpoint")
def run_policy(project_id: str, provider_id: str) -> Response:
    _provider(provider_id)
    data = load(schemas.RunPolicyBody(), body_json())["checkpoint"]
    with db().write() as tx:
        checkpoint = policies.run(tx, ctx(), data["plan_id"], data["parameters"])
        return jsonify({"checkpoint": checkpoint_view(checkpoint)})


@bp.delete(f"{P}/providers/<provider_id>/checkpoints/<checkpoint_id>")
@operation("csbs.delete_checkpoint", resource_arg="checkpoint_id")
def delete_checkpoint(project_id: str, provider_id: str, checkpoint_id: str) -> Response:
    _provider(provider_id)
    with db().write() as tx:
        backups.delete_checkpoint(tx, ctx(), checkpoint_id, request.args.get("checkpoint_items") or None)
    return jsonify({})


@bp.post(f"{P}/restores")
@operation("csbs.create_restore")
def create_restore(project_id: str) -> Response:
    data = load(schemas.RestoreBody(), body_json())["restore"]
    _provider(data["provider_id"])
    params = data["parameters"]
    with db().write() as tx:
        restore_id, _ = csbs_restores.restore(tx, ctx(), data["checkpoint_id"], params["checkpoint_item_id"],
                                        params["targets"]["server_id"], params["targets"]["volumes"])
    return jsonify({"restore": {
        "restore_target": data.get("restore_target") or "", "status": "in_progress", "provider_id": backups.PROVIDER_ID,
        "resources_status": "in_progress", "parameters": params, "checkpoint_id": data["checkpoint_id"],
        "project_id": ctx().project_id, "id": restore_id, "resources_reason": {}}})


# -- replication ------------------------------------------------------------------------------------

@bp.post(f"{P}/providers/<provider_id>/checkpoint_items/<item_id>/replicate")
@operation("csbs.replicate_backup", resource_arg="item_id")
def replicate_backup(project_id: str, provider_id: str, item_id: str) -> Response:
    _provider(provider_id)
    options = load(schemas.ReplicateBody(), body_json())["replication"]
    with db().write() as tx:
        csbs_replication.replicate(tx, ctx(), backups.own_item(tx, ctx().project_id, item_id), options)
    return jsonify({"replication": {"backup_id": item_id, **_replication_echo(options)}})


@bp.post(f"{P}/providers/<provider_id>/checkpoints/replicate")
@operation("csbs.replicate_policy")
def replicate_policy(project_id: str, provider_id: str) -> Response:
    _provider(provider_id)
    options = load(schemas.ReplicatePolicyBody(), body_json())["replication"]
    with db().write() as tx:
        items = policies.replicate(tx, ctx(), options)
    return jsonify({"replication": {"policy_id": options["policy_id"], "backups": [i.id for i in items],
                                    **_replication_echo(options)}})


def _replication_echo(options: dict[str, Any]) -> dict[str, Any]:
    """UNCONFIRMED response shape: the request's destination plus who asked."""
    return {"destination_region": options["destination_region"],
            "destination_project_id": options["destination_project_id"], "project_id": ctx().project_id,
            "provider_id": backups.PROVIDER_ID}


# -- checkpoint items ---------------------------------------------------------------------------------

ITEM_FILTERS = {  # query parameter -> (stored field, operator)
    "name": ("name", "contains"), "resource_id": ("$.resource_id", "="),
    "resource_name": ("$.extend_info.resource_name", "contains"), "checkpoint_id": ("ref", "="),
    "resource_type": ("$.resource_type", "="), "az": ("$.extend_info.resource_az", "="),
    "image_type": ("$.extend_info.image_type", "="), "policy_id": ("$.policy_id", "="),
    "ip": ("$.backup_data.private_ip", "="),
}


def _item_filters() -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for param, (field, op) in ITEM_FILTERS.items():
        value = request.args.get(param)
        if value:
            out.append((field, op, value))
    for param, op in (("start_time", ">="), ("end_time", "<=")):
        if request.args.get(param):
            out.append(("created_at", op, _parse_time(param, request.args[param])))
    return out


def _parse_time(param: str, text: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise ServiceError("CSBS.9001", f"{param}: expected a time like 2017-04-18T01:21:52.701973")


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in backups.STATUSES:
        raise ServiceError("CSBS.9001", f"status: must be one of {', '.join(backups.STATUSES)}")
    return status


def _int_arg(name: str, default: int, lo: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = numbers.parse(raw, numbers.Bounds(lo, numbers.INT32_MAX))
    if value is None:
        raise ServiceError("CSBS.9001", f"{name}: must be an integer {lo}-{numbers.INT32_MAX}")
    return value


def _direction() -> str:
    dec = (request.args.get("dec") or "").lower()
    return "asc" if dec == "false" else "desc"


def list_args() -> tuple[int, int, Any]:
    """limit, offset and sort order of a CSBS list (backups and policies page alike)."""
    return (_int_arg("limit", DEFAULT_LIMIT, 1), _int_arg("offset", 0, 0),
            csbs_listing.parse_sort(request.args.get("sort"), _direction()))


def _next_link(rows: list[Entity]) -> list[dict[str, str]]:
    args = {k: v for k, v in request.args.items() if k not in ("marker", "offset")}
    args["marker"] = rows[-1].id
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return [{"href": f"{request.base_url}?{query}", "rel": "next"}]


@bp.get(f"{P}/checkpoint_items")
@operation("csbs.list_checkpoint_items")
def list_items(project_id: str) -> Response:
    limit, offset, order = list_args()
    status, filters, now = _status_filter(), _item_filters(), ctx().now
    marker = request.args.get("marker")
    with db().read() as tx:
        if not status and not offset and order == csbs_listing.parse_sort(None, order[0][1]):
            # the common poll/list shape: an index range read, so a page costs the same at 1k or 100k backups
            paged = paging.page_after(tx.entities, backups.KIND, ctx().project_id, marker, limit, filters,
                                      newest_first=order[0][1] == "desc")
            if paged is None:
                raise ServiceError("CSBS.9001", f"marker {marker} not found")
            rows, more = paged
            tasks = {item.id: backups.pending_task(tx, item) for item in rows}
        else:  # a visible-status filter, offset or another sort: filter and sort the project's backups
            found = csbs_listing.list_items(tx, ctx().project_id, filters, status, now)
            tasks = {item.id: task for item, task in found}
            rows, more = csbs_listing.page(csbs_listing.sort_rows([i for i, _ in found], order), marker, offset, limit)
    body: dict[str, Any] = {"checkpoint_items": [item_view(i, tasks[i.id], now) for i in rows]}
    if more:  # choice: links only when another page exists
        body["checkpoint_items_links"] = _next_link(rows)
    return jsonify(body)


@bp.get(f"{P}/checkpoint_items/count")
@operation("csbs.count_checkpoint_items")
def count_items(project_id: str) -> Response:
    status, filters = _status_filter(), _item_filters()
    with db().read() as tx:
        return jsonify({"count": len(csbs_listing.list_items(tx, ctx().project_id, filters, status, ctx().now))})


@bp.get(f"{P}/checkpoint_items/<item_id>")
@operation("csbs.show_checkpoint_item", resource_arg="item_id", polls="csbs.item")
def show_item(project_id: str, item_id: str) -> Response:
    c = ctx()

    def read(tx: Tx) -> dict[str, Any]:  # the item and its pending work as of one moment
        item = backups.own_item(tx, c.project_id, item_id)
        return item_view(item, backups.pending_task(tx, item), c.now)

    return jsonify({"checkpoint_item": db().reading(read)})


# -- quotas, replication capabilities -------------------------------------------------------------------

@bp.get(f"{P}/quotas")
@operation("csbs.show_quotas")
def show_quotas(project_id: str) -> Response:
    with db().read() as tx:
        items = tx.entities.list(backups.KIND, ctx().project_id)
        quota = backups.quota(tx, ctx().project_id)
    used_gb = sum(i.doc["extend_info"].get("size", 0) for i in items) // 1024
    return jsonify({"quotas": {"resources": [
        {"type": "backup_capacity", "unit": "GB", "quota": -1, "used": used_gb},
        {"type": "backups", "quota": quota, "used": len(items)}]}})


@bp.get(f"{P}/replication_capabilities")
@operation("csbs.show_replication_capabilities")
def replication_capabilities(project_id: str) -> Response:
    region = regions.get(ctx().region)
    destinations = sorted(region.csbs_replication_to) if region else []
    return jsonify({"regions": [{"name": ctx().region, "replication_destinations": destinations}]})
