"""A typed client for the emulator's /_emulator/ control API (stdlib only, usable outside pytest).

    from ims_emulator.control import EmulatorControl
    ctl = EmulatorControl("http://127.0.0.1:8085")
    ctl.seed("0123abcd", servers=[ctl.server_spec("web")])
    with ctl.policies(default="polls:3"):
        ...

A 4xx/5xx answer raises ControlError carrying the server's own message.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

TOKEN_ENV, TOKEN_HEADER = "IMS_EMULATOR_CONTROL_TOKEN", "X-Emulator-Token"  # as the server's api/auth.py

T = TypeVar("T")


class ControlError(Exception):
    """The control API refused a call (status >= 400), or could not be reached (status 0)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} /_emulator{path} -> {status or 'unreachable'}: {message}")
        self.method, self.path, self.status, self.message = method, path, status, message


@dataclass(frozen=True)
class HttpResult:
    """A plain HTTP answer (never raised): status, headers, raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


def http(method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
         timeout: float = 30) -> HttpResult:
    """One request with urllib; an HTTP error status is returned, not raised."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http only, by design)
            return HttpResult(resp.status, dict(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as err:
        return HttpResult(err.code, dict(err.headers.items()), err.read())


def _build(cls: type[T], data: Mapping[str, Any]) -> T:
    """A dataclass from a JSON object, ignoring keys this client does not know (newer servers)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


# -- results ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Health:
    status: str
    version: str
    services: list[str]
    schema_version: int | None = None


@dataclass(frozen=True)
class SeedResult:
    project_id: str
    region: str
    servers: list[str]


@dataclass(frozen=True)
class Job:
    """A task in the state dump; pending ones say how they will settle (`settles`) and `progress`."""

    id: str
    op: str
    status: str
    job_type: str | None = None
    policy: str | None = None
    entity_kind: str | None = None
    entity_id: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    settles: str | None = None
    progress: float | None = None

    @property
    def pending(self) -> bool:
        return self.settles is not None


@dataclass(frozen=True)
class ProjectState:
    """One project's resources; entities stay plain dicts (their documents differ per kind)."""

    project_id: str
    region: str
    name: str | None
    servers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    backups: list[dict[str, Any]]
    images: list[dict[str, Any]]
    jobs: list[Job]
    other: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def by_id(self, entity_id: str) -> dict[str, Any] | None:
        for group in (self.servers, self.volumes, self.backups, self.images, *self.other.values()):
            for entity in group:
                if entity.get("id") == entity_id:
                    return entity
        return None


@dataclass(frozen=True)
class State:
    now: str                      # the global virtual now, ISO 8601 UTC (as every `now` of the control API)
    projects: dict[str, ProjectState]
    offset_seconds: float = 0.0   # the global clock's offset
    frozen: bool = False
    transitions: dict[str, str] = field(default_factory=dict)  # the global policy map
    # per project with overrides: {"transitions": {...}, "offset_seconds": s, "frozen": bool}
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def epoch(self) -> float:
        return epoch_of(self.now)


@dataclass(frozen=True)
class Transitions:
    transitions: dict[str, str]   # the global map; always has "default"
    operations: list[str]         # the async operation names a policy can name
    project_id: str | None = None                                # asked for one project:
    overrides: dict[str, str] = field(default_factory=dict)      #   its own overrides
    effective: dict[str, str] = field(default_factory=dict)      #   the policy each operation gets there
    projects: dict[str, dict[str, str]] = field(default_factory=dict)  # global view: every project's overrides


@dataclass(frozen=True)
class Clock:
    now: str                      # ISO 8601 UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z
    offset_seconds: float         # this clock's own offset (a project's: on top of the global clock)
    frozen: bool = False
    project_id: str | None = None
    settled: int | None = None    # after a move: how many tasks it settled

    @property
    def epoch(self) -> float:
        return epoch_of(self.now)


def epoch_of(iso: str) -> float:
    """Epoch seconds of a control API `now`."""
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class SettledTask:
    id: str
    op: str
    status: str
    project_id: str | None = None
    entity_id: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class FaultRule:
    id: str
    operations: list[str]
    action: str
    matched: int = 0
    fired: int = 0
    project_id: str | None = None
    resource_id: str | None = None
    error_code: str | None = None
    status: int | None = None
    message: str | None = None
    delay_ms: int | None = None
    times: int | None = None
    probability: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Snapshot:
    name: str
    created_at: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class Restored:
    name: str
    project_id: str | None
    restored: dict[str, int]


STATE_GROUPS = ("servers", "volumes", "backups", "images")
PROJECT_KEYS = (*STATE_GROUPS, "jobs", "region", "name")

POLICY_KINDS = ("csbs_policy", "cbr_policy")  # state groups whose entities carry next_run


def _project(pid: str, data: Mapping[str, Any]) -> ProjectState:
    other = {k: v for k, v in data.items() if k not in PROJECT_KEYS}
    return ProjectState(project_id=pid, region=data.get("region", ""), name=data.get("name"),
                        jobs=[_build(Job, j) for j in data.get("jobs", [])], other=other,
                        **{g: list(data.get(g, [])) for g in STATE_GROUPS})


# -- the client ------------------------------------------------------------------------------------

class EmulatorControl:
    """Every /_emulator/ operation as a method. Thread-safe (no shared connection).

    Bound to a project (`project_id=`, or `for_project(pid)`), the transition and clock methods act on
    that project's overrides and clock unless told another project_id; `.globally` is the unbound client
    (global map, global clock). The plugin's `emulator_control` is bound to the test's project."""

    def __init__(self, base_url: str, timeout: float = 30, token: str | None = None,
                 project_id: str | None = None) -> None:
        """token: the emulator's --control-token (default: IMS_EMULATOR_CONTROL_TOKEN, if set)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.project_id = project_id

    def __repr__(self) -> str:
        bound = f", project_id={self.project_id!r}" if self.project_id else ""
        return f"EmulatorControl({self.base_url!r}{bound})"

    def for_project(self, project_id: str | None) -> EmulatorControl:
        """The same client, bound to project_id (None: unbound)."""
        bound = copy.copy(self)
        bound.project_id = project_id
        return bound

    @property
    def globally(self) -> EmulatorControl:
        return self.for_project(None)

    def _scope(self, project_id: str | None) -> str | None:
        return project_id or self.project_id

    def _call(self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None) -> Any:
        url = f"{self.base_url}/_emulator{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.token:
            headers[TOKEN_HEADER] = self.token
        try:
            result = http(method, url, data, headers, self.timeout)
        except OSError as exc:  # refused, reset, timed out
            raise ControlError(method, path, 0, str(exc)) from exc
        if result.status >= 400:
            raise ControlError(method, path, result.status, _message(result))
        return result.json()

    # health, seed, reset, state
    def health(self) -> Health:
        return _build(Health, self._call("GET", "/health"))

    def wait_healthy(self, timeout: float = 20) -> Health:
        """Wait for a just-started emulator (start-up only; never for settling work)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except ControlError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def seed(self, project_id: str, servers: Sequence[Mapping[str, Any]] = (), *, region: str | None = None,
             project_name: str | None = None) -> SeedResult:
        body: dict[str, Any] = {"project_id": project_id, "servers": [dict(s) for s in servers]}
        if region:
            body["region"] = region
        if project_name:
            body["project_name"] = project_name
        return _build(SeedResult, self._call("POST", "/seed", body))

    @staticmethod
    def server_spec(name: str = "vm", status: str = "ACTIVE", *, data_disks: int = 1, shared: bool = False,
                    system_size: int = 40, **extra: Any) -> dict[str, Any]:
        """A seedable server: a bootable system disk and `data_disks` data disks (the last shareable if asked)."""
        volumes: list[dict[str, Any]] = [{"id": str(uuid.uuid4()), "size": system_size, "bootable": True}]
        for i in range(data_disks):
            volumes.append({"id": str(uuid.uuid4()), "size": 100 + i, "shareable": shared and i == data_disks - 1})
        return {"id": str(uuid.uuid4()), "name": name, "status": status, "volumes": volumes, **extra}

    def reset(self, project_id: str | None = None, *, scope: str | None = None) -> None:
        """Every project's resources, fault rules and overrides (global policies, global fault rules and the
        clock stay); or one project's (project_id); or scope="all": that plus every fault rule, the clock
        (offset 0, running) and the start-up policies. Never implied by the client's bound project."""
        body = {k: v for k, v in (("project_id", project_id), ("scope", scope)) if v}
        self._call("POST", "/reset", body)

    def state(self) -> State:
        data = self._call("GET", "/state")
        return State(now=data["now"], projects={pid: _project(pid, p) for pid, p in data["projects"].items()},
                     offset_seconds=data.get("offset_seconds", 0.0), frozen=bool(data.get("frozen")),
                     transitions=dict(data.get("transitions") or {}), overrides=dict(data.get("overrides") or {}))

    def project_state(self, project_id: str) -> ProjectState:
        projects = self.state().projects
        if project_id not in projects:
            raise ControlError("GET", "/state", 404, f"no project {project_id} in the emulator")
        return projects[project_id]

    # transition policies (the bound project's overrides, or the global map)
    def transitions(self, project_id: str | None = None) -> Transitions:
        project = self._scope(project_id)
        query = {"project_id": project} if project else None
        return _build(Transitions, self._call("GET", "/transitions", query=query))

    def set_transitions(self, policies: Mapping[str, str] | None = None, *, project_id: str | None = None,
                        **more: str) -> Transitions:
        """Replace the project's overrides (bound or given; {} drops them) or, unbound, the whole global map,
        e.g. set_transitions({"csbs.protect": "manual"}, default="polls:3")."""
        project = self._scope(project_id)
        body = {**(policies or {}), **more, **({"project_id": project} if project else {})}
        return _build(Transitions, self._call("PUT", "/transitions", body))

    @contextmanager
    def policies(self, policies: Mapping[str, str] | None = None, *, project_id: str | None = None,
                 **more: str) -> Iterator[Transitions]:
        """Set policies for a block (the project's overrides, or the global map); put back afterwards."""
        project = self._scope(project_id)
        current = self.transitions(project)
        before = current.overrides if project else current.transitions
        try:
            yield self.set_transitions(policies, project_id=project, **more)
        finally:
            self.set_transitions(before, project_id=project)

    # virtual clock (the bound project's, or the global one) and settling
    def clock(self, project_id: str | None = None) -> Clock:
        project = self._scope(project_id)
        return _build(Clock, self._call("GET", "/clock", query={"project_id": project} if project else None))

    def advance_clock(self, seconds: float, project_id: str | None = None) -> Clock:
        """Move the project's clock (bound or given) or, unbound, every clock forward; due work settles."""
        body: dict[str, Any] = {"seconds": seconds}
        project = self._scope(project_id)
        if project:
            body["project_id"] = project
        return _build(Clock, self._call("POST", "/clock/advance", body))

    def set_clock(self, offset_seconds: float | None = None, *, freeze: bool | None = None,
                  project_id: str | None = None) -> Clock:
        """Set the clock's own offset and/or freeze it (freeze=False lets it run on from where it stopped)."""
        body = {k: v for k, v in (("offset_seconds", offset_seconds), ("freeze", freeze),
                                  ("project_id", self._scope(project_id))) if v is not None}
        return _build(Clock, self._call("POST", "/clock", body))

    def next_policy_run(self, project_id: str, policy_id: str | None = None) -> str | None:
        """When the project's next scheduled backup policy run is (virtual, ISO), or one policy's; None if none."""
        state = self.project_state(project_id)
        runs = [p["next_run"] for kind in POLICY_KINDS for p in state.other.get(kind, [])
                if p.get("next_run") and policy_id in (None, p["id"])]
        return min(runs) if runs else None

    def advance_to_next_policy_run(self, project_id: str, policy_id: str | None = None) -> Clock:
        """Move the virtual clock just past the next policy run (its backups are made at once)."""
        when = self.next_policy_run(project_id, policy_id)
        if when is None:
            raise ControlError("GET", "/state", 404, f"no enabled backup policy in project {project_id}")
        gap = epoch_of(when) - self.clock(project_id).epoch  # policy runs are on the project's clock
        return self.advance_clock(max(gap, 0) + 1, project_id)

    def settle(self, project_id: str | None = None, id: str | None = None) -> list[SettledTask]:  # noqa: A002
        """Finish pending work now: all, one project's, or one job (or the work on one entity id)."""
        body = {k: v for k, v in (("project_id", project_id), ("id", id)) if v}
        return [_build(SettledTask, t) for t in self._call("POST", "/settle", body)["settled"]]

    # faults
    def add_fault(self, operations: Sequence[str] | str, action: str, *, project_id: str | None = None,
                  resource_id: str | None = None, error_code: str | None = None, status: int | None = None,
                  message: str | None = None, delay_ms: int | None = None, times: int | None = None,
                  probability: float | None = None, seed: int | None = None) -> FaultRule:
        """action: fail_job (async operation names) | http_error | delay_ms | drop_connection (API operations)."""
        ops = [operations] if isinstance(operations, str) else list(operations)
        optional = dict(project_id=project_id, resource_id=resource_id, error_code=error_code, status=status,
                        message=message, delay_ms=delay_ms, times=times, probability=probability, seed=seed)
        body = {"operations": ops, "action": action, **{k: v for k, v in optional.items() if v is not None}}
        return _build(FaultRule, self._call("POST", "/faults", body))

    def faults(self, project_id: str | None = None) -> list[FaultRule]:
        query = {"project_id": project_id} if project_id else None
        return [_build(FaultRule, r) for r in self._call("GET", "/faults", query=query)["faults"]]

    def delete_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{urllib.parse.quote(rule_id, safe='')}")

    def clear_faults(self, project_id: str | None = None) -> int:
        query = {"project_id": project_id} if project_id else None
        return int(self._call("DELETE", "/faults", query=query)["removed"])

    # snapshots
    def save_snapshot(self, name: str, overwrite: bool = False) -> Snapshot:
        """An existing name raises ControlError (409) unless `overwrite`."""
        return _build(Snapshot, self._call("POST", "/snapshots", {"name": name, "overwrite": overwrite}))

    def snapshots(self) -> list[Snapshot]:
        return [_build(Snapshot, s) for s in self._call("GET", "/snapshots")["snapshots"]]

    def restore_snapshot(self, name: str, project_id: str | None = None) -> Restored:
        body = {"project_id": project_id} if project_id else {}
        return _build(Restored, self._call("POST", f"/snapshots/{urllib.parse.quote(name, safe='')}/restore", body))

    def delete_snapshot(self, name: str) -> None:
        self._call("DELETE", f"/snapshots/{urllib.parse.quote(name, safe='')}")


def _message(result: HttpResult) -> str:
    try:
        data = result.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "error_msg", "message"):
            if isinstance(data.get(key), str):
                return data[key]
        if isinstance(data.get("error"), dict):
            return str(data["error"].get("message", data["error"]))
    return result.body.decode("utf-8", "replace")[:500] or "(empty body)"
