"""`--workers N` answers like one process (issue 15 #5): long URLs and large headers get the same answer, in the
gateway's JSON (APIGW.0201: 414 URI, 494 headers), never gunicorn's or the standard library's HTML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support import SubprocessServer, new_project

PROJECT = new_project()
BASE = {"X-Auth-Token": "t", "X-Project-Id": PROJECT}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    one = SubprocessServer("--db", ":memory:", "--world", "none", "--quiet")
    many = SubprocessServer("--db", ":memory:", "--world", "none", "--quiet", "--workers", "2")
    yield one.url, many.url
    one.stop()
    many.stop()


def _answer(url: str, query: str = "", headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    resp = requests.get(f"{url}/v2/cloudimages{query}", headers={**BASE, **(headers or {})}, timeout=60)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.text[:200]
    body = resp.json()
    if "request_id" in body:
        assert body.pop("request_id") == resp.headers["X-Request-Id"]
    return resp.status_code, body


CASES = {
    "URL of 5 KB (over gunicorn's 4,094)": ({"query": "?pad=" + "a" * 5000}, 200),
    "URL of 40 KB": ({"query": "?pad=" + "a" * 40_000}, 414),
    "URL of 70 KB (over the standard library's 64 KiB)": ({"query": "?pad=" + "a" * 70_000}, 414),
    "header of 9 KB (over gunicorn's 8,190)": ({"headers": {"X-Pad": "a" * 9000}}, 200),
    "header of 40 KB": ({"headers": {"X-Pad": "a" * 40_000}}, 494),
    "header of 70 KB": ({"headers": {"X-Pad": "a" * 70_000}}, 494),
    "101 headers": ({"headers": {f"X-Pad-{i}": "a" for i in range(101)}}, 494),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_workers_answer_like_one_process(servers, case):
    kw, status = CASES[case]
    one, many = (_answer(url, **kw) for url in servers)
    assert one == many
    assert one[0] == status, one
    if status != 200:
        assert one[1]["error_code"] == "APIGW.0201" and list(one[1]) == ["error_msg", "error_code"]
