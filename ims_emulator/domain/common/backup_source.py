"""What a full-ECS image needs of the service its backup lives in (CSBS or CBR): one typed interface.

domain/backups.py (CSBS checkpoint items) and domain/cbr_backups.py (CBR backups) implement it as
modules; image code (domain/whole_images.py) only talks to a BackupSource, never to one of them by
name, so a third source is one more entry in whole_images.BACKUP_SOURCES.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ims_emulator.domain.context import Ctx
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx


class BackupSource(Protocol):
    KIND: str  # the stored kind of one backup

    def get_item(self, tx: Tx, project_id: str, item_id: str) -> Entity | None:
        """The caller's own backup, or (where the service shares backups) one shared to it; None otherwise."""

    def disks(self, item: Entity) -> list[dict[str, Any]]:
        """The backed-up disks: {"id": source volume id, "size" (GB), "bootable", "shareable"}."""

    def contains_system_disk(self, item: Entity) -> bool: ...

    def has_shared_disk(self, tx: Tx, item: Entity) -> bool: ...

    def server_of(self, item: Entity) -> str:
        """The id of the ECS the backup was taken from ("" when unknown)."""

    def link_image(self, tx: Tx, item: Entity, image_id: str, now: float) -> None: ...

    def unlink_image(self, tx: Tx, item: Entity, image_id: str, now: float) -> None: ...

    def start_delete(self, tx: Tx, ctx: Ctx, item: Entity) -> Task: ...


def system_disk_size(source: BackupSource, item: Entity) -> int:
    """A full-ECS image's min_disk: the backed-up system disk's size, at least 40 GB."""
    return max([40, *(int(d["size"]) for d in source.disks(item) if d.get("bootable"))])
