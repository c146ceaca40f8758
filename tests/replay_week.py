"""The replay fortnight with its vakpers feed, fetched once into a config directory (exports, feed).

The Kamer's SyncFeed as published in four stages (monitor/demo/data/tk: a jeugd debate moved and
then cancelled, a procedurevergadering cancelled, Stemmingen on 8 December with a held-over motie
and a late one, then the votes and a revised letter) and the demo's vakpers feed, fetched through
the loopback replay servers by the real CLI. The database then holds everything up to 9 December;
`--now` shows any earlier moment as it was known then.
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_config
from monitor.cli import main
from monitor.demo import DATA
from monitor.demo.replay import FeedReplay, SyncFeedReplay
from test_briefing import FOURTH, RULES, SECOND, THIRD

FIRST = "2026-11-24T08:00"
STAGES = (("run1", FIRST), ("run2", SECOND), ("run3", THIRD), ("run4", FOURTH))


def fetch_fortnight(directory: Path) -> Path:
    """A config directory whose database has fetched all four stages and the vakpers feed."""
    kamer = SyncFeedReplay(page_size=250).start()
    press = FeedReplay({"vakpers.xml": (DATA / "feeds" / "vakpers.xml").read_bytes()}).start()
    try:
        sources = (
            f"sources:\n  - id: tk\n    kind: tk\n    base_url: {kamer.url}\n    label: Tweede Kamer\n"
            f"  - id: vakpers\n    kind: feed\n    url: {press.url('vakpers.xml')}\n    label: vakpers\n"
            "http:\n  retries: 0\n"
        )
        config = write_config(directory, sources, RULES)
        for stage, now in STAGES:
            kamer.publish(stage)
            assert main(["run", "--config", str(config), "--now", now, "-q", "--output", str(directory / f"{stage}.txt")]) == 0
        return config
    finally:
        kamer.stop()
        press.stop()

