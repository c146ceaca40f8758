"""The Kamer's files: newest transcript per vergadering, document texts, budgets, bad files isolated."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta

import pytest

from monitor import transcripts
from monitor.sources import tk_resources
from monitor.sources.tk_store import ensure_schema as tk_schema
from monitor.store import Store
from monitor.timeutil import AMS

from conftest import FIXTURES
from test_extract import pdf

NOW = datetime(2026, 12, 17, 22, 0, tzinfo=AMS)
SINCE = NOW - timedelta(days=60)
TRANSCRIPT = (FIXTURES / "vlos" / "cd_jeugdbeleid_ongecorrigeerd.xml").read_bytes()
CASCO = re.sub(rb"<tekst>.*?</tekst>", b"<tekst />", TRANSCRIPT.replace(b'status="Ongecorrigeerd"', b'status="Casco"'), flags=re.S)


class Files:
    """A stand-in for the Kamer's Resources endpoint: serves bytes by id and counts requests."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []

    async def get(self, path: str) -> bytes:
        self.requests.append(path)
        key = path.rsplit("/", 1)[1]
        if key not in self.files:
            raise RuntimeError("HTTP 404")
        return self.files[key]


@pytest.fixture
def conn(tmp_path):
    store = Store(tmp_path / "monitor.db")
    tk_schema(store.db)
    yield store.db.conn
    store.close()


def entity(conn, category: str, guid: str, token: int, fields: dict, links: dict[str, str] | None = None) -> None:
    with conn:
        conn.execute("INSERT OR REPLACE INTO tk_entities (category, id, skiptoken, bijgewerkt, deleted, fields, refs) VALUES (?, ?, ?, ?, 0, ?, ?)",
                     [category, guid, token, "2026-12-17T20:00:00+01:00", json.dumps(fields), json.dumps({k: [v] for k, v in (links or {}).items()})])
        for rel, dst in (links or {}).items():
            conn.execute("INSERT OR IGNORE INTO tk_links VALUES (?, ?, ?, ?, ?)", [category, guid, rel, rel.capitalize(), dst])


def run(conn, files: Files, now: datetime = NOW):
    return asyncio.run(tk_resources.fetch_resources(files.get, conn, now, SINCE))


def meeting(conn, soort: str = "Commissie") -> None:
    entity(conn, "Vergadering", "vg-1", 10, {"soort": soort, "titel": "Jeugdbeleid", "datum": "2026-12-17T00:00:00"})


def test_only_the_newest_transcript_is_downloaded_and_a_quiet_run_downloads_nothing(conn):
    meeting(conn)
    entity(conn, "Verslag", "vs-casco", 11, {"soort": "Voorpublicatie", "status": "Casco"}, {"vergadering": "vg-1"})
    files = Files({"vs-casco": CASCO, "vs-text": TRANSCRIPT})
    first = run(conn, files)
    assert (first.transcripts, files.requests) == (1, ["/SyncFeed/2.0/Resources/vs-casco"])
    assert transcripts.stored_version(conn, "vg-1")["status"] == "Casco"
    # Two newer versions at once: only the newest is fetched, and it replaces the Casco.
    entity(conn, "Verslag", "vs-older", 12, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    entity(conn, "Verslag", "vs-text", 13, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    run(conn, files)
    assert files.requests[1:] == ["/SyncFeed/2.0/Resources/vs-text"]
    assert transcripts.stored_version(conn, "vg-1")["verslag_id"] == "vs-text"
    assert conn.execute("SELECT COUNT(DISTINCT vergadering_id) FROM tk_debate_turns").fetchone()[0] == 1
    quiet = run(conn, files)
    assert (quiet.downloads, len(files.requests)) == (0, 2)


def test_a_broken_transcript_keeps_the_stored_version_and_is_retried_later(conn):
    meeting(conn)
    entity(conn, "Verslag", "vs-1", 11, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    run(conn, Files({"vs-1": TRANSCRIPT}))
    entity(conn, "Verslag", "vs-2", 12, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    cut = TRANSCRIPT[: len(TRANSCRIPT) // 2]  # cut off mid-element
    files = Files({"vs-2": cut})
    result = run(conn, files)
    assert result.transcripts == 0 and any("not well-formed" in w and "kept" in w for w in result.warnings)
    assert transcripts.stored_version(conn, "vg-1")["verslag_id"] == "vs-1"  # nothing stored is lost
    assert run(conn, files).downloads == 0  # not again within the hour…
    files.files["vs-2"] = TRANSCRIPT
    later = run(conn, files, NOW + tk_resources.RETRY_AFTER)
    assert later.transcripts == 1 and transcripts.stored_version(conn, "vg-1")["verslag_id"] == "vs-2"


def test_an_open_plenary_sitting_is_polled_at_most_hourly(conn):
    meeting(conn, "Plenair")
    open_day = TRANSCRIPT.replace(b"<sluiting>2026-12-17T16:02:11</sluiting>", b"<sluiting />")
    entity(conn, "Verslag", "vs-1", 11, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    files = Files({"vs-1": open_day, "vs-2": open_day})
    run(conn, files)
    entity(conn, "Verslag", "vs-2", 12, {"status": "Ongecorrigeerd"}, {"vergadering": "vg-1"})
    assert run(conn, files, NOW + timedelta(minutes=30)).downloads == 0
    assert run(conn, files, NOW + timedelta(minutes=61)).downloads == 1


def test_document_texts_are_extracted_once_per_version_and_bad_files_isolated(conn):
    entity(conn, "Document", "d-1", 20, {"contenttype": "application/pdf", "contentlength": "900"}, {"huidigedocumentversie": "v-1"})
    entity(conn, "Document", "d-2", 21, {"contenttype": "application/pdf", "contentlength": "30"}, {"huidigedocumentversie": "v-2"})
    entity(conn, "Document", "d-3", 22, {"contenttype": "application/pdf", "contentlength": str(50 * 1024 * 1024)}, {"huidigedocumentversie": "v-3"})
    entity(conn, "Document", "d-4", 23, {"contenttype": "image/png", "contentlength": "30"})
    files = Files({"d-1": pdf("Verzamelbrief VWS", "Beschermd wonen gaat naar de regio."), "d-2": b"<Error>no file</Error>"})
    result = run(conn, files)
    assert result.documents == 1 and result.rebuild == ["d-1"]
    assert tk_resources.document_text(conn, "d-1") == "Verzamelbrief VWS\nBeschermd wonen gaat naar de regio."
    assert "/SyncFeed/2.0/Resources/d-3" not in files.requests  # 50 MB: never downloaded
    assert "/SyncFeed/2.0/Resources/d-4" not in files.requests  # an image has no text
    assert any("d-2" in w and "not a PDF" in w for w in result.warnings)
    assert any("d-3" in w and "50 MB" in w for w in result.warnings)
    assert run(conn, files).downloads == 0  # quiet
    # A revised file is extracted again.
    entity(conn, "Document", "d-1", 24, {"contenttype": "application/pdf", "contentlength": "950"}, {"huidigedocumentversie": "v-1b"})
    files.files["d-1"] = pdf("Verzamelbrief VWS (herzien)", "Beschermd wonen gaat naar de regio.")
    assert run(conn, files).rebuild == ["d-1"]
    assert tk_resources.document_text(conn, "d-1").startswith("Verzamelbrief VWS (herzien)")


def test_a_failing_file_is_given_up_after_three_tries_per_version(conn):
    entity(conn, "Document", "d-2", 21, {"contenttype": "application/pdf", "contentlength": "30"}, {"huidigedocumentversie": "v-2"})
    files = Files({"d-2": b"not a pdf at all"})
    moment = NOW
    for _ in range(5):
        run(conn, files, moment)
        moment += tk_resources.RETRY_AFTER
    assert len(files.requests) == tk_resources.MAX_ATTEMPTS


def test_document_text_reads_nothing_from_a_database_without_the_table(tmp_path):
    store = Store(tmp_path / "m.db")
    try:
        assert tk_resources.document_text(store.db.conn, "d-1") is None
    finally:
        store.close()
