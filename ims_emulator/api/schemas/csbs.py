"""CSBS v1 request bodies. A failure is a 400 CSBS.9001 (flat body), nothing stored."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from ims_emulator.api.schemas.strict import StrictBool
from ims_emulator.domain import numbers
from ims_emulator.domain.ids import UUID_RE

NAME = validate.Regexp(r"^[A-Za-z0-9_-]{1,255}$", error="1-255 letters, digits, '_' or '-'")
DESCRIPTION = [validate.Length(0, 255), validate.Regexp(r"^[^<>]*$", error="must not contain < or >")]
UUID = validate.Regexp(UUID_RE.pattern, error="must be a UUID")
TAG_KEY = validate.Regexp(r"^[A-Za-z0-9_-]{1,36}$", error="tag key: 1-36 letters, digits, '_' or '-'")
TAG_VALUE = validate.Regexp(r"^[A-Za-z0-9_-]{0,43}$", error="tag value: 0-43 letters, digits, '_' or '-'")
MAX_TAGS = 10


class Base(Schema):
    class Meta:
        unknown = EXCLUDE  # clients send extra fields (pysdk, gsdk): ignored like the service does


class Tag(Base):
    key = fields.String(required=True, validate=TAG_KEY)
    value = fields.String(load_default="", validate=TAG_VALUE)

    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


def tag_list(**kw: Any) -> fields.List:
    return fields.List(fields.Nested(Tag), validate=[validate.Length(1, MAX_TAGS), unique_keys], **kw)


def unique_keys(tags: list[dict[str, Any]]) -> None:
    keys = [t["key"] for t in tags]
    if len(keys) != len(set(keys)):
        raise ValidationError("tag keys must be unique")


# -- protect / check_protectable / check_restorable ----------------------------------------------

class ProtectOptions(Base):
    backup_name = fields.String(validate=NAME)
    description = fields.String(validate=DESCRIPTION)
    incremental = StrictBool()
    resource_type = fields.String(load_default="OS::Nova::Server", validate=validate.Length(1, 64))
    tags = tag_list()
    extra_info = fields.Dict(allow_none=True)


class ProtectBody(Base):
    protect = fields.Nested(ProtectOptions, required=True)


class ResourceRef(Base):
    resource_id = fields.String(required=True, validate=UUID)
    resource_type = fields.String(required=True, validate=validate.Length(1, 64))


class VolumeMap(Base):
    backup_id = fields.String(required=True, validate=UUID)
    volume_id = fields.String(required=True, validate=UUID)


class RestoreTarget(Base):
    resource_id = fields.String(required=True, validate=UUID)
    resource_type = fields.String(required=True, validate=validate.Length(1, 64))
    volumes = fields.List(fields.Nested(VolumeMap), required=True)


class RestorableRef(Base):
    checkpoint_item_id = fields.String(required=True, validate=UUID)
    target = fields.Nested(RestoreTarget, required=True)


class ResourcesAction(Base):
    """POST .../resources/action: exactly one of check_protectable, check_restorable."""

    check_protectable = fields.List(fields.Nested(ResourceRef), validate=validate.Length(1, 100))
    check_restorable = fields.List(fields.Nested(RestorableRef), validate=validate.Length(1, 100))

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if ("check_protectable" in data) == ("check_restorable" in data):
            raise ValidationError("exactly one of check_protectable, check_restorable is required")


# -- restores ------------------------------------------------------------------------------------

class RestoreTargets(Base):
    server_id = fields.String(required=True, validate=UUID)
    volumes = fields.List(fields.Nested(VolumeMap), required=True, validate=validate.Length(1, 64))


class RestoreParameters(Base):
    checkpoint_item_id = fields.String(required=True, validate=UUID)
    power_on = StrictBool(required=True)
    targets = fields.Nested(RestoreTargets, required=True)


class RestoreOptions(Base):
    provider_id = fields.String(required=True)
    checkpoint_id = fields.String(required=True, validate=UUID)
    restore_target = fields.String(allow_none=True)
    parameters = fields.Nested(RestoreParameters, required=True)


class RestoreBody(Base):
    restore = fields.Nested(RestoreOptions, required=True)


# -- policies ------------------------------------------------------------------------------------

RETENTION = validate.Range(-1, 99999)


class OperationDefinition(Base):
    max_backups = fields.Integer(validate=RETENTION)
    retention_duration_days = fields.Integer(validate=RETENTION)
    permanent = fields.Boolean()
    plan_id = fields.String()
    provider_id = fields.String()
    day_backups = fields.Integer(validate=validate.Range(0, 100))
    week_backups = fields.Integer(validate=validate.Range(0, 100))
    month_backups = fields.Integer(validate=validate.Range(0, 100))
    year_backups = fields.Integer(validate=validate.Range(0, 100))
    timezone = fields.String(validate=validate.Regexp(r"^UTC[+-]\d{2}:\d{2}$"))

    @validates_schema
    def _timezone(self, data: dict[str, Any], **_: Any) -> None:
        if any(k in data for k in ("day_backups", "week_backups", "month_backups", "year_backups")) \
                and "timezone" not in data:
            raise ValidationError("timezone is required with day/week/month/year_backups", "timezone")


RRULE = r"RRULE:FREQ=(WEEKLY|DAILY)(;[A-Z]+=[A-Z0-9,]+)*"
PATTERN = validate.And(validate.Length(1, 10240),
                       validate.Regexp(rf"(?s)^(BEGIN:VCALENDAR\s+)?BEGIN:VEVENT\s+{RRULE}\s+END:VEVENT"
                                       r"(\s+END:VCALENDAR)?\s*$", error="trigger pattern must be an iCal RRULE"))


class TriggerProperties(Base):
    pattern = fields.String(required=True, validate=PATTERN)


class Trigger(Base):
    properties = fields.Nested(TriggerProperties, required=True)


class ScheduledOperation(Base):
    name = fields.String(validate=validate.Length(0, 255))
    description = fields.String(validate=DESCRIPTION)
    enabled = StrictBool(required=True)
    operation_type = fields.String(required=True, validate=validate.OneOf(["backup"]))
    operation_definition = fields.Nested(OperationDefinition, required=True)
    trigger = fields.Nested(Trigger, required=True)


class ScheduledOperationUpdate(Base):
    id = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(validate=validate.Length(0, 255))
    description = fields.String(validate=DESCRIPTION)
    enabled = StrictBool()
    operation_type = fields.String(validate=validate.OneOf(["backup"]))
    operation_definition = fields.Nested(OperationDefinition)
    trigger = fields.Nested(Trigger)


class PolicyResource(Base):
    id = fields.String(required=True, validate=UUID)
    type = fields.String(required=True, validate=validate.OneOf(["OS::Nova::Server"]))
    name = fields.String(required=True, validate=validate.Length(1, 255))
    extra_info = fields.Raw(allow_none=True)


def _unique_resources(resources: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in resources]
    if len(ids) != len(set(ids)):
        raise ValidationError("a server is listed twice")


class PolicyCreate(Base):
    name = fields.String(required=True, validate=NAME)
    description = fields.String(load_default="", validate=DESCRIPTION)
    provider_id = fields.String(required=True)
    parameters = fields.Dict(required=True)
    resources = fields.List(fields.Nested(PolicyResource), required=True, validate=_unique_resources)
    scheduled_operations = fields.List(fields.Nested(ScheduledOperation), required=True,
                                       validate=validate.Length(1, 1))
    tags = tag_list()


class PolicyUpdate(Base):
    name = fields.String(validate=NAME)
    description = fields.String(validate=DESCRIPTION)
    parameters = fields.Dict()
    resources = fields.List(fields.Nested(PolicyResource), validate=_unique_resources)
    scheduled_operations = fields.List(fields.Nested(ScheduledOperationUpdate), validate=validate.Length(1, 1))


class PolicyCreateBody(Base):
    policy = fields.Nested(PolicyCreate, required=True)


class PolicyUpdateBody(Base):
    policy = fields.Nested(PolicyUpdate, required=True)


class RunParameters(Base):
    auto_trigger = fields.Boolean(load_default=False)
    resources = fields.List(fields.String(validate=UUID), load_default=list)


class RunPolicy(Base):
    plan_id = fields.String(required=True, validate=UUID)
    parameters = fields.Nested(RunParameters, required=True)


class RunPolicyBody(Base):
    checkpoint = fields.Nested(RunPolicy, required=True)


# -- tags ----------------------------------------------------------------------------------------

class TagBody(Base):
    tag = fields.Nested(Tag, required=True)


class DeleteTag(Base):
    key = fields.String(required=True, validate=validate.Length(1, 127))
    value = fields.String(validate=validate.Length(0, 255))


class TagsAction(Base):
    action = fields.String(required=True, validate=validate.OneOf(["create", "delete"]))
    tags = fields.List(fields.Dict(), required=True, validate=validate.Length(1, MAX_TAGS))

    @post_load
    def _typed(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Create tags follow the tag rules; delete tags only need a key (value optional)."""
        schema = Tag(many=True) if data["action"] == "create" else DeleteTag(many=True)
        data["tags"] = schema.load(data["tags"])
        if data["action"] == "create":
            unique_keys(data["tags"])
        return data


class TagFilter(Base):
    key = fields.String(required=True, validate=validate.Length(1, 127))
    values = fields.List(fields.String(validate=validate.Length(0, 255)), required=True,
                         validate=validate.Length(0, 10))


class Match(Base):
    key = fields.String(required=True, validate=validate.OneOf(["resource_name"]))
    value = fields.String(required=True, validate=validate.Length(0, 255))


def _number(lo: int, hi: int | None) -> Any:
    """limit/offset are documented as strings holding numbers; plain integers are taken too."""
    def check(value: Any) -> None:
        bounds = numbers.Bounds(lo, numbers.INT32_MAX if hi is None else hi)
        if numbers.parse(value, bounds) is None:
            raise ValidationError(f"must be a number {bounds}")
    return check


class ResourceInstances(Base):
    action = fields.String(required=True, validate=validate.OneOf(["filter", "count"]))
    tags = fields.List(fields.Nested(TagFilter), validate=validate.Length(0, 10))
    tags_any = fields.List(fields.Nested(TagFilter), validate=validate.Length(0, 10))
    not_tags = fields.List(fields.Nested(TagFilter), validate=validate.Length(0, 10))
    not_tags_any = fields.List(fields.Nested(TagFilter), validate=validate.Length(0, 10))
    matches = fields.List(fields.Nested(Match))
    limit = fields.Raw(validate=_number(1, 1000))
    offset = fields.Raw(validate=_number(0, None))


# -- replication ---------------------------------------------------------------------------------

class ReplicateOptions(Base):
    name = fields.String(validate=NAME)
    description = fields.String(validate=DESCRIPTION)
    destination_region = fields.String(required=True, validate=validate.Length(1, 64))
    destination_project_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    enable_acceleration = StrictBool()


class ReplicateBody(Base):
    replication = fields.Nested(ReplicateOptions, required=True)


class ReplicatePolicyOptions(ReplicateOptions):
    policy_id = fields.String(required=True, validate=UUID)
    auto_trigger = StrictBool()


class ReplicatePolicyBody(Base):
    replication = fields.Nested(ReplicatePolicyOptions, required=True)
