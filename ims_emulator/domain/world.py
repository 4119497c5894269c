"""Seeding: a world (or one seed request) becomes projects, servers, volumes, backups and images.

Backups are stored by the same functions as the control API's direct seeding; images are made by the
real create calls and their job settled in the same transaction, so every invariant (the one-image-per-
backup claim, the backup's os_images_data link, __backup_id, the ECS imaging claim) holds exactly as if
the image had been made through the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import (
    backups,
    cbr_backups,
    clock,
    image_create,
    images,
    jobs,
    policy_seed,
    servers,
    vaults,
    whole_images,
)
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task
from ims_emulator.domain.servers import ConflictError

if TYPE_CHECKING:
    from ims_emulator.store import Tx

BACKUP_KINDS = {"csbs": backups.KIND, "cbr": cbr_backups.KIND}
# an image seeded `saving` keeps its job pending until settled (POST /_emulator/settle)
_HELD = {whole_images.OP: "manual", "ims.create_image": "manual"}


class WorldError(ValueError):
    """A seed that names something missing or breaks a service rule: `path: reason` (control API 400)."""


def seed(tx: Tx, seed_data: dict[str, Any], default_region: str, now: float) -> dict[str, Any]:
    """One project's seed; all or nothing (the caller's transaction rolls back on error)."""
    pid = seed_data["project_id"]
    project = tx.projects.get(pid)
    region = seed_data.get("region") or (project or {}).get("region") or default_region
    if project is None:
        tx.projects.ensure(pid, region, seed_data.get("project_name"), now)
    elif seed_data.get("region") or seed_data.get("project_name"):
        tx.projects.set_region(pid, region, seed_data.get("project_name") or project["name"])
    now, transitions = clock.at_project(clock.load(tx, pid), pid, now)  # the project's own clock and policies
    ctx = Ctx(now=now, project_id=pid, region=region, transitions=transitions)
    _check_new_ids(tx, seed_data)
    created = servers.seed_servers(tx, ctx, pid, seed_data.get("servers", []))
    pols = [_seeded(policy_seed.policy, tx, ctx, spec, f"policies[{n}]")
            for n, spec in enumerate(seed_data.get("policies", []))]
    vlts = [_seeded(policy_seed.vault, tx, ctx, spec, f"vaults[{n}]")
            for n, spec in enumerate(seed_data.get("vaults", []))]
    made = [_backup(tx, ctx, spec, f"backups[{n}]") for n, spec in enumerate(seed_data.get("backups", []))]
    imgs = [_image(tx, ctx, spec, f"images[{n}]") for n, spec in enumerate(seed_data.get("images", []))]
    out: dict[str, Any] = {"project_id": pid, "region": region, "servers": [s.id for s in created]}
    if made:  # only what the seed asked for (the servers-only answer is unchanged)
        out["backups"] = [{"id": b.id, "type": t, "status": b.status} for t, b in made]
    if pols:
        out["policies"] = [{"id": p.id, "type": "cbr" if p.kind == "cbr_policy" else "csbs"} for p in pols]
    if vlts:
        out["vaults"] = [{"id": v.id} for v in vlts]
    if imgs:
        out["images"] = [{"id": i.id, "status": i.status, "__backup_id": i.doc.get("__backup_id", "")} for i in imgs]
    return out


def seed_all(tx: Tx, seeds: list[dict[str, Any]], default_region: str, now: float,
             *, numbered: bool) -> list[dict[str, Any]]:
    """Seed several projects; `numbered` (a {"projects": [...]} world) prefixes errors with projects[n]."""
    results = []
    for n, s in enumerate(seeds):
        try:
            results.append(seed(tx, s, default_region, now))
        except WorldError as exc:
            raise WorldError(f"projects[{n}].{exc}" if numbered else str(exc)) from exc
    return results


def apply(tx: Tx, seeds: list[dict[str, Any]], default_region: str, now: float) -> str:
    """Seed a whole world at start-up; returns its first project id (shown in the start-up snippet)."""
    try:
        results = seed_all(tx, seeds, default_region, now, numbered=True)
    except ConflictError as exc:
        raise WorldError(str(exc)) from exc
    return results[0]["project_id"] if results else ""


def _check_new_ids(tx: Tx, seed_data: dict[str, Any]) -> None:
    """Ids given for backups and images must be new anywhere (409), checked before anything is written."""
    for spec in seed_data.get("backups", []):
        if spec.get("id") and any(tx.entities.exists(k, spec["id"]) for k in BACKUP_KINDS.values()):
            raise ConflictError(f"backup {spec['id']} already exists")
    for spec in seed_data.get("images", []):
        if spec.get("id") and tx.entities.exists(images.KIND, spec["id"]):
            raise ConflictError(f"image {spec['id']} already exists")
    for key, what, kinds in (("policies", "policy", ("csbs_policy", "cbr_policy")),
                             ("vaults", "vault", ("cbr_vault",))):
        for spec in seed_data.get(key, []):
            if spec.get("id") and any(tx.entities.exists(k, spec["id"]) for k in kinds):
                raise ConflictError(f"{what} {spec['id']} already exists")


def _seeded(make: Any, tx: Tx, ctx: Ctx, spec: dict[str, Any], path: str) -> Entity:
    try:
        return make(tx, ctx, spec)
    except policy_seed.SeedError as exc:
        raise WorldError(f"{path}.{exc}" if str(exc).startswith("servers") else f"{path}: {exc}") from exc


# -- backups ---------------------------------------------------------------------------------------

def _backup(tx: Tx, ctx: Ctx, spec: dict[str, Any], path: str) -> tuple[str, Entity]:
    if ownership.owned(tx, ctx.project_id, servers.SERVER, spec["server_id"]) is None:
        raise WorldError(f"{path}.server_id: server {spec['server_id']} not found in project {ctx.project_id}")
    if spec["type"] == "csbs":
        return "csbs", backups.seed_item(tx, ctx, spec)
    made = cbr_backups.seed(tx, ctx, ctx.project_id, [{**spec, "id": spec.get("id") or new_uuid()}])
    if spec.get("name"):
        made[0].name = spec["name"]
        tx.entities.update(made[0])
    return "cbr", made[0]


# -- images ----------------------------------------------------------------------------------------

def _image(tx: Tx, ctx: Ctx, spec: dict[str, Any], path: str) -> Entity:
    held = Ctx(now=ctx.now, project_id=ctx.project_id, region=ctx.region,
               transitions=_HELD if spec["status"] == "saving" else {})
    try:
        task = _create(tx, held, spec, path)
    except ServiceError as exc:
        raise WorldError(f"{path}: {exc.code} {exc.message}") from exc
    if spec["status"] != "saving":
        task = _settle(tx, task, spec["status"], ctx.now)
    img = tx.entities.get(images.KIND, task.entity_id or "")
    if img is None or img.status != spec["status"]:  # e.g. a fail_job fault rule matched the seeded job
        raise WorldError(f"{path}.status: the image could not be made {spec['status']} ({task.error_code})")
    return img


def _create(tx: Tx, ctx: Ctx, spec: dict[str, Any], path: str) -> Task:
    common = {"name": spec["name"], "description": spec.get("description"), "id": spec.get("id")}
    if spec["source"] == "backup":
        return whole_images.create_whole_image(tx, ctx, {**common, "backup_id": spec["backup_id"],
                                                         "whole_image_type": _backup_type(tx, ctx, spec, path)})
    if spec["source"] == "server" and spec.get("whole"):
        if vaults.ensure(tx, ctx, spec["vault_id"]) is None:
            raise WorldError(f"{path}.vault_id: vault {spec['vault_id']} belongs to another project")
        return whole_images.create_whole_image(tx, ctx, {**common, "instance_id": spec["server_id"],
                                                         "vault_id": spec["vault_id"]})
    if spec["source"] == "server":
        return image_create.create_image(tx, ctx, {**common, "instance_id": spec["server_id"]})
    return image_create.create_image(tx, ctx, {**common, "min_disk": spec.get("min_disk", 40),
                                               "image_url": spec.get("image_url", "world-images:image.qcow2"),
                                               "os_version": spec.get("os_version")})


def _backup_type(tx: Tx, ctx: Ctx, spec: dict[str, Any], path: str) -> str:
    if backups.get_item(tx, ctx.project_id, spec["backup_id"]) is not None:
        return "CSBS"
    if cbr_backups.get_item(tx, ctx.project_id, spec["backup_id"]) is not None:
        return "CBR"
    raise WorldError(f"{path}.backup_id: backup {spec['backup_id']} not found in project {ctx.project_id}")


def _settle(tx: Tx, task: Task, status: str, now: float) -> Task:
    """active: the job succeeds; killed: it fails as the service's own job failure would."""
    if status == "killed" and not task.fail_with:
        task.fail_with = {"code": jobs.OPS[task.op].fail_code, "reason": "seeded failure"}
    return jobs.settle(tx, task, now)
