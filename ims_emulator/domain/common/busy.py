"""Busy: whether a server may start, stop, be backed up, be imaged or change OS — one rule, one set of claims.

Whatever holds a server (a full-ECS image made from it or from its CSBS/CBR backup, a CSBS protect,
a CBR checkpoint, a change of OS, a CSBS restore) takes a claim "busy:<server id>:<activity>:<owner id>"
in the same transaction as the write that starts it, and frees it when that work settles. Every route
that would change the server asks `refusal()`/`check()` with its action; BLOCKED_BY says which
activities refuse which action, and with the action's documented code (rules as data).
Transactions are BEGIN IMMEDIATE, so the check and the claim cannot interleave with another request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ims_emulator.domain.errors import ServiceError

if TYPE_CHECKING:
    from ims_emulator.store import Tx

# activities: what holds a server
IMAGING = "imaging"            # a full-ECS image made from the ECS, or from its CSBS or CBR backup
PROTECT = "csbs-protect"       # a CSBS protect / policy run backing the server up
CHECKPOINT = "cbr-checkpoint"  # a CBR checkpoint backing the server up
CHANGEOS = "changeos"          # an ECS change of OS rewriting the system disk
RESTORE = "csbs-restore"       # a CSBS restore onto the server
ACTIVITIES = (IMAGING, PROTECT, CHECKPOINT, CHANGEOS, RESTORE)

BACKING_UP = frozenset({PROTECT, CHECKPOINT})
# action -> (code of the refusal, the activities that refuse it). UNCONFIRMED where the public reference
# is silent: a backup running does not stop a power change; every activity but a restore stops a backup,
# an image or a change of OS (README "Busy servers").
BLOCKED_BY: dict[str, tuple[str, frozenset[str]]] = {
    "start": ("Ecs.0100", frozenset({IMAGING, CHANGEOS})),
    "stop": ("Ecs.0100", frozenset({IMAGING, CHANGEOS})),
    "changeos": ("Ecs.0100", frozenset({IMAGING, CHANGEOS, PROTECT, CHECKPOINT, RESTORE})),
    "protect": ("CSBS.6005", frozenset({IMAGING, CHANGEOS, PROTECT, CHECKPOINT})),
    "checkpoint": ("BackupService.6125", frozenset({IMAGING, CHANGEOS, PROTECT, CHECKPOINT})),
    "image": ("IMG.0136", frozenset({IMAGING, CHANGEOS, PROTECT, CHECKPOINT})),  # full-ECS image from the ECS
    "system_image": ("IMG.0010", frozenset({IMAGING, CHANGEOS})),  # system-disk image from the ECS
    "restore": ("CSBS.6015", frozenset({RESTORE})),
    "reboot": ("Ecs.0100", frozenset({IMAGING, CHANGEOS})),
    "delete": ("Ecs.0100", frozenset({IMAGING, CHANGEOS, PROTECT, CHECKPOINT, RESTORE})),  # ECS delete_servers
}
WHY = {IMAGING: "is being used to create a full-ECS image", PROTECT: "is being backed up by CSBS",
       CHECKPOINT: "is being backed up by CBR", CHANGEOS: "is changing its OS",
       RESTORE: "is being restored from a CSBS backup"}


def token(server_id: str, activity: str, owner_id: str) -> str:
    return f"busy:{server_id}:{activity}:{owner_id}"


def activities(tx: Tx, server_id: str) -> set[str]:
    """What holds the server now."""
    prefix = f"busy:{server_id}:"
    return {t[len(prefix):].split(":", 1)[0] for t in tx.claims.tokens_with_prefix(prefix)}


def holders(tx: Tx, server_id: str, action: str) -> list[str]:
    """The owner ids of the work that refuses `action` on the server now (a scheduled run asks when it ends)."""
    prefix = f"busy:{server_id}:"
    held = (t[len(prefix):].split(":", 1) for t in tx.claims.tokens_with_prefix(prefix))
    return [owner for activity, owner in held if activity in BLOCKED_BY[action][1]]


def refusal(tx: Tx, server_id: str, action: str) -> ServiceError | None:
    """Why the server may not undergo `action` now (None = it may)."""
    code, blockers = BLOCKED_BY[action]
    held = sorted(activities(tx, server_id) & blockers)
    if not held:
        return None
    if code == "CSBS.6005":  # the catalogue's own message names the server
        return ServiceError(code, id=server_id)
    return ServiceError(code, f"Server {server_id} {WHY[held[0]]}; it cannot {action.replace('_', ' ')} "
                              "until that ends.")


def check(tx: Tx, server_id: str, action: str) -> None:
    """Raise the action's documented refusal while the server is busy."""
    refused = refusal(tx, server_id, action)
    if refused is not None:
        raise refused


def hold(tx: Tx, server_id: str, activity: str, owner_kind: str, owner_id: str, project_id: str) -> None:
    """Mark the server busy with `activity` until release() (or release_owner of the owner)."""
    tx.claims.claim(token(server_id, activity, owner_id), owner_kind, owner_id, project_id)


def release(tx: Tx, server_id: str, activity: str, owner_id: str) -> None:
    tx.claims.release(token(server_id, activity, owner_id))
