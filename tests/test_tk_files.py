"""The Kamer source end to end with its files: a debate's transcripts and a letter's PDF, through the real fetch code.

A commissiedebat gets a Casco transcript the same evening and an Ongecorrigeerd one (a new
Verslag Id) later; a letter whose title names no dossier discusses beschermd wonen in its PDF.
The loopback replay server serves the SyncFeed pages and `/SyncFeed/2.0/Resources/<id>`.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES, write_config
from fixtures.tk.replay import SyncFeedReplay
from monitor.config import HttpConfig, SourceConfig, load_rules
from monitor.people import woordvoerders
from monitor.pipeline import match_pending
from monitor.sources import FetchContext, FetchResult, tk
from monitor.sources.http import HttpClient
from monitor.store import Store, View
from monitor.timeutil import AMS
from test_extract import pdf

NOW = datetime(2026, 12, 17, 22, 0, tzinfo=AMS)
LIVE = "https://gegevensmagazijn.tweedekamer.nl/SyncFeed/2.0"
TK = "http://www.tweedekamer.nl/xsd/tkData/v1-0"
TRANSCRIPT = (FIXTURES / "vlos" / "cd_jeugdbeleid_ongecorrigeerd.xml").read_bytes()
CASCO = re.sub(rb"<tekst>.*?</tekst>", b"<tekst />", TRANSCRIPT.replace(b'status="Ongecorrigeerd"', b'status="Casco"'), flags=re.S)
VERGADERING = "7b123e97-0000-4000-8000-000000000001"
RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp
  wmo:
    title: Wmo en beschermd wonen
    rules:
      - name: kern
        query: '"beschermd wonen" OR Wmo'
"""


def entry(category: str, eid: str, token: int, fields: dict[str, str], refs: dict[str, str] | None = None, attrs: str = "") -> str:
    """One SyncFeed entry in the live feed's shape (Atom entry, tkData entity, rel=next with its skiptoken)."""
    element = category[0].lower() + category[1:]
    children = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "".join(f'<{k} ref="{v}"/>' for k, v in (refs or {}).items())
    return (
        f"  <entry>\n    <title>{eid}</title>\n    <id>{LIVE}/Entiteiten/{eid}</id>\n    <updated>2026-12-17T20:00:00Z</updated>\n"
        f'    <category term="{element}"/>\n    <link rel="next" href="{LIVE}/Feed?category={category}&amp;skiptoken={token}"/>\n'
        f'    <content type="application/xml"><{element} id="{eid}" tk:bijgewerkt="2026-12-17T21:00:00" tk:verwijderd="false"{attrs}'
        f' xmlns="{TK}" xmlns:tk="{TK}">{children}</{element}></content>\n  </entry>'
    )


def feed_of(*entries: str) -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n' + "\n".join(entries) + "\n</feed>\n"


@pytest.fixture
def feed():
    server = SyncFeedReplay(page_size=3).start()
    server.publish("run1")
    server.add_feed("Vergadering", feed_of(entry("Vergadering", VERGADERING, 20_400_001, {
        "soort": "Commissie", "titel": "Jeugdbeleid", "datum": "2026-12-17T00:00:00", "aanvangstijd": "2026-12-17T13:00:00"})))
    yield server
    server.stop()


def fetch(store: Store, feed: SyncFeedReplay, now: datetime) -> FetchResult:
    source = SourceConfig("tk", "tk", feed.url, 900, since_days=60)

    async def go() -> FetchResult:
        async with HttpClient(HttpConfig(retries=0, timeout=10), backoff=0.001) as client:
            return await tk.fetch(source, FetchContext(store, client, now, lambda message: None))

    return asyncio.run(go())


def resource_requests(feed: SyncFeedReplay) -> list[str]:
    return [r.rsplit("/", 1)[1] for r in feed.requests if "/Resources/" in r]


def test_speakers_come_from_the_newest_transcript_once_and_a_quiet_run_downloads_nothing(tmp_path: Path, feed):
    rules = load_rules(write_config(tmp_path, "sources: []\n", RULES) / "rules.yaml")
    store = Store(tmp_path / "monitor.db")
    try:
        # The evening of the debate: the Casco (speakers and times, no words).
        feed.add_feed("Verslag", feed_of(entry("Verslag", "f5000000-0000-4000-8000-000000000001", 20_400_010,
                                                {"soort": "Voorpublicatie", "status": "Casco"}, {"vergadering": VERGADERING},
                                                attrs=' tk:contentType="text/xml"')))
        feed.resources["f5000000-0000-4000-8000-000000000001"] = CASCO
        first = fetch(store, feed, NOW)
        assert first.error is None
        match_pending(store, rules)
        assert "f5000000-0000-4000-8000-000000000001" in resource_requests(feed)

        # The next day: the text (Ongecorrigeerd) under a new Verslag Id replaces it.
        feed.add_feed("Verslag", feed_of(entry("Verslag", "f5000000-0000-4000-8000-000000000002", 20_400_020,
                                                {"soort": "Tussenpublicatie", "status": "Ongecorrigeerd"}, {"vergadering": VERGADERING},
                                                attrs=' tk:contentType="text/xml"')))
        feed.resources["f5000000-0000-4000-8000-000000000002"] = TRANSCRIPT
        fetch(store, feed, NOW + timedelta(hours=12))
        match_pending(store, rules)
        people = {p.naam: p for p in woordvoerders(View(store, NOW + timedelta(hours=13)), rules, "jeugd")}
        # Anna Jansen and Kees de Vries are in the replay's register (run1 Persoon); seconds counted once, from the newest version.
        jansen = next(p for p in people.values() if p.persoon_id == "e0000000-0000-4000-8000-000000000001")
        assert jansen.spreektijd_s == 540 and jansen.reden.startswith("sprak 9 min over dit dossier in CD Jeugdbeleid")
        de_vries = next(p for p in people.values() if p.persoon_id == "e0000000-0000-4000-8000-000000000002")
        assert de_vries.spreektijd_s == 90
        # Bakker chaired: no time on the dossier from the debate.
        assert all(p.spreektijd_s == 0 for p in people.values() if p.persoon_id == "e0000000-0000-4000-8000-000000000003")

        feed.requests.clear()
        fetch(store, feed, NOW + timedelta(hours=13))
        assert resource_requests(feed) == []  # a quiet run downloads nothing
    finally:
        store.close()


def test_a_letter_whose_title_names_no_dossier_lands_on_the_dossier_its_pdf_discusses(tmp_path: Path, feed):
    rules = load_rules(write_config(tmp_path, "sources: []\n", RULES) / "rules.yaml")
    store = Store(tmp_path / "monitor.db")
    letter = "d0c00000-0000-4000-8000-000000000001"
    try:
        feed.add_feed("Document", feed_of(entry("Document", letter, 20_400_030, {
            "soort": "Brief regering", "documentNummer": "2026D50000", "titel": "Verzamelbrief VWS", "onderwerp": "Verzamelbrief VWS",
            "datum": "2026-12-16T00:00:00+01:00"}, attrs=' tk:contentType="application/pdf" tk:contentLength="2000"')))
        feed.resources[letter] = pdf("Verzamelbrief VWS", "Op pagina 2: beschermd wonen wordt vanaf 2027 door de regio bekostigd.")
        result = fetch(store, feed, NOW)
        assert result.error is None
        match_pending(store, rules)
        item = store.get_item(f"tk:document/{letter}")
        assert "beschermd wonen wordt vanaf 2027" in item.text
        found = View(store, NOW + timedelta(minutes=1)).matches([item.id])[item.id]
        assert [m.dossier for m in found] == ["wmo"]  # and nowhere else
        assert "«beschermd wonen»" in found[0].snippet and "2027" in found[0].snippet  # the sentence from the PDF
    finally:
        store.close()


def test_a_pdf_that_is_not_a_pdf_and_a_broken_transcript_are_warnings_and_the_run_goes_on(tmp_path: Path, feed):
    store = Store(tmp_path / "monitor.db")
    letter = "d0c00000-0000-4000-8000-000000000002"
    try:
        feed.add_feed("Document", feed_of(entry("Document", letter, 20_400_030, {
            "soort": "Brief regering", "documentNummer": "2026D50001", "onderwerp": "Verzamelbrief VWS"},
            attrs=' tk:contentType="application/pdf" tk:contentLength="2000"')))
        feed.resources[letter] = b"\x89PNG\r\n\x1a\n" + bytes(200)  # declared a PDF, is an image
        feed.add_feed("Verslag", feed_of(entry("Verslag", "f5000000-0000-4000-8000-000000000003", 20_400_010,
                                                {"status": "Ongecorrigeerd"}, {"vergadering": VERGADERING})))
        feed.resources["f5000000-0000-4000-8000-000000000003"] = TRANSCRIPT[: len(TRANSCRIPT) // 3]  # cut off mid-element
        result = fetch(store, feed, NOW)
        assert result.error is None  # warnings, not a failing source
        assert any(letter in w and "not a PDF" in w for w in result.warnings)
        assert any("f5000000-0000-4000-8000-000000000003" in w and "not well-formed" in w for w in result.warnings), result.warnings
        assert store.get_item(f"tk:document/{letter}") is not None  # the document is stored without its text
        assert store.count_items() > 10
    finally:
        store.close()
