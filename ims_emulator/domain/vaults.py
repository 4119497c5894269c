"""CBR vaults (kind "cbr_vault"): containers of server backups and the servers they protect.

A server sits in at most one vault: the vault claims "cbr-vault-resource:<server id>" (tx.claims,
atomic) when the server is bound and releases it when the server is removed or the vault deleted.
Capacity: billing.allocated = the sum of the bound servers' disk sizes (GB), billing.used = the
sizes of the vault's backups (MB), as the recorded bodies show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import servers
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "cbr_vault"
SERVER_TYPE = "OS::Nova::Server"
PROVIDER_IDS = {"server": "0daac4c5-6707-4851-97ba-169e36266b66", "disk": "d1603440-187d-4516-af25-121250c7cc97",
                "turbo": "3f3c3220-245c-4805-b811-758870015881"}
RESOURCE_CLAIM = "cbr-vault-resource:{}"
DEFAULT_NAME = "default"  # the vault migration puts CSBS backups into
USER_ID = "38d65be2ecd840d19046e239e841a734"  # the emulator's single IAM user


def resource_claim(server_id: str) -> str:
    return RESOURCE_CLAIM.format(server_id)


# -- reads -------------------------------------------------------------------------------------

def get(tx: Tx, project_id: str, vault_id: str) -> Entity:
    vault = ownership.owned(tx, project_id, KIND, vault_id)
    if vault is None:
        raise ServiceError("BackupService.6105", f"Vault {vault_id} does not exist.")
    return vault


def find(tx: Tx, project_id: str, vault_id: str) -> Entity | None:
    return ownership.owned(tx, project_id, KIND, vault_id)


def vault_of_server(tx: Tx, server_id: str) -> str | None:
    holder = tx.claims.holder(resource_claim(server_id))
    return holder[1] if holder else None


def list_vaults(tx: Tx, project_id: str, q: dict[str, Any]) -> list[Entity]:
    filters: list[tuple[str, str, Any]] = []
    if q.get("name"):
        filters.append(("name", "=", q["name"]))
    if q.get("id"):
        filters.append(("id", "=", q["id"]))
    if q.get("status"):
        filters.append(("status", "=", q["status"]))
    for key in ("cloud_type", "protect_type", "object_type"):
        if q.get(key):
            filters.append((f"$.billing.{key}", "=", q[key]))
    rows = tx.entities.list(KIND, project_id, filters, order=(("created_at", "desc"), ("id", "desc")))
    if q.get("resource_ids"):
        wanted = set(q["resource_ids"].split(","))
        rows = [v for v in rows if wanted & {r["id"] for r in v.doc["resources"]}]
    return rows


# -- writes ------------------------------------------------------------------------------------

def create(tx: Tx, ctx: Ctx, data: dict[str, Any], vault_id: str | None = None) -> Entity:
    """A vault of ctx's project (`vault_id` only when world seeding names one)."""
    billing = data["billing"]
    vault_id = vault_id or new_uuid()
    doc = {"description": data.get("description", ""), "tags": data.get("tags", []),
           "enterprise_project_id": data.get("enterprise_project_id", "0"),
           "auto_bind": data.get("auto_bind", False), "bind_rules": data.get("bind_rules", {}),
           "auto_expand": data.get("auto_expand", False), "backup_policy_id": data.get("backup_policy_id"),
           "provider_id": PROVIDER_IDS.get(billing["object_type"], PROVIDER_IDS["server"]),
           "billing": {"cloud_type": billing.get("cloud_type", "public"),
                       "consistent_level": billing["consistent_level"], "object_type": billing["object_type"],
                       "protect_type": billing["protect_type"], "size": billing["size"],
                       "charging_mode": billing.get("charging_mode", "post_paid"),
                       "spec_code": f"vault.{billing['protect_type']}.{billing['object_type']}.normal"},
           "resources": []}
    vault = tx.entities.insert(Entity(KIND, vault_id, ctx.project_id, ctx.now, doc=doc, status="available",
                                      name=data["name"]))
    add_resources(tx, ctx, vault, data.get("resources", []))
    return vault


def ensure_default(tx: Tx, ctx: Ctx) -> Entity:
    """The server backup vault named "default" (created if missing): where migrated backups go."""
    found = tx.entities.list(KIND, ctx.project_id, [("name", "=", DEFAULT_NAME),
                                                    ("$.billing.object_type", "=", "server")], limit=1)
    if found:
        return found[0]
    return create(tx, ctx, {"name": DEFAULT_NAME, "resources": [], "billing": {
        "consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup", "size": 100}})


def ensure(tx: Tx, ctx: Ctx, vault_id: str) -> Entity | None:
    """World seeding: the project's vault with this id, made (100 GB, server backups) if no project has it;
    None when another project owns the id."""
    found = find(tx, ctx.project_id, vault_id)
    if found is not None or tx.entities.exists(KIND, vault_id):
        return found
    return create(tx, ctx, {"name": f"vault-{vault_id[:8]}", "resources": [], "billing": {
        "consistent_level": "crash_consistent", "object_type": "server", "protect_type": "backup", "size": 100}},
        vault_id=vault_id)


def update(tx: Tx, vault: Entity, data: dict[str, Any]) -> Entity:
    if data.get("name"):
        vault.name = data["name"]
    for key in ("auto_bind", "bind_rules", "auto_expand", "smn_notify", "threshold", "locked"):
        if key in data:
            vault.doc[key] = data[key]
    billing = data.get("billing") or {}
    if "size" in billing:
        if billing["size"] < vault.doc["billing"]["size"]:
            raise ServiceError("BackupService.9900", "Invalid size provided: a vault cannot shrink.")
        vault.doc["billing"]["size"] = billing["size"]
    if billing.get("consistent_level"):
        vault.doc["billing"]["consistent_level"] = billing["consistent_level"]
    return tx.entities.update(vault)


def add_resources(tx: Tx, ctx: Ctx, vault: Entity, resources: list[dict[str, Any]]) -> list[str]:
    """Bind servers (all checked before any is bound; a server already in a vault -> 7116)."""
    found = []
    for res in resources:
        if res.get("type", SERVER_TYPE) != SERVER_TYPE or vault.doc["billing"]["object_type"] != "server":
            raise ServiceError("BackupService.9900", "Invalid resource type provided.")
        server = ownership.owned(tx, ctx.project_id, servers.SERVER, res["id"])
        if server is None:
            raise ServiceError("BackupService.7100", f"Server {res['id']} does not exist.")
        if vault_of_server(tx, server.id) is not None:
            raise ServiceError("BackupService.7116", f"Server {server.id} is already associated with a vault.")
        found.append((server, res))
    if len({s.id for s, _ in found}) != len(found):
        raise ServiceError("BackupService.7116", "A server is listed twice.")
    for server, res in found:
        if not tx.claims.claim(resource_claim(server.id), KIND, vault.id, ctx.project_id):  # the atomic rule
            raise ServiceError("BackupService.7116", f"Server {server.id} is already associated with a vault.")
        vault.doc["resources"].append({"id": server.id, "type": SERVER_TYPE, "name": server.name or "",
                                       "extra_info": res.get("extra_info") or {}})
    tx.entities.update(vault)
    return [s.id for s, _ in found]


def remove_resources(tx: Tx, vault: Entity, resource_ids: list[str]) -> list[str]:
    bound = {r["id"] for r in vault.doc["resources"]}
    for rid in resource_ids:
        if rid not in bound:
            raise ServiceError("BackupService.9900", f"Invalid resource_ids provided: {rid} is not in the vault.")
    vault.doc["resources"] = [r for r in vault.doc["resources"] if r["id"] not in resource_ids]
    for rid in resource_ids:
        tx.claims.release(resource_claim(rid))
    tx.entities.update(vault)
    return resource_ids


def delete(tx: Tx, vault: Entity, backup_count: int) -> None:
    if backup_count:
        raise ServiceError("BackupService.9900", "Invalid vault_id provided: the vault still holds backups.")
    tx.claims.release_owner(KIND, vault.id)
    tx.entities.delete(KIND, vault.id)


# -- views -------------------------------------------------------------------------------------

def resource_view(tx: Tx, res: dict[str, Any], backups: list[Entity]) -> dict[str, Any]:
    server = tx.entities.get(servers.SERVER, res["id"])  # bound servers were resolved as owned when bound
    mine = [b for b in backups if b.doc.get("server_id") == res["id"]]
    return {"id": res["id"], "name": res.get("name", ""), "type": res["type"],
            "size": _server_size(tx, server), "protect_status": "available",
            "backup_count": len(mine), "backup_size": sum(backup_mb(b) for b in mine),
            "extra_info": res.get("extra_info") or {}}


def _server_size(tx: Tx, server: Entity | None) -> int:
    return sum(v.doc["size"] for v in servers.volumes_of(tx, server)) if server else 0


def backup_mb(backup: Entity) -> int:
    return sum(v["size"] for v in backup.doc["volumes"]) * 1024


def view(tx: Tx, vault: Entity, backups: list[Entity], created_at: str) -> dict[str, Any]:
    d = vault.doc
    resources = [resource_view(tx, r, backups) for r in d["resources"]]
    billing = {**d["billing"], "status": vault.status, "used": sum(backup_mb(b) for b in backups),
               "allocated": sum(r["size"] for r in resources)}
    return {"id": vault.id, "name": vault.name, "description": d["description"], "project_id": vault.project_id,
            "provider_id": d["provider_id"], "enterprise_project_id": d["enterprise_project_id"],
            "auto_bind": d["auto_bind"], "bind_rules": d["bind_rules"], "auto_expand": d["auto_expand"],
            "user_id": USER_ID, "created_at": created_at, "tags": d["tags"], "resources": resources,
            "billing": billing}
