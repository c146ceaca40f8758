"""Moments as work: who owns an action, who handled it and when, with notes.

The pipeline derives moments; the PA team works them. Each step of that work is one row in
`moment_work` (append-only: who, when, what), keyed by the stored moment's id, so the state of a
moment *as of* any instant is a replay of the rows up to then — a digest made for last Tuesday
shows what was handled by last Tuesday, and nothing is ever overwritten.

The briefing attaches the state (`Work`) to each of its moments; the wording then says
"afgehandeld door … op …" instead of TE LAAT in the digest, the report and the calendar alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

__all__ = ["Work", "ensure_schema", "record", "state", "history", "DONE", "REOPENED", "OWNER", "NOTE"]

DONE, REOPENED, OWNER, NOTE = "done", "reopened", "owner", "note"
ACTIONS = (DONE, REOPENED, OWNER, NOTE)
MAX_NOTE = 2000
_CHUNK = 500

_SCHEMA = (
    # One row per step; the moment must be a stored one (the web checks before it writes).
    """CREATE TABLE IF NOT EXISTS moment_work (
        id INTEGER PRIMARY KEY,
        moment_id TEXT NOT NULL REFERENCES moments (id),
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        action TEXT NOT NULL,
        value TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS idx_moment_work_moment_at ON moment_work (moment_id, at)",
)


@dataclass
class Work:
    """Where the team stands on one moment (as of a given instant)."""

    owner: str | None = None  # a user name
    owner_email: str | None = None  # that user's email, when known (for the owner's digest)
    done_by: str | None = None
    done_at: str | None = None  # ISO
    note: str | None = None
    note_by: str | None = None
    note_at: str | None = None

    @property
    def done(self) -> bool:
        """The action was handled ('afgehandeld')."""
        return self.done_at is not None


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the table where missing (inside the caller's transaction; changes no row)."""
    for statement in _SCHEMA:
        db.conn.execute(statement)


def record(db: sqlite_utils.Database, moment_id: str, at: str, by: str, action: str, value: str | None = None) -> None:
    """Append one step of work on a stored moment (ValueError for an unknown moment or action)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if value is not None and len(value) > MAX_NOTE:
        raise ValueError(f"a note may hold at most {MAX_NOTE} characters")
    if not db.execute("SELECT 1 FROM moments WHERE id = ?", [moment_id]).fetchone():
        raise ValueError(f"no stored moment {moment_id!r}")
    nested = db.conn.in_transaction
    db.execute("INSERT INTO moment_work (moment_id, at, by, action, value) VALUES (?, ?, ?, ?, ?)", [moment_id, at, by, action, value])
    if not nested:  # inside a caller's transaction the caller commits
        db.conn.commit()


def state(db: sqlite_utils.Database, moment_ids: Iterable[str], as_of: str | None = None) -> dict[str, Work]:
    """The work on these moments as of `as_of` (ISO; None: everything recorded). Moments without work are left out."""
    ids = list(dict.fromkeys(moment_ids))
    if not ids or "moment_work" not in db.table_names():
        return {}
    out: dict[str, Work] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        sql = f"SELECT * FROM moment_work WHERE moment_id IN ({marks})"
        params: list[Any] = list(chunk)
        if as_of is not None:
            sql += " AND at <= ?"
            params.append(as_of)
        for row in db.query(sql + " ORDER BY at, id", params):
            work = out.setdefault(row["moment_id"], Work())
            _apply(work, row)
    emails = _emails(db, {w.owner for w in out.values() if w.owner})
    for work in out.values():
        work.owner_email = emails.get(work.owner or "")
    return out


def history(db: sqlite_utils.Database, moment_id: str) -> list[dict[str, Any]]:
    """Every step recorded on a moment, oldest first."""
    return list(db.query("SELECT * FROM moment_work WHERE moment_id = ? ORDER BY at, id", [moment_id]))


def _apply(work: Work, row: dict[str, Any]) -> None:
    action = row["action"]
    if action == DONE:
        work.done_by, work.done_at = row["by"], row["at"]
    elif action == REOPENED:
        work.done_by = work.done_at = None
    elif action == OWNER:
        work.owner = row["value"] or None
    elif action == NOTE:
        work.note = row["value"] or None
        work.note_by, work.note_at = row["by"], row["at"]


def _emails(db: sqlite_utils.Database, names: set[str]) -> dict[str, str]:
    # Users live in the werkplek's table; a database without it simply has no addresses.
    if not names or "users" not in db.table_names():
        return {}
    marks = ", ".join("?" for _ in names)
    return {r["name"]: r["email"] for r in db.query(f"SELECT name, email FROM users WHERE name IN ({marks}) AND email IS NOT NULL", list(names))}
