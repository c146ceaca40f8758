"""Transcripts (VLOS): parsing by local names, speakers matched by name, turns matched to dossiers."""

from __future__ import annotations

import re

import pytest

from monitor.config import DossierConfig, RuleConfig
from monitor.debates import passages, speaking_times
from monitor.rules.engine import compile_rules
from monitor.rules.query import parse_query
from monitor.sources.vlos import Speaker, TranscriptError, display_surname, parse_transcript
from monitor.speakers import SpeakerIndex, fractie_names, surname_core

from conftest import FIXTURES, REAL

OWN = FIXTURES / "vlos" / "cd_jeugdbeleid_ongecorrigeerd.xml"
REAL_CASCO = REAL / "tk" / "debates" / "vlos_casco_commissiedebat_2024-04-09_excerpt_closed.xml"
REAL_SPREKERS = REAL / "tk" / "debates" / "vlos_sprekers_excerpt_from_tkconv_tkparse_comment.xml"

REGISTER = {
    "p1": {"persoon_id": "p1", "roepnaam": "Anna", "achternaam": "Jansen", "tussenvoegsel": None, "fractie": "GL-PvdA"},
    "p2": {"persoon_id": "p2", "roepnaam": "Kees", "achternaam": "Vries", "tussenvoegsel": "de", "fractie": "VVD"},
    "p3": {"persoon_id": "p3", "roepnaam": "Mila", "achternaam": "Bakker", "tussenvoegsel": None, "fractie": "SP"},
    "p4": {"persoon_id": "p4", "roepnaam": "Mila", "achternaam": "Bakker", "tussenvoegsel": None, "fractie": "CDA"},
    "p5": {"persoon_id": "p5", "roepnaam": "Joost", "achternaam": "Leeuwen", "tussenvoegsel": "van", "fractie": "PVV"},
}
FRACTIES = fractie_names([{"naamNl": "GroenLinks-PvdA", "afkorting": "GL-PvdA"}, {"naamNl": "Volkspartij voor Vrijheid en Democratie", "afkorting": "VVD"}])


def speaker(achternaam: str, voornaam: str | None = None, fractie: str | None = None, soort: str = "Tweede Kamerlid") -> Speaker:
    functie = "lid Tweede Kamer" if soort == "Tweede Kamerlid" else "minister"
    return Speaker(soort, voornaam, achternaam, achternaam, fractie, functie, "x")


def test_own_transcript_turns_times_and_text():
    transcript = parse_transcript(OWN.read_bytes())
    assert (transcript.soort, transcript.status, transcript.vergadering_soort) == ("Tussenpublicatie", "Ongecorrigeerd", "Commissie")
    assert transcript.datum == "2026-12-17" and transcript.has_text
    (debate,) = transcript.activities
    assert debate.parlisid == "2026A05001" and debate.categories == ("Zorg en gezondheid | Jeugdzorg",)
    chair, jansen, interruption, smit, staatssecretaris = debate.turns
    assert chair.chair and not jansen.chair
    # 13:02:00–13:12:30 is 630 s, of which 90 s are De Vries' interruption.
    assert (jansen.seconds, interruption.seconds, interruption.role) == (540, 90, "interrumpant")
    assert jansen.text == "Voorzitter. De wachttijden in de jeugdzorg lopen op.\nGemeenten betalen de rekening; de Hervormingsagenda Jeugd moet sneller."
    assert interruption.speaker.naam == "Kees de Vries"
    assert staatssecretaris.speaker.bewindspersoon and not staatssecretaris.speaker.kamerlid


@pytest.mark.parametrize(
    "who, expected",
    [
        (speaker("Jansen", "Anna", "GroenLinks-PvdA"), "p1"),
        (speaker("Vries de", "Kees", "VVD"), "p2"),  # sort form
        (speaker("De Vries", "Kees", "Volkspartij voor Vrijheid en Democratie"), "p2"),  # prefix form, full fractie name
        (speaker("Van Leeuwen", "Joost", "PVV"), "p5"),
        (speaker("Bakker", "Mila", "SP"), "p3"),  # two Mila Bakkers: the fractie decides
        (speaker("Bakker", "Mila"), None),  # …and without a fractie nobody is guessed
        (speaker("Jansen", "Pieter", soort="Staatssecretaris"), None),  # a bewindspersoon is never a Kamerlid
        (speaker("Smit", "Eva", "Nieuwe Fractie"), None),  # not in the register
        (speaker("Jansen", "Piet", "PVV"), None),  # a namesake with another first name and fractie
    ],
)
def test_speakers_are_matched_by_name_and_fractie(who, expected):
    assert SpeakerIndex(REGISTER, FRACTIES).persoon_id(who) == expected


def test_surname_forms():
    assert surname_core("Wit de") == surname_core("Wit", "de") == surname_core("de Wit") == "wit"
    assert surname_core("Van Leeuwen") == surname_core("Leeuwen", "van") == "leeuwen"
    assert display_surname("Vries de") == "de Vries" and display_surname("Van Leeuwen") == "Van Leeuwen"


def test_turns_are_matched_to_dossiers_and_chairing_does_not_count():
    matcher = compile_rules([
        DossierConfig("jeugd", "Jeugdzorg", [RuleConfig("jeugdzorg", "jeugdzorg OR jeugdhulp", parse_query("jeugdzorg OR jeugdhulp"))]),
        DossierConfig("wmo", "Wmo", [RuleConfig("wmo", "wmo", parse_query("wmo"))]),
    ])
    transcript = parse_transcript(OWN.read_bytes())
    found = passages(transcript, matcher.match_fields, SpeakerIndex(REGISTER, FRACTIES))
    by = {(p.dossier, p.speaker.naam): p for p in found}
    assert ("jeugd", "Mila Bakker") not in by  # she chaired
    assert by[("jeugd", "Anna Jansen")].persoon_id == "p1" and by[("jeugd", "Anna Jansen")].seconds == 540
    assert "«jeugdzorg»" in by[("jeugd", "Anna Jansen")].snippet
    assert by[("jeugd", "Kees de Vries")].persoon_id == "p2"  # «jeugdhulp» in the interruption
    assert by[("wmo", "Eva Smit")].persoon_id is None  # unmatched speakers keep their name
    assert by[("jeugd", "Pieter Jansen")].persoon_id is None
    times = {(t.dossier, t.naam): t.seconds for t in speaking_times(found)}
    assert times[("jeugd", "Anna Jansen")] == 540 and times[("wmo", "Eva Smit")] == 240


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"<vlosCoreDocument", "not well-formed"),
        (b"<feed/>", "not a transcript"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><vlosCoreDocument>&a;</vlosCoreDocument>', "DTD"),
    ],
)
def test_unreadable_transcripts_are_refused_with_a_sentence(data, message):
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(data)


@pytest.mark.skipif(not REAL_CASCO.exists(), reason="../shared/real is not present")
def test_real_casco_transcript():
    transcript = parse_transcript(REAL_CASCO.read_bytes())
    assert (transcript.soort, transcript.status, transcript.has_text) == ("Voorpublicatie", "Casco", False)
    assert transcript.timestamp is not None and transcript.timestamp.isoformat().startswith("2024-04-09T20:08:55")
    opening, debate = transcript.activities
    assert opening.parlisid is None and debate.parlisid == "2023A07965"
    assert "Natuur en milieu | Organisatie en beleid" in debate.categories
    white = [t for t in debate.turns if t.speaker.achternaam == "White" and t.role == "woordvoerder"]
    # 16:32:05–16:36:31 minus the chair's 3 s interruption at the end.
    assert white[0].seconds == 263 and white[0].speaker.fractie == "GroenLinks-PvdA"
    assert all(t.chair for t in debate.turns if t.speaker.achternaam == "Paternotte")


@pytest.mark.skipif(not REAL_SPREKERS.exists(), reason="../shared/real is not present")
def test_real_minister_is_not_a_kamerlid():
    from xml.etree.ElementTree import fromstring

    from monitor.sources.vlos import _speaker

    brekelmans, deen = (_speaker(node) for node in fromstring(REAL_SPREKERS.read_bytes()))
    assert brekelmans.bewindspersoon and not brekelmans.kamerlid and brekelmans.fractie is None
    assert deen.kamerlid and deen.fractie == "PVV"
    index = SpeakerIndex({"x": {"persoon_id": "x", "roepnaam": "Ruben", "achternaam": "Brekelmans", "fractie": "VVD"}, "y": {"persoon_id": "y", "roepnaam": "Marco", "achternaam": "Deen", "fractie": "PVV"}})
    assert index.persoon_id(brekelmans) is None and index.persoon_id(deen) == "y"


# ---------------------------------------------------------------------------- stored, and as woordvoerder evidence


def _jeugd_matcher():
    return compile_rules([
        DossierConfig("jeugd", "Jeugdzorg", [RuleConfig("jeugdzorg", "jeugdzorg OR jeugdhulp", parse_query("jeugdzorg OR jeugdhulp"))]),
        DossierConfig("wmo", "Wmo", [RuleConfig("wmo", "wmo", parse_query("wmo"))]),
    ])


def test_a_stored_transcript_makes_the_speakers_woordvoerders(tmp_path, monkeypatch):
    import json
    from datetime import datetime

    import monitor.sources.tk as tk
    from monitor import transcripts
    from monitor.people import woordvoerders
    from monitor.report import woordvoerders_json
    from monitor.store import Store, View
    from monitor.timeutil import AMS
    from test_moments_data import dossier, rules

    register = {k: {**v, "naam": f"{v['roepnaam'][0]}. {v['achternaam']}"} for k, v in REGISTER.items()}
    monkeypatch.setattr(tk, "personen", lambda store, on=None: register)
    monkeypatch.setattr(tk, "commissie_leden", lambda *a, **k: [])
    store = Store(tmp_path / "monitor.db")
    try:
        conn = store.db.conn
        transcripts.ensure_schema(conn)
        fetched = datetime(2026, 12, 17, 22, 0, tzinfo=AMS)
        transcript = parse_transcript(OWN.read_bytes())
        transcripts.save_transcript(conn, "v-1", "verslag-1", transcript, fetched, len(OWN.read_bytes()))
        assert woordvoerders(View(store, datetime(2026, 12, 18, 9, 0, tzinfo=AMS)), rules(dossier("jeugd", "Jeugdzorg")), "jeugd") == []  # not matched yet
        assert transcripts.refresh_passages(conn, _jeugd_matcher().match_fields, SpeakerIndex(register, FRACTIES), "r1") == 1
        count = conn.execute("SELECT COUNT(*) FROM debate_passages").fetchone()[0]
        assert count == 5  # Jansen, De Vries and the staatssecretaris on jeugd, Smit on jeugd and wmo; the chair is not counted
        config = rules(dossier("jeugd", "Jeugdzorg en jeugdhulp"))

        before = woordvoerders(View(store, datetime(2026, 12, 17, 21, 0, tzinfo=AMS)), config, "jeugd")
        assert before == []  # a past --now does not see a transcript fetched later

        people = woordvoerders(View(store, datetime(2026, 12, 18, 9, 0, tzinfo=AMS)), config, "jeugd")
        assert [p.naam for p in people][:2] == ["A. Jansen", "Eva Smit"]  # Smit is not in the register: her own name
        jansen = people[0]
        assert (jansen.persoon_id, jansen.spreektijd_s) == ("p1", 540)
        assert jansen.reden == "sprak 9 min over dit dossier in CD Jeugdbeleid (do 17 dec)"
        assert "Pieter Jansen" not in [p.naam for p in people]  # a staatssecretaris is not a woordvoerder
        payload = json.loads(woordvoerders_json("jeugd", "Jeugdzorg", people))
        first = payload["woordvoerders"][0]
        assert first["spreektijd_s"] == 540
        assert first["debatten"][0]["titel"] == "CD Jeugdbeleid" and "«jeugdzorg»" in first["debatten"][0]["passage"]

        # A newer version of the same vergadering replaces the old one: counted once.
        transcripts.save_transcript(conn, "v-1", "verslag-2", transcript, fetched, 1)
        assert transcripts.refresh_passages(conn, _jeugd_matcher().match_fields, SpeakerIndex(register, FRACTIES), "r1") == 1
        again = woordvoerders(View(store, datetime(2026, 12, 18, 9, 0, tzinfo=AMS)), config, "jeugd")
        assert again[0].spreektijd_s == 540
        assert transcripts.stored_version(conn, "v-1")["verslag_id"] == "verslag-2"

        # Other rules: the passages are derived again from the stored turns.
        only_wmo = compile_rules([DossierConfig("wmo", "Wmo", [RuleConfig("wmo", "wmo", parse_query("wmo"))])])
        assert transcripts.refresh_passages(conn, only_wmo.match_fields, SpeakerIndex(register, FRACTIES), "r2") == 1
        assert woordvoerders(View(store, datetime(2026, 12, 18, 9, 0, tzinfo=AMS)), config, "jeugd") == []
        assert transcripts.refresh_passages(conn, only_wmo.match_fields, SpeakerIndex(register, FRACTIES), "r2") == 0
    finally:
        store.close()


def test_a_turn_counts_by_its_own_words_not_by_the_debate_title():
    # Every turn is in the debate "Jeugdbeleid", but no one says "jeugdbeleid": no one spoke on it.
    title_only = compile_rules([DossierConfig("beleid", "Beleid", [RuleConfig("r", "jeugdbeleid", parse_query("jeugdbeleid"))])])
    assert passages(parse_transcript(OWN.read_bytes()), title_only.match_fields, SpeakerIndex(REGISTER, FRACTIES)) == []


def test_a_casco_ties_every_non_chair_speaker_to_the_debate_dossier():
    casco = OWN.read_bytes().replace(b'status="Ongecorrigeerd"', b'status="Casco"')
    casco = re.sub(rb"<tekst>.*?</tekst>", b"<tekst />", casco, flags=re.S)
    transcript = parse_transcript(casco)
    assert not transcript.has_text
    title_only = compile_rules([DossierConfig("beleid", "Beleid", [RuleConfig("r", "jeugdbeleid", parse_query("jeugdbeleid"))])])
    found = passages(transcript, title_only.match_fields, SpeakerIndex(REGISTER, FRACTIES))
    assert {p.speaker.naam for p in found} == {"Anna Jansen", "Kees de Vries", "Eva Smit", "Pieter Jansen"}  # not the chair
    assert all(p.snippet == "" for p in found)


def test_an_unknown_speaker_soort_is_kept_by_name_and_never_a_kamerlid():
    odd = OWN.read_bytes().replace(b'<spreker soort="Staatssecretaris"', b'<spreker soort="Gastspreker"')
    transcript = parse_transcript(odd)
    guest = [t for t in transcript.activities[0].turns if t.speaker.soort == "Gastspreker"]
    assert guest and not guest[0].speaker.kamerlid and not guest[0].speaker.bewindspersoon
    assert SpeakerIndex(REGISTER, FRACTIES).persoon_id(guest[0].speaker) is None
    assert guest[0].speaker.naam == "Pieter Jansen"


def test_tables_from_an_older_build_get_their_new_columns_and_reads_wait_for_them(tmp_path):
    import sqlite3

    from monitor import transcripts

    conn = sqlite3.connect(tmp_path / "old.db")
    older = transcripts.SCHEMA.replace(" activiteit_id TEXT,", "")
    conn.executescript(older)
    assert "activiteit_id" not in transcripts._columns(conn, "debate_passages")
    assert transcripts._exists(conn) is False  # a read path sees no usable transcripts (and does not fail)
    transcripts.ensure_schema(conn)
    assert "activiteit_id" in transcripts._columns(conn, "debate_passages") and transcripts._exists(conn)
