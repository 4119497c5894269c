"""The error catalogue is the one source of codes: every code the source answers is in it, and each
service's body format comes from one table (domain/errors.py SERVICE_FORMATS)."""

from __future__ import annotations

import re
from pathlib import Path

import ims_emulator
from ims_emulator.api.errors import SERVICES
from ims_emulator.api.openapi import FORMAT_OF
from ims_emulator.domain.errors import FORMATS, SERVICE_FORMATS, ServiceError, catalogue

SOURCE = Path(ims_emulator.__file__).parent
CODE_RE = re.compile(r"""["']((?:IMG|Ecs|EVS|CSBS|BackupService|APIGW)\.\d{4})["']""")


def _codes_in_source() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for code in CODE_RE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, []).append(str(path.relative_to(SOURCE)))
    return found


def test_every_code_used_in_the_source_is_in_the_catalogue():
    used = _codes_in_source()
    assert len(used) > 100  # the scan sees the codes (IMS, CSBS, CBR, ECS, EVS, gateway)
    missing = {code: files for code, files in used.items() if code not in catalogue()}
    assert missing == {}


def test_every_catalogue_code_has_a_body_format():
    assert {code.split(".", 1)[0] for code in catalogue()} <= set(FORMATS)
    assert ServiceError("CSBS.6000").body_format == "flat" and ServiceError("IMG.0027").body_format == "nested"


def test_one_table_gives_each_service_its_format_and_codes():
    for service, (family, body_format) in SERVICE_FORMATS.items():
        assert FORMAT_OF[service] == body_format
        if service in SERVICES:  # the service's own codes for a bad body and an internal error are its family's
            assert {SERVICES[service].invalid_body.split(".")[0], SERVICES[service].internal.split(".")[0]} == {family}
    assert set(SERVICES) - {"control"} == set(SERVICE_FORMATS) - {"gateway"}
