"""Writing exchanges as recordings in the fixtures/ format, every value passed through the placeholders."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ims_emulator import __version__
from ims_emulator.proxy.forward import Answer, Upstream
from ims_emulator.proxy.idmap import parse_json
from ims_emulator.proxy.routes import Route
from ims_emulator.proxy.scrub import Placeholders

KEPT_RESPONSE_HEADERS = ("content-type", "cache-control", "location", "retry-after", "x-request-id",
                         "x-openstack-request-id")
MAX_TEXT = 65536  # a non-JSON body longer than this is recorded by its size only
NOTE = ("live traffic recorded by ims-emulator record {version}; account, project, domain and user ids, access "
        "keys, request ids and addresses are placeholders, consistent within the session")


@dataclasses.dataclass
class Exchange:
    """One request as it went upstream (after the project rewrite) and the upstream's answer."""

    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]        # the client's content headers (never its Authorization)
    body: bytes
    route: Route | None
    service: str                   # where it went: ims, csbs, cbr, ecs, evs
    upstream: Upstream
    answer: Answer
    seq: int = 0

    @property
    def operation(self) -> str:
        """The emulator's operation name, under the service that answered (an ECS job read is ecs.show_job)."""
        return f"{self.service}.{self.route.name}" if self.route else f"{self.service}.unrouted"

    def file_name(self) -> str:
        if self.route:
            name = self.route.name
        else:  # an operation the emulator does not serve: named by its path
            name = re.sub(r"[^a-z0-9]+", "_", f"{self.method} {unquote(self.raw_path)}".lower()).strip("_")[:80]
        return f"{self.service}/{name}.{self.seq:04d}.{self.answer.status}.json"


class Recorder:
    def __init__(self, out: Path, placeholders: Placeholders) -> None:
        self.out = out
        self.ph = placeholders
        self.files: list[str] = []
        self._lock = threading.Lock()

    def record(self, ex: Exchange) -> str:
        request, response = parse_json(ex.body), parse_json(ex.answer.body)
        self.ph.learn_headers(ex.headers)
        self.ph.learn_headers(dict(ex.answer.headers))
        self.ph.learn_json(request)
        self.ph.learn_json(response)
        if ex.route and "project_id" in ex.route.args:
            self.ph.add("project", unquote(ex.route.args["project_id"]))
        rec = self.as_fixture(ex, request, response)
        with self._lock:
            name = ex.file_name()
            path = self.out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            self.files.append(name)
            self._write_session()
        return name

    def as_fixture(self, ex: Exchange, request: Any, response: Any) -> dict[str, Any]:
        ph = self.ph
        url = ph.text(ex.raw_path + (f"?{ex.raw_query}" if ex.raw_query else ""))
        host = ph.text(ex.upstream.netloc)
        rec: dict[str, Any] = {
            "source": f"{ex.upstream.scheme}://{host}{url}",
            "operation": "".join(p.capitalize() for p in ex.operation.split(".", 1)[1].split("_")),
            "method": ex.method,
            "path": ex.route.template if ex.route else ph.text(ex.raw_path),
            "query": ph.text(ex.raw_query),
            "url": url,
            "status": ex.answer.status,
            "request_headers": {k: ph.text(v) for k, v in ex.headers.items()
                                if k.lower() in ("content-type", "x-project-id")},
            "request": ph.json(request),
            "headers": {k: ph.text(v) for k, v in ex.answer.headers if k.lower() in KEPT_RESPONSE_HEADERS},
            "response": ph.json(response),
            "sequence": ex.seq,
            "note": NOTE.format(version=__version__),
        }
        for key, raw in (("request", ex.body), ("response", ex.answer.body)):
            if isinstance(rec[key], str) and (len(raw) > MAX_TEXT or "\ufffd" in rec[key]):
                rec[key] = f"<{len(raw)} bytes, not JSON>"  # an image file upload, a binary answer
        return rec

    def _write_session(self) -> None:
        """session.json: the exchanges in order and how many placeholders of each kind (never the values)."""
        session = {"recorder": f"ims-emulator record {__version__}", "exchanges": self.files,
                   "placeholders": self.ph.counts()}
        (self.out / "session.json").write_text(json.dumps(session, indent=2) + "\n", encoding="utf-8")
