"""ECS helpers for the server tests: official EcsClient requests as a user writes them."""

from __future__ import annotations

from typing import Any

from huaweicloudsdkecs.v2 import (
    ChangeServerOsWithoutCloudInitOption,
    ChangeServerOsWithoutCloudInitRequest,
    ChangeServerOsWithoutCloudInitRequestBody,
    CreateServersRequest,
    CreateServersRequestBody,
    DeleteServersRequest,
    DeleteServersRequestBody,
    ListServerBlockDevicesRequest,
    PrePaidServer,
    PrePaidServerDataVolume,
    PrePaidServerNic,
    PrePaidServerRootVolume,
    ServerId,
    ShowJobRequest,
)

VPC = "0431c5e5-bc94-4a44-8263-15da2a642435"
SUBNET = "157ee789-03ea-45b1-a698-76c92660dd83"


def create_body(image_id: str, name: str = "from-image", flavor: str = "s6.large.2", root_size: int | None = None,
                data_volumes: list[PrePaidServerDataVolume] | None = None, **server: Any) -> CreateServersRequestBody:
    return CreateServersRequestBody(server=PrePaidServer(
        image_ref=image_id, flavor_ref=flavor, name=name, vpcid=VPC, nics=[PrePaidServerNic(subnet_id=SUBNET)],
        root_volume=PrePaidServerRootVolume(volumetype="SSD", size=root_size), data_volumes=data_volumes,
        **server))


def create_servers(ecs: Any, image_id: str, **kw: Any) -> Any:
    """create_servers (v1.1) -> the response (job_id, server_ids)."""
    return ecs.create_servers(CreateServersRequest(body=create_body(image_id, **kw)))


def ecs_job(ecs: Any, job_id: str, polls: int = 20) -> Any:
    for _ in range(polls):
        job = ecs.show_job(ShowJobRequest(job_id=job_id))
        if job.status in ("SUCCESS", "FAIL"):
            return job
    raise AssertionError(f"job {job_id} still {job.status}")


def block_devices(ecs: Any, server_id: str) -> list[Any]:
    return ecs.list_server_block_devices(ListServerBlockDevicesRequest(server_id=server_id)).volume_attachments


def delete_servers(ecs: Any, *server_ids: str, delete_volume: bool = True) -> str:
    body = DeleteServersRequestBody(servers=[ServerId(id=s) for s in server_ids], delete_volume=delete_volume)
    return ecs.delete_servers(DeleteServersRequest(body=body)).job_id


def change_os_v1(ecs: Any, server_id: str, image_id: str, **option: Any) -> str:
    opt = ChangeServerOsWithoutCloudInitOption(imageid=image_id, adminpass="Secret#2026", **option)
    body = ChangeServerOsWithoutCloudInitRequestBody(os_change=opt)
    return ecs.change_server_os_without_cloud_init(ChangeServerOsWithoutCloudInitRequest(server_id, body)).job_id
