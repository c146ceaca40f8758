"""The store: idempotent upserts, one change row per change, tombstones, matches, fetch state, migrations."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import datetime

import pytest

from monitor.models import Item, Match
from monitor.store import CHANGED, NEW, SCHEMA_VERSION, UNCHANGED, DatabaseError, Store
from monitor.timeutil import AMS


def _activity(**data):
    base = {"soort": "Commissiedebat", "status": "Gepland", "datum": "2026-12-03", "aanvangstijd": "2026-12-03T13:00:00+01:00"}
    base.update(data)
    return Item(
        source="tk",
        external_id="activiteit/a1",
        kind="activiteit",
        title="Jeugdbeleid",
        text="Commissiedebat Jeugdbeleid",
        event_at=base["aanvangstijd"],
        data=base,
        raw="<xml/>",
    )


def test_identical_refetch_writes_nothing(tmp_path):
    store = Store(tmp_path / "m.db")
    assert store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00") == NEW
    assert store.upsert_item(_activity(), "2026-11-23T08:15:00+01:00") == UNCHANGED
    assert store.count_items() == 1
    assert store.db["changes"].count == 0
    assert store.item_row("tk:activiteit/a1")["last_seen"] == "2026-11-23T08:15:00+01:00"
    assert store.item_row("tk:activiteit/a1")["first_seen"] == "2026-11-23T08:00:00+01:00"


def test_a_change_writes_one_row_naming_each_field(tmp_path):
    store = Store(tmp_path / "m.db")
    store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00")
    moved = _activity(datum="2026-12-17", aanvangstijd="2026-12-17T13:00:00+01:00", status="Verplaatst")
    assert store.upsert_item(moved, "2026-11-24T08:00:00+01:00") == CHANGED
    assert store.db["changes"].count == 1
    changes = {c.field: (c.old, c.new) for c in store.changes_for("tk:activiteit/a1")}
    assert changes["datum"] == ("2026-12-03", "2026-12-17")
    assert changes["status"] == ("Gepland", "Verplaatst")
    assert changes["event_at"] == ("2026-12-03T13:00:00+01:00", "2026-12-17T13:00:00+01:00")
    # Applying the same new state again records nothing more.
    assert store.upsert_item(moved, "2026-11-24T09:00:00+01:00") == UNCHANGED
    assert store.db["changes"].count == 1


def test_raw_payload_noise_is_not_a_change(tmp_path):
    store = Store(tmp_path / "m.db")
    store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00")
    noisy = _activity()
    noisy.raw = "<xml fetched='later'/>"
    assert store.upsert_item(noisy, "2026-11-23T09:00:00+01:00") == UNCHANGED


def test_tombstone_hides_item_and_is_recorded(tmp_path):
    store = Store(tmp_path / "m.db")
    store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00")
    assert store.mark_deleted("tk:activiteit/a1", "2026-11-23T10:00:00+01:00")
    assert not store.mark_deleted("tk:activiteit/a1", "2026-11-23T11:00:00+01:00")
    assert list(store.iter_items()) == []
    assert [c.field for c in store.changes_for("tk:activiteit/a1")] == ["verwijderd"]
    # It may come back: that is a change too.
    assert store.upsert_item(_activity(), "2026-11-23T12:00:00+01:00") == CHANGED
    assert len(list(store.iter_items())) == 1


def test_matches_are_replaced_and_track_rules_version(tmp_path):
    store = Store(tmp_path / "m.db")
    item = _activity()
    store.upsert_item(item, "2026-11-23T08:00:00+01:00")
    assert [i.id for i in store.items_needing_match("v1")] == [item.id]
    store.replace_matches(item, [Match(item.id, "jeugd", "kern", ["Jeugdbeleid"], "«Jeugdbeleid»")], "v1", "t")
    assert list(store.items_needing_match("v1")) == []
    assert [i.id for i in store.items_needing_match("v2")] == [item.id]
    store.replace_matches(item, [], "v2", "t")
    assert store.matches_for(item.id) == []
    assert store.matched_item_ids() == []


def test_fetch_state_roundtrip_and_health(tmp_path):
    store = Store(tmp_path / "m.db")
    store.save_state("skipr", etag='"x"', cursor={"url": "https://s/", "n": 1})
    assert store.get_state("skipr")["cursor"] == {"url": "https://s/", "n": 1}
    store.record_failure("skipr", "feed", "2026-11-23T08:00:00+01:00", "HTTP 500")
    store.record_failure("skipr", "feed", "2026-11-23T08:30:00+01:00", "HTTP 500")
    health = store.health("skipr", "feed")
    assert not health.ok and health.consecutive_failures == 2 and health.last_error == "HTTP 500"
    store.record_success("skipr", "feed", "2026-11-23T09:00:00+01:00", 3, 1)
    health = store.health("skipr", "feed")
    assert health.ok and health.new == 3 and health.consecutive_failures == 0
    assert store.get_state("skipr")["etag"] == '"x"'


def test_data_survives_roundtrip(tmp_path):
    store = Store(tmp_path / "m.db")
    item = _activity(agendapunten=[{"id": "ap1", "onderwerp": "Brief over jeugdzorg"}])
    store.upsert_item(item, "t")
    again = store.get_item(item.id)
    assert again == item
    assert json.loads(store.item_row(item.id)["data"])["agendapunten"][0]["id"] == "ap1"


def test_a_meeting_is_parsed_once_for_read_items_and_afresh_for_items_being_built(tmp_path):
    from monitor.models import Meeting

    store = Store(tmp_path / "m.db")
    building = _activity()
    first = Meeting.from_item(building)
    building.data["status"] = "Geannuleerd"  # an item being built may still change
    assert Meeting.from_item(building).status != first.status
    store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00")
    read = store.view(datetime(2026, 11, 24, tzinfo=AMS)).item("tk:activiteit/a1")
    assert Meeting.from_item(read) is Meeting.from_item(read)


def test_a_field_the_builder_did_not_write_before_is_no_change(tmp_path):
    # A database from before `noot` was stored: the next rebuild adds the key with the note that
    # was always there. That is not "nieuwe noot" news.
    store = Store(tmp_path / "m.db")
    store.upsert_item(_activity(), "2026-11-23T08:00:00+01:00")
    assert store.upsert_item(_activity(noot="Spreektijd 4 minuten"), "2026-11-24T08:00:00+01:00") == CHANGED
    diffs = [json.loads(r["diff"]) for r in store.db.query("SELECT diff FROM changes")]
    assert all("noot" not in d for d in diffs)
    # Once the key is there, a changed note is a change.
    store.upsert_item(_activity(noot="Spreektijd 5 minuten"), "2026-11-25T08:00:00+01:00")
    diffs = [json.loads(r["diff"]) for r in store.db.query("SELECT diff FROM changes")]
    assert {"noot": ["Spreektijd 4 minuten", "Spreektijd 5 minuten"]} in diffs


# ---------------------------------------------------------------------------- migrations

# The first release's schema, as its `ensure_schema` functions had sqlite-utils write it (store,
# outbox and calendar at commit 8a5b191, the last before schema version 2; the Kamer tables are
# that commit's tk_store DDL). It never set PRAGMA user_version: such a file reads 0.
FIRST_RELEASE_SCHEMA = """
CREATE TABLE "items" (
   "id" TEXT PRIMARY KEY, "source" TEXT, "external_id" TEXT, "kind" TEXT, "title" TEXT, "text" TEXT, "url" TEXT,
   "published_at" TEXT, "event_at" TEXT, "data" TEXT, "raw" TEXT, "hash" TEXT,
   "first_seen" TEXT, "last_seen" TEXT, "last_changed" TEXT, "deleted_at" TEXT
);
CREATE INDEX "idx_items_source" ON "items" ("source");
CREATE INDEX "idx_items_kind_event_at" ON "items" ("kind", "event_at");
CREATE INDEX "idx_items_published_at" ON "items" ("published_at");
CREATE TABLE "changes" ("id" INTEGER PRIMARY KEY, "item_id" TEXT, "seen_at" TEXT, "fields" TEXT, "diff" TEXT);
CREATE INDEX "idx_changes_item_id_seen_at" ON "changes" ("item_id", "seen_at");
CREATE INDEX "idx_changes_seen_at" ON "changes" ("seen_at");
CREATE TABLE "fetch_state" (
   "source" TEXT PRIMARY KEY, "kind" TEXT, "etag" TEXT, "last_modified" TEXT, "cursor" TEXT, "last_attempt" TEXT,
   "last_success" TEXT, "last_error" TEXT, "last_warning" TEXT, "consecutive_failures" INTEGER, "last_new" INTEGER,
   "last_changed" INTEGER
);
CREATE TABLE "matches" (
   "item_id" TEXT, "dossier" TEXT, "rule" TEXT, "terms" TEXT, "snippet" TEXT, "priority" TEXT, "rules_version" TEXT,
   "matched_at" TEXT,
   PRIMARY KEY ("item_id", "dossier", "rule")
);
CREATE INDEX "idx_matches_dossier" ON "matches" ("dossier");
CREATE TABLE "match_state" ("item_id" TEXT PRIMARY KEY, "item_hash" TEXT, "rules_version" TEXT, "matched_at" TEXT);
CREATE TABLE "meta" ("key" TEXT PRIMARY KEY, "value" TEXT);
CREATE TABLE "digest_outbox" (
   "id" TEXT PRIMARY KEY, "recipient" TEXT, "subject" TEXT, "message_id" TEXT, "created_at" TEXT, "status" TEXT,
   "attempts" INTEGER, "last_attempt" TEXT, "last_error" TEXT, "sent_at" TEXT, "empty" INTEGER, "message" TEXT
);
CREATE INDEX "idx_digest_outbox_status_created_at" ON "digest_outbox" ("status", "created_at");
CREATE INDEX "idx_digest_outbox_recipient" ON "digest_outbox" ("recipient");
CREATE TABLE "digest_recipients" ("recipient" TEXT PRIMARY KEY, "first_at" TEXT, "change_cursor" INTEGER, "last_digest_at" TEXT);
CREATE TABLE "digest_covered" ("recipient" TEXT, "key" TEXT, "outbox_id" TEXT, "at" TEXT, PRIMARY KEY ("recipient", "key"));
CREATE TABLE "digest_audit" (
   "id" INTEGER PRIMARY KEY, "outbox_id" TEXT, "recipient" TEXT, "at" TEXT, "section" TEXT, "dossier" TEXT, "ref" TEXT,
   "title" TEXT, "reason" TEXT
);
CREATE INDEX "idx_digest_audit_outbox_id" ON "digest_audit" ("outbox_id");
CREATE INDEX "idx_digest_audit_recipient_at" ON "digest_audit" ("recipient", "at");
CREATE TABLE "digest_events" ("id" INTEGER PRIMARY KEY, "outbox_id" TEXT, "at" TEXT, "event" TEXT, "detail" TEXT);
CREATE INDEX "idx_digest_events_outbox_id" ON "digest_events" ("outbox_id");
CREATE TABLE "calendar_events" (
   "uid" TEXT PRIMARY KEY, "fingerprint" TEXT, "sequence" INTEGER, "stamp" TEXT, "dossiers" TEXT, "day" TEXT, "ical" TEXT,
   "gone" INTEGER
);
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

# Schema version 3 (the core tables as `_core_schema` wrote them before version 4); version 2 is
# the same without idx_items_match.
VERSION_3_SCHEMA = """
CREATE TABLE items (
    id TEXT PRIMARY KEY, source TEXT, external_id TEXT, kind TEXT, title TEXT, text TEXT, url TEXT,
    published_at TEXT, event_at TEXT, data TEXT, raw TEXT, hash TEXT,
    first_seen TEXT, last_seen TEXT, last_changed TEXT, deleted_at TEXT
);
CREATE INDEX idx_items_source_first_seen ON items (source, first_seen);
CREATE INDEX idx_items_kind_event_at ON items (kind, event_at);
CREATE INDEX idx_items_published_at ON items (published_at);
CREATE INDEX idx_items_first_seen ON items (first_seen);
CREATE INDEX idx_items_last_changed ON items (last_changed);
CREATE INDEX idx_items_match ON items (id, hash, deleted_at);
CREATE TABLE item_versions (
    item_id TEXT NOT NULL, seen_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    kind TEXT, title TEXT, text TEXT, url TEXT, published_at TEXT, event_at TEXT, data TEXT,
    PRIMARY KEY (item_id, seen_at)
);
CREATE TABLE changes (id INTEGER PRIMARY KEY, item_id TEXT, seen_at TEXT, fields TEXT, diff TEXT);
CREATE INDEX idx_changes_item_id_seen_at ON changes (item_id, seen_at);
CREATE INDEX idx_changes_seen_at ON changes (seen_at);
CREATE TABLE links (src TEXT NOT NULL, rel TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, rel, dst));
CREATE INDEX idx_links_dst ON links (dst, rel);
CREATE INDEX idx_links_rel_src ON links (rel, src);
CREATE TABLE fetch_state (
    source TEXT PRIMARY KEY, kind TEXT, etag TEXT, last_modified TEXT, cursor TEXT, last_attempt TEXT,
    last_success TEXT, last_error TEXT, last_warning TEXT, consecutive_failures INTEGER, last_new INTEGER, last_changed INTEGER
);
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, at TEXT NOT NULL, ok INTEGER NOT NULL, error TEXT, new INTEGER, changed INTEGER
);
CREATE INDEX idx_fetch_log_source_at ON fetch_log (source, at);
CREATE TABLE matches (
    item_id TEXT, dossier TEXT, rule TEXT, terms TEXT, snippet TEXT, priority TEXT, rules_version TEXT, matched_at TEXT,
    PRIMARY KEY (item_id, dossier, rule)
);
CREATE INDEX idx_matches_dossier ON matches (dossier);
CREATE TABLE match_state (item_id TEXT PRIMARY KEY, item_hash TEXT, rules_version TEXT, matched_at TEXT);
CREATE TABLE moments (
    id TEXT PRIMARY KEY, kind TEXT, dossiers TEXT, meeting TEXT, title TEXT, meeting_start TEXT,
    deadline TEXT, status TEXT, label TEXT, updated_at TEXT
);
CREATE TABLE moment_history (
    moment_id TEXT NOT NULL, seen_at TEXT NOT NULL, status TEXT, deadline TEXT, meeting_start TEXT,
    PRIMARY KEY (moment_id, seen_at)
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""

T0, T1, T2 = "2026-11-20T08:00:00+01:00", "2026-11-24T08:00:00+01:00", "2026-11-25T08:00:00+01:00"
MEETING_ID, ZAAK_ID, GONE_ID = "tk:activiteit/a1", "tk:zaak/z1", "tk:activiteit/a2"


def _zaak() -> Item:
    return Item(
        source="tk", external_id="zaak/z1", kind="zaak", title="Wijziging van de Jeugdwet",
        text="Wetsvoorstel over de financiën van gemeenten voor jeugdzorg", url="https://www.tweedekamer.nl/z1",
        published_at="2026-11-18T10:00:00+01:00", data={"id": "z1", "soort": "Wetgeving", "activiteit_ids": ["a1"]}, raw="<zaak/>",
    )


def _item_row(item: Item, first_seen: str, last_changed: str, deleted_at: str | None = None) -> dict:
    columns = {k: v for k, v in asdict(item).items()}
    columns["data"] = json.dumps(item.data, sort_keys=True, ensure_ascii=False)
    return {
        **columns, "id": item.id, "hash": item.content_hash(), "first_seen": first_seen, "last_seen": T2,
        "last_changed": last_changed, "deleted_at": deleted_at,
    }


def _insert(conn: sqlite3.Connection, table: str, row: dict) -> None:
    conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def _moved_meeting_rows(conn: sqlite3.Connection) -> None:
    """A meeting moved from 3 to 10 December (seen on T1), a zaak on it, a meeting deleted on T2."""
    moved = _activity(datum="2026-12-10", aanvangstijd="2026-12-10T13:00:00+01:00")
    _insert(conn, "items", _item_row(moved, T0, T1))
    _insert(conn, "items", _item_row(_zaak(), T0, T0))
    gone = _activity(soort="Procedurevergadering")
    gone.external_id = "activiteit/a2"
    _insert(conn, "items", _item_row(gone, T0, T2, deleted_at=T2))
    start = ["2026-12-03T13:00:00+01:00", "2026-12-10T13:00:00+01:00"]
    diff = {"event_at": start, "aanvangstijd": start, "datum": ["2026-12-03", "2026-12-10"]}
    _insert(conn, "changes", {"item_id": MEETING_ID, "seen_at": T1, "fields": ",".join(diff), "diff": json.dumps(diff)})
    _insert(conn, "changes", {"item_id": GONE_ID, "seen_at": T2, "fields": "verwijderd", "diff": json.dumps({"verwijderd": ["nee", "ja"]})})
    for item_id, dossier in ((MEETING_ID, "jeugd"), (ZAAK_ID, "jeugd"), (ZAAK_ID, "financien")):
        _insert(conn, "matches", {"item_id": item_id, "dossier": dossier, "rule": "kern", "terms": '["jeugdzorg"]', "snippet": "«jeugdzorg»",
                                  "priority": None, "rules_version": "v1", "matched_at": T1})
    for item_id in (MEETING_ID, ZAAK_ID):
        _insert(conn, "match_state", {"item_id": item_id, "item_hash": "h", "rules_version": "v1", "matched_at": T1})
    _insert(conn, "fetch_state", {"source": "tk", "kind": "tk", "last_attempt": T2, "last_success": T2, "consecutive_failures": 0})
    _insert(conn, "meta", {"key": "last_digest", "value": T1})


def _first_release_db(path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")  # the first release's Store turned it on
    conn.executescript(FIRST_RELEASE_SCHEMA)
    _moved_meeting_rows(conn)
    _insert(conn, "digest_outbox", {"id": "o1", "recipient": "pa@gemeente.nl", "subject": "Kamerwatch", "message_id": "<o1@m>",
                                    "created_at": T1, "status": "sent", "attempts": 1, "last_attempt": T1, "sent_at": T1, "empty": 0,
                                    "message": "Subject: Kamerwatch\n\nJeugdzorg"})
    _insert(conn, "digest_recipients", {"recipient": "pa@gemeente.nl", "first_at": T0, "change_cursor": 1, "last_digest_at": T1})
    _insert(conn, "digest_covered", {"recipient": "pa@gemeente.nl", "key": f"item:{ZAAK_ID}", "outbox_id": "o1", "at": T1})
    _insert(conn, "digest_audit", {"outbox_id": "o1", "recipient": "pa@gemeente.nl", "at": T1, "section": "nieuw", "dossier": "jeugd",
                                   "ref": ZAAK_ID, "title": "Wijziging van de Jeugdwet", "reason": "kern: jeugdzorg"})
    _insert(conn, "digest_events", {"outbox_id": "o1", "at": T1, "event": "sent", "detail": None})
    _insert(conn, "calendar_events", {"uid": "a1@monitor", "fingerprint": "f", "sequence": 1, "stamp": T1, "dossiers": '["jeugd"]',
                                      "day": "2026-12-10", "ical": "BEGIN:VEVENT\nEND:VEVENT", "gone": 0})
    _insert(conn, "tk_entities", {"category": "Zaak", "id": "z1", "skiptoken": 7, "updated": T0, "fields": '{"titel": "Jeugdwet"}'})
    _insert(conn, "tk_cursor", {"source": "tk", "category": "Zaak", "skiptoken": 7, "start_mode": "full", "started_at": T0, "entries": 1, "pages": 1})
    conn.commit()
    conn.close()


def _version_3_db(path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(VERSION_3_SCHEMA)
    if version == 2:
        conn.execute("DROP INDEX idx_items_match")
    _moved_meeting_rows(conn)
    # Versions as a version-3 store kept them. The back-fill would rebuild the meeting's first
    # version from the change log; this one says 'Eerste versie' so a second back-fill shows.
    first = _activity(datum="2026-12-03")
    first.title = "Eerste versie"
    kept = ((MEETING_ID, T0, first, 0), (MEETING_ID, T1, _activity(datum="2026-12-10"), 0), (ZAAK_ID, T0, _zaak(), 0))
    for item_id, seen_at, item, deleted in kept:
        _insert(conn, "item_versions", {"item_id": item_id, "seen_at": seen_at, "deleted": deleted, "kind": item.kind, "title": item.title,
                                        "text": item.text, "url": item.url, "published_at": item.published_at, "event_at": item.event_at,
                                        "data": json.dumps(item.data, sort_keys=True)})
    _insert(conn, "links", {"src": ZAAK_ID, "rel": "activity", "dst": MEETING_ID})
    _insert(conn, "links", {"src": ZAAK_ID, "rel": "document", "dst": "tk:document/not-fetched-yet"})
    _insert(conn, "fetch_log", {"source": "tk", "at": T2, "ok": 1, "error": None, "new": 3, "changed": 1})
    _insert(conn, "moments", {"id": "brief:a1", "kind": "brief", "dossiers": '["jeugd"]', "meeting": MEETING_ID, "title": "Jeugdbeleid",
                              "meeting_start": "2026-12-10T13:00:00+01:00", "deadline": "2026-12-03", "status": "verplaatst",
                              "label": "Woordvoerders briefen", "updated_at": T1})
    _insert(conn, "moment_history", {"moment_id": "brief:a1", "seen_at": T0, "status": "gepland", "deadline": "2026-11-26",
                                     "meeting_start": "2026-12-03T13:00:00+01:00"})
    _insert(conn, "moment_history", {"moment_id": "brief:a1", "seen_at": T1, "status": "verplaatst", "deadline": "2026-12-03",
                                     "meeting_start": "2026-12-10T13:00:00+01:00"})
    # What someone may have added by hand to a table the upgrade rebuilds stays too.
    conn.execute("CREATE INDEX my_changes_fields ON changes (fields)")
    conn.execute("ALTER TABLE moments ADD COLUMN note TEXT")
    conn.execute("UPDATE moments SET note = 'Wethouder wil meelezen'")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def _snapshot(path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows (sorted), read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'items_fts%'")]
        out = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            out[table] = (columns, sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr))
        return out
    finally:
        conn.close()


def _index_names(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    finally:
        conn.close()


# Columns a later schema version adds to an existing table; their defaults keep each old row's meaning.
_ADDED_COLUMNS = {"digest_outbox": {"channel": "mail", "kind": "digest"}}  # version 5: every old message is a mailed digest


def _assert_kept(before, after) -> None:
    for table, (columns, rows) in before.items():
        added = {c: v for c, v in _ADDED_COLUMNS.get(table, {}).items() if c not in columns}
        assert after[table][0] == columns + list(added), table
        assert sorted((r[: len(columns)] for r in after[table][1]), key=repr) == rows, table
        assert all(r[len(columns) :] == tuple(added.values()) for r in after[table][1]), table
    assert all(before[t][1] for t in ("items", "changes", "matches", "match_state", "fetch_state", "meta"))


def _opened_twice_writes_nothing(path) -> None:
    Store(path).close()  # the migration
    stamp = path.stat().st_mtime_ns
    dump = _dump(path)
    assert _dump(path) == dump
    assert path.stat().st_mtime_ns == stamp


def _dump(path) -> list[str]:
    store = Store(path)
    try:
        return list(store.db.conn.iterdump())
    finally:
        store.close()


def _assert_browsable(store: Store) -> None:
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = ("matches", "changes", "item_versions", "match_state", "links", "moments", "moment_history")
    keys = {t: {(r[3], r[2], r[4]) for r in store.db.execute(f"PRAGMA foreign_key_list({t})")} for t in tables}
    assert keys["matches"] == keys["changes"] == keys["item_versions"] == keys["match_state"] == {("item_id", "items", "id")}
    assert keys["links"] == {("src", "items", "id")} and keys["moments"] == {("meeting", "items", "id")}
    assert keys["moment_history"] == {("moment_id", "moments", "id")}
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    found = store.db.execute("SELECT i.id FROM items_fts JOIN items i ON i.rowid = items_fts.rowid WHERE items_fts MATCH 'financien'").fetchall()
    assert found == [(ZAAK_ID,)]
    store.db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")  # raises when index and items differ
    assert {r["dossier"] for r in store.db.query("SELECT dossier FROM dossier_items WHERE item_id = ?", [ZAAK_ID])} == {"jeugd", "financien"}
    moved = list(store.db.query("SELECT date_was, date_now FROM meeting_changes WHERE item_id = ?", [MEETING_ID]))
    assert moved == [{"date_was": "2026-12-03", "date_now": "2026-12-10"}]


def test_a_first_release_database_keeps_every_row_and_gets_versions_links_search_and_keys(tmp_path):
    path = tmp_path / "monitor.db"
    _first_release_db(path)
    before, indexes = _snapshot(path), _index_names(path)
    store = Store(path)
    try:
        _assert_browsable(store)
        # The back-fill: each item's versions rebuilt from the change log, and its links.
        rows = store.db.query("SELECT * FROM item_versions ORDER BY item_id, seen_at")
        versions = [(r["item_id"], r["seen_at"], r["deleted"], json.loads(r["data"]).get("datum")) for r in rows]
        assert versions == [
            (MEETING_ID, T0, 0, "2026-12-03"), (MEETING_ID, T1, 0, "2026-12-10"),
            (GONE_ID, T0, 0, "2026-12-03"), (GONE_ID, T2, 1, "2026-12-03"),
            (ZAAK_ID, T0, 0, None),
        ]
        assert [tuple(r) for r in store.db.execute("SELECT src, rel, dst FROM links")] == [(ZAAK_ID, "activity", MEETING_ID)]
        # ... so a report as of before the move reads the meeting as it was then.
        assert store.view(datetime(2026, 11, 22, tzinfo=AMS)).item(MEETING_ID).data["datum"] == "2026-12-03"
        assert store.view(datetime(2026, 11, 24, 9, tzinfo=AMS)).is_deleted(GONE_ID) is False
    finally:
        store.close()
    after = _snapshot(path)
    _assert_kept(before, after)
    assert indexes <= _index_names(path)  # idx_items_source of the first release too
    assert {"idx_items_match", "idx_items_source_first_seen", "idx_moments_meeting"} <= _index_names(path)
    _opened_twice_writes_nothing(path)


@pytest.mark.parametrize("version", [2, 3])
def test_a_version_2_or_3_database_gets_keys_and_search_without_a_second_back_fill(tmp_path, version):
    path = tmp_path / "monitor.db"
    _version_3_db(path, version)
    before, indexes = _snapshot(path), _index_names(path)
    store = Store(path)
    try:
        _assert_browsable(store)
        titles = [r["title"] for r in store.db.query("SELECT title FROM item_versions WHERE item_id = ? ORDER BY seen_at", [MEETING_ID])]
        assert titles == ["Eerste versie", "Jeugdbeleid"]  # not rebuilt from the change log
        today = store.db.execute("SELECT date('now', 'localtime')").fetchone()[0]
        labels = [r["label"] for r in store.db.query("SELECT label FROM upcoming_moments")]
        assert labels == (["Woordvoerders briefen"] if today <= "2026-12-10" else [])  # the label the pipeline stored
    finally:
        store.close()
    after = _snapshot(path)
    _assert_kept(before, after)
    assert indexes | {"idx_items_match", "idx_moments_meeting"} <= _index_names(path)
    _opened_twice_writes_nothing(path)


def test_a_row_naming_a_missing_item_stops_the_upgrade_with_every_row_as_it_was(tmp_path):
    path = tmp_path / "monitor.db"
    _version_3_db(path, 3)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO matches (item_id, dossier, rule) VALUES ('tk:zaak/removed-by-hand', 'jeugd', 'kern')")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    with pytest.raises(DatabaseError, match=r"1 row\(s\) of matches name a row of items that is not there"):
        Store(path)
    after = _snapshot(path)
    assert {t: after[t] for t in before} == before
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert conn.execute("SELECT name FROM sqlite_master WHERE name IN ('items_fts', 'dossier_items')").fetchall() == []
    finally:
        conn.close()


def test_opening_an_up_to_date_database_writes_nothing(tmp_path):
    path = tmp_path / "monitor.db"
    store = Store(path)
    store.upsert_item(_activity(), T0)
    store.close()
    stamp = path.stat().st_mtime_ns
    dump = _dump(path)
    assert _dump(path) == dump and any("items_fts" in line for line in dump)
    assert path.stat().st_mtime_ns == stamp
    store = Store(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        store.close()


def test_a_first_release_database_shows_the_same_moments_as_today_s_code_writes(tmp_path):
    """`monitor run --no-fetch` on the upgraded file reads as the same history written by this version."""
    from conftest import write_config
    from monitor.cli import main

    rules = "dossiers:\n  jeugd:\n    title: Jeugdzorg\n    rules:\n      - name: kern\n        query: jeugdzorg\n"
    old = write_config(tmp_path / "oud", "sources: []\n", rules)
    _first_release_db(old / "monitor.db")
    new = write_config(tmp_path / "nieuw", "sources: []\n", rules)
    store = Store(new / "monitor.db")
    store.upsert_item(_activity(datum="2026-12-03", aanvangstijd="2026-12-03T13:00:00+01:00"), T0)
    store.upsert_item(_zaak(), T0)
    gone = _activity(soort="Procedurevergadering")
    gone.external_id = "activiteit/a2"
    store.upsert_item(gone, T0)
    store.upsert_item(_activity(datum="2026-12-10", aanvangstijd="2026-12-10T13:00:00+01:00"), T1)
    store.mark_deleted(GONE_ID, T2)
    for item_id in (MEETING_ID, ZAAK_ID):
        item = store.get_item(item_id)
        store.replace_matches(item, [Match(item_id, "jeugd", "kern", ["jeugdzorg"], "«jeugdzorg»")], "v1", T1)
    store.close()

    def report(config, now: str) -> str:
        out = tmp_path / f"{config.name}-{now}.json"
        assert main(["run", "--no-fetch", "--config", str(config), "--now", now, "--format", "json", "-q", "--output", str(out)]) == 0
        payload = json.loads(out.read_text(encoding="utf-8"))
        return json.dumps([(m["kind"], m["deadline"], m["status"], m["title"]) for m in payload["moments"]])

    for now in ("2026-11-22T08:00", "2026-11-26T08:00"):  # before and after the move
        assert report(old, now) == report(new, now)
    assert "2026-12-03" in report(old, "2026-11-26T08:00")  # the brief deadline moved with the meeting
