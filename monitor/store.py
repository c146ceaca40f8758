"""The database: the contract between the stages, and the only SQL on its core tables.

One SQLite file (WAL mode, so a report can read while a fetch writes). Core tables:

- `items`: one row per fetched thing, keyed `source:external_id`, raw payload kept.
- `item_versions`: the content of each item as it was from each moment on (for `--now` in the
  past: what was known then).
- `changes`: one row per detected change of an item, listing each field old -> new.
- `links`: which items point at which (a zaak at its meetings and documents, a meeting at the
  meeting it re-creates), so reads follow them by index instead of scanning history.
- `fetch_state` / `fetch_log`: per source: ETag/Last-Modified, cursor, health, and every attempt.
- `matches` / `match_state`: which dossier rules matched which item, under which rules version.
- `moments` / `moment_history`: the moments the pipeline derived, and each change of their status.

Every table, including those of the Kamer source and the outbox, is created when a Store opens,
so a command that only reads never writes. Reads as of a moment go through `View`.

The file is meant to be browsed as it is (Datasette, with monitor/datasette.yaml; sqlite-utils):
foreign keys link each row to the item or moment it names, `items_fts` searches the title and
text of items, and the views `dossier_items`, `upcoming_moments` and `meeting_changes` show what
a public-affairs officer asks for (see `migrate`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from .models import KIND_ACTIVITY, READ_ONLY, TRACKED_FIELDS, Change, Item, Match, MeetingStatus, SourceHealth
from .timeutil import AMS, iso

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
SCHEMA_VERSION = 6
# What the read side loads of an item: everything but `raw` (the payload as fetched, often the
# largest column, needed only to re-derive items after a parser fix).
_VIEW_COLUMNS = "id, source, external_id, kind, title, text, url, published_at, event_at, data, hash, first_seen, last_seen, last_changed, deleted_at"
_CHUNK = 500  # SQLite's limit on bound parameters is 999 on old builds


class DatabaseError(Exception):
    """The database file cannot be used (written by a newer version of monitor, or not a database)."""


class Store:
    """Typed access to the monitor database."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        if self.path != ":memory:" and self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=30000")
        try:
            migrate(self.db)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        try:
            self.db.conn.close()
        except sqlite3.ProgrammingError:
            pass

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so a crash leaves either all or none of them (nested calls join the outer one).

        An explicit BEGIN is needed: sqlite-utils commits each statement made outside one.
        """
        if self.db.conn.in_transaction:
            yield
            return
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.execute("ROLLBACK")
            raise
        self.db.conn.execute("COMMIT")

    def view(self, as_of: datetime, rematch: Callable[[Item], list[Match]] | None = None) -> View:
        """The database as it was known at `as_of` (see `View`)."""
        return View(self, as_of, rematch)

    # ---------------------------------------------------------------- items

    def upsert_item(self, item: Item, seen_at: str) -> str:
        """Store an item; return NEW, CHANGED or UNCHANGED.

        Identical content writes nothing but `last_seen`. Changed content updates the row, writes
        one `changes` row listing each changed field (title, dates, and every key of `data`, such
        as status or datum) with its old and new value, and a new version.
        """
        digest = item.content_hash()
        existing = self._row(item.id)
        with self.transaction():
            if existing is None:
                self.db["items"].insert(
                    {**_item_columns(item), "hash": digest, "first_seen": seen_at, "last_seen": seen_at, "last_changed": seen_at, "deleted_at": None}
                )
                self._add_version(item, seen_at, deleted=False)
                self._set_links(item)
                return NEW
            if existing["hash"] == digest and existing["deleted_at"] is None:
                self.db.execute("UPDATE items SET last_seen = ? WHERE id = ?", [seen_at, item.id])
                return UNCHANGED
            diff = _diff(row_to_item(existing), item)
            if existing["deleted_at"] is not None:
                diff["verwijderd"] = ("ja", "nee")
            self.db["items"].update(
                item.id, {**_item_columns(item), "hash": digest, "last_seen": seen_at, "last_changed": seen_at, "deleted_at": None}
            )
            if diff:
                self._record_change(item.id, diff, seen_at)
            self._add_version(item, seen_at, deleted=False)
            self._set_links(item)
            return CHANGED

    def mark_deleted(self, item_id: str, seen_at: str) -> bool:
        """Record that the source deleted an item (a tombstone). Returns False if unknown or already gone."""
        existing = self._row(item_id)
        if existing is None or existing["deleted_at"] is not None:
            return False
        with self.transaction():
            self.db["items"].update(item_id, {"deleted_at": seen_at, "last_changed": seen_at})
            self._record_change(item_id, {"verwijderd": ("nee", "ja")}, seen_at)
            self._add_version(row_to_item(existing), seen_at, deleted=True)
        return True

    def get_item(self, item_id: str) -> Item | None:
        """The stored item (deleted or not), or None."""
        row = self._row(item_id)
        return row_to_item(row) if row else None

    def item_row(self, item_id: str) -> dict[str, Any] | None:
        """The full stored row of an item (with bookkeeping columns), or None."""
        return self._row(item_id)

    def iter_items(
        self,
        *,
        kinds: Iterable[str] | None = None,
        include_deleted: bool = False,
        where: str | None = None,
        params: list[Any] | None = None,
    ) -> Iterator[Item]:
        """Stored items, optionally filtered by kind and an extra SQL condition."""
        clauses: list[str] = []
        args: list[Any] = []
        if kinds is not None:
            kinds = list(kinds)
            clauses.append(f"kind IN ({_marks(kinds)})")
            args.extend(kinds)
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        if where:
            clauses.append(f"({where})")
            args.extend(params or [])
        sql = "SELECT * FROM items"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        for row in self.db.query(sql + " ORDER BY id", args):
            yield row_to_item(row)

    def count_items(self) -> int:
        """How many items are stored (deleted ones included)."""
        return self.db["items"].count

    def changes_for(self, item_id: str, since: str | None = None) -> list[Change]:
        """The changes of one item, oldest first, flattened to one Change per field."""
        sql = "SELECT * FROM changes WHERE item_id = ?"
        args: list[Any] = [item_id]
        if since:
            sql += " AND seen_at > ?"
            args.append(since)
        return _flatten(self.db.query(sql + " ORDER BY seen_at, id", args))

    def changed_item_ids(self, since: str) -> list[str]:
        """Items with a change recorded after `since`."""
        return [r["item_id"] for r in self.db.query("SELECT DISTINCT item_id FROM changes WHERE seen_at > ? ORDER BY item_id", [since])]

    def _row(self, item_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM items WHERE id = ?", [item_id]))
        return rows[0] if rows else None

    def _record_change(self, item_id: str, diff: dict[str, tuple[Any, Any]], seen_at: str) -> None:
        self.db["changes"].insert(
            {
                "item_id": item_id,
                "seen_at": seen_at,
                "fields": ",".join(diff),
                "diff": json.dumps({k: [_text(o), _text(n)] for k, (o, n) in diff.items()}, ensure_ascii=False),
            }
        )

    def _add_version(self, item: Item, seen_at: str, deleted: bool) -> None:
        columns = _item_columns(item)
        self.db.execute(
            "INSERT OR REPLACE INTO item_versions (item_id, seen_at, deleted, kind, title, text, url, published_at, event_at, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item.id, seen_at, int(deleted), item.kind, item.title, item.text, item.url, item.published_at, item.event_at, columns["data"]],
        )

    def _set_links(self, item: Item) -> None:
        self.db.execute("DELETE FROM links WHERE src = ?", [item.id])
        links = item.links()
        if links:
            self.db.conn.executemany("INSERT OR IGNORE INTO links (src, rel, dst) VALUES (?, ?, ?)", [(item.id, rel, dst) for rel, dst in links])

    # ---------------------------------------------------------------- fetch state

    def get_state(self, source: str) -> dict[str, Any]:
        """The fetch state of a source (empty dict when never fetched). `cursor` is decoded JSON."""
        rows = list(self.db.query("SELECT * FROM fetch_state WHERE source = ?", [source]))
        if not rows:
            return {}
        state = dict(rows[0])
        state["cursor"] = json.loads(state["cursor"]) if state.get("cursor") else None
        return state

    def save_state(self, source: str, **fields: Any) -> None:
        """Update some fetch-state fields of a source (cursor, etag, last_modified, ...)."""
        if "cursor" in fields:
            fields["cursor"] = json.dumps(fields["cursor"], sort_keys=True) if fields["cursor"] is not None else None
        with self.transaction():
            self.db["fetch_state"].upsert({"source": source, **fields}, pk="source", alter=False)

    def record_success(self, source: str, kind: str, at: str, new: int, changed: int, warning: str | None = None) -> None:
        """A fetch of `source` finished (possibly with a non-fatal warning)."""
        with self.transaction():
            self.save_state(
                source, kind=kind, last_attempt=at, last_success=at, last_error=None, last_warning=warning,
                consecutive_failures=0, last_new=new, last_changed=changed,
            )
            self._log_fetch(source, at, True, None, new, changed)

    def record_failure(self, source: str, kind: str, at: str, error: str, new: int = 0, changed: int = 0) -> None:
        """A fetch of `source` failed (perhaps partly: `new`/`changed` still count); count consecutive failures."""
        with self.transaction():
            failures = int(self.get_state(source).get("consecutive_failures") or 0) + 1
            self.save_state(
                source, kind=kind, last_attempt=at, last_error=error, consecutive_failures=failures, last_new=new, last_changed=changed
            )
            self._log_fetch(source, at, False, error, new, changed)

    def _log_fetch(self, source: str, at: str, ok: bool, error: str | None, new: int, changed: int) -> None:
        self.db.execute(
            "INSERT INTO fetch_log (source, at, ok, error, new, changed) VALUES (?, ?, ?, ?, ?, ?)", [source, at, int(ok), error, new, changed]
        )

    def health(self, source: str, kind: str, label: str | None = None) -> SourceHealth:
        """The health of one source as last recorded."""
        state = self.get_state(source)
        failures = int(state.get("consecutive_failures") or 0)
        return SourceHealth(
            id=source,
            kind=kind,
            label=label,
            ok=bool(state.get("last_success")) and failures == 0,
            last_attempt=state.get("last_attempt"),
            last_success=state.get("last_success"),
            last_error=state.get("last_error"),
            consecutive_failures=failures,
            new=int(state.get("last_new") or 0),
            changed=int(state.get("last_changed") or 0),
        )

    # ---------------------------------------------------------------- matches

    def items_needing_match(self, rules_version: str) -> Iterator[Item]:
        """Items never matched, changed since they were matched, or matched under other rules."""
        # Ids first, over the covering index idx_items_match: the usual answer is "none", and
        # finding that must not read every item's full row.
        sql = """
            SELECT items.id FROM items
            LEFT JOIN match_state ON match_state.item_id = items.id
            WHERE items.deleted_at IS NULL
              AND (match_state.item_id IS NULL OR match_state.item_hash != items.hash OR match_state.rules_version != ?)
            ORDER BY items.id
        """
        ids = [r["id"] for r in self.db.query(sql, [rules_version])]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in self.db.query(f"SELECT * FROM items WHERE id IN ({_marks(chunk)}) ORDER BY id", chunk):
                yield row_to_item(row)

    def replace_matches(self, item: Item, matches: list[Match], rules_version: str, at: str) -> None:
        """Replace an item's matches with a fresh set computed under `rules_version`."""
        with self.transaction():
            self.db.execute("DELETE FROM matches WHERE item_id = ?", [item.id])
            if matches:
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO matches (item_id, dossier, rule, terms, snippet, priority, rules_version, matched_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(m.item_id, m.dossier, m.rule, json.dumps(m.terms, ensure_ascii=False), m.snippet, m.priority, rules_version, at) for m in matches],
                )
            self.db.execute(
                "INSERT OR REPLACE INTO match_state (item_id, item_hash, rules_version, matched_at) VALUES (?, ?, ?, ?)",
                [item.id, item.content_hash(), rules_version, at],
            )

    def matches_for(self, item_id: str) -> list[Match]:
        """The stored matches of an item."""
        return [_row_to_match(r) for r in self.db.query("SELECT * FROM matches WHERE item_id = ? ORDER BY dossier, rule", [item_id])]

    def matched_item_ids(self, dossiers: Iterable[str] | None = None) -> list[str]:
        """Ids of non-deleted items that match any (or the given) dossiers."""
        sql = "SELECT DISTINCT m.item_id FROM matches m CROSS JOIN items i ON i.id = m.item_id WHERE i.deleted_at IS NULL"
        args: list[Any] = []
        if dossiers is not None:
            dossiers = list(dossiers)
            sql += f" AND m.dossier IN ({_marks(dossiers)})"
            args.extend(dossiers)
        return [r["item_id"] for r in self.db.query(sql + " ORDER BY m.item_id", args)]

    def all_matches(self) -> dict[str, list[Match]]:
        """Every stored match, grouped by item id (for the backtest, which compares all of history)."""
        grouped: dict[str, list[Match]] = {}
        for row in self.db.query("SELECT * FROM matches ORDER BY item_id, dossier, rule"):
            grouped.setdefault(row["item_id"], []).append(_row_to_match(row))
        return grouped

    # ---------------------------------------------------------------- moments

    def save_moments(self, moments: list[dict[str, Any]], at: str) -> int:
        """Store the derived moments; append a history row for each whose state changed. Returns how many changed.

        Each dict has id, kind, dossiers (list), meeting (item id), title, meeting_start, deadline
        and status. The history records when each moment was planned, moved, cancelled, late.
        """
        changed = 0
        with self.transaction():
            current = {r["id"]: r for r in self.db.query("SELECT * FROM moments")}
            for moment in moments:
                row = {**moment, "dossiers": json.dumps(moment["dossiers"]), "updated_at": at}
                old = current.get(moment["id"])
                state = (row["status"], row["deadline"], row["meeting_start"], row["dossiers"])
                if old is not None and (old["status"], old["deadline"], old["meeting_start"], old["dossiers"]) == state:
                    continue
                changed += 1
                self.db["moments"].upsert(row, pk="id")
                self.db.execute(
                    "INSERT OR REPLACE INTO moment_history (moment_id, seen_at, status, deadline, meeting_start) VALUES (?, ?, ?, ?, ?)",
                    [moment["id"], at, row["status"], row["deadline"], row["meeting_start"]],
                )
        return changed

    def moment_history(self, moment_id: str) -> list[dict[str, Any]]:
        """The stored states of a moment, oldest first."""
        return list(self.db.query("SELECT * FROM moment_history WHERE moment_id = ? ORDER BY seen_at", [moment_id]))

    # ---------------------------------------------------------------- meta

    def get_meta(self, key: str) -> str | None:
        """A small named value."""
        rows = list(self.db.query("SELECT value FROM meta WHERE key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a small named value."""
        with self.transaction():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")


# ---------------------------------------------------------------------------- reading as of a moment


class View:
    """The database as it was known at `as_of`: what every output reads, and never writes.

    An item exists in the view once it was first seen by `as_of`, in the version it had then
    (from `item_versions` when it changed later), and is gone if it was deleted by then. Changes,
    fetch health and matches are cut at `as_of` the same way; an item whose content at `as_of`
    differs from today's is matched again in memory with `rematch` (the current rules), since
    the stored matches describe today's content. With `as_of` now, this is the current state at
    the cost of one extra query.
    """

    def __init__(self, store: Store, as_of: datetime, rematch: Callable[[Item], list[Match]] | None = None) -> None:
        self.store = store
        self.db = store.db
        self.as_of = (as_of if as_of.tzinfo else as_of.replace(tzinfo=AMS)).astimezone(AMS)
        self.at = iso(self.as_of) or ""
        self.rematch = rematch
        self._cache: dict[str, tuple[Item | None, bool, str | None]] = {}  # id -> (item, deleted, first_seen)
        self._match_cache: dict[str, list[Match]] = {}
        self._link_cache: dict[tuple[str, bool], dict[str, list[str]]] = {}
        self._version_links: dict[str, list[tuple[str, str]]] = {}  # revised item -> its links as at as_of
        self.memo: dict[Any, Any] = {}  # for read models to keep what they computed for this view
        # Items whose stored row is newer than the view: read their version instead.
        self.revised = {r["id"] for r in self.db.query("SELECT id FROM items WHERE last_changed > ? AND first_seen <= ?", [self.at, self.at])}

    # ------------------------------------------------------------------ items

    def load(self, ids: Iterable[str]) -> None:
        """Read these items into the cache (batched)."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self._cache]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found: set[str] = set()
            for row in self.db.query(f"SELECT {_VIEW_COLUMNS} FROM items WHERE id IN ({_marks(chunk)})", chunk):
                found.add(row["id"])
                self._remember(row)
            for item_id in chunk:
                if item_id not in found:
                    self._cache[item_id] = (None, False, None)

    def _remember(self, row: dict[str, Any]) -> None:
        item_id = row["id"]
        if item_id in self._cache:
            return
        if (row["first_seen"] or "") > self.at:
            self._cache[item_id] = (None, False, None)  # not known yet at as_of
        elif item_id in self.revised:
            version = self._version(item_id)
            if version is None:  # a database from before versions were kept: today's is the best we have
                self._cache[item_id] = (row_to_item(row), bool(row["deleted_at"] and row["deleted_at"] <= self.at), row["first_seen"])
            else:
                self._cache[item_id] = (version[0], version[1], row["first_seen"])
        else:
            self._cache[item_id] = (row_to_item(row), row["deleted_at"] is not None, row["first_seen"])
        item = self._cache[item_id][0]
        if item is not None:
            item.__dict__[READ_ONLY] = True  # read models may keep what they parse from it

    def _version(self, item_id: str) -> tuple[Item, bool] | None:
        rows = list(
            self.db.query("SELECT * FROM item_versions WHERE item_id = ? AND seen_at <= ? ORDER BY seen_at DESC LIMIT 1", [item_id, self.at])
        )
        if not rows:
            return None
        row = rows[0]
        source, _, external = item_id.partition(":")
        item = Item(
            source=source, external_id=external, kind=row["kind"], title=row["title"] or "", text=row["text"] or "", url=row["url"],
            published_at=row["published_at"], event_at=row["event_at"], data=json.loads(row["data"]) if row["data"] else {},
        )
        return item, bool(row["deleted"])

    def item(self, item_id: str, *, deleted: bool = False) -> Item | None:
        """The item as known at as_of; None when unknown then or (unless `deleted`) deleted by then."""
        self.load([item_id])
        item, gone, _ = self._cache[item_id]
        return item if item is not None and (deleted or not gone) else None

    def items(self, ids: Iterable[str], *, deleted: bool = False) -> dict[str, Item]:
        """The known (and, unless `deleted`, live) items among `ids`, by id, in the order given."""
        ids = list(ids)
        self.load(ids)
        out: dict[str, Item] = {}
        for item_id in ids:
            item, gone, _ = self._cache[item_id]
            if item is not None and (deleted or not gone):
                out[item_id] = item
        return out

    def first_fetch(self, source: str) -> str:
        """When a source brought its first items (what that fetch brought is history, not news)."""
        key = ("first_fetch", source)
        if key not in self.memo:
            row = next(iter(self.db.query("SELECT MIN(first_seen) AS first FROM items WHERE source = ?", [source])))
            self.memo[key] = row["first"] or ""
        return self.memo[key]

    def is_deleted(self, item_id: str) -> bool:
        """Deleted by the source by as_of."""
        self.load([item_id])
        return self._cache[item_id][1]

    def first_seen(self, item_id: str) -> str | None:
        """When the item was first fetched (None when unknown at as_of)."""
        self.load([item_id])
        return self._cache[item_id][2]

    def activities(self, start: date, end: date) -> list[Item]:
        """Meetings (deleted ones too) on a day from `start` to `end` as known at as_of, by start."""
        low, high = start.isoformat(), (end + timedelta(days=1)).isoformat()
        rows = self.db.query(
            f"SELECT {_VIEW_COLUMNS} FROM items WHERE kind = ? AND event_at >= ? AND event_at < ? AND first_seen <= ?", [KIND_ACTIVITY, low, high, self.at]
        )
        ids = []
        for row in rows:
            self._remember(row)
            ids.append(row["id"])
        # Meetings that were in the range at as_of but moved out of it later.
        ids += [i for i in self.revised if ":activiteit/" in i and i not in ids]
        found = self.items(ids, deleted=True)
        return sorted(
            (a for a in found.values() if a.event_at and low <= a.event_at < high), key=lambda a: (a.event_at or "", a.id)
        )

    def moved_activities(self, since: str) -> list[str]:
        """Meetings that moved, were cancelled, lapsed or were deleted after `since` (and by as_of).

        A status that became Uitgevoerd (held) is left out: it is most of the status changes and
        no news about a meeting outside the window.
        """
        sql = """
            SELECT item_id, fields, diff FROM changes
            WHERE seen_at > ? AND seen_at <= ? AND item_id IN (SELECT id FROM items WHERE kind = ?)
              AND (fields LIKE '%datum%' OR fields LIKE '%aanvangstijd%' OR fields LIKE '%status%' OR fields LIKE '%verwijderd%')
        """
        found: dict[str, None] = {}
        for row in self.db.query(sql, [since, self.at, KIND_ACTIVITY]):
            names = set((row["fields"] or "").split(","))
            if names & {"datum", "aanvangstijd", "verwijderd"}:
                found[row["item_id"]] = None
                continue
            try:
                status = (json.loads(row["diff"] or "{}").get("status") or [None, None])[1]
            except (ValueError, AttributeError):
                status = None
            if MeetingStatus.parse(status) in (MeetingStatus.GEANNULEERD, MeetingStatus.VERVALLEN, MeetingStatus.VERPLAATST):
                found[row["item_id"]] = None
        return list(found)

    def linked(self, ids: Iterable[str], rel: str, *, reverse: bool = False) -> dict[str, list[str]]:
        """Links of `rel` from each of `ids` (or, with `reverse`, to each of them), as at as_of: id -> ids, sorted.

        The table holds today's links. Every link is written from its source item's content, so
        for items revised since as_of the links come from the version they had then; the items
        at either end are filtered by the view when read.
        """
        ids = list(dict.fromkeys(ids))
        cache = self._link_cache.setdefault((rel, reverse), {})
        missing = [i for i in ids if i not in cache]
        near, far = ("dst", "src") if reverse else ("src", "dst")
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            found: dict[str, list[str]] = {i: [] for i in chunk}
            sql = f"SELECT {near} AS near, {far} AS far FROM links WHERE rel = ? AND {near} IN ({_marks(chunk)}) ORDER BY far"
            for row in self.db.query(sql, [rel, *chunk]):
                found[row["near"]].append(row["far"])
            if self.revised:
                self._as_of_links(found, rel, reverse)
            cache.update(found)
        # Read models ask item by item after a batched `prepare`: the cache makes that one query per batch.
        return {i: list(cache[i]) for i in ids if cache[i]}

    def _as_of_links(self, found: dict[str, list[str]], rel: str, reverse: bool) -> None:
        """Replace today's links of revised source items in `found` by those of their as-of version."""
        versions = self._version_links

        def then(item_id: str) -> set[str]:
            if item_id not in versions:  # each revised item's links are derived once per view
                item = self.item(item_id, deleted=True)
                versions[item_id] = item.links() if item else []
            return {dst for r, dst in versions[item_id] if r == rel}

        if not reverse:
            for src in [i for i in found if i in self.revised]:
                found[src] = sorted(then(src))
            return
        for dst, sources in found.items():
            kept = [src for src in sources if src not in self.revised or dst in then(src)]
            found[dst] = kept
        for src in sorted(self.revised):
            for dst in then(src) & set(found):
                if src not in found[dst]:
                    found[dst].append(src)
        for dst in found:
            found[dst].sort()

    # ------------------------------------------------------------------ matches

    def matches(self, ids: Iterable[str]) -> dict[str, list[Match]]:
        """The matches of each item as of as_of (items changed since are matched again in memory)."""
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if i not in self._match_cache]
        stored: dict[str, list[Match]] = {}
        plain = [i for i in missing if i not in self.revised or self.rematch is None]
        for start in range(0, len(plain), _CHUNK):
            chunk = plain[start : start + _CHUNK]
            for row in self.db.query(f"SELECT * FROM matches WHERE item_id IN ({_marks(chunk)}) ORDER BY item_id, dossier, rule", chunk):
                stored.setdefault(row["item_id"], []).append(_row_to_match(row))
        for item_id in plain:
            self._match_cache[item_id] = stored.get(item_id, [])
        for item_id in missing:
            if item_id in self.revised and self.rematch is not None:
                item = self.item(item_id)
                self._match_cache[item_id] = self.rematch(item) if item is not None else []
        return {i: self._match_cache[i] for i in ids}

    def matched(
        self,
        dossiers: Iterable[str],
        kinds: Iterable[str],
        *,
        seen_from: str | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
    ) -> list[str]:
        """Items of `kinds` matching any of `dossiers` that were first seen after `seen_from` (up to
        as_of) or published from `published_from` up to `published_to` (exclusive, ISO); live at as_of.

        An item counts from when it was first seen when it has no date of its own. "First seen
        after" leaves out what a source's very first fetch brought (a new install fetches weeks of
        history at once; that is judged by its own dates), so a late-registered motie is news
        when it arrives, whatever its date.
        """
        dossiers, kinds = list(dossiers), list(kinds)
        if not dossiers or not kinds:
            return []
        when: list[str] = []
        args: list[Any] = [*dossiers, *kinds, self.at]
        if seen_from is not None:
            when.append("(i.first_seen > ? AND i.first_seen > (SELECT MIN(j.first_seen) FROM items j WHERE j.source = i.source))")
            args.append(seen_from)
        if published_from is not None:
            when.append("(COALESCE(i.published_at, i.first_seen) >= ? AND COALESCE(i.published_at, i.first_seen) < ?)")
            args += [published_from, published_to or "9999"]
        sql = f"""
            SELECT DISTINCT i.id FROM matches m CROSS JOIN items i ON i.id = m.item_id
            WHERE m.dossier IN ({_marks(dossiers)}) AND i.kind IN ({_marks(kinds)}) AND i.first_seen <= ?
              {('AND (' + ' OR '.join(when) + ')') if when else ''}
            ORDER BY i.id
        """
        ids = [r["id"] for r in self.db.query(sql, args)]
        # An item revised since as_of may have matched then and not now: judge its old version.
        revised = [i for i in sorted(self.revised) if i not in ids]
        live = self.items(ids + revised)
        for item_id in revised:
            item, seen = live.get(item_id), self.first_seen(item_id) or ""
            published = (item.published_at if item else None) or seen
            fresh = (seen_from is not None and seen > seen_from and item is not None and seen > self.first_fetch(item.source)) or (
                published_from is not None and published_from <= published < (published_to or "9999")
            )
            if item_id in live and not (fresh or not when):
                del live[item_id]
        wanted = set(dossiers)
        matches = self.matches(list(live))
        return [i for i in live if any(m.dossier in wanted for m in matches[i]) and live[i].kind in kinds]

    def matched_ids(self, dossiers: Iterable[str], kinds: Iterable[str]) -> dict[str, set[str]]:
        """Per dossier, the ids of all items of `kinds` that match it and were live at as_of (cheap: ids only)."""
        dossiers, kinds = list(dossiers), list(kinds)
        out: dict[str, set[str]] = {d: set() for d in dossiers}
        if not dossiers or not kinds:
            return out
        # CROSS JOIN keeps SQLite on this order: from the (few) matches of the dossiers to their
        # items by key. Without statistics it would otherwise scan every item of the kinds.
        sql = f"""
            SELECT m.dossier, m.item_id FROM matches m CROSS JOIN items i ON i.id = m.item_id
            WHERE m.dossier IN ({_marks(dossiers)}) AND i.kind IN ({_marks(kinds)}) AND i.first_seen <= ?
              AND (i.deleted_at IS NULL OR i.deleted_at > ?)
        """
        for row in self.db.query(sql, [*dossiers, *kinds, self.at, self.at]):
            out[row["dossier"]].add(row["item_id"])
        return out

    # ------------------------------------------------------------------ changes

    def changes(self, ids: Iterable[str], since: str | None = None) -> dict[str, list[Change]]:
        """Each item's changes seen after `since` and by as_of, oldest first."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, list[Change]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = f"SELECT * FROM changes WHERE item_id IN ({_marks(chunk)}) AND seen_at <= ?"
            args: list[Any] = [*chunk, self.at]
            if since:
                sql += " AND seen_at > ?"
                args.append(since)
            for change in _flatten(self.db.query(sql + " ORDER BY seen_at, id", args)):
                out.setdefault(change.item_id, []).append(change)
        return out

    def changes_in_period(self, since: str | None = None, after_id: int | None = None) -> dict[str, list[Change]]:
        """Every item's changes after change row `after_id` and/or seen after `since`, up to as_of."""
        sql, args = "SELECT * FROM changes WHERE seen_at <= ?", [self.at]
        if after_id is not None:
            sql += " AND id > ?"
            args.append(after_id)
        if since is not None:
            sql += " AND seen_at > ?"
            args.append(since)
        out: dict[str, list[Change]] = {}
        for change in _flatten(self.db.query(sql + " ORDER BY seen_at, id", args)):
            out.setdefault(change.item_id, []).append(change)
        return out

    def last_change_id(self) -> int:
        """The id of the newest change row known at as_of (0 when none)."""
        row = next(iter(self.db.query("SELECT MAX(id) AS top FROM changes WHERE seen_at <= ?", [self.at])))
        return int(row["top"] or 0)

    # ------------------------------------------------------------------ health

    def health(self, source: str, kind: str, label: str | None = None) -> SourceHealth:
        """A source's health as it stood at as_of (from the fetch log)."""
        current = self.store.health(source, kind, label)
        if not current.last_attempt or current.last_attempt <= self.at:
            return current
        rows = list(self.db.query("SELECT * FROM fetch_log WHERE source = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 200", [source, self.at]))
        if not rows:
            has_log = next(iter(self.db.query("SELECT COUNT(*) AS n FROM fetch_log WHERE source = ?", [source])))["n"]
            if has_log:
                return SourceHealth(source, kind, label, False, None, None, None, 0)  # not fetched yet at as_of
            return current  # a database from before the log: today's is the best we have
        failures = 0
        for row in rows:
            if row["ok"]:
                break
            failures += 1
        success = next((r for r in rows if r["ok"]), None)
        return SourceHealth(
            id=source, kind=kind, label=label, ok=failures == 0 and success is not None, last_attempt=rows[0]["at"],
            last_success=success["at"] if success else None, last_error=rows[0]["error"] if failures else None,
            consecutive_failures=failures, new=int(rows[0]["new"] or 0), changed=int(rows[0]["changed"] or 0),
        )


# ---------------------------------------------------------------------------- schema and migrations


def migrate(db: sqlite_utils.Database) -> None:
    """Create every table the project uses and bring an older database up to date (idempotent).

    `PRAGMA user_version` counts the migrations done: 1 (or 0: the first release did not set it)
    is the first release's schema (core tables only); 2 adds versions, links, the fetch log and
    stored moments, back-filled from the change log; 3 adds a covering index for the match
    stage's "what needs matching"; 4 makes the file browsable (Datasette, sqlite-utils): foreign
    keys from every row that names an item or a moment, full-text search on items and views a
    public-affairs officer reads (see `_version_4`); 5 gives the outbox a channel (mail, webhook)
    and a kind (digest, spoed), every existing row staying a mailed digest (`outbox.ensure_schema`);
    6 adds the werkplek's tables (users, sessions, login failures, the rules log) and the work on
    moments (`monitor.work`), new tables only. On an up-to-date database nothing is written.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        # Opening it would look fine and then write rows an older schema does not describe.
        raise DatabaseError(
            f"the database has schema version {version}, newer than this monitor understands ({SCHEMA_VERSION}); "
            "upgrade monitor (pip install -U monitor) or point --db at another database"
        )
    if version >= SCHEMA_VERSION and "items" in db.table_names():
        return
    from .deliver import outbox  # noqa: PLC0415 - the store creates every table, so reading never writes
    from .sources import tk_store  # noqa: PLC0415

    # These two commit on their own (sqlite-utils' create, executescript), so they run before the
    # transaction below; they only create what is missing and change no row.
    tk_store.ensure_schema(db)
    outbox.ensure_schema(db)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated between our first look and the lock.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION and "items" in db.table_names():
            conn.execute("ROLLBACK")
            return
        existing = "items" in db.table_names()
        # A table is rebuilt (below) while rows still name it: check the keys at COMMIT only.
        conn.execute("PRAGMA defer_foreign_keys = ON")
        for statement in _core_schema():
            conn.execute(statement)
        if existing and version < 2:
            _backfill(db)
        if version < 4 or not existing:
            _version_4(db)
        _version_6(db)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# The tables, by name, as `CREATE TABLE` with a `{name}` to fill in (a rebuild creates the new
# shape under another name first). Foreign keys (schema version 4) say which rows name an item or
# a moment, so Datasette links them. They are enforced (the Store opens with foreign_keys=ON):
# every writer stores the parent first (upsert_item writes the item before its version, change
# and links; the match stage matches stored items; save_moments writes the moment before its
# history, and a moment's meeting is a stored activity) and nothing deletes an item or a moment
# (a deleted item is a tombstone, `deleted_at`). `links.dst` has no foreign key: a zaak names
# meetings and documents that may not have been fetched yet. No ON DELETE action: a hand-made
# DELETE of an item with history fails instead of silently taking the history with it.
_TABLES: dict[str, str] = {
    "items": """
        CREATE TABLE IF NOT EXISTS {name} (
            id TEXT PRIMARY KEY, source TEXT, external_id TEXT, kind TEXT, title TEXT, text TEXT, url TEXT,
            published_at TEXT, event_at TEXT, data TEXT, raw TEXT, hash TEXT,
            first_seen TEXT, last_seen TEXT, last_changed TEXT, deleted_at TEXT
        )""",
    "item_versions": """
        CREATE TABLE IF NOT EXISTS {name} (
            item_id TEXT NOT NULL REFERENCES items (id), seen_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
            kind TEXT, title TEXT, text TEXT, url TEXT, published_at TEXT, event_at TEXT, data TEXT,
            PRIMARY KEY (item_id, seen_at)
        )""",
    "changes": """
        CREATE TABLE IF NOT EXISTS {name} (
            id INTEGER PRIMARY KEY, item_id TEXT REFERENCES items (id), seen_at TEXT, fields TEXT, diff TEXT
        )""",
    "links": """
        CREATE TABLE IF NOT EXISTS {name} (
            src TEXT NOT NULL REFERENCES items (id), rel TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, rel, dst)
        )""",
    "fetch_state": """
        CREATE TABLE IF NOT EXISTS {name} (
            source TEXT PRIMARY KEY, kind TEXT, etag TEXT, last_modified TEXT, cursor TEXT, last_attempt TEXT,
            last_success TEXT, last_error TEXT, last_warning TEXT, consecutive_failures INTEGER, last_new INTEGER, last_changed INTEGER
        )""",
    "fetch_log": """
        CREATE TABLE IF NOT EXISTS {name} (
            id INTEGER PRIMARY KEY, source TEXT NOT NULL, at TEXT NOT NULL, ok INTEGER NOT NULL, error TEXT, new INTEGER, changed INTEGER
        )""",
    "matches": """
        CREATE TABLE IF NOT EXISTS {name} (
            item_id TEXT REFERENCES items (id), dossier TEXT, rule TEXT, terms TEXT, snippet TEXT, priority TEXT,
            rules_version TEXT, matched_at TEXT,
            PRIMARY KEY (item_id, dossier, rule)
        )""",
    "match_state": """
        CREATE TABLE IF NOT EXISTS {name} (
            item_id TEXT PRIMARY KEY REFERENCES items (id), item_hash TEXT, rules_version TEXT, matched_at TEXT
        )""",
    "moments": """
        CREATE TABLE IF NOT EXISTS {name} (
            id TEXT PRIMARY KEY, kind TEXT, dossiers TEXT, meeting TEXT REFERENCES items (id), title TEXT, meeting_start TEXT,
            deadline TEXT, status TEXT, label TEXT, updated_at TEXT
        )""",
    "moment_history": """
        CREATE TABLE IF NOT EXISTS {name} (
            moment_id TEXT NOT NULL REFERENCES moments (id), seen_at TEXT NOT NULL, status TEXT, deadline TEXT, meeting_start TEXT,
            PRIMARY KEY (moment_id, seen_at)
        )""",
    "meta": "CREATE TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY, value TEXT)",
}

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_items_source_first_seen ON items (source, first_seen)",
    "CREATE INDEX IF NOT EXISTS idx_items_kind_event_at ON items (kind, event_at)",
    "CREATE INDEX IF NOT EXISTS idx_items_published_at ON items (published_at)",
    "CREATE INDEX IF NOT EXISTS idx_items_first_seen ON items (first_seen)",
    "CREATE INDEX IF NOT EXISTS idx_items_last_changed ON items (last_changed)",
    "CREATE INDEX IF NOT EXISTS idx_items_match ON items (id, hash, deleted_at)",
    "CREATE INDEX IF NOT EXISTS idx_changes_item_id_seen_at ON changes (item_id, seen_at)",
    "CREATE INDEX IF NOT EXISTS idx_changes_seen_at ON changes (seen_at)",
    "CREATE INDEX IF NOT EXISTS idx_links_dst ON links (dst, rel)",
    "CREATE INDEX IF NOT EXISTS idx_links_rel_src ON links (rel, src)",
    "CREATE INDEX IF NOT EXISTS idx_fetch_log_source_at ON fetch_log (source, at)",
    "CREATE INDEX IF NOT EXISTS idx_matches_dossier ON matches (dossier)",
    # A foreign key's child column is looked up whenever its parent row is updated.
    "CREATE INDEX IF NOT EXISTS idx_moments_meeting ON moments (meeting)",
)

# Rebuilt in this order when they lack their foreign keys: a parent (moments) before its child.
_KEYED_TABLES = ("item_versions", "changes", "links", "matches", "match_state", "moments", "moment_history")

# Full-text search on the title and text of items: an FTS5 index over the `items` rows
# (external content, so the text is not stored twice), kept in step by triggers. The names are
# those sqlite-utils gives (`enable_fts(..., create_triggers=True)`), so its tools and Datasette's
# search box recognise it. The update trigger fires only when the title or text changes: a
# refetch that only touches `last_seen` costs the index nothing. Words are found without their
# accents ("financien" finds "financiën"). The index follows `items` by rowid, which VACUUM keeps;
# should it ever drift: INSERT INTO items_fts (items_fts) VALUES ('rebuild').
_FTS = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5 (
        title, text, content=[items], tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER IF NOT EXISTS items_ai AFTER INSERT ON items BEGIN
        INSERT INTO items_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS items_ad AFTER DELETE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS items_au AFTER UPDATE OF title, text ON items
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
        INSERT INTO items_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END""",
)

# Views for a person browsing the file (Datasette, a spreadsheet). Wording stays in one place:
# a moment's label is the `label` the pipeline stored from `wording.moment_label`, and statuses
# are the stored values ("te laat", "verplaatst"); nothing here words anything itself.
_VIEWS: dict[str, str] = {
    # What matched each dossier, newest first (deleted items left out).
    "dossier_items": """
        SELECT m.dossier, i.kind, i.title, i.url, i.published_at, i.first_seen, m.rule,
               (SELECT group_concat(t.value, ', ') FROM json_each(m.terms) t) AS terms,
               m.snippet, m.priority, i.id AS item_id
        FROM matches m JOIN items i ON i.id = m.item_id
        WHERE i.deleted_at IS NULL
        ORDER BY i.first_seen DESC, m.dossier, i.id""",
    # Actions whose deadline or meeting is today or later, by deadline (as the last run left them).
    "upcoming_moments": """
        SELECT mo.deadline, mo.label, mo.status, mo.title AS meeting, mo.meeting_start,
               (SELECT group_concat(d.value, ', ') FROM json_each(mo.dossiers) d) AS dossiers,
               i.url, mo.kind, mo.updated_at, mo.id AS moment_id, mo.meeting AS meeting_id
        FROM moments mo LEFT JOIN items i ON i.id = mo.meeting
        WHERE max(coalesce(mo.deadline, ''), substr(coalesce(mo.meeting_start, ''), 1, 10)) >= date('now', 'localtime')
        ORDER BY coalesce(mo.deadline, substr(mo.meeting_start, 1, 10)), mo.meeting_start, mo.id""",
    # Meetings that moved, were cancelled or deleted: one row per change, newest first. A status
    # that became Uitgevoerd (the meeting was held) is no news and left out.
    "meeting_changes": """
        SELECT c.seen_at, i.title AS meeting,
               json_extract(c.diff, '$.datum[0]') AS date_was, json_extract(c.diff, '$.datum[1]') AS date_now,
               json_extract(c.diff, '$.aanvangstijd[0]') AS start_was, json_extract(c.diff, '$.aanvangstijd[1]') AS start_now,
               json_extract(c.diff, '$.status[0]') AS status_was, json_extract(c.diff, '$.status[1]') AS status_now,
               json_extract(c.diff, '$.verwijderd[1]') AS deleted,
               c.fields, i.event_at, i.url, i.id AS item_id, c.id AS change_id
        FROM changes c JOIN items i ON i.id = c.item_id
        WHERE i.kind = 'activiteit'
          AND (c.fields LIKE '%datum%' OR c.fields LIKE '%aanvangstijd%' OR c.fields LIKE '%verwijderd%'
               OR (c.fields LIKE '%status%' AND lower(trim(coalesce(json_extract(c.diff, '$.status[1]'), ''))) != 'uitgevoerd'))
        ORDER BY c.seen_at DESC, c.id DESC""",
}


def _core_schema() -> list[str]:
    """The statements that create the core tables and their indexes where missing."""
    return [ddl.format(name=name) for name, ddl in _TABLES.items()] + list(_INDEXES)


def _version_4(db: sqlite_utils.Database) -> None:
    """Foreign keys, full-text search and views (inside the migration's transaction).

    SQLite cannot add a foreign key to a table: a table without its keys is created anew under
    another name, filled with every row, and takes the old one's place with its indexes.
    """
    conn = db.conn
    for name in _VIEWS:  # a rename checks every view: drop them while tables move
        conn.execute(f"DROP VIEW IF EXISTS {name}")
    rebuilt = [table for table in _KEYED_TABLES if not conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()]
    for table in rebuilt:
        _rebuild(conn, table)
    for statement in _INDEXES:
        conn.execute(statement)
    for table in rebuilt:
        orphans = conn.execute(f"PRAGMA foreign_key_check({table})").fetchall()
        if orphans:
            # Only a hand-edited file gets here (monitor never deletes an item or a moment).
            # Better to say so, with nothing changed, than to drop rows or leave keys undeclared.
            raise DatabaseError(
                f"the database cannot be upgraded: {len(orphans)} row(s) of {table} name a row of {orphans[0][2]} that is not there "
                f"(sqlite3 <db> 'PRAGMA foreign_key_check({table})' lists them); nothing was changed"
            )
    fresh = "items_fts" not in db.table_names()
    for statement in _FTS:
        conn.execute(statement)
    if fresh:
        conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
    for name, sql in _VIEWS.items():
        conn.execute(f"CREATE VIEW {name} AS {sql}")


def _version_6(db: sqlite_utils.Database) -> None:
    """The werkplek's tables and the work on moments: created where missing, no row changed."""
    from . import work  # noqa: PLC0415 - like the outbox, they own their tables' shape
    from .web import accounts  # noqa: PLC0415

    accounts.ensure_schema(db)
    work.ensure_schema(db)


def _rebuild(conn: sqlite3.Connection, table: str) -> None:
    """Give `table` the shape `_TABLES` declares, keeping every row, column and index it has."""
    indexes = [
        sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])
    ]
    temporary = f"{table}_v{SCHEMA_VERSION}"
    conn.execute(_TABLES[table].format(name=temporary))
    old = {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")}
    new = {row[1] for row in conn.execute(f"PRAGMA table_info({temporary})")}
    for column, kind in old.items():
        if column not in new:  # a column added by hand stays
            conn.execute(f'ALTER TABLE {temporary} ADD COLUMN "{column}" {kind}')
    columns = ", ".join(f'"{c}"' for c in old)
    conn.execute(f"INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {temporary} RENAME TO {table}")
    for sql in indexes:
        conn.execute(sql)


def _backfill(db: sqlite_utils.Database) -> None:
    """Versions and links for items stored before they were kept: rebuilt from the change log."""
    for row in db.query("SELECT * FROM items"):
        item = row_to_item(row)
        rows = list(db.query("SELECT * FROM changes WHERE item_id = ? ORDER BY seen_at DESC, id DESC", [item.id]))
        versions: list[tuple[str, Item, bool]] = [(row["last_changed"] or row["first_seen"], item, bool(row["deleted_at"]))]
        current = item
        deleted = bool(row["deleted_at"])
        for change in rows:
            current, deleted = _revert(current, deleted, json.loads(change["diff"]))
            versions.append((change["seen_at"], current, deleted))
        # Each version holds from the change that produced it; the oldest from first_seen.
        starts = [r["seen_at"] for r in rows] + [row["first_seen"]]
        for (_, version, gone), start in zip(versions, starts):
            db.execute(
                "INSERT OR REPLACE INTO item_versions (item_id, seen_at, deleted, kind, title, text, url, published_at, event_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [item.id, start or "", int(gone), version.kind, version.title, version.text, version.url, version.published_at,
                 version.event_at, _item_columns(version)["data"]],
            )
        for rel, dst in item.links():
            db.execute("INSERT OR IGNORE INTO links (src, rel, dst) VALUES (?, ?, ?)", [item.id, rel, dst])


def _revert(item: Item, deleted: bool, diff: dict[str, list[Any]]) -> tuple[Item, bool]:
    data = dict(item.data)
    fields = {name: getattr(item, name) for name in TRACKED_FIELDS}
    for name, (old, _new) in diff.items():
        if name == "verwijderd":
            deleted = old == "ja"
        elif name in TRACKED_FIELDS:
            fields[name] = old
        else:
            key = name[5:] if name.startswith("data.") else name
            data[key] = _untext(old, data.get(key))
    return Item(source=item.source, external_id=item.external_id, data=data, raw=item.raw, **fields), deleted


def _untext(value: str | None, like: Any) -> Any:
    # The change log keeps non-text values as JSON text; read them back the way the current value is typed.
    if value is None or (isinstance(like, str) and not value.startswith(("[", "{"))):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# ---------------------------------------------------------------------------- rows


def row_to_item(row: dict[str, Any]) -> Item:
    """Turn an `items` row back into an Item."""
    return Item(
        source=row["source"],
        external_id=row["external_id"],
        kind=row["kind"],
        title=row["title"] or "",
        text=row["text"] or "",
        url=row["url"],
        published_at=row["published_at"],
        event_at=row["event_at"],
        data=json.loads(row["data"]) if row["data"] else {},
        raw=row.get("raw") or "",
    )


def _item_columns(item: Item) -> dict[str, Any]:
    columns = asdict(item)
    columns["id"] = item.id
    columns["data"] = json.dumps(item.data, sort_keys=True, ensure_ascii=False, default=str)
    return columns


def _diff(old: Item, new: Item) -> dict[str, tuple[Any, Any]]:
    diff: dict[str, tuple[Any, Any]] = {}
    for name in TRACKED_FIELDS:
        if getattr(old, name) != getattr(new, name):
            diff[name] = (getattr(old, name), getattr(new, name))
    for key in sorted(set(old.data) | set(new.data)):
        if key not in old.data:
            # A key the builder did not write before (a field added in an upgrade) is no change
            # of the Kamer's: "nieuwe noot" for a note that was always there would be news that isn't.
            continue
        before, after = old.data.get(key), new.data.get(key)
        if before != after:
            # A data key named like a column would shadow it in the log; prefix it instead.
            diff[f"data.{key}" if key in TRACKED_FIELDS else key] = (before, after)
    return diff


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _flatten(rows: Iterable[dict[str, Any]]) -> list[Change]:
    out: list[Change] = []
    for row in rows:
        for name, (old, new) in json.loads(row["diff"]).items():
            out.append(Change(row["item_id"], name, old, new, row["seen_at"]))
    return out


def _row_to_match(row: dict[str, Any]) -> Match:
    return Match(
        item_id=row["item_id"],
        dossier=row["dossier"],
        rule=row["rule"],
        terms=json.loads(row["terms"]) if row["terms"] else [],
        snippet=row["snippet"] or "",
        priority=row["priority"],
    )


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)
