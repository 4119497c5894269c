"""Shared disks: one definition over a server's volumes, used by every backup and image source.

A volume is shared when it is a shareable (multiattach) EVS disk. A backup's disk is shared when
the volume it was taken from is shared — looked up over the volumes, so no backup keeps its own
flag — or, for a disk whose volume is not stored (a seeded CBR backup's own volume list), when the
disk record says `shareable`. CSBS protect (CSBS.6010), CBR checkpoints (7106/7107), full-ECS
images from an ECS, a CSBS or a CBR backup (IMG.0126 / IMG.0132) all ask these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

VOLUME = "volume"  # the EVS volume kind (servers.VOLUME)


def is_shared(volume: Entity) -> bool:
    """A shareable (multiattach) EVS disk."""
    return bool(volume.doc.get("shareable"))


def shared_volumes(volumes: Iterable[Entity]) -> list[Entity]:
    """The shared ones among a server's volumes, in the order given."""
    return [v for v in volumes if is_shared(v)]


def shared_disks_of_backup(tx: Tx, disks: Iterable[dict[str, Any]]) -> list[str]:
    """Ids of a backup's disks that are shared; each disk is {"id": <source volume id>, "shareable"?}."""
    out = []
    for disk in disks:
        volume = tx.entities.get(VOLUME, disk["id"])
        if (volume is not None and is_shared(volume)) or (volume is None and disk.get("shareable")):
            out.append(disk["id"])
    return out
