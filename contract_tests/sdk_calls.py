"""Every operation of the official SDKs the emulator serves, called through the SDK itself.

Each entry prepares the situation over HTTP and returns (the project to call as, the request's wire fields);
the request object is built by the SDK's own model deserialiser, so field names are the SDK's wire names."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from contract_tests.compare import split
from contract_tests.env import Env, fresh_id
from contract_tests.fixtures import load_allowlist, load_fixture
from contract_tests.sdk_models import walk_response
from tests.support import cbr_client, ecs_client, ims_client

Prepare = Callable[[Env], tuple[Env, dict[str, Any]]]
CLIENTS = {"ims": ims_client, "ecs": ecs_client, "cbr": cbr_client}
# SDK operations the emulator does not serve yet: xfail(strict=True) until they land.
PENDING: dict[str, str] = {}


@dataclasses.dataclass(frozen=True)
class SdkCall:
    service: str
    op: str
    prepare: Prepare

    @property
    def name(self) -> str:
        return f"{self.service}.{self.op}"


CALLS: dict[str, SdkCall] = {}


def call(service: str, *ops: str) -> Callable[[Prepare], Prepare]:
    def deco(fn: Prepare) -> Prepare:
        for op in ops:
            CALLS[f"{service}.{op}"] = SdkCall(service, op, fn)
        return fn
    return deco


def request_class(service: str, op: str) -> str:
    return "".join(p.capitalize() for p in op.split("_")) + "Request"


def invoke(env: Env, sdk_call: SdkCall) -> Any:
    """Prepare, call through the SDK; returns the SDK response (raises the SDK's exception on an error answer)."""
    caller, fields = sdk_call.prepare(env)
    client = CLIENTS[sdk_call.service](caller.url, caller.project)
    request = client._deserialize(fields, request_class(sdk_call.service, sdk_call.op))  # noqa: SLF001 - SDK builder
    return getattr(client, sdk_call.op)(request)


def unknown_fields(sdk_call: SdkCall, response: Any) -> list[str]:
    """Fields (or types) in the raw answer that the SDK response model cannot hold, less allow-listed ones
    (entries for `<service>/<op>`-style fixture globs, e.g. `ims/*`, apply here too)."""
    raw = response.raw_content
    body = json.loads(raw) if raw else None
    cls = "".join(p.capitalize() for p in sdk_call.op.split("_")) + "Response"
    problems = walk_response(sdk_call.service, cls, body)
    left, _ = split(problems, f"{sdk_call.service}/{sdk_call.op}", load_allowlist())
    return [str(p) for p in left]


# ---------------------------------------------------------------- helpers
def _tagged(env: Env) -> str:
    image_id = env.image()
    env.call("POST", f"/v2/{{project_id}}/images/{image_id}/tags", {"tag": {"key": "k1", "value": "v1"}}).expect(204)
    return image_id


def _shared_v1(env: Env) -> tuple[str, Env]:
    image_id, partner = env.image(), env.other()
    env.run_job("POST", "/v1/cloudimages/members", {"images": [image_id], "projects": [partner.project]})
    return image_id, partner


def _shared_glance(env: Env) -> tuple[str, Env]:
    image_id, partner = env.image(), env.other()
    env.call("POST", f"/v2/images/{image_id}/members", {"member": partner.project}).expect(200)
    return image_id, partner


def _recorded_request(fixture: str) -> Any:
    return load_fixture(fixture)["request"]


def _job(env: Env) -> str:
    server = env.server()
    return env.call("POST", "/v2/cloudimages/action", {"name": "img", "instance_id": server["id"]}
                    ).expect(200)["job_id"]


# ---------------------------------------------------------------- IMS: creation and jobs
@call("ims", "create_image", "create_image_in_safe_mode")
def _create_image(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"name": "sdk-img", "instance_id": env.server()["id"]}}


@call("ims", "create_data_image", "create_data_image_in_safe_mode")
def _create_data_image(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": _recorded_request("ims/create_data_image.image_tags.200.json")}


@call("ims", "import_image_quick", "import_image_quick_in_safe_mode")
def _quick_import(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": _recorded_request("ims/import_image_quick.system.200.json")}


@call("ims", "create_whole_image")
def _whole(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"name": "whole", "backup_id": env.backup()["id"], "whole_image_type": "CSBS"}}


@call("ims", "register_image")
def _register(env: Env) -> tuple[Env, dict[str, Any]]:
    image = env.call("POST", "/v2/images", {"name": "meta", "container_format": "bare", "disk_format": "vmdk"}
                     ).expect(201)
    return env, {"image_id": image["id"], "body": {"image_url": "bucket:disk1.vmdk"}}


@call("ims", "export_image", "export_image_in_safe_mode")
def _export(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": _recorded_request("ims/export_image.200.json")}


@call("ims", "copy_image_in_region", "copy_image_in_region_in_safe_mode")
def _copy(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": {"name": "copy", "description": "sdk copy"}}


@call("ims", "copy_image_cross_region")
def _copy_cross(env: Env) -> tuple[Env, dict[str, Any]]:
    env.control.seed(env.project, [], region="cn-north-4")
    dest = env.other()
    env.control.seed(dest.project, [], region="cn-north-1", project_name="cn-north-1_dest")
    body = {"name": "far", "region": "cn-north-1", "project_name": "cn-north-1_dest", "agency_name": "ims_admin"}
    return env, {"image_id": env.image(), "body": body}


@call("ims", "show_job", "show_job_progress")
def _show_job(env: Env) -> tuple[Env, dict[str, Any]]:
    job_id = _job(env)
    env.finish(job_id)
    return env, {"job_id": job_id}


# ---------------------------------------------------------------- IMS: images
@call("ims", "list_images")
def _list_images(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"id": env.image(), "limit": 1}  # how Terraform reads one image


@call("ims", "update_image", "glance_update_image")
def _update(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": [{"op": "replace", "path": "/name", "value": "renamed"}]}


@call("ims", "glance_show_image")
def _glance_show(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image()}


@call("ims", "glance_list_images")
def _glance_list(env: Env) -> tuple[Env, dict[str, Any]]:
    env.image()
    return env, {"limit": 10}


@call("ims", "glance_create_image_metadata")
def _glance_create(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": _recorded_request("ims/glance_create_image_metadata.201.json")}


@call("ims", "glance_delete_image")
def _glance_delete(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": {"delete_backup": False}}


# ---------------------------------------------------------------- IMS: members
@call("ims", "batch_add_members")
def _add_members(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"images": [env.image()], "projects": [env.other().project]}}


@call("ims", "batch_delete_members")
def _delete_members(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id, partner = _shared_v1(env)
    return env, {"body": {"images": [image_id], "projects": [partner.project]}}


@call("ims", "batch_update_members")
def _accept_members(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id, partner = _shared_v1(env)
    return partner, {"body": {"images": [image_id], "project_id": partner.project, "status": "accepted"}}


@call("ims", "list_image_members")
def _list_members(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": _shared_v1(env)[0]}


@call("ims", "show_image_member")
def _show_member(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id, partner = _shared_v1(env)
    return env, {"image_id": image_id, "member_id": partner.project}


@call("ims", "glance_add_image_member")
def _glance_add_member(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": {"member": env.other().project}}


@call("ims", "glance_list_image_members")
def _glance_list_members(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": _shared_glance(env)[0]}


@call("ims", "glance_show_image_member", "glance_delete_image_member")
def _glance_member(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id, partner = _shared_glance(env)
    return env, {"image_id": image_id, "member_id": partner.project}


@call("ims", "glance_update_image_member")
def _glance_accept(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id, partner = _shared_glance(env)
    return partner, {"image_id": image_id, "member_id": partner.project, "body": {"status": "accepted"}}


# ---------------------------------------------------------------- IMS: tags
@call("ims", "add_image_tag")
def _add_tag(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": {"tag": {"key": "k1", "value": "v1"}}}


@call("ims", "batch_add_or_delete_tags")
def _batch_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "body": {"action": "create", "tags": [{"key": "k1", "value": "v1"}]}}


@call("ims", "batch_delete_tags")
def _batch_delete_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": _tagged(env), "body": {"tags": [{"key": "k1", "value": "v1"}]}}


@call("ims", "delete_image_tag")
def _delete_tag(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": _tagged(env), "key": "k1"}


@call("ims", "list_image_tags")
def _image_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": _tagged(env)}


@call("ims", "list_images_tags")
def _project_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    _tagged(env)
    return env, {}


@call("ims", "list_image_by_tags")
def _by_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    _tagged(env)
    return env, {"body": {"action": "filter", "limit": "10", "offset": "0",
                          "tags": [{"key": "k1", "values": ["v1"]}]}}


@call("ims", "create_or_update_tags")
def _legacy_tag(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"image_id": env.image(), "tag": "k1.v1"}}


@call("ims", "list_tags")
def _legacy_tags(env: Env) -> tuple[Env, dict[str, Any]]:
    env.call("PUT", "/v1/cloudimages/tags", {"image_id": env.image(), "tag": "k1.v1"}).expect(204)
    return env, {"limit": 5, "page": 1}


@call("ims", "glance_create_tag")
def _glance_tag(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"image_id": env.image(), "tag": "tag1"}


@call("ims", "glance_delete_tag")
def _glance_untag(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id = env.image()
    env.call("PUT", f"/v2/images/{image_id}/tags/tag1").expect(204)
    return env, {"image_id": image_id, "tag": "tag1"}


# ---------------------------------------------------------------- IMS: static reads
@call("ims", "list_versions", "show_image_quota", "list_os_versions", "glance_show_image_schemas",
      "glance_list_image_schemas", "glance_show_image_member_schemas", "glance_list_image_member_schemas")
def _static(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {}


@call("ims", "show_version")
def _version(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"version": "v2.0"}


# ---------------------------------------------------------------- ECS
@call("ecs", "show_server")
def _show_server(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"server_id": env.server(status="ACTIVE")["id"]}


@call("ecs", "list_servers_details")
def _list_servers(env: Env) -> tuple[Env, dict[str, Any]]:
    env.server(status="ACTIVE")
    return env, {"limit": 10}


@call("ecs", "batch_start_servers")
def _start(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"os-start": {"servers": [{"id": env.server()["id"]}]}}}


@call("ecs", "batch_stop_servers")
def _stop(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"os-stop": {"servers": [{"id": env.server(status="ACTIVE")["id"]}], "type": "SOFT"}}}


@call("ecs", "show_job")
def _ecs_job(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server()
    job_id = env.call("POST", "/v1/{project_id}/cloudservers/action",
                      {"os-start": {"servers": [{"id": server["id"]}]}}).expect(200)["job_id"]
    env.finish(job_id)
    return env, {"job_id": job_id}


@call("ecs", "change_server_os_with_cloud_init")
def _changeos(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id = env.image()
    return env, {"server_id": env.server()["id"], "body": {"os-change": {"imageid": image_id}}}


def _create_body(env: Env, **extra: Any) -> dict[str, Any]:
    return {"server": {"imageRef": env.image(), "flavorRef": "s6.large.2", "name": "made", "vpcid": fresh_id(),
                       "nics": [{"subnet_id": fresh_id()}], "root_volume": {"volumetype": "SSD"},
                       "data_volumes": [{"volumetype": "SSD", "size": 20}], **extra}}


def _created_server(env: Env) -> str:
    """A server made by create_servers from an image, its job settled (a first-class ECS)."""
    _, job = env.run_job("POST", "/v1.1/{project_id}/cloudservers", _create_body(env))
    return job["entities"]["sub_jobs"][0]["entities"]["server_id"]


@call("ecs", "create_servers", "create_post_paid_servers")
def _create_servers(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": _create_body(env)}


@call("ecs", "nova_create_servers")
def _nova_create(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"server": {"name": "nova-made", "imageRef": env.image(), "flavorRef": "s6.large.2"}}}


@call("ecs", "delete_servers")
def _delete_servers(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"servers": [{"id": _created_server(env)}], "delete_volume": True}}


@call("ecs", "nova_delete_server", "nova_show_server", "list_server_block_devices", "list_server_volume_attachments")
def _a_created_server(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"server_id": _created_server(env)}


@call("ecs", "show_server_block_device")
def _block_device(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server()
    return env, {"server_id": server["id"], "volume_id": server["volumes"][1]["id"]}


@call("ecs", "nova_list_servers_details", "nova_list_servers")
def _nova_list(env: Env) -> tuple[Env, dict[str, Any]]:
    _created_server(env)
    return env, {"limit": 10}


@call("ecs", "list_flavors")
def _flavors(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {}


@call("ecs", "batch_reboot_servers")
def _reboot(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"reboot": {"type": "SOFT", "servers": [{"id": env.server(status="ACTIVE")["id"]}]}}}


@call("ecs", "change_server_os_without_cloud_init")
def _changeos_v1(env: Env) -> tuple[Env, dict[str, Any]]:
    image_id = env.image()
    return env, {"server_id": env.server()["id"], "body": {"os-change": {"imageid": image_id, "adminpass": "Pw#1"}}}


@call("ecs", "reinstall_server_with_cloud_init")
def _reinstall(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"server_id": env.server()["id"], "body": {"os-reinstall": {"keyname": "kp-1"}}}


@call("ecs", "reinstall_server_without_cloud_init")
def _reinstall_v1(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"server_id": env.server()["id"], "body": {"os-reinstall": {"adminpass": "Pw#1"}}}


# ---------------------------------------------------------------- CBR (v3)
@call("cbr", "create_vault")
def _create_vault(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server(status="ACTIVE")
    return env, {"body": {"vault": {"name": "v", "resources": [{"id": server["id"], "type": "OS::Nova::Server"}],
                                    "billing": {"consistent_level": "crash_consistent", "object_type": "server",
                                                "protect_type": "backup", "size": 100}}}}


@call("cbr", "list_vault")
def _list_vaults(env: Env) -> tuple[Env, dict[str, Any]]:
    env.vault([env.server(status="ACTIVE")["id"]])
    return env, {"limit": 10}


@call("cbr", "show_vault", "delete_vault", "show_vault_tag")
def _vault(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"vault_id": env.vault([env.server(status="ACTIVE")["id"]])["id"]}


@call("cbr", "update_vault")
def _update_vault(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"vault_id": env.vault()["id"], "body": {"vault": {"name": "renamed"}}}


@call("cbr", "add_vault_resource")
def _bind(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server(status="ACTIVE")
    return env, {"vault_id": env.vault()["id"],
                 "body": {"resources": [{"id": server["id"], "type": "OS::Nova::Server"}]}}


@call("cbr", "remove_vault_resource")
def _unbind(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server(status="ACTIVE")
    return env, {"vault_id": env.vault([server["id"]])["id"], "body": {"resource_ids": [server["id"]]}}


@call("cbr", "create_checkpoint")
def _cbr_checkpoint(env: Env) -> tuple[Env, dict[str, Any]]:
    server = env.server(status="ACTIVE")
    vault = env.vault([server["id"]])
    return env, {"body": {"checkpoint": {"vault_id": vault["id"], "parameters": {"resources": [server["id"]]}}}}


@call("cbr", "show_checkpoint")
def _cbr_show_checkpoint(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"checkpoint_id": env.cbr_backup()["checkpoint_id"]}


@call("cbr", "list_backups")
def _cbr_backups(env: Env) -> tuple[Env, dict[str, Any]]:
    env.cbr_backup()
    return env, {"limit": 10}


@call("cbr", "show_backup", "delete_backup", "show_members_detail")
def _cbr_backup(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"backup_id": env.cbr_backup()["id"]}


@call("cbr", "update_backup")
def _cbr_rename(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"backup_id": env.cbr_backup()["id"], "body": {"backup": {"name": "renamed"}}}


@call("cbr", "add_member")
def _cbr_share(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"backup_id": env.cbr_backup()["id"], "body": {"members": [env.other().project]}}


def _cbr_shared(env: Env) -> tuple[str, Env]:
    backup_id, partner = env.cbr_backup()["id"], env.other()
    env.call("POST", f"/v3/{{project_id}}/backups/{backup_id}/members", {"members": [partner.project]}).expect(200)
    return backup_id, partner


@call("cbr", "show_member_detail", "delete_member")
def _cbr_member(env: Env) -> tuple[Env, dict[str, Any]]:
    backup_id, partner = _cbr_shared(env)
    return env, {"backup_id": backup_id, "member_id": partner.project}


@call("cbr", "update_member_status")
def _cbr_accept(env: Env) -> tuple[Env, dict[str, Any]]:
    backup_id, partner = _cbr_shared(env)
    return partner, {"backup_id": backup_id, "member_id": partner.project,
                     "body": {"status": "accepted", "vault_id": partner.vault()["id"]}}


@call("cbr", "migrate_domain")
def _migrate(env: Env) -> tuple[Env, dict[str, Any]]:
    env.backup()
    return env, {"body": {"all_regions": True, "reservation": 0.2}}


@call("cbr", "show_migrate_status")
def _migrate_status(env: Env) -> tuple[Env, dict[str, Any]]:
    env.call("POST", "/v3/migrates", {"all_regions": True, "reservation": 0.2}).expect(200)
    return env, {"all_regions": True}


def _cbr_policy(env: Env, vault_id: str | None = None) -> str:
    body = {"policy": {"name": "daily", "operation_type": "backup", "operation_definition": {"max_backups": 3},
                       "trigger": {"properties": {"pattern": ["FREQ=DAILY;INTERVAL=1;BYHOUR=14;BYMINUTE=00"]}}}}
    policy_id = env.call("POST", "/v3/{project_id}/policies", body).expect(200)["policy"]["id"]
    if vault_id:
        env.call("POST", f"/v3/{{project_id}}/vaults/{vault_id}/associatepolicy", {"policy_id": policy_id}).expect(200)
    return policy_id


@call("cbr", "create_policy")
def _cbr_create_policy(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"body": {"policy": {"name": "weekly", "operation_type": "backup", "enabled": True,
                                     "operation_definition": {"day_backups": 3, "timezone": "UTC+08:00"},
                                     "trigger": {"properties": {"pattern": ["FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=08;"
                                                                            "BYMINUTE=00"]}}}}}


@call("cbr", "list_policies")
def _cbr_policies(env: Env) -> tuple[Env, dict[str, Any]]:
    vault_id = env.vault()["id"]
    _cbr_policy(env, vault_id)
    return env, {"vault_id": vault_id}


@call("cbr", "show_policy", "delete_policy")
def _cbr_show_policy(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"policy_id": _cbr_policy(env, env.vault()["id"])}


@call("cbr", "update_policy")
def _cbr_update_policy(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"policy_id": _cbr_policy(env), "body": {"policy": {"name": "renamed", "enabled": False}}}


@call("cbr", "associate_vault_policy")
def _cbr_associate(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"vault_id": env.vault()["id"], "body": {"policy_id": _cbr_policy(env)}}


@call("cbr", "disassociate_vault_policy")
def _cbr_dissociate(env: Env) -> tuple[Env, dict[str, Any]]:
    vault_id = env.vault()["id"]
    return env, {"vault_id": vault_id, "body": {"policy_id": _cbr_policy(env, vault_id)}}


@call("cbr", "list_protectable")
def _cbr_protectables(env: Env) -> tuple[Env, dict[str, Any]]:
    env.vault([env.server(status="ACTIVE")["id"]])
    env.server(status="SHUTOFF")
    return env, {"protectable_type": "server", "limit": 50}


@call("cbr", "show_protectable")
def _cbr_protectable(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {"protectable_type": "server", "instance_id": env.server(status="ACTIVE")["id"]}


@call("cbr", "show_replication_capabilities")
def _cbr_replication_capabilities(env: Env) -> tuple[Env, dict[str, Any]]:
    return env, {}


# ---------------------------------------------------------------- error answers through the SDK
@dataclasses.dataclass(frozen=True)
class SdkError:
    """An SDK call the emulator must refuse; the SDK must surface our code, not the bare HTTP status."""

    name: str
    service: str
    op: str
    fields: Callable[[Env], dict[str, Any]]
    code: str


MISSING_ID = "00000000-0000-4000-8000-00000000dead"
ERRORS = [
    SdkError("ims unknown job", "ims", "show_job", lambda env: {"job_id": "ff80808100000000000000000000dead"},
             "IMG.0023"),
    SdkError("ims bad __imagetype", "ims", "list_images", lambda env: {"__imagetype": "goldish"}, "IMG.0024"),
    SdkError("ims image from unknown ECS", "ims", "create_image",
             lambda env: {"body": {"name": "x", "instance_id": MISSING_ID}}, "IMG.0005"),
    SdkError("ims glance unknown image", "ims", "glance_show_image", lambda env: {"image_id": MISSING_ID},
             "IMG.0027"),
    SdkError("ecs unknown server", "ecs", "show_server", lambda env: {"server_id": MISSING_ID}, "Ecs.0114"),
    SdkError("ecs delete unknown server", "ecs", "delete_servers",
             lambda env: {"body": {"servers": [{"id": MISSING_ID}]}}, "Ecs.0114"),
    SdkError("ecs create from unknown image", "ecs", "create_servers",
             lambda env: {"body": {"server": {"imageRef": MISSING_ID, "flavorRef": "s6.large.2", "name": "x",
                                              "vpcid": MISSING_ID, "nics": [{"subnet_id": MISSING_ID}],
                                              "root_volume": {"volumetype": "SSD"}}}}, "Ecs.0031"),
    SdkError("ecs start unknown server", "ecs", "batch_start_servers",
             lambda env: {"body": {"os-start": {"servers": [{"id": MISSING_ID}]}}}, "Ecs.0114"),
    SdkError("ims share unknown image", "ims", "batch_add_members",
             lambda env: {"body": {"images": [MISSING_ID], "projects": [env.other().project]}}, "IMG.0027"),
    SdkError("ims export unknown image", "ims", "export_image",
             lambda env: {"image_id": MISSING_ID, "body": {"bucket_url": "b:f.qcow2", "file_format": "qcow2"}},
             "IMG.0027"),
    SdkError("ims patch unknown image", "ims", "glance_update_image",
             lambda env: {"image_id": MISSING_ID, "body": [{"op": "replace", "path": "/name", "value": "x"}]},
             "IMG.0027"),
    SdkError("ims whole image from unknown CSBS backup", "ims", "create_whole_image",
             lambda env: {"body": {"name": "x", "backup_id": MISSING_ID}}, "IMG.0127"),
]


def invoke_error(env: Env, err: SdkError) -> Any:
    client = CLIENTS[err.service](env.url, env.project)
    request = client._deserialize(err.fields(env), request_class(err.service, err.op))  # noqa: SLF001
    return getattr(client, err.op)(request)
