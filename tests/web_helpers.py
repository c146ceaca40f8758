"""Helpers for the werkplek tests: the demo fortnight as a store on disk, users, a logged-in client."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

from monitor import pipeline
from monitor.config import load_config
from monitor.demo import DATA, FEED_FILE, STAGES, _at, _sources
from monitor.demo.replay import FeedReplay, SyncFeedReplay
from monitor.starter import starter_file
from monitor.store import Store
from monitor.web import accounts

NOW = _at(STAGES[-1][1])  # the demo's last day: ma 7 dec 2026 08:00
PASSWORD = "een-lang-wachtwoord"
USERS = (("marieke", "beheerder", "jeugd@gemeente.example"), ("redactie", "redacteur", None), ("lezer", "lezer", None))


def build_demo(directory: Path) -> Path:
    """The demo fortnight fetched by the real pipeline into `directory` (sources.yaml, rules.yaml, monitor.db)."""
    directory.mkdir(parents=True, exist_ok=True)
    kamer = SyncFeedReplay(page_size=250).start()
    press = FeedReplay({FEED_FILE: (DATA / "feeds" / FEED_FILE).read_bytes()}).start()
    try:
        (directory / "sources.yaml").write_text(_sources(kamer.url, press.url(FEED_FILE)), encoding="utf-8")
        (directory / "rules.yaml").write_text(starter_file("rules.yaml"), encoding="utf-8")
        config = load_config(directory)
        store = Store(directory / "monitor.db")
        try:
            for stage, when in STAGES:
                kamer.publish(stage)
                runs, _ = pipeline.fetch_and_match(config, store, _at(when), backoff=0.0)
                assert not [r for r in runs if r.error]
            for name, role, email in USERS:
                accounts.add_user(store.db, name, role, PASSWORD, email, "2026-12-01T08:00:00+01:00")
        finally:
            store.close()
    finally:
        kamer.stop()
        press.stop()
    return directory


def copy_demo(source: Path, target: Path) -> Path:
    """A private copy (a test that writes must not change another's data)."""
    shutil.copytree(source, target)
    return target


def clock() -> datetime:
    return NOW


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client, name: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """Log `client` (a Starlette TestClient) in; returns the answer to the login POST."""
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf_of(page.text), "naam": name, "wachtwoord": password, "volgende": "/"})
