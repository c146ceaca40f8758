"""The lobbykalender as calendar clients read it: the time zone through an independent parser, reminders, refresh hints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from conftest import write_config
from monitor.cli import main
from monitor.store import Store
from test_moments_data import activity, put

vobject = pytest.importorskip("vobject")

RULES = "dossiers:\n  jeugd:\n    title: Jeugdzorg\n    rules:\n      - name: kern\n        query: jeugdzorg\n"


def at_local(item, start: str):
    """Give an authored activity its real Amsterdam offset (the builder writes +01:00 throughout)."""
    item.data["aanvangstijd"] = item.event_at = start
    item.data["datum"] = start[:10]
    return item


def calendar(tmp_path, now: str = "2026-10-01T08:00") -> bytes:
    config = write_config(tmp_path / "cfg", "sources: []\n", RULES)
    store = Store(config / "monitor.db")
    # Either side of the end of summer time (Sunday 25 October): Thursday 22 October 15:00 CEST
    # and Thursday 5 November 15:00 CET.
    summer = at_local(activity("okt", "Commissiedebat", "Jeugdzorg zomer", "2026-10-22T15:00"), "2026-10-22T15:00:00+02:00")
    winter = activity("nov", "Commissiedebat", "Jeugdzorg winter", "2026-11-05T15:00")
    put(store, summer, ["jeugd"], seen_at="2026-09-01T08:00:00+02:00")
    put(store, winter, ["jeugd"], seen_at="2026-09-01T08:00:00+02:00")
    store.close()
    out = tmp_path / "k.ics"
    assert main(["calendar", "--config", str(config), "--now", now, "-q", "--output", str(out)]) == 0
    return out.read_bytes()


def test_an_independent_parser_reads_summer_and_winter_times_right(tmp_path):
    body = calendar(tmp_path)
    parsed = vobject.readOne(body.decode("utf-8"))
    starts = {e.summary.value: e.dtstart.value for e in parsed.vevent_list if not e.summary.value.startswith("Deadline")}
    summer, winter = starts["Commissiedebat Jeugdzorg zomer"], starts["Commissiedebat Jeugdzorg winter"]
    assert (summer.hour, summer.utcoffset()) == (15, timedelta(hours=2))
    assert (winter.hour, winter.utcoffset()) == (15, timedelta(hours=1))
    # What the file says about the zone: two yearly rules, no list of dates.
    text = body.decode("utf-8")
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "RDATE" not in text


def test_deadlines_remind_on_the_working_day_before_and_subscribers_refresh_hourly(tmp_path):
    body = calendar(tmp_path)
    parsed = Calendar.from_ical(body)
    assert str(parsed["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H" and "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body.decode()
    assert "X-PUBLISHED-TTL:PT1H" in body.decode()
    deadlines = {str(e["SUMMARY"]): e for e in parsed.walk("VEVENT") if str(e["SUMMARY"]).startswith("Deadline")}
    winter = deadlines["Deadline: Woordvoerders briefen — Commissiedebat Jeugdzorg winter"]
    assert winter.decoded("DTSTART").isoformat() == "2026-10-29"  # Thursday: 5 working days before 5 November
    [alarm] = winter.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=15)  # Wednesday 28 October 09:00


def test_a_deadline_after_a_weekend_reminds_on_friday_and_reminders_can_be_switched_off(tmp_path):
    # 11 June (Thursday) -> brief by Thursday 4 June; a Monday deadline shows the weekend skip.
    config = write_config(tmp_path / "cfg", "sources: []\n", RULES)
    store = Store(config / "monitor.db")
    put(store, activity("ma", "Commissiedebat", "Jeugdzorg maandag", "2026-06-15T10:00"), ["jeugd"], seen_at="2026-05-01T08:00:00+02:00")
    store.close()
    out = tmp_path / "k.ics"
    assert main(["calendar", "--config", str(config), "--now", "2026-05-20T08:00", "-q", "--output", str(out)]) == 0
    [deadline] = [e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT") if str(e["SUMMARY"]).startswith("Deadline")]
    assert deadline.decoded("DTSTART").isoformat() == "2026-06-08"  # Monday
    [alarm] = deadline.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(days=3) + timedelta(hours=9)  # Friday 5 June 09:00
    (config / "sources.yaml").write_text("sources: []\ncalendar:\n  reminder: false\n", encoding="utf-8")
    assert main(["calendar", "--config", str(config), "--now", "2026-05-20T08:00", "-q", "--output", str(out)]) == 0
    assert b"BEGIN:VALARM" not in out.read_bytes()


def test_a_reminder_that_is_not_a_time_is_a_configuration_error(tmp_path, capsys):
    config = write_config(tmp_path / "cfg", "sources: []\ncalendar:\n  reminder: morgens\n", RULES)
    assert main(["calendar", "--config", str(config), "-q", "--output", str(tmp_path / "k.ics")]) == 2
    err = capsys.readouterr().err
    assert "sources.yaml:3" in err and "reminder" in err and '"09:00"' in err
