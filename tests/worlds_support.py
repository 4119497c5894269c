"""World-file test helpers: the pipeline example with fresh ids, so tests never share a project or id."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

PIPELINE = Path(__file__).resolve().parents[1] / "ims_emulator" / "worlds" / "pipeline.json"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pipeline_project(project_id: str) -> dict[str, Any]:
    """The example's one project as `project_id`, every resource id replaced by a new UUID (consistently)."""
    text = PIPELINE.read_text(encoding="utf-8")
    fresh: dict[str, str] = {}
    text = _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)
    (project,) = json.loads(text)["projects"]
    return {**project, "project_id": project_id}


def ids(project: dict[str, Any]) -> tuple[str, str, str]:
    """(server id, backup id, image id) of a pipeline project."""
    return project["servers"][0]["id"], project["backups"][0]["id"], project["images"][0]["id"]
