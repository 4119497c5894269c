"""Schedules and retention (domain): the catch-up equals a brute-force minute-by-minute simulation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from ims_emulator.domain import retention, schedules

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
BASE = datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()


@st.composite
def patterns(draw: st.DrawFn) -> dict:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    hours = sorted(draw(st.sets(st.integers(0, 23), min_size=1, max_size=6)))
    days = sorted(draw(st.sets(st.sampled_from(DAYS), max_size=4)), key=DAYS.index)
    return {"freq": freq, "hours": hours, "minute": draw(st.integers(0, 59)), "days": days,
            "interval": draw(st.integers(1, 3))}


def text(p: dict) -> str:
    rule = f"FREQ={p['freq']}"
    if p["interval"] > 1:
        rule += f";INTERVAL={p['interval']}"
    if p["days"]:
        rule += f";BYDAY={','.join(p['days'])}"
    rule += f";BYHOUR={','.join(map(str, p['hours']))};BYMINUTE={p['minute']}"
    return f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def matches(p: dict, start: datetime, d: datetime) -> bool:
    """Does minute d match the rule anchored at start (written from RFC 5545, not from dateutil)?"""
    if d.hour not in p["hours"] or d.minute != p["minute"]:
        return False
    days = p["days"] or ([DAYS[start.weekday()]] if p["freq"] == "WEEKLY" else DAYS)
    if DAYS[d.weekday()] not in days:
        return False
    if p["freq"] == "DAILY":
        return (d.date() - start.date()).days % p["interval"] == 0
    monday = start.date() - timedelta(days=start.weekday())
    return ((d.date() - monday).days // 7) % p["interval"] == 0


def naive_kept(cands: list[float], rule: retention.Rule, at: float) -> set[float]:
    if rule.permanent or (rule.max_backups <= 0 and rule.retention_days <= 0 and not any(rule.counts)):
        return set(cands)
    alive = [c for c in cands if rule.retention_days <= 0 or at - c < rule.retention_days * 86400]
    if rule.max_backups <= 0 and not any(rule.counts):
        return set(alive)
    keep = set(sorted(alive)[-rule.max_backups:]) if rule.max_backups > 0 else set()

    def keys(c: float) -> tuple:
        local = datetime.fromtimestamp(c + rule.tz_offset, tz=timezone.utc)
        return local.date(), tuple(local.isocalendar())[:2], (local.year, local.month), local.year

    for which, n in enumerate(rule.counts):
        buckets: dict[object, float] = {}
        for c in alive:
            k = keys(c)[which]
            buckets[k] = max(buckets.get(k, c), c)
        for k in sorted(buckets, reverse=True)[:n]:
            keep.add(buckets[k])
    return keep


def brute_force(p: dict, start: float, end: float, rule: retention.Rule, duration: float | None,
                resources: list[str], blocked: dict[str, float | None]) -> set[tuple[float, str]]:
    anchor = datetime.fromtimestamp(start, tz=timezone.utc).replace(second=0, microsecond=0)
    minute = anchor + timedelta(minutes=1)
    have: dict[str, list[float]] = {r: [] for r in resources}
    running: dict[str, tuple[float, float | None]] = {}
    while minute.timestamp() <= end:
        t = minute.timestamp()
        if t > start and matches(p, anchor, minute):
            for r in resources:
                job = running.get(r)
                if job and job[1] is not None and job[1] <= t:
                    have[r].append(job[0])
                    del running[r]
                free = r not in blocked or (blocked[r] is not None and t >= blocked[r])
                if r not in running and free:
                    if duration == 0:
                        have[r].append(t)
                    else:
                        running[r] = (t, None if duration is None else t + duration)
                have[r] = sorted(naive_kept(have[r], rule, t))
        minute += timedelta(minutes=1)
    return {(c, r) for r in resources for c in have[r]} | {(job[0], r) for r, job in running.items()}


rules = st.builds(
    retention.Rule, max_backups=st.sampled_from([-1, 0, 1, 2, 5]), retention_days=st.sampled_from([-1, 0, 1, 2]),
    permanent=st.sampled_from([False, False, False, True]), tz_offset=st.sampled_from([0, 8 * 3600, -5 * 3600]),
    counts=st.tuples(*[st.sampled_from([0, 0, 1, 2])] * 4))


@settings(max_examples=40, deadline=None)
@given(p=patterns(), start_offset=st.integers(0, 7 * 86400), jump=st.integers(0, 4 * 86400), rule=rules,
       duration=st.sampled_from([0, 0, 5400, None]),
       busy_for=st.sampled_from([None, -1, 0, 3600, 86400 + 60]))
def test_catch_up_equals_a_minute_by_minute_simulation(p, start_offset, jump, rule, duration, busy_for):
    start = BASE + start_offset + 17.25  # a creation instant with seconds: the anchor is cut to the minute
    pattern = text(p)
    resources = ["a", "b"]
    # "b": free (None), refused for the whole run (-1), or busy with work ending busy_for seconds in
    blocked: dict[str, float | None] = {} if busy_for is None else {"b": None if busy_for < 0 else start + busy_for}
    times = list(schedules.occurrences(pattern, start, start, start + jump))
    out = retention.catch_up(times, resources, blocked, {}, rule, duration)
    assert {(m.at, m.resource) for m in out.made} == brute_force(p, start, start + jump, rule, duration, resources,
                                                                 blocked)


def test_check_refuses_what_the_service_refuses():
    start = BASE
    assert schedules.check("BEGIN:VEVENT\nRRULE:FREQ=DAILY;BYHOUR=1;BYMINUTE=0\nEND:VEVENT", start) is None
    assert schedules.check(["FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=08;BYMINUTE=00"], start) is None
    assert "FREQ" in schedules.check(["FREQ=HOURLY;BYMINUTE=0"], start)
    assert "hour apart" in schedules.check(["FREQ=DAILY;BYHOUR=1;BYMINUTE=0,30"], start)
    assert "hour apart" in schedules.check(["FREQ=DAILY;BYHOUR=1;BYMINUTE=0", "FREQ=DAILY;BYHOUR=1;BYMINUTE=59"],
                                           start)
    assert "BYHOUR" in schedules.check(["FREQ=DAILY;BYHOUR=24"], start)
    assert "unsupported key COUNT" in schedules.check(["FREQ=DAILY;COUNT=3"], start)
    assert schedules.check("no rule at all", start) == "the pattern holds no RRULE"


def test_long_term_retention_keeps_the_last_of_each_period_in_the_policy_timezone():
    # the worked example of the spec: daily 20:00Z from 2024-01-01 to 2024-02-05
    first = datetime(2024, 1, 1, 20, tzinfo=timezone.utc).timestamp()
    times = [first + i * 86400 for i in range(36)]

    def kept(tz: str) -> list[str]:
        rule = retention.Rule.from_definition({"max_backups": 1, "day_backups": 2, "week_backups": 2,
                                               "month_backups": 2, "timezone": tz})
        out = retention.catch_up(times, ["s"], {}, {}, rule, 0)
        return [datetime.fromtimestamp(m.at, tz=timezone.utc).strftime("%m-%d") for m in out.made]

    assert kept("UTC+08:00") == ["01-30", "02-03", "02-04", "02-05"]
    assert kept("UTC+00:00") == ["01-31", "02-04", "02-05"]


@settings(max_examples=30, deadline=None)
@given(p=patterns(), skip=st.integers(0, 60 * 86400), span=st.integers(0, 9 * 86400))
def test_occurrences_from_any_point_equal_walking_from_the_anchor(p, skip, span):
    start = BASE + 17.25
    pattern = text(p)
    walked = [t for t in schedules.occurrences(pattern, start, start, start + skip + span) if t > start + skip]
    assert list(schedules.occurrences(pattern, start, start + skip, start + skip + span)) == walked
    later = [t for t in schedules.occurrences(pattern, start, start, start + skip + 30 * 86400) if t > start + skip]
    assert schedules.next_after(pattern, start, start + skip) == (later[0] if later else None) or not later
