"""Coverage: every SDK-client and CSBS operation, emulated or not, derived from the app's routes; COVERAGE.md and
the operation data stay current (regenerate both with `make coverage`)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from flask import Blueprint, Flask
from marshmallow import Schema, fields

from ims_emulator import coverage
from ims_emulator.coverage import generate

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "run `make coverage` to regenerate ims_emulator/coverage/operations.json and COVERAGE.md"


def test_coverage_md_is_current():
    expected = coverage.render_markdown(coverage.report(coverage.app_routes()))
    assert (ROOT / "COVERAGE.md").read_text(encoding="utf-8") == expected, f"COVERAGE.md is out of date: {REGENERATE}"


def test_operation_data_matches_the_installed_sdks():
    recorded = coverage.operations()
    fresh = generate.build()
    if fresh["sdk_versions"] == recorded["sdk_versions"]:
        assert generate.dump(fresh) == generate.dump(recorded), f"operations.json is stale: {REGENERATE}"
    else:  # a newer SDK may add operations; every recorded one must still be there, unchanged
        for name, svc in recorded["services"].items():
            now = {json.dumps(o, sort_keys=True) for o in fresh["services"][name]["operations"]}
            gone = [o["name"] for o in svc["operations"] if json.dumps(o, sort_keys=True) not in now]
            assert not gone, f"{name}: operations changed in the installed SDK: {gone}; {REGENERATE}"
    assert {s: len(v["operations"]) >= 1 for s, v in recorded["services"].items()} == dict.fromkeys(
        ("ims", "csbs", "ecs", "evs", "cbr"), True)
    assert len(recorded["services"]["csbs"]["operations"]) == 30  # the CSBS v1 API's 30 operations


def test_every_sdk_client_method_is_listed():
    from huaweicloudsdkims.v2 import ImsClient
    public = {n for n in dir(ImsClient) if not n.startswith("_") and hasattr(ImsClient, f"_{n}_http_info")}
    assert public == {o["name"] for o in coverage.operations()["services"]["ims"]["operations"]}
    assert coverage.operations()["sdk_versions"]["huaweicloudsdkims"]
    assert importlib.metadata.version("huaweicloudsdkims")


class PowerBody(Schema):  # the toy route's body schema (request_schemas finds it by name, as in api/ecs.py)
    os_start = fields.Raw(data_key="os-start")
    os_stop = fields.Raw(data_key="os-stop")


def _power_view(**_kw):
    return PowerBody().load({})


def _plain_view(**_kw):
    return ""


def _toy_report(*routes: tuple[str, str, object]) -> dict[str, bool]:
    """Which ECS operations of the real data a toy app with these (method, rule, view) routes serves, by name."""
    bp = Blueprint("ecs", __name__)
    for i, (method, rule, view) in enumerate(routes):
        bp.add_url_rule(rule, f"r{i}", view, methods=[method])
    app = Flask("toy")
    app.register_blueprint(bp)
    ops = coverage.report(app)["services"]["ecs"]["operations"]
    return {o["name"]: o["emulated"] for o in ops}


def test_a_literal_path_caught_by_an_id_route_is_not_emulated(monkeypatch):
    monkeypatch.setattr("ims_emulator.api.service_modules", lambda: [type("M", (), {"bp": Blueprint("ecs", "x"),
                                                                                 "SERVICE": "ecs"})])
    served = _toy_report(("GET", "/v1/<project_id>/cloudservers/<server_id>", _plain_view))
    assert served["show_server"] is True
    assert served["list_flavors"] is False  # GET /v1/{project_id}/cloudservers/flavors is not an id


def test_operations_sharing_a_path_are_told_apart_by_the_body(monkeypatch):
    monkeypatch.setattr("ims_emulator.api.service_modules", lambda: [type("M", (), {"bp": Blueprint("ecs", "x"),
                                                                                 "SERVICE": "ecs"})])
    served = _toy_report(("POST", "/v1/<project_id>/cloudservers/action", _power_view))
    assert (served["batch_start_servers"], served["batch_stop_servers"], served["batch_reboot_servers"]) == (
        True, True, False)


def test_the_endpoint_and_the_command_give_the_same_report(url):
    resp = requests.get(f"{url}/_emulator/coverage", timeout=30)
    assert resp.status_code == 200
    served = resp.json()
    ims = {o["name"]: o["emulated"] for o in served["services"]["ims"]["operations"]}
    assert ims["create_whole_image"] is True and served["services"]["ims"]["total"] == len(ims)
    cli = subprocess.run([sys.executable, "-m", "ims_emulator", "coverage", "--format", "json"], capture_output=True,
                         text=True, timeout=120, check=True)
    assert json.loads(cli.stdout) == served
    text = subprocess.run([sys.executable, "-m", "ims_emulator", "coverage", "--missing"], capture_output=True,
                          text=True, timeout=120, check=True).stdout
    assert "ims (ImsClient" in text and " yes " not in text


@pytest.mark.parametrize("service", ["ims", "csbs", "ecs", "evs", "cbr"])
def test_counts_add_up(url, service):
    svc = requests.get(f"{url}/_emulator/coverage", timeout=30).json()["services"][service]
    assert svc["emulated"] == sum(o["emulated"] for o in svc["operations"]) and svc["total"] == len(svc["operations"])
