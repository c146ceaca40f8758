"""The Kamer source against a loopback SyncFeed replay server: paging, resume, changes, failures.

The replay server (monitor/demo/replay.py) serves the composed fixture pages three entries at
a time, so every category pages. Stage `run1` is what exists before the first fetch; `run2`
brings a moved, a cancelled, a deleted and a re-created meeting, a new agendapunt, a withdrawn
deelnemer, a new vote, a kabinetsappreciatie and a letter on the agenda of an old meeting.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import date, datetime, timedelta

import pytest

from fixtures.tk.replay import SyncFeedReplay
from monitor.config import HttpConfig, SourceConfig
from monitor.changes import updates
from monitor.kamer import meeting_chains
from monitor.models import Document, Zaak
from monitor.wording import update_phrase
from monitor.sources import FetchContext, FetchResult, tk, tk_store
from monitor.sources.http import HttpClient
from monitor.store import Store
from monitor.timeutil import AMS

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=AMS)
LATER = datetime(2026, 11, 23, 12, 0, tzinfo=AMS)


def g(prefix: str, n: int) -> str:
    return f"{prefix}000000-0000-4000-8000-{n:012d}"


A1, A2, A3, A4, A5, A6, A7, A8, A9 = (g("aa", i) for i in range(1, 10))
Z1, Z2, Z3, Z4, Z5, Z6, Z7 = (g("2a", i) for i in range(1, 8))
C_VWS = g("c0", 1)
P1, P2, P3, P4, P5 = (g("e0", i) for i in range(1, 6))


def fetch(store: Store, feed: SyncFeedReplay, now: datetime = NOW, *, retries: int = 0, since_days: int = 60, progress=None) -> FetchResult:
    """One run of the Kamer source against the replay server."""
    source = SourceConfig("tk", "tk", feed.url, 900, since_days=since_days)

    async def go() -> FetchResult:
        async with HttpClient(HttpConfig(retries=retries, timeout=10), backoff=0.001) as client:
            return await tk.fetch(source, FetchContext(store, client, now, progress or (lambda message: None)))

    return asyncio.run(go())


@pytest.fixture
def feed():
    server = SyncFeedReplay(page_size=3).start()
    server.publish("run1")
    yield server
    server.stop()


@pytest.fixture
def store():
    s = Store(":memory:")
    yield s
    s.close()


def item(store: Store, kind: str, guid: str):
    return store.get_item(f"tk:{kind}/{guid}")


def cursors(store: Store) -> dict[str, int | None]:
    return {c: r["skiptoken"] for c, r in tk_store.get_cursors(store.db, "tk").items()}


def tokens_of(feed: SyncFeedReplay, category: str) -> list[int]:
    return [t for t, _ in feed.entries.get(category, [])]


# ---------------------------------------------------------------------------- first run, paging, resume


def test_first_run_pages_every_category_and_stores_items(store, feed):
    result = fetch(store, feed)
    assert result.error is None
    # 16 categories; each pages 3 entries at a time and stops on the first empty page.
    for category in tk.CATEGORIES:
        expected = -(-len(feed.entries.get(category, [])) // 3) + 1
        assert len(feed.feed_requests(category)) == expected + (1 if category == "Document" else 0), category
    # 57: includes one start-up probe of Document and a request for each of the six documents' files;
    # Vergadering, Toezegging and Verslag are empty in this replay.
    assert result.requests == len(feed.requests) == 57  # and the six documents' files
    assert cursors(store) == {c: (tokens_of(feed, c) or [None])[-1] for c in tk.CATEGORIES}
    kinds = [i.kind for i in store.iter_items()]
    assert (kinds.count("activiteit"), kinds.count("zaak"), kinds.count("document")) == (7, 5, 5)
    assert result.new == 17 and result.changed == 0


def test_activity_item_has_the_contract_shape(store, feed):
    fetch(store, feed)
    a1 = item(store, "activiteit", A1)
    assert a1.title == "Jeugdbeleid"  # trailing space collapsed
    assert a1.url == "https://www.tweedekamer.nl/debat_en_vergadering/commissievergaderingen/details?id=2026A05001"
    assert a1.event_at == "2026-12-10T10:00:00+01:00"
    assert a1.published_at == "2026-10-20T11:12:44+02:00"  # first known, not the meeting date
    data = a1.data
    assert set(data) == {
        "id", "nummer", "soort", "onderwerp", "status", "datum", "aanvangstijd", "eindtijd", "locatie", "commissie",
        "agenda", "agendapunten", "deelnemers", "vervangen_vanuit", "voortgezet_vanuit", "noot",
    }
    assert data["noot"] is None  # xsi:nil
    assert (data["soort"], data["status"], data["datum"], data["locatie"]) == ("Commissiedebat", "Gepland", "2026-12-10", "Thorbeckezaal")
    assert data["eindtijd"] == "2026-12-10T13:00:00+01:00"
    assert data["commissie"] == {"id": C_VWS, "afkorting": "VWS", "naam": "vaste commissie voor Volksgezondheid, Welzijn en Sport"}
    assert data["agenda"] == ["Voortgangsbrief Hervormingsagenda Jeugd", "Jeugdbescherming: stand van zaken"]
    first = data["agendapunten"][0]
    assert first["volgorde"] == 1 and first["documenten"] == []
    assert first["zaken"] == [{"id": Z1, "nummer": "2026Z18001", "soort": "Brief regering", "titel": "Jeugdzorg",
                               "onderwerp": "Voortgangsbrief Hervormingsagenda Jeugd"}]
    assert data["deelnemers"][:2] == [
        {"persoon_id": P1, "naam": "A.B. Jansen", "fractie": "GL-PvdA", "rol": "Deelnemer"},
        {"persoon_id": P2, "naam": "K. de Vries", "fractie": "VVD", "rol": "Deelnemer"},
    ]
    # The actor whose id was only in the entry title is there too.
    assert data["deelnemers"][2]["rol"] == "Volgcommissie"
    # A commissiedebat matches a dossier through the letters on its agenda.
    assert "Jeugdzorg" in a1.text and "Voortgangsbrief Hervormingsagenda Jeugd" in a1.text
    # Undated activities have no event_at but are stored; documents on an agendapunt show up.
    assert item(store, "activiteit", A3).event_at is None and item(store, "activiteit", A3).data["datum"] is None
    a2 = item(store, "activiteit", A2)
    assert a2.data["agendapunten"][0]["documenten"][0]["documentnummer"] == "2026D42000"
    assert a2.data["agendapunten"][0]["documenten"][0]["kamerstukdossier"]["nummer"] == "29538"


def test_zaak_items_carry_indieners_appreciatie_and_votes(store, feed):
    fetch(store, feed)
    z2 = item(store, "zaak", Z2)
    assert z2.title == "Motie van het lid Jansen over het wegwerken van de wachtlijsten in de jeugdzorg"
    assert z2.url == "https://www.tweedekamer.nl/kamerstukken/moties/detail?id=2026Z19010&did=2026D41010"
    assert z2.published_at == "2026-10-01T00:00:00+02:00"
    d = z2.data
    assert (d["soort"], d["nummer"], d["kabinetsappreciatie"], d["afgedaan"], d["uitslag"]) == (
        "Motie", "2026Z19010", "Oordeel Kamer", True, "aangenomen")
    assert d["kamerstukdossier"] == {"nummer": "31839", "toevoeging": None, "titel": "Jeugdzorg"}
    assert d["commissie"]["afkorting"] == "VWS"
    assert d["indieners"] == [
        {"persoon_id": P1, "naam": "A.B. Jansen", "fractie": "GL-PvdA", "rol": "Indiener"},
        {"persoon_id": P3, "naam": "M. Bakker", "fractie": "SP", "rol": "Medeindiener"},
    ]
    assert d["agendapunt_ids"] == [g("ab", 5)] and d["activiteit_ids"] == [A4]
    assert [doc["documentnummer"] for doc in d["documenten"]] == ["2026D41010"]
    # Each document says when it came and where to read it (an answer to Kamervragen is linked so).
    assert (d["documenten"][0]["datum"], d["documenten"][0]["url"]) == ("2026-10-01", z2.url)
    assert d["gericht_aan"] == []
    besluit = d["besluiten"][0]
    assert (besluit["soort"], besluit["tekst"], besluit["stemmingssoort"], besluit["datum"]) == (
        "Stemmen - aangenomen", "Aangenomen.", "Met handopsteken", "2026-11-17")
    # The duplicate GL-PvdA vote row counts once.
    votes = {(s["fractie"], s["soort"]): s["zetels"] for s in besluit["stemmingen"]}
    assert votes == {("GL-PvdA", "Voor"): 25, ("SP", "Voor"): 5, ("CDA", "Voor"): 20, ("VVD", "Tegen"): 24}
    assert item(store, "zaak", Z3).data["uitslag"] == "verworpen"
    assert item(store, "zaak", Z4).data["uitslag"] == "aangehouden"
    assert item(store, "zaak", Z5).data["uitslag"] is None
    assert item(store, "zaak", Z5).url == "https://www.tweedekamer.nl/kamerstukken/kamervragen/detail?id=2026Z20100"


def test_digest_and_report_read_the_zaak_as_written(store, feed):
    from monitor import wording

    fetch(store, feed)
    z2 = Zaak.from_item(item(store, "zaak", Z2))
    assert wording.indieners(z2) == "ingediend door A.B. Jansen (GL-PvdA), mede-indiener M. Bakker (SP)"
    assert wording.appreciatie(z2) == "kabinetsappreciatie: Oordeel Kamer"
    assert wording.vote_result(z2) == "aangenomen — voor 50: GL-PvdA (25), CDA (20), SP (5); tegen 24: VVD (24)"
    d1 = Document.from_item(item(store, "document", g("d0", 1)))
    assert wording.document_meta(d1) == "Brief regering · Kamerstuk 31839 · 2026D40001"


def test_documents_become_items_when_pa_staff_care(store, feed):
    fetch(store, feed)
    assert item(store, "document", g("d0", 5)) is None  # a Bijlage, on no agenda
    d1 = item(store, "document", g("d0", 1))
    assert d1.title == "Voortgangsbrief Hervormingsagenda Jeugd"
    assert d1.published_at == "2026-10-05T00:00:00+02:00"
    assert d1.url == "https://www.tweedekamer.nl/kamerstukken/brieven_regering/detail?id=2026Z18001&did=2026D40001"
    assert d1.data == {
        "id": g("d0", 1), "documentnummer": "2026D40001", "soort": "Brief regering", "titel": "Jeugdzorg",
        "onderwerp": "Voortgangsbrief Hervormingsagenda Jeugd", "datum": "2026-10-05",
        "kamerstukdossier": {"nummer": "31839", "toevoeging": None, "titel": "Jeugdzorg"}, "volgnummer": 1099, "zaak_ids": [Z1],
        "versie_id": None,  # this fixture entry has no HuidigeDocumentVersie
    }
    d4 = item(store, "document", g("d0", 4))  # not a PA soort, but on the procedurevergadering's agenda
    assert d4.url == f"{feed.url}/SyncFeed/2.0/Resources/{g('d0', 4)}"


def test_plenary_meetings_link_to_their_plenary_page(store, feed):
    fetch(store, feed)
    plenary = "https://www.tweedekamer.nl/debat_en_vergadering/plenaire_vergaderingen/details/activiteit?id="
    assert item(store, "activiteit", A3).url == plenary + "2026A05003"  # a tweeminutendebat
    assert item(store, "activiteit", A4).url == plenary + "2026A04999"  # the Stemmingen
    assert item(store, "activiteit", A5).url.startswith("https://www.tweedekamer.nl/debat_en_vergadering/commissievergaderingen/")


def test_the_noot_is_plain_text_and_a_new_document_version_is_a_revision(store, feed):
    fetch(store, feed)
    for stage in ("run2", "run3"):
        feed.publish(stage)
    fetch(store, feed, NOW + timedelta(days=14))
    a1 = item(store, "activiteit", A1)
    assert a1.data["status"] == "Geannuleerd"
    # '<br />' in the Kamer's note is a line break to a reader, not markup to show.
    assert a1.data["noot"] == "Dit commissiedebat is geannuleerd. De commissie besluit later over een nieuwe datum."
    letter = item(store, "document", g("d0", 8))
    assert letter.data["versie_id"] == g("dd", 1)
    feed.publish("run4")
    fetch(store, feed, NOW + timedelta(days=16))
    assert item(store, "document", g("d0", 8)).data["versie_id"] == g("dd", 2)
    diffs = [json.loads(r["diff"]) for r in store.db.query("SELECT diff FROM changes WHERE item_id = ?", [f"tk:document/{g('d0', 8)}"])]
    assert [d["versie_id"] for d in diffs if "versie_id" in d] == [[g("dd", 1), g("dd", 2)]]


def test_quiet_run_costs_one_request_per_category_and_writes_nothing(store, feed):
    fetch(store, feed)
    changes_before = store.db["changes"].count
    feed.requests.clear()
    result = fetch(store, feed, LATER)
    assert result.requests == len(feed.requests) == len(tk.CATEGORIES) == 19
    assert sorted(re.search(r"category=(\w+)", r).group(1) for r in feed.requests) == sorted(tk.CATEGORIES)
    assert (result.new, result.changed, result.deleted, result.error) == (0, 0, 0, None)
    assert store.db["changes"].count == changes_before


def test_resume_fetches_only_what_is_new(store, feed):
    fetch(store, feed)
    before = cursors(store)
    feed.publish("run2")
    feed.requests.clear()
    result = fetch(store, feed, LATER)
    assert result.error is None
    # Every category resumes at its own cursor; none starts from the beginning again.
    firsts = {}
    for path in feed.feed_requests():
        category = re.search(r"category=(\w+)", path).group(1)
        token = re.search(r"skiptoken=(\d+)", path)
        firsts.setdefault(category, int(token.group(1)) if token else None)  # a category still empty starts over
    assert firsts == before
    # 19 resumes + one more page for each of the 5 categories with news (Activiteit twice:
    # 5 new entries) + 2 look-ups of entities older than the start date.
    assert result.requests == 19 + 6 + 2
    assert cursors(store)["Activiteit"] == tokens_of(feed, "Activiteit")[-1]


# ---------------------------------------------------------------------------- changes between runs


def test_moved_meeting_records_old_and_new_date_and_the_new_agendapunt(store, feed):
    fetch(store, feed)
    feed.publish("run2")
    fetch(store, feed, LATER)
    a1 = item(store, "activiteit", A1)
    assert (a1.data["datum"], a1.data["aanvangstijd"], a1.event_at) == ("2026-12-17", "2026-12-17T13:00:00+01:00", "2026-12-17T13:00:00+01:00")
    changes = {c.field: c for c in store.changes_for(a1.id)}
    assert (changes["datum"].old, changes["datum"].new) == ("2026-12-10", "2026-12-17")
    assert (changes["aanvangstijd"].old, changes["aanvangstijd"].new) == ("2026-12-10T10:00:00+01:00", "2026-12-17T13:00:00+01:00")
    lines = [update_phrase(u) for u in updates("activiteit", store.changes_for(a1.id))]
    assert "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00" in lines
    assert "nieuw agendapunt: Brief over wachttijden in de jeugdzorg" in lines
    # The withdrawn deelnemer (a deleted ActiviteitActor) is gone from the rebuilt activity.
    assert [p["naam"] for p in a1.data["deelnemers"]] == ["A.B. Jansen", "vaste commissie voor Sociale Zaken en Werkgelegenheid"]
    assert "Brief over wachttijden in de jeugdzorg" in a1.text


def test_cancelled_deleted_and_recreated_meetings(store, feed):
    fetch(store, feed)
    feed.publish("run2")
    result = fetch(store, feed, LATER)
    cancelled = item(store, "activiteit", A2)
    assert cancelled.data["status"] == "Geannuleerd"
    assert [update_phrase(u) for u in updates("activiteit", store.changes_for(cancelled.id))] == ["geannuleerd"]
    # The tombstone (verwijderd="True") marks the item deleted; the deletion is in the log.
    row = store.item_row(f"tk:activiteit/{A6}")
    assert row["deleted_at"] == "2026-11-23T12:00:00+01:00" and result.deleted == 1
    assert [update_phrase(u) for u in updates("activiteit", store.changes_for(f"tk:activiteit/{A6}"))] == ["door de Kamer verwijderd"]
    tomb = list(store.db.query("SELECT deleted, fields FROM tk_entities WHERE id = ?", [A6]))[0]
    assert tomb["deleted"] == 1 and tomb["fields"] == "{}"
    # The re-created debate points back to the old one; moments see one meeting.
    recreated = item(store, "activiteit", A7)
    assert recreated.data["vervangen_vanuit"] == A8 and recreated.data["datum"] == "2027-01-14"
    assert item(store, "activiteit", A8).data["status"] == "Verplaatst"
    chains = meeting_chains(store.view(LATER), [item(store, "activiteit", A8)])
    chain = next(c for c in chains if c.root == A8)
    assert {m.data["id"] for m in chain.members} == {A7, A8} and chain.current.data["id"] == A7


def test_a_reappearing_entity_revives_its_item(store, feed):
    fetch(store, feed)
    feed.publish("run2")
    fetch(store, feed, LATER)
    assert store.item_row(f"tk:activiteit/{A6}")["deleted_at"] is not None
    chunk = next(c for _, c in feed.entries["Activiteit"] if A6 in c and 'verwijderd="false"' in c)
    feed.add_feed("Activiteit", chunk.replace("skiptoken=", "skiptoken=3").replace("2026-10-26T10:00:00Z", "2026-11-24T10:00:00Z"))
    fetch(store, feed, LATER + timedelta(days=1))
    assert store.item_row(f"tk:activiteit/{A6}")["deleted_at"] is None
    assert [update_phrase(u) for u in updates("activiteit", store.changes_for(f"tk:activiteit/{A6}"))][-1] == "weer gepubliceerd door de Kamer"


def test_new_vote_and_appreciatie_rebuild_their_zaak(store, feed):
    fetch(store, feed)
    feed.publish("run2")
    fetch(store, feed, LATER)
    z3 = item(store, "zaak", Z3)
    assert ("D66", "Voor", 9) in {(s["fractie"], s["soort"], s["zetels"]) for s in z3.data["besluiten"][0]["stemmingen"]}
    z4 = item(store, "zaak", Z4)
    assert z4.data["kabinetsappreciatie"] == "Ontraden"
    assert [update_phrase(u) for u in updates("zaak", store.changes_for(z4.id))] == ["kabinetsappreciatie gewijzigd van ‘Appreciatie volgt schriftelijk’ in ‘Ontraden’"]


def test_unknown_values_pass_through_and_are_reported_once(store, feed, caplog):
    first = fetch(store, feed)
    a5 = item(store, "activiteit", A5)
    assert a5.data["soort"] == "Parlementaire ronde (pilot)" and a5.title == "Ronde over de Jeugdwet"
    assert item(store, "zaak", Z4).data["kabinetsappreciatie"] == "Appreciatie volgt schriftelijk"
    assert any("Activiteit.Soort: 'Parlementaire ronde (pilot)'" in w for w in first.warnings)
    assert any("Zaak.Kabinetsappreciatie" in w for w in first.warnings)
    # A later rebuild of the same item does not report it again.
    tk_store.mark_dirty(store.db, "tk", [("Activiteit", A5)])
    second = fetch(store, feed, LATER)
    assert not any("new value" in w for w in second.warnings)


def test_rebuilds_are_deterministic(store, feed):
    fetch(store, feed)
    changes = store.db["changes"].count
    everything = [(r["category"], r["id"]) for r in store.db.query("SELECT category, id FROM tk_entities")]
    tk_store.mark_dirty(store.db, "tk", everything)
    result = fetch(store, feed, LATER)
    assert (result.new, result.changed) == (0, 0) and result.unchanged == 17
    assert store.db["changes"].count == changes


# ---------------------------------------------------------------------------- failures


def test_http_500_on_one_category_leaves_its_cursor_and_the_rest_goes_on(store, feed):
    feed.fail("Zaak", 500, 500)
    result = fetch(store, feed, retries=1)
    assert result.error is not None and result.error.startswith("Zaak: HTTP 500")
    assert "after 2 attempts" in result.error
    assert cursors(store)["Zaak"] is None  # started, nothing stored
    assert all(cursors(store)[c] == (tokens_of(feed, c) or [None])[-1] for c in tk.CATEGORIES if c != "Zaak")
    assert item(store, "activiteit", A1) is not None and item(store, "zaak", Z2) is None
    assert result.requests == len(feed.requests)
    # The next run catches up where it stopped.
    again = fetch(store, feed, LATER)
    assert again.error is None and item(store, "zaak", Z2).data["uitslag"] == "aangenomen"
    assert item(store, "activiteit", A1).data["agendapunten"][0]["zaken"][0]["id"] == Z1  # the activity was rebuilt


def test_failure_mid_category_keeps_the_pages_before_it(store, feed):
    feed.fail("Activiteit", None, 503)
    result = fetch(store, feed)
    assert result.error.startswith("Activiteit: HTTP 503") and "skiptoken" in result.error
    assert cursors(store)["Activiteit"] == tokens_of(feed, "Activiteit")[2]  # the first page of three is kept
    again = fetch(store, feed, LATER)
    assert again.error is None and cursors(store)["Activiteit"] == tokens_of(feed, "Activiteit")[-1]


@pytest.mark.parametrize("mode, message", [("malformed", "malformed XML"), ("error", "the server answered with an <Error>: An error has occurred.")])
def test_bad_bodies_are_retried_once_then_reported(store, feed, mode, message):
    feed.fail("Besluit", mode, mode)
    result = fetch(store, feed)
    assert result.error.startswith(f"Besluit: {message}")
    assert cursors(store)["Besluit"] is None
    assert len(feed.feed_requests("Besluit")) == 2
    assert result.new > 0  # everything else was stored


def test_a_timeout_is_a_failure_of_that_category_only(store, feed):
    feed.fail("Kamerstukdossier", 1.0)
    source = SourceConfig("tk", "tk", feed.url, 900)

    async def go() -> FetchResult:
        async with HttpClient(HttpConfig(retries=0, timeout=0.3), backoff=0.001) as client:
            return await tk.fetch(source, FetchContext(store, client, NOW))

    result = asyncio.run(go())
    assert result.error.startswith("Kamerstukdossier: timed out after 0.3s")
    assert cursors(store)["Kamerstukdossier"] is None
    assert cursors(store)["Zaak"] == tokens_of(feed, "Zaak")[-1]
    # Without its dossier the zaak is stored all the same; the next run fills it in.
    assert item(store, "zaak", Z2).data["kamerstukdossier"] is None
    fetch(store, feed, LATER)
    assert item(store, "zaak", Z2).data["kamerstukdossier"]["nummer"] == "31839"


def test_an_unreachable_host_stops_the_run_at_once_and_loses_nothing(store, feed):
    fetch(store, feed)  # a first run that worked
    before = cursors(store)
    feed.publish("run2")
    feed.stop()  # the Kamer is down (or DNS is): every connection is refused
    result = fetch(store, feed, LATER)
    assert result.error.startswith("cannot reach the Kamer: connection failed")
    assert "the next run continues where this one stopped" in result.error
    assert result.requests <= tk.CATEGORY_CONCURRENCY  # only the requests already in flight: no knocking 16 times
    assert cursors(store) == before
    assert list(store.db.query("SELECT * FROM tk_lookup")) == []  # an outage costs no look-up attempts
    assert item(store, "activiteit", A1) is not None  # what was stored stays


def test_a_single_bad_page_is_survived_by_the_retry(store, feed):
    feed.fail("Stemming", "malformed")
    result = fetch(store, feed)
    assert result.error is None and cursors(store)["Stemming"] == tokens_of(feed, "Stemming")[-1]


def test_crash_while_storing_a_page_moves_no_cursor(store, feed, monkeypatch):
    original = tk_store._apply

    def exploding(conn, source, entry):
        if entry.id == A2:
            raise RuntimeError("disk full")
        return original(conn, source, entry)

    monkeypatch.setattr(tk_store, "_apply", exploding)
    with pytest.raises(RuntimeError, match="disk full"):
        fetch(store, feed)
    monkeypatch.setattr(tk_store, "_apply", original)
    # The page with A2 (the first Activiteit page) was rolled back as a whole.
    assert cursors(store)["Activiteit"] is None
    assert not list(store.db.query("SELECT id FROM tk_entities WHERE id IN (?, ?)", [A1, A2]))
    result = fetch(store, feed, LATER)
    assert result.error is None and item(store, "activiteit", A1) is not None


def test_crash_before_the_rebuild_loses_no_item(store, feed, monkeypatch):
    async def killed(self) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(tk._Run, "_rebuild", killed)
    with pytest.raises(RuntimeError):
        fetch(store, feed)
    assert store.count_items() == 0 and all(cursors(store)[c] for c in tk.CATEGORIES if tokens_of(feed, c))
    monkeypatch.undo()
    feed.requests.clear()
    result = fetch(store, feed, LATER)  # nothing new in the feed, but the queue survived
    assert result.new == 17 and len(feed.requests) == 19


def test_apply_page_is_one_transaction(store, feed):
    tk_store.ensure_schema(store.db)
    tk_store.start_cursor(store.db, "tk", "Zaak", None, "full", "x")
    from monitor.sources.tk_parse import parse_page

    page = parse_page((feed.page("Zaak", None)), "Zaak")
    with pytest.raises(RuntimeError):
        tk_store.apply_page(store.db, "tk", "Zaak", page.entries, page.next_skiptoken, None, fail_after=2)
    assert store.db["tk_entities"].count == 0 and cursors(store)["Zaak"] is None
    assert store.db["tk_dirty"].count == 0


# ---------------------------------------------------------------------------- missing entities


def test_entities_older_than_the_start_are_looked_up(store, feed):
    fetch(store, feed)
    feed.publish("run2")
    fetch(store, feed, LATER)
    assert any(r.endswith(f"/Entiteiten/{g('ab', 8)}") for r in feed.requests)
    old_meeting = item(store, "activiteit", A9)
    assert old_meeting is not None and old_meeting.data["datum"] == "2026-12-09"
    assert old_meeting.data["agendapunten"][0]["zaken"][0]["id"] == Z7
    assert "reële tarieven" in old_meeting.text
    assert item(store, "zaak", Z7).data["activiteit_ids"] == [A9]
    feed.requests.clear()
    assert fetch(store, feed, LATER + timedelta(minutes=15)).requests == 19  # nothing left to look up


def test_a_failing_look_up_is_retried_a_day_later_not_every_run(store, feed):
    orphan = g("ab", 99)
    missing = g("aa", 99)
    chunk = next(c for _, c in feed.entries["Agendapunt"] if g("ab", 1) in c)
    feed.add_feed("Agendapunt", chunk.replace(g("ab", 1), orphan).replace(A1, missing).replace("skiptoken=", "skiptoken=2"))
    result = fetch(store, feed)
    assert result.error is None
    assert sum(r.endswith(f"/Entiteiten/{missing}") for r in feed.requests) == 1
    row = list(store.db.query("SELECT * FROM tk_lookup WHERE id = ?", [missing]))[0]
    assert row["attempts"] == 1 and "HTTP 500" in row["last_error"]
    feed.requests.clear()
    fetch(store, feed, NOW + timedelta(hours=1))
    assert not any("Entiteiten" in r for r in feed.requests)
    fetch(store, feed, NOW + timedelta(days=1, hours=1))
    assert sum("Entiteiten" in r for r in feed.requests) == 1


# ---------------------------------------------------------------------------- people


def test_commissie_leden_and_personen(store, feed):
    fresh = Store(":memory:")  # every table exists from the start: nothing fetched is simply empty
    assert tk.commissie_leden(fresh, C_VWS, date(2026, 11, 23)) == []
    assert tk.personen(fresh) == {}
    fetch(store, feed)
    leden = tk.commissie_leden(store, C_VWS, date(2026, 11, 23))
    assert leden == [
        {"persoon_id": P1, "naam": "A.B. Jansen", "fractie": "GL-PvdA", "functie": "Lid"},
        {"persoon_id": P2, "naam": "K. de Vries", "fractie": "VVD", "functie": "Voorzitter"},
    ]
    # Earlier, Bakker was still a member and De Vries still sat for the CDA.
    earlier = {m["naam"]: m["fractie"] for m in tk.commissie_leden(store, C_VWS, date(2025, 6, 1))}
    assert earlier == {"A.B. Jansen": "GL-PvdA", "K. de Vries": "CDA", "M. Bakker": "SP"}
    people = tk.personen(store)
    assert set(people) == {P1, P2, P3, P4}  # the deleted placeholder is not a person
    assert people[P2]["fractie"] == "VVD" and people[P4]["naam"] == "R. El Idrissi"
    from monitor.kamer import commissie_leden

    assert [m["naam"] for m in commissie_leden(store.view(LATER), C_VWS, date(2026, 11, 23))] == ["A.B. Jansen", "K. de Vries"]


# ---------------------------------------------------------------------------- progress


def test_progress_is_reported(store):
    with SyncFeedReplay(page_size=1).start() as feed:
        feed.publish("run1")
        messages: list[str] = []
        fetch(store, feed, progress=messages.append)
    assert any(re.match(r"Stemming: \d+ entries, page 5 …", m) for m in messages)
    assert any(m.startswith("first run: start found in") for m in messages)


def test_per_run_page_limit_continues_next_run(store, feed, monkeypatch):
    monkeypatch.setattr(tk, "MAX_PAGES_PER_CATEGORY", 2)
    first = fetch(store, feed)
    assert any(w.startswith("Stemming: per-run limit reached") for w in first.warnings)
    assert cursors(store)["Stemming"] == tokens_of(feed, "Stemming")[5]
    second = fetch(store, feed, LATER)
    assert cursors(store)["Stemming"] == tokens_of(feed, "Stemming")[-1]
    assert not any("Stemming" in w for w in second.warnings)


# ---------------------------------------------------------------------------- end to end


def test_monitor_run_turns_the_kamer_agenda_into_moments(tmp_path, feed):
    pytest.importorskip("monitor.rules.engine")
    import json

    from conftest import write_config
    from monitor.cli import main

    config_dir = write_config(tmp_path / "cfg", f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\n    label: Tweede Kamer\nhttp:\n  retries: 0\n")

    def report(now: str, *window: str) -> dict:
        out = tmp_path / "out.json"
        assert main(["run", "--config", str(config_dir), "--now", now, *window, "--format", "json", "--output", str(out), "-q"]) == 0
        return json.loads(out.read_text(encoding="utf-8"))

    first = report("2026-11-23T08:00")
    assert first["version"] == 2
    assert {s["id"]: s["ok"] for s in first["sources"]} == {"tk": True}
    brief = next(m for m in first["moments"] if m["kind"] == "brief" and m["meeting"] == f"tk:activiteit/{A1}")
    assert brief["dossiers"] == ["jeugd"] and brief["deadline"] == "2026-12-03" and brief["status"] == "gepland"
    assert brief["label"] == "Woordvoerders briefen" and brief["when"] == "uiterlijk do 3 dec"
    [action] = [a for a in first["actions"] if a["meeting"]["item_id"] == f"tk:activiteit/{A1}"]
    assert action["meeting"]["commissie"]["afkorting"] == "VWS" and action["meeting"]["where"] == "commissie VWS"
    assert action["meeting"]["url"].endswith("details?id=2026A05001")
    # The woordvoerders come from the indieners, deelnemers and the commissie's members.
    assert "A.B. Jansen" in {w["naam"] for w in brief["woordvoerders"]}
    # The agenda section: meetings in the window (two weeks) that match a dossier.
    agenda = {m["onderwerp"] for m in first["agenda"]}
    assert {"Wmo en beschermd wonen", "Wmo", "Procedurevergadering VWS"} <= agenda
    assert "Jeugdbeleid" not in agenda  # 10 December: after the window, but its briefing deadline is in it

    feed.publish("run2")
    second = report("2026-11-23T12:00", "--from", "2026-11-23", "--to", "2026-12-20")
    moved = next(m for m in second["moments"] if m["kind"] == "brief" and m["meeting"] == f"tk:activiteit/{A1}")
    assert moved["id"] == brief["id"] and moved["deadline"] == "2026-12-10" and moved["status"] == "verplaatst"
    [action] = [a for a in second["actions"] if a["meeting"]["item_id"] == f"tk:activiteit/{A1}"]
    assert [u["text"] for u in action["meeting"]["updates"]] == [
        "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00",
        "nieuw agendapunt: Brief over wachttijden in de jeugdzorg",
    ]
    cancelled = next(m for m in second["moments"] if m["meeting"] == f"tk:activiteit/{A2}")
    assert (cancelled["kind"], cancelled["status"], cancelled["dossiers"]) == ("agendering", "geannuleerd", ["wmo"])


def test_the_progress_line_says_what_a_run_cost(tmp_path, feed, capsys):
    from conftest import write_config
    from monitor.cli import main

    config_dir = write_config(tmp_path / "cfg", f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\nhttp:\n  retries: 0\n")
    assert main(["run", "--config", str(config_dir), "--now", "2026-11-23T08:00", "--output", str(tmp_path / "r.txt")]) == 0
    first = len(feed.requests)
    feed.requests.clear()
    assert main(["run", "--config", str(config_dir), "--now", "2026-11-23T08:15", "--output", str(tmp_path / "r.txt")]) == 0
    err = capsys.readouterr().err
    assert f"tk: 17 nieuw, 0 gewijzigd in {first} verzoeken" in err
    assert "tk: 0 nieuw, 0 gewijzigd in 19 verzoeken" in err  # the quiet run: one request per category


def test_html_report_shows_moments_in_dutch_like_the_text_report(tmp_path, feed):
    from conftest import write_config
    from monitor.cli import main

    config_dir = write_config(tmp_path / "cfg", f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\nhttp:\n  retries: 0\n")
    out = tmp_path / "r.html"
    assert main(["run", "--config", str(config_dir), "--now", "2026-11-23T08:00", "--output", str(out), "-q"]) == 0
    feed.publish("run2")
    assert main(["run", "--config", str(config_dir), "--now", "2026-11-25T08:00", "--format", "html", "--output", str(out), "-q"]) == 0
    html = out.read_text(encoding="utf-8")
    actions = html.split("<h2>Actie nodig</h2>", 1)[1].split("<h2>Agenda</h2>", 1)[0]
    assert "Woordvoerders briefen — uiterlijk do 7 jan" in actions
    assert "verplaatst van do 3 dec 14:00 naar do 14 jan 14:00" in actions
    assert "T14:00:00+01:00" not in html  # no raw timestamps anywhere
    cancelled = actions.split("<h3>Vervallen of voorbij</h3>", 1)[1]
    assert "Procedurevergadering VWS" in cancelled and "agendering vragen: geannuleerd" in cancelled
