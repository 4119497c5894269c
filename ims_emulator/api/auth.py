"""Who is calling and for which project: off | loose | strict (SDK-HMAC-SHA256 verified, keys optionally
scoped to projects); and who may use the control API when a control token is set."""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime, timezone

from flask import Response, current_app, g, request

from ims_emulator.api import headers as request_headers
from ims_emulator.api.errors import control_error
from ims_emulator.control import TOKEN_HEADER
from ims_emulator.credentials import is_project_id
from ims_emulator.domain import signing
from ims_emulator.domain.errors import ServiceError
from ims_emulator.settings import Settings

CONTROL_TOKEN_HEADER = TOKEN_HEADER
OPEN_CONTROL_PATHS = ("/_emulator/health",)  # the Docker HEALTHCHECK and wait-for-start loops


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
    env = request.environ
    headers = request_headers.of(env)
    if settings.auth == "loose":
        if headers.get("authorization") or headers.get("x-auth-token"):
            return
        raise ServiceError("APIGW.0301", detail="no Authorization or X-Auth-Token header")
    body = request.get_data(cache=True) if request_headers.has_body(env) else b""
    problem = signing.verify(request.method, raw_path(), request.query_string.decode("latin-1"), headers, body,
                             settings.credential_map(), datetime.now(timezone.utc))
    if problem:
        raise ServiceError("APIGW.0301", detail=problem)
    g.access_key = signing.parse_authorization(headers["authorization"]).access  # verified: it parses


def project_id(path_project: str | None) -> str | None:
    """Path first, then X-Project-Id (the SDK sends it with AK/SK), then none. In strict mode every project the
    request names must be a project id the signing key may use, else the gateway's 403 (APIGW.0302)."""
    header = request_headers.of(request.environ).get("x-project-id")
    settings: Settings = current_app.config["SETTINGS"]
    if settings.auth == "strict":
        key = settings.keys()[g.access_key]
        for named in filter(None, (path_project, header)):
            if not is_project_id(named) or not key.allows(named):
                raise ServiceError("APIGW.0302")
    return path_project or header or None


def control_guard() -> Response | None:
    """With a control token set, /_emulator/* (but health) needs it: X-Emulator-Token, or HTTP Basic with the
    token as password (so a browser can open the dashboard)."""
    token: str = current_app.config["SETTINGS"].control_token
    if not token or g.get("service") != "control" or request.path in OPEN_CONTROL_PATHS:
        return None
    given = request.headers.get(CONTROL_TOKEN_HEADER) or _basic_password()
    if given is not None and hmac.compare_digest(given.encode(), token.encode()):
        return None
    resp = control_error(401, f"the control API needs the control token: send it as {CONTROL_TOKEN_HEADER}")
    resp.headers["WWW-Authenticate"] = 'Basic realm="ims-emulator control API"'
    return resp


def _basic_password() -> str | None:
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return None
