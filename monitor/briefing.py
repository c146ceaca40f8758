"""The briefing: the Lobbymemo for a window, as of a moment — built once, rendered everywhere.

`build_briefing` reads the database through a `store.View` (so `--now` in the past shows only
what was known then) and returns a typed `Briefing`:

- **actions**: one entry per meeting with the moments that still ask for action, by deadline,
  with the meeting (typed), the agenda points that make it touch the dossiers, the woordvoerders,
  what changed about it, and for the Stemmingen the moties and amendementen on the dossiers with
  indieners, appreciatie and (once voted) the result per fractie;
- **closed**: meetings whose moments were cancelled or are past;
- **agenda**: one entry per meeting on the dossiers in the window;
- **changed**: what changed in the period and has no place above (a meeting moved out of the
  window, a motie voted on, a letter revised);
- **news**: per dossier, the Kamer's new zaken (one entry per zaak, its documents folded in) and
  the press;
- **sources**: every source's health; `problems` are the ones a reader must be told about.

A meeting appears at most once per section, and its changes are folded into its entry. The
renderers (report, digest, calendar, JSON) never query the database; every Dutch phrase comes
from `monitor.wording`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from . import changes as change_log
from . import work as team_work
from .kamer import KamerIndex, MeetingChain
from .models import (
    KIND_ACTIVITY,
    KIND_ARTICLE,
    KIND_DOCUMENT,
    KIND_TOEZEGGING,
    KIND_ZAAK,
    Change,
    Document,
    Item,
    Match,
    Meeting,
    Moment,
    MomentKind,
    Question,
    SourceHealth,
    Toezegging,
    SourceState,
    Update,
    UpdateKind,
    Woordvoerder,
    Zaak,
)
from .moments import derive_moments, relevant_chains
from .timeutil import AMS, iso
from .wording import LABEL_MADE_IN, ZAAK_GROUPS, day, meeting_name, zaak_group

if TYPE_CHECKING:
    from .config import Config
    from .store import View

AGENDA_DAYS = 14
NEWS_DAYS = 7


# ---------------------------------------------------------------------------- scope


@dataclass
class Scope:
    """What a briefing covers.

    The agenda runs from `agenda_from` to `agenda_to` (inclusive days). News is what was
    published from `news_from` to `news_to` (inclusive) or first seen after `seen_after`; changes
    are those seen after `changes_since` (or recorded after change row `changes_after_id`).
    `news_from` None leaves news out (the calendar). `dossiers` None means all of rules.yaml.
    """

    agenda_from: date
    agenda_to: date
    news_from: date | None
    news_to: date | None
    seen_after: str | None = None
    changes_since: str | None = None
    changes_after_id: int | None = None
    dossiers: list[str] | None = None

    @classmethod
    def default(cls, now: datetime) -> Scope:
        """Today to 14 days ahead for the agenda, the last 7 days for news and changes."""
        today = now.astimezone(AMS).date()
        return cls.between(today, today + timedelta(days=AGENDA_DAYS), now)

    @classmethod
    def between(cls, start: date, end: date, now: datetime) -> Scope:
        """An explicit agenda window (a key week); news is the 7 days up to its end, or up to today."""
        if end < start:
            raise ValueError(f"the window ends ({end}) before it starts ({start})")
        today = now.astimezone(AMS).date()
        news_to = min(end, today)
        news_from = min(start, news_to - timedelta(days=NEWS_DAYS))
        since = iso(datetime.combine(news_from, datetime.min.time(), AMS))
        return cls(start, end, news_from, news_to, seen_after=since, changes_since=since)

    @classmethod
    def iso_week(cls, week: str, now: datetime) -> Scope:
        """The ISO week 'YYYY-Www' (Monday to Sunday)."""
        try:
            year, number = week.upper().split("-W")
            monday = date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise ValueError(f"cannot read week {week!r}; use YYYY-Www, e.g. 2026-W50") from None
        return cls.between(monday, monday + timedelta(days=6), now)


# ---------------------------------------------------------------------------- entries


@dataclass
class Reason:
    """Why an entry is there: a dossier's rule that matched (with terms and snippet), or the agenda point through which a meeting touches it."""

    dossier: str
    title: str
    rule: str | None = None
    terms: list[str] = field(default_factory=list)
    snippet: str | None = None
    via: str | None = None  # 'Brief over wachttijden in de jeugdzorg (2026Z21000)'
    via_label: str | None = None  # what `via` is, when not an agenda point ('toegezegd in')


@dataclass
class MeetingEntry:
    """A meeting (a chain of Kamer activities that are one meeting) as the briefing shows it."""

    key: str  # '<source>:activiteit/<first activity>': stable across moves and re-creations
    meeting: Meeting
    dossiers: list[str]
    triggers: list[str]
    reasons: list[Reason]
    updates: list[Update]  # what changed in the briefing's period, folded
    deleted: bool
    new: bool  # first seen in the briefing's period
    revision: int  # how often its time, status, place or agenda changed (the calendar's SEQUENCE)
    modified_at: str  # when that last happened (ISO)
    item_ids: list[str]  # every activity of the chain


@dataclass
class KamerEntry:
    """A zaak (with its documents) or a document without a zaak, as news or as a change."""

    key: str  # the zaak's (or lone document's) item id
    zaak: Zaak | None
    document: Document | None
    documents: list[Document]  # documents of the zaak that are new in the period
    dossiers: list[str]
    reasons: list[Reason]
    updates: list[Update]
    new: bool  # the zaak (or document) itself is new in the period
    first_seen: str
    item_ids: list[str]  # every item the entry stands for (for the digest's coverage)
    question: Question | None = None  # Kamervragen: open, uitstel, beantwoord or te laat as of the briefing
    toezegging: Toezegging | None = None  # a toezegging instead of a zaak or document
    made_in: str | None = None  # the meeting a toezegging was made in, as PA staff name it
    as_of_day: date | None = None  # the briefing's day, for a toezegging's state (due or late)

    @property
    def group(self) -> str:
        """Brieven, Moties, ... (see `wording.ZAAK_GROUPS`)."""
        if self.toezegging is not None:
            return zaak_group("toezegging")
        return zaak_group(self.zaak.soort if self.zaak else self.document.soort if self.document else None)

    @property
    def url(self) -> str | None:
        if self.toezegging is not None:
            return self.toezegging.url
        return self.zaak.url if self.zaak else self.document.url if self.document else None

    @property
    def shown_documents(self) -> list[Document]:
        """The documents worth telling: for a new zaak, not the one that is its own text (the letter, the motie)."""
        if not self.new or self.zaak is None:
            return self.documents
        own = {t for t in (self.zaak.onderwerp, self.zaak.titel) if t}
        return [d for d in self.documents if (d.onderwerp or d.titel) not in own]

    @property
    def published(self) -> date | None:
        if self.toezegging is not None:
            return self.toezegging.aangemaakt
        if self.zaak is not None:
            return self.zaak.gestart_op
        return self.document.datum if self.document else None


@dataclass
class PressEntry:
    """A press article on a dossier."""

    key: str
    item: Item
    source: str
    source_label: str | None
    dossiers: list[str]
    reasons: list[Reason]
    first_seen: str


@dataclass
class Action:
    """A meeting with the moments that ask for action before it."""

    entry: MeetingEntry
    moments: list[Moment]
    woordvoerders: list[Woordvoerder]
    votes: list[KamerEntry]  # moties/amendementen on the dossiers, for the Stemmingen

    @property
    def deadline(self) -> date | None:
        """The earliest deadline of its moments."""
        days = [m.deadline for m in self.moments if m.deadline]
        return min(days) if days else None

    @property
    def key(self) -> str:
        return self.entry.key


@dataclass
class DossierNews:
    """The news of one dossier."""

    id: str
    title: str
    kamer: list[KamerEntry]
    press: list[PressEntry]

    @property
    def empty(self) -> bool:
        return not self.kamer and not self.press


@dataclass
class SourceStatus:
    """A source and its condition as of the briefing."""

    id: str
    kind: str
    label: str | None
    url: str
    state: SourceState
    health: SourceHealth


@dataclass
class Briefing:
    """The Lobbymemo for a scope, as of a moment (see the module docstring)."""

    as_of: datetime
    scope: Scope
    dossiers: list[tuple[str, str]]  # (id, title), in rules.yaml order
    actions: list[Action]
    closed: list[Action]
    agenda: list[MeetingEntry]
    changed: list[MeetingEntry | KamerEntry]
    news: list[DossierNews]
    sources: list[SourceStatus]
    change_cursor: int  # the newest change row known at as_of
    promises: list[KamerEntry] = field(default_factory=list)  # open toezeggingen due in the window or late, by date

    @property
    def problems(self) -> list[SourceStatus]:
        """Sources that failed, are stale, or never worked: news may be missing."""
        return [s for s in self.sources if s.state.problem]

    @property
    def all_failed(self) -> bool:
        """No enabled source works: the briefing shows only what was stored before."""
        live = [s for s in self.sources if s.state is not SourceState.DISABLED]
        return bool(live) and all(s.state in (SourceState.FAILING, SourceState.NEVER_SUCCEEDED) for s in live)

    @property
    def moments(self) -> list[Moment]:
        """Every moment of the briefing, by deadline."""
        found = [m for a in (*self.actions, *self.closed) for m in a.moments]
        return sorted(found, key=lambda m: (m.deadline is None, m.deadline or date.max, m.id))

    @property
    def news_count(self) -> int:
        return sum(len(n.kamer) + len(n.press) for n in self.news)

    def title_of(self, dossier: str) -> str:
        return dict(self.dossiers).get(dossier, dossier)

    def narrow(self, dossiers: Iterable[str]) -> Briefing:
        """The part of this briefing about `dossiers` (a recipient's): entries re-homed to them.

        Entries touching none of them are left out; an entry on several dossiers goes to the first
        of them in rules.yaml order. The entries are copies: this briefing is not changed.
        """
        keep = [d for d, _ in self.dossiers if d in set(dossiers)]
        wanted = set(keep)

        def only(found: list[str]) -> list[str]:
            return [d for d in found if d in wanted]

        def meeting(entry: MeetingEntry) -> MeetingEntry:
            return replace(entry, dossiers=only(entry.dossiers), reasons=[r for r in entry.reasons if r.dossier in wanted])

        def kamer(entry: KamerEntry) -> KamerEntry:
            return replace(entry, dossiers=only(entry.dossiers), reasons=[r for r in entry.reasons if r.dossier in wanted])

        def action(item: Action) -> Action:
            moments = [replace(m, dossiers=only(m.dossiers)) for m in item.moments]
            return Action(meeting(item.entry), [m for m in moments if m.dossiers], item.woordvoerders, [kamer(v) for v in item.votes if only(v.dossiers)])

        news = {d: DossierNews(d, t, [], []) for d, t in self.dossiers if d in wanted}
        for section in self.news:
            for entry in section.kamer:
                if only(entry.dossiers):
                    news[only(entry.dossiers)[0]].kamer.append(kamer(entry))
            for article in section.press:
                if only(article.dossiers):
                    news[only(article.dossiers)[0]].press.append(replace(article, dossiers=only(article.dossiers), reasons=[r for r in article.reasons if r.dossier in wanted]))
        for section in news.values():
            section.kamer.sort(key=lambda e: (ZAAK_GROUPS.index(e.group), -(e.published or date.min).toordinal(), e.key))
            section.press.sort(key=lambda e: (e.item.published_at or e.first_seen, e.key), reverse=True)
        return Briefing(
            as_of=self.as_of,
            scope=replace(self.scope, dossiers=keep),
            dossiers=[(d, t) for d, t in self.dossiers if d in wanted],
            actions=[action(a) for a in self.actions if only(a.entry.dossiers)],
            closed=[action(a) for a in self.closed if only(a.entry.dossiers)],
            agenda=[meeting(e) for e in self.agenda if only(e.dossiers)],
            changed=[meeting(e) if isinstance(e, MeetingEntry) else kamer(e) for e in self.changed if only(e.dossiers)],
            news=list(news.values()),
            sources=self.sources,
            change_cursor=self.change_cursor,
            promises=[kamer(e) for e in self.promises if only(e.dossiers)],
        )


# ---------------------------------------------------------------------------- building

PROMISE_OVERDUE_DAYS = 60  # an open toezegging this long past its date is still told as late


def _made_in(meeting: Item) -> str:
    """'Commissiedebat Jeugdbeleid (do 17 dec)': where a toezegging was made."""
    found = Meeting.from_item(meeting)
    return f"{meeting_name(found)} ({day(found.day)})" if found.day else meeting_name(found)



def build_briefing(
    view: View,
    config: Config,
    scope: Scope,
    *,
    match_text: Callable[[Item], list[Match]] | None = None,
) -> Briefing:
    """The briefing for `scope` as of `view.as_of` (reads only)."""
    builder = _Builder(view, config, scope, match_text)
    return builder.build()


class _Builder:
    def __init__(self, view: View, config: Config, scope: Scope, match_text: Callable[[Item], list[Match]] | None) -> None:
        self.view = view
        self.config = config
        self.rules = config.rules
        self.scope = scope
        wanted = scope.dossiers or list(self.rules.dossiers)
        self.ids = [d for d in self.rules.dossiers if d in wanted]
        self.titles = {d: self.rules.dossiers[d].title for d in self.ids}
        self.index = KamerIndex(view, self.ids, match_text)
        self.period = view.changes_in_period(since=scope.changes_since, after_id=scope.changes_after_id)

    def build(self) -> Briefing:
        scope = self.scope
        chains = relevant_chains(self.view, self.rules, scope.agenda_from, scope.agenda_to)
        moments = derive_moments(self.view, self.rules, (scope.agenda_from, scope.agenda_to), chains=chains, index=self.index)
        mine = set(self.ids)
        # The team's work on each moment as known at as_of: 'afgehandeld door … op …' everywhere.
        work = team_work.state(self.view.db, [m.id for m in moments], self.view.at)
        for moment in moments:
            moment.work = work.get(moment.id)
        entries: dict[str, MeetingEntry] = {}
        histories = self.view.changes([m.id for c in chains for m in c.members])
        for chain in chains:
            entry = self._meeting_entry(chain, histories)
            if entry is not None:
                entries[entry.key] = entry
        chain_of = {item_id: chain.key for chain in chains for item_id in chain.ids}
        by_meeting: dict[str, list[Moment]] = {}
        for moment in moments:
            moment.dossiers = [d for d in moment.dossiers if d in mine]
            if moment.dossiers and moment.meeting.item_id in chain_of:
                by_meeting.setdefault(chain_of[moment.meeting.item_id], []).append(moment)
        actions: list[Action] = []
        closed: list[Action] = []
        for key, found in by_meeting.items():
            entry = entries.get(key)
            if entry is None:
                continue
            active = [m for m in found if m.status.active]
            rest = [m for m in found if not m.status.active]
            if active:
                actions.append(self._action(entry, active))
            if rest:
                # A Stemmingen that is past still tells how its moties fared (the week's memo and sheets).
                closed.append(Action(entry, rest, [], self._votes(entry, rest)))
        actions.sort(key=lambda a: (a.deadline is None, a.deadline or date.max, a.entry.meeting.start or datetime.max.replace(tzinfo=AMS), a.key))
        closed.sort(key=lambda a: (a.entry.meeting.day or date.max, a.key))
        agenda = sorted(
            (e for e in entries.values() if e.meeting.day and scope.agenda_from <= e.meeting.day <= scope.agenda_to),
            key=lambda e: (e.meeting.start or datetime.combine(e.meeting.day or date.max, datetime.min.time(), AMS), e.key),
        )
        shown = {a.key for a in actions} | {e.key for e in agenda}
        changed: list[MeetingEntry | KamerEntry] = [e for e in entries.values() if e.updates and e.key not in shown]
        news_from = scope.news_from.isoformat() if scope.news_from else None
        news_to = (scope.news_to + timedelta(days=1)).isoformat() if scope.news_to else None
        promises = self._promises(news_from, news_to)
        news, kamer_changed = self._news(promises)
        changed += kamer_changed
        changed.sort(key=_change_order)
        return Briefing(
            as_of=self.view.as_of,
            scope=scope,
            dossiers=[(d, self.titles[d]) for d in self.ids],
            actions=actions,
            closed=closed,
            agenda=agenda,
            changed=changed,
            news=news,
            sources=self._sources(),
            change_cursor=self.view.last_change_id(),
            promises=sorted((e for e in promises.values() if e.toezegging and e.toezegging.status.open and e.toezegging.deadline),
                            key=lambda e: (e.toezegging.deadline, e.key)),  # type: ignore[union-attr]
        )

    # ------------------------------------------------------------------ meetings

    def _meeting_entry(self, chain: MeetingChain, histories: dict[str, list[Change]]) -> MeetingEntry | None:
        current = chain.current
        assert current is not None
        touched = self.index.touches(current)
        if not touched:
            for member in reversed(chain.members):
                touched = self.index.touches(member)
                if touched:
                    break
        dossiers = [d for d in self.ids if d in touched]
        if not dossiers:
            return None
        triggers: list[str] = []
        for dossier in dossiers:
            triggers += [t for t in touched[dossier] if t not in triggers]
        meeting = chain.meeting
        all_updates: list[Update] = []
        period_updates: list[Update] = []
        for member in chain.members:
            history = histories.get(member.id, [])
            period = self.period.get(member.id, [])
            if member is not current:
                # "Verplaatst" on the activity the Kamer replaced is told by the move to the new one.
                history = [c for c in history if c.field != "status"]
                period = [c for c in period if c.field != "status"]
            all_updates += change_log.updates(KIND_ACTIVITY, history)
            period_updates += change_log.updates(KIND_ACTIVITY, period)
            if member is not chain.members[0]:
                replaced = Meeting.from_item(member).replaces
                previous = next((m for m in chain.members if _guid(m) == replaced), None)
                seen = self.view.first_seen(member.id) or ""
                if previous is not None:
                    move = change_log.recreation(Meeting.from_item(previous), Meeting.from_item(member), seen, member.id)
                    if move is not None:
                        all_updates.append(move)
                        if self._in_period(seen):
                            period_updates.append(move)
        root_seen = self.view.first_seen(chain.members[0].id) or ""
        # Every published change of time, status, place or agenda is a revision (a calendar's SEQUENCE),
        # also the ones whose news the folding above leaves out.
        revision_times = {c.seen_at for m in chain.members for c in histories.get(m.id, []) if c.field in _REVISION_FIELDS}
        revision_times |= {u.seen_at for u in all_updates}
        revision_times = sorted(revision_times)
        return MeetingEntry(
            key=chain.key,
            meeting=meeting,
            dossiers=dossiers,
            triggers=triggers,
            reasons=self._meeting_reasons(current, dossiers, touched),
            updates=change_log.fold(period_updates),
            deleted=chain.current_deleted,
            new=self.scope.seen_after is not None and root_seen > self.scope.seen_after and root_seen > self.view.first_fetch(current.source),
            revision=len(revision_times),
            modified_at=revision_times[-1] if revision_times else root_seen,
            item_ids=chain.ids,
        )

    def _in_period(self, seen_at: str) -> bool:
        if self.scope.changes_since is not None:
            return seen_at > self.scope.changes_since
        return self.scope.changes_after_id is not None  # a new member of a chain is news since the cursor

    def _meeting_reasons(self, activity: Item, dossiers: list[str], touched: dict[str, list[str]]) -> list[Reason]:
        own = {m.dossier: m for m in self.view.matches([activity.id]).get(activity.id, [])}
        out = []
        for dossier in dossiers:
            match = own.get(dossier)
            if match is not None:
                out.append(Reason(dossier, self.titles[dossier], match.rule, list(match.terms), match.snippet or None))
            else:
                via = "; ".join(touched.get(dossier, [])[:3]) or None
                out.append(Reason(dossier, self.titles[dossier], via=via))
        return out

    def _action(self, entry: MeetingEntry, moments: list[Moment]) -> Action:
        woordvoerders = next((m.woordvoerders for m in moments if m.woordvoerders), [])
        return Action(entry, moments, woordvoerders, self._votes(entry, moments))

    def _votes(self, entry: MeetingEntry, moments: list[Moment]) -> list[KamerEntry]:
        """For a Stemmingen: the moties and amendementen on its agenda that touch the meeting's dossiers."""
        votes: list[KamerEntry] = []
        if any(m.kind is MomentKind.STEMMING for m in moments):
            refs = [f"{entry.meeting.item_id.split(':', 1)[0]}:zaak/{z.id}" for z in entry.meeting.zaken]
            items = self.view.items(refs)
            matches = self.view.matches(list(items) + [d for ds in self.view.linked(list(items), "document").values() for d in ds])
            docs = self.view.linked(list(items), "document")
            for item_id, item in items.items():
                related = [item_id, *docs.get(item_id, [])]
                found = [m for r in related for m in matches.get(r, []) if m.dossier in entry.dossiers]
                if not found:
                    continue
                zaak = Zaak.from_item(item)
                if not zaak.votable:
                    continue
                votes.append(
                    KamerEntry(item_id, zaak, None, [], sorted({m.dossier for m in found}, key=self.ids.index), self._reasons(found),
                               [], False, self.view.first_seen(item_id) or "", [item_id])
                )
        return votes

    # ------------------------------------------------------------------ news

    def _news(self, promises: dict[str, KamerEntry] | None = None) -> tuple[list[DossierNews], list[KamerEntry]]:
        scope = self.scope
        sections = {d: DossierNews(d, self.titles[d], [], []) for d in self.ids}
        changed: list[KamerEntry] = []
        if scope.news_from is None or scope.news_to is None:
            return list(sections.values()), changed
        published_from = scope.news_from.isoformat()
        published_to = (scope.news_to + timedelta(days=1)).isoformat()
        ids = self.view.matched(self.ids, [KIND_ZAAK, KIND_DOCUMENT, KIND_ARTICLE], seen_from=scope.seen_after, published_from=published_from, published_to=published_to)
        items = self.view.items(ids)
        # Kamer items changed in the period count too (a motie voted on, a letter revised); a promise kept comes with `promises`.
        changed_ids = [i for i in self.period if (":zaak/" in i or ":document/" in i) and i not in items]
        changed_items = self.view.items(changed_ids)
        matches = self.view.matches([*items, *changed_items])
        entries: dict[str, KamerEntry] = {}
        press: list[PressEntry] = []
        documents: list[Item] = []
        for item_id, item in items.items():
            mine = [m for m in matches.get(item_id, []) if m.dossier in self.titles]
            if not mine:
                continue
            if item.kind == KIND_ARTICLE:
                source = self.config.sources.get(item.source)
                press.append(PressEntry(item_id, item, item.source, source.label if source else None, self._dossiers(mine), self._reasons(mine), self.view.first_seen(item_id) or ""))
            elif item.kind == KIND_ZAAK:
                entries[item_id] = self._kamer_entry(item, mine, new=True)
            else:
                documents.append(item)
        zaken_of = self.view.linked([d.id for d in documents], "zaak")
        for doc in documents:
            mine = [m for m in matches.get(doc.id, []) if m.dossier in self.titles]
            parents = zaken_of.get(doc.id, [])
            parent = next((entries[z] for z in parents if z in entries), None)
            if parent is None:
                zaak_item = next(iter(self.view.items(parents).values()), None)
                if zaak_item is not None:
                    # An older zaak with a new document (a gewijzigde motie, an answer): one entry for the zaak.
                    parent = entries.get(zaak_item.id) or self._kamer_entry(zaak_item, mine, new=False)
                    entries[zaak_item.id] = parent
            if parent is None:
                entries[doc.id] = self._kamer_entry(doc, mine, new=True)
                continue
            parent.documents.append(Document.from_item(doc))
            parent.item_ids.append(doc.id)
            for dossier in self._dossiers(mine):
                if dossier not in parent.dossiers:
                    parent.dossiers.append(dossier)
        # Updates of zaken and documents in the period, folded into their entry or listed as changed.
        for item_id, item in {**changed_items, **{i: it for i, it in items.items() if it.kind != KIND_ARTICLE}}.items():
            found = change_log.updates(item.kind, self.period.get(item_id, []))
            if not found:
                continue
            if item.kind == KIND_DOCUMENT:
                found = [replace(u, about=Document.from_item(item)) for u in found]
            target = entries.get(item_id)
            if target is None and item.kind == KIND_DOCUMENT:
                parents = zaken_of.get(item_id) or self.view.linked([item_id], "zaak").get(item_id, [])
                target = next((entries[z] for z in parents if z in entries), None)
            if target is not None:
                target.updates += [u for u in found if u not in target.updates]
                continue
            mine = [m for m in matches.get(item_id, []) if m.dossier in self.titles]
            if mine:
                entry = self._kamer_entry(item, mine, new=False)
                entry.updates = found
                changed.append(entry)
        for key, entry in (promises or {}).items():
            entries.setdefault(key, entry)
        for entry in entries.values():
            entry.updates = change_log.fold(entry.updates)
            entry.dossiers.sort(key=self.ids.index)
            sections[entry.dossiers[0]].kamer.append(entry)
        for article in press:
            sections[article.dossiers[0]].press.append(article)
        for section in sections.values():
            section.kamer.sort(key=lambda e: (ZAAK_GROUPS.index(e.group), -(e.published or date.min).toordinal(), e.key))
            section.press.sort(key=lambda e: (e.item.published_at or e.first_seen, e.key), reverse=True)
        return list(sections.values()), changed

    def _promises(self, published_from: str | None, published_to: str | None) -> dict[str, KamerEntry]:
        """Toezeggingen on the dossiers: made in the news period, due in the agenda window or overdue, or changed.

        A toezegging is on a dossier when its text matches the dossier's rules or when the
        meeting it was made in touches the dossier. A due or overdue one carries its state in its
        coverage keys, so a digest tells it again when it falls due or runs late, and not daily.
        """
        today = self.view.as_of.date()
        due_from = (today - timedelta(days=PROMISE_OVERDUE_DAYS)).isoformat()
        due_to = (self.scope.agenda_to + timedelta(days=1)).isoformat()
        rows = self.view.db.query(
            """SELECT id FROM items WHERE kind = ? AND first_seen <= ? AND (
                   (COALESCE(published_at, first_seen) >= ? AND COALESCE(published_at, first_seen) < ?) OR (event_at >= ? AND event_at < ?))""",
            [KIND_TOEZEGGING, self.view.at, published_from or "9999", published_to or "9999", due_from, due_to],
        )
        ids = [r["id"] for r in rows] + [i for i in self.period if ":toezegging/" in i]
        items = self.view.items(dict.fromkeys(ids))
        matches = self.view.matches(list(items))
        meetings = self.view.items({i.data.get("activiteit_item") for i in items.values() if i.data.get("activiteit_item")}, deleted=True)
        self.index.prepare(meetings.values())
        out: dict[str, KamerEntry] = {}
        for item_id, item in items.items():
            promise = Toezegging.from_item(item)
            meeting = meetings.get(promise.activiteit_id or "")
            via = [d for d in (self.index.touches(meeting) if meeting is not None else []) if d in self.titles]
            mine = [m for m in matches.get(item_id, []) if m.dossier in self.titles]
            dossiers = list(dict.fromkeys(self._dossiers(mine) + via))
            if not dossiers:
                continue
            published = item.published_at or self.view.first_seen(item_id) or ""
            new = published_from is not None and published_to is not None and published_from <= published < published_to
            updates = change_log.updates(item.kind, self.period.get(item_id, []))
            due = promise.status.open and promise.deadline is not None and due_from <= promise.deadline.isoformat() < due_to
            if not (new or updates or due):
                continue
            made_in = _made_in(meeting) if meeting is not None else None
            reasons = self._reasons(mine) + [
                Reason(d, self.titles[d], via=made_in, via_label=LABEL_MADE_IN) for d in via if d not in {m.dossier for m in mine}
            ]
            state = "te-laat" if promise.overdue(today) else "binnenkort"
            keys = [item_id] + ([f"{item_id}#{state}:{promise.deadline}"] if due else [])
            out[item_id] = KamerEntry(
                key=item_id, zaak=None, document=None, documents=[], dossiers=dossiers, reasons=reasons, updates=updates, new=new,
                first_seen=self.view.first_seen(item_id) or "", item_ids=keys, toezegging=promise,
                made_in=made_in, as_of_day=today,
            )
        return out

    def _kamer_entry(self, item: Item, matches: list[Match], new: bool) -> KamerEntry:
        zaak = Zaak.from_item(item) if item.kind == KIND_ZAAK else None
        document = Document.from_item(item) if item.kind == KIND_DOCUMENT else None
        return KamerEntry(
            key=item.id,
            zaak=zaak,
            document=document,
            documents=[],
            dossiers=self._dossiers(matches),
            reasons=self._reasons(matches),
            updates=[],
            new=new,
            first_seen=self.view.first_seen(item.id) or "",
            item_ids=[item.id],
            question=zaak.question(self.view.as_of.date()) if zaak is not None else None,
        )

    def _dossiers(self, matches: Iterable[Match]) -> list[str]:
        found = {m.dossier for m in matches if m.dossier in self.titles}
        return [d for d in self.ids if d in found]

    def _reasons(self, matches: Iterable[Match]) -> list[Reason]:
        out: dict[tuple[str, str], Reason] = {}
        for match in sorted(matches, key=lambda m: (self.ids.index(m.dossier) if m.dossier in self.ids else 99, m.rule)):
            if match.dossier in self.titles:
                out.setdefault((match.dossier, match.rule), Reason(match.dossier, self.titles[match.dossier], match.rule, list(match.terms), match.snippet or None))
        return list(out.values())

    # ------------------------------------------------------------------ sources

    def _sources(self) -> list[SourceStatus]:
        out = []
        for source in self.config.sources.sources:
            health = self.view.health(source.id, source.kind, source.label)
            out.append(SourceStatus(source.id, source.kind, source.label, source.url, health.state(source.every, self.view.as_of, source.enabled), health))
        return out


def _guid(item: Item) -> str:
    return str(item.data.get("id") or item.external_id.rpartition("/")[2])


_REVISION_FIELDS = {"datum", "aanvangstijd", "eindtijd", "status", "agenda", "locatie", "onderwerp", "verwijderd", "noot"}

_CHANGE_RANK = {UpdateKind.CANCELLED: 0, UpdateKind.LAPSED: 0, UpdateKind.REMOVED: 0, UpdateKind.MOVED: 1, UpdateKind.AWAITING_DATE: 1, UpdateKind.OUTCOME: 2}


def _change_order(entry: MeetingEntry | KamerEntry) -> tuple[int, str]:
    rank = min((_CHANGE_RANK.get(u.kind, 3) for u in entry.updates), default=3)
    return rank, entry.key

