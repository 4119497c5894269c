"""schemathesis hooks (SCHEMATHESIS_HOOKS=fuzz.hooks): the strict_json check, also used by the pytest fuzz run."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.check
def strict_json(ctx: Any, response: Any, case: Any) -> None:
    """Every JSON answer is strict JSON: no NaN or Infinity, which Go, JS and simplejson (the SDK's) refuse."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if not response.content.strip() or "json" not in content_type:
        return None
    json.loads(response.content, parse_constant=_not_json)
    return None


def _not_json(token: str) -> Any:
    raise AssertionError(f"answer is not strict JSON: {token}")
