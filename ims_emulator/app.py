"""create_app(settings) -> Flask: services, error handlers, the request pipeline."""

from __future__ import annotations

import json
import logging
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ims_emulator.api import auth, limits, pipeline, service_modules
from ims_emulator.api.errors import SERVICES, control_error, error_response
from ims_emulator.api.jsonio import EmulatorJSON
from ims_emulator.api.routing import CachingMap
from ims_emulator.api.schemas.world import load_world_file
from ims_emulator.domain import clock, jobs, world
from ims_emulator.domain.errors import ServiceError
from ims_emulator.settings import Settings
from ims_emulator.store import Database

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

log = logging.getLogger("ims_emulator")
WORLDS = files(__package__) / "worlds"   # package data: a wheel carries the built-in worlds


class _Flask(Flask):
    url_map_class = CachingMap

    def ensure_sync(self, func: Any) -> Any:
        """No route or hook is a coroutine: skip Flask's inspection of each hook and view on every request."""
        return func


def create_app(settings: Settings | None = None, *, seed_world: bool = True) -> Flask:
    settings = settings or Settings()
    _configure_logging(settings)
    app = _Flask("ims_emulator")
    app.json = EmulatorJSON(app)
    app.config.update(SETTINGS=settings, DB=Database(settings.db), MAX_CONTENT_LENGTH=settings.max_body_bytes,
                      SERVICE_OF={})
    for mod in service_modules():
        app.register_blueprint(mod.bp)
        app.config["SERVICE_OF"][mod.bp.name] = mod.SERVICE
    pipeline.install(app)
    app.before_request_funcs.setdefault(None, []).insert(0, limits.check)  # the gateway's size limits first
    app.before_request(auth.control_guard)  # after the pipeline's hook, which names the service
    _install_error_handlers(app)
    app.config["DEMO_PROJECT"] = _start_state(app, settings, seed_world)
    return app


def _start_state(app: Flask, settings: Settings, seed_world: bool) -> str:
    """Apply start-up flags to the shared control state; seed the world into an empty store."""
    db: Database = app.config["DB"]
    project = ""
    transitions = settings.transition_map()
    unknown = sorted(set(transitions) - {"default"} - set(jobs.operation_names())
                     - {n for n in transitions if n.endswith(".*")})
    if unknown:  # same rule as PUT /_emulator/transitions: no silently ignored names
        raise ValueError(f"--transitions / IMS_EMULATOR_TRANSITIONS: unknown operation(s) {', '.join(unknown)}; "
                         f"valid: default, {', '.join(jobs.operation_names())}, or <service>.*")
    source = world_path(settings.world) if settings.world != "none" else None  # a typo fails on every start
    with db.write() as tx:
        if seed_world:
            tx.control.set("transitions", transitions)
        if seed_world and source is not None and not tx.projects.all():
            project = world.apply(tx, load_world_file(source), settings.region,
                                  clock.global_now(clock.load(tx), time.time()))
        projects = tx.projects.all()
        project = project or (projects[0]["project_id"] if projects else "<your project id>")
    return project


def world_names() -> list[str]:
    """The built-in worlds (`--world default`, `--world pipeline`), read from the package."""
    return sorted(r.name.removesuffix(".json") for r in WORLDS.iterdir() if r.name.endswith(".json"))


def world_path(name: str) -> Traversable | Path:
    """A built-in world by name, else a file; anything else names the setting and what it accepts."""
    if name in world_names():
        return WORLDS / f"{name}.json"
    path = Path(name)
    if path.is_file():
        return path
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        raise ValueError(f"--world / IMS_EMULATOR_WORLD: no such world file {name!r}")
    raise ValueError(f"--world / IMS_EMULATOR_WORLD: unknown world {name!r}; accepted: "
                     f"{' | '.join([*world_names(), 'none'])} | a .json/.yaml/.yml world file")


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if exc.code in (404, 405) and request.url_rule is None or exc.code == 405:
            return error_response(ServiceError("APIGW.0101"))
        if exc.code == 413:
            return error_response(ServiceError("APIGW.0201", "Request entity too large.", status=413))
        code = SERVICES[g.get("service", "ims")].invalid_body
        return error_response(ServiceError(code, exc.description or "Bad request.", status=exc.code or 400))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error, request_id=%s", g.get("request_id"))
        if g.get("service") == "control":  # the control API answers in its own format, 500s included
            return control_error(500, f"internal error ({type(exc).__name__}); see the emulator's log")
        code = SERVICES[g.get("service", "ims")].internal
        return error_response(ServiceError(code, "Internal server error.", status=500))


def _configure_logging(settings: Settings) -> None:
    access = logging.getLogger("ims_emulator")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter() if settings.log_format == "json"
                             else logging.Formatter("%(asctime)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False


class _JsonFormatter(logging.Formatter):
    """--log-format json: every line is one JSON object (access lines already are; errors get wrapped)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and not record.exc_info:
            return message
        out = {"level": record.levelname.lower(), "logger": record.name, "message": message}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out)
