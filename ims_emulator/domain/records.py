"""Plain records passed between the domain and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entity:
    """A stored resource: indexed columns + the JSON document with everything else."""

    kind: str
    id: str
    project_id: str
    created_at: float
    doc: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    name: str | None = None
    ref: str | None = None


@dataclass
class Task:
    """One async operation and how it settles (see domain/jobs.py)."""

    id: str
    project_id: str
    op: str
    job_type: str
    status: str
    policy: str
    created_at: float
    due_at: float | None = None
    polls_seen: int = 0
    ended_at: float | None = None
    entity_kind: str | None = None
    entity_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, Any] = field(default_factory=dict)
    fail_with: dict[str, Any] | None = None
    error_code: str | None = None
    fail_reason: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in ("INIT", "RUNNING")
