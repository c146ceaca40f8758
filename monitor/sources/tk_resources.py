"""The Kamer's files behind its entities: transcripts (Verslag) and the text of documents.

After the SyncFeed pages are stored, two kinds of file are fetched from
`/SyncFeed/2.0/Resources/{Id}`, within a per-run budget so a catch-up never makes a run slow:

- **Transcripts.** Each version of a transcript is a new Verslag for the same Vergadering; only
  the newest per Vergadering is downloaded (a Casco the same evening, Ongecorrigeerd versions with
  text later). A plenary sitting that is still open is republished every 30–90 minutes while it
  grows past 1 MB: it is polled at most hourly. Transcripts are read by `sources.vlos` and stored
  by `monitor.transcripts`; the match stage derives who spoke on which dossier.
- **Documents.** The file of each new or revised Document (PDF, Word) is downloaded and its text
  extracted (`sources.extract`); the document's item is then rebuilt with that text, so the rules
  see page 3 of a "Verzamelbrief" and the snippet comes from the letter.

A file that cannot be read (a transcript cut off mid-element, a PDF that is not one, a 50 MB
bijlage) is recorded with its error and retried later (at most three times per version), with a
warning; it never stops the run and never removes what was stored before. A quiet run downloads
nothing: what is stored is compared with what the feed lists before anything is requested.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import transcripts
from ..timeutil import iso, to_local
from .extract import MAX_BYTES as MAX_DOCUMENT_BYTES
from .extract import ExtractError, extract_text
from .vlos import TranscriptError, parse_transcript

RESOURCE_PATH = "/SyncFeed/2.0/Resources/{id}"
MAX_TRANSCRIPTS_PER_RUN = 20
MAX_DOCUMENTS_PER_RUN = 40
MAX_BYTES_PER_RUN = 150 * 1024 * 1024
PLENARY_POLL = timedelta(hours=1)
RETRY_AFTER = timedelta(hours=6)
MAX_ATTEMPTS = 3
TEXT_TYPES = ("pdf", "word", "officedocument", "msword", "html")

SCHEMA = """
CREATE TABLE IF NOT EXISTS tk_resource_state (
    kind TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_attempt TEXT, last_error TEXT, done_at TEXT,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS tk_document_texts (
    document_id TEXT PRIMARY KEY, version TEXT NOT NULL, text TEXT NOT NULL, extracted_at TEXT NOT NULL
);
"""

Getter = Callable[[str], Awaitable[bytes]]


class HostGone(Exception):
    """Raised by a getter when the Kamer cannot be reached at all: stop, the caller reports it once."""


@dataclass
class ResourceResult:
    """What one run fetched: downloads and bytes, stored transcripts and texts, and warnings."""

    downloads: int = 0
    bytes: int = 0
    transcripts: int = 0
    documents: int = 0
    rebuild: list[str] = field(default_factory=list)  # Document ids whose item must be rebuilt with their text
    warnings: list[str] = field(default_factory=list)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the resource bookkeeping and transcript tables if they do not exist yet."""
    conn.executescript(SCHEMA)
    transcripts.ensure_schema(conn)


def document_text(conn: sqlite3.Connection, document_id: str) -> str | None:
    """The extracted text of a document's file, or None (not fetched, unreadable, or from before this feature)."""
    try:
        row = conn.execute("SELECT text FROM tk_document_texts WHERE document_id = ?", [document_id]).fetchone()
    except sqlite3.OperationalError:
        return None  # the table does not exist yet: nothing was ever extracted
    return row[0] if row else None


@dataclass(frozen=True)
class Due:
    """A file to fetch: which entity, which version of it, and what the feed says about it."""

    kind: str  # "verslag" or "document"
    id: str  # the Verslag or Document id (the Resources id)
    key: str  # the Vergadering for a transcript, the Document for a text
    version: str
    content_type: str | None
    length: int | None


def transcripts_due(conn: sqlite3.Connection, now: datetime, since: datetime) -> list[Due]:
    """The newest Verslag per Vergadering (dated since `since`) that is not the stored one, newest meetings first."""
    rows = conn.execute(
        """
        SELECT v.id, v.skiptoken, v.bijgewerkt, v.fields, l.dst_id AS vergadering, g.fields AS vergadering_fields
        FROM tk_entities v
        JOIN tk_links l ON l.src_category = 'Verslag' AND l.src_id = v.id AND l.rel = 'vergadering'
        LEFT JOIN tk_entities g ON g.category = 'Vergadering' AND g.id = l.dst_id AND g.deleted = 0
        WHERE v.category = 'Verslag' AND v.deleted = 0
        """
    ).fetchall()
    newest: dict[str, tuple[tuple[int, str], Due, dict[str, str | None]]] = {}
    for verslag_id, token, bijgewerkt, fields, vergadering, vergadering_fields in rows:
        meeting = json.loads(vergadering_fields or "{}")
        day = to_local((meeting.get("datum") or "")[:10] or None) if meeting.get("datum") else to_local(bijgewerkt)
        if day is not None and day < since:
            continue
        f = json.loads(fields or "{}")
        due = Due("verslag", verslag_id, vergadering, verslag_id, f.get("contenttype"), _int(f.get("contentlength")))
        order = (token or 0, bijgewerkt or "")
        if vergadering not in newest or order > newest[vergadering][0]:
            newest[vergadering] = (order, due, meeting)
    out: list[tuple[str, Due]] = []
    for vergadering, (_, due, meeting) in newest.items():
        stored = transcripts.stored_version(conn, vergadering)
        if stored is not None and stored["verslag_id"] == due.id:
            continue
        if stored is not None and _growing_plenary(meeting, stored, now):
            continue
        if not _may_try(conn, due, now):
            continue
        out.append(((meeting.get("datum") or ""), due))
    return [due for _, due in sorted(out, key=lambda pair: pair[0], reverse=True)]


def documents_due(conn: sqlite3.Connection, now: datetime, since: datetime) -> list[Due]:
    """Documents with a readable file whose current version has no text yet, newest first."""
    rows = conn.execute(
        """
        SELECT d.id, d.fields, d.refs, d.bijgewerkt FROM tk_entities d
        WHERE d.category = 'Document' AND d.deleted = 0 AND (d.bijgewerkt IS NULL OR d.bijgewerkt >= ?)
        ORDER BY d.skiptoken DESC
        """,
        [iso(since)],
    ).fetchall()
    out: list[Due] = []
    for document_id, fields, refs, _ in rows:
        f = json.loads(fields or "{}")
        content_type = (f.get("contenttype") or "").lower()
        if not any(t in content_type for t in TEXT_TYPES):
            continue
        version = _document_version(f, json.loads(refs or "{}"))
        stored = conn.execute("SELECT version FROM tk_document_texts WHERE document_id = ?", [document_id]).fetchone()
        if stored is not None and stored[0] == version:
            continue
        due = Due("document", document_id, document_id, version, content_type, _int(f.get("contentlength")))
        if _may_try(conn, due, now):
            out.append(due)
    return out


async def fetch_resources(get: Getter, conn: sqlite3.Connection, now: datetime, since: datetime, progress: Callable[[str], None] | None = None) -> ResourceResult:
    """Download and store the transcripts and document texts that are due, within the run's budget."""
    ensure_schema(conn)
    result = ResourceResult()
    due_transcripts = transcripts_due(conn, now, since)[:MAX_TRANSCRIPTS_PER_RUN]
    due_documents = documents_due(conn, now, since)[:MAX_DOCUMENTS_PER_RUN]
    if progress and (due_transcripts or due_documents):
        progress(f"Kamer files: {len(due_transcripts)} transcripts, {len(due_documents)} documents to fetch …")
    for due in [*due_transcripts, *due_documents]:
        if result.bytes >= MAX_BYTES_PER_RUN:
            result.warnings.append("Kamer files: per-run limit reached; the rest follows next run")
            break
        if due.kind == "document" and due.length is not None and due.length > MAX_DOCUMENT_BYTES:
            _failed(conn, due, now, f"the file is {due.length / 1024 / 1024:.0f} MB, more than the {MAX_DOCUMENT_BYTES // 1024 // 1024} MB a document may be")
            result.warnings.append(f"Document {due.id}: skipped, {due.length / 1024 / 1024:.0f} MB is more than a document may be")
            continue
        try:
            data = await get(RESOURCE_PATH.format(id=due.id))
        except HostGone:
            raise
        except Exception as exc:  # noqa: BLE001 - the caller's getter raises its own errors; each is this file's problem only
            _failed(conn, due, now, str(exc))
            result.warnings.append(f"{'Verslag' if due.kind == 'verslag' else 'Document'} {due.id}: cannot download: {exc}")
            continue
        result.downloads += 1
        result.bytes += len(data)
        if due.kind == "verslag":
            _store_transcript(conn, due, data, now, result)
        else:
            _store_text(conn, due, data, now, result)
    return result


def _store_transcript(conn: sqlite3.Connection, due: Due, data: bytes, now: datetime, result: ResourceResult) -> None:
    try:
        transcript = parse_transcript(data)
    except TranscriptError as exc:
        _failed(conn, due, now, str(exc))
        result.warnings.append(f"Verslag {due.id}: {exc}; the stored version (if any) is kept")
        return
    transcripts.save_transcript(conn, due.key, due.id, transcript, now, len(data))
    _done(conn, due, now)
    result.transcripts += 1


def _store_text(conn: sqlite3.Connection, due: Due, data: bytes, now: datetime, result: ResourceResult) -> None:
    try:
        text = extract_text(data, due.content_type)
    except ExtractError as exc:
        _failed(conn, due, now, str(exc))
        result.warnings.append(f"Document {due.id}: {exc}")
        return
    with conn:
        conn.execute("INSERT OR REPLACE INTO tk_document_texts VALUES (?, ?, ?, ?)", [due.id, due.version, text, iso(now)])
    _done(conn, due, now)
    result.documents += 1
    result.rebuild.append(due.id)


def _may_try(conn: sqlite3.Connection, due: Due, now: datetime) -> bool:
    """Not given up on this version, and not failed too recently."""
    row = conn.execute("SELECT version, attempts, last_attempt, done_at FROM tk_resource_state WHERE kind = ? AND id = ?", [due.kind, due.id]).fetchone()
    if row is None or row[0] != due.version:
        return True
    version, attempts, last_attempt, done_at = row
    if done_at:
        return False
    if attempts >= MAX_ATTEMPTS:
        return False
    last = to_local(last_attempt)
    return last is None or now - last >= RETRY_AFTER


def _failed(conn: sqlite3.Connection, due: Due, now: datetime, error: str) -> None:
    with conn:
        conn.execute(
            """INSERT INTO tk_resource_state (kind, id, version, attempts, last_attempt, last_error) VALUES (?, ?, ?, 1, ?, ?)
               ON CONFLICT (kind, id) DO UPDATE SET
                 attempts = CASE WHEN version = excluded.version THEN attempts + 1 ELSE 1 END,
                 version = excluded.version, last_attempt = excluded.last_attempt, last_error = excluded.last_error, done_at = NULL""",
            [due.kind, due.id, due.version, iso(now), error[:500]],
        )


def _done(conn: sqlite3.Connection, due: Due, now: datetime) -> None:
    with conn:
        conn.execute(
            """INSERT INTO tk_resource_state (kind, id, version, attempts, last_attempt, done_at) VALUES (?, ?, ?, 0, ?, ?)
               ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, attempts = 0, last_attempt = excluded.last_attempt,
                 last_error = NULL, done_at = excluded.done_at""",
            [due.kind, due.id, due.version, iso(now), iso(now)],
        )


def _growing_plenary(meeting: dict[str, str | None], stored: dict[str, object], now: datetime) -> bool:
    """A plenary sitting still open whose transcript we fetched less than an hour ago: wait for the next hour."""
    if (meeting.get("soort") or "").lower() != "plenair" or stored.get("closed"):
        return False
    fetched = to_local(str(stored.get("fetched_at") or "")) if stored.get("fetched_at") else None
    return fetched is not None and now - fetched < PLENARY_POLL


def _document_version(fields: dict[str, str | None], refs: dict[str, list[str]]) -> str:
    # The Kamer gives a revised file a new DocumentVersie; its id (or the size, without one) is the version.
    versie = (refs.get("huidigedocumentversie") or [None])[0]
    return versie or f"{fields.get('contenttype')}:{fields.get('contentlength')}:{fields.get('versienummer')}"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
