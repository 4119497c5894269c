"""`ims-emulator record` / `parity`: the SDK (loose, any AK) -> the recording proxy -> an upstream emulator in strict
mode whose credentials only the proxy knows. Recordings land in the fixtures/ format with placeholders and no
secret, the contract tests accept them, and parity mode reports a different emulator and only a different one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    BatchStopServersOption,
    BatchStopServersRequest,
    BatchStopServersRequestBody,
    ServerId,
    ShowJobRequest,
    ShowServerRequest,
)
from huaweicloudsdkims.v2 import (
    CreateImageRequest,
    CreateImageRequestBody,
    CreateWholeImageRequest,
    CreateWholeImageRequestBody,
    ListImagesRequest,
    ShowJobProgressRequest,
)

from contract_tests import recordings
from contract_tests.__main__ import main as contract_main
from ims_emulator.proxy.forward import Upstream, parse_upstream
from ims_emulator.proxy.parity import InProcessShadow, UrlShadow
from ims_emulator.proxy.server import Proxy, ProxyConfig, ProxyServer
from tests.support import InProcessServer, ecs_client, ims_client

UP_AK, UP_SK = "AKUPSTREAMONLY000001", "SKupstream/only+proxy-knows"  # the "real" account's credentials
CLIENT_AK, CLIENT_SK = "AKCLIENTANYTHING0001", "SKclient-anything"
REAL_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"   # the default world's project: the upstream account's
CLIENT_PROJECT = "1234567890abcdef1234567890abcdef"  # what the user's suite is configured with
WEB_1, DB_1 = "5c2e9b1a-7d4f-4e8a-9b3c-1a2b3c4d5e01", "5c2e9b1a-7d4f-4e8a-9b3c-1a2b3c4d5e02"


def strict_upstream() -> InProcessServer:
    return InProcessServer(world="default", auth="strict", credentials=f"{UP_AK}:{UP_SK}")


def upstream_of(server: InProcessServer) -> Upstream:
    return parse_upstream(server.url, allow_http=True)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two strict upstreams (IMS on one, ECS on the other) behind one recording proxy."""
    ims_up, ecs_up = strict_upstream(), strict_upstream()
    cfg = ProxyConfig({"ims": upstream_of(ims_up), "ecs": upstream_of(ecs_up)}, UP_AK, UP_SK,
                      out=tmp_path / "rec", project_id=REAL_PROJECT, quiet=True)
    proxy = ProxyServer(Proxy(cfg))
    try:
        yield {"proxy": proxy, "ims_up": ims_up, "ecs_up": ecs_up, "out": cfg.out}
    finally:
        proxy.stop()
        ims_up.stop()
        ecs_up.stop()


def drive(url: str) -> dict[str, Any]:
    """A user's suite: create an image and poll it, list, an error, stop a server and poll the ECS job."""
    ims = ims_client(url, CLIENT_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK)
    ecs = ecs_client(url, CLIENT_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK)
    body = CreateImageRequestBody(name="recorded-img", instance_id=DB_1)
    job_id = ims.create_image(CreateImageRequest(body=body)).job_id
    job = ims.show_job_progress(ShowJobProgressRequest(job_id=job_id))
    listed = ims.list_images(ListImagesRequest(name="recorded-img"))
    with pytest.raises(ClientRequestException) as refused:
        ims.create_whole_image(CreateWholeImageRequest(body=CreateWholeImageRequestBody(
            name="whole", backup_id=str(uuid.uuid4()), whole_image_type="CSBS")))
    stop = BatchStopServersRequestBody(os_stop=BatchStopServersOption(servers=[ServerId(id=WEB_1)]))
    ecs_job = ecs.show_job(ShowJobRequest(job_id=ecs.batch_stop_servers(BatchStopServersRequest(body=stop)).job_id))
    server = ecs.show_server(ShowServerRequest(server_id=WEB_1)).server
    return {"job": job, "listed": listed, "refused": refused.value, "ecs_job": ecs_job, "server": server}


def all_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_sdk_works_through_the_proxy_and_each_service_reaches_its_upstream(proxied: dict[str, Any]) -> None:
    seen = drive(proxied["proxy"].url)

    assert seen["job"].status == "SUCCESS"
    assert [i.id for i in seen["listed"].images] == [seen["job"].entities.image_id]
    assert (seen["refused"].status_code, seen["refused"].error_code) == (400, "IMG.0127")
    assert seen["ecs_job"].status == "SUCCESS"  # the ECS job was polled where it was made
    # the stop went to the ECS upstream only; the image to the IMS upstream only
    assert seen["server"].status == "SHUTOFF"
    ims_state = requests.get(proxied["ims_up"].url + "/_emulator/state", timeout=10).json()["projects"][REAL_PROJECT]
    ecs_state = requests.get(proxied["ecs_up"].url + "/_emulator/state", timeout=10).json()["projects"][REAL_PROJECT]
    assert {s["status"] for s in ims_state["servers"] if s["id"] == WEB_1} == {"ACTIVE"}
    assert [i["name"] for i in ims_state["images"]] == ["recorded-img"] and not ecs_state["images"]


def test_the_upstream_refuses_the_clients_own_signature(proxied: dict[str, Any]) -> None:
    ims = ims_client(proxied["ims_up"].url, REAL_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK)
    with pytest.raises(ClientRequestException) as refused:
        ims.list_images(ListImagesRequest(limit=1))
    assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301")


def test_recordings_are_fixtures_with_placeholders_and_no_secret(proxied: dict[str, Any]) -> None:
    seen = drive(proxied["proxy"].url)
    out: Path = proxied["out"]
    session = json.loads((out / "session.json").read_text())
    assert [n.rsplit(".", 3)[0] + "." + n.rsplit(".", 2)[-2] for n in session["exchanges"]] == [
        "ims/create_image.200", "ims/show_job_progress.200", "ims/list_images.200", "ims/create_whole_image.400",
        "ecs/batch_power_action.200", "ecs/show_job.200", "ecs/show_server.200"]
    placeholder = "aaaaaaaa" + "0" * 23 + "1"
    first = json.loads((out / session["exchanges"][1]).read_text())
    assert {"source", "operation", "method", "path", "status", "request", "response"} <= set(first)
    assert (first["method"], first["path"], first["status"]) == ("GET", "/v1/cloudimages/job/{job_id}", 200)
    ecs_job = json.loads((out / session["exchanges"][5]).read_text())
    assert ecs_job["path"] == "/v1/{project_id}/jobs/{job_id}" and ecs_job["url"].startswith(f"/v1/{placeholder}/")
    assert first["request_headers"]["X-Project-Id"] == placeholder
    assert first["headers"]["X-Request-Id"].startswith("eeeeeeee")
    listed = json.loads((out / session["exchanges"][2]).read_text())
    assert listed["query"] == "name=recorded-img" and listed["response"]["images"][0]["owner"] == placeholder
    server = json.loads((out / session["exchanges"][6]).read_text())["response"]["server"]
    real_ip = [a.addr for nets in seen["server"].addresses.values() for a in nets][0]
    assert [a["addr"] for nets in server["addresses"].values() for a in nets] == ["192.0.2.2"]  # .1: the upstream
    assert server["tenant_id"] == placeholder
    text = all_text(out)
    for secret in (UP_SK, UP_AK, CLIENT_SK, CLIENT_AK, REAL_PROJECT, CLIENT_PROJECT, "127.0.0.1", real_ip):
        assert secret not in text, secret


def test_the_contract_tests_accept_the_recordings(proxied: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    drive(proxied["proxy"].url)
    out: Path = proxied["out"]
    assert contract_main(["--recordings", str(out), "--world", "default"]) == 0
    assert "7 of 7 recordings conform" in capsys.readouterr().out
    # a recording the emulator does not match fails: the replay really compares
    listed = next(out.glob("ims/list_images.*.json"))
    rec = json.loads(listed.read_text())
    rec["response"]["images"][0]["min_disk"] = "40"
    listed.write_text(json.dumps(rec))
    failing = [r for r in recordings.replay(out, world="default") if not r.ok]
    assert [(r.fixture, [str(p) for p in r.problems]) for r in failing] == [
        (listed.relative_to(out).as_posix(), ["[type] $.images[].min_disk: expected str, got int (40)"])]


def parity_run(tmp_path: Path, shadow: Any) -> dict[str, Any]:
    upstream = strict_upstream()
    cfg = ProxyConfig({"*": upstream_of(upstream)}, UP_AK, UP_SK, out=tmp_path / "parity",
                      project_id=REAL_PROJECT, quiet=True)
    proxy = ProxyServer(Proxy(cfg, shadow))
    try:
        drive(proxy.url)
    finally:
        proxy.stop()
        upstream.stop()
    return json.loads((cfg.out / "parity.json").read_text())


def test_parity_with_an_identical_emulator_shows_no_difference(tmp_path: Path) -> None:
    report = parity_run(tmp_path, InProcessShadow("default", "instant"))
    assert sum(row["calls"] for row in report.values()) == 7
    assert {op: row["differences"] for op, row in report.items() if row["differences"]} == {}


def test_parity_shows_an_emulator_whose_jobs_take_longer(tmp_path: Path) -> None:
    report = parity_run(tmp_path, InProcessShadow("default", "default=polls:3"))
    diffs = {op: [d["difference"] for d in row["differences"]] for op, row in report.items() if row["differences"]}
    assert set(diffs) == {"ims.show_job_progress", "ecs.show_job", "ims.list_images"}  # saving: no active_at yet
    running = "[enum] $.status: 'INIT', the recording shows 'SUCCESS' for this situation"  # first read of polls:3
    assert running in diffs["ims.show_job_progress"] and running in diffs["ecs.show_job"]
    assert "[missing] $.images[].active_at: recorded key absent from the emulator's response" in diffs[
        "ims.list_images"]


def test_parity_shows_an_emulator_at_a_url_with_a_fault(tmp_path: Path) -> None:
    emulator = InProcessServer(world="default")
    requests.post(emulator.url + "/_emulator/faults", json={"operations": ["ims.list_images"],
                  "action": "http_error", "error_code": "IMG.0024"}, timeout=10).raise_for_status()
    try:
        report = parity_run(tmp_path, UrlShadow(emulator.url, timeout=10))
    finally:
        emulator.stop()
    diffs = {op: [d["difference"] for d in row["differences"]] for op, row in report.items() if row["differences"]}
    assert list(diffs) == ["ims.list_images"]
    assert "[status] $: expected HTTP 200, got 400" in diffs["ims.list_images"]
    assert "ims.list_images" in (tmp_path / "parity" / "parity.md").read_text()


def test_the_command_line_refuses_plain_http_and_keeps_credentials_out_of_output(tmp_path: Path) -> None:
    upstream = strict_upstream()
    out = tmp_path / "cli"
    base = [sys.executable, "-m", "ims_emulator", "record", "--upstream", upstream.url, "--out", str(out),
            "--port", "0"]
    env = {**os.environ, "IMS_EMULATOR_UPSTREAM_CREDENTIALS": f"{UP_AK}:{UP_SK}"}
    try:
        refused = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "--allow-http" in refused.stderr and not out.exists()
        proc = subprocess.Popen([*base, "--allow-http"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            url = line.split("listening on ", 1)[1].split()[0]
            listed = ims_client(url, REAL_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK).list_images(ListImagesRequest(limit=1))
            assert listed.images is not None
        finally:
            proc.terminate()
            stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "recorded 1 exchange" in stdout
        assert "GET /v2/cloudimages -> ims 200" in stderr
        for secret in (UP_SK, UP_AK, REAL_PROJECT):
            assert secret not in line + stdout + stderr and secret not in all_text(out)
        again = subprocess.run([*base, "--allow-http"], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 2 and "not empty" in again.stderr
    finally:
        upstream.stop()


def test_the_proxy_keeps_to_its_own_business(proxied: dict[str, Any]) -> None:
    url = proxied["proxy"].url
    control = requests.get(url + "/_emulator/state", timeout=10)
    assert (control.status_code, control.json()["error_code"]) == (404, "APIGW.0101")
    huge = requests.post(url + "/v2/cloudimages/action", data=b"x" * (12 * 1024 * 1024 + 1),
                         headers={"X-Project-Id": CLIENT_PROJECT}, timeout=30)
    assert huge.status_code == 413
    unknown = requests.get(url + "/v9/not-an-api", headers={"X-Project-Id": CLIENT_PROJECT}, timeout=10)
    assert (unknown.status_code, unknown.json()["error_code"]) == (502, "PROXY.0502")  # no catch-all upstream
    assert not (proxied["out"] / "session.json").exists()  # nothing went upstream, nothing recorded


def test_parity_with_an_emulator_that_does_not_answer_still_serves_the_client(tmp_path: Path) -> None:
    gone = InProcessServer()
    gone.stop()  # a port nothing listens on any more
    report = parity_run(tmp_path, UrlShadow(gone.url, timeout=5))  # drive() got every upstream answer
    assert sum(row["calls"] for row in report.values()) == sum(row["differing_calls"] for row in report.values()) == 7
    assert all(d["difference"].startswith("[emulator] $: no answer (UpstreamError: ConnectionRefusedError")
               for row in report.values() for d in row["differences"])


def test_ims_emulator_parity_mirrors_the_upstreams_servers_and_finds_no_difference(tmp_path: Path) -> None:
    upstream = strict_upstream()
    out = tmp_path / "cli-parity"
    cmd = [sys.executable, "-m", "ims_emulator", "parity", "--upstream", upstream.url, "--allow-http",
           "--out", str(out), "--port", "0", "--project-id", REAL_PROJECT, "--credentials", f"{UP_AK}:{UP_SK}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        mirrored = proc.stdout.readline()  # type: ignore[union-attr]
        listening = proc.stdout.readline()  # type: ignore[union-attr]
        assert "3 server(s) read from the upstream" in mirrored, mirrored + proc.stderr.read()  # type: ignore
        drive(listening.split("listening on ", 1)[1].split()[0])
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
        upstream.stop()
    report = json.loads((out / "parity.json").read_text())
    assert sum(row["calls"] for row in report.values()) == 7
    assert {op: row["differences"] for op, row in report.items() if row["differences"]} == {}
    assert "7 of 7 operations answer like the upstream" in (out / "parity.md").read_text()
    world = json.loads((out / "world.json").read_text())  # the mirrored world, with placeholders
    assert world["projects"][0]["project_id"] == "aaaaaaaa" + "0" * 23 + "1"
    assert {s["id"] for s in world["projects"][0]["servers"]} >= {WEB_1, DB_1}
    assert REAL_PROJECT not in all_text(out) and UP_SK not in all_text(out)
    replayed = recordings.replay(out)  # offline, from world.json
    assert len(replayed) == 7 and [r.fixture for r in replayed if not r.ok] == []


def test_the_replay_settles_jobs_where_the_recording_shows_them_settled(tmp_path: Path) -> None:
    """Real jobs take time: a session polls INIT before SUCCESS; the replay follows the recording."""
    upstream = InProcessServer(world="default", auth="strict", credentials=f"{UP_AK}:{UP_SK}",
                               transitions="default=polls:2")
    cfg = ProxyConfig({"*": upstream_of(upstream)}, UP_AK, UP_SK, out=tmp_path / "slow", project_id=REAL_PROJECT,
                      quiet=True)
    proxy = ProxyServer(Proxy(cfg))
    try:
        ims = ims_client(proxy.url, CLIENT_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK)
        job_id = ims.create_image(CreateImageRequest(body=CreateImageRequestBody(name="slow", instance_id=DB_1))).job_id
        polls = [ims.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status for _ in range(2)]
        ims.list_images(ListImagesRequest(name="slow"))
    finally:
        proxy.stop()
        upstream.stop()
    assert polls == ["INIT", "SUCCESS"]  # polls:2: the first read shows the job queued
    paced = recordings.replay(cfg.out, world="default")
    assert [(r.fixture, r.problems) for r in paced if not r.ok] == []
    instant = recordings.replay(cfg.out, world="default", transitions="instant")
    running = "[enum] $.status: 'SUCCESS', the recording shows 'INIT' for this situation"
    assert [r.fixture for r in instant if not r.ok] == ["ims/show_job_progress.0002.200.json"]
    assert running in [str(p) for p in instant[1].problems]


def test_parity_follows_the_upstreams_pace(tmp_path: Path) -> None:
    """The real cloud's jobs take time: a paced emulator answers INIT where the upstream did, then SUCCESS."""
    upstream = InProcessServer(world="default", auth="strict", credentials=f"{UP_AK}:{UP_SK}",
                               transitions="default=polls:2")
    cfg = ProxyConfig({"*": upstream_of(upstream)}, UP_AK, UP_SK, out=tmp_path / "paced", project_id=REAL_PROJECT,
                      quiet=True)
    proxy = ProxyServer(Proxy(cfg, InProcessShadow("default", "recorded")))
    try:
        ims = ims_client(proxy.url, CLIENT_PROJECT, ak=CLIENT_AK, sk=CLIENT_SK)
        job_id = ims.create_image(CreateImageRequest(body=CreateImageRequestBody(name="slow", instance_id=DB_1))).job_id
        polls = [ims.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status for _ in range(2)]
        ims.list_images(ListImagesRequest(name="slow"))
    finally:
        proxy.stop()
        upstream.stop()
    assert polls == ["INIT", "SUCCESS"]  # polls:2: the first read shows the job queued
    report = json.loads((cfg.out / "parity.json").read_text())
    assert report["ims.show_job_progress"]["calls"] == 2
    assert {op: row["differences"] for op, row in report.items() if row["differences"]} == {}


def test_an_upstream_that_never_answers_is_a_502_after_the_timeout(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts connections (in the backlog) and never answers
    cfg = ProxyConfig({"*": Upstream("http", "127.0.0.1", silent.getsockname()[1])}, UP_AK, UP_SK,
                      out=tmp_path / "silent", timeout=0.3, quiet=True)
    proxy = ProxyServer(Proxy(cfg))
    try:
        resp = requests.get(proxy.url + "/v2/cloudimages", headers={"X-Project-Id": REAL_PROJECT}, timeout=30)
    finally:
        proxy.stop()
        silent.close()
    assert resp.status_code == 502 and resp.json()["error_code"] == "PROXY.0502"
    assert "timed out" in resp.json()["error_msg"] and not (cfg.out / "session.json").exists()
