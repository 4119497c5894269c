"""Test support: an emulator on a free loopback port, SDK clients, signed raw calls."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import requests
from werkzeug.serving import make_server

from ims_emulator.app import create_app
from ims_emulator.server import _Handler
from ims_emulator.settings import Settings

AK, SK = "AKEMULATORTEST0001", "SKemulator/test+secret"


class InProcessServer:
    """create_app() behind werkzeug's threaded server on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, **overrides: Any) -> None:
        base = dict(port=0, db=":memory:", world="none", quiet=True, credentials=f"{AK}:{SK}")
        self.settings = Settings(**{**base, **overrides})
        self.app = create_app(self.settings)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SubprocessServer:
    """`python -m ims_emulator serve` as a child process (CLI, multi-worker and crash tests)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 20,
                 command: list[str] | None = None, cwd: str | os.PathLike[str] | None = None) -> None:
        cmd = [*(command or [sys.executable, "-m", "ims_emulator", "serve"]), "--port", "0", *args]
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env,
                                     cwd=cwd)
        deadline = time.monotonic() + timeout
        self.url = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"emulator exited: {self.proc.stderr.read()}")  # type: ignore[union-attr]
                continue
            if "listening on" in line:
                self.url = line.split("listening on ", 1)[1].split()[0]
                break
        if not self.url:
            self.stop()
            raise RuntimeError("emulator did not start")
        self.output: list[str] = [line]  # every line printed after start, stdout and stderr (tests read logs)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=lambda s=stream: [self.output.append(x) for x in s], daemon=True).start()

    def stop(self, sig: int | None = None) -> None:
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def new_project() -> str:
    return uuid.uuid4().hex


class Api:
    """Plain HTTP calls as one project (X-Auth-Token + X-Project-Id; loose auth)."""

    def __init__(self, url: str, project_id: str) -> None:
        self.url = url
        self.project_id = project_id
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": "emulator-test-token", "X-Project-Id": project_id})

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        path = path.replace("{project_id}", self.project_id)
        if body is not None and not isinstance(body, (bytes, str)):
            kw["data"] = json.dumps(body)
            kw.setdefault("headers", {})["Content-Type"] = "application/json"
        elif body is not None:
            kw["data"] = body
        return self.session.request(method, self.url + path, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, body, **kw)


class Control:
    """The unauthenticated /_emulator/ API."""

    def __init__(self, url: str) -> None:
        self.url = url + "/_emulator"

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=30)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=30)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return requests.put(self.url + path, json=body, timeout=30)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url + path, timeout=30)

    def seed(self, project_id: str, servers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        resp = self.post("/seed", {"project_id": project_id, "servers": servers, **extra})
        assert resp.status_code == 201, resp.text
        return resp.json()


def server_spec(name: str = "vm", status: str = "ACTIVE", shared: bool = False,
                data_disks: int = 1) -> dict[str, Any]:
    """A seedable server with a 40 GB system disk and data disks (the last one shareable if asked)."""
    volumes = [{"id": str(uuid.uuid4()), "size": 40, "bootable": True}]
    for i in range(data_disks):
        volumes.append({"id": str(uuid.uuid4()), "size": 100 + i, "shareable": shared and i == data_disks - 1})
    return {"id": str(uuid.uuid4()), "name": name, "status": status, "volumes": volumes}


# -- the official SDKs ---------------------------------------------------------------------

def _http_config() -> Any:
    from huaweicloudsdkcore.http.http_config import HttpConfig
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    return cfg


def sdk_client(client_cls: Any, url: str, project_id: str, ak: str = AK, sk: str = SK) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    return (client_cls.new_builder().with_http_config(_http_config())
            .with_credentials(BasicCredentials(ak, sk, project_id)).with_endpoints([url]).build())


def ims_client(url: str, project_id: str, **kw: Any) -> Any:
    from huaweicloudsdkims.v2 import ImsClient
    return sdk_client(ImsClient, url, project_id, **kw)


def ecs_client(url: str, project_id: str, **kw: Any) -> Any:
    from huaweicloudsdkecs.v2 import EcsClient
    return sdk_client(EcsClient, url, project_id, **kw)


def cbr_client(url: str, project_id: str, **kw: Any) -> Any:
    from huaweicloudsdkcbr.v1 import CbrClient
    return sdk_client(CbrClient, url, project_id, **kw)


@dataclasses.dataclass
class SignedResponse:
    status_code: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def signed_call(url: str, project_id: str, method: str, path: str, body: Any = None,
                query: dict[str, Any] | None = None, ak: str = AK, sk: str = SK,
                content_type: str = "application/json") -> SignedResponse:
    """A raw call signed by huaweicloudsdkcore's own signer (how CSBS v1 is called: no SDK exists)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    scheme, host = url.split("://", 1)
    path = path.replace("{project_id}", project_id)
    data = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    request = SdkRequest(method=method, schema=scheme, host=host, resource_path=path,
                         query_params=list((query or {}).items()), header_params={"Content-Type": content_type},
                         body=data)
    signed = BasicCredentials(ak, sk, project_id).sign_request(request)
    signed = signed.result() if hasattr(signed, "result") else signed
    resp = requests.request(method, signed.url, headers=signed.header_params, data=signed.body or None, timeout=30)
    return SignedResponse(resp.status_code, dict(resp.headers), resp.text)


def wait_for(predicate: Any, timeout: float = 10, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
