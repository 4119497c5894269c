"""Helpers for the tag / member / quota tests: images to work on, SDK model checks."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from contract_tests.compare import compare_response
from contract_tests.fixtures import load_fixture
from contract_tests.sdk_models import walk_response
from ims_emulator.domain.records import Entity
from tests.support import InProcessServer

IMAGE_KIND = "image"
_CLOCK = itertools.count(1_700_000_000)  # creation order = insertion order


def make_image(server: InProcessServer, project_id: str, *, name: str = "img", status: str = "active",
               source: str = "ecs", whole: bool = False, backup_shared_to_us: bool = False,
               visibility: str = "private", tags: list[str] | None = None, **doc: Any) -> str:
    """Store an image the way the images module does (kind "image", wire attributes + `_source`)."""
    image_id = str(uuid.uuid4())
    body = {
        "id": image_id, "name": name, "status": status, "visibility": visibility, "owner": project_id,
        "protected": False, "__imagetype": "gold" if visibility == "public" else "private",
        "__whole_image": "true" if whole else "false", "tags": list(tags or []),
        "_source": {"type": source, "whole": whole, "backup_shared_to_us": backup_shared_to_us}, **doc,
    }
    entity = Entity(kind=IMAGE_KIND, id=image_id, project_id=project_id, created_at=float(next(_CLOCK)), doc=body,
                    status=status, name=name)
    with server.app.config["DB"].write() as tx:
        tx.entities.insert(entity)
    return image_id


def image_doc(server: InProcessServer, image_id: str) -> dict[str, Any]:
    with server.app.config["DB"].read() as tx:
        entity = tx.entities.get(IMAGE_KIND, image_id)
    assert entity is not None
    return entity.doc


def sdk_problems(class_name: str, body: Any) -> list[str]:
    """Fields the SDK response model lacks, or values of the wrong JSON type (contract_tests walker)."""
    return [str(p) for p in walk_response("ims", class_name, body)]


def recording_problems(fixture: str, status: int, body: Any) -> list[str]:
    """Shape differences between an emulator answer and a recorded real one (fixtures/recorded/ims/)."""
    return [str(p) for p in compare_response(fixture, load_fixture(f"ims/{fixture}"), status, body)]


def recorded_request(fixture: str) -> Any:
    return load_fixture(f"ims/{fixture}")["request"]


# -- images made through the real APIs (sources matter for the sharing rules) ------------------------

def ecs_image(client: Any, control: Any, project: str, name: str = "sys") -> str:
    """An ordinary system image from a seeded ECS (CreateImage, job settled instantly)."""
    return ecs_image_with(client, control, project, name=name)


def ecs_image_with(client: Any, control: Any, project: str, name: str = "sys", **body: Any) -> str:
    from huaweicloudsdkims.v2 import CreateImageRequest, CreateImageRequestBody

    from tests.ims_support import seed_server, wait_job
    server = seed_server(control, project, status="SHUTOFF")
    job = client.create_image(CreateImageRequest(body=CreateImageRequestBody(
        name=name, instance_id=server["id"], **body)))
    return wait_job(client, job.job_id).entities.image_id


def whole_image_from(client: Any, control: Any, project: str, source: str, **seed: Any) -> str:
    """A full-ECS image from a seeded CBR / CSBS backup, or straight from an ECS ("ecs")."""
    from tests.ims_support import new_vault, seed_cbr, seed_csbs, seed_server, wait_job, whole_image
    server = seed_server(control, project, status="SHUTOFF")
    if source == "cbr":
        body = {"backup_id": seed_cbr(control, project, server["id"], **seed), "whole_image_type": "CBR"}
    elif source == "csbs":
        body = {"backup_id": seed_csbs(control, project, server["id"], **seed), "whole_image_type": "CSBS"}
    else:
        body = {"instance_id": server["id"], "vault_id": new_vault(control, project)}
    job = wait_job(client, whole_image(client, f"whole-{source}", **body))
    assert job.status == "SUCCESS", job
    return job.entities.image_id


def glance_image(url: str, project: str, name: str = "img", tags: list[str] | None = None) -> str:
    """An image record through the real API: GlanceCreateImageMetadata (status queued, tags kept as sent)."""
    from huaweicloudsdkims.v2 import GlanceCreateImageMetadataRequest, GlanceCreateImageMetadataRequestBody

    from tests.support import ims_client
    body = GlanceCreateImageMetadataRequestBody(name=name, tags=tags or [], container_format="bare",
                                                disk_format="qcow2", min_disk=40)
    return ims_client(url, project).glance_create_image_metadata(
        GlanceCreateImageMetadataRequest(body=body)).id
