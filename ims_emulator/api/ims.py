"""IMS image routes: create (ECS, disk, file, full-ECS), register, list, update, export, copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema

from ims_emulator.api import json_patch
from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas import ims as schemas
from ims_emulator.domain import image_create, image_list, images, whole_images
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Task

SERVICE = "ims"
bp = Blueprint("ims_images", __name__)
# the attributes each response model declares (SDK ground truth) + __whole_image (live, golangsdk)
IMS_FIELDS = frozenset({
    "__account_code", "__backup_id", "__data_origin", "__description", "__image_displayname", "__image_size",
    "__image_source_type", "__imagetype", "__is_offshelved", "__isregistered", "__lazyloading",
    "__originalimagename", "__os_bit", "__os_feature_list", "__os_type", "__os_version", "__platform",
    "__productcode", "__root_origin", "__sequence_num", "__support_agent_list", "__support_amd", "__support_arm",
    "__support_diskintensive", "__support_fc_inject", "__support_highperformance", "__support_kvm",
    "__support_kvm_gpu_type", "__support_kvm_hi1822_hisriov", "__support_kvm_hi1822_hivirtionet",
    "__support_kvm_infiniband", "__support_largememory", "__support_xen", "__support_xen_gpu_type",
    "__support_xen_hana", "__system__cmkid", "__system_support_market", "active_at", "checksum", "container_format",
    "created_at", "disk_format", "enterprise_project_id", "file", "hw_firmware_type", "hw_vif_multiqueue_enabled",
    "id", "max_ram", "min_disk", "min_ram", "name", "os_shutdown_timeout", "owner", "protected", "schema", "self",
    "size", "status", "tags", "updated_at", "virtual_env_type", "virtual_size", "visibility", "__whole_image",
})
GLANCE_FIELDS = frozenset({
    "__account_code", "__backup_id", "__data_origin", "__description", "__image_location", "__image_size",
    "__image_source_type", "__imagetype", "__is_config_init", "__is_offshelved", "__isregistered", "__lazyloading",
    "__originalimagename", "__os_bit", "__os_feature_list", "__os_type", "__os_version", "__platform",
    "__productcode", "__root_origin", "__sequence_num", "__support_agent_list", "__support_amd", "__support_arm",
    "__support_diskintensive", "__support_fc_inject", "__support_highperformance", "__support_kvm",
    "__support_kvm_gpu_type", "__support_kvm_infiniband", "__support_largememory", "__support_xen",
    "__support_xen_gpu_type", "__support_xen_hana", "__system__cmkid", "_sys_enterprise_project_id", "active_at",
    "checksum", "container_format", "created_at", "disk_format", "enterprise_project_id", "file",
    "hw_firmware_type", "hw_vif_multiqueue_enabled", "id", "max_ram", "min_disk", "min_ram", "name", "owner",
    "protected", "schema", "self", "size", "status", "tags", "updated_at", "virtual_env_type", "virtual_size",
    "visibility", "__whole_image",
})
GLANCE_CREATE_FIELDS = frozenset({
    "__image_size", "__image_source_type", "__imagetype", "__isregistered", "__os_bit", "__os_type", "__os_version",
    "__platform", "__root_origin", "checksum", "container_format", "created_at", "disk_format", "file", "id",
    "min_disk", "min_ram", "name", "owner", "protected", "schema", "self", "size", "status", "tags", "updated_at",
    "virtual_env_type", "virtual_size", "visibility", "__whole_image",
})
LIST_HEADERS = {"Cache-Control": "no-cache, no-store, must-revalidate",
                "Content-Type": "application/json; charset=UTF-8"}


def _object_body() -> dict[str, Any]:
    data = body_json()
    if not isinstance(data, dict):
        raise ServiceError("IMG.0001", "The request body must be a JSON object.")
    return data


def _job(schema: Schema, action: Callable[..., Task], *args: str) -> Response:
    """Parse, validate and start one async job in one transaction -> {"job_id"}."""
    data = load(schema, _object_body())
    with db().write() as tx:
        task = action(tx, ctx(), *args, data)
    return jsonify({"job_id": task.id})


@bp.post("/v2/cloudimages/action")
@bp.post("/v2.1/cloudimages/action")
@operation("ims.create_image")
def create_image() -> Response:
    return _job(schemas.CreateImageBody(), image_create.create_image)


@bp.post("/v1/cloudimages/wholeimages/action")
@operation("ims.create_whole_image")
def create_whole_image() -> Response:
    return _job(schemas.CreateWholeImageBody(), whole_images.create_whole_image)


@bp.post("/v1/cloudimages/dataimages/action")
@bp.post("/v2.1/cloudimages/dataimages/action")
@operation("ims.create_data_image")
def create_data_image() -> Response:
    return _job(schemas.CreateDataImageBody(), image_create.create_data_image)


@bp.post("/v2/cloudimages/quickimport/action")
@bp.post("/v2.1/cloudimages/quickimport/action")
@operation("ims.import_image_quick")
def import_image_quick() -> Response:
    return _job(schemas.QuickImportBody(), image_create.import_quick)


@bp.put("/v1/cloudimages/<image_id>/upload")
@operation("ims.register_image", resource_arg="image_id")
def register_image(image_id: str) -> Response:
    data = load(schemas.RegisterImageBody(), _object_body())
    with db().write() as tx:
        task = image_create.register_image(tx, ctx(), image_id, data["image_url"])
    return jsonify({"job_id": task.id})


@bp.post("/v1/cloudimages/<image_id>/file")
@bp.post("/v2.1/cloudimages/<image_id>/file")
@operation("ims.export_image", resource_arg="image_id")
def export_image(image_id: str) -> Response:
    return _job(schemas.ExportImageBody(), image_create.export_image, image_id)


@bp.post("/v1/cloudimages/<image_id>/copy")
@bp.post("/v2.1/cloudimages/<image_id>/copy")
@operation("ims.copy_image_in_region", resource_arg="image_id")
def copy_image_in_region(image_id: str) -> Response:
    return _job(schemas.CopyInRegionBody(), image_create.copy_in_region, image_id)


@bp.post("/v1/cloudimages/<image_id>/cross_region_copy")
@operation("ims.copy_image_cross_region", resource_arg="image_id")
def copy_image_cross_region(image_id: str) -> Response:
    return _job(schemas.CopyCrossRegionBody(), image_create.copy_cross_region, image_id)


# -- reading and updating ------------------------------------------------------------------------

def listed(c: Ctx, query: dict[str, str], default_limit: int) -> image_list.Page:
    """List (work that is due, e.g. another project's copy into this one, settled in the pipeline)."""
    with db().read() as tx:
        return image_list.list_images(tx, c.project_id, query, default_limit=default_limit)


def page_link(path: str, query: dict[str, str], marker: str | None = None) -> str:
    """A relative list URL re-including the filters (and the marker of the page it points to)."""
    pairs = [(k, v) for k, v in query.items() if k != "marker"] + ([("marker", marker)] if marker else [])
    return f"{path}?{urlencode(pairs)}" if pairs else path


def next_link(path: str, query: dict[str, str], marker: str | None) -> str | None:
    return page_link(path, query, marker) if marker is not None else None


@bp.get("/v2/cloudimages")
@operation("ims.list_images")
def list_images() -> Response:
    query = request.args.to_dict()
    page = listed(ctx(), query, 500)
    body: dict[str, Any] = {"images": [images.image_view(i, IMS_FIELDS) for i in page.images]}
    link = next_link("/v2/cloudimages", query, page.next_marker)
    if link:
        body["next"] = link
    resp = jsonify(body)
    resp.headers.update(LIST_HEADERS)
    return resp


def patch_image(image_id: str, fields: frozenset[str], statuses: tuple[str, ...] = ("active",)) -> Response:
    ops = json_patch.normalise_patch(body_json())
    with db().write() as tx:
        img = images.update_image(tx, ctx(), image_id, ops, statuses)
    return jsonify(images.image_view(img, fields))


@bp.patch("/v2/cloudimages/<image_id>")
@operation("ims.update_image", resource_arg="image_id")
def update_image(image_id: str) -> Response:
    return patch_image(image_id, IMS_FIELDS)
