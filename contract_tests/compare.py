"""The comparator: an emulator response against a recorded real one, by shape.

Rules (documented in fixtures/README.md):
- keys: every key the recording has must be present; a key the emulator adds is a failure unless another
  recording of the same resource has it (contract_tests/objects.py: the union of recordings) or it is allow-listed.
- types: JSON types must match. A recorded null carries no type information and matches anything; an emulator
  null where the recording has a value is a failure. A recorded integer requires an integer (Go clients decode
  ints); a recorded fraction accepts any number.
- formats: a recorded string that is an id (UUID, 32-hex) or a timestamp fixes the format of the emulator's value.
- enums: values of documented enumerations (contract_tests/enums.py) must be in the documented set; values that
  identify the recorded situation (a job's type and status, an error code) must equal the recording's.
- lists: every recorded element is a sample; each emulator element is compared against the union of samples
  (a key present in every sample is required, one present in some is optional).
- maps keyed by ids or regions (ECS `addresses` keyed by VPC id, a CBR migration keyed by region): keys are
  compared by kind, values as samples.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from contract_tests.enums import enum_for, pinned, same_situation
from contract_tests.formats import classify, glob, map_key_kind
from contract_tests.objects import known_elsewhere

MISSING = "missing"   # a recorded key the emulator lacks
EXTRA = "extra"       # a key the emulator adds
TYPE = "type"
FORMAT = "format"
ENUM = "enum"
STATUS = "status"
CHECKS = (STATUS, MISSING, EXTRA, TYPE, FORMAT, ENUM)


@dataclasses.dataclass(frozen=True)
class Problem:
    check: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.path}: {self.detail}"


@dataclasses.dataclass(frozen=True)
class Allowance:
    """One allow-list entry: a known, explained difference for fixtures matching `fixture`."""

    fixture: str
    check: str
    path: str
    reason: str

    def covers(self, fixture: str, problem: Problem) -> bool:
        return glob(self.check, problem.check) and glob(self.fixture, fixture) and glob(self.path, problem.path)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "dict"


def _type_ok(expected: set[str], actual: str) -> bool:
    if not expected or actual in expected:
        return True
    return actual == "int" and "float" in expected  # a fractional field may hold a whole number


class Comparator:
    def __init__(self, fixture: str) -> None:
        self.fixture = fixture
        self.problems: list[Problem] = []
        self.borrowed: list[str] = []  # extra keys accepted because another recording of the resource has them

    def add(self, check: str, path: str, detail: str) -> None:
        self.problems.append(Problem(check, path, detail))

    def compare(self, samples: list[Any], actual: Any, path: str) -> None:
        """Compare one emulator value with the recorded samples for the same place."""
        typed = [s for s in samples if s is not None]
        if not typed:
            return  # nothing recorded but nulls: no shape to hold the emulator to
        expected = {json_type(s) for s in typed}
        kind = json_type(actual)
        if not _type_ok(expected, kind):
            self.add(TYPE, path, f"expected {'/'.join(sorted(expected))}, got {kind} ({actual!r:.60})")
            return
        if kind == "dict":
            self._dict([s for s in typed if isinstance(s, dict)], actual, path)
        elif kind == "list":
            elements = [e for s in typed if isinstance(s, list) for e in s]
            if elements and not actual:
                self.add(MISSING, path + "[]", f"empty list; the recording has {len(elements)} element(s)")
            for item in actual:
                self.compare(elements, item, path + "[]")
        elif kind == "str":
            self._string([s for s in typed if isinstance(s, str)], actual, path)
        if pinned(self.fixture, path) and not isinstance(actual, (dict, list)) and actual not in typed \
                and not same_situation(actual, typed):
            self.add(ENUM, path, f"{actual!r}, the recording shows {typed[0]!r} for this situation")
            return
        allowed = enum_for(self.fixture, path)
        if allowed is not None and not isinstance(actual, (dict, list)) and actual not in allowed:
            self.add(ENUM, path, f"{actual!r} not in documented set {sorted(map(str, allowed))}")

    def _dict(self, samples: list[dict[str, Any]], actual: dict[str, Any], path: str) -> None:
        filled = [s for s in samples if s]
        if filled and all(_is_id_map(s) for s in filled):
            self._id_map(samples, actual, path)
            return
        known = {k for s in samples for k in s}
        required = set.intersection(*(set(s) for s in samples)) if samples else set()
        for key in sorted(required - set(actual)):
            self.add(MISSING, f"{path}.{key}", "recorded key absent from the emulator's response")
        for key in sorted(set(actual) - known):
            if known_elsewhere(self.fixture, f"{path}.{key}"):
                self.borrowed.append(f"{path}.{key}")
            else:
                self.add(EXTRA, f"{path}.{key}", "key in no recording of this resource")
        for key in sorted(set(actual) & known):
            self.compare([s[key] for s in samples if key in s], actual[key], f"{path}.{key}")

    def _id_map(self, samples: list[dict[str, Any]], actual: dict[str, Any], path: str) -> None:
        formats = {map_key_kind(k) for s in samples for k in s}
        if samples and any(samples) and not actual:
            self.add(MISSING, path + ".<id>", "empty map; the recording has entries")
        for key, value in actual.items():
            if map_key_kind(key) not in formats:
                self.add(FORMAT, f"{path}.<id>", f"map key {key!r} is not a {'/'.join(sorted(map(str, formats)))}")
            self.compare([v for s in samples for v in s.values()], value, path + ".<id>")

    def _string(self, samples: list[str], actual: str, path: str) -> None:
        formats = {classify(s) for s in samples if s != ""}
        if not formats or None in formats:
            return  # free text (or only empty strings) recorded: no format to hold to
        got = classify(actual)
        if got not in formats:
            self.add(FORMAT, path, f"{actual!r} is {got or 'free text'}, recording has {'/'.join(sorted(formats))}")


def _is_id_map(d: dict[str, Any]) -> bool:
    return bool(d) and all(map_key_kind(k) for k in d)


def compare_response(fixture: str, recorded: dict[str, Any], status: int, body: Any,
                     borrowed: list[str] | None = None) -> list[Problem]:
    """All differences between a recorded exchange and the emulator's (status, parsed body).
    `borrowed` (optional) receives the extra keys accepted from other recordings of the same resource."""
    cmp = Comparator(fixture)
    if status != recorded["status"]:
        cmp.add(STATUS, "$", f"expected HTTP {recorded['status']}, got {status}")
    expected = recorded.get("response")
    if expected is None:
        if body not in (None, "", b""):
            cmp.add(EXTRA, "$", f"the recording has no body; the emulator sent {body!r:.80}")
    elif body is None:
        cmp.add(MISSING, "$", "the recording has a body; the emulator sent none")
    else:
        cmp.compare([expected], body, "$")
    if borrowed is not None:
        borrowed.extend(sorted(set(cmp.borrowed)))
    return cmp.problems


def split(problems: list[Problem], fixture: str, allow: list[Allowance]) -> tuple[list[Problem], list[Allowance]]:
    """(problems no allow-list entry covers, the entries that covered something)."""
    open_problems, used = [], []
    for p in problems:
        hit = next((a for a in allow if a.covers(fixture, p)), None)
        if hit is None:
            open_problems.append(p)
        elif hit not in used:
            used.append(hit)
    return open_problems, used
