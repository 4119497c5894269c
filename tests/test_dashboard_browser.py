"""The dashboard in a real headless Chromium: the tables render with the seeded data (skips without chromium)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.csbs_support import Csbs
from tests.support import Control, InProcessServer, new_project, server_spec, wait_for

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


@pytest.fixture
def private() -> Iterator[InProcessServer]:
    """An emulator of its own: the buttons reset everything."""
    server = InProcessServer()
    yield server
    server.stop()


def _click(browser, selector: str, expect: str) -> str:
    """Click a control button; the page calls the control API, reloads and shows the answer."""
    from selenium.webdriver.common.by import By
    browser.find_element(By.CSS_SELECTOR, selector).click()
    if selector == "#reset-all":
        browser.switch_to.alert.accept()  # the one button that asks first
    return wait_for(lambda: (t := browser.execute_script(
        "const e = document.getElementById('action-result'); return e ? e.textContent : '';")) and expect in t and t)


def test_the_buttons_drive_the_emulator(browser, private):
    from selenium.webdriver.common.by import By
    url, control = private.url, Control(private.url)
    project, other = new_project(), new_project()
    db = server_spec("db-1", status="SHUTOFF")
    control.seed(project, [db])
    control.seed(other, [server_spec("elsewhere")])
    control.put("/transitions", {"csbs.protect": "manual"})
    assert Csbs(url, project).protect(db["id"], backup_name="held").status_code == 200
    control.post("/faults", {"operations": ["ecs.show_server"], "action": "http_error", "error_code": "Ecs.0114",
                             "project_id": project})
    browser.get(f"{url}/_emulator/ui?refresh=0")

    (held,) = [r for r in _rows(browser, "backups") if "held" in r]
    assert "manual" in held
    row = browser.find_element(By.XPATH, f"//table[@id='projects']//tr[contains(., '{project}')]")
    row.find_element(By.CSS_SELECTOR, "button.settle-project").click()
    wait_for(lambda: "POST /_emulator/settle -> 200" in browser.execute_script(
        "return document.getElementById('action-result').textContent"))
    assert any("held" in r and "available" in r for r in _rows(browser, "backups"))

    browser.find_element(By.ID, "advance-seconds").clear()
    browser.find_element(By.ID, "advance-seconds").send_keys("7200")
    _click(browser, "#advance", "POST /_emulator/clock/advance -> 200")
    assert control.get("/clock").json()["offset_seconds"] == 7200
    assert "offset 7200 s" in browser.find_element(By.TAG_NAME, "body").text

    assert len(_rows(browser, "faults")) == 1
    _click(browser, "#clear-faults", "DELETE /_emulator/faults -> 200")
    assert _rows(browser, "faults") == [] and control.get("/faults").json()["faults"] == []

    row = browser.find_element(By.XPATH, f"//table[@id='projects']//tr[contains(., '{project}')]")
    row.find_element(By.CSS_SELECTOR, "button.reset-project").click()
    wait_for(lambda: "POST /_emulator/reset -> 204" in browser.execute_script(
        "return document.getElementById('action-result').textContent"))
    projects = control.get("/state").json()["projects"]
    assert project not in projects and other in projects
    assert [r for r in _rows(browser, "projects") if project in r] == []

    _click(browser, "#reset-all", "POST /_emulator/reset -> 204")
    assert control.get("/state").json()["projects"] == {} and _rows(browser, "projects") == []
