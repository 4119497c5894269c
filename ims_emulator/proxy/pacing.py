"""Following a recording's pace: real async work takes time, so an emulator compared with real answers runs its
work `manual` and settles each job or resource right before the exchange whose real answer shows it settled.
Used by parity mode (before the emulator answers) and by the recordings replay (before each exchange)."""

from __future__ import annotations

from typing import Any

SETTLED = {"SUCCESS", "FAIL", "active", "killed", "available", "error"}
PACED_POLICY = "default=manual"


def settled_ids(template: str, url_path: str, body: Any) -> list[str]:
    """The jobs and resources a real answer shows settled: the job a job read names, and entities (with `id` and a
    settled `status`) in the body, one level down and in lists."""
    out = []
    if template.endswith("{job_id}") and isinstance(body, dict) and body.get("status") in SETTLED:
        out.append(url_path.split("?")[0].rstrip("/").rsplit("/", 1)[-1])
    for entity in _entities(body):
        if entity.get("status") in SETTLED and isinstance(entity.get("id"), str):
            out.append(entity["id"])
    return out


def _entities(body: Any, depth: int = 0) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [e for item in body for e in _entities(item, depth)]
    if not isinstance(body, dict) or depth > 1:
        return []
    return [body] + [e for v in body.values() if isinstance(v, (dict, list)) for e in _entities(v, depth + 1)]
