"""The database browsed as it is (Datasette, sqlite-utils): full-text search, foreign keys, views,
and the saved queries of monitor/datasette.yaml, on a store filled the way the pipeline fills it."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor.models import Item, MomentKind
from monitor.store import Store
from monitor.timeutil import AMS, iso
from monitor.wording import moment_label

from test_moments_data import activity, put, zaak

METADATA = Path(__file__).resolve().parents[1] / "monitor" / "datasette.yaml"
NOW = datetime.now(AMS).replace(microsecond=0)
SEEN = NOW - timedelta(minutes=5)
OLD = NOW - timedelta(days=30)
SOON = (NOW + timedelta(days=10)).strftime("%Y-%m-%dT13:00")
LATER = (NOW + timedelta(days=20)).strftime("%Y-%m-%dT10:00")

KEYS = {
    "matches": {("item_id", "items", "id")},
    "changes": {("item_id", "items", "id")},
    "item_versions": {("item_id", "items", "id")},
    "match_state": {("item_id", "items", "id")},
    "links": {("src", "items", "id")},
    "moments": {("meeting", "items", "id")},
    "moment_history": {("moment_id", "moments", "id")},
}


def _article(guid: str, title: str, text: str) -> Item:
    return Item(source="binnenlandsbestuur", external_id=guid, kind="artikel", title=title, text=text,
                url=f"https://www.binnenlandsbestuur.nl/{guid}", published_at=iso(OLD))


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "monitor.db")
    yield store
    store.close()


def _fill(store: Store) -> dict[str, str]:
    """A debate that moved, one cancelled, one held, a zaak, an article, matches and moments."""
    debate = put(store, activity("a1", "Commissiedebat", "Jeugdbeleid", SOON), ["jeugd"], iso(OLD))
    store.upsert_item(activity("a1", "Commissiedebat", "Jeugdbeleid", LATER, status="Verplaatst"), iso(SEEN))
    cancelled = put(store, activity("a2", "Commissiedebat", "Participatiewet", SOON), ["werk"], iso(OLD))
    store.upsert_item(activity("a2", "Commissiedebat", "Participatiewet", SOON, status="Geannuleerd"), iso(SEEN))
    held = put(store, activity("a3", "Procedurevergadering", "Procedures VWS", SOON), [], iso(OLD))
    store.upsert_item(activity("a3", "Procedurevergadering", "Procedures VWS", SOON, status="Uitgevoerd"), iso(SEEN))
    wet = put(store, zaak("z1", "Wetgeving", "Wijziging van de Jeugdwet", OLD.date().isoformat(), activiteit_ids=["a1"],
                          onderwerp="De financiën van gemeenten voor jeugdzorg"), ["jeugd", "financien"], iso(SEEN))
    article = put(store, _article("art1", "Gemeenten luiden noodklok", "Tekorten in de jeugdzorg lopen op"), ["jeugd"], iso(SEEN))
    # Today as the views see it (SQLite's date('now', 'localtime'), which need not be Amsterdam's).
    today = date.fromisoformat(store.db.execute("SELECT date('now', 'localtime')").fetchone()[0])
    moments = [
        {"id": "brief:a1", "kind": "brief", "dossiers": ["jeugd"], "meeting": debate.id, "title": "Jeugdbeleid",
         "meeting_start": f"{LATER}:00+01:00", "deadline": today.isoformat(), "status": "verplaatst", "label": moment_label(MomentKind.BRIEF)},
        {"id": "inbreng:a2", "kind": "inbreng", "dossiers": ["werk"], "meeting": cancelled.id, "title": "Participatiewet",
         "meeting_start": f"{SOON}:00+01:00", "deadline": (today + timedelta(days=3)).isoformat(), "status": "geannuleerd",
         "label": moment_label(MomentKind.INBRENG)},
        {"id": "brief:old", "kind": "brief", "dossiers": ["jeugd"], "meeting": held.id, "title": "Procedures VWS",
         "meeting_start": iso(OLD), "deadline": (OLD - timedelta(days=2)).date().isoformat(), "status": "voorbij",
         "label": moment_label(MomentKind.BRIEF)},
    ]
    store.save_moments(moments, iso(OLD))
    store.save_moments(moments, iso(SEEN))  # unchanged: no second history row
    return {"debate": debate.id, "cancelled": cancelled.id, "held": held.id, "wet": wet.id, "article": article.id}


def _search(store: Store, words: str) -> list[str]:
    sql = "SELECT i.id FROM items_fts JOIN items i ON i.rowid = items_fts.rowid WHERE items_fts MATCH ? ORDER BY i.id"
    return [r[0] for r in store.db.execute(sql, [words])]


def _fts_in_step(store: Store) -> None:
    store.db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")  # raises when they differ


# ---------------------------------------------------------------------------- full-text search


def test_search_finds_an_item_by_a_word_and_follows_an_upsert(store):
    ids = _fill(store)
    assert _search(store, "jeugdzorg") == sorted([ids["wet"], ids["article"]])
    assert _search(store, "financien") == [ids["wet"]]  # accents do not matter
    changed = _article("art1", "Gemeenten luiden noodklok", "Tekorten in de Wmo lopen op")
    assert store.upsert_item(changed, iso(NOW)) == "changed"
    assert _search(store, "jeugdzorg") == [ids["wet"]]
    assert _search(store, "wmo") == [ids["article"]]
    _fts_in_step(store)
    assert store.db.execute("SELECT count(*) FROM items_fts_docsize").fetchone()[0] == store.count_items()


def test_a_refetch_that_changes_nothing_leaves_the_index_alone(store):
    ids = _fill(store)
    item = store.get_item(ids["article"])
    before = store.db.conn.total_changes
    assert store.upsert_item(item, iso(NOW)) == "unchanged"
    assert store.db.conn.total_changes - before == 1  # last_seen only: the index trigger did not fire
    store.mark_deleted(ids["article"], iso(NOW))  # a tombstone keeps the text findable
    assert _search(store, "noodklok") == [ids["article"]]
    _fts_in_step(store)


# ---------------------------------------------------------------------------- foreign keys


def test_the_foreign_keys_are_declared_enforced_and_hold(store):
    ids = _fill(store)
    for table, expected in KEYS.items():
        assert {(r[3], r[2], r[4]) for r in store.db.execute(f"PRAGMA foreign_key_list({table})")} == expected, table
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # Items are soft-deleted; a hand-made DELETE of one with history is refused.
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("DELETE FROM items WHERE id = ?", [ids["wet"]])
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO matches (item_id, dossier, rule) VALUES ('tk:zaak/nooit-gezien', 'jeugd', 'kern')")


def test_a_link_may_name_an_item_not_fetched_yet(store):
    # A zaak names its documents before they are fetched: links.dst has no foreign key.
    item = zaak("z9", "Wetgeving", "Wet", "2026-11-01")
    item.data["documenten"] = [{"id": "d-later"}]
    store.upsert_item(item, iso(NOW))
    assert ("document", "tk:document/d-later") in [tuple(r) for r in store.db.execute("SELECT rel, dst FROM links")]
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


# ---------------------------------------------------------------------------- views


def test_dossier_items_lists_what_matched_each_dossier(store):
    ids = _fill(store)
    rows = list(store.db.query("SELECT dossier, kind, title, rule, terms, item_id FROM dossier_items WHERE dossier = 'jeugd' ORDER BY item_id"))
    assert [(r["item_id"], r["kind"], r["rule"], r["terms"]) for r in rows] == [
        (ids["article"], "artikel", "kern", "jeugd"),
        (ids["debate"], "activiteit", "kern", "jeugd"),
        (ids["wet"], "zaak", "kern", "jeugd"),
    ]
    columns = [d[0] for d in store.db.execute("SELECT * FROM dossier_items LIMIT 0").description]
    assert columns[:8] == ["dossier", "kind", "title", "url", "published_at", "first_seen", "rule", "terms"]
    store.mark_deleted(ids["article"], iso(NOW))
    assert ids["article"] not in [r["item_id"] for r in store.db.query("SELECT item_id FROM dossier_items")]


def test_upcoming_moments_carry_the_stored_label_and_leave_out_the_past(store):
    ids = _fill(store)
    rows = list(store.db.query("SELECT deadline, label, status, meeting, dossiers, url, meeting_id FROM upcoming_moments"))
    assert [(r["label"], r["status"], r["meeting"], r["dossiers"], r["meeting_id"]) for r in rows] == [
        ("Woordvoerders briefen", "verplaatst", "Jeugdbeleid", "jeugd", ids["debate"]),
        ("Vragen aanleveren voor de inbreng", "geannuleerd", "Participatiewet", "werk", ids["cancelled"]),
    ]
    assert rows[0]["url"].startswith("https://www.tweedekamer.nl/")
    history = list(store.db.query("SELECT status FROM moment_history WHERE moment_id = 'brief:a1'"))
    assert history == [{"status": "verplaatst"}]


def test_meeting_changes_show_moves_and_cancellations_not_meetings_held(store):
    ids = _fill(store)
    rows = {r["item_id"]: r for r in store.db.query("SELECT * FROM meeting_changes")}
    assert set(rows) == {ids["debate"], ids["cancelled"]}
    moved = rows[ids["debate"]]
    assert (moved["date_was"], moved["date_now"], moved["status_now"]) == (SOON[:10], LATER[:10], "Verplaatst")
    assert moved["seen_at"] == iso(SEEN) and moved["meeting"] == "Jeugdbeleid"
    assert (rows[ids["cancelled"]]["status_was"], rows[ids["cancelled"]]["status_now"]) == ("Gepland", "Geannuleerd")
    store.mark_deleted(ids["held"], iso(NOW))
    deleted = [r for r in store.db.query("SELECT * FROM meeting_changes WHERE item_id = ?", [ids["held"]])]
    assert [r["deleted"] for r in deleted] == ["ja"]


# ---------------------------------------------------------------------------- the Datasette metadata


def _metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


SAMPLE = {"q": "jeugdzorg", "dossier": "jeugd"}


def _params(sql: str) -> dict[str, str]:
    return {name: SAMPLE[name] for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)}


def test_the_metadata_describes_tables_and_columns_that_exist(store):
    _fill(store)
    meta = _metadata()
    assert meta["title"] and meta["description"]
    database = meta["databases"]["monitor"]  # Datasette names the database after monitor.db
    names = set(store.db.table_names()) | set(store.db.view_names())
    for required in ("items", "matches", "changes", "moments", "moment_history", "links", "fetch_log",
                     "dossier_items", "upcoming_moments", "meeting_changes"):
        assert database["tables"][required].get("description"), required
    for table, settings in database["tables"].items():
        assert table in names, table
        columns = {d[0] for d in store.db.execute(f"SELECT * FROM {table} LIMIT 0").description}
        assert set(settings.get("columns") or {}) <= columns, table
        for facet in settings.get("facets") or []:
            assert (facet if isinstance(facet, str) else next(iter(facet.values()))) in columns, (table, facet)
        for key in ("label_column", "sort_desc"):
            assert settings.get(key) is None or settings[key] in columns, (table, key)


def test_every_saved_query_runs_on_a_filled_database(store):
    ids = _fill(store)
    queries = _metadata()["databases"]["monitor"]["queries"]
    assert 3 <= len(queries) <= 5
    results = {}
    for name, query in queries.items():
        assert query["title"] and query["sql"], name
        rows = store.db.execute(query["sql"], _params(query["sql"]))
        columns = [d[0] for d in rows.description]
        results[name] = [dict(zip(columns, row)) for row in rows.fetchall()]
    assert [r["actie"] for r in results["deadlines_deze_week"]] == ["Woordvoerders briefen"]  # the cancelled one is left out
    new = {(r["dossier"], r["titel"]) for r in results["nieuw_per_dossier"]}
    assert new >= {("jeugd", "Wijziging van de Jeugdwet"), ("financien", "Wijziging van de Jeugdwet")}
    assert "Jeugdbeleid" not in [r["titel"] for r in results["nieuw_per_dossier"]]  # first seen a month ago
    assert {r["stuk"] for r in results["zoek"]} == {ids["wet"], ids["article"]}
    assert any("«jeugdzorg»" in r["fragment"] for r in results["zoek"])
    assert {r["vergadering"] for r in results["verplaatst_of_geannuleerd"]} == {"Jeugdbeleid", "Participatiewet"}
    assert {r["titel"] for r in results["stukken_van_dossier"]} == {"Jeugdbeleid", "Wijziging van de Jeugdwet", "Gemeenten luiden noodklok"}


@pytest.mark.parametrize("q", ["", "   ", "financien", "jeugd*", 'een "losse aanhaling', "jeugdzorg, gemeenten", "NEAR(", "-x", "*"])
def test_the_search_query_takes_whatever_a_person_types(store, q):
    ids = _fill(store)
    sql = _metadata()["databases"]["monitor"]["queries"]["zoek"]["sql"]
    found = {r[-1] for r in store.db.execute(sql, {"q": q})}
    if q in ("financien", "jeugd*"):
        assert ids["wet"] in found
    if q == "jeugdzorg, gemeenten":
        assert found == {ids["wet"], ids["article"]}


# ---------------------------------------------------------------------------- Datasette itself (when installed)


def test_datasette_serves_the_database_with_the_metadata(store):
    datasette_app = pytest.importorskip("datasette.app")
    ids = _fill(store)
    store.close()
    ds = datasette_app.Datasette([store.path], metadata=_metadata())

    async def get(path: str):
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response

    async def browse():
        await ds.invoke_startup()
        searched = (await get("/monitor/items.json?_search=financien&_shape=array")).json()
        assert [r["id"] for r in searched] == [ids["wet"]]
        labelled = (await get("/monitor/matches.json?_labels=on&_shape=array&dossier=financien")).json()
        assert labelled[0]["item_id"] == {"value": ids["wet"], "label": "Wijziging van de Jeugdwet"}
        found = (await get("/monitor/zoek.json?q=noodklok&_shape=array")).json()
        assert [r["stuk"] for r in found] == [ids["article"]]
        assert (await get("/monitor/upcoming_moments.json?_shape=array")).json()[0]["label"] == "Woordvoerders briefen"
        home = (await get("/")).text
        assert "Monitor" in home
        page = (await get("/monitor")).text
        assert "Deadlines deze week" in page and "Zoek in alle stukken" in page

    asyncio.run(browse())
