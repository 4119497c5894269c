"""Ids one side created, translated to the ids the other side created for the same thing.

When the upstream answers a create with job `J1` and the emulator (same request, same world) with `J2`, a client
that later polls `J1` must reach `J2` on the emulator. Both answers are walked side by side; wherever they hold
different ids (UUID or 32 hex) at the same place, the pair is learnt. Used by parity mode (upstream -> emulator)
and by the recordings report (recorded -> replayed)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

ID = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-f]{32})$")
SKIP_KEYS = {"request_id"}  # per-answer values, never named by a later request


class IdMap:
    def __init__(self, seed: dict[str, str] | None = None) -> None:
        self._map: dict[str, str] = dict(seed or {})
        self._lock = threading.Lock()

    def learn(self, theirs: Any, ours: Any) -> None:
        with self._lock:
            self._walk(theirs, ours)

    def _walk(self, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a.keys() & b.keys():
                if key not in SKIP_KEYS:
                    self._walk(a[key], b[key])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for x, y in zip(a, b, strict=True):
                self._walk(x, y)
        elif isinstance(a, str) and isinstance(b, str) and a != b and ID.match(a) and ID.match(b):
            self._map.setdefault(a, b)

    def text(self, value: str) -> str:
        with self._lock:
            if not self._map:
                return value
            pattern = re.compile("|".join(map(re.escape, sorted(self._map, key=len, reverse=True))))
            return pattern.sub(lambda m: self._map[m.group(0)], value)

    def body(self, raw: bytes) -> bytes:
        """A request body with the learnt ids replaced (JSON re-encoded only when something changed)."""
        if not raw or not self._map:
            return raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
        swapped = self.text(text)
        return raw if swapped == text else swapped.encode("utf-8")

    def __len__(self) -> int:
        return len(self._map)


def parse_json(raw: bytes | str | None) -> Any:
    """A body as JSON, or its text when it is not JSON, or None when empty."""
    if raw is None or raw in (b"", ""):
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text
