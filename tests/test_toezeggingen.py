"""Toezeggingen from the SyncFeed to every output: on the dossier of their debate or their words, due, late, kept.

The replay fortnight (run1: the jeugd commissiedebat 2026A05001 on the agenda) plus Toezegging
entries in the live feed's shape: one made in that debate (its words name no dossier), an older
one on beschermd wonen that runs late and is then kept by a letter, and one on something else.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from icalendar import Calendar

from conftest import write_config
from monitor.cli import main
from monitor.render.as_json import schema
from test_briefing import RULES
from test_tk_files import entry, feed_of

A1 = "aa000000-0000-4000-8000-000000000001"  # Commissiedebat Jeugdbeleid, 2026A05001 (run1)
T1, T2, T3 = (f"70000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
FIRST, LATER = "2026-11-24T08:00", "2026-11-30T08:00"


def toezegging(eid: str, token: int, nummer: str, tekst: str, status: str, nakoming: str, aangemaakt: str, *,
               activiteit: str | None = None, brief: str | None = None) -> str:
    fields = {"nummer": nummer, "tekst": tekst, "status": status, "datumNakoming": nakoming, "aanmaakdatum": aangemaakt,
              "initialen": "P.", "achternaam": "Jansen", "functie": "staatssecretaris van Volksgezondheid, Welzijn en Sport",
              "ministerie": "Volksgezondheid, Welzijn en Sport"}
    if brief:
        fields["kamerbriefNakoming"] = brief
    return entry("Toezegging", eid, token, fields, {"activiteit": activiteit} if activiteit else None)


@pytest.fixture
def config(tmp_path: Path):
    from fixtures.tk.replay import SyncFeedReplay

    feed = SyncFeedReplay(page_size=50).start()
    feed.publish("run1")
    feed.add_feed("Toezegging", feed_of(
        toezegging(T1, 20_400_101, "TZ202611-041", "De staatssecretaris stuurt de Kamer voor 1 maart een brief over de wachttijden.",
                   "Openstaand", "2027-03-01T00:00:00", "2026-11-20T00:00:00", activiteit=A1),
        toezegging(T2, 20_400_102, "TZ202606-007", "De Kamer krijgt een plan voor voldoende plekken voor beschermd wonen.",
                   "Openstaand", "2026-11-01T00:00:00", "2026-06-01T00:00:00"),
        toezegging(T3, 20_400_103, "TZ202611-050", "De minister informeert de Kamer over de Noordzeevisserij.",
                   "Openstaand", "0001-01-01T00:00:00", "2026-11-21T00:00:00"),
    ))
    sources = f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\n    label: Tweede Kamer\nhttp:\n  retries: 0\n"
    directory = write_config(tmp_path / "cfg", sources, RULES)
    assert main(["run", "--config", str(directory), "--now", FIRST, "-q", "--output", str(tmp_path / "first.txt")]) == 0
    yield directory, feed, tmp_path
    feed.stop()


def output(directory: Path, tmp_path: Path, fmt: str, now: str, command: str = "run") -> str:
    out = tmp_path / f"out.{fmt}"
    args = [command, "--no-fetch"] if command == "run" else [command]
    assert main([*args, *(["--format", fmt] if command == "run" else []), "--config", str(directory), "--now", now, "-q", "--output", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_toezeggingen_land_on_the_dossier_of_their_debate_or_their_words_and_nowhere_else(config):
    directory, _, tmp_path = config
    text = output(directory, tmp_path, "text", FIRST)
    jeugd, wmo = text.split("JEUGDZORG EN JEUGDHULP")[1].split("WMO, BESCHERMD WONEN")
    # Made in the jeugd debate: on jeugd, although its words name no dossier.
    assert "De staatssecretaris stuurt de Kamer voor 1 maart een brief over de wachttijden." in jeugd
    assert "Toezegging TZ202611-041 · P. Jansen (staatssecretaris van Volksgezondheid, Welzijn en Sport) · in Commissiedebat Jeugdbeleid" in jeugd
    assert "nakoming uiterlijk ma 1 mrt 2027" in jeugd
    # Its words name beschermd wonen: on wmo, and late.
    assert "De Kamer krijgt een plan voor voldoende plekken voor beschermd wonen." in wmo and "[TE LAAT]" in wmo
    assert "te laat: had uiterlijk zo 1 nov 2026 nagekomen moeten zijn" in wmo
    assert "Noordzeevisserij" not in text  # on no dossier: nowhere

    payload = json.loads(output(directory, tmp_path, "json", FIRST))
    jsonschema.validate(payload, schema())
    promises = {e["nummer"]: e for n in payload["news"] for e in n["kamer"] if e["type"] == "toezegging"}
    assert set(promises) == {"TZ202611-041", "TZ202606-007"}
    assert promises["TZ202611-041"]["toezegging"]["deadline"] == "2027-03-01" and promises["TZ202611-041"]["dossiers"] == ["jeugd"]
    assert promises["TZ202606-007"]["toezegging"]["overdue"] is True and promises["TZ202606-007"]["dossiers"] == ["wmo"]


def test_a_toezegging_kept_by_a_letter_is_news_with_the_letter(config):
    directory, feed, tmp_path = config
    feed.add_feed("Toezegging", feed_of(
        toezegging(T2, 20_400_201, "TZ202606-007", "De Kamer krijgt een plan voor voldoende plekken voor beschermd wonen.",
                   "Voldaan", "2026-11-01T00:00:00", "2026-06-01T00:00:00", brief="2026D42000"),
    ))
    assert main(["run", "--config", str(directory), "--now", LATER, "-q", "--output", str(tmp_path / "later.txt")]) == 0
    text = output(directory, tmp_path, "text", LATER)
    assert "toezegging voldaan" in text and "voldaan met brief 2026D42000" in text and "[VOLDAAN]" in text
    payload = json.loads(output(directory, tmp_path, "json", LATER))
    jsonschema.validate(payload, schema())
    kept = next(e for n in payload["news"] for e in n["kamer"] if e["nummer"] == "TZ202606-007")
    assert kept["toezegging"]["status"] == "voldaan" and kept["toezegging"]["brieven"] == ["2026D42000"]
    assert [u["kind"] for u in kept["updates"]] == ["promise_status"]


def test_an_open_toezegging_is_a_dated_event_in_the_lobbykalender(config):
    directory, _, tmp_path = config
    out = tmp_path / "kalender.ics"
    assert main(["calendar", "--config", str(directory), "--now", FIRST, "-q", "--output", str(out)]) == 0
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT") if str(e["UID"]).startswith("toezegging-")}
    # The one without a date (and on no dossier) is not in it; the two open ones are, on their day, with a reminder.
    assert set(events) == {
        "Toezegging TZ202611-041: De staatssecretaris stuurt de Kamer voor 1 maart een brief over de wachttijden.",
        "Toezegging TZ202606-007: De Kamer krijgt een plan voor voldoende plekken voor beschermd wonen.",
    }
    due = events["Toezegging TZ202611-041: De staatssecretaris stuurt de Kamer voor 1 maart een brief over de wachttijden."]
    assert due.decoded("DTSTART").isoformat() == "2027-03-01" and due.walk("VALARM")
    assert "https://www.tweedekamer.nl/kamerstukken/toezeggingen/detail?id=TZ202611-041" == str(due["URL"])


def test_a_toezegging_kept_by_two_letters_names_both():
    """The live feed repeats kamerbriefNakoming, which the XSD allows once."""
    from monitor.sources.tk_parse import parse_page

    xml = feed_of(toezegging(T1, 1, "TZ1", "tekst", "Voldaan", "2026-11-01T00:00:00", "2026-06-01T00:00:00", brief="2026D1"))
    xml = xml.replace("<kamerbriefNakoming>2026D1</kamerbriefNakoming>", "<kamerbriefNakoming>2026D1</kamerbriefNakoming><kamerbriefNakoming>2026D2</kamerbriefNakoming><toegezegdAan/>")
    (found,) = parse_page(xml.encode(), "Toezegging").entries
    assert found.fields["kamerbriefnakoming"] == "2026D1, 2026D2"
