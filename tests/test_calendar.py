"""The lobbykalender parsed back with icalendar: stable UIDs, SEQUENCE from the change log, CANCELLED."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from monitor.briefing import build_briefing
from monitor.deliver import calendar as cal
from monitor.store import Store
from monitor.timeutil import iso

from test_digest_fixtures import NOW, activity, add, free_port, make_config, seed

UID = "tk-activiteit-a1@lobbykalender.monitor"
SECRET = b"test-secret"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


def ics(store: Store, now=NOW, dossier: str | None = None) -> bytes:
    """The calendar as the pipeline renders it (from stored matches, as of `now`)."""
    config = make_config()
    return cal.render_calendar(build_briefing(store.view(now), config, cal.calendar_scope(now, dossier)), dossier)


def events(body: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def deadline_of(found: dict[str, object]) -> object:
    [event] = [e for uid, e in found.items() if uid.startswith("moment-brief-")]
    return event


def test_events_for_meetings_and_deadlines_with_timezone(store):
    seed(store)
    body = ics(store)
    parsed = Calendar.from_ical(body)
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    found = events(body)
    meeting = found[UID]
    assert meeting["DTSTART"].dt == NOW + timedelta(days=9, hours=3)
    assert meeting["DTSTART"].dt.tzinfo.key == "Europe/Amsterdam"
    assert meeting["DTEND"].dt - meeting["DTSTART"].dt == timedelta(hours=3)
    assert str(meeting["STATUS"]) == "CONFIRMED" and int(meeting["SEQUENCE"]) == 0
    description = str(meeting["DESCRIPTION"])
    assert "Agenda:\n- Stand van zaken jeugdzorg" in description
    assert "Woordvoerders briefen — uiterlijk do 26 nov" in description  # the same words as the digest
    assert "J. de Vries (CDA) — 1 motie over jeugdzorg" in description
    assert "https://www.tweedekamer.nl/" in description and str(meeting["URL"]).startswith("https://")
    assert "Thorbeckezaal" in str(meeting["LOCATION"])
    deadline = deadline_of(found)
    assert deadline["DTSTART"].dt == date(2026, 11, 26)  # all-day, 5 working days before Thu 3 Dec
    assert str(deadline["SUMMARY"]) == "Deadline: Woordvoerders briefen — Commissiedebat Jeugdbeleid"
    assert "Woordvoerders:" in str(deadline["DESCRIPTION"])
    assert str(deadline["TRANSP"]) == "TRANSPARENT"


def test_uids_stable_and_output_identical_across_runs(store):
    seed(store)
    first = ics(store)
    second = ics(store, NOW + timedelta(hours=3))
    assert set(events(first)) == set(events(second))
    assert first == second  # nothing changed: byte-identical, so clients see no update


def test_reading_the_calendar_writes_nothing(store):
    seed(store)
    before = list(store.db.conn.iterdump())
    ics(store)
    ics(store, NOW + timedelta(days=1), "jeugd")
    assert list(store.db.conn.iterdump()) == before


def test_sequence_follows_the_change_log_move_then_cancel(store):
    seed(store)
    before = events(ics(store))[UID]
    # The meeting moves two days later.
    moved_at = NOW + timedelta(days=11, hours=3)
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", moved_at), iso(NOW + timedelta(hours=1)))
    after = events(ics(store, NOW + timedelta(hours=2)))
    assert after[UID]["DTSTART"].dt == moved_at
    assert int(after[UID]["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after[UID]["DTSTAMP"].dt > before["DTSTAMP"].dt
    deadline = deadline_of(after)
    assert deadline["DTSTART"].dt == date(2026, 11, 30) and int(deadline["SEQUENCE"]) == 1
    # Rebuilding without a change keeps the sequence; as of before the move it is the old event.
    assert int(events(ics(store, NOW + timedelta(hours=3)))[UID]["SEQUENCE"]) == 1
    assert events(ics(store, NOW + timedelta(minutes=30)))[UID]["DTSTART"].dt == NOW + timedelta(days=9, hours=3)
    # Cancelled: STATUS:CANCELLED and one more SEQUENCE, on the meeting and its deadline.
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", moved_at, status="Geannuleerd"), iso(NOW + timedelta(hours=4)))
    cancelled = events(ics(store, NOW + timedelta(hours=5)))
    assert str(cancelled[UID]["STATUS"]) == "CANCELLED" and int(cancelled[UID]["SEQUENCE"]) == 2
    assert str(cancelled[UID]["SUMMARY"]).startswith("GEANNULEERD: ")
    deadline = deadline_of(cancelled)
    assert str(deadline["STATUS"]) == "CANCELLED" and int(deadline["SEQUENCE"]) == 2


def test_deleted_meeting_is_cancelled(store):
    items = seed(store)
    ics(store)
    store.mark_deleted(items["debate"].id, iso(NOW + timedelta(hours=1)))
    after = events(ics(store, NOW + timedelta(hours=2)))
    assert str(after[UID]["STATUS"]) == "CANCELLED" and int(after[UID]["SEQUENCE"]) == 1


def test_per_dossier_feed(store):
    seed(store)
    add(store, activity("w9", "Commissiedebat Wmo", NOW + timedelta(days=3)), "wmo", "wmo", ["Wmo"])
    jeugd = events(ics(store, dossier="jeugd"))
    wmo = events(ics(store, dossier="wmo"))
    assert UID in jeugd and "tk-activiteit-w9@lobbykalender.monitor" not in jeugd
    assert "tk-activiteit-w9@lobbykalender.monitor" in wmo and UID not in wmo
    assert all("Wmo" in str(e["CATEGORIES"].to_ical()) for e in wmo.values())


def seeded_renderer(tmp_path, extra: dict[str, bytes] | None = None):
    """A seeded database and the render function the server calls (a fresh Store per request, as the CLI passes)."""
    path = str(tmp_path / "monitor.db")
    store = Store(path)
    seed(store)
    store.close()
    config = make_config()

    def render(dossier):
        if dossier is not None and dossier not in config.rules.dossiers:
            raise KeyError(dossier)
        fresh = Store(path)
        try:
            body = cal.render_calendar(build_briefing(fresh.view(NOW), config, cal.calendar_scope(NOW, dossier)), dossier)
        finally:
            fresh.close()
        return body + (extra or {}).get("tail", b"")

    return config, render


def test_server_serves_the_feeds(tmp_path):
    config, render = seeded_renderer(tmp_path)

    server = cal.serve_calendar(render, config.rules, SECRET, "127.0.0.1", free_port())
    try:
        with urllib.request.urlopen(server.url_for("jeugd"), timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/calendar")
            body = response.read()
        assert UID in events(body)
        with urllib.request.urlopen(server.url_for("alle"), timeout=5) as response:
            assert b"BEGIN:VCALENDAR" in response.read()
        jeugd_token = cal.calendar_token(SECRET, "jeugd")
        for path in ("alle.ics", "jeugd.ics", f"{jeugd_token}/alle.ics", f"{jeugd_token[:-1]}0/jeugd.ics", f"{'0' * 32}/onbekend.ics"):
            with pytest.raises(urllib.error.HTTPError) as err:  # no token, another calendar's token, a wrong one
                urllib.request.urlopen(server.url + path, timeout=5)
            assert err.value.code == 404, path
            assert b"BEGIN:VCALENDAR" not in err.value.read()
        with urllib.request.urlopen(server.url.replace("/kalender/", "/health"), timeout=5) as response:
            assert response.read() == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url.replace("/kalender/", "/etc/passwd"), timeout=5)
        assert err.value.code == 404
    finally:
        server.stop()


def test_a_recreated_meeting_is_one_event_that_moves(store):
    add(store, activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9)), "jeugd", "kern", ["jeugdzorg"])
    assert int(events(ics(store))[UID]["SEQUENCE"]) == 0
    # The Kamer marks the meeting Verplaatst before it knows the new date: no longer a fixed appointment.
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9), status="Verplaatst"), iso(NOW + timedelta(hours=1)))
    waiting = events(ics(store, NOW + timedelta(hours=1)))[UID]
    assert str(waiting["STATUS"]) == "TENTATIVE" and str(waiting["SUMMARY"]).startswith("VERPLAATST (nieuwe datum volgt)")
    assert int(waiting["SEQUENCE"]) == 1
    # Then it re-creates the meeting under a new id, two weeks later, without an agenda yet.
    new = activity("a2", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=23))
    new.data["vervangen_vanuit"] = "a1"
    store.upsert_item(new, iso(NOW + timedelta(hours=2)))
    found = events(ics(store, NOW + timedelta(hours=2)))
    assert "tk-activiteit-a2@lobbykalender.monitor" not in found  # not a second event
    moved = found[UID]
    assert moved["DTSTART"].dt == NOW + timedelta(days=23) and str(moved["STATUS"]) == "CONFIRMED"
    assert int(moved["SEQUENCE"]) == 2


def test_a_repeat_poll_gets_304_and_new_content_a_new_etag(tmp_path):
    version = {"tail": b""}
    config, render = seeded_renderer(tmp_path, version)

    server = cal.serve_calendar(render, config.rules, SECRET, "127.0.0.1", free_port())
    try:
        with urllib.request.urlopen(server.url_for("alle"), timeout=5) as response:
            etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
            assert response.read().startswith(b"BEGIN:VCALENDAR")
        assert etag.startswith('"') and modified.endswith("GMT")
        for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}, {"If-None-Match": f'"other", {etag}'}):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(urllib.request.Request(server.url_for("alle"), headers=headers), timeout=5)
            assert err.value.code == 304 and err.value.read() == b"" and err.value.headers["ETag"] == etag
        version["tail"] = b"\r\n"  # the feed changed
        with urllib.request.urlopen(urllib.request.Request(server.url_for("alle"), headers={"If-None-Match": etag}), timeout=5) as response:
            assert response.status == 200 and response.headers["ETag"] != etag
    finally:
        server.stop()


def test_the_secret_is_made_once_private_and_the_urls_follow_it(tmp_path, monkeypatch, capsys):
    from monitor.cli import main

    monkeypatch.delenv(cal.SECRET_ENV, raising=False)
    db = tmp_path / "monitor.db"
    first = cal.calendar_secret(db)
    assert cal.calendar_secret(db) == first and len(first) == 64
    assert (tmp_path / "monitor.db.calendar-secret").stat().st_mode & 0o077 == 0  # the owner's only
    urls = cal.subscribe_urls("https://monitor.gemeente.example/kalender", first, ["jeugd", "wmo"])
    assert urls["jeugd"] == f"https://monitor.gemeente.example/kalender/{cal.calendar_token(first, 'jeugd')}/jeugd.ics"
    assert len(set(urls.values())) == 3
    monkeypatch.setenv(cal.SECRET_ENV, "uit-de-omgeving")
    assert cal.calendar_secret(db) == b"uit-de-omgeving"
    monkeypatch.delenv(cal.SECRET_ENV)
    from conftest import write_config

    config = write_config(tmp_path / "cfg", "sources: []\n", "dossiers:\n  jeugd:\n    title: Jeugd\n    rules:\n      - name: kern\n        query: jeugdzorg\n")
    assert main(["calendar", "--urls", "--config", str(config), "--base-url", "https://m.example/kalender/"]) == 0
    lines = capsys.readouterr().out.splitlines()
    secret = cal.calendar_secret(config / "monitor.db")
    assert lines == [f"alle\thttps://m.example/kalender/{cal.calendar_token(secret, 'alle')}/alle.ics",
                     f"jeugd\thttps://m.example/kalender/{cal.calendar_token(secret, 'jeugd')}/jeugd.ics"]
