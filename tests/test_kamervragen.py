"""Kamervragen: open, uitstel, beantwoord, te laat — told the same in report, digest and JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from conftest import write_config
from monitor.cli import main
from monitor.models import Item, QuestionState, Zaak
from monitor.render.as_json import schema
from monitor.store import Store
from test_briefing import RULES, digest_text
from test_moments_data import put, zaak


def question(guid: str, filed: str, *documents: tuple[str, str, str], aan: str = "minister van Volksgezondheid, Welzijn en Sport") -> Item:
    """Schriftelijke vragen filed on `filed`, with (documentnummer, soort, datum) documents."""
    item = zaak(guid, "Schriftelijke vragen", f"Vragen over wachttijden in de jeugdzorg ({guid})", filed, nummer=f"2026Z{guid}")
    item.data["gericht_aan"] = [aan]
    item.data["documenten"] = [
        {"id": f"d-{n}", "documentnummer": nummer, "soort": soort, "titel": None, "onderwerp": None, "datum": datum,
         "url": f"https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z{guid}&did={nummer}"}
        for n, (nummer, soort, datum) in enumerate([(f"2026D{guid}0", "Schriftelijke vragen", filed), *documents])
    ]
    return item


@pytest.mark.parametrize(
    "documents, today, state",
    [
        ((), date(2026, 12, 1), QuestionState.OPEN),
        ((), date(2026, 12, 23), QuestionState.TE_LAAT),  # filed 1 Dec: three weeks ran out on 22 Dec
        ((("2026D1", "Mededeling (uitstel antwoord)", "2026-12-18"),), date(2026, 12, 23), QuestionState.UITSTEL),
        ((("2026D1", "Mededeling (uitstel antwoord)", "2026-12-18"), ("2026D2", "Antwoord schriftelijke vragen", "2027-01-08")), date(2027, 1, 9), QuestionState.BEANTWOORD),
        # A past report does not know the answer that came later.
        ((("2026D2", "Antwoord schriftelijke vragen", "2027-01-08"),), date(2026, 12, 10), QuestionState.OPEN),
    ],
)
def test_the_state_of_kamervragen(documents, today, state):
    found = Zaak.from_item(question("1", "2026-12-01", *documents)).question(today)
    assert found is not None and found.state is state
    assert found.due == date(2026, 12, 22)


def test_other_zaken_have_no_question_state():
    assert Zaak.from_item(zaak("m", "Motie", "Motie over jeugdzorg", "2026-12-01")).question(date(2026, 12, 30)) is None


def run(config: Path, tmp_path: Path, fmt: str, now: str) -> str:
    out = tmp_path / f"out.{fmt}"
    assert main(["run", "--no-fetch", "--format", fmt, "--config", str(config), "--now", now, "-q", "--output", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def answer(guid: str, zaak_guid: str, nummer: str, datum: str) -> Item:
    """The answer to Kamervragen as the Kamer source stores a document: linked to its zaak."""
    return Item(
        source="tk", external_id=f"document/{guid}", kind="document", title="Antwoord op vragen over wachttijden in de jeugdzorg",
        text="Antwoord op vragen over wachttijden in de jeugdzorg", url=f"https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z{zaak_guid}&did={nummer}",
        published_at=f"{datum}T10:00:00+01:00",
        data={"id": guid, "documentnummer": nummer, "soort": "Antwoord schriftelijke vragen", "titel": None,
              "onderwerp": "Antwoord op vragen over wachttijden in de jeugdzorg", "datum": f"{datum}T00:00:00+01:00", "zaak_ids": [zaak_guid]},
    )


def test_new_questions_and_answers_are_news_in_report_digest_and_json(tmp_path, capsys):
    config = write_config(tmp_path / "cfg", "sources: []\nemail:\n  from: m@gemeente.example\n  smtp: {host: 127.0.0.1, port: 9, security: none}\n", RULES)
    store = Store(config / "monitor.db")
    # Asked on 1 Dec (news then), answered on 28 Dec: the answer is news now, under its question.
    put(store, question("501", "2026-12-01"), ["jeugd"], seen_at="2026-12-01T18:00:00+01:00")
    put(store, question("501", "2026-12-01", ("2026D5011", "Antwoord schriftelijke vragen", "2026-12-28")), ["jeugd"], seen_at="2026-12-28T18:00:00+01:00")
    put(store, answer("d-5011", "501", "2026D5011", "2026-12-28"), ["jeugd"], seen_at="2026-12-28T18:00:00+01:00")
    # New questions on 23 Dec: open, with the date the answer is due.
    put(store, question("504", "2026-12-23"), ["jeugd"], seen_at="2026-12-23T18:00:00+01:00")
    store.close()
    now = "2026-12-29T09:00"

    text = run(config, tmp_path, "text", now)
    assert "Kamervragen aan minister van Volksgezondheid, Welzijn en Sport — beantwoord op ma 28 dec (2026D5011)" in text
    assert "https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z501&did=2026D5011" in text  # the answer, linked
    assert "[BEANTWOORD]" in text
    assert "Kamervragen aan minister van Volksgezondheid, Welzijn en Sport — antwoord uiterlijk wo 13 jan" in text

    markdown = run(config, tmp_path, "markdown", now)
    assert "(https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z501&did=2026D5011)" in markdown
    html = run(config, tmp_path, "html", now)
    assert 'href="https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z501&amp;did=2026D5011"' in html

    payload = json.loads(run(config, tmp_path, "json", now))
    jsonschema.validate(payload, schema())
    entries = {e["nummer"]: e for n in payload["news"] for e in n["kamer"]}
    assert entries["2026Z501"]["question"]["state"] == "beantwoord"
    assert entries["2026Z501"]["question"]["answer"]["documentnummer"] == "2026D5011"
    assert entries["2026Z504"]["question"]["state"] == "open" and entries["2026Z504"]["question"]["due"] == "2027-01-13"

    digest = digest_text(config, capsys, now=now)["jeugd@gemeente.example"]
    assert "beantwoord op ma 28 dec (2026D5011)" in digest and "antwoord uiterlijk wo 13 jan" in digest


def test_late_and_delayed_questions_are_worded():
    from monitor import wording

    late = Zaak.from_item(question("1", "2026-12-01"))
    assert wording.question_line(late, late.question(date(2026, 12, 23))) == (
        "Kamervragen aan minister van Volksgezondheid, Welzijn en Sport — te laat: geen antwoord of uitstel, de termijn liep af op di 22 dec"
    )
    delayed = Zaak.from_item(question("2", "2026-12-01", ("2026D1", "Mededeling (uitstel antwoord)", "2026-12-18")))
    assert wording.question_line(delayed, delayed.question(date(2026, 12, 23))).endswith("— uitstel van antwoord gemeld op vr 18 dec")
    assert wording.question_badge(delayed.question(date(2026, 12, 23))) == "uitstel"
    assert wording.question_badge(late.question(date(2026, 12, 2))) is None  # open is not a badge
