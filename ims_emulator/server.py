"""Serving: one threaded process by default, N processes (gunicorn) with --workers N."""

from __future__ import annotations

import atexit
import dataclasses
import json
import shutil
import signal
import sys
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from ims_emulator import __version__, banner
from ims_emulator.api import limits
from ims_emulator.settings import Settings
from ims_emulator.store.db import _remove_db_files
from ims_emulator.store.snapshots import snapshot_dir


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: pollers reuse connections

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # the app writes its own access log
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request line or header over 64 KiB never reaches the app: answer as the app does (limits.py)."""
        if code not in (414, 431):
            super().send_error(code, message, explain)
            return
        status, reason, request_id, body = limits.gateway_body(code)
        self.send_response(status, reason)
        for name, value in (("Content-Type", "application/json"), ("X-Request-Id", request_id),
                            ("Connection", "close"), ("Content-Length", str(len(body)))):
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(body)


def _announce(settings: Settings, sockname: tuple[Any, ...], snippet: str, project: str) -> None:
    """The address actually bound (not the one asked for), and a warning when it is not loopback."""
    host, port = str(sockname[0]), int(sockname[1])
    warning = banner.bind_warning(settings, host)
    as_json = settings.log_format == "json"  # JSON log mode prints JSON only: one object per line
    if warning:
        print(json.dumps({"level": "warning", "message": warning}) if as_json else warning, file=sys.stderr,
              flush=True)
    text = snippet.format(version=__version__, bound=banner.url(host, port), url=banner.client_url(host, port),
                          auth=settings.auth, region=settings.region, db=settings.db, project=project,
                          creds=banner.credentials_line(settings, project))
    if as_json:
        first, _, rest = text.partition("\n")
        text = json.dumps({"event": "listening", "message": first, "url": banner.client_url(host, port),
                           "version": __version__, "project_id": project, "snippet": rest})
    print(text, flush=True)


def serve(settings: Settings, snippet: str) -> int:
    if settings.workers > 1:
        return _serve_gunicorn(settings, snippet)
    from ims_emulator.app import create_app
    app = create_app(settings)
    server = make_server(settings.host, settings.port, app, threaded=True, request_handler=_Handler)
    _announce(settings, server.socket.getsockname(), snippet, app.config["DEMO_PROJECT"])

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


def _serve_gunicorn(settings: Settings, snippet: str) -> int:
    from gunicorn.app.base import BaseApplication

    from ims_emulator.app import create_app
    # migrate + seed once in the master, before the workers fork
    master = create_app(settings)
    project = master.config["DEMO_PROJECT"]
    worker_settings = settings
    if settings.db == ":memory:":  # the workers open the master's private file, not one each
        worker_settings = dataclasses.replace(settings, db=master.config["DB"].path)
        atexit.register(shutil.rmtree, snapshot_dir(worker_settings.db), True)

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", settings.workers)
            self.cfg.set("worker_class", "ims_emulator.balance.BalancedThreadWorker")  # gthread, connections spread
            self.cfg.set("threads", settings.threads)
            self.cfg.set("keepalive", 30)
            # no gunicorn HTML 414/431: every request reaches the app's gateway limits (api/limits.py)
            self.cfg.set("limit_request_line", 0)
            self.cfg.set("limit_request_field_size", 1024 * 1024)  # 0 would mean gunicorn's default, 8,190
            self.cfg.set("limit_request_fields", 32768)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning")
            self.cfg.set("post_fork", _forget_master_cleanup)
            self.cfg.set("when_ready", lambda arbiter: _announce(
                settings, arbiter.LISTENERS[0].sock.getsockname(), snippet, project))

        def load(self) -> Any:
            return create_app(worker_settings, seed_world=False)

    App().run()
    return 0


def _forget_master_cleanup(server: Any, worker: Any) -> None:
    """Workers inherit the master's atexit handlers; only the master may remove a :memory: store."""
    atexit.unregister(_remove_db_files)
    atexit.unregister(shutil.rmtree)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve(Settings(), "{bound}"))
