"""How many requests does a fresh install of the Kamer source cost, and a quiet run after it?

Run: `python benchmarks/tk_bootstrap.py` (loopback only; takes a minute or two).

The loopback replay server (monitor/demo/replay.py) serves 18 years of synthetic SyncFeed
history per category on one global skiptoken range (1.000.000 - 25.000.000, published from
September 2008 to yesterday), 250 entries per page like the live feed. (The composed fixtures
are left out: their skiptokens belong to the tests' smaller world.) The volumes below are ASSUMPTIONS (the live feed's totals are not published);
they are of the order the research notes give (262k Zaak, 156k Besluit records; Document
> 700 MB), with room for re-published versions. Edit them to test other guesses.

What it prints: probe requests of the start-date search, requests per category, total requests
and wall time of the first run, and the requests of the quiet run that follows.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.tk.replay import SyncFeedReplay  # noqa: E402

from monitor.config import HttpConfig, SourceConfig  # noqa: E402
from monitor.sources import FetchContext, tk  # noqa: E402
from monitor.sources.http import HttpClient  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.timeutil import AMS  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=AMS)
FIRST, LAST = 1_000_000, 25_000_000
T0, T1 = datetime(2008, 9, 1, tzinfo=timezone.utc), (NOW - timedelta(days=1)).astimezone(timezone.utc)

# Entries in the whole feed per category (assumed).
VOLUMES = {
    "Persoon": 10_000, "Fractie": 300, "FractieZetel": 4_000, "FractieZetelPersoon": 8_000, "Commissie": 500,
    "CommissieZetel": 4_000, "CommissieZetelVastPersoon": 15_000,
    "Activiteit": 150_000, "Agendapunt": 250_000, "ActiviteitActor": 300_000, "Zaak": 400_000, "ZaakActor": 500_000,
    "Document": 900_000, "Kamerstukdossier": 150_000, "Besluit": 250_000, "Stemming": 1_500_000,
}


def element(category: str) -> str:
    return category[0].lower() + category[1:]


async def fetch(store: Store, url: str, now: datetime, messages: list[str]):
    async with HttpClient(HttpConfig(retries=0, timeout=30), backoff=0.01) as client:
        return await tk.fetch(SourceConfig("tk", "tk", url, 900, since_days=60), FetchContext(store, client, now, messages.append))


def main() -> None:
    feed = SyncFeedReplay(page_size=250).start()
    for offset, (category, total) in enumerate(VOLUMES.items()):
        step = max(1, (LAST - FIRST) // total)
        feed.history(category, element(category), FIRST, LAST, step, offset % step, T0, T1)
    store = Store(":memory:")
    messages: list[str] = []
    started = time.monotonic()
    first = asyncio.run(fetch(store, feed.url, NOW, messages))
    seconds = time.monotonic() - started
    per_category = Counter()
    for path in feed.feed_requests():
        per_category[path.split("category=")[1].split("&")[0]] += 1
    probes = next((m for m in messages if "start found" in m), "")
    print(f"fresh install ({'error: ' + first.error if first.error else 'ok'}): {first.requests} requests in {seconds:.1f} s; {probes}")
    for category in tk.CATEGORIES:
        print(f"  {category:28} {per_category[category]:4} requests   ({VOLUMES[category]:>9,} entries in the feed)")
    print(f"  look-ups of missing entities: {sum('Entiteiten' in r for r in feed.requests)}")
    print(f"  items: {first.new} new (synthetic activiteiten and zaken)")
    feed.requests.clear()
    quiet = asyncio.run(fetch(store, feed.url, NOW + timedelta(minutes=15), []))
    print(f"quiet run: {quiet.requests} requests ({len(tk.CATEGORIES)} categories)")
    expected = {c: math.ceil(VOLUMES[c] * 60 / 6600 / 250) for c in VOLUMES}
    print(f"(for scale: 60 days of Document at these volumes is ~{expected['Document']} pages)")
    feed.stop()


if __name__ == "__main__":
    main()
