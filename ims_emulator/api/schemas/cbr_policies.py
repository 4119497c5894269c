"""CBR v3 policy bodies (the SDK's PolicyCreateReq, PolicyUpdateReq, VaultAssociate, VaultDissociate).

A failure is a 400 BackupService.9900, nothing stored. The SDK sends every declared field (unset
ones as null), so optional fields allow null.
"""

from __future__ import annotations

from marshmallow import fields, validate

from ims_emulator.api.schemas.cbr import UUID, Base
from ims_emulator.api.schemas.csbs import StrictBool

NAME = validate.Regexp(r"^[A-Za-z0-9_\-\u4e00-\u9fa5]{1,64}$", error="1-64 letters, digits, '_' or '-'")
RULE = validate.Length(1, 10240)
COUNT = validate.Range(0, 100)


def _int(lo: int, hi: int) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(lo, hi))


class OperationDefinition(Base):
    max_backups = _int(-1, 99999)  # -1 = no count limit
    retention_duration_days = _int(-1, 99999)  # -1 = no age limit
    day_backups = _int(0, 100)
    week_backups = _int(0, 100)
    month_backups = _int(0, 100)
    year_backups = _int(0, 100)
    timezone = fields.String(allow_none=True, validate=validate.Regexp(r"^UTC[+-]\d{2}:\d{2}$",
                                                                       error="like UTC+08:00"))
    destination_region = fields.String(allow_none=True)
    destination_project_id = fields.String(allow_none=True)
    enable_acceleration = StrictBool(allow_none=True)
    full_backup_interval = _int(-1, 100)
    cross_account_urn = fields.String(allow_none=True)
    advanced_retention_rules = fields.Dict(allow_none=True)


class TriggerProperties(Base):
    pattern = fields.List(fields.String(validate=RULE), required=True, validate=validate.Length(1, 24))
    start_window_minutes = _int(60, 480)


class TriggerUpdateProperties(Base):
    pattern = fields.List(fields.String(validate=RULE), allow_none=True, validate=validate.Length(1, 24))
    start_window_minutes = _int(60, 480)


class Trigger(Base):
    properties = fields.Nested(TriggerProperties, required=True)


class TriggerUpdate(Base):
    properties = fields.Nested(TriggerUpdateProperties, allow_none=True)


class PolicyCreate(Base):
    name = fields.String(required=True, validate=NAME)
    operation_type = fields.String(required=True, validate=validate.OneOf(["backup", "replication"]))
    trigger = fields.Nested(Trigger, required=True)
    operation_definition = fields.Nested(OperationDefinition, required=True)
    enabled = StrictBool(allow_none=True)


class PolicyCreateReq(Base):
    policy = fields.Nested(PolicyCreate, required=True)


class PolicyUpdate(Base):
    name = fields.String(allow_none=True, validate=NAME)
    enabled = StrictBool(allow_none=True)
    operation_definition = fields.Nested(OperationDefinition, allow_none=True)
    trigger = fields.Nested(TriggerUpdate, allow_none=True)


class PolicyUpdateReq(Base):
    policy = fields.Nested(PolicyUpdate, required=True)


class VaultAssociate(Base):
    policy_id = fields.String(allow_none=True, validate=UUID)
    add_policy_ids = fields.List(fields.String(validate=UUID), allow_none=True, validate=validate.Length(1, 2))
    destination_vault_id = fields.String(allow_none=True, validate=UUID)


class VaultDissociate(Base):
    policy_id = fields.String(required=True, validate=UUID)
