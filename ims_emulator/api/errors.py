"""Error bodies: each service's own shape, built from a domain ServiceError."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, g, jsonify

from ims_emulator.domain.errors import ServiceError


@dataclass(frozen=True)
class ServiceErrors:
    """The codes a service answers for failures that are not a domain rule."""

    invalid_body: str   # malformed JSON / wrong types
    internal: str       # an unexpected exception (answered with HTTP 500)


SERVICES: dict[str, ServiceErrors] = {
    "ims": ServiceErrors("IMG.0001", "IMG.0061"),
    "glance": ServiceErrors("IMG.0001", "IMG.0061"),
    "csbs": ServiceErrors("CSBS.9001", "CSBS.9999"),
    "cbr": ServiceErrors("BackupService.9900", "BackupService.9900"),
    "ecs": ServiceErrors("Ecs.0005", "Ecs.0001"),
    "evs": ServiceErrors("EVS.0001", "EVS.0001"),
    "control": ServiceErrors("APIGW.0201", "APIGW.0201"),
}


def error_response(exc: ServiceError) -> Response:
    if exc.body_format == "nested":
        body = {"error": {"message": exc.message, "code": exc.code}}
    elif exc.body_format == "flat":
        body = {"error_code": exc.code, "error_msg": exc.message}
    else:  # the API gateway's body: message, code, request id (live key order)
        body = {"error_msg": exc.message, "error_code": exc.code, "request_id": g.get("request_id", "")}
    resp = jsonify(body)
    resp.status_code = exc.status
    g.error = exc  # the access log and the dashboard show the code (and a 401's reason, never a secret)
    return resp


def control_error(status: int, message: str) -> Response:
    """The control API's own plain body (it is not an emulated service)."""
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp
