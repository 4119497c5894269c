"""EVS slice: read and list volumes (shared disks carry multiattach=true)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ecs import USER_ID
from ims_emulator.api.ops import ctx, db, operation, query_int
from ims_emulator.domain import servers
from ims_emulator.domain.clock import iso_micros_naive
from ims_emulator.domain.records import Entity

SERVICE = "evs"
bp = Blueprint("evs", __name__)


@bp.get("/v2/<project_id>/cloudvolumes/detail")
@operation("evs.list_volumes")
def list_volumes(project_id: str) -> Response:
    limit = query_int("limit", 1000, 1, 1000, code="EVS.0001") or 1000
    offset = query_int("offset", 0, 0, None, code="EVS.0001") or 0
    filters: list[tuple[str, str, Any]] = []
    for key, op in (("name", "contains"), ("status", "=")):
        if request.args.get(key):
            filters.append((key, op, request.args[key]))
    if request.args.get("server_id"):
        filters.append(("ref", "=", request.args["server_id"]))
    with db().read() as tx:
        total = tx.entities.count(servers.VOLUME, ctx().project_id, filters)
        rows = tx.entities.list(servers.VOLUME, ctx().project_id, filters, limit=limit, offset=offset)
    body: dict[str, Any] = {"count": total, "volumes": [volume_view(v) for v in rows]}
    if offset + len(rows) < total:  # another page: the next link (offset paging)
        body["volumes_links"] = [{"href": f"/v2/{project_id}/cloudvolumes/detail?limit={limit}&offset="
                                          f"{offset + limit}", "rel": "next"}]
    return jsonify(body)


@bp.get("/v2/<project_id>/cloudvolumes/<volume_id>")
@bp.get("/v2/<project_id>/os-vendor-volumes/<volume_id>")
@operation("evs.show_volume", resource_arg="volume_id")
def show_volume(project_id: str, volume_id: str) -> Response:
    with db().read() as tx:
        return jsonify({"volume": volume_view(servers.get_volume(tx, ctx().project_id, volume_id))})


def volume_view(v: Entity) -> dict[str, Any]:
    d = v.doc
    attached = [{"server_id": v.ref, "attachment_id": v.id, "attached_at": iso_micros_naive(v.created_at),
                 "host_name": None, "volume_id": v.id, "device": d["device"], "id": v.id}] if v.ref else []
    return {
        "id": v.id, "name": v.name, "status": v.status, "size": d["size"], "volume_type": d["volume_type"],
        "availability_zone": "", "bootable": "true" if d["bootable"] else "false",
        "multiattach": bool(d["shareable"]), "shareable": "true" if d["shareable"] else "false",
        "encrypted": False, "attachments": attached,
        "metadata": {"__system__encrypted": "0", "hw:passthrough": "false"},
        "volume_image_metadata": {}, "snapshot_id": None, "source_volid": None,
        "created_at": iso_micros_naive(v.created_at), "updated_at": iso_micros_naive(v.created_at),
        "tags": {}, "service_type": "EVS", "os-vol-tenant-attr:tenant_id": v.project_id,
        "replication_status": "disabled", "user_id": USER_ID, "description": "",
        "links": [{"href": f"/v2/{v.project_id}/volumes/{v.id}", "rel": "self"},
                  {"href": f"/{v.project_id}/volumes/{v.id}", "rel": "bookmark"}],
        "enterprise_project_id": "0", "consistencygroup_id": None, "os-vol-host-attr:host": "",
        "os-vol-mig-status-attr:migstat": None, "os-vol-mig-status-attr:name_id": None,
        "os-volume-replication:extended_status": None, "wwn": "", "dedicated_storage_id": None,
        "dedicated_storage_name": None,
    }
