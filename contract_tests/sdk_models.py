"""Walk a JSON body against an official SDK response model (`openapi_types` / `attribute_map`), recursively.

The SDK silently drops fields its model does not know, so "it deserialised" proves little: this walk reports
every field the model lacks and every value whose JSON type the model's declared type cannot hold."""

from __future__ import annotations

import importlib
import os
import re
from functools import cache
from typing import Any

from contract_tests.compare import Problem

SDK = "sdk"
MODEL_PACKAGES = {"ims": "huaweicloudsdkims.v2.model", "ecs": "huaweicloudsdkecs.v2.model",
                  "cbr": "huaweicloudsdkcbr.v1.model"}
_PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


@cache
def model_module(service: str) -> Any:
    return importlib.import_module(MODEL_PACKAGES[service])


def response_model(fixture: str) -> tuple[str, str] | None:
    """(service, response class name) for a fixture like `ims/list_images.gold.200.json`, if the SDK has one."""
    service, name = fixture.split("/", 1)
    if service not in MODEL_PACKAGES:
        return None
    op = os.path.basename(name).split(".")[0].split("-")[0]
    cls = "".join(part.capitalize() for part in op.split("_")) + "Response"
    return (service, cls) if hasattr(model_module(service), cls) else None


def walk_response(service: str, class_name: str, body: Any) -> list[Problem]:
    problems: list[Problem] = []
    cls = getattr(model_module(service), class_name)
    if set(cls.attribute_map) == {"body"}:  # the SDK wraps a bare JSON array/value as `.body`
        _walk(service, cls.openapi_types["body"], body, "$", problems)
    elif body is not None:
        _walk(service, class_name, body, "$", problems)
    return problems


def _walk(service: str, type_name: str, value: Any, path: str, out: list[Problem]) -> None:
    if value is None or type_name in ("object", "datetime", "date"):
        return
    if m := re.fullmatch(r"list\[(.+)\]", type_name):
        if not isinstance(value, list):
            out.append(Problem(SDK, path, f"model says {type_name}, got {type(value).__name__}"))
            return
        for item in value:
            _walk(service, m.group(1), item, path + "[]", out)
        return
    if m := re.fullmatch(r"dict\((\w+), (.+)\)", type_name):
        if not isinstance(value, dict):
            out.append(Problem(SDK, path, f"model says {type_name}, got {type(value).__name__}"))
            return
        for item in value.values():
            _walk(service, m.group(2), item, path + ".<key>", out)
        return
    if type_name in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[type_name]) and not (type_name != "bool" and isinstance(value, bool))
        if not ok:
            out.append(Problem(SDK, path, f"model says {type_name}, got {type(value).__name__} {value!r:.40}"))
        return
    _walk_model(service, type_name, value, path, out)


def _walk_model(service: str, type_name: str, value: Any, path: str, out: list[Problem]) -> None:
    cls = getattr(model_module(service), type_name, None)
    if cls is None:
        return  # an undeclared type name: nothing to hold the value to
    if not isinstance(value, dict):
        out.append(Problem(SDK, path, f"model {type_name} expects an object, got {type(value).__name__}"))
        return
    wire_to_attr = {wire: attr for attr, wire in cls.attribute_map.items()}
    for key, item in value.items():
        attr = wire_to_attr.get(key)
        if attr is None:
            out.append(Problem(SDK, f"{path}.{key}", f"field unknown to the SDK model {type_name}"))
            continue
        _walk(service, cls.openapi_types[attr], item, f"{path}.{key}", out)
