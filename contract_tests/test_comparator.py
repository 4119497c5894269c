"""Unit tests of the comparator: it must catch a removed or renamed field, a wrong type, format or enum value."""

from __future__ import annotations

import copy

import pytest

from contract_tests.compare import (
    ENUM,
    EXTRA,
    FORMAT,
    MISSING,
    STATUS,
    TYPE,
    Allowance,
    Problem,
    compare_response,
    split,
)
from contract_tests.fixtures import load_fixture
from contract_tests.formats import classify, glob
from contract_tests.sdk_models import response_model, walk_response

JOB = "ims/show_job.imsCreateImageByInstance.success.200.json"
SERVER = "ecs/show_server.200.json"


def checks(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.check, p.path) for p in problems}


def test_a_recording_conforms_to_itself() -> None:
    rec = load_fixture(SERVER)
    assert compare_response(SERVER, rec, 200, rec["response"]) == []


def test_removing_a_field_fails() -> None:
    rec = load_fixture(JOB)
    body = copy.deepcopy(rec["response"])
    del body["entities"]["image_id"]
    assert checks(compare_response(JOB, rec, 200, body)) == {(MISSING, "$.entities.image_id")}


def test_renaming_a_field_fails_twice() -> None:
    rec = load_fixture(SERVER)
    body = copy.deepcopy(rec["response"])
    body["server"]["os_ext_sts_vm_state"] = body["server"].pop("OS-EXT-STS:vm_state")
    assert checks(compare_response(SERVER, rec, 200, body)) == {
        (MISSING, "$.server.OS-EXT-STS:vm_state"), (EXTRA, "$.server.os_ext_sts_vm_state")}


def test_a_field_in_a_list_element_is_checked() -> None:
    rec = load_fixture(SERVER)
    body = copy.deepcopy(rec["response"])
    del body["server"]["os-extended-volumes:volumes_attached"][0]["bootIndex"]
    assert (MISSING, "$.server.os-extended-volumes:volumes_attached[].bootIndex") in checks(
        compare_response(SERVER, rec, 200, body))


def test_wrong_type_format_enum_and_status() -> None:
    rec = load_fixture(JOB)
    body = copy.deepcopy(rec["response"])
    body["begin_time"] = "2024-11-06T06:19:43Z"         # seconds instead of millis
    body["job_id"] = "9a175ac7-92fa-12d2-0193-002100dd2762"  # a UUID where a 32-hex id is recorded
    body["status"] = "DONE"                              # not a documented job status
    body["entities"] = []                                # list where an object is recorded
    found = checks(compare_response(JOB, rec, 201, body))
    assert found == {(FORMAT, "$.begin_time"), (FORMAT, "$.job_id"), (ENUM, "$.status"), (TYPE, "$.entities"),
                     (STATUS, "$")}


def test_null_rules() -> None:
    rec = load_fixture(JOB)
    body = copy.deepcopy(rec["response"])
    body["error_code"] = "IMG.0001"      # recorded null: any type is accepted
    body["entities"]["image_name"] = None  # recorded value: an emulator null is a failure
    assert checks(compare_response(JOB, rec, 200, body)) == {(TYPE, "$.entities.image_name")}


def test_integer_rule() -> None:
    rec = {"status": 200, "response": {"count": 3, "speed": 28.1}}
    assert checks(compare_response("x/y.json", rec, 200, {"count": 3.5, "speed": 28})) == {(TYPE, "$.count")}


def test_id_keyed_maps_compare_by_format() -> None:
    rec = load_fixture(SERVER)
    body = copy.deepcopy(rec["response"])
    body["server"]["addresses"] = {"vpc-default": body["server"]["addresses"].popitem()[1]}
    assert checks(compare_response(SERVER, rec, 200, body)) == {(FORMAT, "$.server.addresses.<id>")}


def test_allow_list_covers_only_its_entry() -> None:
    problems = [Problem(EXTRA, "$.images[].__whole_image", "x"), Problem(EXTRA, "$.images[].other", "x")]
    allow = [Allowance("ims/list_images*", EXTRA, "$.images[].__whole_image", "because")]
    left, used = split(problems, "ims/list_images.gold.200.json", allow)
    assert [p.path for p in left] == ["$.images[].other"] and used == allow


@pytest.mark.parametrize("value, fmt", [
    ("2018-09-13T07:03:44Z", "ts:seconds_z"), ("2024-11-06T06:19:43.195Z", "ts:millis_z"),
    ("2017-04-18T01:21:52.701973", "ts:micros_naive"), ("2019-05-23T12:51:10.071+00:00", "ts:millis_offset"),
    ("2018-08-20 07:31:32", "ts:space_seconds"), ("04-Jun-2015 18:11:06:586", "ts:legacy_dmy"),
    ("4f4b3dfa-eb70-47cf-a60a-998a53bd598a", "uuid"), ("ff80808182645ca701827b4331bb3791", "hex32"),
    ("ecs-2ecf", None),
])
def test_classifier(value: str, fmt: str | None) -> None:
    assert classify(value) == fmt


def test_glob_treats_brackets_literally() -> None:
    assert glob("$.images[].*", "$.images[].status") and not glob("$.images[].x", "$.imagesX].x")


def test_sdk_walk_reports_unknown_fields_and_types() -> None:
    service, cls = response_model(JOB)  # type: ignore[misc]
    body = copy.deepcopy(load_fixture(JOB)["response"])
    body["entities"]["__data_images"] = "x"
    body["entities"]["process_percent"] = "half"
    found = {(p.path, p.detail.split(" ")[0]) for p in walk_response(service, cls, body)}
    assert found == {("$.entities.__data_images", "field"), ("$.entities.process_percent", "model")}


def test_a_live_answer_loses_conformance_when_mutated(emulator: object) -> None:
    """The same proof on a real emulator answer: conforming as served, failing once a field is dropped or renamed."""
    from contract_tests.env import Env
    from contract_tests.fixtures import load_allowlist
    from contract_tests.scenarios import run

    name = "csbs/show_checkpoint_item.200.json"
    rec, out = load_fixture(name), run(Env(emulator.url), name)  # type: ignore[attr-defined]
    assert split(compare_response(name, rec, out.status, out.body), name, load_allowlist())[0] == []
    item = copy.deepcopy(out.body)
    del item["checkpoint_item"]["extend_info"]["volume_backups"]
    item["checkpoint_item"]["checkpointId"] = item["checkpoint_item"].pop("checkpoint_id")
    assert checks(compare_response(name, rec, out.status, item)) == {
        (MISSING, "$.checkpoint_item.extend_info.volume_backups"), (MISSING, "$.checkpoint_item.checkpoint_id"),
        (EXTRA, "$.checkpoint_item.checkpointId")}
