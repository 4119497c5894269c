"""GET /_emulator/: the control endpoints, listed from the app's own URL map (never hand-written)."""

from __future__ import annotations

import inspect
import re

from flask import Blueprint, Response, current_app, jsonify

from ims_emulator import __version__, coverage

SERVICE = "control"
bp = Blueprint("control_index", __name__, url_prefix="/_emulator")


@bp.get("/")
def index() -> Response:
    """This list of the control endpoints."""
    endpoints = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/_emulator/") and rule.endpoint != "static":
            doc = inspect.getdoc(current_app.view_functions[rule.endpoint]) or ""
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            endpoints += [{"method": m, "path": path, "what": doc.split("\n", 1)[0]}
                          for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return jsonify({"version": __version__, "endpoints": endpoints})


@bp.get("/coverage")
def coverage_report() -> Response:
    """Every SDK and CSBS operation, emulated or not, from this app's routes (COVERAGE.md as JSON)."""
    return jsonify(coverage.report(current_app))
