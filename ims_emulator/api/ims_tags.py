"""IMS image tags: v1 legacy tags, v2 key/value tags, tag queries, Glance native tags."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ims_emulator.api.glance import native_404
from ims_emulator.api.ops import body_json, ctx, db, load, operation, query_int
from ims_emulator.api.schemas import ims_extra as schemas
from ims_emulator.domain import image_list, image_tags
from ims_emulator.domain.errors import ServiceError

SERVICE = "ims"
bp = Blueprint("ims_tags", __name__)


def _no_content() -> Response:
    return Response(status=204)


def _tag_pairs(items: list[dict[str, str]]) -> list[image_tags.Pair]:
    return image_tags.unique_keys(image_tags.check_pair(t["key"], t["value"]) for t in items)


# -- v1 ------------------------------------------------------------------------------------------

@bp.put("/v1/cloudimages/tags")
@operation("ims.create_or_update_tags")
def create_or_update_tags() -> Response:
    data = load(schemas.CreateOrUpdateTagsBody(), body_json())
    if ("tag" in data) == ("image_tag" in data):
        raise ServiceError("IMG.0115", "Exactly one of tag and image_tag is required.")
    if "tag" in data:
        pair = image_tags.check_legacy(data["tag"])
    else:
        pair = image_tags.check_pair(data["image_tag"]["key"], data["image_tag"]["value"])
    with db().write() as tx:
        image_tags.change(tx, ctx().project_id, data["image_id"], add=[pair])
    return _no_content()


@bp.delete("/v1/<project_id>/cloudimages/<image_id>/tags/delete")
@operation("ims.batch_delete_tags", resource_arg="image_id")
def batch_delete_tags(project_id: str, image_id: str) -> Response:
    data = load(schemas.TagListBody(), body_json())
    doomed = [image_tags.check_delete_pair(t["key"], t["value"]) for t in data["tags"]]
    with db().write() as tx:
        image_tags.change(tx, ctx().project_id, image_id, drop=doomed)
    return _no_content()


# the ListImages filters ListTags takes too (it narrows the images whose tags it lists)
IMAGE_FILTERS = ("id", "status", "name", "__platform", "__os_type", "virtual_env_type", "enterprise_project_id",
                 "architecture", "created_at", "updated_at")


@bp.get("/v1/cloudimages/tags")
@operation("ims.list_tags")
def list_tags() -> Response:
    limit = query_int("limit", None, 1)
    page = query_int("page", 1, 1) or 1
    matches = image_list.predicate({k: v for k, v in request.args.items() if k in IMAGE_FILTERS})
    min_disk = query_int("min_disk", None, 0)
    with db().read() as tx:
        images = image_tags.listed_images(tx, ctx().project_id, request.args.get("__imagetype"),
                                           request.args.get("member_status"))
    images = [i for i in images if matches(i) and (min_disk is None or int(i.doc.get("min_disk") or 0) >= min_disk)]
    tags = image_tags.legacy_strings(images)
    if limit is not None:
        tags = tags[(page - 1) * limit: page * limit]
    return jsonify({"tags": tags})


# -- v2 key/value tags ----------------------------------------------------------------------------

@bp.post("/v2/<project_id>/images/<image_id>/tags")
@operation("ims.add_image_tag", resource_arg="image_id")
def add_image_tag(project_id: str, image_id: str) -> Response:
    data = load(schemas.AddImageTagBody(), body_json())
    pair = image_tags.check_pair(data["tag"]["key"], data["tag"]["value"])
    with db().write() as tx:
        image_tags.change(tx, ctx().project_id, image_id, add=[pair])
    return _no_content()


@bp.post("/v2/<project_id>/images/<image_id>/tags/action")
@operation("ims.batch_add_or_delete_tags", resource_arg="image_id")
def batch_add_or_delete_tags(project_id: str, image_id: str) -> Response:
    data = load(schemas.BatchAddOrDeleteTagsBody(), body_json())
    with db().write() as tx:
        if data["action"] == "create":
            image_tags.change(tx, ctx().project_id, image_id, add=_tag_pairs(data["tags"]))
        else:
            doomed = [image_tags.check_delete_pair(t["key"], t["value"]) for t in data["tags"]]
            image_tags.change(tx, ctx().project_id, image_id, drop=image_tags.unique_keys(doomed))
    return _no_content()


@bp.delete("/v2/<project_id>/images/<image_id>/tags/<key>")
@operation("ims.delete_image_tag", resource_arg="image_id")
def delete_image_tag(project_id: str, image_id: str, key: str) -> Response:
    if len(key) > image_tags.DELETE_KEY_MAX:
        raise ServiceError("IMG.0115", f"Invalid tag key '{key}'.")
    with db().write() as tx:
        image_tags.change(tx, ctx().project_id, image_id, drop_key=key)
    return _no_content()


@bp.get("/v2/<project_id>/images/<image_id>/tags")
@operation("ims.list_image_tags", resource_arg="image_id")
def list_image_tags(project_id: str, image_id: str) -> Response:
    with db().read() as tx:
        image = image_tags.owned_image(tx, ctx().project_id, image_id)
    return jsonify({"tags": [{"key": k, "value": v} for k, v in image_tags.pairs(image)]})


@bp.get("/v2/<project_id>/images/tags")
@operation("ims.list_images_tags")
def list_images_tags(project_id: str) -> Response:
    with db().read() as tx:
        images = image_tags.project_images(tx, ctx().project_id)
    return jsonify({"tags": image_tags.keys_with_values(images)})


@bp.post("/v2/<project_id>/images/resource_instances/action")
@operation("ims.list_image_by_tags")
def list_image_by_tags(project_id: str) -> Response:
    query = load(schemas.ListImageByTagsBody(), body_json())
    with db().read() as tx:
        found = [i for i in image_tags.project_images(tx, ctx().project_id) if image_tags.matches(i, query)]
    if query["action"] == "count":
        return jsonify({"total_count": len(found)})
    offset, limit = int(query["offset"]), int(query["limit"])
    page = found[offset: offset + limit]
    return jsonify({"resources": [image_tags.resource_view(i) for i in page], "total_count": len(found)})


# -- Glance native tags (a key without a value) ------------------------------------------------------

@bp.put("/v2/images/<image_id>/tags/<tag>")
@operation("ims.glance_create_tag", resource_arg="image_id")
@native_404
def glance_create_tag(image_id: str, tag: str) -> Response:
    key, _ = image_tags.check_pair(tag, "", key_max=image_tags.GLANCE_TAG_MAX)
    with db().write() as tx:
        image = image_tags.owned_image(tx, ctx().project_id, image_id)
        if key not in image_tags.as_dict(image):  # an existing key keeps its value
            image_tags.change(tx, ctx().project_id, image_id, add=[(key, "")])
    return _no_content()


@bp.delete("/v2/images/<image_id>/tags/<tag>")
@operation("ims.glance_delete_tag", resource_arg="image_id")
@native_404
def glance_delete_tag(image_id: str, tag: str) -> Response:
    with db().write() as tx:
        image_tags.change(tx, ctx().project_id, image_id, drop_key=tag)
    return _no_content()
