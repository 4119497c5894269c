"""IMS images: the image entity, reading/listing, updates, deletion and the image-making jobs.

Entity contract (other IMS modules rely on it): kind "image", id = UUID, project_id = owner,
status = queued|saving|active|killed, name, ref = source backup id of a full-ECS image made from
a backup. `doc` holds the wire attributes (strings where the wire has strings) plus one internal
key "_source" (never rendered): {"type", "server_id"?, "backup_id"?, "whole",
"replicated_from_backup_image", "backup_shared_to_us"}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ims_emulator.domain import image_rules as rules
from ims_emulator.domain import image_tags, jobs, members, numbers, public_images, servers
from ims_emulator.domain.clock import iso_seconds
from ims_emulator.domain.common import ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import is_uuid, new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

KIND = "image"
STATUSES = ("queued", "saving", "active", "killed", "deleted")
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
DEFAULT_OS = "Other Linux(64 bit)"


# what else goes with a deleted image, registered by the modules that make images with a source to
# detach (whole_images: its backup), so this module imports none of them
OnDelete = Callable[["Tx", Ctx, Entity, bool], None]
ON_DELETE: list[OnDelete] = []


def register_on_delete(hook: OnDelete) -> None:
    ON_DELETE.append(hook)


# -- the contract ------------------------------------------------------------------------------

def get_image(tx: Tx, project_id: str, image_id: str) -> Entity:
    if not is_uuid(image_id):
        raise rules.image_not_found(image_id)
    img = ownership.visible(tx, project_id, KIND, image_id) or public_images.get(image_id)
    if img is None:
        raise rules.image_not_found(image_id)
    return img


def get_own_image(tx: Tx, project_id: str, image_id: str, public_code: str = "IMG.0047") -> Entity:
    img = get_image(tx, project_id, image_id)
    if img.doc.get("visibility") == "public":
        raise ServiceError(public_code)
    if img.project_id != project_id:
        raise ServiceError("IMG.0047")
    return img


is_whole_image = rules.is_whole_image


def images_used(tx: Tx, project_id: str) -> int:
    """What the image quota counts: the project's images."""
    return tx.entities.count(KIND, project_id, [("status", "!=", "deleted")])


def as_seen_by(img: Entity, viewer: str) -> Entity:
    """The image as `viewer` sees it (a member sees a shared image): what views render and list filters test."""
    attrs = members.viewer_attrs(img, viewer)
    return replace(img, doc={**img.doc, **attrs}) if attrs else img


def source(img: Entity) -> dict[str, Any]:
    return img.doc.get("_source", {})


def image_view(img: Entity, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """The wire image object (internal keys dropped; only `fields` when a response model limits them)."""
    if fields is not None:  # one set lookup a key (images are polled)
        wire = _wire_fields(fields)
        return {k: v for k, v in img.doc.items() if k in wire}
    return {k: v for k, v in img.doc.items() if _is_wire(k)}


def _is_wire(key: str) -> bool:
    return not key.startswith("_") or key.startswith("__")  # `_key` is ours; `__key` is the API's


@lru_cache(maxsize=16)
def _wire_fields(fields: frozenset[str]) -> frozenset[str]:
    return frozenset(k for k in fields if _is_wire(k))


# -- making an image ---------------------------------------------------------------------------

def new_image(tx: Tx, ctx: Ctx, name: str, src: dict[str, Any], *, status: str = "saving",
              project_id: str | None = None, attrs: dict[str, Any] | None = None,
              ref: str | None = None) -> Entity:
    """Insert an image with every wire attribute at its default, overridden by attrs."""
    attrs = dict(attrs or {})
    image_id = attrs.pop("id", None) or new_uuid()
    owner = project_id or ctx.project_id
    rules.check_quota(images_used(tx, owner))
    doc: dict[str, Any] = {
        "schema": "/v2/schemas/image", "id": image_id, "name": name, "status": status,
        "visibility": "private", "protected": False, "owner": owner, "__imagetype": "private",
        "__whole_image": "false", "__backup_id": "", "__data_origin": "",
        "__originalimagename": "", "__image_source_type": "uds", "__image_size": "0", "__isregistered": "true",
        **rules.os_attrs(DEFAULT_OS), "__description": "", "__lazyloading": "true",
        "__productcode": "", "__support_fc_inject": "false", "hw_vif_multiqueue_enabled": "false",
        "virtual_env_type": "FusionCompute",
        "disk_format": "zvhd2", "container_format": "bare", "min_disk": 40, "min_ram": 0, "size": 0,
        "virtual_size": None, "checksum": EMPTY_MD5, "tags": [], "self": f"/v2/images/{image_id}",
        "file": f"/v2/images/{image_id}/file", "created_at": iso_seconds(ctx.now),
        "updated_at": iso_seconds(ctx.now), "enterprise_project_id": "0", "hw_firmware_type": "bios",
    }
    doc.update({k: v for k, v in (attrs or {}).items() if v is not None and v != ""})
    doc["_source"] = {"whole": False, "replicated_from_backup_image": False, "backup_shared_to_us": False, **src}
    return tx.entities.insert(Entity(KIND, image_id, owner, ctx.now, doc=doc, status=status, name=name, ref=ref))


def source_server(tx: Tx, project_id: str, server_id: str) -> Entity:
    """The ECS an image is made from (system-disk or full-ECS): IMG.0005 when it is not there."""
    rules.check_resource_id(server_id, "instance_id")
    server = ownership.owned(tx, project_id, servers.SERVER, server_id)
    if server is None:
        raise ServiceError("IMG.0005", f"The ECS {server_id} does not exist.")
    return server


def server_os_attrs(server: Entity) -> dict[str, Any]:
    """An image of a server carries the server's OS attributes."""
    return rules.os_attrs(server.doc.get("os_version") or "Other Linux(64 bit)")


def common_attrs(data: dict[str, Any]) -> dict[str, Any]:
    """Request fields every create call maps onto the image the same way."""
    attrs: dict[str, Any] = {"__description": data.get("description") or "", "tags": _tags(data),
                             "enterprise_project_id": data.get("enterprise_project_id") or "0"}
    if data.get("id"):  # only a world seed names the id: request schemas drop unknown fields
        attrs["id"] = data["id"]
    if data.get("min_ram") is not None:
        attrs["min_ram"] = data["min_ram"]
    if data.get("max_ram") is not None:
        attrs["max_ram"] = str(data["max_ram"])
    if data.get("hw_firmware_type") or data.get("architecture") == "arm":
        attrs["hw_firmware_type"] = "uefi" if data.get("architecture") == "arm" else data["hw_firmware_type"]
    if data.get("architecture") == "arm":
        attrs["__support_arm"] = "true"
    if data.get("cmk_id"):
        attrs["__system__cmkid"] = data["cmk_id"]
    return attrs


def check_common(data: dict[str, Any]) -> None:
    rules.check_name(data.get("name"))
    rules.check_description(data.get("description"))
    for field in ("architecture", "hw_firmware_type"):
        rules.check_enum(field, data.get(field))
    rules.check_memory(data.get("min_ram"), data.get("max_ram"))
    ep = data.get("enterprise_project_id")
    if ep and ep != "0" and not is_uuid(ep):
        raise ServiceError("IMG.0155")
    _tags(data)


def _tags(data: dict[str, Any]) -> list[str]:
    return image_tags.from_create(data.get("tags"), data.get("image_tags"))


def set_status(img: Entity, status: str, now: float) -> None:
    img.status = img.doc["status"] = status
    img.doc["updated_at"] = iso_seconds(now)
    if status == "active":
        img.doc["active_at"] = iso_seconds(now)


# job types whose entities carry only image_id (recorded jobs); the others add image_name
ID_ONLY_JOBS = frozenset({"imsNativeExportImageJob", "imsNativeImportImageJob"})


def start_job(tx: Tx, ctx: Ctx, op: str, images: list[Entity], *, job_type: str | None = None,
              payload: dict[str, Any] | None = None, entities: dict[str, Any] | None = None) -> Task:
    """One job making `images` (the first is the job's entity); they turn active or killed with it."""
    main = images[0] if images else None
    ents = {"image_id": main.id, "image_name": main.name} if main is not None else {}
    if job_type in ID_ONLY_JOBS or (job_type is None and jobs.OPS[op].job_type in ID_ONLY_JOBS):
        ents.pop("image_name", None)
    return jobs.start(tx, ctx, op, entity_kind=KIND if main else None, entity_id=main.id if main else None,
                      payload={"images": [i.id for i in images], **(payload or {})},
                      entities={**ents, **(entities or {})}, job_type=job_type)


def start_parent_job(tx: Tx, ctx: Ctx, op: str, images: list[Entity], *, job_type: str,
                     sub_job_type: str) -> Task:
    """A job with one sub-job per image: entities carry only sub_jobs_result / sub_jobs_list (recordings)."""
    from ims_emulator.domain.clock import iso_millis
    from ims_emulator.domain.ids import new_job_id
    subs = [{"status": "RUNNING", "job_id": new_job_id(), "job_type": sub_job_type,
             "begin_time": iso_millis(ctx.now), "end_time": "", "entities": {"image_id": i.id, "image_name": i.name}}
            for i in images]
    return jobs.start(tx, ctx, op, entity_kind=KIND, entity_id=images[0].id,
                      payload={"images": [i.id for i in images]}, job_type=job_type,
                      entities={"sub_jobs_result": subs, "sub_jobs_list": [s["job_id"] for s in subs]})


def images_done(tx: Tx, task: Task, now: float) -> None:
    for image_id in task.payload.get("images", []):
        img = tx.entities.get(KIND, image_id)
        if img is not None and img.status in ("queued", "saving"):
            set_status(img, "active", now)
            img.doc["__image_size"] = str(int(img.doc.get("min_disk", 40)) * 1024 ** 3 // 8)
            tx.entities.update(img)
    _settle_sub_jobs(task, "SUCCESS", now)


def images_failed(tx: Tx, task: Task, now: float) -> None:
    """A failed creation leaves the image `killed` (deletable) and releases what it held."""
    for image_id in task.payload.get("images", []):
        img = tx.entities.get(KIND, image_id)
        if img is not None and img.status in ("queued", "saving"):
            set_status(img, "killed", now)
            tx.entities.update(img)
        tx.claims.release_owner(KIND, image_id)
    _settle_sub_jobs(task, "FAIL", now)


def _settle_sub_jobs(task: Task, status: str, now: float) -> None:
    from ims_emulator.domain.clock import iso_millis
    for sub in task.entities.get("sub_jobs_result", []):
        sub.update(status=status, end_time=iso_millis(now), error_code=task.error_code, fail_reason=task.fail_reason)


def _noop_done(tx: Tx, task: Task, now: float) -> None:
    """Export: the file lands in the bucket; nothing changes on the image."""


for _op, _type in (("ims.create_image", "imsCreateImageByInstance"), ("ims.create_data_image", "imsImportDataImageJob"),
                   ("ims.import_image_quick", "imsImportImageJob"), ("ims.register_image", "imsNativeImportImageJob"),
                   ("ims.copy_image_in_region", "imsCopyImageInRegionJob")):
    jobs.register(jobs.OpSpec(_op, _type, images_done, images_failed, fail_code="IMG.0014"))
jobs.register(jobs.OpSpec("ims.export_image", "imsNativeExportImageJob", _noop_done, None, fail_code="IMG.0014"))


# -- reading ---------------------------------------------------------------------------------

def pending_task(tx: Tx, img: Entity) -> Task | None:
    return tx.tasks.pending_for_entity(img.id)


# -- update (PATCH /v2/cloudimages/{id}, PATCH /v2/images/{id}) -------------------------------

UPDATABLE = {"name", "__description", "__support_xen", "__support_largememory", "__support_diskintensive",
             "__support_highperformance", "__support_xen_gpu_type", "__support_kvm_gpu_type", "__support_xen_hana",
             "__is_config_init", "enterprise_project_id", "min_ram", "max_ram", "hw_vif_multiqueue_enabled",
             "hw_firmware_type", "__support_kvm_infiniband", "__support_fc_inject", "__support_amd",
             "__support_kvm_hi1822_hisriov", "__support_kvm_hi1822_hivirtionet", "__system_support_market",
             "__imagetype", "description"}
MARKET_ATTRS = {"__imagetype": "market", "__system_support_market": "true"}


def update_image(tx: Tx, ctx: Ctx, image_id: str, ops: list[dict[str, Any]],
                 statuses: tuple[str, ...] = ("active",)) -> Entity:
    """statuses: IMS-native PATCH updates only active images; the Glance PATCH also a queued one."""
    img = get_own_image(tx, ctx.project_id, image_id)
    if img.status not in statuses:
        raise ServiceError("IMG.0046", f"Only {' or '.join(statuses)} images can be updated.")
    if img.doc.get("virtual_env_type") == "DataImage":
        raise ServiceError("IMG.0168")
    doc = dict(img.doc)
    for change in ops:  # validated on a copy: nothing is stored unless every op applies
        _apply(img, doc, change)
    img.doc = doc
    img.name = doc["name"]
    img.doc["updated_at"] = iso_seconds(ctx.now)
    return tx.entities.update(img)


def _apply(img: Entity, doc: dict[str, Any], change: dict[str, Any]) -> None:
    attr, op, value = change["attr"], change["op"], change["value"]
    attr = "__description" if attr == "description" else attr
    custom = attr.islower() and not attr.startswith("_") and attr not in doc
    if attr not in UPDATABLE and not custom:
        raise ServiceError("IMG.0001", f"Attribute {attr} cannot be updated.")
    if is_whole_image(img) and MARKET_ATTRS.get(attr) == str(value).lower():
        raise rules.refuse_whole("market")
    if op == "remove":
        if attr not in doc or attr in ("name", "min_ram"):
            raise ServiceError("IMG.0035", f"Attribute {attr} cannot be removed.")
        del doc[attr]
        return
    if op == "replace" and attr not in doc:
        raise ServiceError("IMG.0035", f"Attribute {attr} does not exist; use op add.")
    doc[attr] = _coerce(attr, value)


def _coerce(attr: str, value: Any) -> Any:
    if attr == "name":
        rules.check_name(value)
        return value
    if attr == "__description":
        rules.check_description(value)
        return value
    if attr == "min_ram":
        number = numbers.parse(value, numbers.NON_NEGATIVE)
        if number is None:
            raise ServiceError("IMG.0055", f"min_ram must be an integer {numbers.NON_NEGATIVE}.")
        return number
    if attr == "__system_support_market":
        if str(value).lower() not in ("true", "false"):
            raise ServiceError("IMG.0001", "__system_support_market must be true or false.")
        return str(value).lower() == "true"
    if attr == "__imagetype":
        if value not in ("private", "market"):
            raise ServiceError("IMG.0024")
        return value
    if attr == "hw_firmware_type":
        rules.check_enum("hw_firmware_type", value)
    if not isinstance(value, (str, int, float, bool)):
        raise ServiceError("IMG.0001", f"Invalid value for {attr}.")
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


# -- delete ----------------------------------------------------------------------------------

def delete_image(tx: Tx, ctx: Ctx, image_id: str, delete_backup: bool) -> None:
    img = get_image(tx, ctx.project_id, image_id)
    if img.doc.get("visibility") == "public":
        raise ServiceError("IMG.0094")
    if img.project_id != ctx.project_id:
        raise ServiceError("IMG.0092")
    if img.doc.get("protected"):
        raise ServiceError("IMG.0028")
    task = pending_task(tx, img)
    if task is not None and task.op != "ims.export_image":
        raise ServiceError("IMG.0090")
    for hook in ON_DELETE:  # e.g. a full-ECS image's backup is unlinked (and deleted if asked)
        hook(tx, ctx, img, delete_backup)
    tx.claims.release_owner(KIND, img.id)
    members.delete_for_image(tx, img.id)
    tx.entities.delete(KIND, img.id)
