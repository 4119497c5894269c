"""World files: backup policies (CSBS and CBR) and CBR vaults, made by the same create calls as the API.

So a suite can start from "a server under a nightly policy": the policy is created at the seed's
virtual now (its anchor), bound, and scheduled exactly as `POST /v1/{p}/policies` or
`POST /v3/{p}/policies` + `associatepolicy` would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, cbr_policies, csbs_policies, servers, vaults
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

RETENTION_KEYS = ("max_backups", "retention_duration_days", "permanent", "day_backups", "week_backups",
                  "month_backups", "year_backups", "timezone")
WRAP = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


class SeedError(ValueError):
    """`field: reason` for the world's error path."""


def _server(tx: Tx, ctx: Ctx, server_id: str, field: str) -> Entity:
    server = ownership.owned(tx, ctx.project_id, servers.SERVER, server_id)
    if server is None:
        raise SeedError(f"{field}: server {server_id} not found in project {ctx.project_id}")
    return server


def policy(tx: Tx, ctx: Ctx, spec: dict[str, Any]) -> Entity:
    definition = {k: spec[k] for k in RETENTION_KEYS if k in spec}
    patterns = spec["pattern"] if isinstance(spec["pattern"], list) else [spec["pattern"]]
    try:
        if spec["type"] == "cbr":
            return cbr_policies.create(tx, ctx, {
                "id": spec.get("id"), "name": spec["name"], "operation_type": "backup",
                "enabled": spec.get("enabled", True), "operation_definition": definition,
                "trigger": {"properties": {"pattern": patterns}}})
        resources = [{"id": s, "type": backups.SERVER_TYPE, "name": _server(tx, ctx, s, "servers").name or s}
                     for s in spec.get("servers", [])]
        text = patterns[0] if "BEGIN:" in patterns[0] else WRAP.format(patterns[0].removeprefix("RRULE:"))
        return csbs_policies.create(tx, ctx, {
            "id": spec.get("id"), "name": spec["name"], "provider_id": backups.PROVIDER_ID,
            "parameters": {"common": {}}, "resources": resources,
            "scheduled_operations": [{"enabled": spec.get("enabled", True), "operation_type": "backup",
                                      "operation_definition": definition,
                                      "trigger": {"properties": {"pattern": text}}}]})
    except ServiceError as exc:
        raise SeedError(f"{exc.code} {exc.message}") from exc


def vault(tx: Tx, ctx: Ctx, spec: dict[str, Any]) -> Entity:
    for s in spec.get("servers", []):
        _server(tx, ctx, s, "servers")
    try:
        made = vaults.create(tx, ctx, {
            "name": spec["name"],
            "resources": [{"id": s, "type": vaults.SERVER_TYPE} for s in spec.get("servers", [])],
            "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                        "protect_type": "backup", "size": spec.get("size", 100)}}, vault_id=spec.get("id"))
        if spec.get("policy_id"):
            cbr_policies.associate(tx, ctx.project_id, made.id, spec["policy_id"], None)
    except ServiceError as exc:
        raise SeedError(f"{exc.code} {exc.message}") from exc
    return made
