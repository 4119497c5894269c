"""Glance-compatible /v2/images: create metadata, list, show, update, delete.

OpenStack clients treat only a 404 as "gone": on these native routes a missing, deleted or foreign image is
404 with the IMS body (code IMG.0027); the IMS-native routes answer IMG.0027 with 400.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.ims import (
    GLANCE_CREATE_FIELDS,
    GLANCE_FIELDS,
    _object_body,
    listed,
    next_link,
    page_link,
    patch_image,
)
from ims_emulator.api.ops import body_json, ctx, db, load, operation
from ims_emulator.api.schemas import ims as schemas
from ims_emulator.domain import image_create, images
from ims_emulator.domain.errors import ServiceError

SERVICE = "glance"
bp = Blueprint("glance_images", __name__)
F = TypeVar("F", bound=Callable[..., Any])
NOT_FOUND = "IMG.0027"
EDITABLE = ("queued", "active")  # the native PATCH limits attributes, not the image's status


def native_404(fn: F) -> F:
    """An image the caller cannot see answers 404 on an OpenStack-native route."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except ServiceError as exc:
            if exc.code == NOT_FOUND:
                raise ServiceError(NOT_FOUND, exc.message, status=404) from exc
            raise
    return wrapper  # type: ignore[return-value]


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
@native_404
def show_image(image_id: str) -> Response:
    c = ctx()
    with db().peek() as tx:  # the image row (and a member's own membership): no transaction round trips
        img = images.get_image(tx, c.project_id, image_id)
    return jsonify(images.image_view(images.as_seen_by(img, c.project_id), GLANCE_FIELDS))


@bp.patch("/v2/images/<image_id>")
@operation("ims.glance_update_image", resource_arg="image_id")
@native_404
def update_image(image_id: str) -> Response:
    return patch_image(image_id, GLANCE_FIELDS, EDITABLE)


@bp.delete("/v2/images/<image_id>")
@operation("ims.glance_delete_image", resource_arg="image_id")
@native_404
def delete_image(image_id: str) -> tuple[str, int]:
    raw = body_json(required=False)
    data = load(schemas.GlanceDeleteBody(), raw if raw is not None else {})
    with db().write() as tx:
        images.delete_image(tx, ctx(), image_id, data["delete_backup"])
    return "", 204
