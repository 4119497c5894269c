"""Injected faults as data: rules that match an operation and fire a bounded number of times.

Rules live in the store (control key "faults") so every worker process sees and counts them.
Actions: fail_job (the async task ends FAIL), http_error, delay_ms, drop_connection.
A rule with a project_id only touches that project, so parallel tests never see each other's faults.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ims_emulator.domain.errors import catalogue

if TYPE_CHECKING:
    from ims_emulator.store import Tx

ACTIONS = ("fail_job", "http_error", "delay_ms", "drop_connection")
REQUEST_ACTIONS = ("http_error", "delay_ms", "drop_connection")
KEY = "faults"
MAX_DELAY_MS = 60_000
# which optional fields mean something for which action (anything else is refused, not ignored)
ONLY_FOR = {"status": ("http_error",), "delay_ms": ("delay_ms",),
            "error_code": ("http_error", "fail_job"), "message": ("http_error", "fail_job")}


class FaultError(ValueError):
    """A rule the control API refuses (answered 400 with this message)."""


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


# -- managing rules (the control API) ---------------------------------------------------------

def validate(rule: dict[str, Any], job_ops: Iterable[str], request_ops: Iterable[str]) -> dict[str, Any]:
    """Check a rule's meaning (its shape is checked by the API schema); returns it normalised.

    fail_job rules name async operations (the transition names, e.g. "ecs.stop"); request rules
    name API operations (the route names, e.g. "ims.list_images"). Both accept "*" and "<service>.*".
    """
    action = rule["action"]
    if action not in ACTIONS:
        raise FaultError(f"action must be one of {', '.join(ACTIONS)}")
    known = sorted(set(job_ops if action == "fail_job" else request_ops))
    unknown = [p for p in rule["operations"] if not _names_something(p, known)]
    if unknown:
        raise FaultError(f"unknown operation(s) for {action}: {', '.join(unknown)}; valid: *, <service>.*, "
                         f"{', '.join(known)}")
    for name, actions in ONLY_FOR.items():
        if rule.get(name) is not None and action not in actions:
            raise FaultError(f"{name} does not apply to action {action}")
    if action == "delay_ms" and rule.get("delay_ms") is None:
        raise FaultError("action delay_ms needs delay_ms (milliseconds)")
    code = rule.get("error_code")
    if code is not None and code not in catalogue():
        raise FaultError(f"error_code {code} is not in the error catalogue")
    return {k: v for k, v in rule.items() if v is not None}


def _names_something(pattern: str, known: list[str]) -> bool:
    if pattern == "*" or pattern in known:
        return True
    return pattern.endswith(".*") and any(op.startswith(pattern[:-1]) for op in known)


def add(tx: Tx, rule: dict[str, Any]) -> dict[str, Any]:
    stored = {"id": secrets.token_hex(8), **rule, "matched": 0, "fired": 0}
    tx.control.set(KEY, [*tx.control.get(KEY, []), stored])
    return stored


def listed(tx: Tx, project_id: str | None = None) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = tx.control.get(KEY, [])
    return [r for r in rules if project_id is None or r.get("project_id") == project_id]


def remove(tx: Tx, rule_id: str) -> bool:
    rules: list[dict[str, Any]] = tx.control.get(KEY, [])
    kept = [r for r in rules if r["id"] != rule_id]
    tx.control.set(KEY, kept)
    return len(kept) != len(rules)


def clear(tx: Tx, project_id: str | None = None) -> int:
    """Remove every rule, or only the rules scoped to one project; returns how many went."""
    rules: list[dict[str, Any]] = tx.control.get(KEY, [])
    kept = [r for r in rules if project_id is not None and r.get("project_id") != project_id]
    tx.control.set(KEY, kept)
    return len(rules) - len(kept)
