"""Scheduled runs of CSBS policies (the runner policy_runs calls) and their retention.

Each occurrence backs up every bound server that can be backed up at that moment — the same
refusal a manual run of the policy uses, so busy, shared-disk and gone servers are skipped — into
one checkpoint per occurrence (protection_plan = the policy), items `autobk_xxxx` with
`auto_trigger: true`, created at the occurrence. Retention (domain/retention.py) then runs over the
policy's scheduled, available, image-free backups of each bound server.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, policy_runs, retention, servers
from ims_emulator.domain.common import in_use
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "csbs_policy"
SCHEDULED = "scheduled"  # item doc flag: made by the schedule (retention's candidates; manual runs are not)


def _operation(policy: Entity) -> dict[str, Any]:
    return policy.doc["scheduled_operations"][0]


def schedule(policy: Entity) -> tuple[Any, float, bool]:
    op = _operation(policy)
    props = op["trigger"]["properties"]
    return props["pattern"], float(props["start_time"]), bool(op["enabled"])


def candidates(tx: Tx, policy: Entity) -> dict[str, list[tuple[float, str]]]:
    rows = tx.entities.list(backups.KIND, policy.project_id, [("$.policy_id", "=", policy.id),
                                                               (f"$.{SCHEDULED}", "=", 1),
                                                               ("status", "=", "available")])
    out: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for item in rows:
        if in_use.image_using(tx, item.id) is None:
            out[item.doc["resource_id"]].append((item.created_at, item.id))
    return out


def run(tx: Tx, policy: Entity, times: list[float], now: float) -> None:
    op = _operation(policy)
    resources = [r["id"] for r in policy.doc["resources"]]
    blocked = {r: _until(tx, policy.project_id, r, now) for r in resources
               if backups.protect_refusal(tx, policy.project_id, r) is not None}
    rule = retention.Rule.from_definition(op["operation_definition"])
    speed = policy_runs.duration(policy_runs.ctx_at(tx, policy.project_id, now), "csbs.protect")
    outcome = retention.catch_up(times, resources, blocked, candidates(tx, policy), rule, speed)
    for item_id in sorted(outcome.removed):
        item = tx.entities.get(backups.KIND, item_id)
        if item is not None:
            backups.discard(tx, item)
    by_time: dict[float, list[str]] = defaultdict(list)
    for made in outcome.made:
        by_time[made.at].append(made.resource)
    for at in sorted(by_time):
        _write_run(tx, policy, op, at, by_time[at], now, outcome.first_at)


def _until(tx: Tx, project_id: str, server_id: str, now: float) -> float | None:
    """Refused only because its backup is running: free once that ends (if nothing else refuses then)."""
    refusal = backups.protect_refusal(tx, project_id, server_id)
    if refusal is None or refusal.code != "CSBS.6005":
        return None
    until = policy_runs.busy_until(tx, server_id, "protect", now)
    if until is not None and until <= now and backups.protect_refusal(tx, project_id, server_id) is not None:
        return None  # still refused for another reason once that backup has ended
    return until


def _write_run(tx: Tx, policy: Entity, op: dict[str, Any], at: float, server_ids: list[str], now: float,
               first_at: dict[str, float]) -> None:
    ctx = policy_runs.ctx_at(tx, policy.project_id, at)
    found = [s for s in (tx.entities.get(servers.SERVER, sid, policy.project_id) for sid in server_ids) if s]
    limit = backups.quota(tx, policy.project_id)
    if limit >= 0:  # over the backup quota: the servers that do not fit are skipped
        found = found[:max(0, limit - tx.entities.count(backups.KIND, policy.project_id))]
    if not found:
        return
    plan = {"id": policy.id, "name": policy.name,
            "resources": [{"type": backups.SERVER_TYPE, "id": s.id, "name": s.name, "extra_info": "{}"}
                          for s in found]}
    extra = json.dumps({"created_by": "operation-engine", "trigger_id": op["trigger_id"],
                        "scheduled_operation_id": op["id"]})
    checkpoint = backups.new_checkpoint(tx, ctx, plan, extra)
    for server in found:
        item = backups.new_item(tx, ctx, checkpoint, server, name=None, auto_trigger=True, policy_id=policy.id,
                                incremental=True, tags=list(policy.doc.get("tags", [])))
        item.doc[SCHEDULED] = True
        if at > first_at.get(server.id, at):  # an earlier run of this jump made its full backup (maybe pruned)
            item.doc["extend_info"]["incremental"] = True
            for vb in item.doc["extend_info"]["volume_backups"]:
                vb["incremental"] = True
        tx.entities.update(item)
        policy_runs.finish_if_due(tx, backups.start_protect(tx, ctx, item), now)

