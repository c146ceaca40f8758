"""One briefing, one voice: the Kamer replay fortnight through every output.

The scenario is the SyncFeed replay of tests/fixtures/tk: a jeugd debate moved (10 -> 17 Dec), a
procedurevergadering cancelled, a rondetafelgesprek deleted, a Wmo debate re-created in January,
moties with votes and a changed appreciatie. Every test drives the real CLI (fetch through the
loopback replay server, --now) and reads what a person reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from icalendar import Calendar

from conftest import write_config
from fixtures.tk.replay import SyncFeedReplay
from monitor import wording
from monitor.cli import main
from monitor.models import MomentKind
from monitor.render.as_json import schema
from monitor.store import Store

FIRST = "2026-11-24T08:00"  # after the Kamer published run1
SECOND = "2026-11-30T08:00"  # after run2: moved, cancelled, deleted, re-created

RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    recipients: [jeugd@gemeente.example]
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp OR Jeugdwet OR jeugdbeleid OR "Hervormingsagenda Jeugd"
  wmo:
    title: Wmo, beschermd wonen en maatschappelijke opvang
    recipients: [wmo@gemeente.example]
    rules:
      - name: kern
        query: Wmo OR "beschermd wonen" OR "maatschappelijke opvang"
"""

# What no reader should see: ISO timestamps, JSON, field names of the data.
INTERNALS = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\{\"|\[\{|\b(?:event_at|published_at|first_seen|aanvangstijd|vervangen_vanuit|agendapunten|activiteit_ids|item_id|data\.\w+)\b"
)


@pytest.fixture
def kamer(tmp_path):
    """A config directory whose only source is the replay server, fetched twice (run1, then run2)."""
    feed = SyncFeedReplay(page_size=50).start()
    feed.publish("run1")
    sources = (
        f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\n    label: Tweede Kamer\nhttp:\n  retries: 0\n"
        "email:\n  from: monitor@gemeente.example\n  smtp: {host: 127.0.0.1, port: 9, security: none}\n"
    )
    config = write_config(tmp_path / "cfg", sources, RULES)
    assert cli(config, "run", now=FIRST, out=tmp_path / "first.txt") == 0
    feed.publish("run2")
    assert cli(config, "run", now=SECOND, out=tmp_path / "second.txt") == 0
    yield config
    feed.stop()


def cli(config: Path, *args: str, now: str = SECOND, out: Path | None = None) -> int:
    extra = ["--output", str(out)] if out is not None else []
    return main([*args, "--config", str(config), "--now", now, "-q", *extra])


def output(config: Path, tmp_path: Path, *args: str, now: str = SECOND) -> str:
    out = tmp_path / "out"
    assert cli(config, *args, now=now, out=out) == 0
    return out.read_text(encoding="utf-8")


def digest_text(config: Path, capsys, now: str = SECOND) -> dict[str, str]:
    capsys.readouterr()
    assert cli(config, "digest", now=now) == 0
    parts = capsys.readouterr().out.split("==== aan: ")[1:]
    return {part.split(" ", 1)[0]: part for part in parts}


def ics(config: Path, tmp_path: Path, now: str = SECOND) -> list:
    path = tmp_path / "k.ics"
    assert cli(config, "calendar", now=now, out=path) == 0
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


# ---------------------------------------------------------------------------- one voice


def test_a_meeting_appears_at_most_twice_in_a_digest_with_its_changes_folded_in(kamer, capsys):
    digests = digest_text(kamer, capsys)
    jeugd, wmo = digests["jeugd@gemeente.example"], digests["wmo@gemeente.example"]
    # The moved jeugd debate: its action (with the move) and its agenda row, nothing else.
    assert jeugd.count("Commissiedebat Jeugdbeleid") == 2
    assert jeugd.count("verplaatst van do 10 dec 10:00 naar do 17 dec 13:00") == 1
    # The re-created Wmo debate is one meeting, told once as a move to January.
    assert wmo.count("verplaatst van do 3 dec 14:00 naar do 14 jan 14:00") == 1
    assert wmo.count("Commissiedebat Wmo ·") == 1 and "nieuwe datum nog niet bekend" not in wmo
    # The cancelled procedurevergadering: no action any more, one agenda row that says so.
    assert wmo.count("Procedurevergadering VWS") == 1 and "Procedurevergadering VWS [GEANNULEERD]" in wmo
    for text in digests.values():
        names = re.findall(r"^• (?:\S+ \d+ \w+ \d\d:\d\d  )?(.+?)(?: \[|$)", text, re.M)
        assert all(names.count(n) <= 2 for n in names), names


def test_nothing_a_person_reads_contains_internals(kamer, tmp_path, capsys):
    texts = {
        "text": output(kamer, tmp_path, "run", "--no-fetch"),
        "markdown": output(kamer, tmp_path, "run", "--no-fetch", "--format", "markdown"),
        "html": output(kamer, tmp_path, "run", "--no-fetch", "--format", "html"),
        **digest_text(kamer, capsys),
    }
    for event in ics(kamer, tmp_path):
        texts[str(event["UID"])] = "\n".join(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    preview = tmp_path / "preview.html"
    assert cli(kamer, "digest", "--preview", str(preview), "--to", "wmo@gemeente.example") == 0
    texts["preview"] = preview.read_text(encoding="utf-8")
    for name, text in texts.items():
        found = INTERNALS.search(text)
        assert found is None, f"{name}: {found.group(0)!r} in …{text[max(0, found.start() - 80):found.end() + 40]}…"


@pytest.mark.parametrize("kind", list(MomentKind))
def test_a_moment_has_the_same_label_in_report_digest_calendar_and_json(tmp_path, capsys, kind):
    """Each kind of moment, on a meeting of the soort that asks for it, worded once."""
    soort = {
        MomentKind.BRIEF: "Commissiedebat",
        MomentKind.INBRENG: "Inbreng schriftelijk overleg",
        MomentKind.AGENDERING: "Procedurevergadering",
        MomentKind.POSITIONPAPER: "Rondetafelgesprek",
        MomentKind.MOTIE: "Plenair debat (tweeminutendebat)",
        MomentKind.STEMMING: "Stemmingen",
    }[kind]
    from test_moments_data import activity, put

    config = write_config(tmp_path / "cfg", "sources: []\nemail:\n  from: m@gemeente.example\n  smtp: {host: 127.0.0.1, port: 9, security: none}\n", RULES)
    store = Store(config / "monitor.db")
    put(store, activity("m-1", soort, "Jeugdzorg", "2026-12-11T10:00", nummer="2026A09001"), ["jeugd"], seen_at="2026-11-30T08:00:00+01:00")
    store.close()
    label = wording.moment_label(kind)
    report = output(config, tmp_path, "run", "--no-fetch", now="2026-12-01T08:00")
    payload = json.loads(output(config, tmp_path, "run", "--no-fetch", "--format", "json", now="2026-12-01T08:00"))
    jsonschema.validate(payload, schema())
    digest = digest_text(config, capsys, now="2026-12-01T08:00")["jeugd@gemeente.example"]
    summaries = [str(e["SUMMARY"]) for e in ics(config, tmp_path, now="2026-12-01T08:00")]
    [moment] = payload["moments"]
    assert (moment["kind"], moment["label"]) == (kind.value, label)
    assert f"• {label} — {moment['when']}" in report
    assert f"• {label} — {moment['when']}" in digest
    assert f"Deadline: {label} — " in "\n".join(summaries)


def test_a_change_has_the_same_words_in_report_digest_calendar_and_json(kamer, tmp_path, capsys):
    phrase = "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00"
    report = output(kamer, tmp_path, "run", "--no-fetch")
    payload = json.loads(output(kamer, tmp_path, "run", "--no-fetch", "--format", "json"))
    digest = digest_text(kamer, capsys)["jeugd@gemeente.example"]
    calendar = "\n".join(str(e["DESCRIPTION"]) for e in ics(kamer, tmp_path))
    texts = [u["text"] for a in payload["actions"] for u in a["meeting"]["updates"]]
    assert phrase in texts and phrase in report and phrase in digest and phrase in calendar
    cancelled = "geannuleerd"
    closed = [u["text"] for a in payload["closed"] for u in a["meeting"]["updates"]]
    assert cancelled in closed and f"! {cancelled}" in report and f"! {cancelled}" in digest_text(kamer, capsys)["wmo@gemeente.example"]


# ---------------------------------------------------------------------------- as of a moment, and reading writes nothing


def test_now_before_a_change_shows_the_state_before_it(kamer, tmp_path):
    before = output(kamer, tmp_path, "run", "--no-fetch", now=FIRST)
    # The report made at the first run, before the Kamer moved, cancelled and re-created meetings.
    original = (kamer.parent / "first.txt").read_text(encoding="utf-8")
    assert before == original
    assert "verplaatst" not in before and "geannuleerd" not in before.lower()
    assert "Commissiedebat Jeugdbeleid · commissie VWS · do 10 dec 2026 10:00" in before
    payload = json.loads(output(kamer, tmp_path, "run", "--no-fetch", "--format", "json", now=FIRST))
    assert {m["status"] for m in payload["moments"]} <= {"gepland", "te laat"}


def test_read_only_commands_leave_the_database_as_it_was(kamer, tmp_path, capsys):
    store = Store(kamer / "monitor.db")
    before = list(store.db.conn.iterdump())
    store.close()
    commands = [
        ["run", "--no-fetch"],
        ["run", "--no-fetch", "--format", "json"],
        ["digest"],
        ["digest", "--preview", str(tmp_path / "p.html")],
        ["calendar", "--output", str(tmp_path / "k.ics")],
        ["woordvoerders", "jeugd"],
        ["sources"],
    ]
    for now in (SECOND, FIRST):
        for command in commands:
            assert cli(kamer, *command, now=now) == 0, command
    assert cli(kamer, "sources", "--check") in (0, 3)
    store = Store(kamer / "monitor.db")
    after = list(store.db.conn.iterdump())
    store.close()
    assert after == before


def test_moments_are_stored_with_their_status_history(kamer):
    store = Store(kamer / "monitor.db")
    try:
        moments = {r["id"]: r for r in store.db.query("SELECT * FROM moments")}
        brief = next(r for r in moments.values() if r["title"] == "Jeugdbeleid" and r["kind"] == "brief")
        assert (brief["status"], brief["deadline"], brief["label"]) == ("verplaatst", "2026-12-10", "Woordvoerders briefen")
        history = [(h["status"], h["deadline"]) for h in store.moment_history(brief["id"])]
        assert history == [("gepland", "2026-12-03"), ("verplaatst", "2026-12-10")]
        agendering = next(r for r in moments.values() if r["kind"] == "agendering")
        assert [h["status"] for h in store.moment_history(agendering["id"])] == ["gepland", "geannuleerd"]
    finally:
        store.close()
