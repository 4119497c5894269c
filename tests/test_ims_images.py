"""System/data-disk images from ECSs, disks and OBS files; list filters and paging; update; export; copy."""

from __future__ import annotations

import uuid

import pytest
from huaweicloudsdkims.v2 import (
    CopyImageInRegionRequest,
    CopyImageInRegionRequestBody,
    CreateDataImage,
    CreateDataImageRequest,
    CreateDataImageRequestBody,
    CreateImageRequest,
    CreateImageRequestBody,
    ExportImageRequest,
    ExportImageRequestBody,
    ImportImageQuickRequest,
    ListImagesRequest,
    QuickImportImageByFileRequestBody,
    TagKeyValue,
    UpdateImageRequest,
    UpdateImageRequestBody,
)

from tests.ims_support import image, refusal, seed_server, wait_job
from tests.support import ims_client


def _create(ims, **body):
    return ims.create_image(CreateImageRequest(body=CreateImageRequestBody(**body))).job_id


def _system_image(ims, server_id, name="sys"):
    return wait_job(ims, _create(ims, name=name, instance_id=server_id)).entities.image_id


def test_system_disk_image_from_an_ecs(url, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project, status="SHUTOFF")
    job = wait_job(ims, _create(ims, name="sys", instance_id=server["id"], description="from ecs",
                                image_tags=[TagKeyValue(key="team", value="a")], max_ram=4096, min_ram=1024))
    assert (job.status, job.job_type, job.error_code) == ("SUCCESS", "imsCreateImageByInstance", None)
    img = image(ims, job.entities.image_id)
    assert (img.status, img.name, img.description, img.tags) == ("active", "sys", "from ecs", ["team.a"])
    assert (img.min_disk, img.min_ram, img.max_ram, img.os_version) == (40, 1024, "4096", "CentOS 7.6 64bit")
    assert img.virtual_env_type == "FusionCompute" and img.data_origin == f"instance,{server['id']}"


def test_image_being_made_is_saving_and_its_job_running(url, api, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project)
    control.put("/transitions", {"ims.create_image": "polls:3"})
    job_id = _create(ims, name="slow", instance_id=server["id"])
    (img,) = api.get("/v2/cloudimages").json()["images"]
    assert img["status"] == "saving"
    body = api.get(f"/v1/{project}/jobs/{job_id}").json()
    assert body["status"] == "INIT" and body["end_time"] == "" and "error_code" not in body  # first read
    assert 0 < body["entities"]["process_percent"] < 100
    assert wait_job(ims, job_id).status == "SUCCESS"
    assert image(ims, img["id"]).status == "active"


def test_data_disk_images_from_an_ecs_report_sub_jobs(url, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project, data_disks=2)
    disks = [v["id"] for v in server["volumes"][1:]]
    body = CreateImageRequestBody(data_images=[CreateDataImage(name=f"data{i}", volume_id=d)
                                               for i, d in enumerate(disks)])
    job = wait_job(ims, ims.create_image(CreateImageRequest(body=body)).job_id)
    assert job.job_type == "imsVolumesToSysDataImagesJob" and job.status == "SUCCESS"
    subs = job.entities.sub_jobs_result
    assert [s.status for s in subs] == ["SUCCESS", "SUCCESS"]
    assert [s.job_type for s in subs] == ["imsCopyVolumeToImageJob"] * 2
    assert job.entities.sub_jobs_list == [s.job_id for s in subs]
    for sub in subs:
        img = image(ims, sub.entities.image_id)
        assert img.status == "active" and img.virtual_env_type == "DataImage"


def test_system_and_data_images_from_an_ecs_and_an_ova_file_use_sub_jobs(url, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project, data_disks=1)
    body = CreateImageRequestBody(name="sys", instance_id=server["id"],
                                  data_images=[CreateDataImage(name="data", volume_id=server["volumes"][1]["id"])])
    job = wait_job(ims, ims.create_image(CreateImageRequest(body=body)).job_id)
    assert job.job_type == "imsVolumesToSysDataImagesJob" and job.entities.image_id is None
    made = [image(ims, s.entities.image_id) for s in job.entities.sub_jobs_result]
    assert [(i.name, i.virtual_env_type) for i in made] == [("sys", "FusionCompute"), ("data", "DataImage")]
    ova = wait_job(ims, _create(ims, name="ova", image_url="ims-bucket:vm.ova", min_disk=40))
    assert ova.job_type == "imsImportOvaImageJob"
    assert [s.job_type for s in ova.entities.sub_jobs_result] == ["imsImportImageJob"]


def test_system_disk_image_from_a_data_disk_needs_os_version(url, api, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project)
    disk = server["volumes"][1]["id"]
    exc = refusal(_create, ims, name="v", volume_id=disk)
    assert exc.error_code == "IMG.0056"
    job = wait_job(ims, _create(ims, name="v", volume_id=disk, os_version="Ubuntu 22.04 server 64bit"))
    assert job.job_type == "imsVolumeCreateImageJob"
    img = image(ims, job.entities.image_id)
    assert (img.platform, img.os_version, img.min_disk) == ("Ubuntu", "Ubuntu 22.04 server 64bit", 100)


def test_image_from_an_obs_file(url, control, project):
    ims = ims_client(url, project)
    job = wait_job(ims, _create(ims, name="file", image_url="ims-bucket:centos.qcow2", min_disk=40,
                                os_version="CentOS 7.6 64bit"))
    assert job.job_type == "imsImportImageJob"
    img = image(ims, job.entities.image_id)
    assert img.root_origin == "file" and img.data_origin.startswith("file")
    assert refusal(_create, ims, name="f", image_url="no-colon", min_disk=40).error_code == "IMG.0068"
    assert refusal(_create, ims, name="f", image_url="b-1:f", min_disk=20).error_code == "IMG.0055"
    assert refusal(_create, ims, name="f", image_url="b-1:f", min_disk=40, type="IsoImage").error_code == "IMG.0166"


def test_data_image_from_a_file_and_quick_import(url, control, project):
    ims = ims_client(url, project)
    body = CreateDataImageRequestBody(name="d", image_url="ims-bucket:data.qcow2", min_disk=100, os_type="Linux")
    job = wait_job(ims, ims.create_data_image(CreateDataImageRequest(body=body)).job_id)
    assert job.job_type == "imsImportDataImageJob"
    assert image(ims, job.entities.image_id).virtual_env_type == "DataImage"
    quick = QuickImportImageByFileRequestBody(name="q", image_url="ims-bucket:sys.zvhd2", min_disk=40,
                                              os_version="EulerOS 2.5 64bit", type="ECS", architecture="arm")
    job = wait_job(ims, ims.import_image_quick(ImportImageQuickRequest(body=quick)).job_id)
    img = image(ims, job.entities.image_id)
    assert (img.platform, img.hw_firmware_type, img.support_arm) == ("EulerOS", "uefi", "true")
    bad = QuickImportImageByFileRequestBody(name="q", image_url="ims-bucket:f", min_disk=40, os_version="x",
                                            architecture="mips")
    assert refusal(ims.import_image_quick, ImportImageQuickRequest(body=bad)).error_code == "IMG.0212"


def test_ecs_source_rules(url, control, project):
    ims = ims_client(url, project)
    assert refusal(_create, ims, name="x", instance_id=str(uuid.uuid4())).error_code == "IMG.0005"
    assert refusal(_create, ims, name="x", instance_id="nope").error_code == "IMG.0031"
    assert refusal(_create, ims, name="x").error_code == "IMG.0012"
    server = seed_server(control, project)
    bad = refusal(_create, ims, name="x", instance_id=server["id"], hw_firmware_type="efi")
    assert bad.error_code == "IMG.0141"


# -- list ----------------------------------------------------------------------------------------

def test_list_filters_and_headers(url, api, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project)
    a = _system_image(ims, server["id"], "alpha")
    b = _system_image(ims, server["id"], "beta")
    resp = api.get("/v2/cloudimages", params={"name": "alpha"})
    assert [i["id"] for i in resp.json()["images"]] == [a]
    assert resp.headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert {i.id for i in ims.list_images(ListImagesRequest(imagetype="private")).images} == {a, b}
    gold = ims.list_images(ListImagesRequest(imagetype="gold", visibility="public", protected="true")).images
    assert gold and {(i.imagetype, i.visibility, i.status) for i in gold} == {("gold", "public", "active")}
    assert not {a, b} & {i.id for i in gold}
    assert ims.list_images(ListImagesRequest(status="killed")).images == []
    assert [i["id"] for i in api.get("/v2/cloudimages?__whole_image=false&sort_key=name&sort_dir=asc")
            .json()["images"]] == [a, b]
    assert api.get("/v2/cloudimages?__whole_image=true").json()["images"] == []
    assert len(api.get("/v2/cloudimages?created_at=gte:2000-01-01T00:00:00Z").json()["images"]) == 2
    assert api.get("/v2/cloudimages?created_at=lt:2000-01-01 00:00:00").json()["images"] == []


@pytest.mark.parametrize("query, code, message", [
    ("__imagetype=public", "IMG.0024", "The image type in the request is incorrect."),
    ("name=a(b)", "IMG.0017", "parameter(name) is invalid!"),
    ("status=gone", "IMG.0017", "parameter(status) is invalid!"),
    ("limit=abc", "IMG.0017", "parameter(limit) is invalid!"),
    ("sort_key=owner", "IMG.0017", "parameter(sort_key) is invalid!"),
    ("created_at=after:2020", "IMG.0017", "parameter(created_at) is invalid!"),
    ("protected=yes", "IMG.0017", "parameter(protected) is invalid!"),
    ("marker=" + "0" * 8 + "-0000-0000-0000-" + "0" * 12, "IMG.0017", "parameter(marker) is invalid!"),
])
def test_invalid_list_filters_are_refused_with_the_live_messages(api, query, code, message):
    resp = api.get(f"/v2/cloudimages?{query}")
    assert resp.status_code == 400
    assert resp.json() == {"error": {"message": message, "code": code}}


def test_list_paging_with_marker_and_next(url, api, control, project):
    ims = ims_client(url, project)
    server = seed_server(control, project)
    ids = [_system_image(ims, server["id"], f"img{i}") for i in range(3)]
    first = api.get("/v2/cloudimages?limit=2&sort_key=name&sort_dir=asc").json()
    assert [i["id"] for i in first["images"]] == ids[:2]
    assert first["next"] == f"/v2/cloudimages?limit=2&sort_key=name&sort_dir=asc&marker={ids[1]}"
    last = api.get(first["next"]).json()
    assert [i["id"] for i in last["images"]] == ids[2:] and "next" not in last
    sdk = ims.list_images(ListImagesRequest(limit=2, marker=ids[1], sort_key="name", sort_dir="asc"))
    assert [i.id for i in sdk.images] == ids[2:]


def test_public_images_are_visible_to_every_project_and_read_only(url, api):
    ims = ims_client(url, api.project_id)
    (public,) = ims.list_images(ListImagesRequest(imagetype="gold", limit=1)).images
    assert image(ims, public.id).name == public.name  # ?id= finds a public image too
    assert api.delete(f"/v2/images/{public.id}").json()["error"]["code"] == "IMG.0094"
    body = ExportImageRequestBody(bucket_url="ims-bucket:out.qcow2", file_format="qcow2")
    assert refusal(ims.export_image, ExportImageRequest(public.id, body)).error_code == "IMG.0077"
    assert api.get("/v2/cloudimages").json()["images"] == []  # not listed unless asked for


def test_images_of_other_projects_are_invisible(url, api, control, project):
    other = ims_client(url, uuid.uuid4().hex)
    server = seed_server(control, project)
    mine = _system_image(ims_client(url, project), server["id"])
    assert other.list_images(ListImagesRequest(id=mine)).images == []
    assert refusal(other.update_image, UpdateImageRequest(mine, [UpdateImageRequestBody(
        op="replace", path="/name", value="x")])).error_code == "IMG.0027"


# -- update ------------------------------------------------------------------------------------------

def test_update_replace_add_and_remove(url, control, project):
    ims = ims_client(url, project)
    image_id = _system_image(ims, seed_server(control, project)["id"])

    def patch(*ops):
        return ims.update_image(UpdateImageRequest(image_id, [UpdateImageRequestBody(op=o, path=p, value=v)
                                                              for o, p, v in ops]))
    updated = patch(("replace", "/name", "renamed"), ("replace", "/min_ram", "2048"))
    assert (updated.name, updated.min_ram) == ("renamed", 2048)
    assert refusal(patch, ("replace", "/max_ram", "8192")).error_code == "IMG.0035"  # absent: use add
    assert patch(("add", "/max_ram", "8192")).max_ram == "8192"
    assert patch(("replace", "/max_ram", "4096")).max_ram == "4096"
    assert patch(("remove", "/max_ram", None)).max_ram is None
    assert refusal(patch, ("replace", "/name", "bad/name")).error_code == "IMG.0003"
    assert refusal(patch, ("replace", "/id", "x")).error_code == "IMG.0001"
    assert image(ims, image_id).name == "renamed"  # a refused patch changed nothing
    # a system image may be marked for KooGallery (only full-ECS images are barred)
    assert patch(("add", "/__system_support_market", "true")).system_support_market is True


def test_only_active_images_can_be_updated(url, control, project):
    ims = ims_client(url, project)
    control.put("/transitions", {"ims.create_image": "manual"})
    job_id = _create(ims, name="pending", instance_id=seed_server(control, project)["id"])
    image_id = ims.show_job_progress(__import__("huaweicloudsdkims.v2", fromlist=["x"])
                                     .ShowJobProgressRequest(job_id)).entities.image_id
    exc = refusal(ims.update_image, UpdateImageRequest(image_id, [UpdateImageRequestBody(
        op="replace", path="/name", value="x")]))
    assert exc.error_code == "IMG.0046"


# -- export and in-region copy ---------------------------------------------------------------------------

def test_export_and_copy_a_system_image(url, control, project):
    ims = ims_client(url, project)
    image_id = _system_image(ims, seed_server(control, project)["id"])
    body = ExportImageRequestBody(bucket_url="ims-bucket:out.qcow2", file_format="qcow2")
    job = wait_job(ims, ims.export_image(ExportImageRequest(image_id, body)).job_id)
    assert (job.job_type, job.status, job.entities.image_id) == ("imsNativeExportImageJob", "SUCCESS", image_id)
    bad = ExportImageRequestBody(bucket_url="ims-bucket:out", file_format="iso")
    assert refusal(ims.export_image, ExportImageRequest(image_id, bad)).error_code == "IMG.0072"
    quick = ExportImageRequestBody(bucket_url="ims-bucket:out", file_format="qcow2", is_quick_export=True)
    assert refusal(ims.export_image, ExportImageRequest(image_id, quick)).error_code == "IMG.0072"

    copy = ims.copy_image_in_region(CopyImageInRegionRequest(image_id, CopyImageInRegionRequestBody(
        name="copy", description="a copy")))
    job = wait_job(ims, copy.job_id)
    assert job.job_type == "imsCopyImageInRegionJob"
    copied = image(ims, job.entities.image_id)
    assert (copied.name, copied.status, copied.originalimagename) == ("copy", "active", image_id)


def test_private_image_quota(url, api, project):
    for i in range(50):
        assert api.post("/v2/images", {"name": f"q{i}"}).status_code == 201
    resp = api.post("/v2/images", {"name": "one-too-many"})
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "IMG.0015")
    assert len(api.get("/v2/images?limit=100").json()["images"]) == 50


def test_safe_mode_v2_1_calls_behave_like_the_plain_ones(url, control, project):
    from huaweicloudsdkims.v2 import (
        CopyImageInRegionInSafeModeRequest,
        CreateDataImageInSafeModeRequest,
        CreateImageInSafeModeRequest,
        ExportImageInSafeModeRequest,
        ImportImageQuickInSafeModeRequest,
    )
    ims = ims_client(url, project)
    server = seed_server(control, project)
    made = ims.create_image_in_safe_mode(CreateImageInSafeModeRequest(
        body=CreateImageRequestBody(name="safe", instance_id=server["id"])))
    image_id = wait_job(ims, made.job_id).entities.image_id
    export = ims.export_image_in_safe_mode(ExportImageInSafeModeRequest(
        image_id, ExportImageRequestBody(bucket_url="ims-bucket:o.vhd", file_format="vhd")))
    assert wait_job(ims, export.job_id).job_type == "imsNativeExportImageJob"
    copy = ims.copy_image_in_region_in_safe_mode(CopyImageInRegionInSafeModeRequest(
        image_id, CopyImageInRegionRequestBody(name="safe-copy")))
    assert wait_job(ims, copy.job_id).status == "SUCCESS"
    data = ims.create_data_image_in_safe_mode(CreateDataImageInSafeModeRequest(body=CreateDataImageRequestBody(
        name="d", image_url="ims-bucket:d.qcow2", min_disk=40)))
    assert wait_job(ims, data.job_id).job_type == "imsImportDataImageJob"
    quick = ims.import_image_quick_in_safe_mode(ImportImageQuickInSafeModeRequest(
        body=QuickImportImageByFileRequestBody(name="q", image_url="ims-bucket:d.zvhd2", min_disk=40,
                                               type="DataImage")))
    assert wait_job(ims, quick.job_id).job_type == "imsImportDataImageJob"
