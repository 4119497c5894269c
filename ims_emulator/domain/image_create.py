"""Making images from ECSs, EVS disks and OBS files; Glance metadata + register; export; copies.

Every call validates everything first, then writes (one transaction, the caller's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import image_rules as rules
from ims_emulator.domain import image_tags, jobs, regions, servers, whole_images
from ims_emulator.domain.common import busy, ownership
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.images import (
    KIND,
    check_common,
    common_attrs,
    get_own_image,
    images_done,
    images_failed,
    is_whole_image,
    new_image,
    server_os_attrs,
    source,
    source_server,
    start_job,
    start_parent_job,
)
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx

SCENARIOS = ("instance_id", "image_url", "volume_id")


# -- POST /v2/cloudimages/action (and /v2.1) ---------------------------------------------------

def create_image(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    chosen = [k for k in SCENARIOS if data.get(k)]
    if len(chosen) > 1:
        raise ServiceError("IMG.0001", f"{' and '.join(chosen)} cannot be used together.")
    if not chosen:
        if data.get("data_images"):
            return _data_disk_images(tx, ctx, data)
        raise ServiceError("IMG.0012", "One of instance_id, image_url, volume_id or data_images is required.")
    check_common(data)
    rules.check_enum("create_type", data.get("type"))
    return {"instance_id": _from_server, "image_url": _from_file, "volume_id": _from_volume}[chosen[0]](tx, ctx, data)


def _system_volume(tx: Tx, server: Entity) -> Entity:
    vols = servers.volumes_of(tx, server)
    if not vols or not vols[0].doc["bootable"]:
        raise ServiceError("IMG.0119")
    return vols[0]


def _from_server(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    server = source_server(tx, ctx.project_id, data["instance_id"])
    if server.status not in rules.SERVER_STATES_FOR_IMAGE:
        raise ServiceError("IMG.0008")
    busy.check(tx, server.id, "system_image")
    system = _system_volume(tx, server)
    disks = _data_disk_requests(tx, ctx, data.get("data_images") or [], server.id)
    attrs = {**common_attrs(data), **server_os_attrs(server),
             "min_disk": max(40, int(system.doc["size"])), "__data_origin": f"instance,{server.id}",
             "__originalimagename": server.doc.get("image_id", "")}
    img = new_image(tx, ctx, data["name"], {"type": "ecs", "server_id": server.id}, attrs=attrs)
    if not disks:
        return start_job(tx, ctx, "ims.create_image", [img], job_type="imsCreateImageByInstance")
    extra = [_data_image(tx, ctx, d, vol) for d, vol in disks]  # system + data images: one sub-job per disk
    return start_parent_job(tx, ctx, "ims.create_image", [img, *extra], job_type="imsVolumesToSysDataImagesJob",
                            sub_job_type="imsCopyVolumeToImageJob")


def _data_disk_requests(tx: Tx, ctx: Ctx, items: list[dict[str, Any]],
                        server_id: str | None) -> list[tuple[dict[str, Any], Entity]]:
    out = []
    owners = set()
    for item in items:
        rules.check_name(item.get("name"))
        rules.check_description(item.get("description"))
        image_tags.from_create(item.get("tags"))
        vol = _volume(tx, ctx, item.get("volume_id"))
        if vol.doc["bootable"]:
            raise ServiceError("IMG.0120", f"Volume {vol.id} is a system disk.")
        if server_id is not None and vol.ref != server_id:
            raise ServiceError("IMG.0140")
        owners.add(vol.ref)
        out.append((item, vol))
    if len(owners) > 1:
        raise ServiceError("IMG.0140")
    return out


def _volume(tx: Tx, ctx: Ctx, volume_id: Any) -> Entity:
    rules.check_resource_id(volume_id, "volume_id")
    vol = ownership.owned(tx, ctx.project_id, servers.VOLUME, volume_id)
    if vol is None:
        raise ServiceError("IMG.0120", f"Volume {volume_id} does not exist.")
    if vol.status not in ("in-use", "available"):
        raise ServiceError("IMG.0022")
    return vol


def _data_image(tx: Tx, ctx: Ctx, item: dict[str, Any], vol: Entity) -> Entity:
    attrs = {"__description": item.get("description") or "", "tags": image_tags.from_create(item.get("tags")),
             "virtual_env_type": "DataImage", "min_disk": int(vol.doc["size"]), "__os_type": "Linux",
             "__data_origin": f"volume,{vol.id}"}
    return new_image(tx, ctx, item["name"], {"type": "data_disk", "server_id": vol.ref}, attrs=attrs)


def _data_disk_images(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    """Only data_images: one data image per disk, a parent job with one sub-job per disk."""
    disks = _data_disk_requests(tx, ctx, data["data_images"], None)
    images = [_data_image(tx, ctx, d, vol) for d, vol in disks]
    return start_parent_job(tx, ctx, "ims.create_image", images, job_type="imsVolumesToSysDataImagesJob",
                            sub_job_type="imsCopyVolumeToImageJob")


def _from_volume(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    vol = _volume(tx, ctx, data["volume_id"])
    os_version = rules.check_os_version(data.get("os_version"))
    attrs = {**common_attrs(data), **rules.os_attrs(os_version), "min_disk": max(40, int(vol.doc["size"])),
             "__data_origin": f"volume,{vol.id}", "virtual_env_type": _env(data.get("type"))}
    img = new_image(tx, ctx, data["name"], {"type": "volume", "server_id": vol.ref}, attrs=attrs)
    return start_job(tx, ctx, "ims.create_image", [img], job_type="imsVolumeCreateImageJob")


def _env(kind: str | None) -> str:
    return {"BMS": "Ironic", "Ironic": "Ironic", "IsoImage": "IsoImage", "DataImage": "DataImage"}.get(kind or "",
                                                                                                        "FusionCompute")


def _from_file(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    url = rules.check_obs_url(data["image_url"])
    if data.get("min_disk") is None:
        raise ServiceError("IMG.0055", "min_disk is required.")
    rules.check_min_disk(data["min_disk"], 1 if data.get("type") == "IsoImage" else 40, 1024)
    iso = data.get("type") == "IsoImage"
    if (iso or data.get("is_quick_import")) and not data.get("os_version"):
        raise ServiceError("IMG.0166" if iso else "IMG.0056", "os_version is required.")
    os_version = rules.check_os_version(data["os_version"]) if data.get("os_version") else "Other Linux(64 bit)"
    attrs = {**common_attrs(data), **rules.os_attrs(os_version), "min_disk": data["min_disk"],
             "__data_origin": f"file,{url}", "__root_origin": "file", "virtual_env_type": _env(data.get("type")),
             "disk_format": "iso" if iso else "zvhd2"}
    img = new_image(tx, ctx, data["name"], {"type": "file"}, attrs=attrs)
    if url.lower().endswith(".ova"):  # an OVA file is unpacked by a sub-job per disk image
        return start_parent_job(tx, ctx, "ims.create_image", [img], job_type="imsImportOvaImageJob",
                                sub_job_type="imsImportImageJob")
    return start_job(tx, ctx, "ims.create_image", [img], job_type="imsImportImageJob")


# -- POST /v1/cloudimages/dataimages/action, quick import --------------------------------------

def create_data_image(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    check_common(data)
    url = rules.check_obs_url(data.get("image_url"))
    rules.check_min_disk(data["min_disk"], 40, 2048)
    rules.check_enum("os_type", data.get("os_type"))
    attrs = {**common_attrs(data), "min_disk": data["min_disk"], "virtual_env_type": "DataImage",
             "__os_type": data.get("os_type") or "Linux", "__data_origin": f"file,{url}", "__root_origin": "file"}
    img = new_image(tx, ctx, data["name"], {"type": "file"}, attrs=attrs)
    return start_job(tx, ctx, "ims.create_data_image", [img])


def import_quick(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Task:
    check_common(data)
    url = rules.check_obs_url(data.get("image_url"))
    rules.check_min_disk(data["min_disk"], 1, 1024)
    for field, enum in (("type", "quick_type"), ("os_type", "os_type"), ("license_type", "license_type")):
        rules.check_enum(enum, data.get(field))
    data_image = data.get("type") == "DataImage"
    attrs = {**common_attrs(data), "min_disk": data["min_disk"], "__data_origin": f"file,{url}",
             "__root_origin": "file", "virtual_env_type": _env(data.get("type")), "__lazyloading": "true"}
    if data_image:
        attrs["__os_type"] = data.get("os_type") or "Linux"
    else:
        attrs.update(rules.os_attrs(rules.check_os_version(data.get("os_version"))))
    img = new_image(tx, ctx, data["name"], {"type": "file"}, attrs=attrs)
    return start_job(tx, ctx, "ims.import_image_quick", [img],
                     job_type="imsImportDataImageJob" if data_image else "imsImportImageJob")


# -- Glance: POST /v2/images + PUT /v1/cloudimages/{id}/upload ----------------------------------

def glance_create(tx: Tx, ctx: Ctx, data: dict[str, Any]) -> Entity:
    rules.check_glance_name(data.get("name"))
    if data.get("visibility", "private") != "private":
        raise ServiceError("IMG.0001", "Only private images can be created.")
    os_version = data.get("os_version") or "Other Linux(64 bit)"
    attrs = {**rules.os_attrs(os_version), "container_format": data.get("container_format") or "bare",
             "disk_format": data.get("disk_format") or "zvhd2", "min_disk": data.get("min_disk") or 0,
             "min_ram": data.get("min_ram") or 0, "protected": bool(data.get("protected")),
             "tags": image_tags.from_glance(data.get("tags")), "__isregistered": "false"}
    return new_image(tx, ctx, data.get("name") or "", {"type": "glance"}, status="queued", attrs=attrs)


def register_image(tx: Tx, ctx: Ctx, image_id: str, image_url: str) -> Task:
    img = get_own_image(tx, ctx.project_id, image_id)
    url = rules.check_obs_url(image_url)
    if img.status != "queued" or source(img).get("type") != "glance":
        raise ServiceError("IMG.1075", "Only a queued image created by POST /v2/images can be registered.")
    img.status = img.doc["status"] = "saving"
    img.doc.update({"__data_origin": f"file,{url}", "__root_origin": "file", "__isregistered": "true"})
    tx.entities.update(img)
    return start_job(tx, ctx, "ims.register_image", [img])


# -- export and copies -------------------------------------------------------------------------

def export_image(tx: Tx, ctx: Ctx, image_id: str, data: dict[str, Any]) -> Task:
    img = get_own_image(tx, ctx.project_id, image_id, public_code="IMG.0077")
    if is_whole_image(img):
        raise rules.refuse_whole("export")
    _check_usable(img)
    rules.check_obs_url(data.get("bucket_url"))
    if data.get("is_quick_export"):
        if data.get("file_format"):
            raise ServiceError("IMG.0072", "file_format must be absent for a quick export.")
    else:
        if not data.get("file_format"):
            raise ServiceError("IMG.0072", "file_format is required.")
        rules.check_enum("file_format", data["file_format"])
    if img.doc.get("virtual_env_type") == "IsoImage":
        raise ServiceError("IMG.0167")
    running = tx.tasks.pending_for_entity(img.id)
    if running is not None and running.op == "ims.export_image":
        raise ServiceError("IMG.0148")
    return jobs.start(tx, ctx, "ims.export_image", entity_kind=KIND, entity_id=img.id,
                      payload={"bucket_url": data["bucket_url"]}, entities={"image_id": img.id})


def _check_usable(img: Entity) -> None:
    if img.status != "active":
        raise ServiceError("IMG.0046")
    if img.doc.get("visibility") == "public":
        raise ServiceError("IMG.0077")


def copy_in_region(tx: Tx, ctx: Ctx, image_id: str, data: dict[str, Any]) -> Task:
    img = get_own_image(tx, ctx.project_id, image_id)
    if is_whole_image(img):
        raise rules.refuse_whole("copy_in_region")
    rules.check_name(data.get("name"))
    rules.check_description(data.get("description"))
    _check_usable(img)
    if img.doc.get("virtual_env_type") == "IsoImage":
        raise ServiceError("IMG.0167")
    copy = new_image(tx, ctx, data["name"], {"type": "copy", "copied_from": img.id},
                     attrs=_copied_attrs(img, data))
    return start_job(tx, ctx, "ims.copy_image_in_region", [copy])


def _copied_attrs(img: Entity, data: dict[str, Any]) -> dict[str, Any]:
    skip = {"id", "name", "status", "self", "file", "created_at", "updated_at", "owner", "active_at", "_source"}
    attrs = {k: v for k, v in img.doc.items() if k not in skip}
    attrs.update({"__originalimagename": img.id, "__description": data.get("description") or ""})
    if data.get("enterprise_project_id"):
        attrs["enterprise_project_id"] = data["enterprise_project_id"]
    if data.get("cmk_id"):
        attrs["__system__cmkid"] = data["cmk_id"]
    return attrs


def copy_cross_region(tx: Tx, ctx: Ctx, image_id: str, data: dict[str, Any]) -> Task:
    img = get_own_image(tx, ctx.project_id, image_id)
    rules.check_name(data.get("name"))
    rules.check_description(data.get("description"))
    for field in ("region", "project_name", "agency_name"):
        if not data.get(field):
            raise ServiceError("IMG.0001", f"{field} is required.")
    _check_usable(img)
    if img.doc.get("virtual_env_type") == "IsoImage":
        raise ServiceError("IMG.0167")
    if img.doc.get("__system__cmkid"):
        raise ServiceError("IMG.0197", "Encrypted images cannot be replicated across regions.")
    dest = _destination(tx, ctx, data["region"], data["project_name"])
    if is_whole_image(img):
        _check_whole_replication(img, ctx.region, data)
    attrs = _copied_attrs(img, data)
    src = {"type": "cross_region", "copied_from": img.id, "source_region": ctx.region,
           "whole": is_whole_image(img), "replicated_from_backup_image": is_whole_image(img)}
    copy = new_image(tx, ctx, data["name"], src, project_id=dest["project_id"], attrs=attrs)
    if is_whole_image(img):
        whole_images.replicate_backup(tx, ctx, img, copy, dest["project_id"], data["vault_id"])
    # the job lives in the source project (clients poll it there); the copy is in the destination
    return start_job(tx, ctx, "ims.copy_image_cross_region", [copy])


def _destination(tx: Tx, ctx: Ctx, region: str, project_name: str) -> dict[str, Any]:
    if region == ctx.region:
        raise ServiceError("IMG.0105", "The destination region must differ from the source region.")
    if regions.get(region) is None or not tx.projects.find(region):
        raise ServiceError("IMG.0108", f"No project found in region {region}.")
    found = tx.projects.find(region, project_name)
    if not found:
        raise ServiceError("IMG.0145")
    return found[0]


def _check_whole_replication(img: Entity, src_region: str, data: dict[str, Any]) -> None:
    if source(img).get("replicated_from_backup_image"):
        raise rules.refuse_whole("cross_region_again")
    here = regions.get(src_region)
    if here is None or data["region"] not in here.whole_image_replication_to:
        raise rules.refuse_whole("cross_region_to", region=data["region"])
    if not data.get("vault_id"):
        raise rules.refuse_whole("cross_region_vault")
    rules.check_resource_id(data["vault_id"], "vault_id")


def _cross_failed(tx: Tx, task: Task, now: float) -> None:
    from ims_emulator.domain import whole_images
    images_failed(tx, task, now)
    for image_id in task.payload.get("images", []):
        whole_images.drop_replica_backup(tx, image_id, now)


jobs.register(jobs.OpSpec("ims.copy_image_cross_region", "imsCrossRegionCopyImageJob", images_done, _cross_failed,
                          fail_code="IMG.0014"))
