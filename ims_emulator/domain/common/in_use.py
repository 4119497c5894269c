"""In use: the claim "whole-image-backup:<backup id>" is the one record that a backup is used by an image.

One backup makes at most one full-ECS image: the claim is a primary key, taken in the image's create
transaction. What the APIs show of it — the backup's `os_images_data` (CSBS `extend_info`, CBR doc or
the CBR member of a shared backup) and the image's `__backup_id` — is written only here, beside the
claim, by take() and free(); nothing else links or unlinks an image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ims_emulator.domain.records import Entity

if TYPE_CHECKING:
    from ims_emulator.store import Tx

OWNER_KIND = "image"
CLAIM = "whole-image-backup:{}"


class Linkable(Protocol):
    """What a backup source (CSBS, CBR) offers to record the image made from one of its backups."""

    def link_image(self, tx: Tx, item: Entity, image_id: str, now: float) -> None: ...

    def unlink_image(self, tx: Tx, item: Entity, image_id: str, now: float) -> None: ...


def claim_token(backup_id: str) -> str:
    return CLAIM.format(backup_id)


def image_using(tx: Tx, backup_id: str) -> str | None:
    """The image the backup is used by, from the claim (None = not in use)."""
    holder = tx.claims.holder(claim_token(backup_id))
    return holder[1] if holder else None


def take(tx: Tx, source: Linkable, item: Entity, image_id: str, project_id: str, now: float) -> bool:
    """Claim the backup for the image and show the link; False (nothing written) if another image has it."""
    if not tx.claims.claim(claim_token(item.id), OWNER_KIND, image_id, project_id):
        return False
    source.link_image(tx, item, image_id, now)
    return True


def relink(tx: Tx, source: Linkable, item: Entity, now: float) -> None:
    """Show the claim's image on `item` (a backup that moved to another source, keeping its id)."""
    image_id = image_using(tx, item.id)
    if image_id is not None:
        source.link_image(tx, item, image_id, now)


def free(tx: Tx, source: Linkable, item: Entity, image_id: str, now: float) -> None:
    """The image no longer uses the backup: drop the link and the claim (if this image holds it)."""
    source.unlink_image(tx, item, image_id, now)
    if image_using(tx, item.id) == image_id:
        tx.claims.release(claim_token(item.id))
