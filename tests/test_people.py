"""Woordvoerders: inference from authored Kamer data, ranking, reasons, pins and excludes."""

from __future__ import annotations

from datetime import date

import pytest

import monitor.sources.tk as tk
from monitor.people import same_name, woordvoerders
from monitor.report import woordvoerders_text
from monitor.store import Store, View
from test_moments_data import VWS, activity, agendapunt, at, dossier, person, put, rules, zaak, zaak_ref

NOW = at("2026-12-01T09:00")

JANSEN = person("p-jansen", "A. Jansen", "GL-PvdA", "Indiener")
DE_VRIES = person("p-devries", "B. de Vries", "VVD", "Indiener")
BAKKER = person("p-bakker", "C. Bakker", "CDA", "Deelnemer")
SMIT = person("p-smit", "D. Smit", "PVV", "Deelnemer")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


@pytest.fixture
def no_tk():
    """The Kamer's person and commissie registers were never fetched: people degrade to the other signals."""


@pytest.fixture
def fake_tk(monkeypatch):
    """The Kamer source's registers over a tiny set of people (commissie VWS has Smit and Kok)."""
    calls: list[tuple[str, date]] = []

    def commissie_leden(store, commissie_id, on, register=None):
        calls.append((commissie_id, on))
        if commissie_id != "c-vws":
            return []
        return [
            {"persoon_id": "p-smit", "naam": "D. Smit", "fractie": "PVV"},
            {"persoon_id": "p-kok", "naam": "E. Kok", "fractie": "D66"},
        ]

    def personen(store, on=None):
        return {"p-devries": {"naam": "B. de Vries", "fractie": "VVD"}}

    monkeypatch.setattr(tk, "commissie_leden", commissie_leden)
    monkeypatch.setattr(tk, "personen", personen)
    return calls


def ranked(store, config, dossier_id, now=NOW, **kw):
    """The woordvoerders as every output reads them: from a view of the store as of `now`."""
    return woordvoerders(View(store, now), config, dossier_id, **kw)


def seed(store):
    """Jansen filed 3 jeugd moties; De Vries co-signed one and asked Kamervragen; Bakker took part in the CD."""
    for n in range(3):
        medeindieners = [dict(DE_VRIES, rol="Medeindiener")] if n == 0 else []
        put(store, zaak(f"m-{n}", "Motie", "Jeugdzorg", f"2026-0{n + 3}-10", indieners=[JANSEN, *medeindieners], commissie=VWS), ["jeugd"])
    put(store, zaak("v-1", "Schriftelijke vragen", "Vragen over jeugdzorg", "2026-09-01", indieners=[DE_VRIES], commissie=VWS), ["jeugd"])
    put(store, activity("cd-1", "Commissiedebat", "Jeugdbeleid", "2026-12-10T10:00", commissie=VWS, deelnemers=[BAKKER, dict(SMIT, rol="Afgemeld")]), ["jeugd"])


def test_ranking_and_reasons_without_the_kamer_source(store, no_tk):
    seed(store)
    config = rules(dossier("jeugd", "Jeugdzorg en jeugdhulp"))
    people = ranked(store, config, "jeugd")
    assert [(p.naam, p.fractie) for p in people] == [("A. Jansen", "GL-PvdA"), ("B. de Vries", "VVD"), ("C. Bakker", "CDA")]
    assert people[0].reden == "3 moties over jeugdzorg"
    assert people[1].reden == "1 keer Kamervragen over jeugdzorg, mede-indiener 1 motie"
    assert people[2].reden == "deelnemer CD Jeugdbeleid 10-12"
    assert people[0].score > people[1].score > people[2].score
    # Afgemeld is not taking part.
    assert "D. Smit" not in [p.naam for p in people]


def test_commissie_members_from_the_kamer_source(store, fake_tk):
    seed(store)
    config = rules(dossier("jeugd", "Jeugdzorg en jeugdhulp"))
    people = ranked(store, config, "jeugd")
    assert fake_tk == [("c-vws", date(2026, 12, 1))]  # the voortouwcommissie, as of now
    names = [p.naam for p in people]
    assert names[:3] == ["A. Jansen", "B. de Vries", "C. Bakker"]
    assert set(names[3:]) == {"D. Smit", "E. Kok"}
    smit = next(p for p in people if p.naam == "D. Smit")
    assert smit.reden == "lid commissie VWS"


def test_members_who_are_also_active_get_both_reasons(store, fake_tk):
    put(store, zaak("m-1", "Motie", "Jeugdzorg", "2026-10-10", indieners=[dict(SMIT, rol="Indiener")], commissie=VWS), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert people[0].naam == "D. Smit"
    assert people[0].reden == "1 motie over jeugdzorg, lid commissie VWS"


def test_current_fractie_comes_from_the_person_register(store, fake_tk):
    put(store, zaak("m-1", "Motie", "Jeugdzorg", "2026-10-10", indieners=[dict(DE_VRIES, fractie="Oude Fractie")]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert people[0].fractie == "VVD"


def test_signals_older_than_twelve_months_do_not_count(store, no_tk):
    put(store, zaak("old", "Motie", "Jeugdzorg", "2025-11-01", indieners=[JANSEN]), ["jeugd"])
    put(store, zaak("new", "Motie", "Jeugdzorg", "2026-02-01", indieners=[DE_VRIES]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert [p.naam for p in people] == ["B. de Vries"]


def test_meeting_through_its_agenda_counts_and_cancelled_meetings_do_not(store, no_tk):
    put(store, zaak("z-b", "Brief regering", "Hervormingsagenda", "2026-10-01"), ["jeugd"])
    put(store, activity("cd-1", "Commissiedebat", "Zorg algemeen", "2026-11-12T10:00", commissie=VWS,
                        agendapunten=[agendapunt("ap", "Brief", [zaak_ref("z-b", "2026Z1", "Brief regering", "Hervormingsagenda")])],
                        deelnemers=[BAKKER]), [])
    put(store, activity("cd-2", "Commissiedebat", "Jeugd", "2026-11-19T10:00", commissie=VWS, status="Geannuleerd", deelnemers=[SMIT]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert [(p.naam, p.reden) for p in people] == [("C. Bakker", "deelnemer CD Zorg algemeen 12-11")]


def test_many_meetings_show_the_two_latest(store, no_tk):
    for day in (5, 12, 19):
        put(store, activity(f"cd-{day}", "Commissiedebat", "Jeugd", f"2026-11-{day:02d}T10:00", deelnemers=[BAKKER]), ["jeugd"])
    put(store, activity("tmd", "Plenair debat (tweeminutendebat)", "Tweeminutendebat Jeugd", "2026-11-26T15:00", deelnemers=[BAKKER]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert people[0].reden == "deelnemer tweeminutendebat Tweeminutendebat Jeugd 26-11, CD Jeugd 19-11 (+2)"


def test_pins_come_first_and_excludes_are_dropped(store, no_tk):
    seed(store)
    config = rules(dossier("jeugd", "Jeugdzorg", pin=["Bakker", "F. Visser (SP)"], exclude=["A. Jansen"]))
    people = ranked(store, config, "jeugd")
    assert [(p.naam, p.fractie) for p in people] == [("C. Bakker", "CDA"), ("F. Visser", "SP"), ("B. de Vries", "VVD")]
    assert people[0].reden == "vastgezet in rules.yaml; deelnemer CD Jeugdbeleid 10-12"
    assert people[1].reden == "vastgezet in rules.yaml"


def test_exclude_by_persoon_id_and_limit(store, no_tk):
    seed(store)
    config = rules(dossier("jeugd", "Jeugdzorg", exclude=["p-devries"]))
    people = ranked(store, config, "jeugd", limit=1)
    assert [p.naam for p in people] == ["A. Jansen"]


def test_exclude_with_other_fractie_does_not_hit(store, no_tk):
    seed(store)
    config = rules(dossier("jeugd", "Jeugdzorg", exclude=["Jansen (VVD)"]))
    assert "A. Jansen" in [p.naam for p in ranked(store, config, "jeugd")]


def test_name_only_signal_joins_the_person(store, no_tk):
    put(store, zaak("m-1", "Motie", "Jeugdzorg", "2026-10-10", indieners=[JANSEN]), ["jeugd"])
    put(store, zaak("m-2", "Motie", "Jeugdzorg", "2026-10-11", indieners=[dict(JANSEN, persoon_id=None)]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    assert [(p.naam, p.reden) for p in people] == [("A. Jansen", "2 moties over jeugdzorg")]


def test_other_dossiers_do_not_leak(store, no_tk):
    put(store, zaak("m-1", "Motie", "Wmo", "2026-10-10", indieners=[JANSEN]), ["wmo"])
    config = rules(dossier("jeugd", "Jeugdzorg"), dossier("wmo", "Wmo"))
    assert ranked(store, config, "jeugd") == []
    assert ranked(store, config, "wmo")[0].reden == "1 motie over Wmo"


def test_unknown_dossier_raises(store):
    with pytest.raises(KeyError):
        ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "nope")


def test_same_name():
    assert same_name("Jansen", "A. Jansen")
    assert same_name("Anna Jansen", "A.M. Jansen")
    assert same_name("J. van der Berg", "Van der Berg")
    assert same_name("Ömtzigt", "P.H. Omtzigt")
    assert not same_name("B. Jansen", "A. Jansen")
    assert not same_name("Jansen", "Janssen")


def test_text_groups_by_fractie(store, no_tk):
    seed(store)
    put(store, zaak("m-9", "Motie", "Jeugdzorg", "2026-10-10", indieners=[person("p-x", "G. Groen", "GL-PvdA", "Indiener")]), ["jeugd"])
    people = ranked(store, rules(dossier("jeugd", "Jeugdzorg")), "jeugd")
    text = woordvoerders_text(people, "Jeugdzorg")
    assert text.startswith("Woordvoerders Jeugdzorg (afgelopen 12 maanden)\n")
    assert "GL-PvdA\n  A. Jansen — 3 moties over jeugdzorg\n  G. Groen — 1 motie over jeugdzorg\n" in text
    # Fracties in the order of their best-ranked member.
    assert [line for line in text.splitlines()[2:] if not line.startswith(" ")] == ["GL-PvdA", "VVD", "CDA"]
    assert "Geen Kamerleden" in woordvoerders_text([])
