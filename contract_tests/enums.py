"""Documented enumerations (from shared/spec/ims.md and csbs.md): (fixture glob, JSON path glob) -> allowed values.
The first matching row wins, so specific rows come before general ones."""

from __future__ import annotations

from contract_tests.formats import glob

JOB_STATUS = {"INIT", "RUNNING", "SUCCESS", "FAIL"}
IMAGE_STATUS = {"queued", "saving", "active", "killed", "deleted"}
MEMBER_STATUS = {"pending", "accepted", "rejected"}
CSBS_ITEM_STATUS = {"waiting_protect", "protecting", "available", "waiting_restore", "restoring", "error",
                    "waiting_delete", "deleting", "deleted"}
ECS_STATUS = {"BUILD", "REBOOT", "HARD_REBOOT", "REBUILD", "MIGRATING", "RESIZE", "ACTIVE", "SHUTOFF",
              "REVERT_RESIZE", "VERIFY_RESIZE", "ERROR", "DELETED", "SHELVED", "SHELVED_OFFLOADED", "UNKNOWN"}
EVS_STATUS = {"creating", "available", "in-use", "error", "attaching", "detaching", "restoring-backup", "backing-up",
              "error_restoring", "uploading", "downloading", "extending", "error_extending", "deleting",
              "error_deleting", "rollbacking", "error_rollbacking", "awaiting-transfer"}
CBR_BACKUP_STATUS = {"available", "protecting", "deleting", "restoring", "error", "waiting_protect",
                     "waiting_delete", "waiting_restore"}
TRUE_FALSE = {"true", "false", "True", "False"}

IMAGE_FIELDS: list[tuple[str, set[object]]] = [
    ("status", IMAGE_STATUS),
    ("visibility", {"private", "public", "shared"}),
    ("__imagetype", {"gold", "private", "shared", "market"}),
    ("__os_type", {"Linux", "Windows", "Other"}),
    ("__os_bit", {"32", "64"}),
    ("__isregistered", TRUE_FALSE),
    ("__lazyloading", TRUE_FALSE),
    ("__whole_image", TRUE_FALSE),
    ("virtual_env_type", {"FusionCompute", "DataImage", "Ironic", "IsoImage"}),
    ("disk_format", {"zvhd2", "vhd", "zvhd", "raw", "qcow2", "iso"}),
    ("container_format", {"bare"}),
    ("hw_firmware_type", {"bios", "uefi"}),
    ("__image_source_type", {"uds"}),
]

ENUMS: list[tuple[str, str, set[object]]] = [
    ("*/show_job*", "$.status", JOB_STATUS),
    ("*/show_job*", "$.entities.sub_jobs*[].status", JOB_STATUS),
    ("ims/*member*", "$.status", MEMBER_STATUS),
    ("ims/*member*", "$.members[].status", MEMBER_STATUS),
    ("ims/show_image_quota*", "$.quotas.resources[].type", {"image", "image_shared", "image_member"}),
    ("ims/*version*", "$.versions[].status", {"CURRENT", "SUPPORTED", "DEPRECATED"}),
    ("ims/list_image_by_tags*", "$.resources[].resource_detail.status", IMAGE_STATUS),
    *[("ims/*", f"$.images[].{k}", v) for k, v in IMAGE_FIELDS],
    *[("ims/*", f"$.{k}", v) for k, v in IMAGE_FIELDS],
    ("csbs/*", "$.checkpoint_item*.status", CSBS_ITEM_STATUS),
    ("csbs/*", "$.checkpoint_item*.extend_info.copy_status", {"na", "waiting_copy", "copying", "success", "fail"}),
    ("csbs/*", "$.checkpoint_item*.extend_info.fail_op", {"", "backup", "restore", "delete", "verify", "copy"}),
    ("csbs/*", "$.checkpoint_item*.extend_info.supported_restore_mode", {"na", "snapshot", "backup"}),
    ("csbs/*", "$.checkpoint.status", {"protecting", "available", "error", "deleting"}),
    ("csbs/*", "$.protectable[].resource_type", {"OS::Nova::Server", "OS::Ironic::BareMetalServer"}),
    ("csbs/show_quotas*", "$.quotas.resources[].type", {"backup_capacity", "backups"}),
    ("csbs/*polic*", "*.scheduled_operations[].operation_type", {"backup"}),
    ("ecs/show_server*", "$.server.status", ECS_STATUS),
    ("ecs/show_volume*", "$.volume.status", EVS_STATUS),
    ("ecs/show_volume*", "$.volume.volume_type", {"SATA", "SAS", "SSD", "GPSSD", "ESSD"}),
    ("ecs/show_volume*", "$.volume.bootable", {"true", "false"}),
    ("cbr/*", "$.backup*.status", CBR_BACKUP_STATUS),
    ("cbr/*", "$.backup*.image_type", {"backup", "replication"}),
    ("cbr/*", "$.checkpoint.status", {"available", "deleting", "protecting", "deleted", "error-deleting", "error"}),
]


def enum_for(fixture: str, path: str) -> set[object] | None:
    for fixture_glob, path_glob, values in ENUMS:
        if glob(fixture_glob, fixture) and glob(path_glob, path):
            return values
    return None


# Values that identify the recorded situation itself: the emulator's must equal the recording's.
PINNED: list[tuple[str, str]] = [
    ("*/show_job*", "$.job_type"),
    ("*/show_job*", "$.entities.sub_jobs[].job_type"),
    ("*/show_job*", "$.status"),
    ("*", "$.error.code"),
    ("*", "$.error_code"),
    ("ims/list_images.*", "$.images[].__imagetype"),
    ("ims/glance_*member*", "$.status"),
    ("csbs/protect*", "$.checkpoint.status"),
]


def pinned(fixture: str, path: str) -> bool:
    return any(glob(f, fixture) and glob(p, path) for f, p in PINNED)


# Pinned values that name the same situation: a job not finished yet is INIT on its first read and RUNNING
# after; an emulator following a recording's pace (proxy parity/replay: its work `manual`, settled where the
# recording shows it settled) cannot tell which read the upstream answered INIT, only that it was pending.
SAME_SITUATION: list[frozenset[object]] = [frozenset({"INIT", "RUNNING"})]


def same_situation(actual: object, recorded: list[object]) -> bool:
    return any(actual in group and any(r in group for r in recorded) for group in SAME_SITUATION)
