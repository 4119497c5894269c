"""The dashboard's resource rows, built from the GET /_emulator/state dump: what the rules hinge on, with links.

Volumes show size, bootable and shareable (the shared-disk rules); backups their type, server and the image made
from them; images their kind (system, data, full-ECS) and what they were made from.
"""

from __future__ import annotations

from typing import Any

BACKUP_GROUPS = (("backups", "CSBS"), ("cbr_backup", "CBR"))
# __data_origin "<type>,<id>" -> (what it is, the anchor prefix of the row it links to)
ORIGINS = {"instance": ("ECS", "server"), "volume": ("volume", "volume"), "csbs_backup": ("CSBS backup", "backup"),
           "cbr_backup": ("CBR backup", "backup"), "file": ("OBS file", "")}


def link(prefix: str, entity_id: str | None, label: str | None = None) -> dict[str, str] | None:
    """A cell that links to another row of the page (rows carry id="<prefix>-<entity id>")."""
    if not entity_id:
        return None
    return {"href": f"#{prefix}-{entity_id}" if prefix else "", "text": label or entity_id}


def _names(p: dict[str, Any], group: str) -> dict[str, str]:
    return {e["id"]: e.get("name") or e["id"] for e in p.get(group, [])}


def settles(pending: dict[str, dict[str, Any]], entity_id: str) -> str:
    job = pending.get(entity_id)
    return f"{job['op']}: {job['settles']}" if job else ""


def pending_by_entity(p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {j["entity_id"]: j for j in p.get("jobs", []) if j.get("settles") and j.get("entity_id")}


def base(pid: str, e: dict[str, Any], pending: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"project": pid, "id": e["id"], "name": e.get("name") or "", "status": e.get("status") or "",
            "settles": settles(pending, e["id"])}


def servers(pid: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    pending = pending_by_entity(p)
    return [base(pid, e, pending) for e in p.get("servers", [])]


def volumes(pid: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    names, pending = _names(p, "servers"), pending_by_entity(p)
    return [{**base(pid, v, pending), "size": v.get("size"), "bootable": bool(v.get("bootable")),
             "shareable": bool(v.get("shareable") or v.get("multiattach")), "device": v.get("device") or "",
             "server": link("server", v.get("ref"), names.get(v.get("ref") or ""))} for v in p.get("volumes", [])]


def backups(pid: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    names, images, pending = _names(p, "servers"), _names(p, "images"), pending_by_entity(p)
    rows = []
    for group, kind in BACKUP_GROUPS:
        for b in p.get(group, []):
            extend = b.get("extend_info") or {}
            server = b.get("resource_id") or extend.get("resource_id")
            made = extend.get("os_images_data") or b.get("os_images_data") or []
            variant = b.get("image_type") or extend.get("image_type") or ""
            rows.append({**base(pid, b, pending), "type": kind + (f" ({variant})" if variant not in ("", "backup")
                                                                  else ""),
                         "server": link("server", server, names.get(server or "", server)),
                         "images": [link("image", i.get("image_id"), images.get(i.get("image_id") or ""))
                                    for i in made if i.get("image_id")]})
    return rows


def image_kind(img: dict[str, Any]) -> str:
    if str(img.get("__whole_image")).lower() == "true":
        return "full-ECS"
    return "data" if img.get("virtual_env_type") == "DataImage" else "system"


def images(pid: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    names = {**_names(p, "servers"), **_names(p, "volumes"), **_names(p, "backups"), **_names(p, "cbr_backup")}
    pending = pending_by_entity(p)
    rows = []
    for img in p.get("images", []):
        origin, _, ref = str(img.get("__data_origin") or "").partition(",")
        what, prefix = ORIGINS.get(origin, (origin, ""))
        rows.append({**base(pid, img, pending), "kind": image_kind(img), "source_type": what,
                     "source": link(prefix, ref, names.get(ref, ref)) if ref else None})
    return rows


ROWS = {"servers": servers, "volumes": volumes, "backups": backups, "images": images}
SHOWN = {"servers", "volumes", "images", *(g for g, _ in BACKUP_GROUPS)}  # the rest goes to "Other resources"
