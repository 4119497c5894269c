"""Placeholders: what makes a recording shareable. Account, project, domain and user ids, access keys, request
ids and addresses are replaced by stable placeholders, the same value by the same placeholder throughout one
recording session, keeping each value's shape (32 hex stays 32 hex, a UUID stays a UUID, an IPv4 address stays
an IPv4 address from the documentation range) so the contract comparator's format checks still hold. The secret
key never reaches this module's output: it is scrubbed like any known value, as a last line of defence."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from ims_emulator.domain.ids import HEX32_RE, UUID_RE

# JSON keys whose values identify an account: (key pattern, placeholder kind)
ID_KEYS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(.*_)?domain_id$|^account_id$|^domain$"), "domain"),
    (re.compile(r"^(.*_)?user_id$|^created_by$"), "user"),
    (re.compile(r"^(.*_)?(project_id|tenant_id)$|^owner$|^member_id$|^projects$|^project$"), "project"),
    (re.compile(r"^request_id$"), "request"),
)
ID_HEADERS = {"x-project-id": "project", "x-domain-id": "domain", "x-request-id": "request",
              "x-openstack-request-id": "request", "x-compute-request-id": "request"}
HEX_PREFIX = {"project": "aaaaaaaa", "domain": "dddddddd", "user": "cccccccc", "request": "eeeeeeee",
              "ak": "abababab"}
IPV4 = r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"
MAC = r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:])"
IPV6 = (r"(?<![0-9A-Fa-f:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)(?![0-9A-Fa-f:])")
EMAIL = r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
PATTERNS = ((re.compile(MAC), "mac"), (re.compile(IPV6), "ipv6"), (re.compile(IPV4), "ipv4"),
            (re.compile(EMAIL), "email"))


class Placeholders:
    """value -> placeholder, for one recording session (thread-safe)."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._known: re.Pattern[str] | None = None

    def add(self, kind: str, value: str) -> str:
        """The placeholder for a value (made on first sight). Empty and very short values are left alone."""
        if not isinstance(value, str) or len(value) < 6:
            return value
        with self._lock:
            if value not in self._map:
                self._counts[kind] += 1
                self._map[value] = self._shape(kind, value, self._counts[kind])
                self._known = None
            return self._map[value]

    def secret(self, value: str) -> None:
        """A value that must never appear (an SK, a token): replaced wherever it shows."""
        if value:
            with self._lock:
                self._map[value] = "<redacted>"
                self._known = None

    @staticmethod
    def _shape(kind: str, value: str, n: int) -> str:
        prefix = HEX_PREFIX.get(kind, "99999999")
        if HEX32_RE.match(value.lower()):
            return f"{prefix}{n:024x}"
        if UUID_RE.match(value):
            return f"{prefix}-0000-4000-8000-{n:012x}"
        if value.startswith("req-") and UUID_RE.match(value[4:]):
            return f"req-{prefix}-0000-4000-8000-{n:012x}"
        if kind == "ak":
            return f"AKPLACEHOLDER{n:07d}"
        if kind == "ipv4":
            return f"192.0.2.{n}" if n < 255 else f"198.51.100.{(n - 255) % 254 + 1}"
        if kind == "ipv6":
            return f"2001:db8::{n:x}"
        if kind == "mac":
            return f"fa:16:3e:00:{n // 256 % 256:02x}:{n % 256:02x}"
        if kind == "email":
            return f"user-{n}@example.com"
        return f"{kind}-placeholder-{n}"

    # -- learning which values identify the account ---------------------------------------------------
    def learn_json(self, value: Any, kind: str | None = None) -> None:
        """Register the values under identifying keys (project_id, owner, domain_id, request_id, ...)."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.learn_json(item, _kind_of(str(key)) or (kind if isinstance(item, list) else None))
        elif isinstance(value, list):
            for item in value:
                self.learn_json(item, kind)
        elif isinstance(value, str) and kind:
            self.add(kind, value)

    def learn_headers(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            kind = ID_HEADERS.get(name.lower())
            if kind:
                self.add(kind, value)

    # -- scrubbing --------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Every known value, then every address-shaped string, replaced."""
        for pattern, kind in PATTERNS:
            for found in dict.fromkeys(pattern.findall(value)):  # in order of appearance: stable numbers
                if found not in self._map.values():
                    self.add(kind, found)
        known = self._pattern()
        return known.sub(lambda m: self._map[m.group(0)], value) if known else value

    def json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._known is None and self._map:
                values = sorted(self._map, key=len, reverse=True)  # longest first: no partial replacement
                self._known = re.compile("|".join(map(re.escape, values)))
            return self._known

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


def _kind_of(key: str) -> str | None:
    lowered = key.lower()
    return next((kind for pattern, kind in ID_KEYS if pattern.match(lowered)), None)
