"""The recording proxy's pure parts: placeholders, id translation, upstream and credential options."""

from __future__ import annotations

from typing import Any

import pytest

from ims_emulator.proxy.cli import parse_credentials, parse_upstreams
from ims_emulator.proxy.idmap import IdMap
from ims_emulator.proxy.mirror import world_from_upstream
from ims_emulator.proxy.routes import match
from ims_emulator.proxy.scrub import Placeholders

PROJECT, OTHER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "1b2c3d4e5f60718293a4b5c6d7e8f90a"


def test_identifying_values_get_shape_keeping_placeholders_consistently() -> None:
    ph = Placeholders()
    ph.learn_json({"owner": PROJECT, "projects": [OTHER], "domain_id": "d" * 31 + "1", "user_id": "u-1234567",
                   "request_id": "0123456789abcdef0123456789abcdef"})
    ph.learn_headers({"X-Request-Id": "fedcba9876543210fedcba9876543210"})
    out = ph.json({"link": f"https://ims.example/v1/{PROJECT}/images", "member": OTHER, "owner": PROJECT,
                   "domain": "d" * 31 + "1", "by": "u-1234567", "request_id": "0123456789abcdef0123456789abcdef"})
    assert out == {"link": "https://ims.example/v1/aaaaaaaa000000000000000000000001/images",
                   "member": "aaaaaaaa000000000000000000000002", "owner": "aaaaaaaa000000000000000000000001",
                   "domain": "dddddddd000000000000000000000001", "by": "user-placeholder-1",
                   "request_id": "eeeeeeee000000000000000000000001"}
    assert ph.text("fedcba9876543210fedcba9876543210") == "eeeeeeee000000000000000000000002"


def test_addresses_are_replaced_and_timestamps_are_not() -> None:
    ph = Placeholders()
    text = ("10.0.0.7 then 10.0.0.7 and 172.16.1.1, fe80::f816:3eff:fe12:3456, mac fa:16:3e:12:34:56, "
            "ops@corp.example.com at 2018-08-20 07:31:32 and 04-Jun-2015 18:11:06:586, version 2.1")
    assert ph.text(text) == ("192.0.2.1 then 192.0.2.1 and 192.0.2.2, 2001:db8::1, mac fa:16:3e:00:00:01, "
                             "user-1@example.com at 2018-08-20 07:31:32 and 04-Jun-2015 18:11:06:586, version 2.1")


def test_a_secret_is_redacted_wherever_it_shows() -> None:
    ph = Placeholders()
    ph.secret("SKvery/secret+key")
    ph.add("ak", "AKREALACCESSKEY00001")
    assert ph.json({"echo": "AKREALACCESSKEY00001:SKvery/secret+key"}) == {"echo": "AKPLACEHOLDER0000001:<redacted>"}


def test_ids_learnt_side_by_side_translate_later_requests() -> None:
    ids = IdMap()
    theirs = {"job_id": "ff8080aa" + "1" * 24, "request_id": "a" * 32, "images": [{"id": "b" * 32}]}
    ours = {"job_id": "ff8080bb" + "2" * 24, "request_id": "c" * 32, "images": [{"id": "d" * 32}]}
    ids.learn(theirs, ours)
    assert ids.text(f"/v1/p/jobs/ff8080aa{'1' * 24}") == f"/v1/p/jobs/ff8080bb{'2' * 24}"
    assert ids.body(b'{"image_id": "' + b"b" * 32 + b'"}') == b'{"image_id": "' + b"d" * 32 + b'"}'
    assert ids.text("a" * 32) == "a" * 32  # request ids name nothing a later request uses


def test_routes_follow_the_emulators_url_map() -> None:
    job = match("GET", f"/v1/{PROJECT}/jobs/ff80801")
    assert job is not None and (job.operation, job.template) == ("ims.show_job", "/v1/{project_id}/jobs/{job_id}")
    checkpoint = match("GET", f"/v1/{PROJECT}/checkpoint_items")
    assert checkpoint is not None and checkpoint.service == "csbs"
    assert match("GET", "/v9/nothing") is None


def test_upstream_options() -> None:
    ups = parse_upstreams(["ims=https://ims.example", "ecs=https://ecs.example:8443"], allow_http=False)
    assert {k: str(v) for k, v in ups.items()} == {"ims": "https://ims.example", "ecs": "https://ecs.example:8443"}
    assert str(parse_upstreams(["http://127.0.0.1:9"], allow_http=True)["*"]) == "http://127.0.0.1:9"
    for bad, why in ((["http://ims.example"], "--allow-http"), (["vpc=https://x.example"], "unknown service"),
                     (["https://a.example", "https://b.example"], "twice"),
                     (["https://ak:sk@ims.example"], "--credentials"), (["ftp://x.example"], "https")):
        with pytest.raises(ValueError, match=why):
            parse_upstreams(bad, allow_http=False)
    assert parse_credentials("AK1:SK/with:colon") == ("AK1", "SK/with:colon")
    with pytest.raises(ValueError, match="AK:SK"):
        parse_credentials("justanak")


def test_the_parity_world_copies_running_and_stopped_servers_with_their_disks() -> None:
    servers = {"servers": [
        {"id": "s-1", "name": "app", "status": "SHUTOFF", "flavor": {"id": "s6.large.2", "vcpus": "2", "gpus": []},
         "metadata": {"os_type": "Linux", "image_name": "Ubuntu 22.04", "metering.image_id": "img-1"},
         "addresses": {"vpc": [{"addr": "10.0.0.5"}]}, "OS-EXT-AZ:availability_zone": "ap-southeast-1a",
         "os-extended-volumes:volumes_attached": [{"id": "v-1"}, {"id": "v-2"}]},
        {"id": "s-2", "name": "broken", "status": "ERROR"}]}
    volumes = {"v-1": {"id": "v-1", "size": 40, "bootable": "true", "multiattach": False, "volume_type": "SSD"},
               "v-2": {"id": "v-2", "size": 100, "bootable": "false", "multiattach": True, "volume_type": "odd"}}

    def fetch(service: str, path: str) -> Any:
        return servers if service == "ecs" else {"volume": volumes[path.rsplit("/", 1)[1]]}

    world = world_from_upstream(fetch, PROJECT, "ecs.ap-southeast-1.myhuaweicloud.com")
    assert world == {"projects": [{"project_id": PROJECT, "region": "ap-southeast-1", "servers": [
        {"id": "s-1", "name": "app", "status": "SHUTOFF", "flavor": {"id": "s6.large.2", "vcpus": "2"},
         "os_type": "Linux", "os_version": "Ubuntu 22.04", "availability_zone": "ap-southeast-1a",
         "image_id": "img-1", "private_ip": "10.0.0.5",
         "volumes": [{"id": "v-1", "size": 40, "bootable": True, "shareable": False, "volume_type": "SSD"},
                     {"id": "v-2", "size": 100, "bootable": False, "shareable": True}]}]}]}
