"""CBR v3 request bodies (named after the SDK's *Req models). A failure is a 400 BackupService.9900, nothing stored."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ims_emulator.api.schemas.strict import StrictBool
from ims_emulator.domain.ids import UUID_RE
from ims_emulator.domain.numbers import INT32_MAX

UUID = validate.Regexp(UUID_RE.pattern, error="must be a UUID")
NAME = [validate.Length(1, 64), validate.Regexp(r"^[^<>!@#$%^&*()+=\\|'\";:,?/ ]*$", error="invalid characters")]
DESCRIPTION = validate.Length(0, 255)


class Base(Schema):
    class Meta:
        unknown = EXCLUDE  # the SDK sends every declared field; unknown ones are ignored like the service does


class Tag(Base):
    key = fields.String(required=True, validate=validate.Length(1, 36))
    value = fields.String(load_default="", validate=validate.Length(0, 43))


class ExtraInfo(Base):
    exclude_volumes = fields.List(fields.String(validate=UUID), allow_none=True)
    include_volumes = fields.List(fields.Dict(), allow_none=True)


class ResourceCreate(Base):
    id = fields.String(required=True, validate=UUID)
    type = fields.String(required=True, validate=validate.OneOf(["OS::Nova::Server", "OS::Cinder::Volume"]))
    name = fields.String(allow_none=True)
    extra_info = fields.Nested(ExtraInfo, allow_none=True)


class BillingCreate(Base):
    consistent_level = fields.String(required=True, validate=validate.OneOf(["crash_consistent", "app_consistent"]))
    object_type = fields.String(required=True, validate=validate.OneOf(
        ["server", "disk", "turbo", "workspace", "vmware", "rds", "file"]))
    protect_type = fields.String(required=True, validate=validate.OneOf(["backup", "replication"]))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10485760))
    cloud_type = fields.String(load_default="public", validate=validate.OneOf(["public", "hybrid"]))
    charging_mode = fields.String(load_default="post_paid", validate=validate.OneOf(["post_paid", "pre_paid"]))
    period_type = fields.String(allow_none=True)
    period_num = fields.Integer(allow_none=True, validate=validate.Range(1, INT32_MAX))
    is_auto_renew = StrictBool(allow_none=True)
    is_auto_pay = StrictBool(allow_none=True)
    console_url = fields.String(allow_none=True)
    is_multi_az = StrictBool(allow_none=True)


class VaultCreate(Base):
    name = fields.String(required=True, validate=NAME)
    billing = fields.Nested(BillingCreate, required=True)
    resources = fields.List(fields.Nested(ResourceCreate), required=True)
    backup_policy_id = fields.String(allow_none=True)
    description = fields.String(load_default="", validate=DESCRIPTION)
    tags = fields.List(fields.Nested(Tag), load_default=list)
    enterprise_project_id = fields.String(load_default="0")
    auto_bind = StrictBool(load_default=False)
    bind_rules = fields.Dict(load_default=dict)
    auto_expand = StrictBool(load_default=False)


class VaultCreateReq(Base):
    vault = fields.Nested(VaultCreate, required=True)


class BillingUpdate(Base):
    consistent_level = fields.String(validate=validate.OneOf(["crash_consistent", "app_consistent"]))
    size = fields.Integer(strict=True, validate=validate.Range(1, 10485760))


class VaultUpdate(Base):
    name = fields.String(validate=NAME)
    billing = fields.Nested(BillingUpdate)
    auto_bind = StrictBool()
    bind_rules = fields.Dict()
    auto_expand = StrictBool()
    smn_notify = StrictBool()
    threshold = fields.Integer(validate=validate.Range(1, 100))  # percent of the vault's capacity
    locked = StrictBool()


class VaultUpdateReq(Base):
    vault = fields.Nested(VaultUpdate, required=True)


class VaultAddResourceReq(Base):
    resources = fields.List(fields.Nested(ResourceCreate), required=True, validate=validate.Length(min=1))


class VaultRemoveResourceReq(Base):
    resource_ids = fields.List(fields.String(validate=UUID), required=True, validate=validate.Length(min=1))


class CheckpointParam(Base):
    auto_trigger = StrictBool(load_default=False)
    description = fields.String(load_default="", validate=DESCRIPTION)
    incremental = StrictBool(load_default=False)
    name = fields.String(allow_none=True, validate=validate.Length(0, 64))
    resources = fields.List(fields.String(validate=UUID), allow_none=True)
    resource_details = fields.List(fields.Nested(ResourceCreate), allow_none=True)
    policy_id = fields.String(allow_none=True)
    retention_duration_days = fields.Integer(allow_none=True, validate=validate.Range(1, 99999))


class VaultBackup(Base):
    vault_id = fields.String(required=True, validate=UUID)
    parameters = fields.Nested(CheckpointParam, load_default=dict)


class VaultBackupReq(Base):
    checkpoint = fields.Nested(VaultBackup, required=True)


class BackupUpdate(Base):
    name = fields.String(required=True, validate=NAME)


class BackupUpdateReq(Base):
    backup = fields.Nested(BackupUpdate, required=True)


class AddMembersReq(Base):
    members = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{32}$", error="must be a project id")),
                          required=True, validate=validate.Length(1, 10))
    domains = fields.List(fields.String(), allow_none=True)


class UpdateMemberReq(Base):
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected", "pending"]))
    vault_id = fields.String(allow_none=True, validate=UUID)


class MigrateReq(Base):
    all_regions = StrictBool(load_default=True)
    reservation = fields.Float(load_default=0.2, validate=validate.Range(0, 1))
