"""Settling: due work settles whoever asks; which reads count as polls is declared per operation and applied
by the request pipeline (every declared route is driven here, generated from the URL map)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import huaweicloudsdkims.v2 as ims
import pytest
from flask import Flask
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from ims_emulator.domain import polls
from tests.cbr_support import checkpoint, create_vault
from tests.ims_misc_support import ecs_image
from tests.ims_sharing_support import answer, share
from tests.ims_support import seed_csbs, seed_server, wait_job
from tests.support import Control, InProcessServer, cbr_client, ims_client, new_project, signed_call

API = Path(__file__).resolve().parents[1] / "ims_emulator" / "api"


# -- defect 5: an instant share is there for the member at once ---------------------------------------

def test_an_instant_share_is_answered_at_once_by_the_member(control, url, project):
    owner, friend_id = ims_client(url, project), new_project()
    friend = ims_client(url, friend_id)
    image_id = ecs_image(owner, control, project)
    share(owner, [image_id], [friend_id])  # the owner's last request: nobody on its side looks again
    job = wait_job(friend, answer(friend, [image_id], friend_id, "accepted"))
    assert (job.status, job.error_code) == ("SUCCESS", None)
    assert friend.glance_show_image(ims.GlanceShowImageRequest(image_id=image_id)).id == image_id
    members = owner.list_image_members(ims.ListImageMembersRequest(image_id=image_id)).members
    assert [(m.member_id, m.status) for m in members] == [(friend_id, "accepted")]


def test_timed_work_of_one_project_settles_when_another_reads_what_it_made(control, url, project):
    owner, friend_id = ims_client(url, project), new_project()
    friend = ims_client(url, friend_id)
    image_id = ecs_image(owner, control, project)
    control.put("/transitions", {"ims.batch_add_members": "seconds:30"})
    share(owner, [image_id], [friend_id])
    with pytest.raises(ClientRequestException) as early:  # not due yet: the member is not there
        answer(friend, [image_id], friend_id, "accepted")
    assert early.value.error_code == "IMG.0027"
    assert control.post("/clock/advance", {"seconds": 31}).status_code == 200
    assert wait_job(friend, answer(friend, [image_id], friend_id, "accepted")).status == "SUCCESS"


# -- the declaration ----------------------------------------------------------------------------------

def _declared(app: Flask) -> dict[str, tuple[str, str, str | None]]:
    """endpoint -> (URL rule, poll target, resource argument) for every route that declares polls."""
    out = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "polls", None):
            out[rule.endpoint] = (rule.rule, view.polls, view.resource_arg)
    return out


def test_every_declared_poll_names_a_target_and_a_route_argument(emulator: InProcessServer):
    declared = _declared(emulator.app)
    assert declared, "no route declares polls"
    for endpoint, (rule, target, arg) in declared.items():
        assert target in polls.TARGETS, endpoint
        assert arg is None or f"<{arg}>" in rule, endpoint
    assert {t for _, t, _ in declared.values()} == set(polls.TARGETS)  # no target without a route


def test_no_route_polls_or_settles_by_itself():
    """Polls and settling are the pipeline's (and the control API's): no service view calls them."""
    calls = {"poll", "poll_read", "settle", "settle_due", "settle_pending", "working_on"}
    for path in sorted(API.glob("*.py")):
        if path.name == "pipeline.py" or path.name.startswith("control"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in calls, f"{path.name}:{node.lineno} calls {node.func.attr}"


# One way per target to leave work pending under polls:3 -> (resource id for the route, the task's op).
Maker = Callable[[Control, str, str], tuple[str | None, str]]


def _share_job(control: Control, url: str, project: str) -> tuple[str | None, str]:
    client = ims_client(url, project)
    image_id = ecs_image(client, control, project)
    control.put("/transitions", {"ims.batch_add_members": "polls:3"})
    return share(client, [image_id], [new_project()]), "ims.batch_add_members"


def _image_being_made(control: Control, url: str, project: str) -> tuple[str | None, str]:
    server = seed_server(control, project, status="SHUTOFF")
    control.put("/transitions", {"ims.create_image": "polls:3"})
    resp = signed_call(url, project, "POST", "/v2/cloudimages/action",
                       {"name": "img", "instance_id": server["id"]})
    assert resp.status_code == 200, resp.text
    return _entity_of(control, project, "ims.create_image"), "ims.create_image"


def _csbs_item(control: Control, url: str, project: str) -> tuple[str | None, str]:
    server = seed_server(control, project)
    control.put("/transitions", {"csbs.protect": "polls:3"})
    resp = signed_call(url, project, "POST", f"/v1/{project}/providers/fc4d5750-22e7-4798-8a46-f48f62c4c1da"
                       f"/resources/{server['id']}/action", {"protect": {}})
    assert resp.status_code == 200, resp.text
    return _entity_of(control, project, "csbs.protect"), "csbs.protect"


def _checkpoint(control: Control, url: str, project: str) -> str:
    client = cbr_client(url, project)
    vault = create_vault(client, server_ids=(seed_server(control, project)["id"],))
    control.put("/transitions", {"cbr.create_checkpoint": "polls:3"})
    return checkpoint(client, vault.id).id


def _cbr_checkpoint(control: Control, url: str, project: str) -> tuple[str | None, str]:
    return _checkpoint(control, url, project), "cbr.create_checkpoint"


def _cbr_backup(control: Control, url: str, project: str) -> tuple[str | None, str]:
    _checkpoint(control, url, project)
    (backup,) = _state(control, project)["cbr_backup"]  # not listed: a list read is a poll too
    return backup["id"], "cbr.create_checkpoint"


def _cbr_list(control: Control, url: str, project: str) -> tuple[str | None, str]:
    _checkpoint(control, url, project)
    return None, "cbr.create_checkpoint"


def _cbr_migration(control: Control, url: str, project: str) -> tuple[str | None, str]:
    seed_csbs(control, project, seed_server(control, project)["id"])
    control.put("/transitions", {"cbr.migrate": "polls:3"})
    resp = signed_call(url, project, "POST", "/v3/migrates", {"all_regions": True, "reservation": 0.2})
    assert resp.status_code == 200, resp.text
    return None, "cbr.migrate"


def _server_being_built(control: Control, url: str, project: str) -> tuple[str | None, str]:
    image_id = ecs_image(ims_client(url, project), control, project)
    control.put("/transitions", {"ecs.create": "polls:3"})
    body = {"server": {"imageRef": image_id, "flavorRef": "s6.large.2", "name": "built", "vpcid": new_project(),
                       "nics": [{"subnet_id": new_project()}], "root_volume": {"volumetype": "SSD"}}}
    resp = signed_call(url, project, "POST", f"/v1.1/{project}/cloudservers", body)
    assert resp.status_code == 200, resp.text
    return resp.json()["serverIds"][0], "ecs.create"


MAKERS: dict[str, Maker] = {"job": _share_job, "image": _image_being_made, "csbs.item": _csbs_item,
                            "ecs.server": _server_being_built,
                            "cbr.checkpoint": _cbr_checkpoint, "cbr.backup": _cbr_backup, "cbr.backups": _cbr_list,
                            "cbr.migration": _cbr_migration}


def _state(control: Control, project: str) -> dict[str, Any]:
    return control.get("/state").json()["projects"][project]


def _task(control: Control, project: str, op: str) -> dict[str, Any]:
    (task,) = [j for j in _state(control, project)["jobs"] if j["op"] == op]
    return task


def _entity_of(control: Control, project: str, op: str) -> str:
    return _task(control, project, op)["entity_id"]


def _endpoints() -> list[str]:
    from ims_emulator.app import create_app
    from ims_emulator.settings import Settings
    return sorted(_declared(create_app(Settings(db=":memory:", world="none", quiet=True), seed_world=False)))


@pytest.mark.parametrize("endpoint", _endpoints())
def test_each_declared_read_counts_one_poll_and_a_foreign_read_none(emulator, control, url, project, endpoint):
    rule, target, arg = _declared(emulator.app)[endpoint]
    resource_id, op = MAKERS[target](control, url, project)
    path = rule.replace("<project_id>", project)
    if arg is not None:
        path = path.replace(f"<{arg}>", resource_id or "")
    stranger = new_project()
    foreign = signed_call(url, stranger, "GET", path.replace(project, stranger))
    if arg is not None:  # another project naming the resource: the service's not-found, nothing polled
        assert foreign.status_code in (400, 404), foreign.text
    assert _task(control, project, op)["settles"] == "on poll 3 (seen 0)"
    resp = signed_call(url, project, "GET", path)
    assert resp.status_code == 200, resp.text
    assert _task(control, project, op)["settles"] == "on poll 3 (seen 1)"
