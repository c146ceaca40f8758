"""The delivery commands as a PA officer types them: woordvoerders, digest, calendar, schedule.

Everything runs through `monitor.cli.main` on a real config directory and database, with a real
SMTP server on loopback; the Kamer data is authored in the Kamer source's item shape.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from icalendar import Calendar

from conftest import REPO, write_config
from monitor.cli import main
from monitor.store import Store
from test_digest_fixtures import parts
from test_moments_data import VWS, activity, agendapunt, person, zaak, zaak_ref

NOW = "2026-12-01T08:00"  # a Tuesday
SEEN = "2026-11-30T18:00:00+01:00"

RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    recipients: [jeugd@gemeente.example]
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp
  wmo:
    title: Wmo
    recipients: [wmo@gemeente.example]
    rules:
      - name: kern
        query: Wmo OR "beschermd wonen"
"""


def sources_yaml(smtp_port: int | None) -> str:
    text = "sources:\n  - id: tk\n    kind: tk\n  - id: bb\n    kind: feed\n    url: https://bb.example/rss\n    label: vakpers\n"
    if smtp_port is not None:
        text += f"email:\n  from: monitor@gemeente.example\n  unsubscribe: afmelden@gemeente.example\n  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 5}}\n"
    return text


def debate(start: str = "2026-12-10T10:00", status: str = "Gepland"):
    return activity(
        "cd-1",
        "Commissiedebat",
        "Jeugdbeleid",
        start,
        status=status,
        commissie=VWS,
        nummer="2026A07001",
        agendapunten=[agendapunt("ap-1", "Kamerbrief over tekorten in de jeugdzorg", zaken=[zaak_ref("z-brief", "2026Z20001", "Brief regering", "Tekorten in de jeugdzorg")])],
        deelnemers=[person("p-2", "A. Bakker", "GL-PvdA", "Deelnemer")],
    )


def seed(db: Path) -> None:
    """What a morning's fetch would have stored: a debate, a motie, a letter, a Wmo article."""
    from monitor.models import Item

    store = Store(db)
    store.upsert_item(debate(), SEEN)
    store.upsert_item(
        zaak("z-motie", "Motie", "Motie over het woonplaatsbeginsel in de jeugdzorg", "2026-11-26", indieners=[person("p-1", "J. de Vries", "CDA", "Indiener")], commissie=VWS),
        SEEN,
    )
    store.upsert_item(zaak("z-brief", "Brief regering", "Tekorten in de jeugdzorg", "2026-11-27", commissie=VWS, activiteit_ids=["cd-1"]), SEEN)
    store.upsert_item(Item(source="bb", external_id="w1", kind="artikel", title="Gemeenten worstelen met de Wmo", text="De Wmo-eigen bijdrage knelt.", url="https://bb.example/w1", published_at="2026-11-30T10:00:00+01:00"), SEEN)
    for source, kind in (("tk", "tk"), ("bb", "feed")):
        store.record_success(source, kind, "2026-12-01T07:50:00+01:00", 1, 0)
    store.close()


@pytest.fixture
def setup(tmp_path, smtp):
    inbox, port = smtp
    config = write_config(tmp_path / "cfg", sources_yaml(port), RULES)
    seed(config / "monitor.db")
    return config, inbox


def cli(config: Path, *args: str, now: str = NOW) -> int:
    return main([*args, "--config", str(config), "--now", now, "-q"])


def pending(config: Path) -> list[dict]:
    store = Store(config / "monitor.db")
    try:
        return list(store.db.query("SELECT recipient, status FROM digest_outbox ORDER BY created_at"))
    finally:
        store.close()


# ---------------------------------------------------------------------------- woordvoerders


def test_woordvoerders_text_and_json(setup, capsys):
    config, _ = setup
    assert cli(config, "woordvoerders", "jeugd") == 0
    out = capsys.readouterr().out
    assert "Woordvoerders Jeugdzorg en jeugdhulp" in out
    assert "CDA\n  J. de Vries — 1 motie over jeugdzorg" in out
    assert "GL-PvdA\n  A. Bakker — deelnemer CD Jeugdbeleid 10-12" in out
    assert cli(config, "woordvoerders", "jeugd", "--format", "json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert [p["naam"] for p in payload["woordvoerders"]] == ["J. de Vries", "A. Bakker"]


def test_woordvoerders_unknown_dossier_is_a_usage_error(setup, capsys):
    config, _ = setup
    assert cli(config, "woordvoerders", "jeugdzorg") == 2
    assert "no dossier 'jeugdzorg'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- digest


def test_digest_without_send_only_shows(setup, capsys):
    config, inbox = setup
    assert cli(config, "digest") == 0
    captured = capsys.readouterr()
    assert "==== aan: jeugd@gemeente.example · Lobbymonitor di 1 dec: 1 actie, 2 nieuw ====" in captured.out
    assert "Woordvoerders briefen — uiterlijk do 3 dec" in captured.out and "Jeugdbeleid" in captured.out
    assert "==== aan: wmo@gemeente.example · Lobbymonitor di 1 dec: 1 nieuw ====" in captured.out
    assert "nothing queued or sent" in captured.err
    assert inbox.messages == [] and pending(config) == []


def test_digest_preview_writes_html_for_one_recipient(setup, tmp_path):
    config, inbox = setup
    out = tmp_path / "d.html"
    assert cli(config, "digest", "--preview", str(out), "--to", "wmo@gemeente.example") == 0
    html = out.read_text(encoding="utf-8")
    assert "Gemeenten worstelen met de Wmo" in html and "Jeugdbeleid" not in html
    assert inbox.messages == [] and pending(config) == []


def test_digest_send_goes_out_once(setup, capsys):
    config, inbox = setup
    assert cli(config, "digest", "--send") == 0
    out = capsys.readouterr().out
    assert "verstuurd: 2" in out
    jeugd = inbox.to("jeugd@gemeente.example")
    assert len(jeugd) == 1
    text, html = parts(jeugd[0])
    assert "Motie over het woonplaatsbeginsel" in text and "J. de Vries (CDA)" in text
    assert "Gemeenten worstelen" not in text  # the Wmo article is for the other recipient
    # Later that morning nothing new has come in: no second mail.
    assert cli(config, "digest", "--send", now="2026-12-01T10:00") == 0
    assert "niets nieuws, geen mail" in capsys.readouterr().out
    assert len(inbox.messages) == 2
    assert cli(config, "digest", "--audit", "jeugd@gemeente.example") == 0
    audit = capsys.readouterr().out
    assert "Motie over het woonplaatsbeginsel" in audit and "jeugdzorg" in audit


def test_digest_send_when_the_server_is_down_is_retried_later(tmp_path, smtp, capsys):
    inbox, port = smtp
    from test_digest_fixtures import free_port

    down = write_config(tmp_path / "cfg", sources_yaml(free_port()), RULES)
    seed(down / "monitor.db")
    assert cli(down, "digest", "--send") == 1
    assert "NIET verstuurd" in capsys.readouterr().err
    assert [row["status"] for row in pending(down)] == ["pending", "pending"]
    # The server is back (same database, working address): the queued digests go out, once each.
    (down / "sources.yaml").write_text(sources_yaml(port), encoding="utf-8")
    assert cli(down, "digest", "--send", now="2026-12-01T08:30") == 0
    assert sorted(r for _, rcpts, _ in inbox.messages for r in rcpts) == ["jeugd@gemeente.example", "wmo@gemeente.example"]
    assert [row["status"] for row in pending(down)] == ["sent", "sent"]


def test_server_down_costs_each_digest_one_attempt_per_run_and_names_the_recipients(tmp_path, capsys):
    from test_digest_fixtures import free_port

    down = write_config(tmp_path / "cfg", sources_yaml(free_port()), RULES)
    seed(down / "monitor.db")
    assert cli(down, "digest", "--send") == 1
    assert cli(down, "digest", "--send", now="2026-12-01T09:00") == 1  # the queued ones are retried once
    err = capsys.readouterr().err.splitlines()
    failures = [line for line in err if line.startswith("NIET verstuurd")]
    assert len(failures) == 2  # one line per run: the same cause for every digest
    assert "jeugd@gemeente.example" in failures[1] and "wmo@gemeente.example" in failures[1]
    assert "(blijft in de wachtrij, volgende keer opnieuw): ConnectionRefusedError" in failures[1]
    store = Store(down / "monitor.db")
    try:
        assert [row["attempts"] for row in store.db.query("SELECT attempts FROM digest_outbox")] == [2, 2]
    finally:
        store.close()


def test_digest_if_workday_skips_saturday(setup, capsys):
    config, inbox = setup
    assert cli(config, "digest", "--send", "--if-workday", now="2026-12-05T07:00") == 0
    assert "no working day (weekend)" in capsys.readouterr().err
    assert cli(config, "digest", "--send", "--if-workday", now="2026-12-25T07:00") == 0
    assert "(Eerste kerstdag)" in capsys.readouterr().err
    assert inbox.messages == []


def test_digest_send_without_email_section_explains(tmp_path, capsys):
    config = write_config(tmp_path / "cfg", sources_yaml(None), RULES)
    assert cli(config, "digest", "--send") == 2
    err = capsys.readouterr().err
    assert "no email section" in err and "password_env: MONITOR_SMTP_PASSWORD" in err
    assert not (config / "monitor.db").exists()


# ---------------------------------------------------------------------------- calendar


def events(path: Path) -> dict[str, object]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_calendar_follows_a_move_and_a_cancellation(setup, tmp_path):
    config, _ = setup
    ics = tmp_path / "kalender.ics"
    assert cli(config, "calendar", "--output", str(ics)) == 0
    first = events(ics)
    meeting = next(e for e in first.values() if "Jeugdbeleid" in str(e["summary"]) and not str(e["summary"]).startswith("Deadline"))
    uid = str(meeting["uid"])
    assert meeting.decoded("dtstart").isoformat() == "2026-12-10T10:00:00+01:00" and int(meeting["sequence"]) == 0
    assert any(str(e["summary"]) == "Deadline: Woordvoerders briefen — Commissiedebat Jeugdbeleid" for e in first.values())

    store = Store(config / "monitor.db")
    store.upsert_item(debate("2026-12-17T13:00"), "2026-12-02T09:00:00+01:00")
    store.close()
    assert cli(config, "calendar", "-o", str(ics), now="2026-12-02T10:00") == 0
    moved = events(ics)[uid]
    assert moved.decoded("dtstart").isoformat() == "2026-12-17T13:00:00+01:00" and int(moved["sequence"]) == 1

    store = Store(config / "monitor.db")
    store.upsert_item(debate("2026-12-17T13:00", status="Geannuleerd"), "2026-12-03T09:00:00+01:00")
    store.close()
    assert cli(config, "calendar", "-o", str(ics), now="2026-12-03T10:00") == 0
    cancelled = events(ics)[uid]
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 2
    # As of a moment before the move, the calendar is the one of that moment (nothing of it was written).
    assert cli(config, "calendar", "-o", str(ics), now="2026-12-01T10:00") == 0
    before = events(ics)[uid]
    assert before.decoded("dtstart").isoformat() == "2026-12-10T10:00:00+01:00" and int(before["sequence"]) == 0
    assert str(before["status"]) == "CONFIRMED"


def test_calendar_for_one_dossier_and_unknown_dossier(setup, tmp_path, capsys):
    config, _ = setup
    ics = tmp_path / "wmo.ics"
    assert cli(config, "calendar", "--dossier", "wmo", "-o", str(ics)) == 0
    assert "Lobbykalender — Wmo" in ics.read_text(encoding="utf-8")
    assert not any("Jeugdbeleid" in str(e["summary"]) for e in events(ics).values())
    assert cli(config, "calendar", "--dossier", "onbekend") == 2
    assert "no dossier 'onbekend'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- schedule


def test_schedule_starts_fetches_and_stops_on_sigterm(tmp_path, loopback):
    from conftest import FEEDS, Route

    loopback.routes["/feed.xml"] = Route((FEEDS / "vakpers_wordpress_rss2.xml").read_bytes())
    config = write_config(tmp_path / "cfg", f"sources:\n  - id: vakblad\n    kind: feed\n    url: {loopback.url}/feed.xml\n    every: 1h\n", RULES)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "schedule", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(path == "/feed.xml" for path, _ in loopback.requests):
            time.sleep(0.1)
        assert any(path == "/feed.xml" for path, _ in loopback.requests), "the scheduler never fetched"
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "scheduled: fetch vakblad" in err and "no digest is scheduled" in err
    store = Store(config / "monitor.db")
    try:
        assert store.count_items() > 0
    finally:
        store.close()
