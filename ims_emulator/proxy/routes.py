"""Which API operation a request is, by the emulator's own URL map (so the proxy routes as the emulator does)."""

from __future__ import annotations

import dataclasses
import re
from functools import cache

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

SERVICES = ("ims", "csbs", "cbr", "ecs", "evs")
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclasses.dataclass(frozen=True)
class Route:
    operation: str              # the emulator's operation name, e.g. ims.create_whole_image
    service: str                # ims | csbs | cbr | ecs | evs (the upstream it goes to)
    template: str               # /v1/{project_id}/jobs/{job_id}
    args: dict[str, str]

    @property
    def name(self) -> str:
        return self.operation.split(".", 1)[1]


@cache
def _routes() -> Flask:
    """A bare app holding only the service blueprints: a URL map, no store."""
    from ims_emulator.api import service_modules
    app = Flask("ims-emulator-proxy-routes")
    for mod in service_modules():
        if mod.SERVICE != "control":
            app.register_blueprint(mod.bp)
    return app


def match(method: str, path: str) -> Route | None:
    app = _routes()
    try:
        rule, args = app.url_map.bind("proxy").match(path, method, return_rule=True)
    except (HTTPException, RequestRedirect):
        return None
    op = getattr(app.view_functions[rule.endpoint], "op", None)
    if not op:
        return None
    return Route(op, op.split(".", 1)[0], _CONVERTER.sub(r"{\1}", rule.rule), {k: str(v) for k, v in args.items()})


def is_job_route(route: Route) -> bool:
    """IMS and ECS serve jobs at the same path; the proxy sends a job read to the service that made the job."""
    return route.template.endswith("/jobs/{job_id}")
