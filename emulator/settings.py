"""Every setting, read once: flags first, then IMS_EMULATOR_* environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from emulator import credentials
from emulator.credentials import Credential
from emulator.domain.clock import parse_policy_map
from emulator.domain.regions import DEFAULT_REGION

ENV_PREFIX = "IMS_EMULATOR_"
AUTH_MODES = ("off", "loose", "strict")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8085
    db: str = ".ims-emulator/state.db"
    world: str = "default"             # default | none | path to a world file
    region: str = DEFAULT_REGION
    auth: str = "loose"                # off | loose | strict
    credentials: str = ""              # AK:SK[@P+P][,...] (emulator/credentials.py)
    credentials_file: str = ""         # the same, or JSON with projects and domains, from a file
    control_token: str = ""            # when set, /_emulator/* (but health) needs it
    transitions: str = "instant"       # instant | default=...,op=...
    workers: int = 1
    log_format: str = "text"           # text | json
    log_bodies: bool = False
    max_body_bytes: int = 12 * 1024 * 1024  # the gateway's limit is about 12 MB
    quiet: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}")
        parse_policy_map(self.transitions)  # fail fast on a bad policy
        keys = self.keys()
        if self.auth == "strict" and not keys:
            raise ValueError("--auth strict needs access keys: --credentials AK:SK[,AK:SK...] or --credentials-file "
                             "FILE (IMS_EMULATOR_CREDENTIALS / IMS_EMULATOR_CREDENTIALS_FILE)")

    def keys(self) -> dict[str, Credential]:
        """{ak: Credential} (cached: strict auth needs it on every request)."""
        return credentials.load(self.credentials, self.credentials_file)

    def credential_map(self) -> dict[str, str]:
        return {ak: key.sk for ak, key in self.keys().items()}

    def transition_map(self) -> dict[str, str]:
        return parse_policy_map(self.transitions)


def env_defaults(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Settings given as IMS_EMULATOR_<NAME> variables, converted to their field types."""
    environ = dict(os.environ if environ is None else environ)
    out: dict[str, object] = {}
    for f in fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is None or f.name == "extra":
            continue
        if f.type in ("int", int):
            out[f.name] = int(raw)
        elif f.type in ("bool", bool):
            out[f.name] = raw.lower() in ("1", "true", "yes", "on")
        else:
            out[f.name] = raw
    return out
