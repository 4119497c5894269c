"""Retention of scheduled backups (CSBS and CBR policies alike), and the catch-up after a clock jump.

Per resource, after each scheduled run, over the policy's *candidates* — its scheduled backups of
that resource that are available and no image was made from (manual backups, image-backed ones and
ones still being made are never candidates, so never counted nor removed):

- `permanent: true` keeps everything; none of the limits set keeps everything;
- an age limit (`retention_duration_days` > 0) removes a backup once created_at + N days has come;
- a count (`max_backups` > 0) keeps the newest N; each long-term count (`day/week/month/year_backups`)
  keeps the newest backup of each of the newest N days/weeks (ISO, Monday)/months/years that have
  backups, in the policy's `timezone`; a backup kept by any count stays (the union).
  Values 0 and -1 both mean "not set" (the sources leave 0 open).

`catch_up` materialises a run of occurrences in memory and returns only what survives, so a year of
hourly runs after one clock jump writes a handful of rows, not 8760.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

DAY = 86400.0
TZ_RE = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")
LONG_TERM = ("day_backups", "week_backups", "month_backups", "year_backups")


def _int(value: Any, default: int = -1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def tz_seconds(text: str | None) -> int:
    m = TZ_RE.match(text or "")
    if not m:
        return 0
    sign = -1 if m.group(1) == "-" else 1
    return sign * (int(m.group(2)) * 3600 + int(m.group(3)) * 60)


@dataclass(frozen=True)
class Rule:
    max_backups: int = -1
    retention_days: int = -1
    permanent: bool = False
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)  # day, week, month, year
    tz_offset: int = 0                                  # seconds east of UTC

    @classmethod
    def from_definition(cls, d: dict[str, Any]) -> Rule:
        permanent = d.get("permanent")
        return cls(max_backups=_int(d.get("max_backups")), retention_days=_int(d.get("retention_duration_days")),
                   permanent=permanent is True or str(permanent).lower() == "true",
                   counts=tuple(max(0, _int(d.get(k), 0)) for k in LONG_TERM),  # type: ignore[arg-type]
                   tz_offset=tz_seconds(d.get("timezone")))

    @property
    def keeps_all(self) -> bool:
        return self.permanent or (self.max_backups <= 0 and self.retention_days <= 0 and not any(self.counts))

    @property
    def counted(self) -> bool:
        return self.max_backups > 0 or any(self.counts)


@lru_cache(maxsize=8192)
def _buckets(ts: float, tz_offset: int) -> tuple[object, object, object, object]:
    d = datetime.fromtimestamp(ts + tz_offset, tz=timezone.utc)
    iso = d.isocalendar()
    return d.date(), (iso[0], iso[1]), (d.year, d.month), d.year


def kept(candidates: Sequence[tuple[float, Any]], rule: Rule, at: float) -> list[tuple[float, Any]]:
    """The candidates (created_at, key), oldest first, that the rule keeps at time `at` (same order)."""
    if rule.keeps_all:
        return list(candidates)
    alive = [c for c in candidates if rule.retention_days <= 0 or c[0] + rule.retention_days * DAY > at]
    if not rule.counted:
        return alive
    n_alive = len(alive)
    keep = [False] * n_alive
    for i in range(max(0, n_alive - max(rule.max_backups, 0)), n_alive):
        keep[i] = True
    for which, n in enumerate(rule.counts):
        seen: set[object] = set()
        for i in range(n_alive - 1, -1, -1):  # newest first: the first met in a bucket is its latest
            if len(seen) >= n:
                break
            bucket = _buckets(alive[i][0], rule.tz_offset)[which]
            if bucket not in seen:
                seen.add(bucket)
                keep[i] = True
    return [c for c, k in zip(alive, keep, strict=True) if k]


@dataclass(eq=False)
class Made:
    """A backup a catch-up decided to make: at occurrence `at`; done at `done_at` (None: not in this run)."""

    at: float
    resource: str
    done_at: float | None
    removed: bool = False


@dataclass
class Outcome:
    made: list[Made] = field(default_factory=list)        # survivors, in time order
    removed: set[str] = field(default_factory=set)        # stored candidates retention removes
    first_at: dict[str, float] = field(default_factory=dict)  # resource -> its first backup in this run
                                                               # (written or not: later ones are incremental)


def catch_up(times: Iterable[float], resources: Sequence[str], blocked: Mapping[str, float | None],
             stored: dict[str, list[tuple[float, str]]], rule: Rule, duration: float | None) -> Outcome:
    """Run the occurrences `times` (ascending) in memory.

    resources: bound resource ids, in order; blocked: those that cannot be backed up now (busy,
    shared disk, gone) -> None: skipped at every occurrence, as a manual run would skip them, or the
    time their running backup ends (busy only until then); stored:
    resource -> its stored candidates (created_at, id); duration: seconds a backup takes (0 instant,
    None: it does not finish within this run). A resource whose backup is still running at an
    occurrence misses it. Retention runs after each occurrence, for every resource.
    """
    times = list(times)
    out = Outcome()
    if duration == 0 and times and not rule.keeps_all and not any(rule.counts):
        tail = _tail(times, rule)
        for r in resources:  # the trimmed runs still made (and pruned) backups: the first one counts
            free = [t for t in times[:len(times) - len(tail)] if _free(blocked, r, t)]
            if free:
                out.first_at[r] = free[0]
        times = tail
    # per resource, candidates oldest first: stored ones predate every occurrence, and a resource's
    # backups never overlap, so appending keeps the order
    cands: dict[str, list[tuple[float, Any]]] = {r: sorted(stored.get(r, [])) for r in resources}
    running: dict[str, Made] = {}
    made: list[Made] = []
    # long-term counts: a backup they drop stays dropped however many newer ones come, so pruning
    # when the list has grown past what the rule can keep gives the same result as after every run
    slack = 2 * (max(rule.max_backups, 0) + sum(rule.counts)) + 8 if any(rule.counts) else 0
    dirty: dict[str, float] = {}
    for t in times:
        for r in resources:
            added = False
            job = running.get(r)
            if job is not None and job.done_at is not None and job.done_at <= t:
                cands[r].append((job.at, job))
                del running[r]
                job, added = None, True
            if job is None and _free(blocked, r, t):
                job = Made(t, r, None if duration is None else t + duration)
                made.append(job)
                out.first_at.setdefault(r, t)
                if duration == 0:
                    cands[r].append((t, job))
                    added = True
                else:
                    running[r] = job
            if rule.keeps_all or not (added or _oldest_expired(cands[r], rule, t)):
                continue
            if slack and len(cands[r]) <= slack and not _oldest_expired(cands[r], rule, t):
                dirty[r] = t
                continue
            cands[r] = _prune(cands[r], rule, t, out)
            dirty.pop(r, None)
    for r, t in dirty.items():
        cands[r] = _prune(cands[r], rule, t, out)
    out.made = [m for m in made if not m.removed]
    return out


def _free(blocked: Mapping[str, float | None], resource: str, at: float) -> bool:
    return resource not in blocked or (blocked[resource] or float("inf")) <= at


def _tail(times: list[float], rule: Rule) -> list[float]:
    """Instant backups under a count and/or age rule: only the runs whose backups the last run keeps
    matter (the earlier ones would be made and pruned; stored candidates are pruned all the same)."""
    last = times[-1]
    if rule.max_backups > 0:
        times = times[-rule.max_backups:]
    if rule.retention_days > 0:
        times = [t for t in times if t + rule.retention_days * DAY > last]
    return times


def _oldest_expired(cands: list[tuple[float, Any]], rule: Rule, at: float) -> bool:
    return rule.retention_days > 0 and bool(cands) and cands[0][0] + rule.retention_days * DAY <= at


def _prune(cands: list[tuple[float, Any]], rule: Rule, at: float, out: Outcome) -> list[tuple[float, Any]]:
    if any(rule.counts):
        survivors = kept(cands, rule, at)
        alive = {id(c) for c in survivors}
        gone = [c for c in cands if id(c) not in alive]
    else:  # age and count only: both cut from the oldest end of the sorted list
        cut = 0
        while cut < len(cands) and rule.retention_days > 0 and cands[cut][0] + rule.retention_days * DAY <= at:
            cut += 1
        if rule.max_backups > 0:
            cut = max(cut, len(cands) - rule.max_backups)
        survivors, gone = cands[cut:], cands[:cut]
    for c in gone:
        if isinstance(c[1], Made):
            c[1].removed = True
        else:
            out.removed.add(c[1])
    return survivors
