"""The yardstick for the poll benchmark: Flask returning one constant JSON body, no emulator code."""

from __future__ import annotations

from flask import Flask, Response

app = Flask("bare")
BODY = b'{"status": "SUCCESS", "job_id": "ff80808288d41e1b018f3e3c0d6c4a2e", "job_type": "createImageByBackup"}'


@app.get("/health")
def health() -> Response:
    return Response(BODY, mimetype="application/json")


@app.get("/<path:anything>")
def constant(anything: str) -> Response:
    return Response(BODY, mimetype="application/json")
