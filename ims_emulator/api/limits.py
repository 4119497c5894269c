"""The API gateway's size limits, answered alike by one process and by `--workers N`.

gunicorn's own request-line and header limits are lifted (server.py) so that every oversized request reaches
`check()`; the single-process server's handler answers what it cannot parse (over 64 KiB) with `gateway_body()`.
Both give the gateway's APIGW.0201 body: 414 `Request URI too large.`, 494 `Request headers too large.`
"""

from __future__ import annotations

import json

from flask import Response, g, request

from ims_emulator.api import headers as request_headers
from ims_emulator.api.errors import error_response
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_request_id

MAX_URI_BYTES = 32 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100  # also the most the standard library's HTTP server reads
URI_TOO_LARGE = (414, "Request URI too large.")
HEADERS_TOO_LARGE = (494, "Request headers too large.")


def check() -> Response | None:
    """Before anything else (auth included), as the gateway does."""
    env = request.environ
    uri = env.get("RAW_URI") or env.get("REQUEST_URI") or request.full_path
    if len(uri.encode("latin-1", "replace")) > MAX_URI_BYTES:
        return _refuse(*URI_TOO_LARGE)
    headers = request_headers.of(env)
    if len(headers) > MAX_HEADERS or sum(len(k) + len(v) + 4 for k, v in headers.items()) > MAX_HEADER_BYTES:
        return _refuse(*HEADERS_TOO_LARGE)
    return None


def _refuse(status: int, message: str) -> Response:
    g.request_id = g.get("request_id") or new_request_id()
    return error_response(ServiceError("APIGW.0201", message, status=status))


def gateway_body(code: int) -> tuple[int, str, str, bytes]:
    """(status, reason, request id, body) for an HTTP error the server itself raises (414 / 431)."""
    status, message = URI_TOO_LARGE if code == 414 else HEADERS_TOO_LARGE
    request_id = new_request_id()
    body = {"error_msg": message, "error_code": "APIGW.0201", "request_id": request_id}
    return status, message, request_id, json.dumps(body, separators=(",", ":")).encode()
