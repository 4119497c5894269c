"""Classify a string value into a wire format (id shapes, timestamp layouts) so two values can be
compared by shape rather than content: the recording's value decides what the emulator must emit."""

from __future__ import annotations

import re

# Order matters: the first matching pattern names the format.
FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("uuid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")),
    ("hex32", re.compile(r"^[0-9a-f]{32}$")),
    # timestamps, named after their layout
    ("ts:seconds_z", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")),              # 2018-09-13T07:03:44Z
    ("ts:millis_z", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")),        # 2024-11-06T06:19:43.195Z
    ("ts:micros_naive", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")),     # 2017-04-18T01:21:52.701973
    ("ts:millis_offset", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")),  # ...071+00:00
    ("ts:micros_offset", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")),
    ("ts:seconds_offset", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")),
    ("ts:seconds_naive", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")),
    ("ts:space_seconds", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")),           # 2018-08-20 07:31:32
    ("ts:legacy_dmy", re.compile(r"^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d:\d{3}$")),  # 04-Jun-2015 18:11:06:586
)


def classify(value: str) -> str | None:
    """The format name of a string, or None for free text (names, messages, enum words)."""
    for name, pattern in FORMATS:
        if pattern.match(value):
            return name
    return None


REGION_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")  # cn-north-4, ap-southeast-1, eu-west-101


def map_key_kind(key: str) -> str | None:
    """How a map key names an item, for maps keyed by ids or by region (a CBR migration keyed by region)."""
    fmt = classify(key)
    if fmt in ("uuid", "hex32"):
        return fmt
    return "region" if REGION_ID.match(key) else None


def is_timestamp(fmt: str | None) -> bool:
    return bool(fmt and fmt.startswith("ts:"))


def glob(pattern: str, text: str) -> bool:
    """Match with `*` as the only wildcard (JSON paths contain `[]`, which fnmatch would read as a class)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None
