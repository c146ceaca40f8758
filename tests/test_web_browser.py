"""The werkplek in a real browser: Debian's chromium driven by Selenium through chromedriver.

The app runs under uvicorn on loopback with the demo fortnight; the browser logs in, reads
Vandaag, a dossier and a search (each checked with axe-core for WCAG 2.1 AA: no serious or
critical violations), marks a moment done (and the digest changes), and edits a rule: first with
an error (the caret message), then validly (backtest, save, rules.yaml keeps its comments).
Skipped only when chromium or chromedriver is missing (.ci/run installs them).
"""

from __future__ import annotations

import os

import json
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from monitor import pipeline
from monitor.config import load_config
from monitor.deliver.digest import render_digest
from monitor.store import Store
from monitor.web.app import create_app
from web_helpers import NOW, PASSWORD, build_demo, clock

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE = Path(__file__).parent / "fixtures" / "axe-core" / "axe.min.js"

_HAVE_BROWSER = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
if not _HAVE_BROWSER and os.environ.get("MONITOR_REQUIRE_BROWSER") == "1":
    # CI installs them (.ci/run): there a missing browser is a failure, not a skip.
    raise RuntimeError("MONITOR_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
pytestmark = pytest.mark.skipif(not _HAVE_BROWSER, reason="chromium and chromedriver are needed (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The werkplek on the demo fortnight, served by uvicorn on a free loopback port."""
    import uvicorn

    directory = build_demo(tmp_path_factory.mktemp("browser") / "demo")
    app = create_app(directory, directory / "monitor.db", clock=clock, secret=b"browser-test")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", directory
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="werkplek-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_for(driver, text: str, timeout: float = 30) -> None:  # noqa: ANN001
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element("tag name", "body").text, f"'{text}' did not appear")


def _wait_for_h1(driver, text: str, timeout: float = 30) -> None:  # noqa: ANN001
    from selenium.webdriver.support.ui import WebDriverWait

    def there(d) -> bool:  # noqa: ANN001
        found = d.find_elements("tag name", "h1")
        try:
            return bool(found) and found[0].text == text
        except Exception:  # the page was swapped between finding and reading
            return False

    WebDriverWait(driver, timeout).until(there, f"no page with heading '{text}'")


def _axe(driver) -> list[dict]:  # noqa: ANN001
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the current page."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e)}])));"
    )
    return [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]


def _describe(violations: list[dict]) -> str:
    return "; ".join(f"{v['id']}: {v.get('help')} ({[n.get('target') for n in v.get('nodes', [])][:3]})" for v in violations)


def test_the_werkplek_in_a_browser(site, browser):
    from selenium.webdriver.common.by import By

    base, directory = site
    browser.get(base + "/dossier/jeugd")
    _wait_for(browser, "Inloggen")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "naam").send_keys("marieke")
    browser.find_element(By.ID, "wachtwoord").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    _wait_for_h1(browser, "Jeugdzorg en jeugdhulp")
    assert browser.current_url.endswith("/dossier/jeugd")  # back where the login began

    # Vandaag
    browser.find_element(By.LINK_TEXT, "Vandaag").click()
    _wait_for_h1(browser, "Vandaag")
    assert "Woordvoerders briefen — TE LAAT — de deadline was wo 2 dec; nu alsnog" in browser.find_element(By.TAG_NAME, "main").text
    violations = _axe(browser)
    assert not violations, _describe(violations)

    # A dossier, from its link on Vandaag
    browser.find_element(By.LINK_TEXT, "Jeugdzorg en jeugdhulp").click()
    _wait_for_h1(browser, "Jeugdzorg en jeugdhulp")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "ingediend door R. El Idrissi (CDA), mede-indiener A.B. Jansen (GL-PvdA)" in main and "Abonneren" in main
    violations = _axe(browser)
    assert not violations, _describe(violations)

    # Zoeken
    browser.find_element(By.LINK_TEXT, "Zoeken").click()
    _wait_for_h1(browser, "Zoeken")
    browser.find_element(By.ID, "q").send_keys('wachttijden AND "jeugdzorg"')
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    _wait_for(browser, "gevonden")
    assert "Brief over wachttijden in de jeugdzorg" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_elements(By.TAG_NAME, "mark")
    violations = _axe(browser)
    assert not violations, _describe(violations)

    # Mark the late moment done, and the digest says so
    browser.find_element(By.LINK_TEXT, "Vandaag").click()
    _wait_for_h1(browser, "Vandaag")
    form = browser.find_element(By.CSS_SELECTOR, "form.work[id^='actie-brief-']")
    form.find_element(By.CSS_SELECTOR, "input[name='afgehandeld']").click()
    form.find_element(By.CSS_SELECTOR, "input[name='notitie']").send_keys("Brief aan de commissie gestuurd")
    form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    _wait_for(browser, "afgehandeld door marieke op ma 7 dec 08:00")
    assert "TE LAAT" not in browser.find_element(By.TAG_NAME, "main").text
    config = load_config(directory)
    store = Store(directory / "monitor.db")
    try:
        [digest] = pipeline.preview_digests(config, store, NOW, "wmo@gemeente.example")
        text, _ = render_digest(digest)
    finally:
        store.close()
    assert "Woordvoerders briefen — afgehandeld door marieke op ma 7 dec 08:00" in text and "TE LAAT" not in text
    assert "notitie (marieke, ma 7 dec 08:00): Brief aan de commissie gestuurd" in text

    # The rules editor: an error with its caret, then a valid change, backtested and saved
    original = (directory / "rules.yaml").read_text(encoding="utf-8")
    browser.get(base + "/regels/jeugd")
    _wait_for_h1(browser, "Regels: Jeugdzorg en jeugdhulp")
    query = browser.find_element(By.NAME, "regel-1-query")
    query.clear()
    query.send_keys("jeugd* AND (tekort* OR budget*")
    browser.find_element(By.CSS_SELECTOR, "button[value='controleren']").click()
    _wait_for(browser, "rules.yaml zou zo niet werken")
    problem = browser.find_element(By.CSS_SELECTOR, "pre.problem").text
    assert "rules.yaml:" in problem and "rule 'geld'" in problem and "jeugd* AND (tekort* OR budget*\n" in problem and "^" in problem
    assert not browser.find_elements(By.CSS_SELECTOR, "button[value='opslaan']")
    query = browser.find_element(By.NAME, "regel-1-query")
    query.clear()
    query.send_keys("jeugd* AND (tekort* OR budget* OR wachttijden)")
    browser.find_element(By.NAME, "item").send_keys("tk:zaak/2a000000-0000-4000-8000-000000000001")
    browser.find_element(By.CSS_SELECTOR, "button[value='controleren']").click()
    _wait_for(browser, "Backtest op")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "jeugd.geld" in main and "Test op item" in main
    assert (directory / "rules.yaml").read_text(encoding="utf-8") == original
    browser.find_element(By.CSS_SELECTOR, "button[value='opslaan']").click()
    _wait_for(browser, "Opgeslagen in rules.yaml")
    saved = (directory / "rules.yaml").read_text(encoding="utf-8")
    assert "query: jeugd* AND (tekort* OR budget* OR wachttijden)" in saved
    assert "# A query that starts with * or with a \"phrase\" must be put in single quotes as a whole:" in saved
    assert len(saved.splitlines()) == len(original.splitlines())
