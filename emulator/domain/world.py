"""Seeding: a world (or one seed request) becomes projects, servers and volumes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.domain import servers
from emulator.domain.context import Ctx

if TYPE_CHECKING:
    from emulator.store import Tx


def seed(tx: Tx, seed_data: dict[str, Any], default_region: str, now: float) -> dict[str, Any]:
    """One project's seed; all or nothing (the caller's transaction rolls back on error)."""
    pid = seed_data["project_id"]
    project = tx.projects.get(pid)
    region = seed_data.get("region") or (project or {}).get("region") or default_region
    if project is None:
        tx.projects.ensure(pid, region, seed_data.get("project_name"), now)
    elif seed_data.get("region") or seed_data.get("project_name"):
        tx.projects.set_region(pid, region, seed_data.get("project_name") or project["name"])
    ctx = Ctx(now=now, project_id=pid, region=region)
    created = servers.seed_servers(tx, ctx, pid, seed_data.get("servers", []))
    return {"project_id": pid, "region": region, "servers": [s.id for s in created]}


def apply(tx: Tx, seeds: list[dict[str, Any]], default_region: str, now: float | None = None) -> str:
    """Seed a whole world; returns its first project id (shown in the start-up snippet)."""
    import time
    moment = time.time() if now is None else now
    results = [seed(tx, s, default_region, moment) for s in seeds]
    return results[0]["project_id"] if results else ""
