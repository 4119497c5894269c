"""Injected faults as data: rules that match an operation and fire a bounded number of times.

Rules live in the store (control key "faults") so every worker process sees and counts them.
Actions: fail_job (the async task ends FAIL), http_error, delay_ms, drop_connection.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.store import Tx

ACTIONS = ("fail_job", "http_error", "delay_ms", "drop_connection")
REQUEST_ACTIONS = ("http_error", "delay_ms", "drop_connection")
KEY = "faults"


def matches_op(patterns: list[str], op: str) -> bool:
    for p in patterns:
        if p == "*" or p == op or (p.endswith(".*") and op.startswith(p[:-1])):
            return True
    return False


def _applies(rule: dict[str, Any], action: str | tuple[str, ...], op: str, project_id: str | None,
             resource_id: str | None) -> bool:
    actions = (action,) if isinstance(action, str) else action
    if rule["action"] not in actions or not matches_op(rule["operations"], op):
        return False
    if rule.get("project_id") and rule["project_id"] != project_id:
        return False
    if rule.get("resource_id") and rule["resource_id"] != resource_id:
        return False
    times = rule.get("times")
    return times is None or rule.get("fired", 0) < times


def might_apply(rules: list[dict[str, Any]], action: str | tuple[str, ...], op: str, project_id: str | None,
                resource_id: str | None) -> bool:
    """Cheap check on a snapshot, so requests with no matching rule never take a write lock."""
    return any(_applies(r, action, op, project_id, resource_id) for r in rules)


def take(tx: Tx, action: str | tuple[str, ...], op: str, project_id: str | None,
         resource_id: str | None) -> dict[str, Any] | None:
    """The first matching rule that fires now (counted in the store), or None."""
    rules: list[dict[str, Any]] = tx.control.get(KEY, [])
    for rule in rules:
        if not _applies(rule, action, op, project_id, resource_id):
            continue
        rule["matched"] = rule.get("matched", 0) + 1
        p = rule.get("probability")
        if p is not None and random.Random(f"{rule.get('seed', 0)}:{rule['matched']}").random() >= p:
            continue
        rule["fired"] = rule.get("fired", 0) + 1
        tx.control.set(KEY, rules)
        return rule
    if rules:
        tx.control.set(KEY, rules)
    return None
