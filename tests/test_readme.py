"""The README's examples run: every ```sh and ```python block, in order, against one live emulator.

The rules (written down in the README's "Contributing" section): sh blocks run with bash and may use curl
and jq, except blocks whose every command installs or starts things (SETUP); python blocks that define
test_ functions run under pytest with the plugin pointed at the emulator, the others as scripts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import SubprocessServer

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
SETUP = ("make", "pip", "pipx", "docker", "git", "ims-emulator serve")
README_PORT = "127.0.0.1:8085"


def blocks(text: str) -> list[tuple[str, int, str]]:
    """(language, line number, code) of every fenced block."""
    return [(m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2)) for m in FENCE.finditer(text)]


def commands(code: str) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments and blanks dropped, && and ; split."""
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out += [c.strip() for c in re.split(r"&&|;", line) if c.strip()]
    return out


def is_setup(code: str, where: str) -> bool:
    found = [c.startswith(SETUP) for c in commands(code)]
    assert all(found) or not any(found), f"README block at line {where} mixes setup commands with examples"
    return all(found)


def _run(lang: str, line: int, code: str, url: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    code = code.replace(README_PORT, url.split("://", 1)[1])
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    if lang == "sh":
        cmd = ["bash", "-euo", "pipefail", "-c", code]
    else:
        script = tmp / f"test_readme_line_{line}.py"
        script.write_text(code)
        cmd = [sys.executable, str(script)]
        if re.search(r"^def test_", code, re.M):
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
                   "--ims-emulator-url", url, str(script)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=180)


def test_every_readme_example_runs(tmp_path):
    text = README.read_text(encoding="utf-8")
    examples = [(lang, line, code) for lang, line, code in blocks(text)
                if lang == "python" or (lang == "sh" and not is_setup(code, str(line)))]
    if any(lang == "sh" for lang, _, _ in examples) and not (shutil.which("curl") and shutil.which("jq")):
        pytest.skip("the README's shell examples need curl and jq (.ci/run installs them)")
    server = SubprocessServer("--db", str(tmp_path / "state.db"), "--world", "default", "--quiet")
    try:
        for lang, line, code in examples:
            result = _run(lang, line, code, server.url, tmp_path)
            assert result.returncode == 0, (f"README.md line {line} ({lang}) failed:\n"
                                            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    finally:
        server.stop()
    assert len(examples) >= 5  # the walkthrough (curl, SDK), the snippet, the pytest and control examples


def test_the_setup_rule_skips_only_install_and_start_commands():
    assert is_setup("make serve   # comment\nmake test\n", "t")
    assert is_setup("docker build -t x . && docker run x\n", "t")
    assert not is_setup("curl -s http://127.0.0.1:8085/_emulator/health\n", "t")
    with pytest.raises(AssertionError, match="mixes"):
        is_setup("pip install .\ncurl -s http://127.0.0.1:8085/_emulator/health\n", "t")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_contents_links_every_section_and_every_link_has_a_target():
    text = README.read_text(encoding="utf-8")
    outside_code = FENCE.sub("", text)
    headings = re.findall(r"^(#{2,4}) (.+)$", outside_code, re.M)
    anchors = {_slug(h) for _, h in headings}
    contents = outside_code.split("## Contents", 1)[1].split("\n## ", 1)[0]
    linked = set(re.findall(r"\]\(#([^)]+)\)", contents))
    missing = [h for level, h in headings if level == "##" and _slug(h) not in linked | {"contents"}]
    assert not missing, f"add these sections to the README's Contents: {missing}"
    dangling = set(re.findall(r"\]\(#([^)]+)\)", outside_code)) - anchors
    assert not dangling, f"README links to missing headings: {sorted(dangling)}"
