"""`ims-emulator record` and `ims-emulator parity`: their options, kept here so cli.py only registers them."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ims_emulator.proxy.forward import Upstream, parse_upstream
from ims_emulator.proxy.routes import SERVICES

CREDENTIALS_ENV = "IMS_EMULATOR_UPSTREAM_CREDENTIALS"


COMMANDS = ("record", "parity")


def add_parsers(sub: Any) -> None:
    record = sub.add_parser("record", help="record real traffic through a re-signing proxy",
                            description="A local proxy the SDK points at like the emulator: each request is "
                            "re-signed for the upstream, forwarded, answered as the upstream answered and written "
                            "to --out as a recording (fixtures/ format, ids replaced by placeholders).")
    _common(record)
    record.add_argument("--shadow", action="store_true", help="also send every request to an emulator and write "
                        "a parity report (the same as `ims-emulator parity`)")
    parity = sub.add_parser("parity", help="record, and compare every answer with an emulator's",
                            description="`record --shadow`: every request goes to the upstream and to an emulator "
                            "with the same world; the client gets the upstream's answer; --out gets the recordings "
                            "and parity.md / parity.json, the differences per operation.")
    _common(parity)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--upstream", action="append", required=True, metavar="[SERVICE=]URL",
                   help=f"https endpoint for every service, or per service ({', '.join(SERVICES)}); repeatable")
    p.add_argument("--credentials", metavar="AK:SK", help=f"credentials the proxy signs with (or {CREDENTIALS_ENV}, "
                   "which keeps them out of the process list)")
    p.add_argument("--out", required=True, type=Path, help="directory for the recordings (must be empty or new)")
    p.add_argument("--project-id", dest="project_id", help="upstream project id; the client's project id (path and "
                   "X-Project-Id) is rewritten to it")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8086, help="port, 0 = any free one (default 8086)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the upstream (default 60)")
    p.add_argument("--allow-http", dest="allow_http", action="store_true",
                   help="allow a plain-HTTP upstream (a local test endpoint only)")
    p.add_argument("--emulator-url", dest="emulator_url", help="parity: an emulator already running (loose auth)")
    p.add_argument("--emulator-world", dest="emulator_world", default="upstream",
                   help="parity: world of the in-process emulator: upstream (the account's servers and disks, "
                   "read through ECS/EVS; needs --project-id), default, none or a world file (default upstream)")
    p.add_argument("--emulator-transitions", dest="emulator_transitions", default="recorded",
                   help="parity: recorded (the in-process emulator's async work settles where the upstream's "
                   "answers show it settled; the default) or transition policies")
    p.add_argument("--quiet", action="store_true", help="no line per request")


def parse_upstreams(values: list[str], allow_http: bool) -> dict[str, Upstream]:
    out: dict[str, Upstream] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if not sep or "://" in service:
            service, url = "*", value
        if service != "*" and service not in SERVICES:
            raise ValueError(f"unknown service {service!r} in --upstream; one of {', '.join(SERVICES)}")
        if service in out:
            raise ValueError(f"--upstream for {'every service' if service == '*' else service} given twice")
        out[service] = parse_upstream(url, allow_http)
    return out


def parse_credentials(value: str | None) -> tuple[str, str]:
    value = value or os.environ.get(CREDENTIALS_ENV, "")
    ak, sep, sk = value.partition(":")
    if not sep or not ak or not sk:
        raise ValueError(f"give --credentials AK:SK (or {CREDENTIALS_ENV}) for the upstream")
    return ak, sk


def run(args: argparse.Namespace) -> int:
    from ims_emulator.proxy.server import Proxy, ProxyConfig, ProxyServer
    try:
        cfg = ProxyConfig(parse_upstreams(args.upstream, args.allow_http), *parse_credentials(args.credentials),
                          out=args.out, project_id=args.project_id, timeout=args.timeout, quiet=args.quiet)
        if args.out.exists() and any(args.out.iterdir()):
            raise ValueError(f"--out {args.out} is not empty: placeholders are consistent within one session, "
                             "so each session gets a directory of its own")
        shadow = _shadow(args) if args.command == "parity" or args.shadow else None
    except (ValueError, RuntimeError) as exc:
        print(f"ims-emulator {args.command}: {exc}", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding {args.host}: anyone who reaches it can call the upstream as you", file=sys.stderr)
    server = ProxyServer(Proxy(cfg, shadow), args.host, args.port)
    targets = ", ".join(f"{'all' if s == '*' else s}={u}" for s, u in cfg.upstreams.items())
    print(f"ims-emulator {args.command} listening on {server.url} -> {targets}; recording to {args.out}"
          + ("; parity report in parity.md" if shadow else ""), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    server.stop()
    print(f"recorded {len(server.proxy.recorder.files)} exchange(s) in {args.out}", flush=True)
    return 0


def _shadow(args: argparse.Namespace) -> Any:
    from ims_emulator.proxy.parity import InProcessShadow, UrlShadow, comparator
    comparator()  # fail at start, not on the first request, when the comparator is not there
    if args.emulator_url:
        return UrlShadow(args.emulator_url, args.timeout)
    if args.emulator_world != "upstream":
        return InProcessShadow(args.emulator_world, args.emulator_transitions)
    from ims_emulator.proxy.forward import UpstreamError
    from ims_emulator.proxy.mirror import fetcher, world_from_upstream
    ups = parse_upstreams(args.upstream, args.allow_http)
    ecs, evs = ups.get("ecs") or ups.get("*"), ups.get("evs") or ups.get("*")
    if not args.project_id or ecs is None or evs is None:
        raise ValueError("--emulator-world upstream reads the account's servers: it needs --project-id and an "
                         "ECS and EVS upstream (or give --emulator-world FILE)")
    fetch = fetcher(ecs, evs, *parse_credentials(args.credentials), args.project_id, args.timeout)
    try:
        world = world_from_upstream(fetch, args.project_id, ecs.host)
    except (UpstreamError, KeyError, ValueError) as exc:
        raise ValueError(f"could not read the upstream's servers for the parity world: {exc}") from exc
    print(f"parity world: {len(world['projects'][0]['servers'])} server(s) read from the upstream", flush=True)
    return InProcessShadow(world, args.emulator_transitions)
