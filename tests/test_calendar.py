"""The lobbykalender parsed back with icalendar: stable UIDs, SEQUENCE after a move, CANCELLED."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from icalendar import Calendar

from monitor.deliver import calendar as cal
from monitor.store import Store
from monitor.timeutil import AMS, iso

from test_digest_fixtures import NOW, activity, add, brief_moment, free_port, make_config, seed


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


def events(ics: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(ics)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def test_events_for_meetings_and_moments_with_timezone(store):
    items = seed(store)
    rules = make_config().rules
    ics = cal.build_calendar(store, rules, [brief_moment(items["debate"])], NOW)
    parsed = Calendar.from_ical(ics)
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    found = events(ics)
    meeting = found["tk-activiteit-a1@lobbykalender.monitor"]
    assert meeting["DTSTART"].dt == NOW + timedelta(days=9, hours=3)
    assert meeting["DTSTART"].dt.tzinfo.key == "Europe/Amsterdam"
    assert meeting["DTEND"].dt - meeting["DTSTART"].dt == timedelta(hours=3)
    assert str(meeting["STATUS"]) == "CONFIRMED" and int(meeting["SEQUENCE"]) == 0
    description = str(meeting["DESCRIPTION"])
    assert "Agenda:\n- Stand van zaken jeugdzorg" in description
    assert "J. de Vries (CDA)" in description  # woordvoerders from the moment of this meeting
    assert "https://www.tweedekamer.nl/" in description and str(meeting["URL"]).startswith("https://")
    assert "Thorbeckezaal" in str(meeting["LOCATION"])
    deadline = found["moment-brief-tk-activiteit-a1@lobbykalender.monitor"]
    assert deadline["DTSTART"].dt == (NOW + timedelta(days=2)).date()  # all-day, on the deadline
    assert str(deadline["SUMMARY"]).startswith("Briefing woordvoerders: Commissiedebat Jeugdbeleid")
    assert "Woordvoerders:" in str(deadline["DESCRIPTION"])
    assert str(deadline["TRANSP"]) == "TRANSPARENT"


def test_uids_stable_and_output_identical_across_runs(store):
    items = seed(store)
    rules = make_config().rules
    moments = [brief_moment(items["debate"])]
    first = cal.build_calendar(store, rules, moments, NOW)
    second = cal.build_calendar(store, rules, moments, NOW + timedelta(hours=3))
    assert set(events(first)) == set(events(second))
    assert first == second  # nothing changed: byte-identical, so clients see no update


def test_sequence_increases_when_the_meeting_moves_and_cancelled_after_cancellation(store):
    items = seed(store)
    rules = make_config().rules
    moment = brief_moment(items["debate"])
    uid = "tk-activiteit-a1@lobbykalender.monitor"
    before = events(cal.build_calendar(store, rules, [moment], NOW))[uid]
    # The meeting moves two days later.
    moved_at = NOW + timedelta(days=11, hours=3)
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", moved_at, status="Verplaatst"), iso(NOW + timedelta(hours=1)))
    moment.event_at, moment.deadline, moment.status = iso(moved_at), (NOW + timedelta(days=4)).date().isoformat(), "verplaatst"
    after = events(cal.build_calendar(store, rules, [moment], NOW + timedelta(hours=2)))
    assert after[uid]["DTSTART"].dt == moved_at
    assert int(after[uid]["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after[uid]["DTSTAMP"].dt > before["DTSTAMP"].dt
    assert int(after["moment-brief-tk-activiteit-a1@lobbykalender.monitor"]["SEQUENCE"]) == 1
    # Rebuilding without a change keeps the sequence.
    again = events(cal.build_calendar(store, rules, [moment], NOW + timedelta(hours=3)))
    assert int(again[uid]["SEQUENCE"]) == 1
    # Cancelled: STATUS:CANCELLED and one more SEQUENCE, on the meeting and its deadline.
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", moved_at, status="Geannuleerd"), iso(NOW + timedelta(hours=4)))
    moment.status = "geannuleerd"
    cancelled = events(cal.build_calendar(store, rules, [moment], NOW + timedelta(hours=5)))
    assert str(cancelled[uid]["STATUS"]) == "CANCELLED" and int(cancelled[uid]["SEQUENCE"]) == 2
    assert str(cancelled[uid]["SUMMARY"]).startswith("GEANNULEERD")
    deadline = cancelled["moment-brief-tk-activiteit-a1@lobbykalender.monitor"]
    assert str(deadline["STATUS"]) == "CANCELLED" and int(deadline["SEQUENCE"]) == 2


def test_a_moment_that_disappears_is_published_cancelled(store):
    items = seed(store)
    rules = make_config().rules
    moment = brief_moment(items["debate"])
    uid = "moment-brief-tk-activiteit-a1@lobbykalender.monitor"
    cal.build_calendar(store, rules, [moment], NOW)
    gone = events(cal.build_calendar(store, rules, [], NOW + timedelta(hours=1)))
    assert str(gone[uid]["STATUS"]) == "CANCELLED" and int(gone[uid]["SEQUENCE"]) == 1
    still = events(cal.build_calendar(store, rules, [], NOW + timedelta(hours=2)))
    assert int(still[uid]["SEQUENCE"]) == 1  # stays cancelled, no further bumps
    past = events(cal.build_calendar(store, rules, [], NOW + timedelta(days=3)))
    assert uid not in past  # once its day has passed it leaves the feed


def test_deleted_meeting_is_cancelled(store):
    items = seed(store)
    rules = make_config().rules
    uid = "tk-activiteit-a1@lobbykalender.monitor"
    cal.build_calendar(store, rules, [], NOW)
    store.mark_deleted(items["debate"].id, iso(NOW + timedelta(hours=1)))
    after = events(cal.build_calendar(store, rules, [], NOW + timedelta(hours=2)))
    assert str(after[uid]["STATUS"]) == "CANCELLED" and int(after[uid]["SEQUENCE"]) == 1


def test_per_dossier_feed_and_unknown_dossier(store):
    items = seed(store)
    add(store, activity("w9", "Commissiedebat Wmo", NOW + timedelta(days=3)), "wmo", "wmo", ["Wmo"])
    rules = make_config().rules
    jeugd = events(cal.build_calendar(store, rules, [brief_moment(items["debate"])], NOW, dossier="jeugd"))
    wmo = events(cal.build_calendar(store, rules, [brief_moment(items["debate"])], NOW, dossier="wmo"))
    assert "tk-activiteit-a1@lobbykalender.monitor" in jeugd and "tk-activiteit-w9@lobbykalender.monitor" not in jeugd
    assert set(wmo) == {"tk-activiteit-w9@lobbykalender.monitor"}
    with pytest.raises(KeyError):
        cal.build_calendar(store, rules, [], NOW, dossier="onbekend")


def test_loopback_server_serves_the_feeds(tmp_path):
    path = str(tmp_path / "monitor.db")
    store = Store(path)
    items = seed(store)
    store.close()
    rules = make_config().rules
    moments = [brief_moment(items["debate"])]
    render = cal.make_renderer(path, rules, lambda store, now: moments, now_fn=lambda: NOW)
    server = cal.CalendarServer(render, rules.dossiers, "127.0.0.1", free_port()).start()
    try:
        with urllib.request.urlopen(server.url + "jeugd.ics", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/calendar")
            body = response.read()
        assert "tk-activiteit-a1@lobbykalender.monitor" in events(body)
        with urllib.request.urlopen(server.url + "alle.ics", timeout=5) as response:
            assert b"BEGIN:VCALENDAR" in response.read()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + "onbekend.ics", timeout=5)
        assert err.value.code == 404
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url.replace("/kalender/", "/etc/passwd"), timeout=5)
        assert err.value.code == 404
    finally:
        server.stop()
    assert AMS  # used for clarity in other tests


def test_a_recreated_meeting_is_one_event_that_moves(store):
    rules = make_config().rules
    old = activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9))
    add(store, old, "jeugd", "kern", ["jeugdzorg"])
    uid = "tk-activiteit-a1@lobbykalender.monitor"
    first = events(cal.build_calendar(store, rules, [], NOW))
    assert int(first[uid]["SEQUENCE"]) == 0
    # The Kamer marks the meeting Verplaatst before it knows the new date: no longer a fixed appointment.
    postponed = activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9), status="Verplaatst")
    add(store, postponed, "jeugd", "kern", ["jeugdzorg"], seen=NOW + timedelta(hours=1))
    waiting = events(cal.build_calendar(store, rules, [], NOW + timedelta(hours=1)))[uid]
    assert str(waiting["STATUS"]) == "TENTATIVE" and str(waiting["SUMMARY"]).startswith("VERPLAATST (nieuwe datum volgt)")
    assert int(waiting["SEQUENCE"]) == 1
    # Then it re-creates the meeting under a new id, two weeks later, without an agenda yet.
    new = activity("a2", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=23))
    new.data["vervangen_vanuit"] = "a1"
    store.upsert_item(new, iso(NOW + timedelta(hours=2)))
    found = events(cal.build_calendar(store, rules, [], NOW + timedelta(hours=2)))
    assert "tk-activiteit-a2@lobbykalender.monitor" not in found  # not a second event
    moved = found[uid]
    assert moved["DTSTART"].dt == NOW + timedelta(days=23) and str(moved["STATUS"]) == "CONFIRMED"
    assert int(moved["SEQUENCE"]) == 2
