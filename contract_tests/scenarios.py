"""The scenario registry: recorded file -> a function that drives the emulator into the recorded situation over
real HTTP (seeding, adapting the recorded request to seeded ids) and returns the emulator's response."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from contract_tests.env import CSBS, Env, Outcome, ScenarioError, fresh_id, swap
from contract_tests.fixtures import fixture_names, load_fixture
from contract_tests.formats import glob

Run = Callable[[Env, dict[str, Any]], Outcome]

# Operations not served yet. Their scenarios are xfail(strict=True): they turn into failures the moment the
# operation lands, so this list must shrink with every operation that does.
PENDING: dict[str, str] = {}
# Recordings the emulator knowingly answers differently, as a whole (not one field an allow-list entry can name).
# Also xfail(strict=True): the day the answer conforms, the entry must go.
KNOWN_DIFFERENCES: dict[str, str] = {
    "ims/error.IMG.0008.400.json":
        "CONFLICT in spec ims.md 5.1: the product description allows system-disk images from a Running ECS, the "
        "IMG.0008 text requires it stopped. The emulator follows the product description and answers IMG.0008 only "
        "for other ECS states, which cannot be seeded (servers are ACTIVE or SHUTOFF), so the recorded refusal is "
        "answered with a job instead.",
}


@dataclasses.dataclass(frozen=True)
class Scenario:
    fixture: str
    run: Run

    @property
    def pending(self) -> str | None:
        return next((why for pattern, why in PENDING.items() if glob(pattern, self.fixture)), None)

    @property
    def known_difference(self) -> str | None:
        return KNOWN_DIFFERENCES.get(self.fixture)


SCENARIOS: dict[str, Scenario] = {}


def scenario(*fixtures: str) -> Callable[[Run], Run]:
    def deco(fn: Run) -> Run:
        for name in fixtures:
            matched = [f for f in fixture_names() if glob(name, f)]
            if not matched:
                raise LookupError(f"scenario {fn.__name__}: no recorded file matches {name}")
            for f in matched:
                SCENARIOS[f] = Scenario(f, fn)
        return fn
    return deco


def replay(env: Env, rec: dict[str, Any], path: str | None = None, body: Any = None, **kw: Any) -> Outcome:
    """The recorded call (method, path, body), with the path and body given by the scenario if adapted."""
    return env.call(rec["method"], path or rec["path"], rec["request"] if body is None else body, **kw)


# ================================================================ ECS / EVS
@scenario("ecs/show_server.200.json")
def _show_server(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    return replay(env, rec, f"/v1/{{project_id}}/cloudservers/{server['id']}")


@scenario("ecs/show_job.200.json")
def _ecs_job(env: Env, rec: dict[str, Any]) -> Outcome:
    """The recording is a createServer job with one createSingleServer sub-job: create one server."""
    job_id = env.call("POST", "/v1.1/{project_id}/cloudservers", _create_body(env)).expect(200)["job_id"]
    env.finish(job_id)
    return env.job(job_id)


def _create_body(env: Env) -> dict[str, Any]:
    return {"server": {"imageRef": env.image(), "flavorRef": "s6.large.2", "name": "made", "vpcid": fresh_id(),
                       "nics": [{"subnet_id": fresh_id()}], "root_volume": {"volumetype": "SSD"},
                       "data_volumes": [{"volumetype": "SSD", "size": 10}]}}


def _made_server(env: Env, status: str = "ACTIVE") -> str:
    """A server created from an image by create_servers (its job settled), stopped if asked."""
    _, job = env.run_job("POST", "/v1.1/{project_id}/cloudservers", _create_body(env))
    server_id = job["entities"]["sub_jobs"][0]["entities"]["server_id"]
    if status == "SHUTOFF":
        env.run_job("POST", "/v1/{project_id}/cloudservers/action", {"os-stop": {"servers": [{"id": server_id}]}})
    return server_id


RECORDED_AZ = "az1-dc1"  # the reference's AZ: the scenario uses the project's first AZ


def _zone(env: Env) -> str:
    return env.call("GET", f"/v1/{{project_id}}/cloudservers/{env.server()['id']}").expect(200)["server"][
        "OS-EXT-AZ:availability_zone"]


@scenario("ecs/create_post_paid_servers.200.json")
def _create_post_paid(env: Env, rec: dict[str, Any]) -> Outcome:
    body = swap(rec["request"], {"imageid_123": env.image(), "m3.large.8": "s6.large.2", RECORDED_AZ: _zone(env)})
    return replay(env, rec, body=body)


@scenario("ecs/nova_create_servers.202.json")
def _nova_create(env: Env, rec: dict[str, Any]) -> Outcome:
    recorded_image = rec["request"]["server"]["block_device_mapping_v2"][0]["uuid"]
    body = swap(rec["request"], {recorded_image: env.image(), "s3.xlarge.2": "s6.large.2", RECORDED_AZ: _zone(env)})
    return replay(env, rec, body=body)


@scenario("ecs/delete_servers.200.json")
def _delete_servers(env: Env, rec: dict[str, Any]) -> Outcome:
    recorded = rec["request"]["servers"][0]["id"]
    return replay(env, rec, body=swap(rec["request"], {recorded: _made_server(env)}))


@scenario("ecs/batch_reboot_servers.200.json")
def _reboot(env: Env, rec: dict[str, Any]) -> Outcome:
    first, second = (s["id"] for s in rec["request"]["reboot"]["servers"])
    return replay(env, rec, body=swap(rec["request"], {first: _made_server(env), second: env.server("ACTIVE")["id"]}))


@scenario("ecs/list_server_block_devices.200.json")
def _block_devices(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v1/{{project_id}}/cloudservers/{_made_server(env)}/block_device")


@scenario("ecs/list_server_volume_attachments.200.json")
def _volume_attachments(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v1/{{project_id}}/cloudservers/{_made_server(env)}/os-volume_attachments")


@scenario("ecs/nova_show_server.200.json")
def _nova_show(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v2.1/{{project_id}}/servers/{_made_server(env)}")


@scenario("ecs/list_flavors.200.json")
def _flavors(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec)


@scenario("evs/list_volumes.200.json")
def _list_volumes(env: Env, rec: dict[str, Any]) -> Outcome:
    env.server(data_disks=1)  # two volumes: a page of one has a next link, as recorded
    return replay(env, rec, "/v2/{project_id}/cloudvolumes/detail?limit=1")


@scenario("ecs/show_volume.200.json")
def _show_volume(env: Env, rec: dict[str, Any]) -> Outcome:
    volume = env.server()["volumes"][1]  # the recording shows a detached data disk: closest is a data disk
    return replay(env, rec, f"/v2/{{project_id}}/os-vendor-volumes/{volume['id']}")


# ================================================================ IMS: image creation (async, {"job_id"})
RECORDED_SERVER = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
RECORDED_VOLUME = "c5dfbd0c-bf0a-4798-a453-61dc6b54aa30"


@scenario("ims/create_image.from_ecs.*", "ims/create_image.legacy_sdk_fixture.200.json")
def _create_from_ecs(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server()
    body = rec["request"] or {"name": "ims_test", "instance_id": RECORDED_SERVER}
    return replay(env, rec, body=swap(body, {RECORDED_SERVER: server["id"]}))


@scenario("ims/create_image.data_images_from_ecs.*")
def _data_images_from_ecs(env: Env, rec: dict[str, Any]) -> Outcome:
    volume = env.server()["volumes"][1]
    return replay(env, rec, body=swap(rec["request"], {RECORDED_VOLUME: volume["id"]}))


@scenario("ims/create_image.system_from_data_disk.200.json")
def _system_from_data_disk(env: Env, rec: dict[str, Any]) -> Outcome:
    volume = env.server()["volumes"][1]
    return replay(env, rec, body=swap(rec["request"], {RECORDED_SERVER: volume["id"]}))


@scenario("ims/create_image.from_obs_*", "ims/create_data_image.*", "ims/import_image_quick.*")
def _from_obs(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec)  # an OBS file needs no seeding: the recorded request is used as is


@scenario("ims/create_whole_image.from_ecs.*")
def _whole_from_ecs(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    body = swap(rec["request"], {RECORDED_SERVER: server["id"], rec["request"]["vault_id"]: env.vault_id()})
    return replay(env, rec, body=body)


@scenario("ims/create_whole_image.from_cbr_backup.*")
def _whole_from_cbr(env: Env, rec: dict[str, Any]) -> Outcome:
    backup_id = env.seeded_cbr_backup()
    return replay(env, rec, body=swap(rec["request"], {rec["request"]["backup_id"]: backup_id}))


@scenario("ims/register_image.200.json")
def _register(env: Env, rec: dict[str, Any]) -> Outcome:
    image = env.call("POST", "/v2/images", {"name": "to-register", "container_format": "bare",
                                            "disk_format": "vmdk"}).expect(201)
    return replay(env, rec, f"/v1/cloudimages/{image['id']}/upload")


@scenario("ims/export_image.200.json")
def _export(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v1/cloudimages/{env.image()}/file")


@scenario("ims/copy_image_in_region.200.json")
def _copy(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v1/cloudimages/{env.image()}/copy")


def _members_body(rec: dict[str, Any], partners: list[str], images: list[str]) -> dict[str, Any]:
    recorded = rec["request"]
    mapping = dict(zip(recorded["images"], images, strict=True))
    mapping.update(zip(recorded.get("projects") or [recorded.get("project_id")], partners, strict=True))
    return swap(recorded, mapping)


@scenario("ims/batch_add_members.200.json", "ims/batch_delete_members.200.json")
def _members_add_delete(env: Env, rec: dict[str, Any]) -> Outcome:
    images = [env.image("share1"), env.image("share2")]
    partners = [env.other().project, env.other().project]
    add = {"images": images, "projects": partners}
    if rec["method"] == "DELETE":
        env.run_job("POST", "/v1/cloudimages/members", add)
    return replay(env, rec, body=_members_body(rec, partners, images))


@scenario("ims/batch_update_members.*")
def _members_accept(env: Env, rec: dict[str, Any]) -> Outcome:
    images = [env.image("share1"), env.image("share2")]
    partner = env.other()
    env.run_job("POST", "/v1/cloudimages/members", {"images": images, "projects": [partner.project]})
    body = _members_body(rec, [partner.project], images)
    if "vault_id" in body:
        body["vault_id"] = partner.vault_id()
    return replay(partner, rec, body=body)


# ================================================================ IMS: jobs
Driver = Callable[[Env], "tuple[Env, str]"]


def _job_of(run: Run, fixture: str) -> Driver:
    """A job driver: run the scenario of another recording (an async call); (project it ran in, job id)."""
    def drive(env: Env) -> tuple[Env, str]:
        return env, run(env, load_fixture(fixture)).expect(200)["job_id"]
    return drive


def _post_job(path: str, body: Callable[[Env], dict[str, Any]]) -> Driver:
    def drive(env: Env) -> tuple[Env, str]:
        return env, env.call("POST", path, body(env)).expect(200)["job_id"]
    return drive


def _accept_job(env: Env) -> tuple[Env, str]:
    """Accepting a share runs in the receiving project: the job is the partner's."""
    images, partner = [env.image("share1")], env.other()
    env.run_job("POST", "/v1/cloudimages/members", {"images": images, "projects": [partner.project]})
    body = {"images": images, "project_id": partner.project, "status": "accepted"}
    return partner, partner.call("PUT", "/v1/cloudimages/members", body).expect(200)["job_id"]


def _whole_from_csbs(env: Env) -> dict[str, Any]:
    return {"name": "whole", "backup_id": env.backup()["id"], "whole_image_type": "CSBS"}


def _ova(env: Env) -> dict[str, Any]:
    return {"name": "ova", "image_url": "ims-image:centos70.ova", "os_version": "CentOS 7.0 64bit", "min_disk": 40}


def _system_and_data(env: Env) -> dict[str, Any]:
    server = env.server()
    return {"name": "with-data", "instance_id": server["id"],
            "data_images": [{"name": "data", "volume_id": server["volumes"][1]["id"]}]}


JOB_DRIVERS: dict[str, Driver] = {
    "createImageByInstance": _job_of(_create_from_ecs, "ims/create_image.legacy_sdk_fixture.200.json"),
    "imsCreateImageByInstance": _job_of(_create_from_ecs, "ims/create_image.from_ecs.tags.200.json"),
    "imsImportImageJob": _job_of(_from_obs, "ims/create_image.from_obs_file.200.json"),
    "imsImportDataImageJob": _job_of(_from_obs, "ims/create_data_image.tags.200.json"),
    "imsVolumeCreateImageJob": _job_of(_system_from_data_disk, "ims/create_image.system_from_data_disk.200.json"),
    "imsCreateWholeImageByInstanceJob": _job_of(_whole_from_ecs, "ims/create_whole_image.from_ecs.tags.200.json"),
    "imsNativeImportImageJob": _job_of(_register, "ims/register_image.200.json"),
    "imsNativeExportImageJob": _job_of(_export, "ims/export_image.200.json"),
    "imsCopyImageInRegionJob": _job_of(_copy, "ims/copy_image_in_region.200.json"),
    "imsAddImageMembersJob": _job_of(_members_add_delete, "ims/batch_add_members.200.json"),
    "imsDelImageMembersJob": _job_of(_members_add_delete, "ims/batch_delete_members.200.json"),
    "imsUpdateImageMembersJob": _accept_job,
    "imsCreateWholeImageByBackupJob": _post_job("/v1/cloudimages/wholeimages/action", _whole_from_csbs),
    "imsImportOvaImageJob": _post_job("/v2/cloudimages/action", _ova),
    "imsVolumesToSysDataImagesJob": _post_job("/v2/cloudimages/action", _system_and_data),
}


@scenario("ims/show_job.*")
def _ims_job(env: Env, rec: dict[str, Any]) -> Outcome:
    owner, job_id = JOB_DRIVERS[rec["response"]["job_type"]](env)
    owner.finish(job_id)
    return owner.job(job_id)


# ================================================================ IMS: image reads and updates
@scenario("ims/list_images.*")
def _list_images(env: Env, rec: dict[str, Any]) -> Outcome:
    """The recorded query as is; the old SDK fixture's bare path listed public images, so ask for those."""
    return replay(env, rec, rec["path"] if "?" in rec["path"] else "/v2/cloudimages?__imagetype=gold")


@scenario("ims/error.IMG.0024.400.json")
def _bad_imagetype(env: Env, rec: dict[str, Any]) -> Outcome:
    return env.call("GET", "/v2/cloudimages?__imagetype=goldish")


@scenario("ims/error.IMG.0008.400.json")
def _running_ecs(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    return env.call("POST", "/v2/cloudimages/action", {"name": "img", "instance_id": server["id"]})


@scenario("ims/update_image.200.json")
def _update_image(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v2/cloudimages/{env.image()}")


@scenario("ims/glance_show_image.200.json")
def _glance_show(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v2/images/{env.public_image()}")


@scenario("ims/glance_list_images.200.json")
def _glance_list(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, "/v2/images?__isregistered=true&__imagetype=gold&limit=2")


@scenario("ims/glance_create_image_metadata.201.json")
def _glance_create(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec)


@scenario("ims/glance_update_image.*")
def _glance_update(env: Env, rec: dict[str, Any]) -> Outcome:
    version = "2.1" if "op" in rec["request"][0] else "2.0"  # the two json-patch dialects differ in shape
    media = f"application/openstack-images-v{version}-json-patch"
    return env.call("PATCH", f"/v2/images/{env.image()}", rec["request"], headers={"Content-Type": media})


@scenario("ims/glance_delete_image.delete_backup.204.json")
def _glance_delete(env: Env, rec: dict[str, Any]) -> Outcome:
    image_id, _ = env.whole_image_from_backup()
    return replay(env, rec, f"/v2/images/{image_id}")


# ================================================================ IMS: Glance members
def _shared(env: Env) -> tuple[str, Env]:
    image_id, partner = env.image(), env.other()
    env.call("POST", f"/v2/images/{image_id}/members", {"member": partner.project}).expect(200)
    return image_id, partner


@scenario("ims/glance_add_image_member.200.json")
def _glance_add_member(env: Env, rec: dict[str, Any]) -> Outcome:
    partner = env.other()
    return replay(env, rec, f"/v2/images/{env.image()}/members", {"member": partner.project})


@scenario("ims/glance_list_image_members.200.json", "ims/glance_show_image_member.200.json")
def _glance_read_members(env: Env, rec: dict[str, Any]) -> Outcome:
    image_id, partner = _shared(env)
    partner.call("PUT", f"/v2/images/{image_id}/members/{partner.project}", {"status": "accepted"}).expect(200)
    suffix = f"/{partner.project}" if rec["path"].endswith("{member_id}") else ""
    return replay(env, rec, f"/v2/images/{image_id}/members{suffix}")


@scenario("ims/glance_update_image_member.*")
def _glance_accept(env: Env, rec: dict[str, Any]) -> Outcome:
    image_id, partner = _shared(env)
    body = dict(rec["request"])
    if "vault_id" in body:
        body["vault_id"] = partner.vault_id()
    return replay(partner, rec, f"/v2/images/{image_id}/members/{partner.project}", body)


@scenario("ims/glance_show_image_member_schemas.200.json", "ims/list_versions.300.json",
          "ims/show_version.v2.0.300.json", "ims/show_image_quota.200.json")
def _static(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec)


# ================================================================ IMS: tags
@scenario("ims/add_image_tag.204.json", "ims/batch_add_or_delete_tags.create.204.json")
def _tag_image(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, rec["path"].replace("{image_id}", env.image()))


@scenario("ims/batch_add_or_delete_tags.delete.204.json")
def _untag_image(env: Env, rec: dict[str, Any]) -> Outcome:
    path = rec["path"].replace("{image_id}", env.image())
    env.call("POST", path, {**rec["request"], "action": "create"}).expect(204)
    return replay(env, rec, path)


@scenario("ims/create_or_update_tags.*")
def _legacy_tag(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, body={**rec["request"], "image_id": env.image()})


def _tagged_image(env: Env, name: str, tags: list[dict[str, str]]) -> str:
    image_id = env.image(name)
    env.call("POST", f"/v2/{{project_id}}/images/{image_id}/tags/action", {"action": "create", "tags": tags}
             ).expect(204)
    return image_id


@scenario("ims/list_image_tags.200.json")
def _image_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    image_id = _tagged_image(env, "img", rec["response"]["tags"])
    return replay(env, rec, f"/v2/{{project_id}}/images/{image_id}/tags")


@scenario("ims/list_images_tags.200.json")
def _project_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    _tagged_image(env, "img", [{"key": "key9", "value": "value9"}, {"key": "key8", "value": ""},
                               {"key": "key3", "value": "valueXX"}])
    return replay(env, rec)


@scenario("ims/list_tags.200.json")
def _legacy_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    env.call("PUT", "/v1/cloudimages/tags", {"image_id": env.image(), "tag": "jjjj.11111"}).expect(204)
    return replay(env, rec)


@scenario("ims/list_image_by_tags.*")
def _by_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    _tagged_image(env, "test10002", [{"key": "key3", "value": "valueXX"}, {"key": "key0", "value": "valueXX"}])
    return replay(env, rec)


# ================================================================ CSBS
@scenario("csbs/check_protectable*")
def _check_protectable(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    recorded = rec["request"]["check_protectable"][0]["resource_id"]
    return replay(env, rec, body=swap(rec["request"], {recorded: server["id"]}))


@scenario("csbs/protect*")
def _protect(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    return replay(env, rec, rec["path"].replace("{resource_id}", server["id"]))


def _imaged_backup(env: Env, rec: dict[str, Any]) -> dict[str, Any]:
    """A backup; when the recorded one has a full-ECS image made from it (os_images_data), so does ours."""
    if "os_images_data" not in str(rec["response"]) or "'os_images_data': []" in str(rec["response"]):
        return env.backup()
    _, item = env.whole_image_from_backup()
    return item


@scenario("csbs/list_checkpoint_items*", "csbs/count_checkpoint_items.200.json")
def _list_items(env: Env, rec: dict[str, Any]) -> Outcome:
    _imaged_backup(env, rec)
    return replay(env, rec)


@scenario("csbs/show_checkpoint_item*")
def _show_item(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v1/{{project_id}}/checkpoint_items/{_imaged_backup(env, rec)['id']}")


@scenario("csbs/delete_checkpoint.200.json")
def _delete_backup(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, rec["path"].replace("{checkpoint_id}", env.backup()["checkpoint_id"]))


def _volume_map(item: dict[str, Any], server: dict[str, Any]) -> list[dict[str, str]]:
    by_size = {v["id"]: v for v in server["volumes"]}
    return [{"backup_id": vb["id"], "volume_id": vb["source_volume_id"]}
            for vb in item["extend_info"]["volume_backups"] if vb["source_volume_id"] in by_size]


@scenario("csbs/check_restorable.200.json")
def _check_restorable(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    item = env.backup(server)
    body = {"check_restorable": [{"checkpoint_item_id": item["id"], "target": {
        "resource_type": "OS::Nova::Server", "resource_id": server["id"], "volumes": _volume_map(item, server)}}]}
    return replay(env, rec, body=body)


@scenario("csbs/create_restore.200.json")
def _restore(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    item = env.backup(server)
    body = {"restore": {"provider_id": rec["request"]["restore"]["provider_id"], "checkpoint_id": item["checkpoint_id"],
                        "parameters": {"checkpoint_item_id": item["id"], "power_on": True, "targets": {
                            "server_id": server["id"], "volumes": _volume_map(item, server)}}}}
    return replay(env, rec, body=body)


def _policy_body(env: Env, rec: dict[str, Any]) -> dict[str, Any]:
    recorded = (rec if rec["method"] == "POST" and "policies" in rec["path"]
                else load_fixture("csbs/create_policy.200.json"))["request"]
    servers = [env.server(status="ACTIVE", name=r["name"]) for r in recorded["policy"]["resources"]]
    return swap(recorded, {r["id"]: s["id"] for r, s in zip(recorded["policy"]["resources"], servers, strict=True)})


@scenario("csbs/create_policy*")
def _create_policy(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, body=_policy_body(env, rec))


def _policy(env: Env, rec: dict[str, Any]) -> dict[str, Any]:
    return env.call("POST", "/v1/{project_id}/policies",
                    _policy_body(env, load_fixture("csbs/create_policy.200.json"))).expect(200)["policy"]


@scenario("csbs/list_policies*", "csbs/show_policy*")
def _read_policies(env: Env, rec: dict[str, Any]) -> Outcome:
    policy = _policy(env, rec)
    return replay(env, rec, rec["path"].replace("{policy_id}", policy["id"]))


@scenario("csbs/update_policy-golangsdk.200.json")
def _update_policy(env: Env, rec: dict[str, Any]) -> Outcome:
    policy = _policy(env, rec)
    recorded_op = rec["request"]["policy"]["scheduled_operations"][0]["id"]
    body = swap(rec["request"], {recorded_op: policy["scheduled_operations"][0]["id"]})
    return replay(env, rec, rec["path"].replace("{policy_id}", policy["id"]), body)


@scenario("csbs/create_checkpoint_from_policy.200.json")
def _run_policy(env: Env, rec: dict[str, Any]) -> Outcome:
    policy = _policy(env, rec)
    body = {"checkpoint": {"plan_id": policy["id"], "parameters": {
        "auto_trigger": False, "resources": [r["id"] for r in policy["resources"]]}}}
    return replay(env, rec, f"{CSBS}/checkpoints", body)


@scenario("csbs/show_quotas.200.json", "csbs/replication_capabilities.200.json")
def _csbs_static(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec)


def _tagged_backup(env: Env) -> str:
    item_id = env.backup()["id"]
    env.call("POST", f"/v1/{{project_id}}/csbs_backup/{item_id}/tags", {"tag": {"key": "key1", "value": "value1"}}
             ).expect(204)
    return item_id


@scenario("csbs/create_backup_tag.204.json", "csbs/batch_backup_tags_action.204.json",
          "csbs/show_backup_tags.200.json")
def _backup_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, rec["path"].replace("{resource_id}", _tagged_backup(env)))


@scenario("csbs/list_project_backup_tags.200.json")
def _project_backup_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    _tagged_backup(env)
    return replay(env, rec)


@scenario("csbs/backup_resource_instances_filter.200.json")
def _backups_by_tags(env: Env, rec: dict[str, Any]) -> Outcome:
    _tagged_backup(env)
    body = {"action": "filter", "limit": "10", "offset": "0", "tags": [{"key": "key1", "values": ["value1"]}]}
    return replay(env, rec, body=body)


# ================================================================ CBR
@scenario("cbr/create_vault.200.json")
def _create_vault(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    vault = rec["request"]["vault"]
    mapping = {vault["resources"][0]["id"]: server["id"],
               vault["resources"][0]["extra_info"]["exclude_volumes"][0]: server["volumes"][1]["id"]}
    body = swap(rec["request"], mapping)
    body["vault"].pop("backup_policy_id", None)  # no CBR policy exists in a fresh project
    return replay(env, rec, body=body)


@scenario("cbr/list_vault.200.json", "cbr/show_vault.200.json")
def _read_vaults(env: Env, rec: dict[str, Any]) -> Outcome:
    tags = (rec["response"].get("vault") or rec["response"]["vaults"][0]).get("tags") or []
    vault = env.vault([env.server(status="ACTIVE")["id"]], tags=tags)
    return replay(env, rec, rec["path"].replace("{vault_id}", vault["id"]))


@scenario("cbr/create_checkpoint.200.json")
def _cbr_checkpoint(env: Env, rec: dict[str, Any]) -> Outcome:
    server = env.server(status="ACTIVE")
    vault = env.vault([server["id"]])
    params = rec["request"]["checkpoint"]["parameters"]
    body = swap(rec["request"], {params["resources"][0]: server["id"], rec["request"]["checkpoint"]["vault_id"]:
                                 vault["id"]})
    return replay(env, rec, body=body)


@scenario("cbr/show_checkpoint.200.json")
def _cbr_show_checkpoint(env: Env, rec: dict[str, Any]) -> Outcome:
    backup = env.cbr_backup()
    return replay(env, rec, f"/v3/{{project_id}}/checkpoints/{backup['checkpoint_id']}")


@scenario("cbr/list_backups.200.json", "cbr/show_backup.200.json")
def _cbr_backups(env: Env, rec: dict[str, Any]) -> Outcome:
    shown = rec["response"].get("backup") or rec["response"]["backups"][0]
    backup = env.cbr_backup(retention_days=30 if shown.get("expired_at") else None)  # as recorded: with expiry
    return replay(env, rec, rec["path"].replace("{backup_id}", backup["id"]))


@scenario("cbr/add_member.200.json", "cbr/show_members_detail.200.json", "cbr/update_member_status.200.json")
def _cbr_members(env: Env, rec: dict[str, Any]) -> Outcome:
    backup, partner = env.cbr_backup(), env.other()
    members = f"/v3/{{project_id}}/backups/{backup['id']}/members"
    if rec["method"] == "POST":
        return replay(env, rec, members, {"members": [partner.project]})
    env.call("POST", members, {"members": [partner.project]}).expect(200)
    if rec["method"] == "GET":
        return replay(env, rec, members)
    body = {"status": "accepted", "vault_id": partner.vault()["id"]}
    return replay(partner, rec, members.replace("{project_id}", partner.project) + f"/{partner.project}", body)


@scenario("cbr/migrate_domain.200.json", "cbr/show_migrate_status.200.json")
def _cbr_migrate(env: Env, rec: dict[str, Any]) -> Outcome:
    env.backup()  # something to migrate
    if rec["method"] == "GET":
        env.call("POST", "/v3/migrates", {"all_regions": True, "reservation": 0.2}).expect(200)
    return replay(env, rec)


@scenario("cbr/show_op_log.404.json")
def _cbr_missing_log(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, f"/v3/{{project_id}}/operation-logs/{fresh_id().replace('-', '')}")


@scenario("cbr/show_vault_tag.400.json")
def _cbr_bad_vault(env: Env, rec: dict[str, Any]) -> Outcome:
    return replay(env, rec, "/v3/{project_id}/vault/not-a-vault/tags")


def run(env: Env, fixture: str) -> Outcome:
    try:
        return SCENARIOS[fixture].run(env, load_fixture(fixture))
    except ScenarioError:
        raise
    except (KeyError, IndexError, TypeError) as exc:  # a set-up response lacked what the scenario needed
        raise ScenarioError(f"set-up response lacked {exc!r}") from exc
