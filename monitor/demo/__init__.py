"""`monitor demo`: the whole pipeline offline, on a bundled fortnight of recorded-shape data.

The project's own loopback replay servers (`replay.py`) serve the Kamer's SyncFeed as it was
published in three stages (a debate moved, one cancelled, one re-created; then the moved jeugd
debate cancelled with a Noot, Stemmingen with a late motie) and a vakpers feed; the real fetch,
match, moments and briefing code runs against them with the starter rules (`monitor init`),
fetching as of three moments in the fortnight. Everything happens in a temporary directory:
the user's own configuration and database are never touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..starter import starter_file
from ..timeutil import AMS
from .replay import FeedReplay, SyncFeedReplay

DATA = Path(__file__).parent / "data"
# What the Kamer had published by each fetch, and when the demo fetches it.
STAGES = (("run1", "2026-11-24T08:00"), ("run2", "2026-11-30T08:00"), ("run3", "2026-12-07T08:00"))
FEED_FILE = "vakpers.xml"


class DemoError(RuntimeError):
    """The demo could not run (a bundled source failed): a bug, since nothing is external."""


@dataclass
class DemoResult:
    """What the demo produced: the report as printed, the files written, and what it holds."""

    report: str
    now: datetime
    files: list[Path] = field(default_factory=list)
    actions: int = 0
    woordvoerders: int = 0
    news: int = 0


def run_demo(output: Path | None = None, progress: Callable[[str], None] = lambda message: None) -> DemoResult:
    """Fetch the bundled fortnight into a temporary database and brief on it as of its last day.

    With `output`, writes report.html, one digest-<recipient>.html per recipient and
    lobbykalender.ics there (the directory is created; existing files of those names are replaced).
    """
    from .. import pipeline, report  # noqa: PLC0415 - the demo is the only user of the whole pipeline at once
    from ..config import load_config
    from ..deliver.digest import render_digest
    from ..store import Store

    kamer = SyncFeedReplay(page_size=250).start()
    press = FeedReplay({FEED_FILE: (DATA / "feeds" / FEED_FILE).read_bytes()}).start()
    try:
        with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
            directory = Path(tmp)
            (directory / "sources.yaml").write_text(_sources(kamer.url, press.url(FEED_FILE)), encoding="utf-8")
            (directory / "rules.yaml").write_text(starter_file("rules.yaml"), encoding="utf-8")
            config = load_config(directory)
            store = Store(directory / "monitor.db")
            try:
                for stage, when in STAGES:
                    kamer.publish(stage)
                    moment = _at(when)
                    progress(f"demo: fetching what the Kamer had published by {moment:%d-%m-%Y %H:%M} ({stage})")
                    runs, _ = pipeline.fetch_and_match(config, store, moment, backoff=0.0, alerts=False)  # the demo mails no one
                    failed = [r for r in runs if r.error]
                    if failed:
                        raise DemoError("; ".join(f"{r.source.id}: {r.error}" for r in failed))
                now = _at(STAGES[-1][1])
                briefing = pipeline.briefing(store, config, now)
                result = DemoResult(
                    report=report.render(briefing, "text"),
                    now=now,
                    actions=len(briefing.actions),
                    woordvoerders=sum(len(a.woordvoerders) for a in briefing.actions),
                    news=briefing.news_count,
                )
                if output is not None:
                    output.mkdir(parents=True, exist_ok=True)
                    written = {"report.html": report.render(briefing, "html").encode("utf-8")}
                    for digest in pipeline.preview_digests(config, store, now):
                        local = digest.recipient.split("@")[0]
                        written[f"digest-{local}.html"] = render_digest(digest)[1].encode("utf-8")
                    written["lobbykalender.ics"] = pipeline.calendar(config, store, now)
                    for name, body in written.items():
                        (output / name).write_bytes(body)
                        result.files.append(output / name)
                return result
            finally:
                store.close()
    finally:
        kamer.stop()
        press.stop()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


def _sources(kamer_url: str, feed_url: str) -> str:
    return f"""\
sources:
  - id: tk
    kind: tk
    base_url: {kamer_url}
    label: Tweede Kamer (demo)
  - id: gemeentevak
    kind: feed
    url: {feed_url}
    label: vakpers (demo)
email:
  from: monitor@gemeente.example
  smtp: {{host: 127.0.0.1, port: 9, security: none}}
http:
  retries: 0
"""
