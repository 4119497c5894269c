"""Public (gold) images every project sees: a fixed catalogue, data not code paths.

They are not stored: they are the same in every project and never change. Reads merge them in
when asked for (`__imagetype=gold`, `visibility=public`) or by id; writes to them are refused.
`all_images` is the one answer to "which images are public (gold)" for every list.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ims_emulator.domain.image_rules import os_attrs
from ims_emulator.domain.records import Entity

OWNER = "1bed856811654c1cb661a6ca845ebc77"  # the public-image owner project seen in recordings
CREATED = 1536242607.0  # 2018-09-06T14:03:27Z
CATALOGUE: tuple[tuple[str, str, str, int], ...] = (
    # id, name, __os_version, min_disk
    ("b8e9f4a2-5c1d-4e3f-9a7b-1c2d3e4f5a01", "CentOS 7.6 64bit", "CentOS 7.6 64bit", 40),
    ("b8e9f4a2-5c1d-4e3f-9a7b-1c2d3e4f5a02", "Ubuntu 22.04 server 64bit", "Ubuntu 22.04 server 64bit", 40),
    ("b8e9f4a2-5c1d-4e3f-9a7b-1c2d3e4f5a03", "EulerOS 2.9 64bit", "EulerOS 2.9 64bit", 40),
    ("b8e9f4a2-5c1d-4e3f-9a7b-1c2d3e4f5a04", "Windows Server 2019 Datacenter 64bit English",
     "Windows Server 2019 Datacenter 64bit", 40),
)


def _doc(image_id: str, name: str, os_version: str, min_disk: int) -> dict[str, Any]:
    return {
        "schema": "/v2/schemas/image", "min_disk": min_disk, "created_at": "2018-09-06T14:03:27Z",
        "__image_source_type": "uds", "container_format": "bare", "file": f"/v2/images/{image_id}/file",
        "updated_at": "2018-09-06T15:17:33Z", "protected": True, "checksum": "d41d8cd98f00b204e9800998ecf8427e",
        "id": image_id, "__isregistered": "true", "min_ram": 0, "__lazyloading": "true", "owner": OWNER,
        **os_attrs(os_version), "__imagetype": "gold", "visibility": "public", "virtual_env_type": "FusionCompute",
        "tags": [], "size": 0, "name": name, "self": f"/v2/images/{image_id}", "disk_format": "zvhd2",
        "virtual_size": None, "hw_firmware_type": "bios", "status": "active", "__support_fc_inject": "true",
        "_source": {"type": "public", "whole": False},
    }


@lru_cache(maxsize=1)
def _all() -> tuple[Entity, ...]:
    return tuple(Entity("image", i, OWNER, CREATED + n, doc=_doc(i, name, osv, disk), status="active", name=name)
                 for n, (i, name, osv, disk) in enumerate(CATALOGUE))


def all_images() -> list[Entity]:
    """Fresh copies (callers may not change the catalogue)."""
    return [Entity(e.kind, e.id, e.project_id, e.created_at, doc=dict(e.doc), status=e.status, name=e.name)
            for e in _all()]


def get(image_id: str) -> Entity | None:
    return next((e for e in all_images() if e.id == image_id), None)

