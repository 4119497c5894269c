"""The request's headers as one plain dict (lower-case names), read from the WSGI environ once a request.

werkzeug's `request.headers` re-walks the environ on every iteration; the gateway's size limits and the
signature check both iterate, on every request, so they share this one pass instead.
"""

from __future__ import annotations

from typing import Any

_KEY = "ims_emulator.headers"
_CONTENT = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}
_NOT_HEADERS = ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")  # the same rule as werkzeug's EnvironHeaders


def of(environ: dict[str, Any]) -> dict[str, str]:
    """{lower-case name: value}, the headers werkzeug's EnvironHeaders would list."""
    found: dict[str, str] | None = environ.get(_KEY)
    if found is None:
        found = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                 if key[:5] == "HTTP_" and key not in _NOT_HEADERS}
        for key, name in _CONTENT.items():
            if environ.get(key):
                found[name] = environ[key]
        environ[_KEY] = found
    return found


def has_body(environ: dict[str, Any]) -> bool:
    """Whether the request says it carries a body (a GET poll does not: no input stream need be read)."""
    return environ.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in environ
