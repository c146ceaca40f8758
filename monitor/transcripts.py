"""Stored transcripts: the newest version per vergadering, its turns, and the passages per dossier.

Each version of a transcript is a new Verslag for the same Vergadering; only the newest is kept
and counted, so storing a version replaces the vergadering's turns and passages in one
transaction. Passages (non-chair turns on a dossier) are derived with the rules of the moment and
re-derived when the rules change (`refresh_passages`), like matches of items.

Tables (created by `ensure_schema`, idempotent):

- `tk_transcripts`: per vergadering, the verslag stored, its soort/status, when it was fetched.
- `tk_debate_turns`: per vergadering, each turn with the speaker as the transcript names them.
- `debate_passages`: per turn and dossier, the speaker (persoon id when matched), seconds, snippet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .debates import MatchFields, passages
from .sources.vlos import DebateActivity, Speaker, Transcript, Turn
from .speakers import SpeakerIndex
from .timeutil import iso, to_local

SCHEMA = """
CREATE TABLE IF NOT EXISTS tk_transcripts (
    vergadering_id TEXT PRIMARY KEY,
    verslag_id TEXT NOT NULL,
    soort TEXT, status TEXT, vergadering_soort TEXT, titel TEXT, datum TEXT,
    closed INTEGER NOT NULL DEFAULT 0,
    has_text INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER,
    fetched_at TEXT NOT NULL,
    rules_version TEXT
);
CREATE TABLE IF NOT EXISTS tk_debate_turns (
    vergadering_id TEXT NOT NULL REFERENCES tk_transcripts(vergadering_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    activity_seq INTEGER NOT NULL,
    activity_soort TEXT, activity_titel TEXT, activity_onderwerp TEXT, parlisid TEXT, activiteit_id TEXT,
    speaker_soort TEXT, voornaam TEXT, achternaam TEXT, verslagnaam TEXT, fractie TEXT, functie TEXT,
    role TEXT NOT NULL, chair INTEGER NOT NULL, start TEXT, "end" TEXT, interrupted_s INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (vergadering_id, seq)
);
CREATE TABLE IF NOT EXISTS debate_passages (
    vergadering_id TEXT NOT NULL REFERENCES tk_transcripts(vergadering_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    dossier TEXT NOT NULL,
    persoon_id TEXT, naam TEXT NOT NULL, fractie TEXT, speaker_soort TEXT,
    activity_titel TEXT, activity_soort TEXT, parlisid TEXT, activiteit_id TEXT, start TEXT, seconds INTEGER NOT NULL, snippet TEXT,
    PRIMARY KEY (vergadering_id, seq, dossier)
);
CREATE INDEX IF NOT EXISTS debate_passages_dossier ON debate_passages (dossier, persoon_id);
"""


# Columns added after the tables first shipped: (table, column, declaration).
ADDED_COLUMNS = (("tk_debate_turns", "activiteit_id", "TEXT"), ("debate_passages", "activiteit_id", "TEXT"))


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the transcript tables if they do not exist yet, and add columns an older build did not have."""
    conn.executescript(SCHEMA)
    for table, column, declaration in ADDED_COLUMNS:
        if column not in _columns(conn, table):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            conn.commit()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def stored_version(conn: sqlite3.Connection, vergadering_id: str) -> dict[str, Any] | None:
    """The stored transcript's bookkeeping for a vergadering (verslag id, status, fetched_at), or None."""
    row = conn.execute("SELECT verslag_id, soort, status, closed, fetched_at FROM tk_transcripts WHERE vergadering_id = ?", [vergadering_id]).fetchone()
    if row is None:
        return None
    return {"verslag_id": row[0], "soort": row[1], "status": row[2], "closed": bool(row[3]), "fetched_at": row[4]}


def save_transcript(conn: sqlite3.Connection, vergadering_id: str, verslag_id: str, transcript: Transcript, fetched_at: datetime, size: int) -> None:
    """Replace the vergadering's transcript by this version with its turns (one transaction).

    Its passages are derived by the match stage (`refresh_passages`), like the matches of items:
    the fetch stage stores what the Kamer published, the rules are applied after.
    """
    with _transaction(conn):
        conn.execute("DELETE FROM debate_passages WHERE vergadering_id = ?", [vergadering_id])
        conn.execute("DELETE FROM tk_debate_turns WHERE vergadering_id = ?", [vergadering_id])
        conn.execute(
            "INSERT OR REPLACE INTO tk_transcripts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [vergadering_id, verslag_id, transcript.soort, transcript.status, transcript.vergadering_soort, transcript.titel,
             transcript.datum, int(transcript.end is not None), int(transcript.has_text), size, iso(fetched_at)],
        )
        linked = {n: activiteit_for(conn, a) for n, a in enumerate(transcript.activities)}
        conn.executemany(
            "INSERT INTO tk_debate_turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [vergadering_id, seq, activity_seq, activity.soort, activity.titel, activity.onderwerp, activity.parlisid, linked[activity_seq],
                 turn.speaker.soort, turn.speaker.voornaam, turn.speaker.achternaam, turn.speaker.verslagnaam, turn.speaker.fractie,
                 turn.speaker.functie, turn.role, int(turn.chair), iso(turn.start), iso(turn.end), turn.interrupted_s, turn.text]
                for seq, (activity_seq, activity, turn) in enumerate(_turns(transcript))
            ],
        )


def activiteit_for(conn: sqlite3.Connection, activity: DebateActivity) -> str | None:
    """The Kamer Activiteit id a transcript's activiteit is about, or None.

    By `parlisid` (= Activiteit.Nummer) first. It is empty for the Stemmingen and for the resumed
    half of an interrupted debate, so then by day, start time (within 90 minutes) and a word of
    the title in common; only one candidate may remain.
    """
    if activity.parlisid:
        row = conn.execute(
            "SELECT id FROM tk_entities WHERE category = 'Activiteit' AND deleted = 0 AND json_extract(fields, '$.nummer') = ?", [activity.parlisid]
        ).fetchone()
        if row:
            return str(row[0])
    if activity.start is None:
        return None
    day = activity.start.date().isoformat()
    rows = conn.execute(
        """SELECT id, json_extract(fields, '$.aanvangstijd'), json_extract(fields, '$.onderwerp')
           FROM tk_entities WHERE category = 'Activiteit' AND deleted = 0 AND substr(json_extract(fields, '$.datum'), 1, 10) = ?""",
        [day],
    ).fetchall()
    # The subject's words, not the soort's: two commissiedebatten at one hour differ by subject.
    words = _words(f"{activity.titel or ''} {activity.onderwerp or ''}")
    found = []
    for entity_id, start, onderwerp in rows:
        begin = to_local(start) if start else None
        if begin is not None and abs((begin - activity.start).total_seconds()) > 90 * 60:
            continue
        if words & _words(onderwerp or ""):
            found.append(str(entity_id))
    return found[0] if len(found) == 1 else None


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 3}


def refresh_passages(conn: sqlite3.Connection, match_fields: MatchFields, speakers: SpeakerIndex, rules_version: str) -> int:
    """Derive the passages of every transcript new or matched under other rules; return how many transcripts."""
    if not _exists(conn):
        return 0
    stale = [r[0] for r in conn.execute("SELECT vergadering_id FROM tk_transcripts WHERE rules_version IS NOT ?", [rules_version])]
    for vergadering_id in stale:
        transcript = load_transcript(conn, vergadering_id)
        found = passages(transcript, match_fields, speakers)
        with _transaction(conn):
            conn.execute("DELETE FROM debate_passages WHERE vergadering_id = ?", [vergadering_id])
            _insert_passages(conn, vergadering_id, transcript, found)
            conn.execute("UPDATE tk_transcripts SET rules_version = ? WHERE vergadering_id = ?", [rules_version, vergadering_id])
    return len(stale)


def load_transcript(conn: sqlite3.Connection, vergadering_id: str) -> Transcript:
    """The stored transcript of a vergadering rebuilt from its rows (for re-matching; no XML kept)."""
    head = conn.execute("SELECT soort, status, vergadering_soort, titel, datum FROM tk_transcripts WHERE vergadering_id = ?", [vergadering_id]).fetchone()
    rows = conn.execute("SELECT * FROM tk_debate_turns WHERE vergadering_id = ? ORDER BY seq", [vergadering_id])
    names = [d[0] for d in rows.description]
    activities: dict[int, tuple[dict[str, Any], list[Turn]]] = {}
    for values in rows:
        row = dict(zip(names, values))
        speaker = Speaker(row["speaker_soort"], row["voornaam"], row["achternaam"], row["verslagnaam"], row["fractie"], row["functie"], None)
        turn = Turn(speaker, row["role"], to_local(row["start"]), to_local(row["end"]), bool(row["chair"]), row["text"], row["interrupted_s"])
        activities.setdefault(row["activity_seq"], (row, []))[1].append(turn)
    return Transcript(
        soort=head[0], status=head[1], timestamp=None, vergadering_soort=head[2], titel=head[3], zaal=None, datum=head[4], start=None, end=None,
        activities=tuple(
            DebateActivity(first["activity_soort"] or "", first["activity_titel"], first["activity_onderwerp"], first["parlisid"], None, None, False, (), tuple(turns))
            for _, (first, turns) in sorted(activities.items())
        ),
    )


@dataclass(frozen=True)
class SpokenOn:
    """What one person said on a dossier in one debate: the woordvoerder evidence from transcripts."""

    dossier: str
    persoon_id: str | None
    naam: str
    fractie: str | None
    datum: str
    activity_titel: str
    activity_soort: str
    parlisid: str | None
    activiteit_id: str | None  # the Kamer Activiteit it was, when found (parlisid, or day, time and title)
    seconds: int
    passage: str


def spoken_on(conn: sqlite3.Connection, dossier_ids: Iterable[str], since: str, until: str, known_at: datetime) -> list[SpokenOn]:
    """Per dossier, person and debate in [since, until]: seconds of their own non-chair turns, and the first passage.

    Kamerleden only (bewindspersonen speak for the cabinet, not as woordvoerder); only
    transcripts fetched by `known_at` count, so a past `--now` does not see later ones.
    """
    ids = list(dossier_ids)
    if not ids:
        return []
    sql = f"""
        SELECT p.dossier, p.persoon_id, p.naam, p.fractie, t.datum, p.activity_titel, p.activity_soort, p.parlisid, p.activiteit_id,
               SUM(p.seconds) AS seconds,
               (SELECT q.snippet FROM debate_passages q WHERE q.vergadering_id = p.vergadering_id AND q.dossier = p.dossier
                  AND q.naam = p.naam AND q.snippet != '' ORDER BY q.seq LIMIT 1) AS passage
        FROM debate_passages p JOIN tk_transcripts t ON t.vergadering_id = p.vergadering_id
        WHERE p.dossier IN ({", ".join("?" for _ in ids)}) AND t.datum BETWEEN ? AND ? AND t.fetched_at <= ?
          AND (p.speaker_soort = 'Tweede Kamerlid' OR p.persoon_id IS NOT NULL)
        GROUP BY p.dossier, COALESCE(p.persoon_id, p.naam), p.vergadering_id, p.activity_titel
        ORDER BY p.dossier, t.datum, p.activity_titel
    """
    rows = conn.execute(sql, [*ids, since, until, iso(known_at)])
    return [SpokenOn(r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6] or "", r[7], r[8], int(r[9] or 0), r[10] or "") for r in rows]


def spoken_on_view(view: Any, dossier_ids: Iterable[str], since: str, until: str) -> list[SpokenOn]:
    """`spoken_on` for a `store.View`: its database, known at its `as_of`; nothing before any transcript was stored."""
    conn = view.store.db.conn
    if not _exists(conn):
        return []
    return spoken_on(conn, dossier_ids, since, until, view.as_of)


def _exists(conn: sqlite3.Connection) -> bool:
    # Read paths must not create or alter tables: a database from before transcripts (or from before
    # a column was added) has none usable until the next fetch brings its schema up to date.
    columns = _columns(conn, "debate_passages")
    return bool(columns) and all(column in columns for table, column, _ in ADDED_COLUMNS if table == "debate_passages")


def _turns(transcript: Transcript) -> Iterable[tuple[int, DebateActivity, Turn]]:
    for activity_seq, activity in enumerate(transcript.activities):
        for turn in activity.turns:
            yield activity_seq, activity, turn


def _insert_passages(conn: sqlite3.Connection, vergadering_id: str, transcript: Transcript, found: list[Any]) -> None:
    # Passages come in turn order; map each back to its turn's sequence number and linked activiteit.
    seq_of = {id(turn): seq for seq, (_, _, turn) in enumerate(_turns(transcript))}
    linked = dict(conn.execute("SELECT seq, activiteit_id FROM tk_debate_turns WHERE vergadering_id = ?", [vergadering_id]).fetchall())
    conn.executemany(
        "INSERT OR IGNORE INTO debate_passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [vergadering_id, seq_of[id(p.turn)], p.dossier, p.persoon_id, p.speaker.naam, p.speaker.fractie, p.speaker.soort,
             p.activity_titel, p.activity_soort, p.parlisid, linked.get(seq_of[id(p.turn)]), iso(p.start), p.seconds, p.snippet]
            for p in found
        ],
    )


class _transaction:
    """BEGIN/COMMIT on the raw connection, joining an outer transaction when one is open."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.own = False

    def __enter__(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.own = True

    def __exit__(self, kind: object, *_: object) -> None:
        if self.own:
            self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")
