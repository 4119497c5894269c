"""Request bodies of the IMS tag and member APIs (marshmallow), and the Glance JSON-schema documents."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ims_emulator.api.schemas.strict import StrictBool
from ims_emulator.domain import numbers

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$")


def _s(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _image_properties() -> dict[str, Any]:
    return {
        "id": _s("Image id", pattern=UUID_PATTERN),
        "name": {"type": ["null", "string"], "description": "Image name", "maxLength": 255},
        "status": _s("Image status", readOnly=True,
                     enum=["queued", "saving", "active", "killed", "deleted", "pending_delete"]),
        "visibility": _s("Who can see the image", enum=["public", "private", "shared"]),
        "protected": {"type": "boolean", "description": "A protected image cannot be deleted"},
        "checksum": {"type": ["null", "string"], "description": "MD5 of the image data", "readOnly": True,
                     "maxLength": 32},
        "owner": {"type": ["null", "string"], "description": "Owning project", "maxLength": 255},
        "size": {"type": ["null", "integer"], "description": "Image data size in bytes", "readOnly": True},
        "virtual_size": {"type": ["null", "integer"], "description": "Virtual disk size in bytes",
                         "readOnly": True},
        "container_format": {"type": ["null", "string"], "description": "Container format",
                             "enum": [None, "ami", "ari", "aki", "bare", "ovf", "ova", "docker"]},
        "disk_format": {"type": ["null", "string"], "description": "Disk format",
                        "enum": [None, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi",
                                 "iso", "zvhd", "zvhd2"]},
        "created_at": _s("Creation time", readOnly=True),
        "updated_at": _s("Last update time", readOnly=True),
        "tags": {"type": "array", "description": "Image tags", "items": {"type": "string", "maxLength": 255}},
        "direct_url": _s("Image location in the backing store", readOnly=True),
        "min_ram": {"type": "integer", "description": "Minimum memory in MB"},
        "min_disk": {"type": "integer", "description": "Minimum disk size in GB"},
        "self": _s("Image URL", readOnly=True),
        "file": _s("Image data URL", readOnly=True),
        "schema": _s("Schema URL", readOnly=True),
        "__imagetype": _s("Image type", enum=["gold", "private", "shared", "market"]),
        "__isregistered": _s("Whether the image is registered"),
        "__os_version": _s("Operating system version"),
        "__os_type": _s("Operating system type", enum=["Linux", "Windows", "Other"]),
        "__os_bit": _s("Operating system bits", enum=["32", "64"]),
        "__platform": _s("Operating system platform"),
        "__description": _s("Image description", maxLength=1024),
        "__image_size": _s("Image file size in bytes"),
        "__image_source_type": _s("Backing store"),
        "__data_origin": _s("Where the image came from"),
        "__originalimagename": _s("Parent image id"),
        "__backup_id": _s("Source backup id"),
        "__root_origin": _s("Whether the image was imported from a file"),
        "__lazyloading": _s("Whether lazy loading is supported"),
        "__whole_image": _s("Whether this is a full-ECS image"),
        "virtual_env_type": _s("Environment type", enum=["FusionCompute", "Ironic", "DataImage", "IsoImage"]),
        "enterprise_project_id": _s("Enterprise project id"),
        "architecture": _s("CPU architecture", enum=["x86", "arm"]),
        "hw_firmware_type": _s("Boot firmware", enum=["bios", "uefi"]),
    }


def _member_properties() -> dict[str, Any]:
    return {
        "status": {"enum": ["pending", "accepted", "rejected"], "type": "string",
                   "description": "The status of this image member"},
        "created_at": {"type": "string", "description": "Date and time of image member creation"},
        "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
        "image_id": {"pattern": UUID_PATTERN, "type": "string", "description": "An identifier for the image"},
        "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
        "schema": {"readOnly": True, "type": "string"},
    }


_IMAGE = {
    "additionalProperties": {"type": "string"},
    "name": "image",
    "properties": _image_properties(),
    "links": [{"href": "{self}", "rel": "self"}, {"href": "{file}", "rel": "enclosure"},
              {"href": "{schema}", "rel": "describedby"}],
}

# The four documents GET /v2/schemas/{image,images,member,members} answer (SDK response models).
GLANCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "image": _IMAGE,
    "images": {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": {"name": "image", "properties": _image_properties(),
                                                  "additionalProperties": {"type": "string"},
                                                  "links": _IMAGE["links"]}},
            "schema": {"type": "string"}, "first": {"type": "string"}, "next": {"type": "string"},
        },
        "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"},
                  {"href": "{schema}", "rel": "describedby"}],
    },
    "member": {"name": "member", "properties": _member_properties()},
    "members": {
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": {"name": "member", "properties": _member_properties()}},
            "schema": {"type": "string"},
        },
        "links": [{"href": "{schema}", "rel": "describedby"}],
    },
}


# -- request bodies ----------------------------------------------------------------------------
# Shapes only (types, required, enums): the content rules (charset, lengths, counts) are domain rules
# in domain/image_tags.py and domain/members.py, answered with their own IMG codes.

class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class ResourceTagBody(_Body):
    key = fields.String(required=True)
    value = fields.String(load_default="")


class CreateOrUpdateTagsBody(_Body):
    image_id = fields.String(required=True)
    tag = fields.String()
    image_tag = fields.Nested(ResourceTagBody)


class TagListBody(_Body):
    tags = fields.List(fields.Nested(ResourceTagBody), required=True, validate=validate.Length(min=1))


class AddImageTagBody(_Body):
    tag = fields.Nested(ResourceTagBody, required=True)


class BatchAddOrDeleteTagsBody(TagListBody):
    action = fields.String(required=True, validate=validate.OneOf(["create", "delete"]))


class TagsFilter(_Body):
    key = fields.String(required=True, validate=validate.Length(1, 128))
    values = fields.List(fields.String(validate=validate.Length(0, 255)), load_default=list,
                         validate=validate.Length(max=10))


class TagMatch(_Body):
    key = fields.String(required=True, validate=validate.OneOf(["resource_name", "resource_id"]))
    value = fields.String(required=True, validate=validate.Length(max=255))


def _digits(lo: int, hi: int | None) -> validate.Validator:
    def check(text: str) -> None:
        bounds = numbers.Bounds(lo, numbers.INT32_MAX if hi is None else hi)
        if numbers.parse(text, bounds) is None:
            raise ValidationError(f"must be an integer string in [{bounds.lo}, {bounds.hi}]")
    return check  # type: ignore[return-value]


class ListImageByTagsBody(_Body):
    action = fields.String(required=True, validate=validate.OneOf(["filter", "count"]))
    tags = fields.List(fields.Nested(TagsFilter), validate=validate.Length(max=10))
    tags_any = fields.List(fields.Nested(TagsFilter), validate=validate.Length(max=10))
    not_tags = fields.List(fields.Nested(TagsFilter), validate=validate.Length(max=10))
    not_tags_any = fields.List(fields.Nested(TagsFilter), validate=validate.Length(max=10))
    limit = fields.String(load_default="10", validate=_digits(1, 1000))
    offset = fields.String(load_default="0", validate=_digits(0, None))
    matches = fields.List(fields.Nested(TagMatch))
    without_any_tag = StrictBool()

    @validates_schema
    def _no_duplicates(self, data: dict[str, Any], **_: Any) -> None:
        for name in ("tags", "tags_any", "not_tags", "not_tags_any"):
            keys = [t["key"] for t in data.get(name) or []]
            if len(set(keys)) != len(keys):
                raise ValidationError(f"duplicate keys in {name}", name)
            for t in data.get(name) or []:
                if len(set(t["values"])) != len(t["values"]):
                    raise ValidationError(f"duplicate values for key {t['key']}", name)


class BatchMembersBody(_Body):
    images = fields.List(fields.String(validate=validate.Length(1, 64)), required=True,
                         validate=validate.Length(min=1))
    projects = fields.List(fields.String(validate=validate.Length(1, 64)), load_default=list)
    domains = fields.List(fields.String(), load_default=list)
    organizations = fields.List(fields.String(), load_default=list)


class BatchUpdateMembersBody(_Body):
    images = fields.List(fields.String(validate=validate.Length(1, 64)), required=True,
                         validate=validate.Length(min=1))
    project_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected"]))
    vault_id = fields.String()


class GlanceAddMemberBody(_Body):
    member = fields.String(required=True, validate=validate.Length(1, 64))


class GlanceUpdateMemberBody(_Body):
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected"]))
    vault_id = fields.String()
