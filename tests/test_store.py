"""The store: idempotent upserts, one change row per change, tombstones, matches, fetch state."""

from __future__ import annotations

import json
from datetime import datetime

from monitor.models import Item, Match
from monitor.store import CHANGED, NEW, UNCHANGED, Store
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


# ---------------------------------------------------------------------------- migrations


def _schema_and_rows(path) -> tuple[int, list[str]]:
    store = Store(path)
    try:
        version = store.db.execute("PRAGMA user_version").fetchone()[0]
        return version, list(store.db.conn.iterdump())
    finally:
        store.close()


def _indexes(path) -> set[str]:
    store = Store(path)
    try:
        return {r["name"] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        store.close()


def test_a_first_release_database_gets_versions_links_and_the_match_index(tmp_path):
    path = tmp_path / "monitor.db"
    store = Store(path)
    store.upsert_item(_activity(datum="2026-12-03"), "2026-11-20T08:00:00+01:00")
    store.upsert_item(_activity(datum="2026-12-10"), "2026-11-24T08:00:00+01:00")
    # Back to the first release's shape: core tables only, user_version 1.
    for table in ("item_versions", "links", "fetch_log", "moments", "moment_history"):
        store.db.execute(f"DROP TABLE {table}")
    store.db.execute("DROP INDEX idx_items_match")
    store.db.execute("PRAGMA user_version = 1")
    store.close()
    version, _ = _schema_and_rows(path)
    assert version == 3
    assert "idx_items_match" in _indexes(path)
    store = Store(path)
    try:
        versions = [(r["seen_at"], json.loads(r["data"])["datum"]) for r in store.db.query("SELECT * FROM item_versions ORDER BY seen_at")]
        assert versions == [("2026-11-20T08:00:00+01:00", "2026-12-03"), ("2026-11-24T08:00:00+01:00", "2026-12-10")]
    finally:
        store.close()


def test_a_version_2_database_gets_the_index_and_keeps_its_rows(tmp_path):
    path = tmp_path / "monitor.db"
    store = Store(path)
    store.upsert_item(_activity(datum="2026-12-03"), "2026-11-20T08:00:00+01:00")
    store.db.execute("DROP INDEX idx_items_match")
    store.db.execute("PRAGMA user_version = 2")
    before = [line for line in store.db.conn.iterdump() if "idx_items_match" not in line]
    store.close()
    version, after = _schema_and_rows(path)
    assert version == 3
    assert [line for line in after if "idx_items_match" not in line] == before  # no back-fill run twice
    assert any("idx_items_match" in line for line in after)


def test_opening_an_up_to_date_database_writes_nothing(tmp_path):
    path = tmp_path / "monitor.db"
    Store(path).close()
    stamp = path.stat().st_mtime_ns
    version, dump = _schema_and_rows(path)
    assert version == 3 and _schema_and_rows(path)[1] == dump
    assert path.stat().st_mtime_ns == stamp


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
