"""Who is calling and for which project: off | loose | strict (SDK-HMAC-SHA256 verified)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import request

from emulator.domain import signing
from emulator.domain.errors import ServiceError
from emulator.settings import Settings


def raw_path() -> str:
    env = request.environ
    raw = env.get("RAW_URI") or env.get("REQUEST_URI")
    if raw:
        return raw.split("?", 1)[0]
    return request.path


def check(settings: Settings) -> None:
    """Raise the gateway's 401 (APIGW.0301) when the request may not pass."""
    if settings.auth == "off":
        return
    headers = request.headers
    if settings.auth == "loose":
        if headers.get("Authorization") or headers.get("X-Auth-Token"):
            return
        raise ServiceError("APIGW.0301", detail="no Authorization or X-Auth-Token header")
    problem = signing.verify(request.method, raw_path(), request.query_string.decode("latin-1"),
                             headers, request.get_data(cache=True), settings.credential_map(),
                             datetime.now(timezone.utc))
    if problem:
        raise ServiceError("APIGW.0301", detail=problem)


def project_id(path_project: str | None) -> str | None:
    """Path first, then X-Project-Id (the SDK sends it with AK/SK), then none."""
    return path_project or request.headers.get("X-Project-Id") or None
