"""What `serve` prints on start: the address actually bound, SDK credentials that work in the auth mode it runs
in, and a warning when the port is reachable from other machines."""

from __future__ import annotations

import ipaddress

from ims_emulator.settings import Settings

SK_ENV = "IMS_EMULATOR_SK"  # the pytest plugin reads the same variable


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def client_url(bound_host: str, port: int) -> str:
    """Where a client on this machine connects: loopback when every interface is bound."""
    if bound_host in ("0.0.0.0", "::", ""):
        return url("127.0.0.1" if bound_host != "::" else "::1", port)
    return url(bound_host, port)


def credentials_line(settings: Settings, project: str) -> str:
    """The snippet's BasicCredentials(...): any pair off strict; in strict mode the first key, its SK read from
    IMS_EMULATOR_SK (never printed), and a project the key may use."""
    if settings.auth != "strict":
        return f'creds = BasicCredentials("AK", "SK", "{project}")'
    key = next(iter(settings.keys().values()))
    if key.projects is not None and project not in key.projects:
        project = sorted(key.projects)[0]
    return (f"import os  # strict auth: export {SK_ENV}=<the SK given for {key.ak}>\n"
            f'  creds = BasicCredentials("{key.ak}", os.environ["{SK_ENV}"], "{project}")')


def bind_warning(settings: Settings, bound_host: str) -> str | None:
    if _loopback(bound_host):
        return None
    guard = ("the control API needs the control token" if settings.control_token else
             "anyone who reaches it can reset, restore, seed, inject faults and read every project's state "
             "through /_emulator (set --control-token or bind 127.0.0.1)")
    return f"ims-emulator: warning: listening on {bound_host or '0.0.0.0'}, not a loopback address: {guard}"


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
