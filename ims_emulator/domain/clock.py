"""Virtual time, transition policies and the wire formats of timestamps.

Virtual now = wall clock + an offset kept in the store, so every worker process agrees and
`POST /_emulator/clock/advance` moves all of them at once; a project may have its own offset and
policy overrides on top (parallel suites on one emulator), resolved by effective().
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


# --- the clocks and policy maps a request runs under (global, and per project) -----------------
#
# Control keys (each a row of the store's control table, so every worker agrees):
#   clock_offset     global offset, seconds (virtual now = wall now + offset)
#   clock_frozen_at  the wall time the global clock was frozen at (absent = running)
#   transitions      the global policy map
#   project:<id>     one project's overrides: {"offset_seconds", "frozen_at", "transitions"}
# A project's now = the global virtual now + its own offset (or its frozen moment + its offset).
# Times a task stores (created_at, due_at, ended_at) are in the clock of the task's project.

MAX_OFFSET = 100 * 366 * 86400   # each offset (global, project) stays within +-100 years
GLOBAL_KEYS = ("clock_offset", "clock_frozen_at", "transitions")
PROJECT_PREFIX = "project:"


class ClockError(ValueError):
    """A clock move outside the supported range (the control API's 400)."""


def project_key(project_id: str) -> str:
    return PROJECT_PREFIX + project_id


def control_keys(project_id: str) -> tuple[str, ...]:
    """The control rows a request of this project needs for effective()."""
    return (*GLOBAL_KEYS, project_key(project_id))


@dataclass(frozen=True)
class Clock:
    """One clock: a base time (wall time, or the global now for a project) + offset, or frozen."""

    offset: float = 0.0
    frozen_at: float | None = None   # the base time it stopped at

    def now(self, base: float) -> float:
        return (base if self.frozen_at is None else self.frozen_at) + self.offset

    def advanced(self, seconds: float) -> Clock:
        return Clock(_bounded(self.offset + seconds), self.frozen_at)

    def changed(self, base: float, offset: float | None = None, freeze: bool | None = None) -> Clock:
        """Set the offset and/or freeze or unfreeze; unfreezing goes on from the frozen moment."""
        clock = self if offset is None else Clock(_bounded(offset), self.frozen_at)
        if freeze and clock.frozen_at is None:
            clock = Clock(clock.offset, base)
        elif freeze is False and clock.frozen_at is not None:
            clock = Clock(_bounded(clock.now(base) - base), None)
        return clock


def _bounded(offset: float) -> float:
    if not -MAX_OFFSET <= offset <= MAX_OFFSET:
        raise ClockError(f"the clock offset would be {offset:.0f} s; it must stay within "
                         f"+-{MAX_OFFSET} s (100 years) of the wall clock")
    return offset


def global_clock(control: dict[str, Any]) -> Clock:
    return Clock(control.get("clock_offset") or 0.0, control.get("clock_frozen_at"))


def overrides(control: dict[str, Any], project_id: str) -> dict[str, Any]:
    """A project's stored overrides ({} when it has none)."""
    return control.get(project_key(project_id)) or {}


def project_clock(control: dict[str, Any], project_id: str) -> Clock:
    o = overrides(control, project_id)
    return Clock(o.get("offset_seconds") or 0.0, o.get("frozen_at"))


def global_now(control: dict[str, Any], wall_now: float) -> float:
    return global_clock(control).now(wall_now)


def at_project(control: dict[str, Any], project_id: str, base_now: float) -> tuple[float, dict[str, str]]:
    """(now, transitions) of a project, given the global virtual now."""
    return (project_clock(control, project_id).now(base_now),
            layer(control.get("transitions") or {}, overrides(control, project_id).get("transitions") or {}))


def effective(control: dict[str, Any], project_id: str, wall_now: float) -> tuple[float, dict[str, str]]:
    """THE (now, transition map) a request of project_id runs under; control holds control_keys(project_id)."""
    return at_project(control, project_id, global_now(control, wall_now))


def layer(global_map: dict[str, str], project_map: dict[str, str]) -> dict[str, str]:
    """One map a plain lookup (op, then `service.*`, then default) resolves project-first, per operation.

    A project entry wins at its own level and below: a project `csbs.*` beats a global `csbs.protect`,
    and a project `default` means the global map is not consulted at all."""
    if not project_map:
        return global_map
    if "default" in project_map:
        return dict(project_map)
    globs = {k[:-1] for k in project_map if k.endswith(".*")}
    kept = {k: v for k, v in global_map.items() if not any(k.startswith(g) for g in globs)}
    return {**kept, **project_map}


# --- reading and writing the clocks in the store (through the control repository) ------------------

def load(tx: Any, project_id: str | None = None) -> dict[str, Any]:
    """The control rows for the global clock/map, and one project's overrides or all of them."""
    control = {k: tx.control.get(k) for k in GLOBAL_KEYS}
    if project_id is None:
        control.update(tx.control.with_prefix(PROJECT_PREFIX))
    else:
        control[project_key(project_id)] = tx.control.get(project_key(project_id))
    return {k: v for k, v in control.items() if v is not None}


def project_ids(control: dict[str, Any]) -> list[str]:
    """Projects that have overrides, in a loaded control dict."""
    return sorted(k[len(PROJECT_PREFIX):] for k in control if k.startswith(PROJECT_PREFIX))


def save_global(tx: Any, clock: Clock) -> None:
    tx.control.set("clock_offset", clock.offset)
    if clock.frozen_at is None:
        tx.control.delete("clock_frozen_at")
    else:
        tx.control.set("clock_frozen_at", clock.frozen_at)


def save_project(tx: Any, project_id: str, clock: Clock | None = None,
                 transitions: dict[str, str] | None = None) -> None:
    """Change a project's clock and/or overrides; a project back at the defaults leaves no row."""
    current = tx.control.get(project_key(project_id)) or {}
    new = dict(current)
    if clock is not None:
        new.update(offset_seconds=clock.offset, frozen_at=clock.frozen_at)
    if transitions is not None:
        new["transitions"] = transitions
    new = {k: v for k, v in new.items() if v}  # 0 offset, not frozen, no overrides: nothing to keep
    if new:
        tx.control.set(project_key(project_id), new)
    else:
        tx.control.delete(project_key(project_id))


def forget(tx: Any, project_id: str) -> None:
    """A project's overrides and offset go with it (reset of the project)."""
    tx.control.delete(project_key(project_id))


def forget_all(tx: Any) -> None:
    for key in tx.control.with_prefix(PROJECT_PREFIX):
        tx.control.delete(key)


def now_of(control: Mapping[str, Any], wall_now: float) -> Callable[[str], float]:
    """project id -> that project's virtual now (what settling work of several projects needs);
    control holds the global clock keys and the project rows (the whole control table will do)."""
    return Clocks(dict(control), wall_now).now_of


class Clocks:
    """Every project's now at one moment (clock advance, settle, state dump)."""

    def __init__(self, control: dict[str, Any], wall_now: float) -> None:
        self.control = control
        self.global_now = global_now(control, wall_now)

    def now_of(self, project_id: str) -> float:
        return project_clock(self.control, project_id).now(self.global_now)


# --- wire formats of timestamps (each service has its own) ---------------------------------

def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


@lru_cache(maxsize=4096)  # pure, and polls render the same times again and again
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


@lru_cache(maxsize=4096)
def iso_micros_naive(ts: float) -> str:
    """CSBS items, EVS volumes: 2018-08-17T07:58:56.492307 (UTC, no zone)."""
    return _dt(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")


@lru_cache(maxsize=4096)
def iso_millis_offset(ts: float) -> str:
    """CBR: 2020-02-21T07:07:25.114+00:00."""
    d = _dt(ts)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+00:00"

