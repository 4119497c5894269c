"""Request bodies of the IMS image calls: wire names and types (SDK request models).

Only types are checked here (a wrong type -> IMG.0001); product rules (name patterns, ranges,
enumerations, mutually exclusive sources) live in domain/image_rules.py.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ims_emulator.api.schemas.strict import StrictBool
from ims_emulator.domain.numbers import INT32_MAX


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE  # the service ignores fields it does not know


def _str() -> fields.String:
    return fields.String(allow_none=True)


def _int() -> fields.Integer:
    """An integer attribute: its product range is image_rules' (with IMS's own codes); here only what the store
    can hold, so a 2**63 is the 400 it is on the real API rather than a number nothing can read back."""
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(max=INT32_MAX))


class TagKeyValue(_Body):
    key = fields.String(required=True)
    value = fields.String(load_default="")


class _Tagged(_Body):
    tags = fields.List(fields.String(), allow_none=True)
    image_tags = fields.List(fields.Nested(TagKeyValue), allow_none=True)


class DataImageItem(_Body):
    name = _str()
    volume_id = _str()
    description = _str()
    tags = fields.List(fields.String(), allow_none=True)


class CreateImageBody(_Tagged):
    name = _str()
    description = _str()
    instance_id = _str()
    data_images = fields.List(fields.Nested(DataImageItem), allow_none=True)
    enterprise_project_id = _str()
    max_ram = _int()
    min_ram = _int()
    os_version = _str()
    image_url = _str()
    min_disk = _int()
    is_config = StrictBool(allow_none=True)
    cmk_id = _str()
    type = _str()
    is_quick_import = StrictBool(allow_none=True)
    architecture = _str()
    volume_id = _str()
    hw_firmware_type = _str()


class CreateWholeImageBody(_Tagged):
    name = _str()
    description = _str()
    instance_id = _str()
    backup_id = _str()
    whole_image_type = _str()
    vault_id = _str()
    enterprise_project_id = _str()
    max_ram = _int()
    min_ram = _int()


class CreateDataImageBody(_Tagged):
    name = _str()
    description = _str()
    image_url = _str()
    min_disk = fields.Integer(strict=True, required=True, validate=validate.Range(max=INT32_MAX))
    os_type = _str()
    cmk_id = _str()
    enterprise_project_id = _str()


class QuickImportBody(_Tagged):
    name = _str()
    description = _str()
    os_version = _str()
    image_url = _str()
    min_disk = fields.Integer(strict=True, required=True, validate=validate.Range(max=INT32_MAX))
    license_type = _str()
    type = _str()
    enterprise_project_id = _str()
    architecture = _str()
    hw_firmware_type = _str()
    os_type = _str()


class RegisterImageBody(_Body):
    image_url = fields.String(required=True)


class ExportImageBody(_Body):
    bucket_url = fields.String(required=True)
    file_format = _str()
    is_quick_export = StrictBool(allow_none=True)


class CopyInRegionBody(_Body):
    name = _str()
    description = _str()
    cmk_id = _str()
    enterprise_project_id = _str()


class CopyCrossRegionBody(_Body):
    name = _str()
    description = _str()
    region = _str()
    project_name = _str()
    agency_name = _str()
    vault_id = _str()


class GlanceCreateBody(_Body):
    name = _str()
    os_version = fields.String(data_key="__os_version", allow_none=True)
    container_format = _str()
    disk_format = _str()
    min_disk = _int()
    min_ram = _int()
    protected = StrictBool(allow_none=True)
    tags = fields.List(fields.String(), allow_none=True)
    visibility = _str()


class GlanceDeleteBody(_Body):
    delete_backup = StrictBool(load_default=False)


class CbrBackupSeed(Schema):
    id = fields.String()
    server_id = fields.String(required=True)
    status = fields.String(load_default="available")
    vault_id = fields.String()
    shared_to_us = StrictBool(load_default=False)
    volumes = fields.List(fields.Dict())


class CbrSeedBody(Schema):
    project_id = fields.String(required=True)
    backups = fields.List(fields.Nested(CbrBackupSeed), required=True)


class ChangeOsOption(_Body):
    imageid = fields.String(required=True)
    adminpass = _str()
    keyname = _str()
    userid = _str()
    metadata = fields.Dict(allow_none=True)
    mode = _str()
    is_auto_pay = fields.String(data_key="isAutoPay", allow_none=True)


class ChangeOsBody(Schema):
    os_change = fields.Nested(ChangeOsOption, data_key="os-change", required=True)
