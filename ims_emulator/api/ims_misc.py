"""IMS odds and ends: image quota, supported OS versions, API versions, Glance JSON schemas."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ops import ctx, db, operation
from ims_emulator.api.schemas.ims_extra import GLANCE_SCHEMAS
from ims_emulator.domain import images, os_versions
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.image_rules import IMAGE_QUOTA

SERVICE = "ims"
bp = Blueprint("ims_misc", __name__)


# id -> (status, link major): the API versions the image endpoint announces (recorded list_versions).
VERSIONS: tuple[tuple[str, str, str], ...] = (
    ("v2.2", "CURRENT", "v2"), ("v2.1", "SUPPORTED", "v2"), ("v2.0", "SUPPORTED", "v2"),
    ("v1.1", "DEPRECATED", "v1"), ("v1.0", "DEPRECATED", "v1"),
)


@bp.get("/v1/cloudimages/quota")
@operation("ims.show_image_quota")
def show_image_quota() -> Response:
    with db().read() as tx:
        used = images.images_used(tx, ctx().project_id)
    q = IMAGE_QUOTA
    return jsonify({"quotas": {"resources": [{"type": q.type, "used": used, "quota": q.quota, "min": q.min,
                                              "max": q.max}]}})


@bp.get("/v1/cloudimages/os_version")
@operation("ims.list_os_versions")
def list_os_versions() -> Response:
    tag = request.args.get("tag") or None
    if tag is not None and tag not in os_versions.TAGS:
        raise ServiceError("IMG.0017", param="tag")
    return jsonify(os_versions.grouped(tag))


def _version_view(version_id: str, status: str, major: str) -> dict[str, Any]:
    return {"status": status, "id": version_id, "links": [{"href": f"{request.host_url}{major}/", "rel": "self"}]}


@bp.get("/")
@operation("ims.list_versions")
def list_versions() -> tuple[Response, int]:
    return jsonify({"versions": [_version_view(*v) for v in VERSIONS]}), 300


# only the announced ids are routes: any other single-segment path stays an unpublished one (APIGW.0101)
@bp.get(f"/<any({', '.join(repr(v[0]) for v in VERSIONS)}):version>")
@operation("ims.show_version")
def show_version(version: str) -> tuple[Response, int]:
    found = next(v for v in VERSIONS if v[0] == version)
    return jsonify({"versions": [_version_view(*found)]}), 300


def _schema(name: str) -> Response:
    return jsonify(GLANCE_SCHEMAS[name])


@bp.get("/v2/schemas/image")
@operation("ims.glance_show_image_schemas")
def glance_show_image_schemas() -> Response:
    return _schema("image")


@bp.get("/v2/schemas/images")
@operation("ims.glance_list_image_schemas")
def glance_list_image_schemas() -> Response:
    return _schema("images")


@bp.get("/v2/schemas/member")
@operation("ims.glance_show_image_member_schemas")
def glance_show_image_member_schemas() -> Response:
    return _schema("member")


@bp.get("/v2/schemas/members")
@operation("ims.glance_list_image_member_schemas")
def glance_list_image_member_schemas() -> Response:
    return _schema("members")
