"""Scenario tests for the moments engine on authored Kamer data (contract shape).

Moments come from `derive_moments` on a `View` of the store as of a moment in time; what changed
about a meeting comes from the briefing's meeting entries, and the words from `wording` through
the renderers, so these tests read the engine the way every output does.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import jsonschema
import pytest

from monitor.briefing import Briefing, MeetingEntry, Scope, build_briefing
from monitor.kamer import kinds_for_soort
from monitor.models import Item, Moment
from monitor.moments import derive_moments
from monitor.render import as_json
from monitor.report import render
from monitor.store import Store, View
from monitor.wording import update_phrase
from test_moments_data import (
    SZW,
    VWS,
    activity,
    agendapunt,
    at,
    config_for,
    dossier,
    person,
    put,
    rules,
    zaak,
    zaak_ref,
)

JEUGD = dossier("jeugd", "Jeugdzorg en jeugdhulp")
WMO = dossier("wmo", "Wmo")
RULES = rules(JEUGD, WMO)
CONFIG = config_for(RULES)
DECEMBER = (date(2026, 11, 23), date(2026, 12, 31))
EVER = "2000-01-01T00:00:00+01:00"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


def derive(store: Store, now: datetime, window: tuple[date, date] | None, config=RULES) -> list[Moment]:
    """The moments as of `now`, as every output derives them."""
    return derive_moments(View(store, now), config, window)


def briefing(store: Store, now: datetime, window: tuple[date, date] = DECEMBER, since: str = EVER, news: bool = False) -> Briefing:
    """The briefing for `window` as of `now`, with the changes seen after `since`."""
    scope = Scope(window[0], window[1], window[0] if news else None, window[1] if news else None, seen_after=since, changes_since=since)
    return build_briefing(View(store, now), CONFIG, scope)


def entry_of(result: Briefing, onderwerp: str) -> MeetingEntry:
    """The briefing's one entry for the meeting with this onderwerp."""
    entries = {id(e): e for e in [a.entry for a in result.actions + result.closed] + result.agenda + [c for c in result.changed if isinstance(c, MeetingEntry)]}
    found = [e for e in entries.values() if e.meeting.onderwerp == onderwerp]
    assert len({e.key for e in found}) == 1, [e.meeting.onderwerp for e in entries.values()]
    return found[0]


def phrases(store: Store, now: datetime, onderwerp: str = "Jeugdbeleid", **kw) -> list[str]:
    """What changed about the meeting, in the words every output uses."""
    return [update_phrase(u) for u in entry_of(briefing(store, now, **kw), onderwerp).updates]


def text(store: Store, now: datetime, **kw) -> str:
    """The plain-text report as `monitor run` prints it."""
    return render(briefing(store, now, **kw), "text")


def cd_jeugd(start="2026-12-10T10:00", **kw) -> Item:
    return activity("cd-1", "Commissiedebat", "Jeugdbeleid", start, commissie=VWS, **kw)


def only(moments, kind):
    found = [m for m in moments if m.kind == kind]
    assert len(found) == 1, [(m.kind, m.meeting.onderwerp) for m in moments]
    return found[0]


# ---------------------------------------------------------------------------- kinds and deadlines


def test_brief_for_commissiedebat_thursday_10_december_is_due_thursday_3_december(store):
    put(store, cd_jeugd(), ["jeugd"])
    moments = derive(store, at("2026-11-30T09:00"), DECEMBER)
    moment = only(moments, "brief")
    assert moment.deadline == date(2026, 12, 3)
    assert moment.status == "gepland"
    assert moment.dossiers == ["jeugd"]
    assert moment.meeting.onderwerp == "Jeugdbeleid"
    assert moment.meeting.start == at("2026-12-10T10:00")
    assert [m.kind for m in moments] == ["brief"]  # a commissiedebat asks for no motie


@pytest.mark.parametrize(
    "soort, kind, start, deadline",
    [
        # Inbreng schriftelijk overleg: the activity's date is the inbreng deadline; 3 days before.
        ("Inbreng schriftelijk overleg", "inbreng", "2026-12-10T14:00", "2026-12-07"),
        ("Inbreng verslag (wetsvoorstel)", "inbreng", "2026-12-10T14:00", "2026-12-07"),
        ("Inbreng feitelijke vragen", "inbreng", "2026-12-10T14:00", "2026-12-07"),
        ("Procedurevergadering", "agendering", "2026-12-10T13:00", "2026-12-08"),
        ("Rondetafelgesprek", "positionpaper", "2026-12-10T10:00", "2026-12-01"),
        ("Hoorzitting", "positionpaper", "2026-12-10T10:00", "2026-12-01"),
        ("Plenair debat (tweeminutendebat)", "motie", "2026-12-10T15:00", "2026-12-08"),
        ("Stemmingen", "stemming", "2026-12-15T15:00", "2026-12-14"),
        ("Wetgevingsoverleg", "brief", "2026-12-10T10:00", "2026-12-03"),
        ("Notaoverleg", "brief", "2026-12-10T10:00", "2026-12-03"),
    ],
)
def test_each_meeting_kind_has_its_default_deadline(store, soort, kind, start, deadline):
    put(store, activity("a-1", soort, "Jeugdzorg", start, commissie=VWS), ["jeugd"])
    moments = derive(store, at("2026-11-25T09:00"), DECEMBER)
    assert [(m.kind, m.deadline) for m in moments] == [(kind, date.fromisoformat(deadline))]


def test_plenary_debate_asks_for_brief_and_motie(store):
    put(store, activity("pd-1", "Plenair debat (debat)", "Debat over de jeugdzorg", "2026-12-10T15:00"), ["jeugd"])
    moments = derive(store, at("2026-11-25T09:00"), DECEMBER)
    assert [(m.kind, m.deadline) for m in moments] == [("brief", date(2026, 12, 3)), ("motie", date(2026, 12, 8))]
    assert moments[0].id != moments[1].id


def test_deadline_across_the_christmas_holidays(store):
    # Tuesday 5 Jan 2027: 5 working days back skips 1 Jan, the weekends and lands on 28 Dec.
    put(store, cd_jeugd("2027-01-05T10:00"), ["jeugd"])
    # Tuesday 29 Dec 2026, tweeminutendebat (motie, 2): 28 Dec, then 25/26 Dec and the weekend -> 24 Dec.
    put(store, activity("tmd-1", "Plenair debat (tweeminutendebat)", "Tweeminutendebat Jeugd", "2026-12-29T15:00"), ["jeugd"])
    moments = derive(store, at("2026-12-01T09:00"), (date(2026, 12, 1), date(2027, 1, 31)))
    assert [(m.kind, m.deadline) for m in moments] == [("motie", date(2026, 12, 24)), ("brief", date(2026, 12, 28))]


def test_per_dossier_lead_times_and_the_longest_wins_for_a_shared_meeting(store):
    config = rules(dossier("jeugd", "Jeugd", lead={"brief": 7}), dossier("wmo", "Wmo"))
    put(store, cd_jeugd(), ["wmo"])
    assert only(derive(store, at("2026-11-25T09:00"), DECEMBER, config), "brief").deadline == date(2026, 12, 3)
    put(store, cd_jeugd(), ["jeugd", "wmo"])
    moment = only(derive(store, at("2026-11-25T09:00"), DECEMBER, config), "brief")
    assert moment.deadline == date(2026, 12, 1)  # 7 working days before Thu 10 Dec
    assert moment.dossiers == ["jeugd", "wmo"]


def test_unknown_or_non_lobby_soort_yields_nothing(store):
    put(store, activity("w-1", "Werkbezoek", "Werkbezoek jeugdzorginstelling", "2026-12-10T10:00"), ["jeugd"])
    put(store, activity("x-1", "Iets nieuws dat de Kamer verzon", "Jeugdzorg", "2026-12-10T10:00"), ["jeugd"])
    assert derive(store, at("2026-11-25T09:00"), DECEMBER) == []


def test_kinds_for_soort_is_tolerant():
    assert kinds_for_soort("  commissiedebat ") == ("brief",)
    assert kinds_for_soort("Plenair debat (wetgeving)") == ("brief", "motie")
    assert kinds_for_soort("Plenair debat (dertigledendebat)") == ("brief", "motie")
    assert kinds_for_soort(None) == ()
    assert kinds_for_soort("Technische briefing") == ()


# ---------------------------------------------------------------------------- matching


def test_meeting_matches_only_through_a_letter_on_its_agenda(store):
    letter = zaak("z-brief", "Brief regering", "Voortgangsbrief Hervormingsagenda Jeugd", "2026-11-20", nummer="2026Z20001")
    put(store, letter, ["jeugd"])
    meeting = activity(
        "pv-1",
        "Procedurevergadering",
        "Procedurevergadering VWS",
        "2026-12-09T13:00",
        commissie=VWS,
        agendapunten=[
            agendapunt("ap-1", "Mededelingen"),
            agendapunt("ap-2", "Brief regering - Voortgangsbrief Hervormingsagenda", [zaak_ref("z-brief", "2026Z20001", "Brief regering", letter.title)]),
        ],
    )
    put(store, meeting, [])  # the meeting's own text matched no dossier
    moments = derive(store, at("2026-11-30T09:00"), DECEMBER)
    moment = next(m for m in moments if m.kind == "agendering")
    assert moment.dossiers == ["jeugd"]
    assert moment.deadline == date(2026, 12, 7)
    assert moment.triggers == ["Brief regering - Voortgangsbrief Hervormingsagenda (2026Z20001)"]
    assert moment.meeting.soort == "Procedurevergadering"


def test_meeting_matches_through_a_zaak_that_names_it(store):
    # The zaak lists the activity (and agendapunt) it is on; the activity's own data does not.
    put(store, zaak("z-m", "Motie", "Jeugdzorg", "2026-12-03", nummer="2026Z21000", activiteit_ids=["st-1"], agendapunt_ids=["ap-9"]), ["jeugd"])
    put(store, activity("st-1", "Stemmingen", "Stemmingen", "2026-12-15T15:00", agendapunten=[agendapunt("ap-9", "Moties ingediend bij het tweeminutendebat Jeugd")]), [])
    moment = only(derive(store, at("2026-12-04T09:00"), DECEMBER), "stemming")
    assert moment.deadline == date(2026, 12, 14)
    assert moment.triggers == ["Moties ingediend bij het tweeminutendebat Jeugd (2026Z21000)"]


def test_meeting_matches_through_a_document_on_its_agenda(store):
    document = Item(
        source="tk", external_id="document/d-1", kind="document", title="Kamerbrief over jeugdhulp",
        data={"id": "d-1", "documentnummer": "2026D40000", "soort": "Brief regering", "titel": "Kamerbrief over jeugdhulp", "zaak_ids": []},
    )
    put(store, document, ["jeugd"])
    meeting = cd_jeugd(agendapunten=[agendapunt("ap-1", "Kamerbrief jeugdhulp", documenten=[{"id": "d-1", "documentnummer": "2026D40000", "soort": "Brief regering", "titel": "Kamerbrief over jeugdhulp", "kamerstukdossier": "31839"}])])
    put(store, meeting, [])
    moment = only(derive(store, at("2026-11-30T09:00"), DECEMBER), "brief")
    assert moment.triggers == ["Kamerbrief jeugdhulp (2026D40000)"]


def test_unrelated_meeting_yields_no_moment(store):
    put(store, zaak("z-brief", "Brief regering", "Voortgangsbrief jeugd", "2026-11-20"), ["jeugd"])
    put(
        store,
        activity("cd-x", "Commissiedebat", "Pensioenen", "2026-12-10T10:00", commissie=SZW,
                 agendapunten=[agendapunt("ap-x", "Brief over de pensioentransitie", [zaak_ref("z-p", "2026Z1", "Brief regering", "Pensioenen")])]),
        [],
    )
    assert derive(store, at("2026-11-25T09:00"), DECEMBER) == []


def test_matches_of_dossiers_no_longer_in_the_rules_are_ignored(store):
    put(store, cd_jeugd(), ["oud-dossier"])
    assert derive(store, at("2026-11-25T09:00"), DECEMBER) == []


# ---------------------------------------------------------------------------- status over time


@pytest.mark.parametrize(
    "now, status",
    [
        ("2026-11-30T09:00", "gepland"),
        ("2026-12-03T17:30", "gepland"),  # the deadline day itself is still in time
        ("2026-12-04T08:00", "te laat"),
        ("2026-12-10T09:59", "te laat"),  # a late briefing beats none
        ("2026-12-10T10:00", "voorbij"),
        ("2026-12-11T08:00", "voorbij"),
    ],
)
def test_now_before_and_after_the_deadline(store, now, status):
    put(store, cd_jeugd(), ["jeugd"])
    assert only(derive(store, at(now), DECEMBER), "brief").status == status


def test_move_follows_the_meeting_and_shows_the_change(store):
    put(store, cd_jeugd("2026-12-03T13:00"), ["jeugd"], seen_at="2026-11-20T08:00:00+01:00")
    before = only(derive(store, at("2026-11-23T09:00"), DECEMBER), "brief")
    assert before.deadline == date(2026, 11, 26)
    moved = cd_jeugd("2026-12-17T13:00")
    assert store.upsert_item(moved, "2026-11-24T08:00:00+01:00") == "changed"
    after = only(derive(store, at("2026-11-24T09:00"), DECEMBER), "brief")
    assert after.id == before.id
    assert after.deadline == date(2026, 12, 10)
    assert after.status == "verplaatst"
    assert after.moved
    # Date and start time changed in one fetch: one move, told once.
    assert phrases(store, at("2026-11-24T09:00")) == ["verplaatst van do 3 dec 13:00 naar do 17 dec 13:00"]
    report = text(store, at("2026-11-24T09:00"))
    assert report.count("verplaatst van do 3 dec 13:00 naar do 17 dec 13:00") == 1
    assert "aanvangstijd" not in report and "2026-12-03T13:00" not in report


def test_cancellation_stops_asking_for_action(store):
    put(store, cd_jeugd(), ["jeugd"])
    store.upsert_item(cd_jeugd(status="Geannuleerd"), "2026-11-26T08:00:00+01:00")
    now = at("2026-11-27T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert moment.status == "geannuleerd"
    assert moment.woordvoerders == []
    assert phrases(store, now) == ["geannuleerd"]
    result = briefing(store, now)
    assert result.actions == []
    assert [a.entry.meeting.onderwerp for a in result.closed] == ["Jeugdbeleid"]
    report = text(store, now)
    assert "geannuleerd" in report
    assert "uiterlijk do 3 dec" not in report  # no deadline asks for action any more


def test_vervallen_and_deleted_meetings_are_cancelled(store):
    put(store, cd_jeugd(status="Vervallen"), ["jeugd"])
    put(store, activity("cd-2", "Commissiedebat", "Jeugdbescherming", "2026-12-11T10:00", commissie=VWS), ["jeugd"])
    store.mark_deleted("tk:activiteit/cd-2", "2026-11-26T08:00:00+01:00")
    now = at("2026-11-27T09:00")
    moments = derive(store, now, DECEMBER)
    assert [m.status for m in moments] == ["geannuleerd", "geannuleerd"]
    assert phrases(store, now, "Jeugdbescherming") == ["door de Kamer verwijderd"]
    assert entry_of(briefing(store, now), "Jeugdbescherming").deleted


def test_recreated_meeting_stays_one_moment(store):
    agenda = [agendapunt("ap-1", "Voortgangsbrief jeugd", [zaak_ref("z-b", "2026Z3", "Brief regering", "Jeugd")])]
    put(store, zaak("z-b", "Brief regering", "Voortgangsbrief jeugdzorg", "2026-11-10"), ["jeugd"])
    put(store, cd_jeugd("2026-12-03T13:00", agendapunten=agenda), [], seen_at="2026-11-20T08:00:00+01:00")
    first = only(derive(store, at("2026-11-23T09:00"), DECEMBER), "brief")
    # The Kamer marks the old activity Verplaatst and creates a new one pointing back to it,
    # at first without agenda.
    store.upsert_item(cd_jeugd("2026-12-03T13:00", agendapunten=agenda, status="Verplaatst"), "2026-11-24T08:00:00+01:00")
    put(store, activity("cd-new", "Commissiedebat", "Jeugdbeleid", "2026-12-17T13:00", commissie=VWS, vervangen_vanuit="cd-1"), [], seen_at="2026-11-24T08:00:00+01:00")
    now = at("2026-11-24T09:00")
    moments = derive(store, now, DECEMBER)
    assert len(moments) == 1
    moment = moments[0]
    assert moment.id == first.id
    assert moment.meeting.item_id == "tk:activiteit/cd-new"
    assert moment.meeting.id == "cd-new"
    assert moment.deadline == date(2026, 12, 10)
    assert moment.status == "verplaatst"
    assert moment.dossiers == ["jeugd"]  # kept from the old activity's agenda
    # The old activity's "Verplaatst" is told by the move to the new one, not as a second line.
    assert phrases(store, now) == ["verplaatst van do 3 dec 13:00 naar do 17 dec 13:00"]


def test_moved_without_new_date_yet_has_no_deadline(store):
    put(store, cd_jeugd(), ["jeugd"])
    store.upsert_item(cd_jeugd(status="Verplaatst"), "2026-11-26T08:00:00+01:00")
    now = at("2026-12-07T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert moment.status == "verplaatst"
    assert moment.deadline is None
    assert "VERPLAATST — nieuwe datum nog niet bekend" in text(store, now)


def test_agenda_change_is_news(store):
    put(store, cd_jeugd(agendapunten=[agendapunt("ap-1", "Jeugdzorg algemeen")]), ["jeugd"])
    store.upsert_item(cd_jeugd(agendapunten=[agendapunt("ap-1", "Jeugdzorg algemeen"), agendapunt("ap-2", "Brief over wachtlijsten")]), "2026-11-26T08:00:00+01:00")
    now = at("2026-11-27T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert moment.status == "gepland"  # a new agendapunt is not a move
    assert not moment.moved
    assert phrases(store, now) == ["nieuw agendapunt: Brief over wachtlijsten"]


def test_since_limits_the_changes_shown(store):
    put(store, cd_jeugd("2026-12-03T13:00"), ["jeugd"])
    store.upsert_item(cd_jeugd("2026-12-17T13:00"), "2026-11-24T08:00:00+01:00")
    now = at("2026-11-26T09:00")
    assert phrases(store, now, since="2026-11-25T00:00:00+01:00") == []
    assert only(derive(store, now, DECEMBER), "brief").status == "verplaatst"  # the status still knows the history


def test_changes_seen_after_now_are_not_shown(store):
    put(store, cd_jeugd("2026-12-03T13:00"), ["jeugd"])
    store.upsert_item(cd_jeugd("2026-12-17T13:00"), "2026-11-24T08:00:00+01:00")
    # Evaluated as of a moment before the move was seen (--now in the past): no move yet.
    now = at("2026-11-23T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert moment.status == "gepland"
    assert moment.deadline == date(2026, 11, 26)  # the meeting as it was known then
    assert phrases(store, now) == []


def test_moment_ids_are_stable_across_runs_and_other_data(store):
    put(store, cd_jeugd(), ["jeugd"])
    first = [m.id for m in derive(store, at("2026-11-25T09:00"), DECEMBER)]
    put(store, activity("cd-2", "Commissiedebat", "Wmo", "2026-12-11T10:00", commissie=VWS), ["wmo"])
    again = derive(store, at("2026-12-05T09:00"), DECEMBER)
    assert first[0] in [m.id for m in again]
    assert len({m.id for m in again}) == 2


# ---------------------------------------------------------------------------- window


def test_window_takes_meetings_whose_deadline_or_meeting_falls_inside(store):
    put(store, cd_jeugd(), ["jeugd"])  # deadline 3 Dec, meeting 10 Dec
    week_49 = (date(2026, 11, 30), date(2026, 12, 6))
    week_50 = (date(2026, 12, 7), date(2026, 12, 13))
    week_52 = (date(2026, 12, 21), date(2026, 12, 27))
    now = at("2026-11-30T09:00")
    assert len(derive(store, now, week_49)) == 1  # the deadline is this week
    assert len(derive(store, now, week_50)) == 1  # the meeting is this week
    assert derive(store, now, week_52) == []


def test_meeting_moved_out_of_the_window_is_still_news_in_it(store):
    put(store, cd_jeugd("2026-12-03T13:00"), ["jeugd"])
    store.upsert_item(cd_jeugd("2027-01-14T13:00"), "2026-11-24T08:00:00+01:00")
    week = (date(2026, 11, 30), date(2026, 12, 6))
    now = at("2026-11-30T09:00")
    moment = only(derive(store, now, week), "brief")
    assert moment.status == "verplaatst"
    assert moment.deadline == date(2027, 1, 7)
    assert phrases(store, now, window=week) == ["verplaatst van do 3 dec 13:00 naar do 14 jan 13:00"]
    # Weeks that neither held the old date nor hold the new deadline or date show nothing.
    assert derive(store, now, (date(2026, 12, 14), date(2026, 12, 20))) == []


def test_default_window_is_around_now(store):
    put(store, cd_jeugd(), ["jeugd"])
    assert len(derive(store, at("2026-11-30T09:00"), None)) == 1
    assert derive(store, at("2027-03-01T09:00"), None) == []


# ---------------------------------------------------------------------------- news is not an action


def test_new_letters_moties_bills_and_press_are_news_not_actions(store):
    put(store, zaak("z-1", "Brief regering", "Voortgangsbrief jeugdzorg", "2026-11-27"), ["jeugd"], seen_at="2026-11-27T12:00:00+01:00")
    put(store, zaak("z-2", "Motie", "Jeugdzorg", "2026-11-26", onderwerp="Motie van het lid Jansen over wachtlijsten in de jeugdzorg"), ["jeugd"], seen_at="2026-11-26T12:00:00+01:00")
    put(store, zaak("z-3", "Wetgeving", "Wet reikwijdte jeugdzorg", "2026-11-25"), ["jeugd"], seen_at="2026-11-25T12:00:00+01:00")
    article = Item(source="bb", external_id="https://bb.example/a1", kind="artikel", title="Gemeenten slaan alarm over jeugdzorg",
                   url="https://bb.example/a1", published_at="2026-11-28T07:00:00+01:00")
    put(store, article, ["jeugd"], seen_at="2026-11-28T08:00:00+01:00")
    now = at("2026-11-30T09:00")
    assert derive(store, now, (date(2026, 11, 23), date(2026, 12, 13))) == []  # no meeting, no moment
    result = briefing(store, now, window=(date(2026, 11, 23), date(2026, 11, 30)), since="2026-11-23T00:00:00+01:00", news=True)
    assert result.actions == []  # a letter is worth reading, not a deadline
    jeugd = next(n for n in result.news if n.id == "jeugd")
    assert sorted(e.zaak.titel for e in jeugd.kamer) == ["Jeugdzorg", "Voortgangsbrief jeugdzorg", "Wet reikwijdte jeugdzorg"]
    assert [p.item.url for p in jeugd.press] == ["https://bb.example/a1"]
    for entry in jeugd.kamer + jeugd.press:
        assert entry.reasons and entry.reasons[0].dossier == "jeugd"  # the match explains itself


# ---------------------------------------------------------------------------- output


def test_json_moment_validates_against_the_published_schema(store):
    put(store, cd_jeugd(), ["jeugd"])
    data = as_json.to_json(briefing(store, at("2026-11-30T09:00")))
    jsonschema.validate(data, as_json.schema())
    (action,) = data["actions"]
    (moment,) = action["moments"]
    assert moment["kind"] == "brief" and moment["deadline"] == "2026-12-03" and moment["status"] == "gepland"
    assert moment["label"] == "Woordvoerders briefen"
    assert moment["when"] == "uiterlijk do 3 dec"
    assert moment["event_at"] == "2026-12-10T10:00:00+01:00"
    assert action["meeting"]["soort"] == "Commissiedebat"
    assert action["meeting"]["url"].startswith("https://www.tweedekamer.nl/")
    json.dumps(data)  # serialisable as is


def test_brief_lists_woordvoerders_and_text_shows_everything(store):
    put(store, zaak("z-m1", "Motie", "Jeugdzorg", "2026-06-01", indieners=[person("p-1", "A. Jansen", "GL-PvdA", "Indiener")], commissie=VWS), ["jeugd"])
    put(
        store,
        cd_jeugd(
            agendapunten=[agendapunt("ap-1", "Voortgangsbrief Hervormingsagenda Jeugd", [zaak_ref("z-b", "2026Z20001", "Brief regering", "Hervormingsagenda")])],
            deelnemers=[person("p-2", "B. de Vries", "VVD", "Deelnemer")],
        ),
        [],
    )
    put(store, zaak("z-b", "Brief regering", "Hervormingsagenda Jeugd", "2026-10-01"), ["jeugd"])
    now = at("2026-11-30T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert [w.naam for w in moment.woordvoerders] == ["A. Jansen", "B. de Vries"]
    report = text(store, now)
    assert "Woordvoerders briefen — uiterlijk do 3 dec" in report
    assert "Commissiedebat Jeugdbeleid · commissie VWS · do 10 dec 2026 10:00" in report
    assert "Voortgangsbrief Hervormingsagenda Jeugd (2026Z20001)" in report
    assert "A. Jansen (GL-PvdA)" in report and "B. de Vries (VVD)" in report
    assert "https://www.tweedekamer.nl/" in report
    markdown = render(briefing(store, now), "markdown")
    assert "Woordvoerders briefen" in markdown
    assert "](https://www.tweedekamer.nl/" in markdown
    assert "A. Jansen (GL-PvdA)" in markdown


def test_late_moment_says_so(store):
    put(store, cd_jeugd(), ["jeugd"])
    assert "TE LAAT — de deadline was do 3 dec; nu alsnog" in text(store, at("2026-12-07T09:00"))


def test_moments_are_ordered_by_deadline(store):
    put(store, activity("rtg", "Rondetafelgesprek", "Jeugdzorg", "2026-12-16T10:00"), ["jeugd"])  # deadline 7 Dec
    put(store, cd_jeugd(), ["jeugd"])  # 3 Dec
    put(store, activity("st", "Stemmingen", "Stemmingen", "2026-12-08T15:00"), ["jeugd"])  # 7 Dec
    put(store, zaak("z-1", "Brief regering", "Brief jeugdzorg", "2026-11-27"), ["jeugd"])
    now = at("2026-11-30T09:00")
    expected = [
        ("brief", date(2026, 12, 3)),
        ("stemming", date(2026, 12, 7)),  # same deadline: the sooner meeting first
        ("positionpaper", date(2026, 12, 7)),
    ]
    assert [(m.kind, m.deadline) for m in derive(store, now, DECEMBER)] == expected
    assert [(a.moments[0].kind, a.deadline) for a in briefing(store, now).actions] == expected


def test_empty_store_gives_no_moments_and_a_report_that_says_so(store):
    now = at("2026-11-30T09:00")
    assert derive(store, now, None) == []
    result = briefing(store, now, news=True)
    assert result.actions == [] and result.agenda == [] and result.changed == []
    report = text(store, now, news=True)
    assert "Actie nodig" not in report
    assert "{" not in report and "None" not in report


def test_te_laat_after_a_move_in_every_word(store):
    put(store, cd_jeugd("2026-12-03T13:00"), ["jeugd"])
    store.upsert_item(cd_jeugd("2026-12-17T13:00"), "2026-11-24T08:00:00+01:00")
    now = at("2026-12-11T09:00")
    moment = only(derive(store, now, DECEMBER), "brief")
    assert moment.status == "te laat" and moment.status.active
    data = as_json.to_json(briefing(store, now))
    (json_moment,) = data["actions"][0]["moments"]
    assert json_moment["label"] == "Woordvoerders briefen"
    assert json_moment["when"] == "TE LAAT — de deadline was do 10 dec; nu alsnog"
    assert json_moment["status_label"] == "te laat"
    report = text(store, now)
    assert "Woordvoerders briefen — TE LAAT — de deadline was do 10 dec; nu alsnog" in report
    assert "Commissiedebat Jeugdbeleid · commissie VWS · do 17 dec 2026 13:00" in report
    assert "verplaatst van do 3 dec 13:00 naar do 17 dec 13:00" in report


def test_a_meeting_linked_to_a_dossier_later_is_not_linked_before(store):
    # The letter matched jeugd from the start; the Kamer put it on the debate's agenda only on 25 Nov.
    put(store, activity("a1", "Commissiedebat", "Zorg algemeen", "2026-12-10T10:00", commissie=VWS), [], seen_at="2026-11-20T08:00:00+01:00")
    put(store, zaak("z1", "Brief regering", "Brief jeugd", "2026-11-19"), ["jeugd"], seen_at="2026-11-20T08:00:00+01:00")
    put(store, zaak("z1", "Brief regering", "Brief jeugd", "2026-11-19", activiteit_ids=["a1"]), ["jeugd"], seen_at="2026-11-25T08:00:00+01:00")
    assert derive(store, at("2026-11-22T08:00"), DECEMBER) == []  # as known on 22 Nov: no link yet
    assert [m.kind for m in derive(store, at("2026-11-26T08:00"), DECEMBER)] == ["brief"]
    # And the other way round: a link the Kamer removed later still holds as of before.
    put(store, zaak("z1", "Brief regering", "Brief jeugd", "2026-11-19"), ["jeugd"], seen_at="2026-11-27T08:00:00+01:00")
    assert [m.kind for m in derive(store, at("2026-11-26T08:00"), DECEMBER)] == ["brief"]
    assert derive(store, at("2026-11-28T08:00"), DECEMBER) == []


def test_a_proposed_decision_is_not_a_vote_yet():
    from monitor.models import Besluit, Zaak
    from monitor.wording import vote_at

    held = Besluit("Stemmen - aangehouden", "Aangehouden.", "Besluit", date(2026, 11, 17))
    proposal = Besluit("Stemmen - aangenomen", None, "Voorstel", date(2026, 12, 8))
    item = zaak("z-m", "Motie", "Jeugdzorg", "2026-10-01")
    motie = Zaak.from_item(item)
    motie.besluiten, motie.uitslag = [held, proposal], "aangehouden"
    assert motie.decided_before(date(2026, 12, 8))
    assert vote_at(motie, date(2026, 12, 8)) == "nog niet gestemd (eerder aangehouden, di 17 nov)"
