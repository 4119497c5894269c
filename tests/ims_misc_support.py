"""Helpers for the tag / member / quota tests: images to work on, SDK model checks."""

from __future__ import annotations

import json
import uuid
from typing import Any

from emulator.domain.records import Entity
from tests.support import InProcessServer

IMAGE_KIND = "image"


def make_image(server: InProcessServer, project_id: str, *, name: str = "img", status: str = "active",
               source: str = "ecs", whole: bool = False, backup_shared_to_us: bool = False,
               visibility: str = "private", tags: list[str] | None = None, **doc: Any) -> str:
    """Store an image the way the images module does (kind "image", wire attributes + `_source`)."""
    image_id = str(uuid.uuid4())
    body = {
        "id": image_id, "name": name, "status": status, "visibility": visibility, "owner": project_id,
        "protected": False, "__imagetype": "gold" if visibility == "public" else "private",
        "__whole_image": "true" if whole else "false", "tags": list(tags or []),
        "_source": {"type": source, "whole": whole, "backup_shared_to_us": backup_shared_to_us}, **doc,
    }
    entity = Entity(kind=IMAGE_KIND, id=image_id, project_id=project_id, created_at=1.7e9, doc=body,
                    status=status, name=name)
    with server.app.config["DB"].write() as tx:
        tx.entities.insert(entity)
    return image_id


def image_doc(server: InProcessServer, image_id: str) -> dict[str, Any]:
    with server.app.config["DB"].read() as tx:
        entity = tx.entities.get(IMAGE_KIND, image_id)
    assert entity is not None
    return entity.doc


def no_unknown_fields(model: Any, body: Any) -> None:
    """Every key of a response body maps to an attribute of the SDK model (recursively for nested models)."""
    if isinstance(body, list):
        for item in body:
            no_unknown_fields(model, item)
        return
    if not isinstance(body, dict) or not hasattr(model, "attribute_map"):
        return
    wire = {v: k for k, v in model.attribute_map.items()}
    unknown = set(body) - set(wire)
    assert not unknown, f"{type(model).__name__}: unknown fields {unknown}"
    import huaweicloudsdkims.v2.model as models
    for key, value in body.items():
        typ = model.openapi_types[wire[key]]
        inner = typ[5:-1] if typ.startswith("list[") else typ
        cls = getattr(models, inner, None)
        if cls is not None:
            no_unknown_fields(cls(), value)


def dumps(body: Any) -> str:
    return json.dumps(body, sort_keys=True)
