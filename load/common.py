"""Shared by the locustfile and the benchmarks: start servers, sign requests, drive the real flows.

Everything talks HTTP to a separate server process, like a user's polling code would.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
AK, SK = "AKLOADTEST0000000001", "SKload/test+secret"
CREDENTIALS = f"{AK}:{SK}"
PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"


# -- servers --------------------------------------------------------------------------------------

@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    tmpdir: tempfile.TemporaryDirectory | None = None
    db_path: str = ""
    _log: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # gunicorn: quick shutdown; werkzeug: stop
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.tmpdir is not None:
            self.tmpdir.cleanup()

    def stderr_text(self) -> str:
        return "".join(self._log)

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (or the single process when there is no master)."""
        kids = _children(self.proc.pid)
        return kids or [self.proc.pid]

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int, peak: bool = False) -> float:
    """Resident set size (VmHWM = peak) of one process, in MB."""
    key = "VmHWM:" if peak else "VmRSS:"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def _read_url(proc: subprocess.Popen, timeout: float, pattern: str = "listening on ") -> tuple[str, list[str]]:
    """Wait for the announce line on stdout; keep draining both streams afterwards."""
    deadline = time.monotonic() + timeout
    url = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read()}")  # type: ignore[union-attr]
            continue
        if pattern in line:
            url = line.split(pattern, 1)[1].split()[0]
            break
    if not url:
        proc.kill()
        raise RuntimeError("server did not announce its address in time")
    log: list[str] = []
    for stream, sink in ((proc.stdout, None), (proc.stderr, log)):
        threading.Thread(target=_drain, args=(stream, sink), daemon=True).start()
    return url, log


def _drain(stream: Any, sink: list[str] | None) -> None:
    for line in stream:
        if sink is not None and len(sink) < 10000:
            sink.append(line)


def start_emulator(workers: int = 2, auth: str = "strict", db: str | None = None, transitions: str = "instant",
                   quiet: bool = True, extra: tuple[str, ...] = ()) -> Server:
    """`python -m ims_emulator serve` on a free loopback port with a fresh sqlite file in a temp dir."""
    tmp = None
    if db is None:
        tmp = tempfile.TemporaryDirectory(prefix="ims-load-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        db = os.path.join(tmp.name, "state.db")
    cmd = [sys.executable, "-m", "ims_emulator", "serve", "--port", "0", "--db", db, "--world", "none",
           "--auth", auth, "--credentials", CREDENTIALS, "--workers", str(workers), "--transitions", transitions,
           *(["--quiet"] if quiet else []), *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url, log = _read_url(proc, 30)
    wait_healthy(url)
    return Server(proc, url, tmp, db, log)


def start_bare(workers: int = 2, threads: int = 8, worker_class: str = "ims_emulator.balance.BalancedThreadWorker"
               ) -> Server:
    """The yardstick: a constant-JSON Flask app under the emulator's gunicorn settings (its worker class)."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-k", worker_class, "-w", str(workers), "--threads", str(threads),
           "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "load.bare_app:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, path="/health")
    log: list[str] = []
    for stream, sink in ((proc.stdout, None), (proc.stderr, log)):
        threading.Thread(target=_drain, args=(stream, sink), daemon=True).start()
    return Server(proc, url, None, "", log)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, path: str = "/_emulator/health", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + path, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url}{path} never became healthy")


# -- signing (huaweicloudsdkcore's own signer) ------------------------------------------------------

@dataclass
class Signed:
    method: str
    url: str
    path_qs: str
    headers: dict[str, str]
    body: str


def sign(url: str, project: str, method: str, path: str, body: Any = None,
         query: dict[str, Any] | None = None) -> Signed:
    """Sign like the SDK does (SDK-HMAC-SHA256 with X-Project-Id). Valid for 15 minutes of clock skew."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    scheme, host = url.split("://", 1)
    path = path.replace("{project_id}", project)
    data = "" if body is None else json.dumps(body)
    req = SdkRequest(method=method, schema=scheme, host=host, resource_path=path,
                     query_params=list((query or {}).items()), header_params={"Content-Type": "application/json"},
                     body=data)
    signed = BasicCredentials(AK, SK, project).sign_request(req)
    signed = signed.result() if hasattr(signed, "result") else signed
    path_qs = signed.url.split(host, 1)[1]
    return Signed(method, signed.url, path_qs, dict(signed.header_params), signed.body or "")


class Caller:
    """Signed calls for one project over a keep-alive requests session."""

    def __init__(self, url: str, project: str | None = None, session: requests.Session | None = None) -> None:
        self.url = url
        self.project = project or uuid.uuid4().hex
        self.session = session or requests.Session()

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None,
             **kw: Any) -> requests.Response:
        s = sign(self.url, self.project, method, path, body, query)
        return self.session.request(method, s.url, headers=s.headers, data=s.body or None, timeout=30, **kw)


# -- the real flows -------------------------------------------------------------------------------

def set_transitions(url: str, policies: dict[str, str]) -> None:
    resp = requests.put(f"{url}/_emulator/transitions", json=policies, timeout=30)
    resp.raise_for_status()


def server_spec(name: str = "vm") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "status": "ACTIVE",
            "volumes": [{"id": str(uuid.uuid4()), "size": 40, "bootable": True},
                        {"id": str(uuid.uuid4()), "size": 100}]}


def seed_server(url: str, project: str, session: requests.Session | None = None) -> str:
    spec = server_spec()
    resp = (session or requests).post(f"{url}/_emulator/seed", json={"project_id": project, "servers": [spec]},
                                      timeout=30)
    if resp.status_code != 201:
        raise RuntimeError(f"seed failed: {resp.status_code} {resp.text}")
    return spec["id"]


def protect_path(server_id: str) -> str:
    return f"/v1/{{project_id}}/providers/{PROVIDER}/resources/{server_id}/action"


def make_backup(c: Caller, server_id: str, max_polls: int = 100) -> str:
    """CSBS protect, then poll the backup until available. Returns the backup (checkpoint item) id."""
    resp = c.call("POST", protect_path(server_id), {"protect": {}})
    if resp.status_code != 200:
        raise RuntimeError(f"protect: {resp.status_code} {resp.text}")
    checkpoint_id = resp.json()["checkpoint"]["id"]
    listed = c.call("GET", "/v1/{project_id}/checkpoint_items", query={"checkpoint_id": checkpoint_id})
    item_id = listed.json()["checkpoint_items"][0]["id"]
    for _ in range(max_polls):
        item = c.call("GET", f"/v1/{{project_id}}/checkpoint_items/{item_id}").json()["checkpoint_item"]
        if item["status"] == "available":
            return item_id
        if item["status"] == "error":
            raise RuntimeError(f"backup failed: {item}")
    raise RuntimeError("backup never became available")


def whole_image_body(backup_id: str) -> dict[str, Any]:
    return {"name": f"load-{uuid.uuid4().hex[:8]}", "backup_id": backup_id, "whole_image_type": "CSBS"}


def wait_job(c: Caller, job_id: str, max_polls: int = 100) -> dict[str, Any]:
    for _ in range(max_polls):
        job = c.call("GET", f"/v1/{{project_id}}/jobs/{job_id}").json()
        if job["status"] in ("SUCCESS", "FAIL"):
            return job
    raise RuntimeError("job never finished")


def make_whole_image(c: Caller, backup_id: str) -> str:
    resp = c.call("POST", "/v1/cloudimages/wholeimages/action", whole_image_body(backup_id))
    if resp.status_code != 200:
        raise RuntimeError(f"create whole image: {resp.status_code} {resp.text}")
    job = wait_job(c, resp.json()["job_id"])
    if job["status"] != "SUCCESS":
        raise RuntimeError(f"job failed: {job}")
    return job["entities"]["image_id"]


# -- a cheap keep-alive client for throughput figures --------------------------------------------

class RawClient:
    """One keep-alive HTTP/1.1 connection sending pre-built bytes (pre-signed: no per-request client cost
    beyond a send and a read, so the figures are the server's, not the client's)."""

    def __init__(self, url: str) -> None:
        host, port = url.split("://", 1)[1].split(":")
        self.addr = (host, int(port))
        self.sock = self._connect()
        self.buf = b""

    def _connect(self) -> socket.socket:
        s = socket.create_connection(self.addr, timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def request(self, raw: bytes) -> int:
        """Send one request, read the whole answer; returns the HTTP status."""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(self.buf) < length:
            self._recv()
        self.buf = self.buf[length:]
        if close:
            self.sock.close()
            self.sock, self.buf = self._connect(), b""
        return status

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def raw_bytes(url: str, method: str, path_qs: str, headers: dict[str, str] | None = None, body: str = "") -> bytes:
    host = url.split("://", 1)[1]
    lines = [f"{method} {path_qs} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        if k.lower() not in ("host", "connection", "content-length"):
            lines.append(f"{k}: {v}")
    data = body.encode()
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def signed_raw(url: str, project: str, method: str, path: str, query: dict[str, Any] | None = None) -> bytes:
    s = sign(url, project, method, path, None, query)
    return raw_bytes(url, method, s.path_qs, s.headers, s.body)


# -- figures ----------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


@dataclass
class Report:
    """What a benchmark measured: a table and the verdicts it is judged by."""

    title: str
    method: str = ""
    header: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def verdict(self, label: str, value: float, target: float, unit: str, higher_is_better: bool) -> None:
        met = value >= target if higher_is_better else value <= target
        ratio = value / target if target else float("nan")
        sign = ">=" if higher_is_better else "<="
        shown = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        self.verdicts.append(f"{label}: {shown} {unit} (target {sign} {target:g} {unit}, "
                             f"ratio to target {ratio:.2f}) {'MET' if met else 'MISSED'}")

    def markdown(self) -> str:
        out = [f"## {self.title}", ""]
        if self.method:
            out += [self.method, ""]
        if self.header:
            out.append("| " + " | ".join(self.header) + " |")
            out.append("|" + "---|" * len(self.header))
            out += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in self.rows]
            out.append("")
        out += [f"- {v}" for v in self.verdicts]
        out += [f"- note: {n}" for n in self.notes]
        return "\n".join(out) + "\n"

    def print(self) -> None:
        print(self.markdown(), flush=True)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if v < 100 else f"{v:.0f}"
    return str(v)
