"""Identifier formats the real services use."""

from __future__ import annotations

import re
import secrets
import uuid

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEX32_RE = re.compile(r"^[0-9a-f]{32}$")


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_job_id() -> str:
    """IMS/ECS job ids: 32 lowercase hex starting ff8080 (live captures)."""
    return "ff8080" + secrets.token_hex(13)


def new_request_id() -> str:
    return secrets.token_hex(16)


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))
