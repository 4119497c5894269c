"""The dashboard in a real headless Chromium: the tables render with the seeded data (skips without chromium)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.csbs_support import Csbs
from tests.support import server_spec

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="chromium and chromedriver are not installed (apt-get install chromium "
                                       "chromium-driver)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1600")


@pytest.fixture
def browser(tmp_path) -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _rows(browser, table: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [row.text for row in browser.find_elements(By.CSS_SELECTOR, f"table#{table} tbody tr")]


def test_dashboard_renders_seeded_state_in_chromium(browser, url, control, project, tmp_path):
    web, db = server_spec("web-<b>1</b>"), server_spec("db-1", status="SHUTOFF")
    control.seed(project, [web, db], project_name="browser-team")
    control.put("/transitions", {"csbs.protect": "manual"})
    assert Csbs(url, project).protect(db["id"], backup_name="db-nightly").status_code == 200

    browser.get(f"{url}/_emulator/ui?project_id={project}&refresh=0")
    assert browser.title == "ims-emulator dashboard"
    (project_row,) = _rows(browser, "projects")
    assert project in project_row and "browser-team" in project_row
    servers = _rows(browser, "servers")
    assert len(servers) == 2 and any("web-<b>1</b>" in r for r in servers)  # shown as text, not markup
    (backup,) = _rows(browser, "backups")
    assert "db-nightly" in backup and "csbs.protect: manual" in backup
    assert any("csbs.protect" in r and "manual" in r for r in _rows(browser, "jobs"))
    assert any(r.startswith("csbs.protect manual") for r in _rows(browser, "transitions"))

    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
