"""IMS input rules and full-ECS restrictions, as data plus small checks (no Flask, no SQL).

Every rule that refuses a request with an IMG code lives here once; domain/images.py and
domain/whole_images.py call these checks before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import is_uuid
from ims_emulator.domain.records import Entity

# -- names and descriptions ------------------------------------------------------------------

# letters (incl. CJK), digits, '-', '.', '_', space; no leading/trailing space
NAME_RE = re.compile(r"^[\w\u4e00-\u9fa5.\- ]+$")
GLANCE_NAME_MAX = 255
NAME_MAX = 128
DESCRIPTION_MAX = 1024


def check_name(name: object, *, required: bool = True) -> None:
    if name is None or name == "":
        if required:
            raise ServiceError("IMG.0013")
        return
    if not isinstance(name, str):
        raise ServiceError("IMG.0003")
    if len(name) > NAME_MAX:
        raise ServiceError("IMG.0002")
    if name != name.strip() or not NAME_RE.match(name):
        raise ServiceError("IMG.0003")


def check_glance_name(name: object) -> None:
    if name is None:
        return
    if not isinstance(name, str) or len(name) > GLANCE_NAME_MAX:
        raise ServiceError("IMG.0062")


def check_description(text: object) -> None:
    if text is None:
        return
    if not isinstance(text, str):
        raise ServiceError("IMG.0054")
    if len(text) > DESCRIPTION_MAX:
        raise ServiceError("IMG.0004")
    if any(ch in text for ch in "\r<>"):
        raise ServiceError("IMG.0054")


def image_not_found(image_id: str) -> ServiceError:
    """IMG.0027, the answer for an image the caller may not see as much as for one that does not exist."""
    return ServiceError("IMG.0027", f"Image {image_id} does not exist.")


def check_resource_id(value: object, what: str) -> str:
    """Ids of servers, volumes, backups in request bodies must be UUIDs (IMG.0031 otherwise)."""
    if not is_uuid(value):
        raise ServiceError("IMG.0031", f"The {what} in the request is invalid.")
    return str(value)


BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def check_obs_url(url: object) -> str:
    """`bucket:object` (image_url / bucket_url)."""
    if not isinstance(url, str) or ":" not in url:
        raise ServiceError("IMG.0068", "The bucket URL must be in the format bucket:file.")
    bucket, _, obj = url.partition(":")
    if not bucket:
        raise ServiceError("IMG.0068")
    if not BUCKET_RE.match(bucket):
        raise ServiceError("IMG.0109")
    if not obj:
        raise ServiceError("IMG.0073")
    return url


def check_min_disk(value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ServiceError("IMG.0055", f"min_disk must be between {lo} and {hi} GB.")


@dataclass(frozen=True)
class Quota:
    """A quota as GET /v1/cloudimages/quota reports it (type, quota, min, max)."""

    type: str
    quota: int
    min: int
    max: int


# private images per project and region (HW product description: 50); creation refuses past it
IMAGE_QUOTA = Quota("image", 50, 1, 1000)


def check_quota(images_owned: int, adding: int = 1) -> None:
    if images_owned + adding > IMAGE_QUOTA.quota:
        raise ServiceError("IMG.0015")


def check_memory(min_ram: int | None, max_ram: int | None) -> None:
    """min_ram/max_ram in MB: not negative, and max_ram not below min_ram."""
    if (min_ram is not None and min_ram < 0) or (max_ram is not None and max_ram < 0):
        raise ServiceError("IMG.0055", "min_ram and max_ram must not be negative.")
    if min_ram is not None and max_ram is not None and max_ram and max_ram < min_ram:
        raise ServiceError("IMG.0055", "max_ram must not be smaller than min_ram.")


# -- enumerations (request bodies) -----------------------------------------------------------

ENUMS: dict[str, tuple[tuple[str, ...], str]] = {
    # field -> (allowed values, code when something else is sent)
    "architecture": (("x86", "arm"), "IMG.0212"),
    "hw_firmware_type": (("bios", "uefi"), "IMG.0141"),
    "os_type": (("Linux", "Windows"), "IMG.0122"),
    "create_type": (("ECS", "BMS", "FusionCompute", "Ironic", "IsoImage"), "IMG.0021"),
    "quick_type": (("ECS", "BMS", "DataImage"), "IMG.0021"),
    "whole_image_type": (("CSBS", "CBR"), "IMG.0198"),
    "file_format": (("qcow2", "vhd", "zvhd", "vmdk"), "IMG.0072"),
    "license_type": (("platform", "byol"), "IMG.0001"),
}


def check_enum(field: str, value: object) -> None:
    if value is None:
        return
    allowed, code = ENUMS[field]
    if value not in allowed:
        raise ServiceError(code, f"{field} must be one of {', '.join(allowed)}.")


# -- operating systems -----------------------------------------------------------------------

PLATFORMS = ("Windows", "Ubuntu", "Red Hat", "SUSE", "CentOS", "Debian", "OpenSUSE", "Oracle Linux", "Fedora",
             "CoreOS", "EulerOS")


def os_attrs(os_version: str) -> dict[str, str]:
    """__os_version -> the derived __platform / __os_type / __os_bit."""
    platform = next((p for p in PLATFORMS if os_version.lower().startswith(p.lower())), "Other")
    os_type = "Windows" if platform == "Windows" else ("Other" if platform == "Other"
                                                       and "linux" not in os_version.lower() else "Linux")
    bit = "32" if "32" in os_version and "64" not in os_version else "64"
    return {"__os_version": os_version, "__platform": platform, "__os_type": os_type, "__os_bit": bit}


def check_os_version(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise ServiceError("IMG.0056")
    return value


# -- full-ECS image restrictions -------------------------------------------------------------

def is_whole_image(img: Entity) -> bool:
    """A full-ECS image: the wire flag `__whole_image` (a string on the wire) is the one source."""
    return str(img.doc.get("__whole_image", "")).lower() == "true"



@dataclass(frozen=True)
class BackupSource:
    """Where a full-ECS image's backup lives and the code for each refusal (CSBS vs CBR)."""

    whole_image_type: str
    not_found: str
    unavailable: str
    already_used: str


BACKUP_SOURCES = {
    "CSBS": BackupSource("CSBS", not_found="IMG.0127", unavailable="IMG.0132", already_used="IMG.0134"),
    "CBR": BackupSource("CBR", not_found="IMG.0020", unavailable="IMG.0032", already_used="IMG.0029"),
}
BACKUP_MISMATCH = "IMG.0198"
NOT_SYSTEM_DISK_BACKUP = "IMG.0033"
# UNCONFIRMED (spec §5.2): the code for a CSBS backup with shared disks; the emulator uses the
# "backup state does not allow a full-ECS image" code with its own message.
SHARED_DISK_BACKUP = ("IMG.0132", "The backup contains shared disks; a full-ECS image cannot be created from it.")
# UNCONFIRMED: the code for an ECS with a shared disk; the emulator uses "ECS state does not allow
# full-ECS image creation" (the ECS twin of the backup case above); the message names the disk.
SHARED_DISK_SERVER = ("IMG.0126", "The ECS has a shared disk ({volume_id}); a full-ECS image cannot be created "
                                  "from it.")

# action on a full-ECS image -> (code, message). Codes marked UNCONFIRMED in the spec are choices.
WHOLE_IMAGE_REFUSALS: dict[str, tuple[str, str]] = {
    "export": ("IMG.0128", "Full-ECS images cannot be exported."),
    "copy_in_region": ("IMG.0130", "Full-ECS images cannot be replicated within a region."),
    "market": ("IMG.0105", "Full-ECS images cannot be published in KooGallery."),
    "cross_region_again": ("IMG.0130", "A full-ECS image replicated from another region cannot be replicated "
                                       "across regions again."),
    "cross_region_to": ("IMG.0130", "Full-ECS images cannot be replicated to region {region}."),
    "cross_region_vault": ("IMG.0184", "vault_id is required to replicate a full-ECS image."),
    "share_source": ("IMG.0135", "Only full-ECS images created from CBR backups can be shared."),
    "share_from_shared_backup": ("IMG.0135", "A full-ECS image created from a shared CBR backup cannot be shared."),
    "accept_without_vault": ("IMG.0184", "vault_id is required to accept a shared full-ECS image."),
}
WHOLE_SHARE_SOURCES = ("cbr",)   # the only backup service whose full-ECS images may be shared
# members per image. CONFLICT in the sources for ordinary images (HW 128 / OTC 256): the emulator uses 128.
MEMBER_LIMIT = {"whole": 10, "other": 128}


def check_whole_shareable(img: Entity) -> None:
    """Sharing a full-ECS image: only one made from a CBR backup that was not itself shared to us."""
    if not is_whole_image(img):
        return
    source = img.doc.get("_source") or {}
    if source.get("type") not in WHOLE_SHARE_SOURCES:
        raise refuse_whole("share_source")
    if source.get("backup_shared_to_us"):
        raise refuse_whole("share_from_shared_backup")


def member_limit(img: Entity) -> int:
    return MEMBER_LIMIT["whole" if is_whole_image(img) else "other"]


def refuse_whole(action: str, **fields: str) -> ServiceError:
    code, message = WHOLE_IMAGE_REFUSALS[action]
    return ServiceError(code, message.format(**fields))


SERVER_STATES_FOR_WHOLE_IMAGE = ("ACTIVE", "SHUTOFF")
SERVER_STATES_FOR_IMAGE = ("ACTIVE", "SHUTOFF")


# -- list filters ----------------------------------------------------------------------------

TIME_OPS = ("gt", "gte", "lt", "lte", "eq", "neq")
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_time_filter(param: str, raw: str) -> tuple[str, float]:
    """`gte:2018-10-28T10:00:00Z` -> ("gte", epoch seconds); IMG.0017 when malformed."""
    op, _, text = raw.partition(":")
    if op not in TIME_OPS or not text:
        raise ServiceError("IMG.0017", param=param)
    text = text.strip()
    for fmt in TIME_FORMATS:
        try:
            return op, datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    try:
        return op, datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ServiceError("IMG.0017", param=param) from None


def compare(op: str, left: float, right: float) -> bool:
    # timestamps are rendered to the second, so compare at that resolution
    left, right = int(left), int(right)
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right,
            "eq": left == right, "neq": left != right}[op]
