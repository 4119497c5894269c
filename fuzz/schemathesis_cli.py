"""`make fuzz`: the schemathesis CLI (every phase: examples, coverage, fuzzing, stateful) against a fresh emulator,
from its own /_emulator/openapi.json. Extra arguments go to schemathesis, e.g. `-n 200` for more cases per operation.

    python -m fuzz.schemathesis_cli [schemathesis options]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import SubprocessServer

PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # the default world's project


def main(argv: list[str]) -> int:
    beside = Path(sys.executable).with_name("schemathesis")  # the venv's, when called as .venv/bin/python
    exe = str(beside) if beside.exists() else shutil.which("schemathesis")
    if exe is None:
        print("schemathesis is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 2
    server = SubprocessServer("--db", ":memory:", "--world", "default", "--quiet")
    try:
        cmd = [exe, "run", f"{server.url}/_emulator/openapi.json", "--url", server.url,
               "-H", "X-Auth-Token: fuzz", "-H", f"X-Project-Id: {PROJECT}",
               "--include-path-regex", "^/v",  # the control API resets and moves the clock: fuzzed by the tests
               "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance,strict_json",
               *(argv or ["-n", "50"])]
        print(" ".join(cmd), flush=True)
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks",  # strict_json: every answer is strict JSON
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        return subprocess.call(cmd, env=env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
