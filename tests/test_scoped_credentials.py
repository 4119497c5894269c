"""Strict mode checks which project, not only who signed: a key scoped to projects (or to a domain's projects)
gets the gateway's 403 APIGW.0302 for any other project, through the official SDK; project ids must be
project ids; unscoped keys keep today's behaviour; keys can come from the environment or a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import ListServersDetailsRequest
from huaweicloudsdkims.v2 import ListImagesRequest

from ims_emulator import credentials
from tests.reliability_support import state
from tests.support import (
    AK,
    SK,
    Control,
    InProcessServer,
    SubprocessServer,
    ecs_client,
    ims_client,
    new_project,
    signed_call,
)

MINE, THEIRS, DOMAIN_B = new_project(), new_project(), new_project()
SCOPED_AK, SCOPED_SK = "AKSCOPEDTOONEPROJECT", "SKscoped/secret+key"
DOMAIN_AK, DOMAIN_SK = "AKDOMAINACME00000001", "SKdomain-acme"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    file = tmp_path_factory.mktemp("keys") / "keys.json"
    file.write_text(json.dumps({"domains": {"acme": [MINE, DOMAIN_B]},
                                "credentials": [{"ak": DOMAIN_AK, "sk": DOMAIN_SK, "domain": "acme"}]}))
    server = InProcessServer(auth="strict", credentials=f"{AK}:{SK},{SCOPED_AK}:{SCOPED_SK}@{MINE}",
                             credentials_file=str(file))
    yield server
    server.stop()


def _refused(call) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as err:
        call()
    return err.value


def test_a_scoped_key_uses_its_project(strict):
    client = ecs_client(strict.url, MINE, ak=SCOPED_AK, sk=SCOPED_SK)
    assert client.list_servers_details(ListServersDetailsRequest()).count == 0


@pytest.mark.parametrize("client", [ecs_client, ims_client])
def test_a_scoped_key_gets_the_gateways_403_for_another_project_and_nothing_changes(strict, client):
    before = state(Control(strict.url))
    sdk = client(strict.url, THEIRS, ak=SCOPED_AK, sk=SCOPED_SK)
    call = (lambda: sdk.list_servers_details(ListServersDetailsRequest())) if client is ecs_client else \
        (lambda: sdk.list_images(ListImagesRequest()))
    err = _refused(call)
    assert (err.status_code, err.error_code) == (403, "APIGW.0302")
    assert err.error_msg == "The IAM user is not authorized to access the API."
    assert state(Control(strict.url)) == before  # the other project was not registered


def test_a_domain_key_uses_every_project_of_its_domain_only(strict):
    for project in (MINE, DOMAIN_B):
        assert ims_client(strict.url, project, ak=DOMAIN_AK, sk=DOMAIN_SK).list_images(ListImagesRequest()).images == []
    err = _refused(lambda: ims_client(strict.url, THEIRS, ak=DOMAIN_AK, sk=DOMAIN_SK).list_images(ListImagesRequest()))
    assert (err.status_code, err.error_code) == (403, "APIGW.0302")


def test_an_unscoped_key_may_use_any_project(strict):
    for project in (MINE, THEIRS):
        assert ims_client(strict.url, project).list_images(ListImagesRequest()).images == []


@pytest.mark.parametrize("project", ["x", "../..", "A" * 4000, "0A1B2C3D4E5F60718293A4B5C6D7E8F9",
                                     "0a1b2c3d4e5f60718293a4b5c6d7e8f"])
def test_strict_mode_refuses_what_is_not_a_project_id_and_registers_nothing(strict, project):
    before = state(Control(strict.url))
    resp = signed_call(strict.url, project, "GET", "/v2/cloudimages")
    assert resp.status_code == 403 and resp.json()["error_code"] == "APIGW.0302", resp.text
    assert list(resp.json()) == ["error_msg", "error_code", "request_id"]
    assert state(Control(strict.url)) == before


def test_a_path_project_outside_the_scope_is_refused_too(strict):
    resp = signed_call(strict.url, MINE, "GET", f"/v1/{THEIRS}/cloudservers/detail", ak=SCOPED_AK, sk=SCOPED_SK)
    assert resp.status_code == 403 and resp.json()["error_code"] == "APIGW.0302"


def test_credentials_come_from_the_environment_and_a_file_not_the_command_line(tmp_path: Path):
    file = tmp_path / "keys.txt"
    file.write_text(f"{SCOPED_AK}:{SCOPED_SK}@{MINE}\n")
    server = SubprocessServer("--db", ":memory:", "--world", "none", "--auth", "strict", "--quiet",
                              env={"IMS_EMULATOR_CREDENTIALS": f"{AK}:{SK}",
                                   "IMS_EMULATOR_CREDENTIALS_FILE": str(file)})
    try:
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().decode()
        assert SK not in cmdline and SCOPED_SK not in cmdline
        assert ims_client(server.url, THEIRS).list_images(ListImagesRequest()).images == []
        err = _refused(lambda: ims_client(server.url, THEIRS, ak=SCOPED_AK, sk=SCOPED_SK)
                       .list_images(ListImagesRequest()))
        assert err.error_code == "APIGW.0302"
    finally:
        server.stop()


@pytest.mark.parametrize(("text", "problem"), [
    ("AK", "AK:SK pairs"), ("AK:", "AK:SK pairs"), (":SK", "AK:SK pairs")])
def test_bad_credential_text_names_the_flag_and_hides_the_secret(text, problem):
    with pytest.raises(ValueError) as err:
        credentials.parse_text(text, "--credentials")
    assert problem in str(err.value) and "--credentials" in str(err.value)


def test_an_sk_may_hold_at_signs_and_plus_signs():
    keys = credentials.parse_text(f"AK1:pa@ss+word,AK2:x@y@{MINE}", "--credentials")
    assert keys["AK1"].sk == "pa@ss+word" and keys["AK1"].projects is None
    assert keys["AK2"].sk == "x@y" and keys["AK2"].projects == frozenset({MINE})


@pytest.mark.parametrize(("doc", "problem"), [
    ({"credentials": [{"ak": "A", "sk": "S", "domain": "nope"}]}, "unknown domain"),
    ({"credentials": [{"ak": "A", "sk": "S", "projects": ["x"]}]}, "project ids"),
    ({"credentials": [{"ak": "A"}]}, "ak and sk"),
    ({"domains": {"d": "x"}, "credentials": []}, "project ids"),
])
def test_a_bad_credentials_file_is_named(tmp_path: Path, doc, problem):
    file = tmp_path / "k.json"
    file.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as err:
        credentials.parse_file(str(file))
    assert problem in str(err.value) and str(file) in str(err.value)
