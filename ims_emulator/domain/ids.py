"""Identifier formats the real services use."""

from __future__ import annotations

import random
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
    """32 hex digits; from the process's PRNG (reseeded in each forked worker), not the OS: a request id
    is no secret, and it is made on every request."""
    return f"{random.getrandbits(128):032x}"


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))
