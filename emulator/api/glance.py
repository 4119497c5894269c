"""Glance-compatible /v2/images: create metadata, list, show, update, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator.api.ims import (
    GLANCE_CREATE_FIELDS,
    GLANCE_FIELDS,
    _object_body,
    listed,
    next_link,
    page_link,
    patch_image,
)
from emulator.api.ops import body_json, ctx, db, load, operation
from emulator.api.schemas import ims as schemas
from emulator.domain import image_create, images

SERVICE = "glance"
bp = Blueprint("glance_images", __name__)


@bp.post("/v2/images")
@operation("ims.glance_create_image_metadata")
def create_image_metadata() -> tuple[Response, int]:
    data = load(schemas.GlanceCreateBody(), _object_body())
    with db().write() as tx:
        img = image_create.glance_create(tx, ctx(), data)
    return jsonify(images.image_view(img, GLANCE_CREATE_FIELDS)), 201


@bp.get("/v2/images")
@operation("ims.glance_list_images")
def list_images() -> Response:
    query = request.args.to_dict()
    page = listed(ctx(), query, 25)
    body: dict[str, Any] = {"images": [images.image_view(i, GLANCE_FIELDS) for i in page.images],
                            "first": page_link("/v2/images", query), "schema": "/v2/schemas/images"}
    link = next_link("/v2/images", query, page.next_marker)
    if link:
        body["next"] = link
    return jsonify(body)


@bp.get("/v2/images/<image_id>")
@operation("ims.glance_show_image", resource_arg="image_id", polls="image")
def show_image(image_id: str) -> Response:
    c = ctx()
    with db().peek() as tx:  # the image row (and a member's own membership): no transaction round trips
        img = images.get_image(tx, c.project_id, image_id)
    return jsonify(images.image_view(images.as_seen_by(img, c.project_id), GLANCE_FIELDS))


@bp.patch("/v2/images/<image_id>")
@operation("ims.glance_update_image", resource_arg="image_id")
def update_image(image_id: str) -> Response:
    return patch_image(image_id, GLANCE_FIELDS)


@bp.delete("/v2/images/<image_id>")
@operation("ims.glance_delete_image", resource_arg="image_id")
def delete_image(image_id: str) -> tuple[str, int]:
    raw = body_json(required=False)
    data = load(schemas.GlanceDeleteBody(), raw if raw is not None else {})
    with db().write() as tx:
        images.delete_image(tx, ctx(), image_id, data["delete_backup"])
    return "", 204
