"""The seed / world format: projects, their region, servers and attached volumes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from emulator.domain.regions import REGIONS

SAFE_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="must be 1-64 letters, digits, '-' or '_'")


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


class SeedSchema(Schema):
    """POST /_emulator/seed and one project of a world file."""

    class Meta:
        unknown = RAISE

    project_id = fields.String(required=True, validate=SAFE_ID)
    project_name = fields.String(validate=validate.Length(1, 64))
    region = fields.String(validate=validate.OneOf(sorted(REGIONS)))
    servers = fields.List(fields.Nested(ServerSeed), load_default=list)

    @validates_schema
    def _unique_ids(self, data: dict[str, Any], **_: Any) -> None:
        ids = [s["id"] for s in data.get("servers", [])]
        ids += [v["id"] for s in data.get("servers", []) for v in s.get("volumes", [])]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValidationError(f"duplicate ids in request: {', '.join(sorted(dup))}", "servers")


class WorldSchema(Schema):
    class Meta:
        unknown = RAISE

    projects = fields.List(fields.Nested(SeedSchema), required=True)


def load_world(data: Any) -> list[dict[str, Any]]:
    """A world is one seed object or {"projects": [seed, ...]}; returns the seeds."""
    if isinstance(data, dict) and "projects" in data:
        return WorldSchema().load(data)["projects"]
    return [SeedSchema().load(data)]


def load_world_file(path: Path) -> list[dict[str, Any]]:
    try:
        return load_world(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:  # ValidationError is a ValueError
        detail = exc.messages if isinstance(exc, ValidationError) else exc
        raise SystemExit(f"ims-emulator: invalid world file {path}: {detail}") from exc
