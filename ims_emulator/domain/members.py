"""Image sharing: member records and the rules for who may share what with whom.

A member record is entity kind "image_member", id "<image_id>:<member project>", owned by the
image's owner project, ref = image id, status pending|accepted|rejected. The recipient sees the
image once it has accepted (`can_see`), and sees it as a shared image (`viewer_attrs`).

Rules (each refusal before anything is written; the async batch jobs re-check when they settle):
- only the owner shares; public images never (IMG.0089); encrypted images never (IMG.0098);
- never with yourself (IMG.0076); at most image_rules.member_limit members per image (IMG.0088);
- the full-ECS limits (only CBR-made ones, not from a shared backup; accepting needs vault_id)
  are image_rules' (check_whole_shareable, refuse_whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import image_rules as rules
from ims_emulator.domain import jobs
from ims_emulator.domain.clock import iso_seconds
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "image_member"
IMAGE_KIND = "image"
STATUSES = ("pending", "accepted", "rejected")
LISTED_STATUS = "accepted"   # what a member's image and tag lists show unless member_status asks otherwise
MEMBER_SCHEMA = "/v2/schemas/member"
MEMBERS_SCHEMA = "/v2/schemas/members"


def member_key(image_id: str, project_id: str) -> str:
    return f"{image_id}:{project_id}"


# -- reads -------------------------------------------------------------------------------------

def get(tx: Tx, image_id: str, project_id: str) -> Entity | None:
    return tx.entities.get(KIND, member_key(image_id, project_id))


def status_of(tx: Tx, image_id: str, project_id: str) -> str | None:
    """The recipient's membership of an image: pending|accepted|rejected, or None."""
    member = get(tx, image_id, project_id)
    return member.status if member else None


def of_image(tx: Tx, image_id: str) -> list[Entity]:
    return tx.entities.list(KIND, None, [("ref", "=", image_id)], order=(("created_at", "asc"), ("id", "asc")))


def readable(tx: Tx, image_id: str, viewer: str) -> list[Entity]:
    """The members a project may see: the owner all of them, a member only itself, others nothing."""
    image = tx.entities.get(IMAGE_KIND, image_id)
    if image is not None and image.project_id == viewer:
        return of_image(tx, image_id)
    own = get(tx, image_id, viewer)
    if image is None or own is None:
        raise rules.image_not_found(image_id)
    return [own]


def _sharing_status(tx: Tx, image: Entity, viewer: str) -> str | None:
    """How an image is shared to a project: a public image to everyone, else its member status."""
    return "accepted" if image.doc.get("visibility") == "public" else status_of(tx, image.id, viewer)


ownership.register_sharing(IMAGE_KIND, _sharing_status)


def can_see(tx: Tx, image: Entity, viewer: str) -> bool:
    """The owner, anyone for a public image, or a member project that accepted it."""
    if image.project_id == viewer or image.doc.get("visibility") == "public":
        return True
    return status_of(tx, image.id, viewer) == "accepted"


def images_shared_with(tx: Tx, project_id: str, status: str = LISTED_STATUS) -> list[Entity]:
    """Images other projects shared with this one, by member status (ListImages/ListTags `shared`)."""
    rows = tx.entities.list(KIND, None, [("$.member_id", "=", project_id), ("status", "=", status)])
    refs = [m.ref for m in rows if m.ref]
    return [i for i in tx.entities.list(IMAGE_KIND, None, [("id", "in", refs)]) if i.status != "deleted"]


def viewer_attrs(image: Entity, viewer: str) -> dict[str, str]:
    """How a shared image looks to a member project: `__imagetype` and `visibility` "shared"
    (the documented query for shared images is visibility=shared&__imagetype=shared&member_status=...).
    For the images module's views and list filters; empty for the owner and for public images."""
    if image.project_id == viewer or image.doc.get("visibility") == "public":
        return {}
    return {"__imagetype": "shared", "visibility": "shared"}


def delete_for_image(tx: Tx, image_id: str) -> None:
    """When an image goes away its members go too (the images module calls this)."""
    for member in of_image(tx, image_id):
        tx.entities.delete(KIND, member.id)


# -- rules -------------------------------------------------------------------------------------

def _image(tx: Tx, image_id: str) -> Entity:
    image = tx.entities.get(IMAGE_KIND, image_id)
    if image is None or image.status == "deleted":
        raise rules.image_not_found(image_id)
    return image


def shareable_image(tx: Tx, owner: str, image_id: str) -> Entity:
    """The owner's image, if it may be shared at all."""
    image = _image(tx, image_id)
    if image.doc.get("visibility") == "public" or image.doc.get("__imagetype") == "gold":
        raise ServiceError("IMG.0089")
    if image.project_id != owner:
        raise rules.image_not_found(image_id)
    if image.status != "active":
        raise ServiceError("IMG.0046", f"Image {image_id} is not active.")
    if image.doc.get("__system__cmkid"):
        raise ServiceError("IMG.0098")
    rules.check_whole_shareable(image)
    return image


def check_batch_targets(projects: list[str], domains: list[str], organizations: list[str]) -> None:
    """A v1 batch share names projects only: accounts and organizations are not emulated (IMG.0105)."""
    if domains or organizations:
        raise ServiceError("IMG.0105", "Sharing with accounts or organizations is not emulated; use projects.")
    if not projects:
        raise ServiceError("IMG.0001", "projects: Missing data for required field.")


def check_answering_project(named: str, caller: str) -> None:
    """Only the recipient answers a share: the body's project_id must be the caller (IMG.0067)."""
    if named != caller:
        raise ServiceError("IMG.0067", "project_id must be the project accepting or rejecting the images.")


def add_one(tx: Tx, owner: str, image_id: str, project: str, now: float) -> Entity:
    """Glance's synchronous add of one member; an existing member is a conflict (409 IMG.0112)."""
    image = check_add(tx, owner, [image_id], [project])[0]
    if get(tx, image_id, project) is not None:
        raise ServiceError("IMG.0112", f"Project {project} is already a member of image {image_id}.", status=409)
    return add(tx, image, project, now)


def check_add(tx: Tx, owner: str, image_ids: list[str], projects: list[str]) -> list[Entity]:
    """All of a batch add, checked before anything is written."""
    images = [shareable_image(tx, owner, i) for i in dict.fromkeys(image_ids)]
    for project in projects:
        if project == owner:
            raise ServiceError("IMG.0076")
    for image in images:
        current = {m.doc["member_id"] for m in of_image(tx, image.id)}
        limit = rules.member_limit(image)
        if len(current | set(projects)) > limit:
            raise ServiceError("IMG.0088", f"Image {image.id} can be shared with at most {limit} projects.")
    return images


def check_update(tx: Tx, recipient: str, image_ids: list[str], status: str, vault_id: str | None) -> list[Entity]:
    """A recipient answering shares: each image must be shared with it; full-ECS acceptance needs a vault."""
    out = []
    for image_id in dict.fromkeys(image_ids):
        member = get(tx, image_id, recipient)
        if member is None:
            raise ServiceError("IMG.0027", f"Image {image_id} is not shared with project {recipient}.")
        if status == "accepted" and not vault_id and rules.is_whole_image(_image(tx, image_id)):
            raise rules.refuse_whole("accept_without_vault")
        out.append(member)
    return out


def check_answer(tx: Tx, image_id: str, member_id: str, caller: str, status: str,
                 vault_id: str | None) -> Entity:
    """One member answering one share (Glance PUT): only the member itself answers, never the owner."""
    if member_id not in [m.doc["member_id"] for m in readable(tx, image_id, caller)]:
        raise ServiceError("IMG.0121", f"Member {member_id} of image {image_id} does not exist.", status=404)
    if member_id != caller:
        raise ServiceError("IMG.0026", "Only the member project can accept or reject a shared image.")
    return check_update(tx, caller, [image_id], status, vault_id)[0]


def check_delete(tx: Tx, owner: str, image_ids: list[str]) -> list[Entity]:
    images = [_image(tx, i) for i in dict.fromkeys(image_ids)]
    for image in images:
        if image.project_id != owner:
            raise rules.image_not_found(image.id)
    return images


# -- writes ------------------------------------------------------------------------------------

def add(tx: Tx, image: Entity, project: str, now: float) -> Entity:
    """Add one member (pending); an existing member is left as it is."""
    existing = get(tx, image.id, project)
    if existing is not None:
        return existing
    member = Entity(kind=KIND, id=member_key(image.id, project), project_id=image.project_id, created_at=now,
                    status="pending", ref=image.id,
                    doc={"member_id": project, "member_type": "project", "created_at": now, "updated_at": now})
    return tx.entities.insert(member)


def set_status(tx: Tx, member: Entity, status: str, vault_id: str | None, now: float) -> Entity:
    member.status = status
    member.doc["updated_at"] = now
    if vault_id:
        member.doc["vault_id"] = vault_id
    return tx.entities.update(member)


def remove(tx: Tx, image_id: str, project: str) -> bool:
    if get(tx, image_id, project) is None:
        return False
    tx.entities.delete(KIND, member_key(image_id, project))
    return True


def view(member: Entity, *, with_type: bool = True) -> dict[str, Any]:
    """ImageMember on the wire (Glance bodies carry no member_type, as the recorded examples show)."""
    body = {"status": member.status, "created_at": iso_seconds(member.doc["created_at"]),
            "updated_at": iso_seconds(member.doc["updated_at"]), "image_id": member.ref,
            "member_id": member.doc["member_id"], "schema": MEMBER_SCHEMA}
    if with_type:
        body["member_type"] = member.doc.get("member_type", "project")
    return body


# -- the batch (async) operations --------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    op: str
    job_type: str


ADD = Batch("ims.batch_add_members", "imsAddImageMembersJob")
UPDATE = Batch("ims.batch_update_members", "imsUpdateImageMembersJob")
DELETE = Batch("ims.batch_delete_members", "imsDelImageMembersJob")


def start_add(tx: Tx, ctx: Ctx, image_ids: list[str], projects: list[str]) -> Task:
    check_add(tx, ctx.project_id, image_ids, projects)
    return jobs.start(tx, ctx, ADD.op, resource_id=image_ids[0],
                      payload={"owner": ctx.project_id, "images": image_ids, "projects": projects})


def start_update(tx: Tx, ctx: Ctx, image_ids: list[str], status: str, vault_id: str | None) -> Task:
    check_update(tx, ctx.project_id, image_ids, status, vault_id)
    return jobs.start(tx, ctx, UPDATE.op, resource_id=image_ids[0],
                      payload={"recipient": ctx.project_id, "images": image_ids, "status": status,
                               "vault_id": vault_id})


def start_delete(tx: Tx, ctx: Ctx, image_ids: list[str], projects: list[str]) -> Task:
    check_delete(tx, ctx.project_id, image_ids)
    return jobs.start(tx, ctx, DELETE.op, resource_id=image_ids[0],
                      payload={"owner": ctx.project_id, "images": image_ids, "projects": projects})


def _results(image_ids: list[str]) -> list[dict[str, str]]:
    return [{"image_id": i, "status": "success"} for i in dict.fromkeys(image_ids)]


def _settle_add(tx: Tx, task: Task, now: float) -> None:
    p = task.payload
    images = check_add(tx, p["owner"], p["images"], p["projects"])  # state may have moved since the request
    for image in images:
        for project in p["projects"]:
            add(tx, image, project, now)
    task.entities = {"results": _results(p["images"])}


def _settle_update(tx: Tx, task: Task, now: float) -> None:
    p = task.payload
    for member in check_update(tx, p["recipient"], p["images"], p["status"], p.get("vault_id")):
        set_status(tx, member, p["status"], p.get("vault_id"), now)
    task.entities = {"results": _results(p["images"])}


def _settle_delete(tx: Tx, task: Task, now: float) -> None:
    p = task.payload
    for image in check_delete(tx, p["owner"], p["images"]):
        for project in p["projects"]:
            remove(tx, image.id, project)
    task.entities = {"results": []}  # the recorded delete job lists no results


def _failed(tx: Tx, task: Task, now: float) -> None:
    """Nothing was written before a member job fails: the checks run before any write."""
    task.entities = {"results": []}


jobs.register(jobs.OpSpec(ADD.op, ADD.job_type, _settle_add, _failed, fail_code="IMG.0112"))
jobs.register(jobs.OpSpec(UPDATE.op, UPDATE.job_type, _settle_update, _failed, fail_code="IMG.0112"))
jobs.register(jobs.OpSpec(DELETE.op, DELETE.job_type, _settle_delete, _failed, fail_code="IMG.0113"))
