"""`--emulator-world upstream`: the parity emulator starts from the servers (and their disks) the upstream
account has, read through ECS and EVS with the recorder's credentials, so both sides hold the same world without
a hand-written world file. Only what a world file can say is copied (ids, names, status, disks); nothing is
recorded and the world is never written into the recordings directory."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ims_emulator.domain.regions import REGIONS
from ims_emulator.proxy.forward import Upstream, UpstreamError, send, signed_headers

Fetch = Callable[[str, str], Any]
VOLUME_TYPES = {"SATA", "SAS", "SSD", "GPSSD", "ESSD"}
REGION_IN_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d+)\.")
MAX_SERVERS = 1000  # one page of ECS's largest page size


def fetcher(ecs: Upstream, evs: Upstream, ak: str, sk: str, project_id: str, timeout: float) -> Fetch:
    def fetch(service: str, path: str) -> Any:
        upstream = ecs if service == "ecs" else evs
        raw_path, _, query = path.partition("?")
        headers = signed_headers({"content-type": "application/json", "x-project-id": project_id}, upstream,
                                 "GET", raw_path, query, b"", ak, sk)
        answer = send(upstream, "GET", path, headers, b"", timeout)
        if answer.status != 200:
            raise UpstreamError(f"{service} answered {answer.status} to GET {raw_path.replace(project_id, '{p}')}")
        return json.loads(answer.body)
    return fetch


def world_from_upstream(fetch: Fetch, project_id: str, host: str = "") -> dict[str, Any]:
    listed = fetch("ecs", f"/v1/{project_id}/cloudservers/detail?limit={MAX_SERVERS}")
    servers = [_server(fetch, project_id, s) for s in listed.get("servers", [])
               if s.get("status") in ("ACTIVE", "SHUTOFF")]  # a world holds running or stopped servers only
    project: dict[str, Any] = {"project_id": project_id, "servers": servers}
    region = REGION_IN_HOST.search(host)  # ecs.cn-north-4.myhuaweicloud.com
    if region and region.group(1) in REGIONS:
        project["region"] = region.group(1)
    return {"projects": [project]}


def _server(fetch: Fetch, project_id: str, s: dict[str, Any]) -> dict[str, Any]:
    meta = s.get("metadata") or {}
    addresses = [a for nets in (s.get("addresses") or {}).values() for a in nets]
    out: dict[str, Any] = {"id": s["id"], "name": s["name"][:255], "status": s["status"],
                           "flavor": {k: v for k, v in (s.get("flavor") or {}).items() if isinstance(v, str)},
                           "volumes": [_volume(fetch, project_id, v["id"])
                                       for v in s.get("os-extended-volumes:volumes_attached") or []]}
    optional = {"os_type": meta.get("os_type"), "os_version": meta.get("image_name"),
                "availability_zone": s.get("OS-EXT-AZ:availability_zone"), "image_id": meta.get("metering.image_id"),
                "private_ip": addresses[0].get("addr") if addresses else None}
    out.update({k: v for k, v in optional.items() if isinstance(v, str) and v})
    if out.get("os_type") not in ("Linux", "Windows"):
        out.pop("os_type", None)
    return out


def _volume(fetch: Fetch, project_id: str, volume_id: str) -> dict[str, Any]:
    v = fetch("evs", f"/v2/{project_id}/cloudvolumes/{volume_id}")["volume"]
    out = {"id": v["id"], "size": int(v["size"]), "bootable": str(v.get("bootable")).lower() == "true",
           "shareable": bool(v.get("multiattach")) or str(v.get("shareable")).lower() == "true"}
    if v.get("name"):
        out["name"] = v["name"][:255]
    if v.get("volume_type") in VOLUME_TYPES:
        out["volume_type"] = v["volume_type"]
    return out
