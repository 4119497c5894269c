"""The disks a new ECS gets from its image: system disk, a full-ECS image's restored data disks, requested ones.

A full-ECS image lists only its system disk in IMS; its data disks live in the backup it was made from
(`__backup_id`). With no `data_volumes` every data disk of that backup is restored (its size, in backup
order). A `data_volumes` entry whose `extendparam.snapshotId` names one of those disks (by its original disk
id) changes that restored disk (type, size, never smaller); entries without it are extra
disks, blank or from a data-disk image (`data_image_id`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import images, whole_images
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

MAX_DATA_DISKS = 23
DATA_SIZE = (10, 32768)
ROOT_SIZE = (1, 1024)
RESTORED_TYPE = "SATA"  # SDK docstring: an original disk not named by a snapshotId comes back as common I/O
USABLE_BACKUP = ("available", "protecting")  # a full-ECS image's backup may still be in the making


def image_not_usable(detail: str) -> ServiceError:
    return ServiceError("Ecs.0048", f"The full-ECS image cannot be used: {detail}.")


def whole_image_backup(tx: Tx, img: Entity) -> list[dict[str, Any]]:
    """The data disks held in a full-ECS image's backup ({"id", "size"}, backup order), through its BackupSource."""
    src = images.source(img)
    source = whole_images.BACKUP_SOURCES.get(src.get("backup_kind", ""))
    item = source.get_item(tx, img.project_id, src.get("backup_id") or "") if source is not None else None
    if source is None or item is None:
        raise ServiceError("Ecs.0034", f"The backup {src.get('backup_id')} of the full-ECS image {img.id} "
                                       "does not exist.")
    if item.status not in USABLE_BACKUP:
        raise image_not_usable(f"its backup {item.id} is {item.status}")
    return [d for d in source.disks(item) if not d.get("bootable")]


def system_disk(img: Entity, root: dict[str, Any]) -> dict[str, Any]:
    """root_volume.size absent or 0 -> the image's min_disk; smaller than min_disk is refused (live message)."""
    min_disk = int(img.doc.get("min_disk") or 0)
    size = root.get("size") or max(min_disk, ROOT_SIZE[0])
    if not ROOT_SIZE[0] <= size <= ROOT_SIZE[1]:
        raise ServiceError("Ecs.0005", detail=f"root_volume.size must be {ROOT_SIZE[0]}-{ROOT_SIZE[1]} GB")
    if size < min_disk:
        raise ServiceError("Ecs.0005", f"root volume size is [{size}], must over image mindisk [{min_disk}]")
    return {"size": size, "volume_type": root["volumetype"], "bootable": True}


def data_disks(tx: Tx, project_id: str, img: Entity, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Restored disks of a full-ECS image first (backup order), then the requested extra disks."""
    for dv in requested:
        if not DATA_SIZE[0] <= dv["size"] <= DATA_SIZE[1]:
            raise ServiceError("Ecs.0005", detail=f"data_volumes size must be {DATA_SIZE[0]}-{DATA_SIZE[1]} GB")
    named = [dv for dv in requested if _snapshot_id(dv)]
    extra = [dv for dv in requested if not _snapshot_id(dv)]
    disks: list[dict[str, Any]] = []
    if images.is_whole_image(img):
        disks = _restored(whole_image_backup(tx, img), named)
    elif named:
        raise ServiceError("Ecs.0005", detail="extendparam.snapshotId applies only to a full-ECS image")
    disks += [_extra(tx, project_id, dv) for dv in extra]
    if len(disks) > MAX_DATA_DISKS:
        raise ServiceError("Ecs.0042", f"An ECS can have at most {MAX_DATA_DISKS} data disks, not {len(disks)}.")
    return disks


def _snapshot_id(dv: dict[str, Any]) -> str | None:
    return (dv.get("extendparam") or {}).get("snapshot_id")


def _restored(originals: list[dict[str, Any]], named: list[dict[str, Any]]) -> list[dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for dv in named:
        sid = _snapshot_id(dv)
        orig = next((o for o in originals if o["id"] == sid), None)
        if orig is None:
            raise ServiceError("Ecs.0005", detail=f"snapshotId {sid} is not a data disk of the image's backup")
        if orig["id"] in overrides:
            raise ServiceError("Ecs.0005", detail=f"snapshotId {sid} is named twice")
        if dv["size"] < orig["size"]:
            raise ServiceError("Ecs.0005", detail=f"data volume size [{dv['size']}] is smaller than the "
                                                  f"backed-up disk [{orig['size']}]")
        overrides[orig["id"]] = dv
    out = []
    for o in originals:
        dv = overrides.get(o["id"])
        out.append({"size": dv["size"] if dv else o["size"], "volume_type": dv["volumetype"] if dv else RESTORED_TYPE,
                    "shareable": bool(dv and (dv.get("multiattach") or dv.get("shareable"))),
                    "restored_from": o["id"]})
    return out


def _extra(tx: Tx, project_id: str, dv: dict[str, Any]) -> dict[str, Any]:
    disk = {"size": dv["size"], "volume_type": dv["volumetype"],
            "shareable": bool(dv.get("multiattach") or dv.get("shareable"))}
    if dv.get("data_image_id"):
        data_img = usable_image(tx, project_id, dv["data_image_id"])
        if data_img.doc.get("virtual_env_type") != "DataImage":
            raise ServiceError("Ecs.0007", f"Image {data_img.id} is not a data disk image.")
        if dv["size"] < int(data_img.doc.get("min_disk") or 0):
            raise ServiceError("Ecs.0005", detail=f"data volume size [{dv['size']}] is smaller than the data "
                                                  f"image's min_disk [{data_img.doc.get('min_disk')}]")
        disk["image_id"] = data_img.id
    return disk


def usable_image(tx: Tx, project_id: str, image_id: str) -> Entity:
    """An image the caller may see (own, shared and accepted, public) that is active."""
    try:
        img = images.get_image(tx, project_id, image_id)
    except ServiceError:
        raise ServiceError("Ecs.0031", f"Image {image_id} does not exist.") from None
    if img.status != "active":
        if images.is_whole_image(img):
            raise image_not_usable(f"image {image_id} is {img.status}")
        raise ServiceError("Ecs.0032", f"Image {image_id} is {img.status}; it must be active.")
    return img
