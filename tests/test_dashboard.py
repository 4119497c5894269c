"""GET /_emulator/ui over HTTP: seeded state, pending work, policies, faults, recent requests, escaping, masking."""

from __future__ import annotations

import requests

from ims_emulator.api.dashboard import mask_header
from tests.control_support import Ecs, add_fault
from tests.csbs_support import Csbs
from tests.support import Api, new_project, server_spec


def page(url: str, **query: str) -> requests.Response:
    resp = requests.get(f"{url}/_emulator/ui", params=query, timeout=30)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    return resp


def test_shows_seeded_servers_of_the_project(url, control, project):
    other = new_project()
    control.seed(project, [server_spec("web-frontend"), server_spec("db-primary", status="SHUTOFF")],
                 project_name="team-blue")
    control.seed(other, [server_spec("someone-elses")])
    html = page(url, project_id=project).text
    assert "web-frontend" in html and "db-primary" in html and "team-blue" in html and "SHUTOFF" in html
    assert "someone-elses" not in html  # ?project_id= shows one project
    assert "someone-elses" in page(url).text


def test_names_are_escaped(url, control, project):
    control.seed(project, [server_spec("<script>alert('x')</script>")])
    html = page(url, project_id=project).text
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert" not in html


def test_refreshes_itself_unless_told_not_to(url):
    assert '<meta http-equiv="refresh" content="2">' in page(url).text
    assert '<meta http-equiv="refresh" content="5">' in page(url, refresh="5").text
    assert 'http-equiv="refresh"' not in page(url, refresh="0").text


def test_pending_work_shows_how_it_will_settle_and_the_policies(url, control, project):
    spec = server_spec("slow-stop")
    control.seed(project, [spec])
    control.put("/transitions", {"ecs.stop": "manual", "csbs.protect": "polls:4"})
    job_id = Ecs(url, project).stop(spec["id"])
    assert Csbs(url, project).protect(spec["id"], backup_name="nightly-1").status_code == 200
    html = page(url, project_id=project).text
    assert job_id in html and "<td>manual: POST /_emulator/settle</td>" in html
    assert "<td>csbs.protect: on poll 4 (seen 0)</td>" in html and "nightly-1" in html
    assert "<td>ecs.stop</td><td>manual</td>" in html and "<td>default</td><td>instant</td>" in html
    control.post("/settle", {"project_id": project})
    html = page(url, project_id=project).text
    assert "POST /_emulator/settle" not in html and "on poll" not in html and "SUCCESS" in html


def test_fault_rules_are_listed(url, control, project):
    rule = add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=project,
                     error_code="Ecs.0100", times=2)
    html = page(url).text
    assert rule["id"] in html and "fail_job" in html and "Ecs.0100" in html and "&times;2" in html


def test_last_requests_show_path_status_and_request_id(url, project):
    resp = Api(url, project).get("/v1/{project_id}/cloudservers/no-such-server")
    html = page(url).text
    assert f"/v1/{project}/cloudservers/no-such-server" in html
    assert resp.headers["X-Request-Id"] in html and '<td class="s4">404</td>' in html
    assert "ecs.show_server" in html


def test_secrets_of_callers_never_reach_the_page(url, project):
    headers = {"X-Project-Id": project}
    requests.get(f"{url}/v2/cloudimages", headers={**headers, "X-Auth-Token": "tok-very-secret-123"}, timeout=30)
    fake = "SDK-HMAC-SHA256 Access=AKDASHBOARDTEST, SignedHeaders=host;x-sdk-date, Signature=cafebabe0123456789"
    requests.get(f"{url}/v2/cloudimages", headers={**headers, "Authorization": fake}, timeout=30)
    html = page(url).text
    assert "tok-very-secret-123" not in html and "cafebabe0123456789" not in html
    assert "AK AKDASHBOARDTEST" in html and "<td class=\"id\">token</td>" in html


def test_header_masking_keeps_only_what_helps_debugging():
    signed = "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=abcdef"
    assert mask_header("Authorization", signed) == "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=***"
    assert mask_header("X-Auth-Token", "MIIabc") == "***"
    assert mask_header("authorization", "Bearer xyz") == "***"
    assert mask_header("X-Project-Id", "p1") == "p1"


def test_the_page_itself_is_not_listed_and_is_read_only(url):
    page(url)
    assert "/_emulator/ui" not in page(url).text
    assert requests.post(f"{url}/_emulator/ui", timeout=30).status_code in (404, 405)


def test_body_logging_never_writes_credentials():
    """--log-bodies --log-format json: bodies are logged, Authorization / X-Auth-Token values are not."""
    import io
    import json
    import logging

    from tests.support import InProcessServer
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    access = logging.getLogger("ims_emulator.access")
    access.addHandler(handler)
    server = InProcessServer(quiet=False, log_bodies=True, log_format="json")
    try:
        project = new_project()
        signed = "SDK-HMAC-SHA256 Access=AKLOGTEST, SignedHeaders=host, Signature=feedface99887766"
        requests.post(f"{server.url}/_emulator/seed", json={"project_id": project, "servers": []}, timeout=30)
        requests.get(f"{server.url}/v2/cloudimages", timeout=30,
                     headers={"X-Project-Id": project, "X-Auth-Token": "tok-log-secret-456"})
        requests.get(f"{server.url}/v2/cloudimages", timeout=30, headers={"X-Project-Id": project,
                                                                             "Authorization": signed})
    finally:
        server.stop()
        access.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert any(project in line.get("request_body", "") for line in lines)  # bodies really are logged
    text = stream.getvalue()
    assert "tok-log-secret-456" not in text and "feedface99887766" not in text


def _row(html: str, anchor: str) -> str:
    """The HTML of one table row, found by its id (rows link to each other by these ids)."""
    start = html.index(f'<tr id="{anchor}">')
    return html[start:html.index("</tr>", start)]


def test_volumes_backups_and_images_show_what_the_rules_hinge_on(url, control, project):
    from tests.worlds_support import ids, pipeline_project
    world = pipeline_project(project)
    shared = server_spec("cluster-1", shared=True)
    world["servers"].append(shared)
    assert control.post("/seed", world).status_code == 201
    server_id, backup_id, image_id = ids(world)
    html = page(url, project_id=project).text

    disk = next(v for v in shared["volumes"] if v.get("shareable"))
    volume = _row(html, f"volume-{disk['id']}")
    assert f"<td>{disk['size']}</td>" in volume and '<span class="flag">shareable</span>' in volume
    assert f'href="#server-{shared["id"]}">cluster-1</a>' in volume
    system = _row(html, f"volume-{world['servers'][0]['volumes'][0]['id']}")
    assert "<td>yes</td>" in system and "shareable</span>" not in system  # bootable, not shareable

    backup = _row(html, f"backup-{backup_id}")
    assert "<td>CSBS</td>" in backup and f'href="#server-{server_id}">app-1</a>' in backup
    assert f'href="#image-{image_id}">app-1-full</a>' in backup  # the image made from it
    image = _row(html, f"image-{image_id}")
    assert "<td>full-ECS</td>" in image and f'CSBS backup <a href="#backup-{backup_id}">app-1-nightly</a>' in image
    assert f'<tr id="server-{server_id}">' in html


def test_image_kinds_are_system_data_and_full_ecs():
    from ims_emulator.api.dashboard_rows import image_kind
    assert image_kind({"__whole_image": "true"}) == "full-ECS"
    assert image_kind({"virtual_env_type": "DataImage"}) == "data"
    assert image_kind({"virtual_env_type": "FusionCompute", "__whole_image": "false"}) == "system"


def test_refused_requests_show_their_error_code(url, project):
    api = Api(url, project)
    missing = api.get("/v1/{project_id}/cloudservers/11111111-2222-3333-4444-555555555555")
    unknown = requests.get(f"{url}/v9/nothing-here", headers={"X-Auth-Token": "t"}, timeout=30)
    html = page(url).text
    for resp in (missing, unknown):
        rid = resp.headers["X-Request-Id"]
        row = html[html.rindex("<tr>", 0, html.index(rid)):html.index("</tr>", html.index(rid))]
        assert f'<td class="s4">{resp.json().get("error", {}).get("code") or resp.json()["error_code"]}</td>' in row


def test_each_project_shows_its_own_clock_offset_and_transition_overrides(url, control, project):
    other = new_project()
    control.seed(project, [server_spec("timed")])
    control.seed(other, [server_spec("untouched")])
    assert control.post("/clock/advance", {"project_id": project, "seconds": 7200}).status_code == 200
    assert control.put("/transitions", {"project_id": project, "ecs.stop": "polls:3"}).status_code == 200
    html = page(url, project_id=project).text
    assert "<td>7200</td><td>ecs.stop=polls:3</td>" in html
    assert "<td>0</td><td></td>" in page(url, project_id=other).text  # the other project keeps the global clock
