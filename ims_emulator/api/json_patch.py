"""JSON-patch bodies of the image update routes (IMS PATCH /v2/cloudimages/{id}, Glance PATCH /v2/images/{id}):
parsed here, in the API layer, into the plain changes domain/images.update_image applies."""

from __future__ import annotations

from typing import Any

from ims_emulator.domain.errors import ServiceError


def normalise_patch(ops: Any) -> list[dict[str, Any]]:
    """v2.1 json-patch [{op, path, value}] or v2.0 [{"replace": "/attr", "value"}] -> [{op, attr, value}]."""
    if not isinstance(ops, list) or not ops:
        raise ServiceError("IMG.0001", "The request body must be a non-empty JSON array of patch operations.")
    out = []
    for item in ops:
        if not isinstance(item, dict):
            raise ServiceError("IMG.0001", "Each patch operation must be an object.")
        op = item.get("op")
        path = item.get("path")
        if op is None:  # v2.0 form
            found = [k for k in ("add", "replace", "remove") if k in item]
            if len(found) != 1:
                raise ServiceError("IMG.0001", "Patch operation must be add, replace or remove.")
            op, path = found[0], item[found[0]]
        if op not in ("add", "replace", "remove"):
            raise ServiceError("IMG.0001", f"Unsupported patch operation {op}.")
        if not isinstance(path, str) or not path.startswith("/") or len(path) < 2:
            raise ServiceError("IMG.0001", "Patch path must look like /<attribute>.")
        if op != "remove" and "value" not in item:
            raise ServiceError("IMG.0001", f"Patch operation {op} needs a value.")
        out.append({"op": op, "attr": path[1:], "value": item.get("value")})
    return out
