"""Request bodies of the ECS server calls (SDK PostPaidServer / PrePaidServer / NovaCreateServers...).

Only wire names and types here (a wrong type -> Ecs.0005); the rules (flavor, image, sizes, AZ, quota)
live in domain/ecs_create.py. Fields the emulator does not act on are accepted and ignored.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class ServerRef(_Body):
    id = fields.String(required=True, validate=validate.Length(1, 64))


class RootVolume(_Body):
    volumetype = fields.String(required=True)
    size = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 1024))  # 0/absent: min_disk


class DataVolumeExtend(_Body):
    snapshot_id = fields.String(data_key="snapshotId", allow_none=True)


class DataVolume(_Body):
    volumetype = fields.String(required=True)
    size = fields.Integer(strict=True, required=True, validate=validate.Range(10, 32768))
    multiattach = fields.Boolean(allow_none=True)
    shareable = fields.Boolean(allow_none=True)
    data_image_id = fields.String(allow_none=True)
    extendparam = fields.Nested(DataVolumeExtend, allow_none=True)
    delete_on_termination = fields.Boolean(allow_none=True)


class Nic(_Body):
    subnet_id = fields.String(allow_none=True)
    port_id = fields.String(allow_none=True)
    ip_address = fields.String(allow_none=True)


class Server(_Body):
    image_ref = fields.String(data_key="imageRef", required=True)
    flavor_ref = fields.String(data_key="flavorRef", required=True)
    name = fields.String(required=True)
    vpcid = fields.String(required=True)
    nics = fields.List(fields.Nested(Nic), required=True, validate=validate.Length(min=1))
    root_volume = fields.Nested(RootVolume, required=True)
    data_volumes = fields.List(fields.Nested(DataVolume), allow_none=True)
    availability_zone = fields.String(allow_none=True)
    count = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100))
    is_auto_rename = fields.Boolean(data_key="isAutoRename", allow_none=True)
    description = fields.String(allow_none=True)
    key_name = fields.String(allow_none=True)
    admin_pass = fields.String(data_key="adminPass", allow_none=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class CreateServersBody(_Body):
    server = fields.Nested(Server, required=True)
    dry_run = fields.Boolean(allow_none=True)


class DeleteServersBody(_Body):
    servers = fields.List(fields.Nested(ServerRef), required=True, validate=validate.Length(1, 1000))
    delete_publicip = fields.Boolean(allow_none=True)
    delete_volume = fields.Boolean(allow_none=True)


class ReinstallOption(_Body):
    adminpass = fields.String(allow_none=True)
    keyname = fields.String(allow_none=True)
    userid = fields.String(allow_none=True)
    mode = fields.String(allow_none=True)
    metadata = fields.Dict(allow_none=True)


class ReinstallBody(_Body):
    os_reinstall = fields.Nested(ReinstallOption, data_key="os-reinstall", required=True)


# -- nova v2.1 --------------------------------------------------------------------------------

class NovaBlockDevice(_Body):
    boot_index = fields.Raw(allow_none=True)
    uuid = fields.String(allow_none=True)
    source_type = fields.String(allow_none=True)
    destination_type = fields.String(allow_none=True)
    volume_size = fields.Raw(allow_none=True)  # the reference example sends "40"
    volume_type = fields.String(allow_none=True)


class NovaServer(_Body):
    name = fields.String(required=True)
    image_ref = fields.String(data_key="imageRef", allow_none=True)
    flavor_ref = fields.String(data_key="flavorRef", required=True)
    availability_zone = fields.String(allow_none=True)
    key_name = fields.String(allow_none=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    block_device_mapping_v2 = fields.List(fields.Nested(NovaBlockDevice), allow_none=True)
    min_count = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100))


class NovaCreateBody(_Body):
    server = fields.Nested(NovaServer, required=True)
