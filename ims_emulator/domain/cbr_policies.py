"""CBR policies (kind "cbr_policy"): CRUD, binding to vaults, and their scheduled checkpoints.

A vault holds at most one backup policy and one replication policy: the binding is the vault's
`backup_policy_id` / `replication_policy_id` (+ `destination_vault_id`); associating another policy
of the same type replaces it (tf-hw relies on that), associating the bound one again is a no-op.
An enabled backup policy has a schedule tick (domain/policy_runs.py); at each occurrence every vault
bound to it takes a checkpoint of its servers that can be backed up then (the same refusal as a
manual checkpoint), named `autobk_xxxx`, `auto_trigger: true`, created at the occurrence; retention
(domain/retention.py) then runs per server over the vault's scheduled, available, image-free backups.
Replication policies are stored and bound but copy nothing (not emulated).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import cbr_backups, policy_runs, retention, schedules, vaults
from ims_emulator.domain.common import in_use, ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "cbr_policy"
MAX_PER_TYPE = 32
LINK = {"backup": "backup_policy_id", "replication": "replication_policy_id"}
LONG_TERM = ("day_backups", "week_backups", "month_backups", "year_backups")
SCHEDULED = "scheduled"  # backup doc flag: made by a policy's schedule (retention's candidates)


def get(tx: Tx, project_id: str, policy_id: str) -> Entity:
    policy = ownership.owned(tx, project_id, KIND, policy_id)
    if policy is None:
        raise ServiceError("BackupService.6000", f"Policy {policy_id} does not exist.")
    return policy


def bound_vaults(tx: Tx, policy: Entity) -> list[Entity]:
    key = LINK[policy.doc["operation_type"]]
    return tx.entities.list(vaults.KIND, policy.project_id, [(f"$.{key}", "=", policy.id)],
                            order=(("created_at", "asc"), ("id", "asc")))


def list_policies(tx: Tx, project_id: str, operation_type: str | None, vault_id: str | None) -> list[Entity]:
    rows = tx.entities.list(KIND, project_id, order=(("created_at", "asc"), ("id", "asc")))
    if operation_type:
        rows = [p for p in rows if p.doc["operation_type"] == operation_type]
    if vault_id:
        vault = vaults.find(tx, project_id, vault_id)
        bound = [vault.doc.get(LINK["backup"]), vault.doc.get(LINK["replication"])] if vault else []
        rows = sorted((p for p in rows if p.id in bound), key=lambda p: bound.index(p.id))  # backup one first
    return rows


# -- create / update / delete -----------------------------------------------------------------------

def _check_definition(d: dict[str, Any]) -> None:
    counts = any((d.get(k) or 0) > 0 for k in LONG_TERM)
    if (d.get("retention_duration_days") or -1) > 0 and ((d.get("max_backups") or -1) > 0 or counts):
        raise ServiceError("BackupService.9900", "Invalid operation_definition provided: retention_duration_days "
                                                 "cannot be combined with max_backups or long-term retention.")
    if counts and not d.get("timezone"):
        raise ServiceError("BackupService.9900", param="timezone")


def _check_pattern(pattern: list[str], start: float) -> None:
    why = schedules.check(pattern, start)
    if why:
        raise ServiceError("BackupService.9900", f"Invalid trigger.properties.pattern provided: {why}.")


def create(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Entity:
    kind = data["operation_type"]
    same = [p for p in tx.entities.list(KIND, ctx.project_id) if p.doc["operation_type"] == kind]
    if len(same) >= MAX_PER_TYPE:
        raise ServiceError("BackupService.6001")
    props = data["trigger"]["properties"]
    _check_pattern(props["pattern"], ctx.now)
    _check_definition(data["operation_definition"])
    properties: dict[str, Any] = {"pattern": props["pattern"], "start_time": ctx.now}
    if props.get("start_window_minutes") is not None:
        properties["start_window_minutes"] = props["start_window_minutes"]
    doc = {"operation_type": kind, "enabled": data.get("enabled", True),
           "operation_definition": data["operation_definition"], "policy_type": "custom_policy",
           "trigger": {"id": new_uuid(), "name": "default", "type": "time", "properties": properties}}
    policy = tx.entities.insert(Entity(KIND, data.get("id") or new_uuid(), ctx.project_id, ctx.now, doc=doc,
                                       name=data["name"], status="enabled" if doc["enabled"] else "disabled"))
    policy_runs.arm(tx, policy, ctx.now)
    return policy


def update(tx: Tx, ctx: Ctx, policy_id: str, data: dict[str, Any]) -> Entity:
    policy = get(tx, ctx.project_id, policy_id)
    policy_runs.run_due(tx, policy.id, ctx.now)  # occurrences up to now run under the old settings
    d = policy.doc
    if data.get("name"):
        policy.name = data["name"]
    if data.get("enabled") is not None:
        d["enabled"] = data["enabled"]
    if data.get("operation_definition") is not None:  # replaced as a whole (the doc example's reading)
        _check_definition(data["operation_definition"])
        d["operation_definition"] = data["operation_definition"]
    props = (data.get("trigger") or {}).get("properties") or {}
    if props.get("pattern"):
        _check_pattern(props["pattern"], d["trigger"]["properties"]["start_time"])
        d["trigger"]["properties"]["pattern"] = props["pattern"]
    if "start_window_minutes" in props:
        d["trigger"]["properties"]["start_window_minutes"] = props["start_window_minutes"]
    policy.status = "enabled" if d["enabled"] else "disabled"
    tx.entities.update(policy)
    policy_runs.arm(tx, policy, ctx.now)
    return policy


def delete(tx: Tx, project_id: str, policy_id: str) -> None:
    """UNCONFIRMED whether a bound policy may be deleted: it is, and its vaults are unbound."""
    policy = get(tx, project_id, policy_id)
    for vault in bound_vaults(tx, policy):
        _unbind(tx, vault, policy)
    tx.entities.delete(KIND, policy.id)
    policy_runs.disarm(tx, policy.id)


# -- binding to vaults ------------------------------------------------------------------------------

def associate(tx: Tx, project_id: str, vault_id: str, policy_id: str, destination_vault_id: str | None) -> Entity:
    vault = vaults.get(tx, project_id, vault_id)
    policy = get(tx, project_id, policy_id)
    kind = policy.doc["operation_type"]
    if kind == "replication":
        if not destination_vault_id:
            raise ServiceError("BackupService.9900", param="destination_vault_id")
        vault.doc["destination_vault_id"] = destination_vault_id
    vault.doc[LINK[kind]] = policy.id
    tx.entities.update(vault)
    return policy


def dissociate(tx: Tx, project_id: str, vault_id: str, policy_id: str) -> Entity:
    vault = vaults.get(tx, project_id, vault_id)
    policy = get(tx, project_id, policy_id)
    if vault.doc.get(LINK[policy.doc["operation_type"]]) != policy.id:
        raise ServiceError("BackupService.6002", f"Vault {vault_id} is not bound to policy {policy_id}.")
    _unbind(tx, vault, policy)
    return policy


def _unbind(tx: Tx, vault: Entity, policy: Entity) -> None:
    vault.doc[LINK[policy.doc["operation_type"]]] = None
    if policy.doc["operation_type"] == "replication":
        vault.doc.pop("destination_vault_id", None)
    tx.entities.update(vault)


def destination_of(vault: Entity, policy: Entity) -> str | None:
    return vault.doc.get("destination_vault_id") if policy.doc["operation_type"] == "replication" else None


# -- the schedule -----------------------------------------------------------------------------------

def schedule(policy: Entity) -> tuple[Any, float, bool]:
    d = policy.doc
    enabled = bool(d["enabled"]) and d["operation_type"] == "backup"
    return d["trigger"]["properties"]["pattern"], float(d["trigger"]["properties"]["start_time"]), enabled


def run(tx: Tx, policy: Entity, times: list[float], now: float) -> None:
    definition = policy.doc["operation_definition"]
    rule = retention.Rule.from_definition(definition)
    speed = policy_runs.duration(policy_runs.ctx_at(tx, policy.project_id, now), cbr_backups.CREATE_OP)
    for vault in bound_vaults(tx, policy):
        resources = [r["id"] for r in vault.doc["resources"]]
        blocked = {r: _until(tx, policy.project_id, r, now) for r in resources
                   if cbr_backups.skip_reason(tx, policy.project_id, r) is not None}
        outcome = retention.catch_up(times, resources, blocked, _candidates(tx, vault), rule, speed)
        for backup_id in sorted(outcome.removed):
            cbr_backups.discard(tx, backup_id)
        by_time: dict[float, list[str]] = defaultdict(list)
        for made in outcome.made:
            by_time[made.at].append(made.resource)
        for at in sorted(by_time):
            _checkpoint(tx, policy, vault, at, by_time[at], now, definition, outcome.first_at)


def _until(tx: Tx, project_id: str, server_id: str, now: float) -> float | None:
    """Skipped only because its checkpoint is running: free once that ends (if nothing else refuses then)."""
    why = cbr_backups.skip_reason(tx, project_id, server_id)
    if why is None or why[0] != "BackupService.6125":
        return None
    until = policy_runs.busy_until(tx, server_id, "checkpoint", now)
    if until is not None and until <= now and cbr_backups.skip_reason(tx, project_id, server_id) is not None:
        return None
    return until


def _candidates(tx: Tx, vault: Entity) -> dict[str, list[tuple[float, str]]]:
    out: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for b in cbr_backups.backups_in_vault(tx, vault.id):
        if b.doc.get(SCHEDULED) and b.status == "available" and in_use.image_using(tx, b.id) is None:
            out[b.doc["server_id"]].append((b.created_at, b.id))
    return out


def _checkpoint(tx: Tx, policy: Entity, vault: Entity, at: float, server_ids: list[str], now: float,
                definition: dict[str, Any], first_at: dict[str, float]) -> None:
    ctx = policy_runs.ctx_at(tx, policy.project_id, at)
    days = definition.get("retention_duration_days")
    params = {"auto_trigger": True, "incremental": True, "resources": server_ids,
              "name": f"autobk_{secrets.token_hex(2)}",
              "retention_duration_days": days if days and days > 0 else None}
    try:
        checkpoint = cbr_backups.create_checkpoint(tx, ctx, vault.id, params)
    except ServiceError:
        return  # a full vault (6114) or nothing left to back up: this vault's run is skipped
    for backup_id in checkpoint.doc["backups"]:
        backup = tx.entities.get(cbr_backups.KIND, backup_id)
        if backup is not None:
            backup.doc.update({SCHEDULED: True, "policy_id": policy.id})
            if at > first_at.get(backup.doc["server_id"], at):  # an earlier run of this jump made the full one
                backup.doc["incremental"] = True
            tx.entities.update(backup)
    task = tx.tasks.pending_for_entity(checkpoint.id)
    if task is not None:
        policy_runs.finish_if_due(tx, task, now)


policy_runs.register(KIND, policy_runs.Runner(schedule, run))
