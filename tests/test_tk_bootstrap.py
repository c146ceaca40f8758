"""A fresh install finds its start in the SyncFeed in O(log n) requests and skips nothing newer.

The replay server adds synthetic history in front of the fixture entries: one entry every
`step` skiptokens from 1.000.000 to 19.990.000, published from September 2008 to October 2026
(optionally bent by a `shape`, to model a feed whose pace changes or that re-publishes a burst
of old entities, as in ODP#127). Pages hold 250 entries, like the live feed.
"""

from __future__ import annotations

import asyncio
import math
import re
from datetime import datetime, timedelta, timezone

import pytest

from fixtures.tk.replay import SyncFeedReplay
from monitor.config import HttpConfig, SourceConfig
from monitor.sources import FetchContext, FetchResult, tk, tk_store
from monitor.sources.http import HttpClient
from monitor.store import Store
from monitor.timeutil import AMS

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=AMS)
T0 = datetime(2008, 9, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 10, 1, tzinfo=timezone.utc)
FIRST, LAST = 1_000_000, 19_990_000
PAGE = 250
HISTORY = {"Document": ("document", 0), "Activiteit": ("activiteit", 1), "Zaak": ("zaak", 2), "Agendapunt": ("agendapunt", 3)}


def burst(x: float) -> float:
    """30% of all skiptokens published within a few hours in 2024 (a mass re-publication)."""
    if x < 0.6:
        return x / 0.6 * 0.85
    if x < 0.9:
        return 0.85 + (x - 0.6) / 0.3 * 0.0002
    return 0.8502 + (x - 0.9) / 0.1 * (1 - 0.8502)


def run(store: Store, feed: SyncFeedReplay, now: datetime = NOW, messages: list[str] | None = None) -> FetchResult:
    source = SourceConfig("tk", "tk", feed.url, 900, since_days=60)

    async def go() -> FetchResult:
        async with HttpClient(HttpConfig(retries=0, timeout=10), backoff=0.001) as client:
            return await tk.fetch(source, FetchContext(store, client, now, (messages if messages is not None else []).append))

    return asyncio.run(go())


def probes(messages: list[str]) -> int:
    found = [re.search(r"start found in (\d+) requests?", m) for m in messages]
    return next(int(f.group(1)) for f in found if f)


def with_history(step: int, categories=("Document",), shape=None) -> SyncFeedReplay:
    feed = SyncFeedReplay(page_size=PAGE).start()
    feed.publish("run1")
    for category in categories:
        element, offset = HISTORY[category]
        feed.history(category, element, FIRST, LAST, step, offset, T0, T1, shape=shape)
    return feed


def test_fresh_install_starts_at_the_start_date_and_skips_nothing():
    feed = with_history(997, categories=tuple(HISTORY))
    store = Store(":memory:")
    messages: list[str] = []
    try:
        result = run(store, feed, messages=messages)
    finally:
        feed.stop()
    assert result.error is None
    assert probes(messages) <= 8
    starts = {"Document": NOW - timedelta(days=60), "Zaak": NOW - timedelta(days=60),
              "Activiteit": NOW - timedelta(days=120), "Agendapunt": NOW - timedelta(days=120)}
    for category, start in starts.items():
        history = feed.histories[category]
        tokens = history.tokens_after(None, 10**6)
        newer = {t for t in tokens if history.updated(t) >= start}
        stored = {
            int(r["id"][:8], 16)
            for r in store.db.query("SELECT id FROM tk_entities WHERE category = ? AND id LIKE ?", [category, f"%-{history.offset:012x}"])
            if r["id"][:2] not in ("aa", "ab", "2a", "d0")
        }
        assert newer <= stored, f"{category}: skipped {len(newer - stored)} entries published after the start"
        older = stored - newer
        # At most about a page of entries from before the start date is read (the search
        # stops on a page that straddles the start; other categories share its skiptoken).
        assert len(older) <= PAGE, category
        assert len(stored) < len(tokens) / 20  # nowhere near a replay of 18 years
    modes = {c: r["start_mode"] for c, r in tk_store.get_cursors(store.db, "tk").items()}
    assert modes["Persoon"] == modes["CommissieZetelVastPersoon"] == "full"
    assert modes["Zaak"] == modes["Document"] == modes["Besluit"] == "since 2026-09-24"
    assert modes["Activiteit"] == modes["Agendapunt"] == modes["ActiviteitActor"] == "since 2026-07-26"
    # Monitoring at once: the fixture meetings ahead are items after this one run.
    assert store.get_item("tk:activiteit/aa000000-0000-4000-8000-000000000001") is not None


@pytest.mark.parametrize("shape", [None, math.sqrt, burst, lambda x: x**3], ids=["uniform", "growing-pace", "burst", "x^3"])
def test_the_search_is_logarithmic(shape):
    counts = {}
    for step in (997, 17):  # 19 thousand vs 1.1 million entries
        feed = with_history(step, shape=shape)
        messages: list[str] = []
        try:
            result = run(Store(":memory:"), feed, messages=messages)
        finally:
            feed.stop()
        assert result.error is None
        counts[step] = probes(messages)
        entries = (LAST - FIRST) // step
        assert counts[step] <= 2 * math.log2(entries / PAGE) + 4, (step, counts[step])
    # 58 times the history costs at most two probes per doubling more (the bisection safeguard).
    assert counts[17] <= counts[997] + 2 * math.log2(997 / 17) + 2


def test_a_feed_younger_than_the_start_date_is_read_from_its_beginning():
    feed = SyncFeedReplay(page_size=PAGE).start()
    feed.publish("run1")
    store = Store(":memory:")
    messages: list[str] = []
    try:
        run(store, feed, messages=messages)
    finally:
        feed.stop()
    assert probes(messages) == 1
    cursors = tk_store.get_cursors(store.db, "tk")
    assert all(r["start_mode"] == "full" for r in cursors.values())


def test_a_failed_search_is_reported_and_redone_next_run():
    feed = with_history(997)
    feed.fail("Document", 500)
    store = Store(":memory:")
    try:
        first = run(store, feed)
        assert first.error.startswith("start-up search (Document): HTTP 500")
        started = set(tk_store.get_cursors(store.db, "tk"))
        assert started == set(tk.REFERENCE_CATEGORIES)  # people and commissies still came in
        assert tk.personen(store)
        second = run(store, feed, NOW + timedelta(minutes=15))
    finally:
        feed.stop()
    assert second.error is None
    assert set(tk_store.get_cursors(store.db, "tk")) == set(tk.CATEGORIES)
    assert store.get_item("tk:zaak/2a000000-0000-4000-8000-000000000002") is not None
