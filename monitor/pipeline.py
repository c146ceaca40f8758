"""The one facade over the stages: fetch -> store -> match -> moments -> briefing -> render.

The CLI, the scheduler's jobs and (later) the web view call these functions and nothing below
them. Each stage reads what the previous one wrote to the database, so any stage can be re-run
on its own: `run(fetch=False)` re-reports stored items, and a changed rules.yaml re-matches
history because every match records the rules version it was made under.

Writing and reading are separate: `run` (with fetching), `fetch_and_match` (which also sends the
spoedmeldingen, `send_alerts`) and `send_digests` write; `briefing`, `report`, `calendar`, `preview_digests`, `woordvoerders` and `source_status`
only read, as of the moment they are given. The one exception is matching: a read brings the
matches up to date when rules.yaml changed since they were made (a second read writes nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .briefing import Briefing, Scope, SourceStatus, build_briefing
from .config import Config, RulesConfig, SourceConfig
from .models import Item, Match, SourceHealth, Woordvoerder
from .rules.engine import ENGINE_VERSION, matcher_for
from .sources import FetchContext, FetchResult, SourceError, fetcher_for
from .sources.http import HttpClient
from .store import Store, View
from .timeutil import iso
from .timeutil import now as clock

if TYPE_CHECKING:
    from .deliver.digest import DigestRun

log = logging.getLogger(__name__)

__all__ = [
    "Scope",
    "SourceRun",
    "RunResult",
    "fetch_sources",
    "match_pending",
    "refresh_moments",
    "run",
    "fetch_and_match",
    "view",
    "briefing",
    "woordvoerders",
    "source_status",
    "send_digests",
    "send_alerts",
    "preview_digests",
    "calendar",
    "EXPORT_FORMATS",
    "export",
    "feed",
]


@dataclass
class SourceRun:
    """What happened to one source in this run, plus its health as recorded."""

    source: SourceConfig
    result: FetchResult | None
    error: str | None
    seconds: float
    health: SourceHealth | None = None


@dataclass
class RunResult:
    """What `monitor run` did and what it shows."""

    briefing: Briefing
    runs: list[SourceRun]
    matched: int

    @property
    def requests(self) -> int:
        return sum(r.result.requests for r in self.runs if r.result)

    @property
    def all_failed(self) -> bool:
        """Sources were fetched and every one of them failed."""
        return bool(self.runs) and all(r.error for r in self.runs)

    @property
    def offline(self) -> bool:
        """Every source failed to connect: the machine is probably offline."""
        return self.all_failed and all(r.error and ("connection failed" in r.error or "cannot reach" in r.error) for r in self.runs)


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


async def _fetch_one(source: SourceConfig, store: Store, client: HttpClient, now: datetime, progress: Callable[[str], None]) -> SourceRun:
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


_COMPILED: dict[str, Any] = {}


def matcher(rules: RulesConfig) -> Any:
    """The compiled rules, compiled once per process and rules version (by the engine's cache,
    which a back-test in the same process shares; this dict only saves hashing the rules on
    every call)."""
    version = rules_version(rules)
    if version not in _COMPILED:
        _COMPILED.clear()  # one rules version at a time; the scheduler re-reads rules.yaml
        _COMPILED[version] = matcher_for(rules.dossiers.values())
    return _COMPILED[version]


def match_pending(store: Store, rules: RulesConfig, now: datetime | None = None) -> int:
    """Match every item that is new, changed, or was matched under other rules; return how many.

    Bookkeeping (`matched_at`) uses the clock, never `--now`: a report of the past must not
    leave a timestamp of the past behind.
    """
    version = rules_version(rules)
    compiled = matcher(rules)
    at = iso(clock()) or ""
    count = 0
    for item in list(store.items_needing_match(version)):
        store.replace_matches(item, compiled.match(item), version, at)
        count += 1
    _match_transcripts(store, compiled, version, now)
    return count


def _match_transcripts(store: Store, compiled: Any, version: str, now: datetime | None) -> None:
    """Who spoke on which dossier: the turns of new transcripts (or all, after a rules change) through the same rules."""
    from .sources import tk
    from .speakers import SpeakerIndex
    from .transcripts import refresh_passages

    day = (now or clock()).date()
    # The register is only read when there is something to match (refresh_passages asks lazily).
    speakers = _LazySpeakers(lambda: SpeakerIndex(tk.personen(store, day), tk.fractie_namen(store)))
    refresh_passages(store.db.conn, compiled.match_fields, speakers, version)  # type: ignore[arg-type]


class _LazySpeakers:
    """A SpeakerIndex built on first use: most runs have no new transcript, and the register costs a query."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._index: Any = None

    def persoon_id(self, speaker: Any) -> str | None:
        if self._index is None:
            self._index = self._build()
        return self._index.persoon_id(speaker)


# ---------------------------------------------------------------------------- moments


def refresh_moments(store: Store, config: Config, now: datetime) -> int:
    """Derive the moments as of `now` and store them with their status history; return how many changed.

    Only the write path calls this (after a fetch), so the `moments` table and its history hold
    what the pipeline knew at each run.
    """
    from .moments import derive_moments
    from .wording import moment_label

    current = view(store, config, now)
    moments = derive_moments(current, config.rules, match_text=matcher(config.rules).match, with_woordvoerders=False)
    rows = [
        {
            "id": m.id,
            "kind": m.kind.value,
            "dossiers": m.dossiers,
            "meeting": m.meeting.item_id,
            "title": m.meeting.onderwerp,
            "meeting_start": iso(m.meeting.start) if m.meeting.start else (m.meeting.day.isoformat() if m.meeting.day else None),
            "deadline": m.deadline.isoformat() if m.deadline else None,
            "status": m.status.value,
            "label": moment_label(m.kind),
        }
        for m in moments
    ]
    return store.save_moments(rows, iso(now) or "")


# ---------------------------------------------------------------------------- reading


def view(store: Store, config: Config, now: datetime) -> View:
    """The database as known at `now`, with the current rules for items that changed since."""
    return store.view(now, rematch=matcher(config.rules).match)


def briefing(store: Store, config: Config, now: datetime, scope: Scope | None = None) -> Briefing:
    """The briefing for `scope` (default: the next 14 days, news of the last 7) as of `now`."""
    match_pending(store, config.rules)
    compiled = matcher(config.rules)
    return build_briefing(store.view(now, rematch=compiled.match), config, scope or Scope.default(now), match_text=compiled.match)


def woordvoerders(store: Store, config: Config, dossier: str, now: datetime, limit: int = 10) -> list[Woordvoerder]:
    """The Kamerleden to approach on a dossier as of `now`, best first (KeyError for an unknown dossier)."""
    from .people import woordvoerders as rank

    match_pending(store, config.rules)
    return rank(view(store, config, now), config.rules, dossier, limit)


def source_status(store: Store, config: Config, now: datetime) -> list[SourceStatus]:
    """Every configured source with its condition as of `now`."""
    current = store.view(now)
    out = []
    for source in config.sources.sources:
        health = current.health(source.id, source.kind, source.label)
        out.append(SourceStatus(source.id, source.kind, source.label, source.url, health.state(source.every, current.as_of, source.enabled), health))
    return out


# ---------------------------------------------------------------------------- commands


def run(
    config: Config,
    store: Store,
    now: datetime,
    scope: Scope,
    *,
    fetch: bool = True,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: float = 1.0,
    progress: Callable[[str], None] = lambda message: None,
) -> RunResult:
    """The whole pipeline: fetch (unless `fetch=False`), match, store the moments, build the briefing."""
    runs: list[SourceRun] = []
    matched = 0
    if fetch:
        runs, matched = fetch_and_match(config, store, now, only=only, transport=transport, backoff=backoff, progress=progress)
    return RunResult(briefing(store, config, now, scope), runs, matched + match_pending(store, config.rules))


def fetch_and_match(
    config: Config,
    store: Store,
    now: datetime,
    *,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: float = 1.0,
    progress: Callable[[str], None] = lambda message: None,
    alerts: bool = True,
    connect: Callable[[Any], Any] | None = None,
) -> tuple[list[SourceRun], int]:
    """Fetch some (or all) sources, match what they brought and store the moments: the scheduler's fetch job.

    Then, unless `alerts=False`, the spoedmeldingen the fetch warrants go out at once (`send_alerts`).
    """
    runs = asyncio.run(fetch_sources(config, store, now, only=only, transport=transport, backoff=backoff, progress=progress))
    matched = match_pending(store, config.rules)
    refresh_moments(store, config, now)
    if alerts:
        send_alerts(config, store, now, connect=connect, progress=progress)
    return runs, matched


def send_alerts(
    config: Config,
    store: Store,
    now: datetime,
    *,
    connect: Callable[[Any], Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Any:
    """Queue and send the spoedmeldingen for what changed since the last check (see `deliver.alerts`).

    Never raises for a delivery problem: a fetch must not fail because a mail server or webhook
    is down (the message stays pending and the next run retries it). Returns the `AlertRun`, or
    None when the check itself failed (logged).
    """
    from .deliver.alerts import run_alerts

    try:
        outcome = run_alerts(store, config, now, connect=connect, match_text=matcher(config.rules).match)
    except Exception:  # alerting is a side job of the fetch; its failure is logged, the fetch stands
        log.exception("spoedmeldingen: the check failed")
        return None
    if outcome.queued or outcome.failed:
        progress(f"spoedmeldingen: {len(outcome.queued)} klaargezet, {len(outcome.sent)} verstuurd, {len(outcome.failed)} mislukt")
    return outcome


def send_digests(
    config: Config,
    store: Store,
    now: datetime,
    *,
    send: bool = True,
    only: str | None = None,
    connect: Callable[[Any], Any] | None = None,
) -> DigestRun:
    """Queue (and send) each recipient's digest as of `now`; retry what is still pending."""
    from .deliver.digest import run_digest

    match_pending(store, config.rules)
    compiled = matcher(config.rules)
    return run_digest(store, config, now, send=send, only=only, connect=connect, rematch=compiled.match)


def send_test_digest(config: Config, store: Store, now: datetime, address: str) -> str:
    """Send `address` the digest it would get now, marked as a test, outside the outbox.

    Nothing is queued or recorded: the daily digest is unaffected. Returns the subject sent.
    Raises `MailError` when the mail server cannot be reached or refuses.
    """
    import smtplib

    from .deliver.digest import digest_message
    from .deliver.mail import MailError, connect, describe_error, sender_address

    email = config.sources.email
    if email is None:
        raise MailError("there is no email section in sources.yaml")
    [digest] = preview_digests(config, store, now, address)
    subject = f"[TEST] {digest.subject()}"
    message = digest_message(email, digest, address, subject, now)
    try:
        client = connect(email.smtp)
        try:
            client.sendmail(sender_address(email), [address], message.as_bytes())
        finally:
            client.quit()
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the test digest to {address} was not sent: {describe_error(exc)}") from None
    return subject


def preview_digests(config: Config, store: Store, now: datetime, only: str | None = None) -> list[Any]:
    """Each recipient's digest as it would be sent now (nothing queued, nothing written)."""
    from .deliver.digest import build_digests

    match_pending(store, config.rules)
    compiled = matcher(config.rules)
    return build_digests(store.view(now, rematch=compiled.match), config, only=only, match_text=compiled.match)


def calendar(config: Config, store: Store, now: datetime, dossier: str | None = None) -> bytes:
    """The lobbykalender (.ics) for one dossier or all, as of `now` (KeyError for an unknown dossier)."""
    from .deliver.calendar import calendar_scope, render_calendar

    if dossier is not None and dossier not in config.rules.dossiers:
        raise KeyError(dossier)
    return render_calendar(briefing(store, config, now, calendar_scope(now, dossier)), dossier, config.sources.calendar.reminder)


def match_item(config: Config, item: Item) -> list[Match]:
    """Run the current rules over one item (for `rules test` and the web view)."""
    return matcher(config.rules).match(item)


EXPORT_FORMATS = ("docx", "xlsx", "csv")


def export(
    config: Config,
    store: Store,
    now: datetime,
    scope: Scope,
    fmt: str,
    *,
    week: str | None = None,
    sheet: str = "momenten",
    template: Path | None = None,
) -> bytes:
    """The briefing for `scope` as of `now` as a file: the Lobbymemo in Word (docx), the sheets in
    Excel (xlsx), or one sheet (`sheet`, see `render.sheets.SHEETS`) as CSV.

    `week` ('2026-W50') names the memo; `template` is a Word file whose styles the memo takes
    (raises `render.docx.TemplateError` when it cannot be used).
    """
    from . import wording
    from .render import sheets
    from .render.docx import to_docx
    from .render.memo import memo

    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    current = briefing(store, config, now, scope)
    if fmt == "docx":
        return to_docx(memo(current, week), template, created=now)
    tables = sheets.sheets(current)
    if fmt == "xlsx":
        title = wording.memo_title(week, scope.agenda_from, scope.agenda_to)
        return sheets.to_xlsx(tables, title=title, created=now)
    chosen = next((t for t in tables if t.key == sheet), None)
    if chosen is None:
        raise ValueError(f"unknown sheet {sheet!r}; choose from {', '.join(sheets.SHEETS)}")
    return sheets.to_csv(chosen)


def feed(config: Config, store: Store, now: datetime, dossier: str | None = None, self_url: str | None = None) -> bytes:
    """The Atom feed for one dossier or all, as of `now` (KeyError for an unknown dossier)."""
    from .render.atom import feed_scope, render_feed

    if dossier is not None and dossier not in config.rules.dossiers:
        raise KeyError(dossier)
    return render_feed(briefing(store, config, now, feed_scope(now, dossier)), dossier, self_url)

