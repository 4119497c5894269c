"""Parity mode: every request also goes to an emulator with the same world; the contract comparator's findings
(status, error code, keys, types, formats) are collected per operation into a report.

The comparator lives in contract_tests/ (a checkout of this repository): parity needs it, recording does not."""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Protocol

from ims_emulator.proxy.forward import Answer, Upstream, parse_upstream, send, signed_headers
from ims_emulator.proxy.idmap import IdMap, parse_json
from ims_emulator.proxy.pacing import PACED_POLICY, settled_ids
from ims_emulator.proxy.recorder import Exchange
from ims_emulator.proxy.scrub import Placeholders

SHADOW_AK, SHADOW_SK = "AKPARITYSHADOW000001", "parity-shadow-not-a-secret"


def comparator() -> Any:
    """contract_tests.compare, from the checkout this package lives in."""
    root = Path(__file__).resolve().parents[2]
    if (root / "contract_tests" / "compare.py").exists() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module("contract_tests.compare")
    except ImportError as exc:
        raise RuntimeError("parity mode needs the contract comparator (contract_tests/ of an ims-emulator "
                           "checkout); it is not part of an installed package") from exc


class Shadow(Protocol):
    paced: bool  # runs its async work manual, settled where the upstream's answers show it settled

    def call(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Answer: ...

    def settle(self, entity_id: str) -> None: ...

    def close(self) -> None: ...


class InProcessShadow:
    """A private emulator (in-memory store, the given world and transitions) called through Flask's test client."""

    def __init__(self, world: str | dict[str, Any], transitions: str, region: str | None = None) -> None:
        """world: a world name or file, or a world itself (mirrored from the upstream: kept in a private
        temporary file only while the emulator loads it)."""
        from ims_emulator.app import create_app
        from ims_emulator.settings import Settings
        extra = {"region": region} if region else {}
        self.world = world if isinstance(world, dict) else None  # mirrored from the upstream (see Proxy)
        self.paced = transitions == "recorded"
        transitions = PACED_POLICY if self.paced else transitions
        if isinstance(world, dict):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "upstream-world.json"
                path.write_text(json.dumps(world), encoding="utf-8")
                self.app = create_app(Settings(db=":memory:", world=str(path), transitions=transitions,
                                               auth="off", quiet=True, **extra))
            return
        self.app = create_app(Settings(db=":memory:", world=world, transitions=transitions, auth="off",
                                       quiet=True, **extra))

    def call(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Answer:
        target = raw_path + (f"?{raw_query}" if raw_query else "")
        resp = self.app.test_client().open(target, method=method, headers=headers, data=body)
        return Answer(resp.status_code, resp.status.split(" ", 1)[-1], list(resp.headers.items()), resp.data)

    def settle(self, entity_id: str) -> None:
        self.app.test_client().post("/_emulator/settle", json={"id": entity_id})  # 404: nothing pending, fine

    def close(self) -> None:
        self.app.config["DB"].close()


class UrlShadow:
    """An emulator already running (loose or off auth): signed with a throw-away key, never the real one."""

    paced = False  # an emulator of your own keeps its own transition policies

    def __init__(self, url: str, timeout: float) -> None:
        self.upstream: Upstream = parse_upstream(url, allow_http=True)
        self.timeout = timeout

    def call(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Answer:
        signed = signed_headers(headers, self.upstream, method, raw_path, raw_query, body, SHADOW_AK, SHADOW_SK)
        return send(self.upstream, method, raw_path + (f"?{raw_query}" if raw_query else ""), signed, body,
                    self.timeout)

    def settle(self, entity_id: str) -> None:
        pass

    def close(self) -> None:
        pass


class ParityReport:
    """Per operation: calls, calls that differ, and each difference with how often it was seen."""

    def __init__(self, out: Path, placeholders: Placeholders) -> None:
        self.out = out
        self.ph = placeholders
        self.calls: Counter[str] = Counter()
        self.differing: Counter[str] = Counter()
        self.problems: dict[str, Counter[str]] = defaultdict(Counter)
        self.examples: dict[str, str] = {}
        self._lock = threading.Lock()
        self._cmp = comparator()

    def add(self, ex: Exchange, name: str, ours: Answer) -> list[str]:
        """Compare the emulator's answer with the upstream's, as the contract tests compare with a recording."""
        recorded = {"status": ex.answer.status, "response": parse_json(ex.answer.body)}
        found = self._cmp.compare_response(name, recorded, ours.status, parse_json(ours.body))
        return self._note(ex, name, [self.ph.text(str(p)) for p in found])

    def failed(self, ex: Exchange, name: str, why: str) -> list[str]:
        return self._note(ex, name, [self.ph.text(f"[emulator] $: no answer ({why})")])

    def _note(self, ex: Exchange, name: str, lines: list[str]) -> list[str]:
        with self._lock:
            self.calls[ex.operation] += 1
            if lines:
                self.differing[ex.operation] += 1
                self.examples.setdefault(ex.operation, name)
            self.problems[ex.operation].update(lines)
            self.write()
        return lines

    def write(self) -> None:
        ops = sorted(self.calls)
        data = {op: {"calls": self.calls[op], "differing_calls": self.differing[op],
                     "first_differing_recording": self.examples.get(op),
                     "differences": [{"difference": d, "seen": n} for d, n in sorted(self.problems[op].items())]}
                for op in ops}
        (self.out / "parity.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        (self.out / "parity.md").write_text(render(data), encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    lines = ["# Parity: the emulator against the upstream", "",
             "| operation | calls | differing | differences |", "|---|---|---|---|"]
    for op, row in data.items():
        lines.append(f"| `{op}` | {row['calls']} | {row['differing_calls']} | {len(row['differences'])} |")
    for op, row in data.items():
        if row["differences"]:
            lines += ["", f"## `{op}` (first seen in `{row['first_differing_recording']}`)", ""]
            lines += [f"- {d['difference']} (x{d['seen']})" for d in row["differences"]]
    same = sum(1 for row in data.values() if not row["differences"])
    lines += ["", f"{same} of {len(data)} operations answer like the upstream."]
    return "\n".join(lines) + "\n"


def compare_in_shadow(shadow: Shadow, ids: IdMap, ex: Exchange) -> Answer:
    """The exchange's request, with the upstream's ids swapped for the emulator's, sent to the emulator."""
    path, query, body = ids.text(ex.raw_path), ids.text(ex.raw_query), ids.body(ex.body)
    if shadow.paced and ex.route:
        for settled in settled_ids(ex.route.template, ex.raw_path, parse_json(ex.answer.body)):
            shadow.settle(ids.text(settled))
    return shadow.call(ex.method, path, query, ex.headers, body)
