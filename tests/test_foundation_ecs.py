"""ECS/EVS slice through the official EcsClient over real HTTP."""

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    BatchStartServersOption,
    BatchStartServersRequest,
    BatchStartServersRequestBody,
    BatchStopServersOption,
    BatchStopServersRequest,
    BatchStopServersRequestBody,
    ListServersDetailsRequest,
    ServerId,
    ShowJobRequest,
    ShowServerRequest,
)

from tests.support import ecs_client, new_project, server_spec


def _stop(client, server_id):
    body = BatchStopServersRequestBody(os_stop=BatchStopServersOption(servers=[ServerId(id=server_id)]))
    return client.batch_stop_servers(BatchStopServersRequest(body=body)).job_id


def _start(client, server_id):
    body = BatchStartServersRequestBody(os_start=BatchStartServersOption(servers=[ServerId(id=server_id)]))
    return client.batch_start_servers(BatchStartServersRequest(body=body)).job_id


def test_sdk_reads_a_seeded_server_and_its_volumes(url, control, project, api):
    spec = server_spec("web", shared=True)
    control.seed(project, [spec])
    server = ecs_client(url, project).show_server(ShowServerRequest(server_id=spec["id"])).server
    assert server.name == "web" and server.status == "ACTIVE"
    attached = server.os_extended_volumesvolumes_attached
    assert [a.id for a in attached] == [v["id"] for v in spec["volumes"]]
    shared = api.get(f"/v2/{{project_id}}/cloudvolumes/{spec['volumes'][1]['id']}").json()["volume"]
    system = api.get(f"/v2/{{project_id}}/cloudvolumes/{spec['volumes'][0]['id']}").json()["volume"]
    assert shared["multiattach"] is True and shared["bootable"] == "false"
    assert system["multiattach"] is False and system["bootable"] == "true" and system["size"] == 40


def test_stop_returns_a_job_polled_to_success(url, control, project):
    spec = server_spec()
    control.seed(project, [spec])
    client = ecs_client(url, project)
    job_id = _stop(client, spec["id"])
    assert len(job_id) == 32 and job_id.startswith("ff8080")
    job = client.show_job(ShowJobRequest(job_id=job_id))
    assert job.status == "SUCCESS" and job.job_type == "batchStopServers"
    assert client.show_server(ShowServerRequest(server_id=spec["id"])).server.status == "SHUTOFF"
    _start(client, spec["id"])
    assert client.show_server(ShowServerRequest(server_id=spec["id"])).server.status == "ACTIVE"


def test_job_stays_running_until_its_poll_budget(url, control, project):
    spec = server_spec()
    control.seed(project, [spec])
    assert control.put("/transitions", {"ecs.stop": "polls:3"}).status_code == 200
    client = ecs_client(url, project)
    job_id = _stop(client, spec["id"])
    seen = [client.show_job(ShowJobRequest(job_id=job_id)).status for _ in range(3)]
    assert seen == ["INIT", "RUNNING", "SUCCESS"]


def test_list_servers_filters_and_counts(url, control, project):
    control.seed(project, [server_spec("alpha"), server_spec("beta", status="SHUTOFF")])
    client = ecs_client(url, project)
    every = client.list_servers_details(ListServersDetailsRequest())
    assert every.count == 2
    stopped = client.list_servers_details(ListServersDetailsRequest(status="SHUTOFF"))
    assert [s.name for s in stopped.servers] == ["beta"]


def test_project_b_cannot_see_project_a(url, control, project):
    spec = server_spec()
    control.seed(project, [spec])
    other = ecs_client(url, new_project())
    with pytest.raises(ClientRequestException) as err:
        other.show_server(ShowServerRequest(server_id=spec["id"]))
    assert err.value.status_code == 404 and err.value.error_code == "Ecs.0114"
    assert other.list_servers_details(ListServersDetailsRequest()).count == 0
    with pytest.raises(ClientRequestException) as err:
        _stop(other, spec["id"])
    assert err.value.error_code == "Ecs.0114"


def test_unknown_server_and_volume_use_their_service_bodies(api):
    resp = api.get("/v1/{project_id}/cloudservers/nope")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"message": "Instance[nope] could not be found.", "code": "Ecs.0114"}}
    resp = api.get("/v2/{project_id}/cloudvolumes/nope")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "EVS.2003"
