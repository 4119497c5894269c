"""Virtual time, transition policies and the wire formats of timestamps.

Virtual now = wall clock + an offset kept in the store, so every worker process agrees and
`POST /_emulator/clock/advance` moves all of them at once.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

POLICY_RE = re.compile(r"^(instant|manual|polls:([1-9][0-9]{0,5})|seconds:([0-9]+(?:\.[0-9]+)?))$")


@dataclass(frozen=True)
class Policy:
    """How long one async operation takes: instant | polls:N | seconds:X | manual."""

    kind: str
    amount: float = 0

    @classmethod
    def parse(cls, text: str) -> Policy:
        m = POLICY_RE.match(text.strip())
        if not m:
            raise ValueError(f"invalid transition policy {text!r}: use instant, polls:N, seconds:X or manual")
        if m.group(2):
            return cls("polls", int(m.group(2)))
        if m.group(3):
            return cls("seconds", float(m.group(3)))
        return cls(m.group(1))

    def __str__(self) -> str:
        if self.kind == "polls":
            return f"polls:{int(self.amount)}"
        if self.kind == "seconds":
            return f"seconds:{self.amount:g}"
        return self.kind


def effective(control: Mapping[str, Any], project_id: str, wall_now: float) -> tuple[float, dict[str, str]]:
    """A project's virtual now and transition policies, from the shared control values. The request
    pipeline and every settle go through this one function."""
    return wall_now + control.get("clock_offset", 0.0), control.get("transitions", {})


def now_of(control: Mapping[str, Any], wall_now: float) -> Callable[[str], float]:
    """project id -> that project's virtual now (what settling work of several projects needs)."""
    return lambda project_id: effective(control, project_id, wall_now)[0]


def parse_policy_map(text: str) -> dict[str, str]:
    """`instant` or `default=instant,csbs.protect=polls:3` -> {"default": ..., op: ...}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.rpartition("=")
        out[name.strip() or "default"] = str(Policy.parse(value))
    return out


def progress(policy: Policy, started: float, now: float, polls_seen: int) -> float:
    """Fraction of the work done, 0..1, as a client would see it while polling."""
    if policy.kind == "instant":
        return 1.0
    if policy.kind == "polls":
        return min(1.0, polls_seen / policy.amount)
    if policy.kind == "seconds":
        return 1.0 if policy.amount == 0 else min(1.0, max(0.0, (now - started) / policy.amount))
    return 0.0


# --- wire formats of timestamps (each service has its own) ---------------------------------

def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def iso_seconds(ts: float) -> str:
    """IMS image / ECS server / Glance member: 2018-09-13T07:03:44Z."""
    return _dt(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(ts: float) -> str:
    """IMS/ECS jobs: 2024-11-06T06:19:43.195Z. On every job poll: the seconds part is remembered, and the
    fraction is rounded to microseconds as datetime.fromtimestamp rounds it (same text, a sixth of the cost)."""
    frac, whole = math.modf(ts)
    micros = round(frac * 1e6)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    return f"{_utc_second(int(whole))}.{micros // 1000:03d}Z"


@lru_cache(maxsize=4096)
def _utc_second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def iso_micros_naive(ts: float) -> str:
    """CSBS items, EVS volumes: 2018-08-17T07:58:56.492307 (UTC, no zone)."""
    return _dt(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")


def iso_millis_offset(ts: float) -> str:
    """CBR: 2020-02-21T07:07:25.114+00:00."""
    d = _dt(ts)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+00:00"

