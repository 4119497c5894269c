"""CSBS backup policies (one scheduled backup operation each) and tags on backups and policies.

A server belongs to at most one policy: a claim per bound server ("csbs-policy-server:<id>"),
so two requests can never bind the same server to two policies, in any number of processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, csbs_replication, csbs_schedule, policy_runs, schedules, servers
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "csbs_policy"
SERVER_CLAIM = "csbs-policy-server:{}"
MAX_TAGS = 10
RUN_EXTRA_INFO = '{"created_by": "manual"}'
policy_runs.register(KIND, policy_runs.Runner(csbs_schedule.schedule, csbs_schedule.run))


def server_claim(server_id: str) -> str:
    return SERVER_CLAIM.format(server_id)


def get(tx: Tx, project_id: str, policy_id: str) -> Entity:
    policy = ownership.owned(tx, project_id, KIND, policy_id)
    if policy is None:
        raise ServiceError("CSBS.3000")
    return policy


def status_of(doc: dict[str, Any]) -> str:
    """UNCONFIRMED: the doc enum is enabled/disabled; it follows the scheduled operation's switch."""
    return "enabled" if doc["scheduled_operations"][0]["enabled"] else "disabled"


# -- create / update / delete --------------------------------------------------------------------

def create(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Entity:
    if data["provider_id"] != backups.PROVIDER_ID:
        raise ServiceError("CSBS.9001")
    _unique_name(tx, ctx.project_id, data["name"], None)
    policy_id = data.get("id") or new_uuid()  # a world file may fix the id (API bodies never carry one)
    doc = {"description": data.get("description", ""), "parameters": data["parameters"],
           "provider_id": backups.PROVIDER_ID, "resources": [],
           "scheduled_operations": [_new_operation(op, policy_id, ctx.now) for op in data["scheduled_operations"]],
           "tags": data.get("tags", []), "created_at": ctx.now}
    policy = Entity(KIND, policy_id, ctx.project_id, ctx.now, doc=doc, name=data["name"], status=status_of(doc))
    _bind(tx, policy, data["resources"])
    tx.entities.insert(policy)
    policy_runs.arm(tx, policy, ctx.now)
    return policy


def _new_operation(op: dict[str, Any], policy_id: str, now: float) -> dict[str, Any]:
    trigger_id = new_uuid()
    _check_pattern(op["trigger"]["properties"]["pattern"], now)
    definition = {**op["operation_definition"], "plan_id": policy_id, "provider_id": backups.PROVIDER_ID}
    return {"description": op.get("description", ""), "enabled": op["enabled"], "id": new_uuid(),
            "name": op.get("name", ""), "operation_definition": definition, "operation_type": "backup",
            "trigger": {"id": trigger_id, "name": "default",
                        "properties": {"pattern": op["trigger"]["properties"]["pattern"], "start_time": now,
                                       "format": "ical"}, "type": "time"},
            "trigger_id": trigger_id}


def update(tx: Tx, ctx: Ctx, policy_id: str, data: dict[str, Any]) -> Entity:
    policy = get(tx, ctx.project_id, policy_id)
    policy_runs.run_due(tx, policy.id, ctx.now)  # occurrences up to now run under the old settings
    if "name" in data:
        _unique_name(tx, ctx.project_id, data["name"], policy.id)
        policy.name = data["name"]
    for key in ("description", "parameters"):
        if key in data:
            policy.doc[key] = data[key]
    for change in data.get("scheduled_operations", []):
        _update_operation(policy, change)
    if "resources" in data:
        tx.claims.release_owner(KIND, policy.id)
        _bind(tx, policy, data["resources"])
    policy.status = status_of(policy.doc)
    tx.entities.update(policy)
    if data.get("scheduled_operations"):  # switch or pattern changed: runs from now on, same anchor
        policy_runs.arm(tx, policy, ctx.now)
    return policy


def _update_operation(policy: Entity, change: dict[str, Any]) -> None:
    op = next((o for o in policy.doc["scheduled_operations"] if o["id"] == change["id"]), None)
    if op is None:
        raise ServiceError("CSBS.9001", f"scheduled operation {change['id']} not found in this policy")
    for key in ("name", "description", "enabled"):
        if key in change:
            op[key] = change[key]
    if "operation_definition" in change:
        op["operation_definition"].update(change["operation_definition"])
    if "trigger" in change:
        _check_pattern(change["trigger"]["properties"]["pattern"], op["trigger"]["properties"]["start_time"])
        op["trigger"]["properties"]["pattern"] = change["trigger"]["properties"]["pattern"]


def _check_pattern(pattern: str, start: float) -> None:
    """The RRULE subset (domain/schedules.py); anything else -> CSBS.9001 naming what is wrong."""
    why = schedules.check(pattern, start)
    if why:
        raise ServiceError("CSBS.9001", f"trigger pattern: {why}")


def _bind(tx: Tx, policy: Entity, resources: list[dict[str, Any]]) -> None:
    for res in resources:  # only the caller's own servers: another project's (or no) server is not found
        if ownership.owned(tx, policy.project_id, servers.SERVER, res["id"]) is None:
            raise ServiceError("CSBS.6000", f"Server ({res['id']}) does not exist.")
    for res in resources:
        if not tx.claims.claim(server_claim(res["id"]), KIND, policy.id, policy.project_id):
            raise ServiceError("CSBS.6004", f"Server ({res['id']}) is already bound to another backup policy.")
    policy.doc["resources"] = [{"id": r["id"], "name": r["name"], "type": r["type"],
                                "extra_info": r.get("extra_info") or {}} for r in resources]


def _unique_name(tx: Tx, project_id: str, name: str, own_id: str | None) -> None:
    same = tx.entities.list(KIND, project_id, [("name", "=", name)])
    if any(p.id != own_id for p in same):
        raise ServiceError("CSBS.9007")


def delete(tx: Tx, project_id: str, policy_id: str) -> None:
    policy = get(tx, project_id, policy_id)
    tx.claims.release_owner(KIND, policy.id)
    tx.entities.delete(KIND, policy.id)
    policy_runs.disarm(tx, policy.id)


# -- run now (POST /providers/{provider_id}/checkpoints) -------------------------------------------

def run(tx: Tx, ctx: Ctx, policy_id: str, params: dict[str, Any]) -> Entity:
    """One checkpoint; one item (csbs.protect task) per bound server that can be backed up now."""
    policy = get(tx, ctx.project_id, policy_id)
    running = tx.entities.count(backups.KIND, ctx.project_id, [("$.policy_id", "=", policy.id),
                                                                ("status", "=", "protecting")])
    if running:
        raise ServiceError("CSBS.1001")
    wanted = set(params.get("resources") or [])
    bound = [r for r in policy.doc["resources"] if not wanted or r["id"] in wanted]
    ok = [r for r in bound if backups.protect_refusal(tx, ctx.project_id, r["id"]) is None]
    if not ok:
        raise ServiceError("CSBS.6032")
    backups.check_quota(tx, ctx.project_id, len(ok))
    plan = {"id": policy.id, "name": policy.name,
            "resources": [{"type": backups.SERVER_TYPE, "id": r["id"], "name": r["name"], "extra_info": "{}"}
                          for r in ok]}
    checkpoint = backups.new_checkpoint(tx, ctx, plan, RUN_EXTRA_INFO)
    auto = bool(params.get("auto_trigger"))
    for res in ok:
        server = ownership.owned(tx, ctx.project_id, servers.SERVER, res["id"])
        assert server is not None
        item = backups.new_item(tx, ctx, checkpoint, server, name=None, auto_trigger=auto, policy_id=policy.id,
                                incremental=True)
        backups.start_protect(tx, ctx, item)
    return checkpoint


# -- tags (backups and policies share the rules) -------------------------------------------------

def add_tags(entity: Entity, tags: list[dict[str, str]]) -> None:
    """Create or overwrite tags; more than 10 in total -> CSBS.7000."""
    current = {t["key"]: t["value"] for t in entity.doc.get("tags", [])}
    for tag in tags:
        current[tag["key"]] = tag.get("value", "")
    if len(current) > MAX_TAGS:
        raise ServiceError("CSBS.7000")
    entity.doc["tags"] = [{"key": k, "value": v} for k, v in current.items()]


def remove_tag(entity: Entity, key: str) -> None:
    tags = entity.doc.get("tags", [])
    if not any(t["key"] == key for t in tags):
        raise ServiceError("CSBS.7001")
    entity.doc["tags"] = [t for t in tags if t["key"] != key]


def remove_tags(entity: Entity, tags: list[dict[str, str]]) -> None:
    """Batch delete: a tag goes when its key matches (and its value, if one is given); absent keys are ignored."""
    def doomed(t: dict[str, str]) -> bool:
        return any(t["key"] == d["key"] and ("value" not in d or d["value"] == t["value"]) for d in tags)
    entity.doc["tags"] = [t for t in entity.doc.get("tags", []) if not doomed(t)]


def project_tags(entities: list[Entity]) -> list[dict[str, Any]]:
    keys: dict[str, list[str]] = {}
    for e in entities:
        for t in e.doc.get("tags", []):
            values = keys.setdefault(t["key"], [])
            if t["value"] not in values:
                values.append(t["value"])
    return [{"key": k, "values": v} for k, v in keys.items()]


def matches_tags(entity: Entity, query: dict[str, Any], name: str) -> bool:
    """resource_instances: tags (all keys), tags_any (some key), not_tags, not_tags_any; values OR'd."""
    have = {t["key"]: t["value"] for t in entity.doc.get("tags", [])}

    def hit(f: dict[str, Any]) -> bool:
        return f["key"] in have and (not f["values"] or have[f["key"]] in f["values"])

    if query.get("tags") and not all(hit(f) for f in query["tags"]):
        return False
    if query.get("tags_any") and not any(hit(f) for f in query["tags_any"]):
        return False
    if query.get("not_tags") and all(hit(f) for f in query["not_tags"]):
        return False
    if query.get("not_tags_any") and any(hit(f) for f in query["not_tags_any"]):
        return False
    return all(m["value"] in name for m in query.get("matches", []))


# -- replication of a policy's backups --------------------------------------------------------------

def replicate(tx: Tx, ctx: Ctx, options: dict[str, Any]) -> list[Entity]:
    """Replicate every available backup of the policy not yet copied to that region; CSBS.6031 if one is copying."""
    policy = get(tx, ctx.project_id, options["policy_id"])
    items = tx.entities.list(backups.KIND, ctx.project_id, [("$.policy_id", "=", policy.id)])
    if any(i.doc["extend_info"].get("copy_status") in backups.COPY_BUSY for i in items):
        raise ServiceError("CSBS.6031")
    region = options["destination_region"]
    todo = [i for i in items if i.status == "available" and not any(
        r["destination_region"] == region and r["status"] != "failed" for r in i.doc.get("replication_records", []))]
    for item in todo:
        csbs_replication.replicate(tx, ctx, item, options)
    return todo
