"""A built wheel, installed into a fresh virtualenv, serves the default world from an empty directory.

Proves the package carries everything `serve` reads (built-in worlds, error catalogue, schema, coverage
data) instead of finding it in the source tree. The new venv gets the wheel only (`--no-deps`); its
dependencies come from this venv's site-packages through a plain path line in a .pth file (a path line
does not run the .pth files found there, so this checkout's editable install stays invisible).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import requests

from tests.support import SubprocessServer

ROOT = Path(__file__).resolve().parents[1]
DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"  # build from a copy: the build never writes build/ or *.egg-info into the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "ims_emulator", src / "ims_emulator", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("ims_emulator-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "_outer_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def test_wheel_serves_the_default_world_from_an_empty_directory(tmp_path):
    env_dir = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import ims_emulator; print(ims_emulator.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(env_dir)), where  # the installed copy, not this checkout
    empty = tmp_path / "empty"
    empty.mkdir()
    server = SubprocessServer(command=[str(env_dir / "bin" / "ims-emulator"), "serve"], cwd=empty)
    try:
        assert requests.get(f"{server.url}/_emulator/health", timeout=10).json()["status"] == "ok"
        servers = requests.get(f"{server.url}/_emulator/state", timeout=10).json()["projects"][DEMO_PROJECT]["servers"]
        assert sorted(s["name"] for s in servers) == ["cluster-node-1", "db-1", "web-1"]
        coverage = requests.get(f"{server.url}/_emulator/coverage", timeout=10)  # its data file ships too
        assert coverage.status_code == 200 and coverage.json()["services"]["ims"]["emulated"] > 0, coverage.text
    finally:
        server.stop()
    assert (empty / ".ims-emulator" / "state.db").exists()  # state lands in the working directory
