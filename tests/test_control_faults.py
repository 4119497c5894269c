"""Fault rules as data: each action, scoping by project and resource, counts, and validation."""

from __future__ import annotations

import time

import pytest
import requests
from huaweicloudsdkcore.exceptions import exceptions as sdk_exc

from tests.control_support import Ecs, add_fault, fault, seeded_server
from tests.support import Api, new_project


@pytest.fixture
def ecs(url: str, project: str) -> Ecs:
    return Ecs(url, project)


def test_fail_job_makes_the_job_fail_with_the_code_and_changes_nothing(control, project, ecs):
    server = seeded_server(control, project)
    rule = add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=project,
                     error_code="Ecs.0100", message="host maintenance", times=1)
    failed = ecs.job(ecs.stop(server))
    assert (failed.status, failed.error_code, failed.fail_reason) == ("FAIL", "Ecs.0100", "host maintenance")
    assert ecs.server_status(server) == "ACTIVE"
    assert fault(control, rule["id"])["fired"] == 1
    assert ecs.status(ecs.stop(server)) == "SUCCESS"  # times=1: the next job is healthy


def test_fail_job_without_a_code_uses_the_operations_own(control, project, ecs):
    add_fault(control, operations=["ecs.*"], action="fail_job", project_id=project)
    assert ecs.job(ecs.stop(seeded_server(control, project))).error_code == "Ecs.0100"


def test_fail_job_shows_init_first_under_a_polls_policy(control, project, ecs):
    control.put("/transitions", {"ecs.stop": "polls:2"})
    add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=project)
    job = ecs.stop(seeded_server(control, project))
    assert [ecs.status(job), ecs.status(job)] == ["INIT", "FAIL"]


def test_http_error_answers_in_the_services_own_body(control, project, ecs):
    server = seeded_server(control, project)
    add_fault(control, operations=["ecs.show_server"], action="http_error", project_id=project,
              error_code="Ecs.0114", times=1)
    with pytest.raises(sdk_exc.ClientRequestException) as err:
        ecs.server_status(server)
    assert (err.value.status_code, err.value.error_code) == (404, "Ecs.0114")
    assert ecs.server_status(server) == "ACTIVE"


def test_http_error_with_status_and_default_code(control, url, project):
    add_fault(control, operations=["ecs.list_servers_details"], action="http_error", project_id=project,
              status=503, message="try later")
    resp = Api(url, project).get("/v1/{project_id}/cloudservers/detail")
    assert resp.status_code == 503
    assert resp.json() == {"error": {"message": "try later", "code": "Ecs.0001"}}


def test_http_error_before_a_write_stores_nothing(control, project, ecs):
    server = seeded_server(control, project)
    add_fault(control, operations=["ecs.batch_power_action"], action="http_error", project_id=project,
              error_code="Ecs.0100", times=1)
    with pytest.raises(sdk_exc.ClientRequestException):
        ecs.stop(server)
    assert control.get("/state").json()["projects"][project]["jobs"] == []


def test_delay_ms_delays_then_answers_normally(control, project, ecs):
    server = seeded_server(control, project)
    rule = add_fault(control, operations=["ecs.show_server"], action="delay_ms", delay_ms=300,
                     project_id=project, times=1)
    t0 = time.perf_counter()
    assert ecs.server_status(server) == "ACTIVE"
    assert time.perf_counter() - t0 >= 0.3
    assert fault(control, rule["id"])["fired"] == 1


def test_drop_connection_closes_without_a_response(control, url, project, ecs):
    server = seeded_server(control, project)
    add_fault(control, operations=["ecs.show_server"], action="drop_connection", project_id=project, times=2)
    with pytest.raises(requests.ConnectionError):
        Api(url, project).get(f"/v1/{{project_id}}/cloudservers/{server}")
    with pytest.raises(sdk_exc.ConnectionException):
        ecs.server_status(server)
    assert ecs.server_status(server) == "ACTIVE"


def test_a_rule_for_project_a_never_touches_project_b(control, url, project, ecs):
    other = new_project()
    mine, theirs = seeded_server(control, project), seeded_server(control, other)
    rule = add_fault(control, operations=["ecs.*"], action="fail_job", project_id=project)
    add_fault(control, operations=["*"], action="http_error", project_id=project, error_code="Ecs.0114")
    other_ecs = Ecs(url, other)
    assert other_ecs.status(other_ecs.stop(theirs)) == "SUCCESS"
    assert other_ecs.server_status(theirs) == "SHUTOFF"
    assert fault(control, rule["id"])["matched"] == 0
    with pytest.raises(sdk_exc.ClientRequestException):
        ecs.stop(mine)


def test_resource_id_scopes_a_rule_to_one_resource(control, project, ecs):
    a, b = seeded_server(control, project), seeded_server(control, project)
    add_fault(control, operations=["ecs.show_server"], action="http_error", project_id=project,
              resource_id=a, error_code="Ecs.0114")
    assert ecs.server_status(b) == "ACTIVE"
    with pytest.raises(sdk_exc.ClientRequestException):
        ecs.server_status(a)


def test_probability_with_a_seed_is_repeatable(control, url):
    outcomes = []
    for _ in range(2):
        project = new_project()
        server = seeded_server(control, project)
        add_fault(control, operations=["ecs.show_server"], action="http_error", project_id=project,
                  error_code="Ecs.0114", probability=0.5, seed=42)
        api = Api(url, project)
        outcomes.append([api.get(f"/v1/{{project_id}}/cloudservers/{server}").status_code for _ in range(12)])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 404}


def test_matched_and_fired_are_counted(control, project, ecs):
    server = seeded_server(control, project)
    rule = add_fault(control, operations=["ecs.show_server"], action="http_error", project_id=project,
                     error_code="Ecs.0114", probability=0.0)
    for _ in range(3):
        ecs.server_status(server)
    assert (fault(control, rule["id"])["matched"], fault(control, rule["id"])["fired"]) == (3, 0)


def test_list_delete_and_clear(control, project):
    other = new_project()
    a = add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=project)
    b = add_fault(control, operations=["ecs.start"], action="fail_job", project_id=project)
    c = add_fault(control, operations=["ecs.start"], action="fail_job", project_id=other)
    listed = control.get(f"/faults?project_id={project}").json()["faults"]
    assert [r["id"] for r in listed] == [a["id"], b["id"]]
    assert listed[0] == {"id": a["id"], "operations": ["ecs.stop"], "action": "fail_job", "project_id": project,
                         "matched": 0, "fired": 0}
    assert control.delete(f"/faults/{a['id']}").status_code == 204
    assert control.delete(f"/faults/{a['id']}").status_code == 404
    assert control.delete(f"/faults?project_id={project}").json() == {"removed": 1}
    remaining = [r["id"] for r in control.get("/faults").json()["faults"]]
    assert b["id"] not in remaining and c["id"] in remaining
    control.delete(f"/faults?project_id={other}")


def test_project_reset_removes_that_projects_rules(control, project):
    other = new_project()
    mine = add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=project)
    theirs = add_fault(control, operations=["ecs.stop"], action="fail_job", project_id=other)
    assert control.post("/reset", {"project_id": project}).status_code == 204
    ids = [r["id"] for r in control.get("/faults").json()["faults"]]
    assert mine["id"] not in ids and theirs["id"] in ids
    control.delete(f"/faults?project_id={other}")


@pytest.mark.parametrize(("rule", "says"), [
    ({"operations": ["ecs.hibernate"], "action": "fail_job"}, "ecs.stop"),
    ({"operations": ["ecs.show_server"], "action": "fail_job"}, "unknown operation"),
    ({"operations": ["ecs.stop"], "action": "http_error"}, "ecs.show_server"),
    ({"operations": ["nova.*"], "action": "http_error"}, "unknown operation"),
    ({"operations": [], "action": "fail_job"}, "operations"),
    ({"operations": ["ecs.stop"], "action": "explode"}, "action"),
    ({"operations": ["ecs.stop"], "action": "fail_job", "error_code": "IMG.9999"}, "catalogue"),
    ({"operations": ["ecs.stop"], "action": "fail_job", "status": 500}, "status"),
    ({"operations": ["ecs.show_server"], "action": "delay_ms"}, "delay_ms"),
    ({"operations": ["ecs.show_server"], "action": "delay_ms", "delay_ms": 600000}, "delay_ms"),
    ({"operations": ["ecs.show_server"], "action": "http_error", "status": 200}, "status"),
    ({"operations": ["ecs.stop"], "action": "fail_job", "times": 0}, "times"),
    ({"operations": ["ecs.stop"], "action": "fail_job", "probability": 2}, "probability"),
    ({"operations": ["ecs.stop"], "action": "fail_job", "colour": "red"}, "colour"),
])
def test_bad_rules_are_refused_and_nothing_is_stored(control, project, rule, says):
    resp = control.post("/faults", {**rule, "project_id": project})
    assert resp.status_code == 400
    assert says in resp.json()["error"]
    assert control.get(f"/faults?project_id={project}").json()["faults"] == []
