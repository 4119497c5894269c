"""What every route uses: its operation name, the request context, body parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from marshmallow import Schema, ValidationError

from ims_emulator.domain import numbers
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.store import Database

F = TypeVar("F", bound=Callable[..., Any])


def operation(name: str, resource_arg: str | None = None, *, polls: str | None = None,
              check: Callable[[], object] | None = None) -> Callable[[F], F]:
    """Name a route after the API operation (fault rules and logs match on it).

    resource_arg: the view argument holding the resource id (per-resource faults, and what a poll reads).
    polls: this read counts as a poll of the work the resource depends on: a target in domain/polls.py,
        applied by the request pipeline before the route runs (never by the route itself).
    check: request checks to pass before a read counts as a poll (bad input polls nothing).
    """
    def deco(fn: F) -> F:
        fn.op = name  # type: ignore[attr-defined]
        fn.resource_arg = resource_arg  # type: ignore[attr-defined]
        fn.polls = polls  # type: ignore[attr-defined]
        fn.poll_check = check  # type: ignore[attr-defined]
        return fn
    return deco


def db() -> Database:
    return current_app.config["DB"]


def ctx() -> Ctx:
    return g.ctx


def service() -> str:
    return g.get("service", "ims")


def body_json(required: bool = True) -> Any:
    """The request body as JSON, whatever the media type (json, json-patch)."""
    from ims_emulator.api.errors import SERVICES
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ServiceError(SERVICES[service()].invalid_body, "Request body is empty.")
        return None
    try:
        return current_app.json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(SERVICES[service()].invalid_body, f"Request body is not valid JSON: {exc}") from exc


def load(schema: Schema, data: Any, code: str | None = None) -> Any:
    """Validate with marshmallow; a failure is the service's own 400 (nothing stored yet)."""
    from ims_emulator.api.errors import SERVICES
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ServiceError(code or SERVICES[service()].invalid_body, first_error(exc.messages)) from exc


def first_error(messages: Any, path: str = "") -> str:
    if isinstance(messages, dict):
        for key, value in messages.items():
            return first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(messages, list) and messages:
        head = messages[0]
        if isinstance(head, (dict, list)):
            return first_error(head, path)
        return f"{path}: {head}" if path else str(head)
    return f"{path}: invalid" if path else "invalid request"


def query_int(name: str, default: int | None, lo: int = 0, hi: int | None = None, code: str = "IMG.0017") -> int | None:
    """An integer query parameter through the one parser (domain/numbers.py); no hi = its INT32_MAX bound."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = numbers.parse(raw, numbers.Bounds(lo, numbers.INT32_MAX if hi is None else hi))
    if value is None:
        raise ServiceError(code, param=name, detail=name)
    return value
