"""The recorded fixtures (fixtures/recorded/<service>/<name>.json) and the allow-list."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from contract_tests.compare import Allowance

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "fixtures" / "recorded"
ALLOWLIST = Path(__file__).resolve().parent / "allowlist.json"


def fixture_names() -> list[str]:
    """Every recorded file, as `<service>/<file name>`."""
    return sorted(str(p.relative_to(RECORDED)) for p in RECORDED.glob("*/*.json"))


@cache
def _load(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads(_load(name))  # a fresh copy each time: scenarios may adapt it


def load_allowlist() -> list[Allowance]:
    entries = json.loads(ALLOWLIST.read_text(encoding="utf-8"))["entries"]
    return [Allowance(e["fixture"], e["check"], e["path"], e["reason"]) for e in entries]
