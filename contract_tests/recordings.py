"""`python -m contract_tests --recordings DIR`: a user's recordings (made by `ims-emulator record`) replayed in
order against a fresh emulator and judged with the same checks and allow-list as fixtures/recorded/.

There is no scenario per file: the session itself is the scenario. The emulator starts from `--world` (which
should hold what the recorded account held: its servers, by id); the session's first project placeholder is
mapped to the world's first project, and every id the recording's answers introduced (a job, an image, a backup)
is mapped to the one the emulator made, so later requests reach the same things."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from contract_tests.checks import COLUMNS, Result, judge
from contract_tests.env import Outcome
from contract_tests.fixtures import load_allowlist
from ims_emulator.app import world_path
from ims_emulator.proxy.idmap import IdMap
from ims_emulator.proxy.pacing import PACED_POLICY, settled_ids
from ims_emulator.proxy.scrub import HEX_PREFIX
from tests.support import InProcessServer

FIRST_PROJECT = HEX_PREFIX["project"] + f"{1:024x}"  # the placeholder of the session's first project


def load(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, recording) in the order they were made (session.json, else by sequence number)."""
    session = directory / "session.json"
    if session.exists():
        names = json.loads(session.read_text(encoding="utf-8"))["exchanges"]
    else:
        names = [str(p.relative_to(directory)) for p in directory.glob("*/*.json")]
    recs = [(n, json.loads((directory / n).read_text(encoding="utf-8"))) for n in names]
    return sorted(recs, key=lambda nr: nr[1].get("sequence", 0))


def world_project(world: str) -> str | None:
    if world == "none":
        return None
    data = json.loads(world_path(world).read_text(encoding="utf-8")) if world_path(world).suffix == ".json" \
        else _yaml(world_path(world))
    projects = data.get("projects", [data])
    return projects[0]["project_id"] if projects else None


def _yaml(path: Path) -> Any:
    import yaml
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def replay(directory: Path, world: str = "none", transitions: str = "recorded") -> list[Result]:
    """transitions: `recorded` (async work waits, and settles right before the exchange whose recorded answer
    shows it settled: a job SUCCESS/FAIL, an image active/killed, a backup available/error), or policies."""
    recs = load(directory)
    if world == "none" and (directory / "world.json").exists():  # written by `ims-emulator parity`
        world = str(directory / "world.json")
    target = world_project(world)
    ids = IdMap({FIRST_PROJECT: target} if target else None)
    paced = transitions == "recorded"
    server = InProcessServer(world=world, transitions=PACED_POLICY if paced else transitions, auth="loose")
    allow = load_allowlist()
    try:
        session = requests.Session()
        results = []
        for name, rec in recs:
            for settled in settled_ids(rec["path"], rec.get("url") or "", rec.get("response")) if paced else []:
                session.post(f"{server.url}/_emulator/settle", json={"id": ids.text(settled)}, timeout=30)
            out = _call(session, server.url, ids, rec)
            results.append(judge(name, rec, out, allow))
            ids.learn(rec.get("response"), out.body)
        return results
    finally:
        server.stop()


def _call(session: requests.Session, url: str, ids: IdMap, rec: dict[str, Any]) -> Outcome:
    headers = {"X-Auth-Token": "contract-tests-replay"}
    headers.update({k: ids.text(v) for k, v in (rec.get("request_headers") or {}).items()})
    body = None
    if rec.get("request") is not None:
        raw = rec["request"] if isinstance(rec["request"], str) else json.dumps(rec["request"])
        body = ids.body(raw.encode("utf-8"))
    resp = session.request(rec["method"], url + ids.text(rec.get("url") or rec["path"]), data=body,
                           headers=headers, timeout=60)
    return Outcome.of(resp)


def render(results: list[Result], verbose: bool) -> str:
    width = max([len(r.fixture) for r in results] + [20])
    head = f"{'recording':<{width}}  " + "  ".join(f"{c:<7}" for c in COLUMNS) + "  result"
    lines = [head, "-" * len(head)]
    for r in results:
        verdict = ("conforms" + ("*" if r.allowed else "")) if r.ok else "FAILS"
        lines.append(f"{r.fixture:<{width}}  " + "  ".join(f"{r.column(c):<7}" for c in COLUMNS) + f"  {verdict}")
        if verbose and not r.ok:
            lines += [f"    - {p}" for p in r.problems]
    ok = sum(r.ok for r in results)
    lines += ["", f"{ok} of {len(results)} recordings conform"
                  f" (* = {sum(r.ok and bool(r.allowed) for r in results)} of them with allow-listed differences)"]
    return "\n".join(lines)
