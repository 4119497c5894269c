"""The product story through the official ImsClient: ECS -> CSBS backup -> full-ECS image -> rules -> delete."""

from __future__ import annotations

from huaweicloudsdkims.v2 import (
    CopyImageInRegionRequest,
    CopyImageInRegionRequestBody,
    ExportImageRequest,
    ExportImageRequestBody,
    GlanceDeleteImageRequest,
    GlanceDeleteImageRequestBody,
    GlanceShowImageRequest,
    ShowJobProgressRequest,
    ShowJobRequest,
    UpdateImageRequest,
    UpdateImageRequestBody,
)

from tests.csbs_support import Csbs
from tests.ims_support import image, refusal, seed_server, wait_job, whole_image
from tests.support import ims_client


def _backed_up_server(url, control, project):
    server = seed_server(control, project, status="SHUTOFF", data_disks=2)
    item = Csbs(url, project).backup(server["id"], backup_name="before-image")
    assert item["status"] == "available"
    return server, item


def test_full_ecs_image_from_a_csbs_backup_end_to_end(url, control, project, api):
    ims = ims_client(url, project)
    csbs = Csbs(url, project)
    _, item = _backed_up_server(url, control, project)
    control.put("/transitions", {"ims.create_whole_image": "polls:2"})

    job_id = whole_image(ims, "whole-from-csbs", backup_id=item["id"], whole_image_type="CSBS",
                         description="made by the story test")
    running = ims.show_job(ShowJobRequest(job_id=job_id))
    assert running.status == "INIT" and running.end_time == ""  # the first read of a polls:N job
    assert running.job_type == "imsCreateWholeImageByBackupJob"
    image_id = running.entities.image_id
    progress = ims.show_job_progress(ShowJobProgressRequest(job_id=job_id))
    assert progress.status == "SUCCESS" and progress.entities.image_id == image_id

    img = image(ims, image_id)
    assert img.status == "active" and img.name == "whole-from-csbs"
    assert img.backup_id == item["id"] and img.min_disk == 40 and img.imagetype == "private"
    raw = api.get(f"/v2/cloudimages?id={image_id}").json()["images"][0]
    assert raw["__whole_image"] == "true"  # a string on the wire (the SDK model drops it)
    assert "_source" not in raw
    # the backup knows its image, and CSBS refuses to delete it while the image exists
    linked = csbs.item(item["id"]).json()["checkpoint_item"]["extend_info"]["os_images_data"]
    assert linked == [{"image_id": image_id}]
    assert csbs.delete_item(item).json()["error_code"] == "CSBS.8007"

    # every restriction of a full-ECS image
    exc = refusal(ims.export_image, ExportImageRequest(image_id, ExportImageRequestBody(
        bucket_url="bucket-a:img.qcow2", file_format="qcow2")))
    assert (exc.status_code, exc.error_code) == (400, "IMG.0128")
    exc = refusal(ims.copy_image_in_region, CopyImageInRegionRequest(image_id, CopyImageInRegionRequestBody(
        name="copy")))
    assert exc.error_code == "IMG.0130"
    exc = refusal(ims.update_image, UpdateImageRequest(image_id, [UpdateImageRequestBody(
        op="add", path="/__system_support_market", value="true")]))
    assert exc.error_code == "IMG.0105"
    exc = refusal(ims.create_whole_image, *[_again(item["id"])])
    assert exc.error_code == "IMG.0134"

    # delete keeping the backup: it becomes deletable again and can make a new image
    ims.glance_delete_image(GlanceDeleteImageRequest(image_id, GlanceDeleteImageRequestBody(delete_backup=False)))
    assert image(ims, image_id) is None
    kept = csbs.item(item["id"]).json()["checkpoint_item"]
    assert kept["status"] == "available" and kept["extend_info"]["os_images_data"] == []
    second = wait_job(ims, whole_image(ims, "second", backup_id=item["id"])).entities.image_id

    # delete with the backup: the backup goes through CSBS's delete states
    control.put("/transitions", {"csbs.delete": "manual"})
    ims.glance_delete_image(GlanceDeleteImageRequest(second, GlanceDeleteImageRequestBody(delete_backup=True)))
    assert image(ims, second) is None
    assert csbs.item(item["id"]).json()["checkpoint_item"]["status"] in ("waiting_delete", "deleting")
    control.post("/settle", {"project_id": project})
    assert csbs.item(item["id"]).status_code == 404


def _again(backup_id):
    from huaweicloudsdkims.v2 import CreateWholeImageRequest, CreateWholeImageRequestBody
    return CreateWholeImageRequest(body=CreateWholeImageRequestBody(name="again", backup_id=backup_id))


def test_glance_show_of_a_full_ecs_image_deserializes(url, control, project):
    ims = ims_client(url, project)
    _, item = _backed_up_server(url, control, project)
    image_id = wait_job(ims, whole_image(ims, backup_id=item["id"])).entities.image_id
    shown = ims.glance_show_image(GlanceShowImageRequest(image_id))
    assert shown.id == image_id and shown.backup_id == item["id"] and shown.status == "active"
