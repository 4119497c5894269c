"""The proxy as a WSGI app behind werkzeug's threaded server: route, re-sign, forward, answer, record, compare."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ims_emulator.proxy import routes
from ims_emulator.proxy.forward import HOP_BY_HOP, PASSED, Upstream, UpstreamError, send, signed_headers
from ims_emulator.proxy.idmap import IdMap, parse_json
from ims_emulator.proxy.parity import ParityReport, Shadow, compare_in_shadow
from ims_emulator.proxy.recorder import Exchange, Recorder
from ims_emulator.proxy.scrub import Placeholders

log = logging.getLogger("ims_emulator.proxy")
MAX_REQUEST_BYTES = 12 * 1024 * 1024  # the gateway's own limit


@dataclasses.dataclass
class ProxyConfig:
    upstreams: dict[str, Upstream]     # service -> upstream; "*" = every service
    ak: str
    sk: str
    out: Path
    project_id: str | None = None      # the upstream project the client's project is rewritten to
    timeout: float = 60.0
    quiet: bool = False

    def upstream_for(self, service: str) -> Upstream | None:
        return self.upstreams.get(service) or self.upstreams.get("*")


class Proxy:
    def __init__(self, cfg: ProxyConfig, shadow: Shadow | None = None) -> None:
        self.cfg = cfg
        self.ph = Placeholders()
        self.ph.secret(cfg.sk)
        self.ph.add("ak", cfg.ak)
        if cfg.project_id:
            self.ph.add("project", cfg.project_id)  # always the first project placeholder
        cfg.out.mkdir(parents=True, exist_ok=True)
        self.recorder = Recorder(cfg.out, self.ph)
        self.shadow = shadow
        self.report = ParityReport(cfg.out, self.ph) if shadow else None
        mirrored = getattr(shadow, "world", None)
        if mirrored:  # the world read from the upstream, placeholders and all: the replay starts from it
            (cfg.out / "world.json").write_text(json.dumps(self.ph.json(mirrored), indent=2) + "\n", encoding="utf-8")
        self.ids = IdMap()
        self.job_service: dict[str, str] = {}   # job id -> the service that made it (IMS and ECS share the path)
        self._seq = 0
        self._lock = threading.Lock()
        self._serial = threading.Lock()         # parity: upstream and emulator see requests in the same order

    # -- WSGI ---------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_REQUEST_BYTES
        try:
            response = self.handle(request)
        except RequestEntityTooLarge:
            response = _error(413, "APIGW.0201", f"request body over {MAX_REQUEST_BYTES} bytes")
        except Exception:  # noqa: BLE001 - one failed exchange must not stop the session
            log.exception("proxy error on %s %s", request.method, request.path)
            response = _error(500, "PROXY.0500", "the recording proxy failed on this request (see its log)")
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        raw_path = (request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path)
        raw_path = raw_path.split("?", 1)[0]
        if raw_path.startswith("/_emulator"):
            return _error(404, "APIGW.0101", "the recording proxy does not forward the emulator's control API")
        raw_query = request.query_string.decode("latin-1")
        body = request.get_data(cache=True)
        route = routes.match(request.method, unquote(raw_path))
        service = self._service(route)
        upstream = self.cfg.upstream_for(service)
        if upstream is None:
            what = f"service {service}" if route else "a path the emulator does not route"
            return _error(502, "PROXY.0502", f"no --upstream for {what} (give one, or a catch-all --upstream URL)")
        headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED}
        raw_path, headers = self._rewrite_project(route, raw_path, headers)
        if self.shadow is None:
            return self._exchange(request.method, raw_path, raw_query, headers, body, route, service, upstream)
        with self._serial:
            return self._exchange(request.method, raw_path, raw_query, headers, body, route, service, upstream)

    def _exchange(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes,
                  route: routes.Route | None, service: str, upstream: Upstream) -> Response:
        t0 = time.perf_counter()
        signed = signed_headers(headers, upstream, method, raw_path, raw_query, body, self.cfg.ak, self.cfg.sk)
        target = raw_path + (f"?{raw_query}" if raw_query else "")
        try:
            answer = send(upstream, method, target, signed, body, self.cfg.timeout)
        except UpstreamError as exc:
            self._log(method, route, raw_path, service, 502, t0, "upstream: " + self.ph.text(str(exc)))
            return _error(502, "PROXY.0502", f"upstream {service} did not answer: {self.ph.text(str(exc))}")
        with self._lock:
            self._seq += 1
            seq = self._seq
        ex = Exchange(method, raw_path, raw_query, headers, body, route, service if route else "unrouted", upstream,
                      answer, seq)
        self._remember_job(ex)
        try:
            name = self.recorder.record(ex)
        except OSError as exc:  # the upstream has acted: the client gets its answer even if the disk is full
            log.error("could not write the recording of exchange %d: %s", seq, exc)
            name = ex.file_name()
        note = ""
        if self.shadow is not None and self.report is not None:
            note = self._compare(ex, name)
        self._log(method, route, raw_path, service, answer.status, t0, note)
        out = [(k, v) for k, v in answer.headers if k.lower() not in HOP_BY_HOP]
        return Response(answer.body, status=f"{answer.status} {answer.reason}", headers=out)

    def _compare(self, ex: Exchange, name: str) -> str:
        """Parity: the emulator's answer to the same request, compared. Whatever happens there, the client still
        gets the upstream's answer; an emulator that fails is a difference like any other."""
        shadow, report = self.shadow, self.report
        if shadow is None or report is None:
            return ""
        try:
            ours = compare_in_shadow(shadow, self.ids, ex)
        except Exception as exc:  # noqa: BLE001 - the emulator's failure is a finding, not the client's problem
            log.warning("parity: the emulator did not answer %s: %s", ex.operation, exc)
            report.failed(ex, name, f"{type(exc).__name__}: {exc}")
            return "parity: the emulator did not answer"
        self.ids.learn(parse_json(ex.answer.body), parse_json(ours.body))
        found = report.add(ex, name, ours)
        return f"parity: {len(found)} difference(s)" if found else "parity: same"

    # -- routing helpers ------------------------------------------------------------------------------------
    def _service(self, route: routes.Route | None) -> str:
        if route is None:
            return "*"
        if routes.is_job_route(route):
            return self.job_service.get(route.args.get("job_id", ""), route.service)
        return route.service

    def _remember_job(self, ex: Exchange) -> None:
        body = parse_json(ex.answer.body)
        if isinstance(body, dict) and isinstance(body.get("job_id"), str):
            self.job_service[body["job_id"]] = ex.service

    def _rewrite_project(self, route: routes.Route | None, raw_path: str,
                         headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        """With --project-id, the client's project (path or X-Project-Id) becomes the upstream's project."""
        want = self.cfg.project_id
        if not want:
            return raw_path, headers
        theirs = (route.args.get("project_id") if route else None) or _header(headers, "x-project-id")
        out = {k: (want if k.lower() == "x-project-id" else v) for k, v in headers.items()}
        if theirs and theirs != want:
            raw_path = raw_path.replace(f"/{theirs}/", f"/{want}/", 1)
        return raw_path, out

    def _log(self, method: str, route: routes.Route | None, raw_path: str, service: str, status: int, t0: float,
             note: str) -> None:
        if self.cfg.quiet:
            return
        what = route.template if route else self.ph.text(raw_path)  # templates: no ids in the log
        ms = (time.perf_counter() - t0) * 1000
        print(f"{method} {what} -> {service} {status} {ms:.0f}ms {note}".rstrip(), file=sys.stderr, flush=True)


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"error_code": code, "error_msg": message}), status=status,
                    content_type="application/json")


class ProxyServer:
    """The proxy on host:port (0 = a free port) in a background thread; `stop()` ends it."""

    def __init__(self, proxy: Proxy, host: str = "127.0.0.1", port: int = 0) -> None:
        from ims_emulator.server import _Handler
        self.proxy = proxy
        self._server = make_server(host, port, proxy, threaded=True, request_handler=_Handler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self.proxy.shadow is not None:
            self.proxy.shadow.close()
