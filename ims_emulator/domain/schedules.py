"""Backup policy schedules: the RRULE subset of CSBS/CBR trigger patterns, on the virtual clock.

python-dateutil does the RRULE arithmetic; this module extracts the rules from a pattern (CSBS: one
iCal string, wrapped in VCALENDAR or a bare VEVENT; CBR: a list of bare rules), checks the documented
subset (FREQ DAILY|WEEKLY, BYDAY, BYHOUR, BYMINUTE, INTERVAL; at most 24 runs a day, at least an hour
apart) and answers occurrences as epoch seconds. Hours are UTC. The anchor (dtstart) is the policy's
start_time cut to the minute; the first run is the first occurrence strictly after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from dateutil.rrule import rruleset, rrulestr

KEYS = {"FREQ", "BYDAY", "BYHOUR", "BYMINUTE", "INTERVAL"}
FREQS = {"DAILY": 1, "WEEKLY": 7}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAYS = set(WEEKDAYS)
RANGES = {"BYHOUR": (0, 23), "BYMINUTE": (0, 59), "INTERVAL": (1, 30)}
MIN_GAP = 3600.0
MAX_A_DAY = 24


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def rule_lines(pattern: str | list[str]) -> list[str]:
    """CSBS str (any form) or CBR list -> ["FREQ=...", ...] (upper-cased, no trailing ';')."""
    out = []
    for text in pattern if isinstance(pattern, list) else [pattern]:
        if "\\" in text:  # JSON-escaped "\r\n" inside the string (Karbor tolerates it too)
            try:
                text = json.loads(f'"{text}"')
            except ValueError:
                pass
        for line in re.split(r"\r\n|\n|\r", text):
            line = line.strip().rstrip(";").upper()
            if line.startswith("RRULE:"):
                line = line[6:]
            if line.startswith("FREQ="):
                out.append(line)
    return out


def _check_rule(line: str) -> str | None:
    parts = dict(p.partition("=")[::2] for p in line.split(";"))
    unknown = sorted(set(parts) - KEYS)
    if unknown:
        return f"unsupported key {unknown[0]} in {line!r}"
    if parts.get("FREQ") not in FREQS:
        return f"FREQ must be DAILY or WEEKLY in {line!r}"
    if "BYDAY" in parts and not set(parts["BYDAY"].split(",")) <= DAYS:
        return f"BYDAY takes MO..SU in {line!r}"
    for key, (lo, hi) in RANGES.items():
        for value in parts[key].split(",") if key in parts else []:
            if not value.isdigit() or not lo <= int(value) <= hi:
                return f"{key} must be {lo}-{hi} in {line!r}"
    if "INTERVAL" in parts and "," in parts["INTERVAL"]:
        return f"INTERVAL takes one number in {line!r}"
    return None


def check(pattern: str | list[str], start: float) -> str | None:
    """Why the pattern is refused (None = accepted)."""
    lines = rule_lines(pattern)
    if not lines:
        return "the pattern holds no RRULE"
    for line in lines:
        why = _check_rule(line)
        if why:
            return why
    # gaps and runs a day, over twice the longest period (Karbor checks the same way)
    span = max(FREQS[_key(line, "FREQ")] * int(_key(line, "INTERVAL") or 1) for line in lines) * 2
    rs = build(pattern, start)
    first = _dt(start)
    times = [d.timestamp() for d in rs.between(first, first + timedelta(days=span), inc=False)]
    if any(b - a < MIN_GAP for a, b in zip(times, times[1:], strict=False)):
        return "runs must be at least one hour apart"
    per_day: dict[int, int] = {}
    for t in times:
        per_day[int(t // 86400)] = per_day.get(int(t // 86400), 0) + 1
    if per_day and max(per_day.values()) > MAX_A_DAY:
        return "at most 24 runs a day"
    return None


def _key(line: str, key: str) -> str:
    return dict(p.partition("=")[::2] for p in line.split(";")).get(key, "")


def build(pattern: str | list[str], start: float, near: float | None = None) -> rruleset:
    """The rules anchored at start (cut to the minute). near: iteration will begin there, so each rule's
    dtstart moves forward by whole periods (same phase, same times) instead of walking from the anchor."""
    anchor = _dt(start).replace(second=0, microsecond=0)
    rs = rruleset()
    for line in rule_lines(pattern):
        rs.rrule(rrulestr(_explicit(line, anchor), dtstart=_moved(line, anchor, near)))
    return rs


def _explicit(line: str, anchor: datetime) -> str:
    """What a rule takes from its dtstart (hour, minute, weekly weekday) written out, so dtstart can move."""
    parts = dict(p.partition("=")[::2] for p in line.split(";"))
    parts.setdefault("BYHOUR", str(anchor.hour))
    parts.setdefault("BYMINUTE", str(anchor.minute))
    if parts["FREQ"] == "WEEKLY":
        parts.setdefault("BYDAY", WEEKDAYS[anchor.weekday()])
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _moved(line: str, anchor: datetime, near: float | None) -> datetime:
    if near is None:
        return anchor
    period = FREQS[_key(line, "FREQ")] * int(_key(line, "INTERVAL") or 1)
    whole = int((near - anchor.timestamp()) // (period * 86400)) - 1
    return anchor + timedelta(days=period * max(0, whole))


def occurrences(pattern: str | list[str], start: float, after: float, until: float) -> Iterator[float]:
    """Occurrence instants in (after, until], ascending (never before the policy's start)."""
    after = max(after, start)
    for d in build(pattern, start, after).xafter(_dt(after), inc=False):
        t = d.timestamp()
        if t > until:
            return
        if t > after:
            yield t


def next_after(pattern: str | list[str], start: float, after: float) -> float | None:
    after = max(after, start)
    d = build(pattern, start, after).after(_dt(after), inc=False)
    return None if d is None else d.timestamp()
