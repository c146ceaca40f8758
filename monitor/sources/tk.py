"""The Tweede Kamer source (`kind: tk`): agenda, zaken, moties, votes and people from the SyncFeed 2.0.

**What it reads.** `GET {base_url}/SyncFeed/2.0/Feed?category=<C>&skiptoken=<N>` for 19 categories:
Activiteit, Agendapunt, ActiviteitActor, Zaak, ZaakActor, Document, Kamerstukdossier, Besluit,
Stemming, Verslag, Persoon, Fractie, FractieZetel, FractieZetelPersoon, Commissie, CommissieZetel,
CommissieZetelVastPersoon, Vergadering and Toezegging; then the files behind them (the newest
transcript per vergadering, the text of new documents) from `/SyncFeed/2.0/Resources/<id>`
within a per-run budget (`tk_resources`). Each category has its own cursor: the skiptoken of the last entry's
`rel="next"` link, saved in the same SQLite transaction as the entities of that page (so a crash
never skips an entry). A category is caught up when a page comes back empty, so **a quiet run
costs one request per category (19)**. Entities land in `tk_entities` with their links in
`tk_links` (readable from both ends); then every item whose content depends on something that
changed is rebuilt (`tk_items`) and upserted, which records field-level changes (a moved
meeting: `datum`/`aanvangstijd`; a cancelled one: `status`; a new agendapunt: `agenda`).

**How a new install starts (within minutes, not 18 years).** Skiptokens are one global,
monotonic sequence across categories (a 2023 FractieZetelPersoon entry carries 16.687.327), and
Atom `<updated>` (when the API published an entry) grows with it. So on the first run:

1. the small reference categories (Persoon, Fractie, FractieZetel, FractieZetelPersoon, Commissie,
   CommissieZetel, CommissieZetelVastPersoon) are synced in full;
2. one search over the Document feed (the densest category) finds the skiptoken where entries
   reach the start date. Each probe reads one page; the next probe interpolates on `<updated>`
   between the entries seen on both sides of the start date (or, while nothing newer has been
   seen, extrapolates the recent pace, doubling after each miss); a page that straddles the
   start date ends the search, and whenever a probe fails to halve the bracket the search
   bisects, so it stays O(log n) however unevenly the feed grew. The token found is a safe lower
   bound (the last entry published before the start date), so nothing newer is skipped, and
   every other category starts from that same global token;
3. Activiteit, Agendapunt and ActiviteitActor start **twice as far back** (120 days by default):
   a meeting planned long ago and not changed since would otherwise be missed. The second search
   reuses the first one's probes, so it costs a probe or two more;
4. entities that stored entities reference but that were never fetched (the Activiteit of a new
   Agendapunt, the Agendapunt a Zaak was just put on, a Kamerstukdossier, the Zaak a Besluit
   decides) are fetched one by one from `/SyncFeed/2.0/Entiteiten/<id>`: agenda first, at most
   100 per run, a failing id retried after a day and given up after three tries.

`since_days` (sources.yaml, default 60) sets the start date. Measured on the loopback replay
server (`benchmarks/tk_bootstrap.py`: 18 years of synthetic history on 24 million skiptokens,
250 entries per page, assumed volumes such as 900k Document and 1.5M Stemming entries): the
search takes 6 probe requests for both start dates, the whole fresh install 376 requests (8 s
on loopback; 175 of them for the reference categories in full), the quiet run after it 16. On
histories whose pace changes over the years or that have a burst of re-published entries
(ODP#127) the search took 8 to 22 probes in the tests (`tests/test_tk_bootstrap.py`). Each run is
bounded (200 pages per category, 200 MB in total) so it always ends; a long catch-up continues
on the next run and reports progress ("Document: 1.200 entries, page 12 …").

**Failures.** A failing category (HTTP 500, an `<Error>` body, malformed XML, a timeout) is
retried (HTTP by the shared client's backoff, a bad body once more here), then reported in
`FetchResult.error` by name while the other categories go on; its cursor does not move.

Values the code does not know (a new Soort, Status, Kabinetsappreciatie) pass through as text;
each is logged once (`tk_unknown`). `commissie_leden` and `personen` serve `monitor.people`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..config import SourceConfig
from ..models import KIND_ACTIVITY, KIND_DOCUMENT, KIND_ZAAK
from ..store import Store
from ..timeutil import iso
from . import FetchContext, FetchResult
from .http import FetchError, Unreachable
from .tk_items import Builder, Graph, affected_items, text
from .tk_parse import Entry, FeedError, Page, parse_entity, parse_page, parse_time
from . import tk_resources
from .tk_store import (
    apply_lookup,
    apply_page,
    clear_dirty,
    dirty_batch,
    ensure_schema,
    get_cursors,
    mark_dirty,
    note_unknown,
    start_cursor,
)

__all__ = ["fetch", "ensure_schema", "commissie_leden", "personen", "CATEGORIES"]

log = logging.getLogger(__name__)

REFERENCE_CATEGORIES = (
    "Persoon", "Fractie", "FractieZetel", "FractieZetelPersoon", "Commissie", "CommissieZetel", "CommissieZetelVastPersoon",
    # Small in all of history (about 7k and 6k entities): synced in full like the registers.
    "Vergadering", "Toezegging",
)
ACTIVITY_CATEGORIES = ("Activiteit", "Agendapunt", "ActiviteitActor")
CATEGORIES = REFERENCE_CATEGORIES + ACTIVITY_CATEGORIES + (
    "Zaak", "ZaakActor", "Document", "Kamerstukdossier", "Besluit", "Stemming", "Verslag",
)
ANCHOR_CATEGORY = "Document"  # the densest category: its pages pin a date to a skiptoken best
ACTIVITY_LOOKBACK_FACTOR = 2  # Activiteit/Agendapunt/ActiviteitActor start 2 x since_days back

MAX_PAGES_PER_CATEGORY = 200
MAX_BYTES_PER_RUN = 200 * 1024 * 1024
MAX_LOOKUPS_PER_RUN = 100
LOOKUP_MAX_ATTEMPTS = 3
LOOKUP_RETRY = timedelta(days=1)
MAX_PROBES = 60
GALLOP_FACTOR = 8
CATEGORY_CONCURRENCY = 3
REBUILD_BATCH = 500
ACCEPT = "application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"

# (referencing category, ref element) -> chase the referenced entity when we never saw it.
# Ordered by what matters most: the agenda, then the zaken on it, dossiers, decisions.
LOOKUP_REFS = (
    ("Agendapunt", "activiteit"),
    ("ActiviteitActor", "activiteit"),
    ("Activiteit", "vervangenvanuit"),
    ("Activiteit", "voortgezetvanuit"),
    ("Document", "activiteit"),
    ("Zaak", "activiteit"),
    ("Zaak", "agendapunt"),
    ("Document", "agendapunt"),
    ("Besluit", "agendapunt"),
    ("Zaak", "kamerstukdossier"),
    ("Document", "kamerstukdossier"),
    ("Besluit", "zaak"),
    ("Document", "zaak"),
    ("ZaakActor", "zaak"),
    ("Stemming", "besluit"),
    ("Activiteit", "voortouwcommissie"),
    ("ZaakActor", "commissie"),
)
LOOKUP_PRIORITY = ("Activiteit", "Agendapunt", "Zaak", "Kamerstukdossier", "Besluit", "Commissie")
ITEM_KINDS = {"Activiteit": KIND_ACTIVITY, "Zaak": KIND_ZAAK, "Document": KIND_DOCUMENT}


async def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    """Sync the SyncFeed categories into the entity store and rebuild the affected items."""
    return await _Run(source, ctx).go()


@dataclass
class _Probe:
    """What one search probe saw: (skiptoken, published) per entry, and whether the page was empty."""

    token: int | None
    entries: list[tuple[int, datetime]]
    empty: bool


@dataclass
class _Run:
    source: SourceConfig
    ctx: FetchContext
    result: FetchResult = field(default_factory=FetchResult)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (what, problem)
    unreachable: Unreachable | None = None  # set once the host cannot be reached at all
    bytes: int = 0
    probes: dict[int | None, _Probe] = field(default_factory=dict)
    probe_requests: int = 0
    _budget_warned: bool = False

    def __post_init__(self) -> None:
        self.store: Store = self.ctx.store
        self.db = self.store.db
        self.base = self.source.url.rstrip("/")
        self.seen_at = iso(self.ctx.now) or ""

    # ------------------------------------------------------------------ orchestration

    async def go(self) -> FetchResult:
        ensure_schema(self.db)
        cursors = get_cursors(self.db, self.source.id)
        missing = [c for c in CATEGORIES if c not in cursors]
        if missing:
            await self._bootstrap(missing)
            cursors = get_cursors(self.db, self.source.id)
        ready = [c for c in CATEGORIES if c in cursors]
        semaphore = asyncio.Semaphore(CATEGORY_CONCURRENCY)

        async def one(category: str) -> None:
            async with semaphore:
                await self._sync(category, cursors[category]["skiptoken"])

        await asyncio.gather(*(one(c) for c in ready))
        await self._lookups()
        await self._files()
        await self._rebuild()
        self.store.save_state(
            self.source.id,
            cursor={"skiptokens": {c: r["skiptoken"] for c, r in sorted(get_cursors(self.db, self.source.id).items())}},
        )
        if self.unreachable is not None:
            self.result.error = f"cannot reach the Kamer: {self.unreachable}; the next run continues where this one stopped"
        elif self.errors:
            self.result.error = _summarise(self.errors)
        log.info("%s: %d requests (%d start-up probes)", self.source.id, self.result.requests, self.probe_requests)
        return self.result

    # ------------------------------------------------------------------ HTTP

    async def _get(self, path: str, params: dict[str, str] | None = None, accept: str = ACCEPT) -> bytes:
        if self.unreachable is not None:
            raise self.unreachable  # no point in knocking on a door that is not there
        try:
            response = await self.ctx.client.get(f"{self.base}{path}", params=params, accept=accept)
        except FetchError as exc:
            self.result.requests += exc.attempts
            if isinstance(exc, Unreachable):
                self.unreachable = exc
            raise
        self.result.requests += response.attempts
        self.bytes += len(response.content)
        return response.content

    async def _page(self, category: str | None, skiptoken: int | None) -> Page:
        params: dict[str, str] = {}
        if category:
            params["category"] = category
        if skiptoken is not None:
            params["skiptoken"] = str(skiptoken)
        try:
            return parse_page(await self._get("/SyncFeed/2.0/Feed", params), category)
        except FeedError:
            # A truncated or error body is often transient: one more try after the backoff.
            await asyncio.sleep(self.ctx.client.backoff)
            return parse_page(await self._get("/SyncFeed/2.0/Feed", params), category)

    # ------------------------------------------------------------------ files behind entities

    async def _files(self) -> None:
        """Transcripts and document texts (`tk_resources`); the documents whose text came in are rebuilt."""
        if self.unreachable is not None:
            return

        async def get_file(path: str) -> bytes:
            try:
                return await self._get(path, accept="*/*")
            except Unreachable as exc:
                raise tk_resources.HostGone(str(exc)) from exc

        since = self.ctx.now - timedelta(days=self.source.since_days)
        try:
            found = await tk_resources.fetch_resources(get_file, self.db.conn, self.ctx.now, since, self.ctx.progress)
        except tk_resources.HostGone:
            return  # reported once, as the Kamer being unreachable
        self.result.warnings += found.warnings
        if found.rebuild:
            mark_dirty(self.db, self.source.id, [("Document", d) for d in found.rebuild])
        if found.downloads:
            log.info("%s: %d files (%d transcripts, %d document texts), %d bytes", self.source.id, found.downloads, found.transcripts, found.documents, found.bytes)

    # ------------------------------------------------------------------ one category

    async def _sync(self, category: str, token: int | None) -> None:
        pages = entries = 0
        while True:
            if pages >= MAX_PAGES_PER_CATEGORY or self.bytes >= MAX_BYTES_PER_RUN:
                self._over_budget(category)
                return
            try:
                page = await self._page(category, token)
            except (FetchError, FeedError) as exc:
                if not isinstance(exc, Unreachable):
                    where = f" at skiptoken {token}" if token is not None else ""
                    self.errors.append((category, f"{exc}{where}"))
                return
            pages += 1
            for problem in page.problems:
                self.result.warnings.append(f"{category}: skipped an unreadable entry: {problem}")
            if page.raw_count == 0:
                return  # caught up
            following = page.next_skiptoken
            if following is None:
                # No way forward from this page: store what it holds (idempotent), keep the cursor.
                apply_page(self.db, self.source.id, category, page.entries, None, None)
                self.result.warnings.append(f"{category}: page without a next link; the cursor stays at {token}")
                return
            if token is not None and following <= token:
                self.result.warnings.append(f"{category}: skiptoken did not advance ({token} -> {following}); stopped")
                return
            apply_page(self.db, self.source.id, category, page.entries, following, page.last_updated)
            token = following
            entries += page.raw_count
            if pages % 5 == 0:
                self.ctx.progress(f"{category}: {_nl(entries)} entries, page {pages} …")

    def _over_budget(self, category: str) -> None:
        self.result.warnings.append(f"{category}: per-run limit reached; the catch-up continues next run")
        if not self._budget_warned:
            self._budget_warned = True
            self.ctx.progress("per-run limit reached; the catch-up continues next run")

    # ------------------------------------------------------------------ fresh install

    async def _bootstrap(self, missing: list[str]) -> None:
        for category in missing:
            if category in REFERENCE_CATEGORIES:
                start_cursor(self.db, self.source.id, category, None, "full", self.seen_at)
        rest = [c for c in missing if c not in REFERENCE_CATEGORIES]
        if not rest:
            return
        since = self.ctx.now - timedelta(days=self.source.since_days)
        early = self.ctx.now - timedelta(days=self.source.since_days * ACTIVITY_LOOKBACK_FACTOR)
        wanted = sorted({early if c in ACTIVITY_CATEGORIES else since for c in rest})
        self.ctx.progress(f"first run: looking for the skiptoken of {since.date().isoformat()} …")
        tokens: dict[datetime, int | None] = {}
        before = self.result.requests
        try:
            for moment in wanted:
                tokens[moment] = await self._find_start(moment)
        except (FetchError, FeedError) as exc:
            if not isinstance(exc, Unreachable):
                self.errors.append((f"start-up search ({ANCHOR_CATEGORY})", f"{exc}; {', '.join(rest)} not started"))
            return
        finally:
            self.probe_requests = self.result.requests - before
        for category in rest:
            moment = early if category in ACTIVITY_CATEGORIES else since
            mode = f"since {moment.date().isoformat()}" if tokens[moment] is not None else "full"
            start_cursor(self.db, self.source.id, category, tokens[moment], mode, self.seen_at)
        self.ctx.progress(f"first run: start found in {self.probe_requests} request{'' if self.probe_requests == 1 else 's'}")

    async def _probe(self, token: int | None) -> _Probe:
        if token in self.probes:
            return self.probes[token]
        if len(self.probes) >= MAX_PROBES:
            raise FeedError(f"no start point found after {MAX_PROBES} probes")
        page = await self._page(ANCHOR_CATEGORY, token)
        seen = [(t, moment) for t, u in page.tokens if (moment := parse_time(u)) is not None]
        probe = _Probe(token, seen, page.raw_count == 0)
        self.probes[token] = probe
        return probe

    async def _find_start(self, start: datetime) -> int | None:
        """The skiptoken to resume from so that no entry published at or after `start` is skipped.

        None means "from the beginning" (the feed holds nothing older than `start`). Each probe
        reads one page of the anchor category; the estimate for the next probe interpolates
        between the entries seen on both sides of `start` (or extrapolates from the oldest
        entry seen while nothing newer is known, overshooting more after each miss). A page that
        straddles `start` ends the search; when interpolation stops halving the bracket the
        search bisects, so the worst case stays O(log n) probes.
        """
        start = start.astimezone(timezone.utc)
        first = await self._probe(None)
        if first.empty or not first.entries or first.entries[0][1] >= start:
            return None
        width: int | None = None
        misses = 0
        previous: tuple[int, datetime] | None = None
        while True:
            lo, lo_time, hi, up, up_time = self._bracket(start)
            assert lo is not None and lo_time is not None
            if self._straddles(lo, start) or (hi is not None and hi - lo <= 1):
                return lo
            span = max(self._span(), 1)
            if hi is not None and width is not None and hi - lo > width // 2:
                # The last probe did not halve the bracket: bisect, which keeps the worst
                # case O(log n) whatever the feed's pace does.
                guess = (lo + hi) // 2
            elif up is not None and up_time is not None and up_time > lo_time:
                # Entries seen on both sides: interpolate on publication time, aiming half a
                # page early, since a page that straddles `start` ends the search.
                guess = int(lo + (up - lo) * ((start - lo_time) / (up_time - lo_time)) - span / 2)
            else:
                # Nothing seen past `start` yet (above lies at most an empty page: the end of
                # the feed). Extrapolate the recent pace and aim a page late, so one probe
                # usually lands just past it. Each miss doubles the step; no step goes further
                # than 64x the distance covered, or 8x while the entries seen span less than a
                # day (a page published in one burst says nothing about the years after it).
                base, base_time = previous if previous and previous[1] < lo_time else min(
                    (e for p in self.probes.values() for e in p.entries), key=lambda e: e[0]
                )
                steady = lo_time - base_time >= timedelta(days=1)
                reach = max(lo - base, span) * (GALLOP_FACTOR**2 if steady else GALLOP_FACTOR)
                estimate = float(lo + reach)
                if lo_time > base_time:
                    estimate = lo + (lo - base) * ((start - lo_time) / (lo_time - base_time)) * 2**misses + span
                guess = int(min(max(estimate, lo + span), lo + reach))
                if guess < lo + reach:
                    misses += 1  # only an estimate that was not capped can prove the pace wrong
                previous = (lo, lo_time)
                if hi is not None and guess >= hi - 1:
                    guess = (lo + hi) // 2  # the pace points past the end of the feed
            if hi is not None:
                width = hi - lo
                guess = min(max(guess, lo + 1), hi - 1)
            await self._probe(guess)

    def _bracket(self, start: datetime) -> tuple[int | None, datetime | None, int | None, int | None, datetime | None]:
        # lo: the last entry seen that was published before `start` (resuming there skips
        # nothing newer); hi: the lowest probe token whose page starts at/after `start` or is
        # empty; up: the first entry seen published at/after `start` (for interpolation).
        lo = lo_time = hi = up = up_time = None
        for probe in self.probes.values():
            for token, moment in probe.entries:
                if moment < start:
                    if lo is None or token > lo:
                        lo, lo_time = token, moment
                elif up is None or token < up:
                    up, up_time = token, moment
            if probe.token is not None and (probe.empty or (probe.entries and probe.entries[0][1] >= start)):
                hi = probe.token if hi is None else min(hi, probe.token)
        return lo, lo_time, hi, up, up_time

    def _straddles(self, lo: int, start: datetime) -> bool:
        # Some probe saw an entry at/after `start` right after `lo`: the bracket is one page wide.
        for probe in self.probes.values():
            tokens = [t for t, _ in probe.entries]
            if lo in tokens:
                after = probe.entries[tokens.index(lo) + 1 :]
                if after and after[0][1] >= start:
                    return True
        return False

    def _span(self) -> int:
        spans = [p.entries[-1][0] - p.entries[0][0] for p in self.probes.values() if len(p.entries) > 1]
        return max(spans, default=0)

    # ------------------------------------------------------------------ missing entities

    async def _lookups(self) -> None:
        # Failed look-ups whose entity has since come in through the feed need no retry.
        with self.db.conn:
            self.db.conn.execute(
                "DELETE FROM tk_lookup WHERE EXISTS (SELECT 1 FROM tk_entities e WHERE e.category = tk_lookup.category AND e.id = tk_lookup.id)"
            )
        budget = MAX_LOOKUPS_PER_RUN if self.unreachable is None else 0
        for _ in range(4):  # an Agendapunt found may name an Activiteit we lack: a few rounds
            if budget <= 0:
                break
            wanted = self._missing(budget)
            if not wanted:
                break
            for category, entity_id in wanted:
                budget -= 1
                await self._lookup(category, entity_id)

    def _missing(self, limit: int) -> list[tuple[str, str]]:
        pairs = " OR ".join("(l.src_category = ? AND l.rel = ?)" for _ in LOOKUP_REFS)
        order = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(LOOKUP_PRIORITY))
        sql = f"""
            SELECT DISTINCT l.dst_category AS category, l.dst_id AS id,
                   CASE l.dst_category {order} ELSE 99 END AS priority
            FROM tk_links l
            JOIN tk_entities s ON s.category = l.src_category AND s.id = l.src_id AND s.deleted = 0
            LEFT JOIN tk_entities d ON d.category = l.dst_category AND d.id = l.dst_id
            LEFT JOIN tk_lookup k ON k.category = l.dst_category AND k.id = l.dst_id
            WHERE d.id IS NULL AND ({pairs})
              AND (k.id IS NULL OR (k.attempts < ? AND k.next_try <= ?))
            ORDER BY priority, l.dst_id
            LIMIT ?
        """
        args: list[Any] = [v for pair in LOOKUP_REFS for v in pair] + [LOOKUP_MAX_ATTEMPTS, self.seen_at, limit]
        return [(r["category"], r["id"]) for r in self.db.query(sql, args)]

    async def _lookup(self, category: str, entity_id: str) -> None:
        try:
            entry: Entry = parse_entity(await self._get(f"/SyncFeed/2.0/Entiteiten/{entity_id}"), category)
        except Unreachable:
            return  # an outage says nothing about this entity: do not count it as a failed try
        except (FetchError, FeedError) as exc:
            self._lookup_failed(category, entity_id, str(exc))
            return
        if entry.category != category or entry.id != entity_id:
            self._lookup_failed(category, entity_id, f"answer was {entry.category} {entry.id}")
            return
        apply_lookup(self.db, self.source.id, entry)

    def _lookup_failed(self, category: str, entity_id: str, problem: str) -> None:
        row = list(self.db.query("SELECT attempts FROM tk_lookup WHERE category = ? AND id = ?", [category, entity_id]))
        attempts = (row[0]["attempts"] if row else 0) + 1
        retry = iso(self.ctx.now + LOOKUP_RETRY * attempts)
        with self.db.conn:
            self.db.conn.execute(
                "INSERT OR REPLACE INTO tk_lookup (category, id, attempts, next_try, last_error) VALUES (?, ?, ?, ?, ?)",
                [category, entity_id, attempts, retry, problem[:300]],
            )
        log.info("%s: could not look up %s %s: %s", self.source.id, category, entity_id, problem)

    # ------------------------------------------------------------------ items

    async def _rebuild(self) -> None:
        builder = Builder(
            Graph(self.db),
            self.source.id,
            item_exists=lambda item_id: self.store.item_row(item_id) is not None,
            resources=f"{self.base}/SyncFeed/2.0/Resources/",
        )
        done: set[tuple[str, str]] = set()
        while True:
            keys = dirty_batch(self.db, self.source.id, REBUILD_BATCH)
            if not keys:
                break
            # A fresh graph per batch: look-ups may have stored entities since the last one.
            builder.graph = Graph(self.db)
            for count, (category, entity_id) in enumerate(sorted(affected_items(builder.graph, keys) - done), 1):
                if count % 100 == 0:
                    await asyncio.sleep(0)  # other sources share this event loop: let them run
                done.add((category, entity_id))
                outcome, item = builder.build(category, entity_id)
                if outcome == "item" and item is not None:
                    self.result.count(self.store.upsert_item(item, self.seen_at))
                elif outcome == "deleted":
                    item_id = f"{self.source.id}:{ITEM_KINDS[category]}/{entity_id}"
                    if self.store.mark_deleted(item_id, self.seen_at):
                        self.result.deleted += 1
            clear_dirty(self.db, self.source.id, keys)
        for name, value in note_unknown(self.db, builder.unknown, self.seen_at):
            log.info("%s: new value for %s: %r (passed through as text)", self.source.id, name, value)
            self.result.warnings.append(f"new value for {name}: {value!r} (passed through as text)")


def _summarise(errors: list[tuple[str, str]]) -> str:
    """One line for source health: categories that failed the same way are named together."""
    grouped: dict[str, list[str]] = {}
    for what, problem in errors:
        grouped.setdefault(problem, []).append(what)
    return "; ".join(f"{', '.join(whats)}: {problem}" for problem, whats in grouped.items())


def _nl(number: int) -> str:
    return f"{number:,}".replace(",", ".")


# ---------------------------------------------------------------------------- people for monitor.people


def personen(store: Store, on: date | None = None) -> dict[str, dict[str, Any]]:
    """Every known Persoon by id: naam ('M.E.E. de Beer'), roepnaam, achternaam, functie, fractie.

    `fractie` is the afkorting of the fractie the person sits for on `on` (default today), from
    FractieZetelPersoon (van/totEnMet) -> FractieZetel -> Fractie; None when not a member.
    """
    day = (on or date.today()).isoformat()
    fracties = _current_fracties(store, day)
    out: dict[str, dict[str, Any]] = {}
    for row in store.db.query("SELECT id, fields FROM tk_entities WHERE category = 'Persoon' AND deleted = 0"):
        fields = _json(row["fields"])
        out[row["id"]] = {
            "persoon_id": row["id"],
            "naam": _person_name(fields),
            "roepnaam": text(fields.get("roepnaam")),
            "voornamen": text(fields.get("voornamen")),
            "tussenvoegsel": text(fields.get("tussenvoegsel")),
            "achternaam": text(fields.get("achternaam")),
            "functie": text(fields.get("functie")),
            "fractie": fracties.get(row["id"]),
        }
    return out


def fractie_namen(store: Store) -> dict[str, str]:
    """Every fractie's full name -> its afkorting ('GroenLinks-PvdA' -> 'GL-PvdA'): transcripts name fracties in full."""
    out: dict[str, str] = {}
    for row in store.db.query("SELECT fields FROM tk_entities WHERE category = 'Fractie' AND deleted = 0"):
        fields = _json(row["fields"])
        naam, afkorting = text(fields.get("naamnl")), text(fields.get("afkorting"))
        if naam and afkorting:
            out[naam] = afkorting
    return out


def commissie_leden(store: Store, commissie_id: str, on: date, register: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The vaste leden of a commissie on a date: [{persoon_id, naam, fractie, functie}], by name.

    From CommissieZetel (of the commissie) -> CommissieZetelVastPersoon (van <= on <= totEnMet).
    `register` is `personen(store, on)` when the caller has it already.
    """
    day = on.isoformat()
    sql = """
        SELECT m.fields AS fields, (SELECT dst_id FROM tk_links p WHERE p.src_category = 'CommissieZetelVastPersoon'
                                    AND p.src_id = m.id AND p.rel = 'persoon') AS persoon_id
        FROM tk_links z
        JOIN tk_entities zetel ON zetel.category = 'CommissieZetel' AND zetel.id = z.src_id AND zetel.deleted = 0
        JOIN tk_links zm ON zm.dst_category = 'CommissieZetel' AND zm.dst_id = z.src_id
                        AND zm.src_category = 'CommissieZetelVastPersoon'
        JOIN tk_entities m ON m.category = 'CommissieZetelVastPersoon' AND m.id = zm.src_id AND m.deleted = 0
        WHERE z.src_category = 'CommissieZetel' AND z.dst_category = 'Commissie' AND z.dst_id = ?
    """
    people = register if register is not None else personen(store, on)
    members: dict[str, dict[str, Any]] = {}
    for row in store.db.query(sql, [commissie_id]):
        fields = _json(row["fields"])
        if not _active(fields, day) or not row["persoon_id"]:
            continue
        person = people.get(row["persoon_id"], {})
        members[row["persoon_id"]] = {
            "persoon_id": row["persoon_id"],
            "naam": person.get("naam") or row["persoon_id"],
            "fractie": person.get("fractie"),
            "functie": text(fields.get("functie")),
        }
    return sorted(members.values(), key=lambda m: (m["naam"] or "", m["persoon_id"]))


def _current_fracties(store: Store, day: str) -> dict[str, str]:
    afkorting = {
        r["id"]: text(_json(r["fields"]).get("afkorting"))
        for r in store.db.query("SELECT id, fields FROM tk_entities WHERE category = 'Fractie' AND deleted = 0")
    }
    zetel_fractie = {
        r["src_id"]: r["dst_id"]
        for r in store.db.query(
            "SELECT l.src_id, l.dst_id FROM tk_links l JOIN tk_entities e ON e.category = l.src_category AND e.id = l.src_id"
            " WHERE l.src_category = 'FractieZetel' AND l.rel = 'fractie' AND e.deleted = 0"
        )
    }
    best: dict[str, tuple[str, str]] = {}
    sql = """
        SELECT e.fields AS fields,
               (SELECT dst_id FROM tk_links l WHERE l.src_category = e.category AND l.src_id = e.id AND l.rel = 'persoon') AS persoon,
               (SELECT dst_id FROM tk_links l WHERE l.src_category = e.category AND l.src_id = e.id AND l.rel = 'fractiezetel') AS zetel
        FROM tk_entities e WHERE e.category = 'FractieZetelPersoon' AND e.deleted = 0
    """
    for row in store.db.query(sql):
        fields = _json(row["fields"])
        fractie = afkorting.get(zetel_fractie.get(row["zetel"] or "", ""))
        if not row["persoon"] or not fractie or not _active(fields, day):
            continue
        van = str(fields.get("van") or "")[:10]
        if row["persoon"] not in best or van > best[row["persoon"]][0]:
            best[row["persoon"]] = (van, fractie)
    return {persoon: fractie for persoon, (_, fractie) in best.items()}


def _active(fields: dict[str, Any], day: str) -> bool:
    van = str(fields.get("van") or "")[:10]
    tot = str(fields.get("totenmet") or "")[:10]
    return (not van or van <= day) and (not tot or tot >= day)


def _person_name(fields: dict[str, Any]) -> str:
    # The style of ActorNaam in ZaakActor ("R.M. Leijten"), so names from both sources meet.
    first = text(fields.get("initialen")) or text(fields.get("roepnaam"))
    parts = [first, text(fields.get("tussenvoegsel")), text(fields.get("achternaam"))]
    return " ".join(p for p in parts if p)


def _json(value: str | None) -> dict[str, Any]:
    import json

    return json.loads(value or "{}")
