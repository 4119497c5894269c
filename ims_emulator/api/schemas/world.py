"""The seed / world format: projects, their region, servers and attached volumes, backups and images."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ims_emulator.domain.regions import REGIONS

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

SAFE_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="must be 1-64 letters, digits, '-' or '_'")
# IMS answers "not found" for an image id that is not a UUID, so a world may not make one
UUID = validate.Regexp(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                       error="must be a UUID")


class VolumeSeed(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=SAFE_ID)
    name = fields.String(validate=validate.Length(1, 255))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(1, 32768))
    bootable = fields.Boolean(load_default=False)
    shareable = fields.Boolean(load_default=False)
    volume_type = fields.String(validate=validate.OneOf(["SATA", "SAS", "SSD", "GPSSD", "ESSD"]))


class ServerSeed(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=SAFE_ID)
    name = fields.String(required=True, validate=validate.Length(1, 255))
    status = fields.String(load_default="ACTIVE", validate=validate.OneOf(["ACTIVE", "SHUTOFF"]))
    volumes = fields.List(fields.Nested(VolumeSeed), load_default=list)
    flavor = fields.Dict(keys=fields.String(), values=fields.String())
    os_type = fields.String(validate=validate.OneOf(["Linux", "Windows"]))
    os_version = fields.String(validate=validate.Length(1, 255))
    availability_zone = fields.String(validate=validate.Length(1, 64))
    image_id = fields.String(validate=validate.Length(1, 64))
    private_ip = fields.String(validate=validate.Length(1, 64))

    @validates_schema
    def _one_system_disk(self, data: dict[str, Any], **_: Any) -> None:
        if sum(1 for v in data.get("volumes", []) if v.get("bootable")) > 1:
            raise ValidationError("at most one volume may be bootable (the system disk)", "volumes")


# the states a backup / image can honestly be put in by a world (see ims_emulator/domain/world.py)
BACKUP_STATES = {"csbs": ("available", "error", "protecting"), "cbr": ("available", "error")}
IMAGE_STATES = ("active", "saving", "killed")
_ONLY_FOR = {"csbs": ("description", "exclude_volumes"), "cbr": ("vault_id",)}


def _one_of(allowed: tuple[str, ...], field: str, value: Any) -> None:
    if value not in allowed:
        raise ValidationError(f"Must be one of: {', '.join(allowed)}.", field)


class BackupSeed(Schema):
    """A CSBS backup (checkpoint item) or a CBR backup of a server, stored in a given status."""

    class Meta:
        unknown = RAISE

    id = fields.String(validate=SAFE_ID)
    type = fields.String(load_default="csbs", validate=validate.OneOf(sorted(BACKUP_STATES)))
    server_id = fields.String(required=True, validate=SAFE_ID)
    status = fields.String(load_default="available")
    name = fields.String(validate=validate.Length(1, 255))
    description = fields.String(validate=validate.Length(0, 255))
    exclude_volumes = fields.List(fields.String(validate=SAFE_ID))
    vault_id = fields.String(validate=SAFE_ID)

    @validates_schema
    def _by_type(self, data: dict[str, Any], **_: Any) -> None:
        _one_of(BACKUP_STATES[data["type"]], "status", data["status"])
        for other, names in _ONLY_FOR.items():
            for name in names:
                if other != data["type"] and name in data:
                    raise ValidationError(f"only for {other} backups", name)


class ImageSeed(Schema):
    """An image made by the real create call, then settled: from a backup, a server or a file."""

    class Meta:
        unknown = RAISE

    id = fields.String(validate=UUID)
    name = fields.String(required=True, validate=validate.Length(1, 128))
    source = fields.String(required=True, validate=validate.OneOf(["backup", "server", "file"]))
    status = fields.String(load_default="active", validate=validate.OneOf(IMAGE_STATES))
    backup_id = fields.String(validate=SAFE_ID)
    server_id = fields.String(validate=SAFE_ID)
    whole = fields.Boolean()  # source server: a full-ECS image (a CBR backup is made in vault_id)
    vault_id = fields.String(validate=SAFE_ID)
    image_url = fields.String(validate=validate.Length(3, 1024))
    min_disk = fields.Integer(strict=True, validate=validate.Range(1, 1024))
    os_version = fields.String(validate=validate.Length(1, 255))
    description = fields.String(validate=validate.Length(0, 1024))

    @validates_schema
    def _by_source(self, data: dict[str, Any], **_: Any) -> None:
        needs = {"backup": ("backup_id",), "server": ("server_id",), "file": ()}[data["source"]]
        allowed = {"backup": {"backup_id"}, "server": {"server_id", "whole", "vault_id"},
                   "file": {"image_url", "min_disk", "os_version"}}[data["source"]]
        for name in needs:
            if name not in data:
                raise ValidationError(f"required when source is {data['source']}", name)
        for name in ("backup_id", "server_id", "whole", "vault_id", "image_url", "min_disk", "os_version"):
            if name in data and name not in allowed:
                raise ValidationError(f"not allowed when source is {data['source']}", name)
        if data.get("whole") and "vault_id" not in data:
            raise ValidationError("required for a full-ECS image from a server", "vault_id")


class PolicySeed(Schema):
    """A backup policy: CSBS (bound to `servers`) or CBR (bound to vaults through their `policy_id`)."""

    class Meta:
        unknown = RAISE

    id = fields.String(validate=UUID)
    type = fields.String(load_default="csbs", validate=validate.OneOf(["csbs", "cbr"]))
    name = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$",
                                                                 error="1-64 letters, digits, '_' or '-'"))
    servers = fields.List(fields.String(validate=SAFE_ID))
    pattern = fields.Raw(required=True)  # one RRULE (CSBS: also the iCal text) or, for CBR, a list of them
    enabled = fields.Boolean(load_default=True)
    max_backups = fields.Integer(strict=True, validate=validate.Range(-1, 99999))
    retention_duration_days = fields.Integer(strict=True, validate=validate.Range(-1, 99999))
    permanent = fields.Boolean()
    day_backups = fields.Integer(strict=True, validate=validate.Range(0, 100))
    week_backups = fields.Integer(strict=True, validate=validate.Range(0, 100))
    month_backups = fields.Integer(strict=True, validate=validate.Range(0, 100))
    year_backups = fields.Integer(strict=True, validate=validate.Range(0, 100))
    timezone = fields.String(validate=validate.Regexp(r"^UTC[+-]\d{2}:\d{2}$", error="like UTC+08:00"))

    @validates_schema
    def _shape(self, data: dict[str, Any], **_: Any) -> None:
        pattern = data["pattern"]
        if not (isinstance(pattern, str) or (isinstance(pattern, list) and pattern
                                             and all(isinstance(p, str) for p in pattern))):
            raise ValidationError("an RRULE string or a list of them", "pattern")
        if data["type"] == "csbs" and isinstance(pattern, list) and len(pattern) != 1:
            raise ValidationError("a CSBS policy has one pattern", "pattern")
        if data["type"] == "cbr" and "servers" in data:
            raise ValidationError("a CBR policy protects the servers of the vaults bound to it", "servers")
        if data["type"] == "cbr" and "permanent" in data:
            raise ValidationError("only for csbs policies", "permanent")


class VaultSeed(Schema):
    """A CBR server backup vault, its servers and (optionally) its backup policy."""

    class Meta:
        unknown = RAISE

    id = fields.String(validate=UUID)
    name = fields.String(required=True, validate=validate.Length(1, 64))
    servers = fields.List(fields.String(validate=SAFE_ID), load_default=list)
    size = fields.Integer(strict=True, validate=validate.Range(1, 10485760))
    policy_id = fields.String(validate=UUID)


class SeedSchema(Schema):
    """POST /_emulator/seed and one project of a world file."""

    class Meta:
        unknown = RAISE

    project_id = fields.String(required=True, validate=SAFE_ID)
    project_name = fields.String(validate=validate.Length(1, 64))
    region = fields.String(validate=validate.OneOf(sorted(REGIONS)))
    servers = fields.List(fields.Nested(ServerSeed), load_default=list)
    backups = fields.List(fields.Nested(BackupSeed), load_default=list)
    images = fields.List(fields.Nested(ImageSeed), load_default=list)
    policies = fields.List(fields.Nested(PolicySeed), load_default=list)
    vaults = fields.List(fields.Nested(VaultSeed), load_default=list)

    @validates_schema
    def _unique_ids(self, data: dict[str, Any], **_: Any) -> None:
        for field, ids in (("servers", [s["id"] for s in data.get("servers", [])]
                            + [v["id"] for s in data.get("servers", []) for v in s.get("volumes", [])]),
                           ("backups", [b["id"] for b in data.get("backups", []) if "id" in b]),
                           ("images", [i["id"] for i in data.get("images", []) if "id" in i]),
                           ("policies", [p["id"] for p in data.get("policies", []) if "id" in p]),
                           ("vaults", [v["id"] for v in data.get("vaults", []) if "id" in v])):
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValidationError(f"duplicate ids in request: {', '.join(sorted(dup))}", field)


class WorldSchema(Schema):
    class Meta:
        unknown = RAISE

    projects = fields.List(fields.Nested(SeedSchema), required=True)


def load_world(data: Any) -> list[dict[str, Any]]:
    """A world is one seed object or {"projects": [seed, ...]}; returns the seeds."""
    if isinstance(data, dict) and "projects" in data:
        return WorldSchema().load(data)["projects"]
    return [SeedSchema().load(data)]


def error_path(messages: Any, path: str = "") -> str:
    """The first validation error as `projects[0].backups[1].status: Must be one of: ...`."""
    if isinstance(messages, dict) and messages:
        key, value = next(iter(messages.items()))
        step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
        return error_path(value, path + step)
    if isinstance(messages, list) and messages:
        return error_path(messages[0], path)
    text = str(messages) if messages not in (None, [], {}) else "invalid"
    return f"{path}: {text}" if path else text


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def parse_world_text(text: str, yaml_syntax: bool) -> Any:
    """JSON, or YAML (PyYAML is imported only when a YAML world is read)."""
    if not yaml_syntax:
        return json.loads(text)
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml ships with the emulator
        raise ValueError("YAML worlds need PyYAML: pip install 'pyyaml>=6'") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from exc


def load_world_file(path: Traversable) -> list[dict[str, Any]]:
    """A world file's seeds; a missing or invalid file is a ValueError (the command line exits 2)."""
    try:
        text = path.read_text(encoding="utf-8")
        return load_world(parse_world_text(text, path.name.lower().endswith((".yaml", ".yml"))))
    except ValidationError as exc:
        raise ValueError(f"--world: invalid world file {path}: {error_path(exc.messages)}") from exc
    except (OSError, ValueError) as exc:
        raise ValueError(f"--world: invalid world file {path}: {exc}") from exc
