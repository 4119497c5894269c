"""Shared fixtures: one in-process emulator per test session (per xdist worker), a fresh
project per test for isolation, and helpers to call it over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Api, Control, InProcessServer, new_project


@pytest.fixture(scope="session")
def emulator() -> Iterator[InProcessServer]:
    server = InProcessServer()
    yield server
    server.stop()


@pytest.fixture
def url(emulator: InProcessServer) -> str:
    return emulator.url


@pytest.fixture
def control(emulator: InProcessServer) -> Iterator[Control]:
    ctl = Control(emulator.url)
    yield ctl
    # transitions and the clock are global: put them back for the next test
    ctl.put("/transitions", {"default": "instant"})


@pytest.fixture
def project() -> str:
    return new_project()


@pytest.fixture
def api(emulator: InProcessServer, project: str) -> Api:
    return Api(emulator.url, project)
