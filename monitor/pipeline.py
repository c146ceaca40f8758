"""The one place the stages are chained: fetch -> store -> match -> moments -> report.

Each stage reads what the previous one wrote to the database, so any stage can be re-run on its
own: `--no-fetch` re-matches and re-reports stored items, and a changed rules.yaml re-matches
history because every match records the rules version it was made under.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from .config import Config, RulesConfig, SourceConfig
from .models import KIND_ACTIVITY, Change, Item, Match, Moment, SourceHealth
from .rules.engine import ENGINE_VERSION, compile_rules
from .sources import FetchContext, FetchResult, SourceError, fetcher_for
from .sources.http import HttpClient
from .store import Store
from .timeutil import AMS, iso

if TYPE_CHECKING:
    from .deliver.digest import DigestRun

log = logging.getLogger(__name__)

AGENDA_DAYS = 14
NEWS_DAYS = 7


@dataclass
class Window:
    """The report window: agenda items happen between `start` and `end` (inclusive days);
    news counts from `news_from` to `news_to`."""

    start: date
    end: date
    news_from: date
    news_to: date

    @classmethod
    def default(cls, now: datetime) -> Window:
        """Today to 14 days ahead for the agenda, the last 7 days for news."""
        today = now.astimezone(AMS).date()
        return cls(today, today + timedelta(days=AGENDA_DAYS), today - timedelta(days=NEWS_DAYS), today)

    @classmethod
    def between(cls, start: date, end: date, now: datetime) -> Window:
        """An explicit window (a key week); news is the 7 days up to its end, or up to today."""
        if end < start:
            raise ValueError(f"the window ends ({end}) before it starts ({start})")
        today = now.astimezone(AMS).date()
        news_to = min(end, today)
        return cls(start, end, min(start, news_to - timedelta(days=NEWS_DAYS)), news_to)

    @classmethod
    def iso_week(cls, week: str, now: datetime) -> Window:
        """The ISO week 'YYYY-Www' (Monday to Sunday)."""
        try:
            year, number = week.upper().split("-W")
            monday = date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise ValueError(f"cannot read week {week!r}; use YYYY-Www, e.g. 2026-W50") from None
        return cls.between(monday, monday + timedelta(days=6), now)


@dataclass
class SourceRun:
    """What happened to one source in this run, plus its health as recorded."""

    source: SourceConfig
    result: FetchResult | None
    error: str | None
    seconds: float
    health: SourceHealth | None = None


@dataclass
class ReportItem:
    """An item in the report with the reasons it is there and its recent changes."""

    item: Item
    matches: list[Match]
    first_seen: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Report:
    """Everything one `monitor run` shows."""

    generated_at: datetime
    window: Window
    config: Config
    agenda: list[ReportItem]
    news: list[ReportItem]
    moments: list[Moment]
    sources: list[SourceHealth]
    runs: list[SourceRun]
    matched: int = 0
    requests: int = 0


# ---------------------------------------------------------------------------- fetch


async def fetch_sources(
    config: Config,
    store: Store,
    now: datetime,
    *,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: float = 1.0,
    progress: Callable[[str], None] = lambda message: None,
) -> list[SourceRun]:
    """Fetch every enabled source concurrently (bounded by http.concurrency); one failure never stops the rest."""
    sources = [s for s in config.sources.sources if s.enabled and (only is None or s.id in only)]
    async with HttpClient(config.sources.http, transport=transport, backoff=backoff) as client:
        runs = await asyncio.gather(*(_fetch_one(s, store, client, now, progress) for s in sources))
    return list(runs)


async def _fetch_one(
    source: SourceConfig, store: Store, client: HttpClient, now: datetime, progress: Callable[[str], None]
) -> SourceRun:
    started = time.monotonic()
    context = FetchContext(store=store, client=client, now=now, progress=lambda m: progress(f"{source.id}: {m}"))
    at = iso(now) or ""
    result: FetchResult | None = None
    error: str | None = None
    try:
        result = await fetcher_for(source.kind)(source, context)
        error = result.error
    except SourceError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in one source's parser must not cost the other sources their run
        log.exception("source %s failed unexpectedly", source.id)
        error = f"internal error: {type(exc).__name__}: {exc}"
    new = result.new if result else 0
    changed = result.changed if result else 0
    if error:
        store.record_failure(source.id, source.kind, at, error, new=new, changed=changed)
        progress(f"{source.id}: MISLUKT: {error}")
    else:
        assert result is not None
        warning = "; ".join(result.warnings) or None
        store.record_success(source.id, source.kind, at, new, changed, warning)
        status = "ongewijzigd" if result.not_modified else f"{new} nieuw, {changed} gewijzigd"
        if result.requests > 1:  # a feed is one request; the Kamer's count shows what a run cost
            status += f" in {result.requests} verzoeken"
        progress(f"{source.id}: {status}" + (f" (waarschuwing: {warning})" if warning else ""))
    for warning in result.warnings if result else []:
        log.info("%s: %s", source.id, warning)  # already in the progress line
    return SourceRun(source, result, error, time.monotonic() - started, store.health(source.id, source.kind, source.label))


# ---------------------------------------------------------------------------- match


def rules_version(rules: RulesConfig) -> str:
    """The version matches are recorded under: the rules' meaning plus the engine's semantics."""
    return f"{rules.version}/{ENGINE_VERSION}"


def match_pending(store: Store, rules: RulesConfig, now: datetime) -> int:
    """Match every item that is new, changed, or was matched under other rules; return how many."""
    version = rules_version(rules)
    matcher = compile_rules(rules.dossiers.values())
    at = iso(now) or ""
    count = 0
    for item in list(store.items_needing_match(version)):
        store.replace_matches(item, matcher.match(item), version, at)
        count += 1
    return count


# ---------------------------------------------------------------------------- report


def collect(store: Store, window: Window) -> tuple[list[ReportItem], list[ReportItem]]:
    """The matched items of the window: agenda items by date, news newest first."""
    matches = store.all_matches()
    agenda: list[ReportItem] = []
    news: list[ReportItem] = []
    start, end = window.start.isoformat(), (window.end + timedelta(days=1)).isoformat()
    news_from, news_to = window.news_from.isoformat(), (window.news_to + timedelta(days=1)).isoformat()
    for item_id, item_matches in matches.items():
        row = store.item_row(item_id)
        if row is None or row["deleted_at"]:
            continue
        item = store.get_item(item_id)
        assert item is not None
        entry = ReportItem(item, item_matches, row["first_seen"], store.changes_for(item_id, since=window.news_from.isoformat()))
        if item.kind == KIND_ACTIVITY:
            if item.event_at and start <= item.event_at < end:
                agenda.append(entry)
            continue
        # Undated news counts from when we first saw it: a missing pubDate must not hide an article.
        moment = item.published_at or row["first_seen"]
        if news_from <= moment < news_to:
            news.append(entry)
    agenda.sort(key=lambda e: (e.item.event_at or "", e.item.title))
    news.sort(key=lambda e: (e.item.published_at or e.first_seen, e.item.id), reverse=True)
    return agenda, news


def derive_moments(store: Store, config: Config, now: datetime, window: Window | None = None) -> list[Moment]:
    """Moments touching the window (default: a week back to 90 days ahead), as of `now`."""
    from . import moments

    return moments.derive_moments(store, config.rules, now, (window.start, window.end) if window else None)


def build_report(store: Store, config: Config, now: datetime, window: Window, runs: list[SourceRun] | None = None, matched: int = 0) -> Report:
    """Assemble the report from the database (no fetching, no matching)."""
    agenda, news = collect(store, window)
    health = [store.health(s.id, s.kind, s.label) for s in config.sources.sources if s.enabled]
    runs = runs or []
    return Report(
        generated_at=now,
        window=window,
        config=config,
        agenda=agenda,
        news=news,
        moments=derive_moments(store, config, now, window),
        sources=health,
        runs=runs,
        matched=matched,
        requests=sum(r.result.requests for r in runs if r.result),
    )


def run(
    config: Config,
    store: Store,
    now: datetime,
    window: Window,
    *,
    fetch: bool = True,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: float = 1.0,
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """The whole pipeline: fetch (unless `fetch=False`), match what is new or changed, report."""
    runs: list[SourceRun] = []
    if fetch:
        runs = asyncio.run(fetch_sources(config, store, now, only=only, transport=transport, backoff=backoff, progress=progress))
    matched = match_pending(store, config.rules, now)
    return build_report(store, config, now, window, runs, matched)


def fetch_and_match(
    config: Config,
    store: Store,
    now: datetime,
    *,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[SourceRun]:
    """Fetch some (or all) sources and match what they brought: the scheduler's fetch job."""
    runs = asyncio.run(fetch_sources(config, store, now, only=only, transport=transport, progress=progress))
    match_pending(store, config.rules, now)
    return runs


def digest(
    config: Config,
    store: Store,
    now: datetime,
    *,
    send: bool = True,
    only: str | None = None,
    connect: Callable[[Any], Any] | None = None,
) -> DigestRun:
    """Match what is pending, derive the moments and queue (and send) each recipient's digest."""
    from .deliver.digest import run_digest

    match_pending(store, config.rules, now)
    return run_digest(store, config, now, derive_moments(store, config, now), send=send, only=only, connect=connect)
