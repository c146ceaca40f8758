"""The Kamer entity store: SyncFeed entities, their links both ways, cursors and the rebuild queue.

Tables (all created by `ensure_schema`, next to the core tables in the same database):

- `tk_entities`  one row per (category, id): the latest fields and refs as JSON, the skiptoken
  and `updated` of the version stored, `bijgewerkt`, `first_updated` (when we first saw it) and
  `deleted` (a tombstone keeps its row: the deletion itself is recorded).
- `tk_links`     one row per reference (`src` names `dst`), indexed from both ends, because the
  feed stores each relation on one side only (a Zaak names its Agendapunt, never the reverse).
- `tk_cursor`    per (source, category): the skiptoken to resume from and how the category was
  started (`full` or `since <date>`). Written in the same transaction as the page it covers.
- `tk_dirty`     per (source, category, id): entities whose items must be rebuilt. Also written in
  the page's transaction, so a crash between storing and rebuilding loses no rebuild.
- `tk_lookup`    referenced-but-missing entities fetched one by one, with attempts and back-off.
- `tk_unknown`   Soort/Status/… values the code did not know, so each is reported once.

Every write here is plain SQL inside one `with conn:` block: sqlite-utils' table helpers open
transactions of their own, which would commit half a page.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from .tk_parse import Entry, parse_time

# Reference element (lower-cased) -> the category it points into. `vervangenvanuit` and friends
# point into the entity's own category and are resolved at write time.
REF_CATEGORY = {
    "activiteit": "Activiteit",
    "agendapunt": "Agendapunt",
    "zaak": "Zaak",
    "document": "Document",
    "brondocument": "Document",
    "kamerstukdossier": "Kamerstukdossier",
    "besluit": "Besluit",
    "persoon": "Persoon",
    "fractie": "Fractie",
    "commissie": "Commissie",
    "voortouwcommissie": "Commissie",
    "fractiezetel": "FractieZetel",
    "commissiezetel": "CommissieZetel",
    "huidigedocumentversie": "DocumentVersie",
    "vergadering": "Vergadering",
    "toegezegdaanpersoon": "Persoon",
    "toegezegdaanfractie": "Fractie",
}
SELF_REFS = ("vervangenvanuit", "voortgezetvanuit", "gerelateerdvanuit")

# The fields of reference-like categories that items actually show. A Kamerstukdossier gets a
# new version with every document filed in it (HoogsteVolgnummer); rebuilding every zaak and
# document of a begroting for that would be pure waste. None = every field counts.
USED_FIELDS: dict[str, frozenset[str] | None] = {
    "Kamerstukdossier": frozenset({"nummer", "toevoeging", "titel"}),
    "Commissie": frozenset({"afkorting", "naamnl"}),
    "Persoon": frozenset(),
    "Fractie": frozenset(),
    "FractieZetel": frozenset(),
    "FractieZetelPersoon": frozenset(),
    "CommissieZetel": frozenset(),
    "CommissieZetelVastPersoon": frozenset(),
    # Read by the transcript stage and toezeggingen, not by any item.
    "Vergadering": frozenset(),
    "Verslag": frozenset(),
    "Toezegging": frozenset(),
}


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the Kamer entity tables and indexes if they do not exist yet (idempotent)."""
    with db.conn:
        db.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS tk_entities (
                category TEXT NOT NULL, id TEXT NOT NULL,
                skiptoken INTEGER, updated TEXT, bijgewerkt TEXT, first_updated TEXT,
                deleted INTEGER NOT NULL DEFAULT 0,
                fields TEXT NOT NULL DEFAULT '{}', refs TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (category, id)
            );
            CREATE TABLE IF NOT EXISTS tk_links (
                src_category TEXT NOT NULL, src_id TEXT NOT NULL, rel TEXT NOT NULL,
                dst_category TEXT NOT NULL, dst_id TEXT NOT NULL,
                PRIMARY KEY (src_category, src_id, rel, dst_id)
            );
            CREATE INDEX IF NOT EXISTS tk_links_dst ON tk_links (dst_category, dst_id, src_category);
            CREATE TABLE IF NOT EXISTS tk_cursor (
                source TEXT NOT NULL, category TEXT NOT NULL,
                skiptoken INTEGER, updated TEXT, start_mode TEXT, started_at TEXT,
                entries INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (source, category)
            );
            CREATE TABLE IF NOT EXISTS tk_dirty (
                source TEXT NOT NULL, category TEXT NOT NULL, id TEXT NOT NULL,
                PRIMARY KEY (source, category, id)
            );
            CREATE TABLE IF NOT EXISTS tk_lookup (
                category TEXT NOT NULL, id TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, next_try TEXT, last_error TEXT,
                PRIMARY KEY (category, id)
            );
            CREATE TABLE IF NOT EXISTS tk_unknown (
                field TEXT NOT NULL, value TEXT NOT NULL, first_seen TEXT,
                PRIMARY KEY (field, value)
            );
            """
        )


# ---------------------------------------------------------------------------- cursors


def get_cursors(db: sqlite_utils.Database, source: str) -> dict[str, dict[str, Any]]:
    """The cursor rows of a source by category (a category without a row was never started)."""
    return {r["category"]: dict(r) for r in db.query("SELECT * FROM tk_cursor WHERE source = ?", [source])}


def start_cursor(db: sqlite_utils.Database, source: str, category: str, skiptoken: int | None, mode: str, at: str) -> None:
    """Record where a category starts (a fresh install): `skiptoken` None means from the beginning."""
    with db.conn:
        db.conn.execute(
            "INSERT OR REPLACE INTO tk_cursor (source, category, skiptoken, updated, start_mode, started_at, entries, pages)"
            " VALUES (?, ?, ?, NULL, ?, ?, 0, 0)",
            [source, category, skiptoken, mode, at],
        )


# ---------------------------------------------------------------------------- applying entries


def apply_page(
    db: sqlite_utils.Database,
    source: str,
    category: str,
    entries: Iterable[Entry],
    cursor_token: int | None,
    cursor_updated: str | None,
    *,
    fail_after: int | None = None,
) -> int:
    """Store one page's entities, their links, the rebuild queue and the cursor in ONE transaction.

    Entries are applied in feed (= skiptoken) order; a version older than the stored one (a
    replay, or a look-up that already fetched something newer) is skipped. Returns how many
    entities changed. `fail_after` is a test hook that raises after that many entries, to prove
    the transaction leaves nothing behind.
    """
    changed = 0
    entries = list(entries)
    with db.conn:
        conn = db.conn
        for index, entry in enumerate(entries):
            if fail_after is not None and index >= fail_after:
                raise RuntimeError("simulated failure while storing a page")
            if _apply(conn, source, entry):
                changed += 1
        if cursor_token is not None:
            conn.execute(
                "UPDATE tk_cursor SET skiptoken = ?, updated = COALESCE(?, updated), pages = pages + 1,"
                " entries = entries + ? WHERE source = ? AND category = ?",
                [cursor_token, cursor_updated, len(entries), source, category],
            )
    return changed


def apply_lookup(db: sqlite_utils.Database, source: str, entry: Entry) -> bool:
    """Store an entity fetched on its own (`/Entiteiten/<id>`) and queue its rebuild."""
    with db.conn:
        changed = _apply(db.conn, source, entry)
        db.conn.execute("DELETE FROM tk_lookup WHERE category = ? AND id = ?", [entry.category, entry.id])
    return changed


def _newer(entry: Entry, row: sqlite3.Row | tuple[Any, ...]) -> bool:
    stored_token, stored_bijgewerkt = row[0], row[1]
    if entry.skiptoken is not None and stored_token is not None:
        return entry.skiptoken > stored_token
    # One side came from a direct look-up (no skiptoken): compare the source system's change
    # times, which both carry in the same format for the same entity.
    new, old = parse_time(entry.bijgewerkt), parse_time(stored_bijgewerkt)
    if new is None or old is None:
        return True
    return new >= old


def _apply(conn: sqlite3.Connection, source: str, entry: Entry) -> bool:
    row = conn.execute(
        "SELECT skiptoken, bijgewerkt, deleted, fields, refs, first_updated FROM tk_entities WHERE category = ? AND id = ?",
        [entry.category, entry.id],
    ).fetchone()
    if row is not None and not _newer(entry, row):
        return False
    refs = {key: sorted(set(ids)) for key, ids in entry.refs.items()}
    fields_json = json.dumps(entry.fields, sort_keys=True, ensure_ascii=False)
    refs_json = json.dumps(refs, sort_keys=True)
    # When we first knew the entity (an activity's published_at): keep the earliest seen.
    first = entry.updated or entry.bijgewerkt
    if row is not None and row[5]:
        earlier, now = parse_time(row[5]), parse_time(first)
        if now is None or (earlier is not None and earlier <= now):
            first = row[5]
    # A looked-up version has no skiptoken; later feed versions then compare on bijgewerkt.
    skiptoken = entry.skiptoken
    conn.execute(
        "INSERT OR REPLACE INTO tk_entities (category, id, skiptoken, updated, bijgewerkt, first_updated, deleted, fields, refs)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry.category, entry.id, skiptoken, entry.updated, entry.bijgewerkt, first, int(entry.deleted), fields_json, refs_json],
    )
    old_links = conn.execute(
        "SELECT rel, dst_category, dst_id FROM tk_links WHERE src_category = ? AND src_id = ?", [entry.category, entry.id]
    ).fetchall()
    new_links = [
        (rel, _ref_category(entry.category, rel), dst)
        for rel, ids in refs.items()
        for dst in ids
        if _ref_category(entry.category, rel)
    ]
    links_changed = sorted(map(tuple, old_links)) != sorted(new_links)
    if links_changed:
        conn.execute("DELETE FROM tk_links WHERE src_category = ? AND src_id = ?", [entry.category, entry.id])
        conn.executemany(
            "INSERT OR IGNORE INTO tk_links (src_category, src_id, rel, dst_category, dst_id) VALUES (?, ?, ?, ?, ?)",
            [(entry.category, entry.id, rel, dst_category, dst) for rel, dst_category, dst in new_links],
        )
    content_changed = row is None or bool(row[2]) != entry.deleted or row[3] != fields_json or row[4] != refs_json
    if not content_changed:
        return False
    if _matters(entry.category, row, entry, links_changed):
        dirty = {(entry.category, entry.id)}
        # Old and new link targets too: an Agendapunt moved to another Activiteit must rebuild both.
        dirty |= {(c, i) for _, c, i in old_links} | {(c, i) for _, c, i in new_links}
        conn.executemany(
            "INSERT OR IGNORE INTO tk_dirty (source, category, id) VALUES (?, ?, ?)",
            [(source, c, i) for c, i in sorted(dirty) if c in DEPENDENT_CATEGORIES],
        )
    return True


# Categories whose change can alter an item (directly or through what it aggregates).
DEPENDENT_CATEGORIES = frozenset(
    {"Activiteit", "Agendapunt", "ActiviteitActor", "Zaak", "ZaakActor", "Document", "Kamerstukdossier", "Besluit", "Stemming", "Commissie"}
)


def _matters(category: str, row: Any, entry: Entry, links_changed: bool) -> bool:
    used = USED_FIELDS.get(category)
    if used is None:
        return True  # an item category, or one that items aggregate in full
    if not used:
        return False  # people and memberships: read by queries, never shown inside an item
    if row is None or bool(row[2]) != entry.deleted or links_changed:
        return True
    old = json.loads(row[3] or "{}")
    return any(old.get(key) != entry.fields.get(key) for key in used)


def _ref_category(category: str, rel: str) -> str | None:
    if rel in SELF_REFS:
        return category
    return REF_CATEGORY.get(rel)


# ---------------------------------------------------------------------------- rebuild queue


def dirty_batch(db: sqlite_utils.Database, source: str, limit: int) -> list[tuple[str, str]]:
    """Up to `limit` queued (category, id) keys of a source, in a stable order."""
    return [
        (r["category"], r["id"])
        for r in db.query("SELECT category, id FROM tk_dirty WHERE source = ? ORDER BY category, id LIMIT ?", [source, limit])
    ]


def clear_dirty(db: sqlite_utils.Database, source: str, keys: Iterable[tuple[str, str]]) -> None:
    """Drop rebuilt keys from the queue."""
    with db.conn:
        db.conn.executemany("DELETE FROM tk_dirty WHERE source = ? AND category = ? AND id = ?", [(source, c, i) for c, i in keys])


def mark_dirty(db: sqlite_utils.Database, source: str, keys: Iterable[tuple[str, str]]) -> None:
    """Queue keys for a rebuild (after look-ups, by maintenance, and for a document whose file text came in)."""
    with db.conn:
        db.conn.executemany("INSERT OR IGNORE INTO tk_dirty (source, category, id) VALUES (?, ?, ?)", [(source, c, i) for c, i in keys])


# ---------------------------------------------------------------------------- unknown values


def note_unknown(db: sqlite_utils.Database, values: Iterable[tuple[str, str]], at: str) -> list[tuple[str, str]]:
    """Record values the code does not know; return those never seen before (to be logged once)."""
    fresh = []
    with db.conn:
        for field_name, value in sorted(set(values)):
            cursor = db.conn.execute("INSERT OR IGNORE INTO tk_unknown (field, value, first_seen) VALUES (?, ?, ?)", [field_name, value, at])
            if cursor.rowcount:
                fresh.append((field_name, value))
    return fresh
