"""Access keys for strict auth, optionally scoped to projects like real accounts.

Two forms, which may be combined:
- text (`--credentials`, IMS_EMULATOR_CREDENTIALS): `AK:SK[,AK:SK...]`; an entry may end in `@P1+P2` to allow
  only those projects (32-hex ids);
- a file (`--credentials-file`, IMS_EMULATOR_CREDENTIALS_FILE): JSON
  `{"domains": {"D": [P, ...]}, "credentials": [{"ak", "sk", "projects"?: [P, ...], "domain"?: "D"}]}`,
  or the text form (entries separated by commas or new lines), so no secret has to be on a command line.
A key without projects or domain may use any project (the behaviour before scoping existed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PROJECT_ID = re.compile(r"^[0-9a-f]{32}$")
SCOPE = re.compile(r"^[0-9a-f]{32}(\+[0-9a-f]{32})*$")


@dataclass(frozen=True)
class Credential:
    ak: str
    sk: str
    projects: frozenset[str] | None = None  # None: any project

    def allows(self, project_id: str) -> bool:
        return self.projects is None or project_id in self.projects


def is_project_id(value: str) -> bool:
    return bool(PROJECT_ID.match(value))


@lru_cache(maxsize=8)
def load(text: str, file: str = "") -> dict[str, Credential]:
    """{ak: Credential} from the text form and the file; ValueError naming the flag at fault."""
    keys = parse_text(text, "--credentials")
    if file:
        keys.update(parse_file(file))
    return keys


def parse_text(text: str, source: str) -> dict[str, Credential]:
    out: dict[str, Credential] = {}
    for entry in filter(None, (e.strip() for e in re.split(r"[,\n]", text))):
        ak, sep, sk = entry.partition(":")
        projects = None
        head, at, scope = sk.rpartition("@")
        if at and SCOPE.match(scope):  # an SK holding '@' followed by no project list stays whole
            sk, projects = head, frozenset(scope.split("+"))
        if not sep or not ak or not sk:
            raise ValueError(f"{source}: credentials must be AK:SK pairs (optionally AK:SK@PROJECT+PROJECT), "
                             f"got {_masked(entry)!r}")
        out[ak] = Credential(ak, sk, projects)
    return out


def parse_file(path: str) -> dict[str, Credential]:
    source = f"--credentials-file {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{source}: cannot read it ({exc.strerror})") from None
    if not text.lstrip().startswith("{"):
        return parse_text(text, source)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source}: not valid JSON ({exc})") from None
    return _from_document(doc, source)


def _from_document(doc: Any, source: str) -> dict[str, Credential]:
    domains = doc.get("domains") or {}
    if not isinstance(domains, dict):
        raise ValueError(f"{source}: domains must be an object of domain -> [project ids]")
    for name, projects in domains.items():
        _project_list(projects, f"{source}: domains.{name}")
    out: dict[str, Credential] = {}
    entries = doc.get("credentials")
    if not isinstance(entries, list):
        raise ValueError(f"{source}: credentials must be a list of {{ak, sk, projects?, domain?}}")
    for i, entry in enumerate(entries):
        where = f"{source}: credentials[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("ak"), str) or not isinstance(entry.get("sk"), str) \
                or not entry["ak"] or not entry["sk"]:
            raise ValueError(f"{where}: needs non-empty strings ak and sk")
        projects: set[str] | None = None
        if "projects" in entry:
            projects = set(_project_list(entry["projects"], f"{where}.projects"))
        if "domain" in entry:
            if entry["domain"] not in domains:
                raise ValueError(f"{where}.domain: unknown domain {entry['domain']!r}; declare it under domains")
            projects = (projects or set()) | set(domains[entry["domain"]])
        out[entry["ak"]] = Credential(entry["ak"], entry["sk"], None if projects is None else frozenset(projects))
    return out


def _project_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) and is_project_id(p) for p in value):
        raise ValueError(f"{where}: must be a list of project ids (32 lowercase hex characters)")
    return value


def _masked(entry: str) -> str:
    """An entry for an error message, its secret part hidden."""
    ak, sep, _ = entry.partition(":")
    return f"{ak}:***" if sep else entry[:4] + "***"
