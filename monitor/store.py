"""The database: the contract between the stages.

One SQLite file (WAL mode, so a report can read while a fetch writes). Core tables:

- `items`: one row per fetched thing, keyed `source:external_id`, raw payload kept.
- `changes`: one row per detected change of an item, listing each field old -> new.
- `fetch_state`: per source: ETag/Last-Modified, cursor, health.
- `matches` / `match_state`: which dossier rules matched which item, under which rules version.

Stage modules that need tables of their own (the Kamer entity store, the outbox) create them
through `Store.db` in their own `ensure_schema` functions, next to the code that uses them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlite_utils

from .models import TRACKED_FIELDS, Change, Item, Match, SourceHealth

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


class Store:
    """Typed access to the monitor database. Writes are transactional per call."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=30000")
        ensure_schema(self.db)

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        try:
            self.db.conn.close()
        except sqlite3.ProgrammingError:
            pass

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so a crash leaves either all or none of them."""
        with self.db.conn:
            yield

    # ---------------------------------------------------------------- items

    def upsert_item(self, item: Item, seen_at: str) -> str:
        """Store an item; return NEW, CHANGED or UNCHANGED.

        Identical content writes nothing but `last_seen`. Changed content updates the row and
        writes one `changes` row listing each changed field (title, dates, and every key of
        `data`, such as status or datum) with its old and new value.
        """
        digest = item.content_hash()
        existing = self._row(item.id)
        with self.transaction():
            if existing is None:
                self.db["items"].insert(
                    {
                        **_item_columns(item),
                        "hash": digest,
                        "first_seen": seen_at,
                        "last_seen": seen_at,
                        "last_changed": seen_at,
                        "deleted_at": None,
                    }
                )
                return NEW
            if existing["hash"] == digest and existing["deleted_at"] is None:
                self.db.execute("UPDATE items SET last_seen = ? WHERE id = ?", [seen_at, item.id])
                return UNCHANGED
            diff = _diff(row_to_item(existing), item)
            if existing["deleted_at"] is not None:
                diff["verwijderd"] = ("ja", "nee")
            self.db["items"].update(
                item.id,
                {
                    **_item_columns(item),
                    "hash": digest,
                    "last_seen": seen_at,
                    "last_changed": seen_at,
                    "deleted_at": None,
                },
            )
            if diff:
                self._record_change(item.id, diff, seen_at)
            return CHANGED

    def mark_deleted(self, item_id: str, seen_at: str) -> bool:
        """Record that the source deleted an item (a tombstone). Returns False if unknown or already gone."""
        existing = self._row(item_id)
        if existing is None or existing["deleted_at"] is not None:
            return False
        with self.transaction():
            self.db["items"].update(item_id, {"deleted_at": seen_at, "last_changed": seen_at})
            self._record_change(item_id, {"verwijderd": ("nee", "ja")}, seen_at)
        return True

    def get_item(self, item_id: str) -> Item | None:
        """The stored item, or None."""
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
            clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            args.extend(kinds)
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        if where:
            clauses.append(f"({where})")
            args.extend(params or [])
        sql = "SELECT * FROM items"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id"
        for row in self.db.query(sql, args):
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
        sql += " ORDER BY seen_at, id"
        out: list[Change] = []
        for row in self.db.query(sql, args):
            for name, (old, new) in json.loads(row["diff"]).items():
                out.append(Change(item_id, name, old, new, row["seen_at"]))
        return out

    def changed_item_ids(self, since: str) -> list[str]:
        """Items with a change recorded after `since`."""
        return [
            row["item_id"]
            for row in self.db.query(
                "SELECT DISTINCT item_id FROM changes WHERE seen_at > ? ORDER BY item_id", [since]
            )
        ]

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
        self.save_state(
            source,
            kind=kind,
            last_attempt=at,
            last_success=at,
            last_error=None,
            last_warning=warning,
            consecutive_failures=0,
            last_new=new,
            last_changed=changed,
        )

    def record_failure(self, source: str, kind: str, at: str, error: str, new: int = 0, changed: int = 0) -> None:
        """A fetch of `source` failed (perhaps partly: `new`/`changed` still count); count consecutive failures."""
        failures = int(self.get_state(source).get("consecutive_failures") or 0) + 1
        self.save_state(
            source,
            kind=kind,
            last_attempt=at,
            last_error=error,
            consecutive_failures=failures,
            last_new=new,
            last_changed=changed,
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
        sql = """
            SELECT items.* FROM items
            LEFT JOIN match_state ON match_state.item_id = items.id
            WHERE items.deleted_at IS NULL
              AND (match_state.item_id IS NULL
                   OR match_state.item_hash != items.hash
                   OR match_state.rules_version != ?)
            ORDER BY items.id
        """
        for row in self.db.query(sql, [rules_version]):
            yield row_to_item(row)

    def replace_matches(self, item: Item, matches: list[Match], rules_version: str, at: str) -> None:
        """Replace an item's matches with a fresh set computed under `rules_version`."""
        with self.transaction():
            self.db.execute("DELETE FROM matches WHERE item_id = ?", [item.id])
            if matches:
                self.db["matches"].insert_all(
                    {
                        "item_id": m.item_id,
                        "dossier": m.dossier,
                        "rule": m.rule,
                        "terms": json.dumps(m.terms, ensure_ascii=False),
                        "snippet": m.snippet,
                        "priority": m.priority,
                        "rules_version": rules_version,
                        "matched_at": at,
                    }
                    for m in matches
                )
            self.db["match_state"].upsert(
                {"item_id": item.id, "item_hash": item.content_hash(), "rules_version": rules_version, "matched_at": at},
                pk="item_id",
            )

    def matches_for(self, item_id: str) -> list[Match]:
        """The stored matches of an item."""
        return [_row_to_match(r) for r in self.db.query("SELECT * FROM matches WHERE item_id = ? ORDER BY dossier, rule", [item_id])]

    def matched_item_ids(self, dossiers: Iterable[str] | None = None) -> list[str]:
        """Ids of non-deleted items that match any (or the given) dossiers."""
        sql = "SELECT DISTINCT m.item_id FROM matches m JOIN items i ON i.id = m.item_id WHERE i.deleted_at IS NULL"
        args: list[Any] = []
        if dossiers is not None:
            dossiers = list(dossiers)
            sql += f" AND m.dossier IN ({', '.join('?' for _ in dossiers)})"
            args.extend(dossiers)
        return [r["item_id"] for r in self.db.query(sql + " ORDER BY m.item_id", args)]

    def all_matches(self) -> dict[str, list[Match]]:
        """Every stored match, grouped by item id."""
        grouped: dict[str, list[Match]] = {}
        for row in self.db.query("SELECT * FROM matches ORDER BY item_id, dossier, rule"):
            grouped.setdefault(row["item_id"], []).append(_row_to_match(row))
        return grouped

    # ---------------------------------------------------------------- meta

    def get_meta(self, key: str) -> str | None:
        """A small named value (e.g. the last digest time)."""
        rows = list(self.db.query("SELECT value FROM meta WHERE key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a small named value."""
        with self.transaction():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the core tables and indexes if they do not exist yet (idempotent)."""
    if "items" not in db.table_names():
        db["items"].create(
            {
                "id": str,
                "source": str,
                "external_id": str,
                "kind": str,
                "title": str,
                "text": str,
                "url": str,
                "published_at": str,
                "event_at": str,
                "data": str,
                "raw": str,
                "hash": str,
                "first_seen": str,
                "last_seen": str,
                "last_changed": str,
                "deleted_at": str,
            },
            pk="id",
        )
        db["items"].create_index(["source"])
        db["items"].create_index(["kind", "event_at"])
        db["items"].create_index(["published_at"])
    if "changes" not in db.table_names():
        db["changes"].create(
            {"id": int, "item_id": str, "seen_at": str, "fields": str, "diff": str},
            pk="id",
        )
        db["changes"].create_index(["item_id", "seen_at"])
        db["changes"].create_index(["seen_at"])
    if "fetch_state" not in db.table_names():
        db["fetch_state"].create(
            {
                "source": str,
                "kind": str,
                "etag": str,
                "last_modified": str,
                "cursor": str,
                "last_attempt": str,
                "last_success": str,
                "last_error": str,
                "last_warning": str,
                "consecutive_failures": int,
                "last_new": int,
                "last_changed": int,
            },
            pk="source",
        )
    if "matches" not in db.table_names():
        db["matches"].create(
            {
                "item_id": str,
                "dossier": str,
                "rule": str,
                "terms": str,
                "snippet": str,
                "priority": str,
                "rules_version": str,
                "matched_at": str,
            },
            pk=("item_id", "dossier", "rule"),
        )
        db["matches"].create_index(["dossier"])
    if "match_state" not in db.table_names():
        db["match_state"].create(
            {"item_id": str, "item_hash": str, "rules_version": str, "matched_at": str}, pk="item_id"
        )
    if "meta" not in db.table_names():
        db["meta"].create({"key": str, "value": str}, pk="key")


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
        raw=row["raw"] or "",
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
        before, after = old.data.get(key), new.data.get(key)
        if before != after:
            # A data key named like a column would shadow it in the log; prefix it instead.
            diff[f"data.{key}" if key in TRACKED_FIELDS else key] = (before, after)
    return diff


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _row_to_match(row: dict[str, Any]) -> Match:
    return Match(
        item_id=row["item_id"],
        dossier=row["dossier"],
        rule=row["rule"],
        terms=json.loads(row["terms"]) if row["terms"] else [],
        snippet=row["snippet"] or "",
        priority=row["priority"],
    )
