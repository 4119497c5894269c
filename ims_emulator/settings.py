"""Every setting, read once: flags first, then IMS_EMULATOR_* environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache

from ims_emulator import credentials
from ims_emulator.credentials import Credential
from ims_emulator.domain.clock import parse_policy_map
from ims_emulator.domain.regions import DEFAULT_REGION

ENV_PREFIX = "IMS_EMULATOR_"
AUTH_MODES = ("off", "loose", "strict")
LOG_FORMATS = ("text", "json")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _name(setting: str) -> str:
    """How a user names a setting: its flag and its variable (error messages name both)."""
    return f"--{setting.replace('_', '-')} / {ENV_PREFIX}{setting.upper()}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8085
    db: str = ".ims-emulator/state.db"
    world: str = "default"             # default | none | path to a world file
    region: str = DEFAULT_REGION
    auth: str = "loose"                # off | loose | strict
    credentials: str = ""              # AK:SK[@P+P][,...] (ims_emulator/credentials.py)
    credentials_file: str = ""         # the same, or JSON with projects and domains, from a file
    control_token: str = ""            # when set, /_emulator/* (but health) needs it
    transitions: str = "instant"       # instant | default=...,op=...
    workers: int = 1
    threads: int = 2                   # per worker with --workers N (gunicorn gthread); 2 gave the best p99
    log_format: str = "text"           # text | json
    log_bodies: bool = False
    max_body_bytes: int = 12 * 1024 * 1024  # the gateway's limit is about 12 MB
    quiet: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"{_name('auth')}: got {self.auth!r}; accepted: {' | '.join(AUTH_MODES)}")
        if self.log_format not in LOG_FORMATS:
            raise ValueError(f"{_name('log_format')}: got {self.log_format!r}; accepted: {' | '.join(LOG_FORMATS)}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"{_name('port')}: got {self.port}; accepted: 0 (any free port) to 65535")
        if self.workers < 1:
            raise ValueError(f"{_name('workers')}: got {self.workers}; accepted: 1 or more")
        if self.threads < 2:  # gunicorn's gthread worker with one thread does not keep connections alive
            raise ValueError(f"{_name('threads')}: got {self.threads}; accepted: 2 or more")
        try:
            parse_policy_map(self.transitions)  # fail fast on a bad policy
        except ValueError as exc:
            raise ValueError(f"{_name('transitions')}: {exc}") from None
        keys = self.keys()
        if self.auth == "strict" and not keys:
            raise ValueError("--auth strict needs access keys: --credentials AK:SK[,AK:SK...] or --credentials-file "
                             "FILE (IMS_EMULATOR_CREDENTIALS / IMS_EMULATOR_CREDENTIALS_FILE)")

    def keys(self) -> dict[str, Credential]:
        """{ak: Credential} (cached: strict auth needs it on every request)."""
        return credentials.load(self.credentials, self.credentials_file)

    def credential_map(self) -> dict[str, str]:
        return _secret_keys(self.credentials, self.credentials_file)

    def transition_map(self) -> dict[str, str]:
        return parse_policy_map(self.transitions)


@lru_cache(maxsize=8)  # strict auth needs it on every request
def _secret_keys(text: str, file: str) -> dict[str, str]:
    return {ak: key.sk for ak, key in credentials.load(text, file).items()}


def env_defaults(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Settings given as IMS_EMULATOR_<NAME> variables, converted to their field types."""
    environ = dict(os.environ if environ is None else environ)
    out: dict[str, object] = {}
    for f in fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is None or f.name == "extra":
            continue
        if f.type in ("int", int):
            if not raw.strip().isascii() or not raw.strip().lstrip("-").isdigit():
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: got {raw!r}; accepted: an integer")
            out[f.name] = int(raw)
        elif f.type in ("bool", bool):
            if raw.lower() not in _TRUE + _FALSE:
                accepted = ", ".join(_TRUE + _FALSE[:-1])
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: got {raw!r}; accepted: {accepted}")
            out[f.name] = raw.lower() in _TRUE
        else:
            out[f.name] = raw
    return out
