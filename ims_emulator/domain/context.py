"""What a domain call knows about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ctx:
    now: float                       # virtual time (epoch seconds)
    project_id: str = ""
    region: str = ""
    transitions: dict[str, str] = field(default_factory=dict)
    settings: Any = None
