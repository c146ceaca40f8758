"""The daily digest: per recipient, only their dossiers, shaped like a hand-written lobby memo.

Sections, in order: *Actie nodig* (moments by deadline, with woordvoerders), *Gewijzigd* (moved or
cancelled meetings, new agenda items, motie outcomes: from the change log), per dossier *Nieuw in
de Kamer* and *In de media*, *Agenda komende weken*, *Bronnen* (stale or failing sources). Every
line carries its reason (dossier, rule, terms).

What is "new" for a recipient is decided by coverage, not by dates: an item appears in one digest
only (`digest_covered`), changes are read from the change log past a per-recipient cursor, and
an item that arrived after the recipient's first digest is new however old its own date is. Only
the very first digest (or a brand-new recipient) limits itself to the last `FIRST_LOOKBACK_DAYS`
by the item's own date, so a fresh install does not mail sixty days of history.

Library API (the CLI wires these): `build_digest`, `render_digest`, `preview`,
`prepare_digests`, `send_pending`, `run_digest`, `recipients_for`.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import css_inline
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..models import KIND_ACTIVITY, KIND_ARTICLE, KIND_DOCUMENT, KIND_ZAAK, Item, Moment
from ..moments import meeting_chains
from ..store import row_to_item
from ..timeutil import AMS, format_nl, iso, to_local
from . import outbox
from .mail import MailError, build_message, connect as smtp_connect, describe_error, sender_address

if TYPE_CHECKING:
    from ..config import Config, DossierConfig, EmailConfig, RulesConfig, SmtpConfig
    from ..models import Match
    from ..store import Store

log = logging.getLogger(__name__)

FIRST_LOOKBACK_DAYS = 7
MAX_ATTEMPTS = 10
TEMPLATES = Path(__file__).parent / "templates"

MOMENT_LABELS = {
    "brief": "Briefing naar de woordvoerders",
    "inbreng": "Inbreng aanleveren",
    "agendering": "Agendering vragen",
    "positionpaper": "Position paper / uitnodiging",
    "motie": "Motietekst voorstellen",
    "stemming": "Fracties benaderen voor de stemming",
    "reactie": "Reageren",
}
KAMER_GROUPS = (
    "Brieven",
    "Moties",
    "Amendementen",
    "Wetsvoorstellen",
    "Kamervragen",
    "Nieuw op de agenda",
    "Overige Kamerstukken",
)
# Activity fields whose change is news; the rest of the change log (texts, ids) is not.
_MOVE_FIELDS = ("event_at", "aanvangstijd", "datum")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e]")


# ---------------------------------------------------------------------------- the digest model


@dataclass
class Reason:
    """Why a line is in the digest: which dossier's rule matched, on which terms."""

    dossier: str
    dossier_title: str
    rule: str | None = None
    terms: list[str] = field(default_factory=list)
    note: str | None = None  # for lines not caused by a rule (e.g. "moment: brief")

    def text(self) -> str:
        """'Jeugdzorg · regel kern · termen: jeugdzorg, jeugdhulp'."""
        parts = [self.dossier_title]
        if self.rule:
            parts.append(f"regel {self.rule}")
        if self.terms:
            parts.append("termen: " + ", ".join(self.terms))
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)


@dataclass
class Line:
    """One line of the digest. All text here is plain (unescaped) source text; templates escape it."""

    key: str  # the coverage key ("item:<id>", "moment:<id>:<deadline>", "change:<row>")
    section: str
    title: str
    url: str | None = None
    when: str | None = None
    meta: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    snippet: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    dossier: str | None = None
    badge: str | None = None
    new: bool = True
    ref: str | None = None  # item or moment id, for the audit
    extra_keys: list[str] = field(default_factory=list)  # covered together with this line

    @property
    def info(self) -> str:
        """Date and kind in one line: 'ma 23 nov · Motie · Kamerstuk 31839'."""
        return " · ".join([x for x in (self.when, *self.meta) if x])

    @property
    def why(self) -> str:
        """All reasons as one line."""
        return "; ".join(r.text() for r in self.reasons)


@dataclass
class DossierSection:
    """The news of one dossier: Kamer items by group, and press."""

    id: str
    title: str
    kamer: dict[str, list[Line]] = field(default_factory=dict)
    media: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.media and not any(self.kamer.values())


@dataclass
class Digest:
    """The digest of one recipient at one moment, before rendering."""

    recipient: str
    now: datetime
    dossiers: list[tuple[str, str]]  # (id, title), in rules.yaml order
    actions: list[Line] = field(default_factory=list)
    changes: list[Line] = field(default_factory=list)
    sections: list[DossierSection] = field(default_factory=list)
    agenda: list[Line] = field(default_factory=list)
    sources: list[Line] = field(default_factory=list)
    horizon_days: int = 21
    change_cursor: int | None = None  # the change-log row id this digest read up to
    first_at: str | None = None

    @property
    def news_count(self) -> int:
        """New Kamer items and press articles."""
        return sum(len(lines) for s in self.sections for lines in s.kamer.values()) + sum(len(s.media) for s in self.sections)

    @property
    def is_empty(self) -> bool:
        """Nothing worth a mail: no new or due action, no change, no news, no source problem."""
        return not (self.has_news or self.sources)

    @property
    def has_news(self) -> bool:
        """A new or due action, a change or news: worth a mail even when one went out today."""
        today = self.now.date().isoformat()
        urgent = any(line.new or (line.when_date == today) for line in self.actions if isinstance(line, ActionLine))
        return bool(urgent or self.changes or self.news_count)

    def lines(self) -> Iterable[Line]:
        """Every line that counts as covered by this digest (agenda and sources are context)."""
        yield from self.actions
        yield from self.changes
        for section in self.sections:
            for lines in section.kamer.values():
                yield from lines
            yield from section.media

    def subject(self) -> str:
        """The subject line: date and counts, Dutch."""
        day = format_nl(self.now, with_time=False)
        parts = []
        if self.actions:
            parts.append(f"{len(self.actions)} {'actie' if len(self.actions) == 1 else 'acties'}")
        if self.changes:
            parts.append(f"{len(self.changes)} {'wijziging' if len(self.changes) == 1 else 'wijzigingen'}")
        if self.news_count:
            parts.append(f"{self.news_count} nieuw")
        if self.is_empty:
            return f"Lobbymonitor {day}: niets nieuws"
        if not parts and self.sources:
            parts.append("bronnen met storing")
        return f"Lobbymonitor {day}: " + ", ".join(parts)


@dataclass
class ActionLine(Line):
    """A moment: what to do, by when, for which meeting, whom to approach."""

    kind: str = ""
    deadline: str | None = None  # formatted
    when_date: str | None = None  # deadline as YYYY-MM-DD
    woordvoerders: list[str] = field(default_factory=list)
    late: bool = False


# ---------------------------------------------------------------------------- recipients


def recipients_for(rules: RulesConfig, only: str | None = None) -> dict[str, list[str]]:
    """Recipient address -> their dossier ids (rules.yaml order).

    With `only`, just that address; an address that is no configured recipient gets every
    dossier (handy for `monitor digest --to me@example.nl` as a test).
    """
    mapping: dict[str, list[str]] = {}
    for dossier in rules.dossiers.values():
        for address in dossier.recipients:
            mapping.setdefault(address.strip().lower(), []).append(dossier.id)
    if only is not None:
        key = only.strip().lower()
        return {key: mapping.get(key) or list(rules.dossiers)}
    return mapping


# ---------------------------------------------------------------------------- building


def build_digest(
    store: Store,
    config: Config,
    recipient: str,
    now: datetime,
    moments: list[Moment],
    dossiers: list[str] | None = None,
) -> Digest:
    """The digest for one recipient: what is new for them since their last digest.

    `dossiers` defaults to the recipient's dossiers from rules.yaml. Reads only; the coverage is
    recorded by `prepare_digests` when the digest is queued.
    """
    outbox.ensure_schema(store.db)
    now = now.astimezone(AMS)
    rules = config.rules
    if dossiers is None:
        dossiers = recipients_for(rules, recipient)[recipient.strip().lower()]
    dossier_cfgs = [rules.dossiers[d] for d in dossiers if d in rules.dossiers]
    ids = [d.id for d in dossier_cfgs]
    titles = {d.id: d.title for d in dossier_cfgs}
    state = outbox.recipient_state(store.db, recipient)
    first_at = state["first_at"] if state else iso(now)
    digest = Digest(
        recipient=recipient,
        now=now,
        dossiers=[(d.id, d.title) for d in dossier_cfgs],
        horizon_days=config.sources.digest.horizon_days,
        first_at=first_at,
    )
    if not ids:
        digest.sources = _source_lines(store, config, now)
        return digest
    ctx = _Ctx(store, config, recipient, now, ids, titles)
    digest.actions = _action_lines(ctx, moments, digest.horizon_days)
    digest.changes, digest.change_cursor = _change_lines(ctx, state)
    digest.sections = _news_sections(ctx, dossier_cfgs, first_at)
    digest.agenda = _agenda_lines(ctx, digest.horizon_days)
    digest.sources = _source_lines(store, config, now)
    return digest


@dataclass
class _Ctx:
    store: Store
    config: Config
    recipient: str
    now: datetime
    ids: list[str]
    titles: dict[str, str]
    _covered: set[str] | None = None

    def covered(self, keys: list[str]) -> set[str]:
        return outbox.covered_keys(self.store.db, self.recipient, keys)

    def reasons(self, item_id: str, matches: list[Match] | None = None) -> list[Reason]:
        """The recipient's dossiers' matches of an item, as reasons, in dossier order."""
        found = matches if matches is not None else self.store.matches_for(item_id)
        mine = [m for m in found if m.dossier in self.titles]
        mine.sort(key=lambda m: (self.ids.index(m.dossier), m.rule))
        return [Reason(m.dossier, self.titles[m.dossier], m.rule, [clean(t, 60) for t in m.terms]) for m in mine]

    def in_clause(self) -> str:
        return ", ".join("?" for _ in self.ids)


def _action_lines(ctx: _Ctx, moments: list[Moment], horizon_days: int) -> list[Line]:
    today = ctx.now.date()
    horizon = (today + timedelta(days=horizon_days)).isoformat()
    chosen = [
        m
        for m in moments
        if m.deadline
        and m.kind != "reactie"
        and set(m.dossiers) & set(ctx.ids)
        and (m.status or "").lower() not in ("geannuleerd", "voorbij")
        and m.deadline <= horizon
        and (not m.event_at or m.event_at[:10] >= today.isoformat())
    ]
    chosen.sort(key=lambda m: (m.deadline or "", m.event_at or "", m.title))
    keys = [f"moment:{m.id}:{m.deadline}" for m in chosen]
    seen = ctx.covered(keys)
    lines: list[Line] = []
    for moment, key in zip(chosen, keys, strict=True):
        item = ctx.store.get_item(moment.item_id) if moment.item_id else None
        reasons = ctx.reasons(moment.item_id) if moment.item_id else []
        if not reasons:
            reasons = [
                Reason(d, ctx.titles[d], note="; ".join(clean(t, 80) for t in moment.triggers) or None)
                for d in moment.dossiers
                if d in ctx.titles
            ]
        activity = moment.activity or (item.data if item else {}) or {}
        meta = [f"{_soort(activity)} {format_nl(moment.event_at)}".strip()] if moment.event_at else []
        commissie = _commissie(activity)
        if commissie:
            meta.append(commissie)
        late = moment.deadline < today.isoformat() or (moment.status or "").lower() == "te laat"
        badge = "te laat" if late else ("vandaag" if moment.deadline == today.isoformat() else None)
        if (moment.status or "").lower() == "verplaatst":
            badge = "verplaatst" if not badge else f"{badge}, verplaatst"
        lines.append(
            ActionLine(
                key=key,
                section="Actie nodig",
                title=clean(moment.title, 300),
                url=safe_url(item.url if item else activity.get("url")),
                meta=meta,
                reasons=reasons,
                dossier=next((d for d in ctx.ids if d in moment.dossiers), None),
                badge=badge,
                new=key not in seen,
                ref=moment.id,
                kind=moment.kind,
                deadline=format_nl(moment.deadline, with_time=False),
                when_date=moment.deadline,
                woordvoerders=[_woordvoerder(w) for w in moment.woordvoerders],
                late=late,
                details=[MOMENT_LABELS.get(moment.kind, moment.kind)],
            )
        )
    return lines


def _change_lines(ctx: _Ctx, state: dict[str, Any] | None) -> tuple[list[Line], int | None]:
    db = ctx.store.db
    top = next(iter(db.query("SELECT MAX(id) AS top FROM changes")))["top"]
    if top is None:
        return [], state["change_cursor"] if state else None
    if state and state.get("change_cursor") is not None:
        where, args = "c.id > ?", [state["change_cursor"]]
    else:
        where, args = "c.seen_at >= ?", [iso(ctx.now - timedelta(days=FIRST_LOOKBACK_DAYS))]
    sql = f"""
        SELECT c.id, c.item_id, c.seen_at, c.diff FROM changes c
        WHERE {where} AND c.id <= ?
          AND c.item_id IN (SELECT item_id FROM matches WHERE dossier IN ({ctx.in_clause()}))
        ORDER BY c.id
    """
    rows = list(db.query(sql, [*args, top, *ctx.ids]))
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append(row)
    keys = [f"change:{r['id']}" for r in rows]
    seen = ctx.covered(keys)
    lines: list[Line] = []
    chains: dict[str, Any] | None = None  # built only when a meeting was set to Verplaatst
    for item_id, item_rows in by_item.items():
        fresh = [r for r in item_rows if f"change:{r['id']}" not in seen]
        if not fresh:
            continue
        row = ctx.store.item_row(item_id)
        if row is None:
            continue
        item = row_to_item(row)
        # Fold several changes into one: the first old value and the last new value per field.
        folded: dict[str, list[Any]] = {}
        for r in fresh:
            for name, (old, new) in json.loads(r["diff"]).items():
                if name in folded:
                    folded[name][1] = new
                else:
                    folded[name] = [old, new]
        successor = None
        if item.kind == KIND_ACTIVITY and str((folded.get("status") or [None, ""])[1] or "").lower() == "verplaatst":
            chains = chains if chains is not None else meeting_chains(ctx.store)
            chain = chains.get(item_id)
            if chain and chain.current and chain.current.id != item_id:
                successor = chain.current  # the Kamer re-created the meeting under a new id
        what, badge = _describe_changes(item, folded, deleted=row["deleted_at"] is not None, successor=successor)
        if not what:
            continue
        reasons = ctx.reasons(item_id)
        if not reasons:
            continue
        meta = []
        if item.kind == KIND_ACTIVITY:
            meta.append(f"{_soort(item.data)} {format_nl(item.event_at)}".strip())
            if _commissie(item.data):
                meta.append(_commissie(item.data))
        lines.append(
            Line(
                key=f"change:{fresh[0]['id']}",
                extra_keys=[f"change:{r['id']}" for r in fresh[1:]],
                section="Gewijzigd",
                title=clean(item.title, 300),
                url=safe_url((successor or item).url),
                meta=meta,
                details=what,
                reasons=reasons,
                dossier=reasons[0].dossier,
                badge=badge,
                ref=item_id,
            )
        )
    lines.sort(key=lambda line: (line.badge != "geannuleerd", line.badge != "verplaatst", line.title))
    return lines, top


def _describe_changes(item: Item, folded: dict[str, list[Any]], deleted: bool, successor: Item | None = None) -> tuple[list[str], str | None]:
    """Human lines for the fields that are news; (lines, badge).

    `successor` is the activity that replaces a meeting set to Verplaatst, when the Kamer
    re-created it under a new id: its date is the new date.
    """
    what: list[str] = []
    badge = None
    if "verwijderd" in folded and folded["verwijderd"][1] == "ja":
        return ["Van de Kamer-agenda verwijderd"], "verwijderd"
    if item.kind == KIND_ACTIVITY:
        status = folded.get("status")
        if status and status[0] != status[1]:
            new = str(status[1] or "")
            if new.lower() == "geannuleerd":
                what.append("Geannuleerd")
                badge = "geannuleerd"
            elif new.lower() == "vervallen":
                what.append("Vervallen")
                badge = "geannuleerd"
            elif new.lower() == "verplaatst":
                badge = "verplaatst"
                if successor is not None and successor.event_at and item.event_at:
                    what.append(f"Verplaatst van {_when(item.event_at)} naar {_when(successor.event_at)}")
                elif not any(f in folded for f in _MOVE_FIELDS):
                    what.append("Verplaatst, nieuwe datum nog niet bekend")
            else:
                what.append(f"Status: {clean(status[0] or '—', 40)} → {clean(new, 40)}")
        moved = next((folded[f] for f in _MOVE_FIELDS if f in folded and folded[f][0] != folded[f][1]), None)
        if moved and moved[0] and moved[1]:
            what.append(f"Verplaatst van {_when(moved[0])} naar {_when(moved[1])}")
            badge = badge or "verplaatst"
        if "agenda" in folded:
            old = set(_json_list(folded["agenda"][0]))
            new_list = _json_list(folded["agenda"][1])
            added = [a for a in new_list if a not in old]
            removed = [a for a in _json_list(folded["agenda"][0]) if a not in set(new_list)]
            what.extend(f"Nieuw agendapunt: {clean(a, 200)}" for a in added)
            what.extend(f"Van de agenda: {clean(a, 200)}" for a in removed)
            if added and not badge:
                badge = "nieuw agendapunt"
        if "locatie" in folded and folded["locatie"][1]:
            what.append(f"Locatie: {clean(folded['locatie'][1], 80)}")
    elif item.kind == KIND_ZAAK:
        if "uitslag" in folded and folded["uitslag"][1]:
            what.append(f"Uitslag: {clean(folded['uitslag'][1], 40)}")
            badge = str(folded["uitslag"][1])
        if "kabinetsappreciatie" in folded and folded["kabinetsappreciatie"][1]:
            what.append(f"Kabinetsappreciatie: {clean(folded['kabinetsappreciatie'][1], 80)}")
    return what, badge


def _news_sections(ctx: _Ctx, dossiers: list[DossierConfig], first_at: str) -> list[DossierSection]:
    db = ctx.store.db
    today = ctx.now.date().isoformat()
    recent = iso(ctx.now - timedelta(days=FIRST_LOOKBACK_DAYS))
    # New = not covered for this recipient, and either arrived after their first digest (a
    # cursor: back-dated items count) or recent by its own date (the first digest's backlog).
    sql = f"""
        SELECT DISTINCT i.* FROM items i JOIN matches m ON m.item_id = i.id
        WHERE m.dossier IN ({ctx.in_clause()}) AND i.deleted_at IS NULL
          AND (i.first_seen > ? OR COALESCE(i.published_at, i.first_seen) >= ?)
          AND (i.kind != ? OR substr(COALESCE(i.event_at, ''), 1, 10) >= ?)
          AND NOT EXISTS (SELECT 1 FROM digest_covered c WHERE c.recipient = ? AND c.key = 'item:' || i.id)
        ORDER BY COALESCE(i.published_at, i.first_seen) DESC, i.id
    """
    rows = list(db.query(sql, [*ctx.ids, first_at, recent, KIND_ACTIVITY, today, ctx.recipient]))
    sections = {d.id: DossierSection(d.id, d.title, {g: [] for g in KAMER_GROUPS}) for d in dossiers}
    matches = _matches_by_item(ctx, [r["id"] for r in rows])
    items = [row_to_item(r) for r in rows]
    zaak_lines: dict[str, Line] = {}
    documents: list[tuple[Item, Line, str]] = []
    for item in items:
        reasons = ctx.reasons(item.id, matches.get(item.id, []))
        if not reasons:
            continue
        home = reasons[0].dossier
        line = _item_line(ctx, item, reasons, matches.get(item.id, []))
        section = sections[home]
        if item.kind == KIND_ARTICLE:
            section.media.append(line)
            continue
        group = _kamer_group(item)
        if item.kind == KIND_DOCUMENT:
            documents.append((item, line, group))
            continue
        if item.kind == KIND_ZAAK:
            zaak_lines[str(item.data.get("id") or item.external_id.rpartition("/")[2])] = line
        section.kamer[group].append(line)
    for item, line, group in documents:
        # A motie's document duplicates the motie zaak: cover it with the zaak's line.
        parent = next((zaak_lines[z] for z in item.data.get("zaak_ids") or [] if z in zaak_lines), None)
        if parent is not None:
            parent.extra_keys.append(line.key)
            continue
        sections[line.dossier or ""].kamer[group].append(line)
    out = []
    for section in sections.values():
        section.kamer = {g: lines for g, lines in section.kamer.items() if lines}
        out.append(section)
    return out


def _matches_by_item(ctx: _Ctx, item_ids: list[str]) -> dict[str, list[Match]]:
    from ..store import _row_to_match  # the store's own row decoding, to stay in step with it

    found: dict[str, list[Match]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        sql = f"SELECT * FROM matches WHERE item_id IN ({', '.join('?' for _ in chunk)}) ORDER BY item_id, dossier, rule"
        for row in ctx.store.db.query(sql, chunk):
            found.setdefault(row["item_id"], []).append(_row_to_match(row))
    return found


def _item_line(ctx: _Ctx, item: Item, reasons: list[Reason], matches: list[Match]) -> Line:
    data = item.data or {}
    meta: list[str] = []
    details: list[str] = []
    when = None
    if item.kind == KIND_ARTICLE:
        source = ctx.config.sources.get(item.source)
        meta.append(clean(source.label if source and source.label else item.source, 60))
        when = format_nl(item.published_at, with_time=False) if item.published_at else None
    elif item.kind == KIND_ACTIVITY:
        meta.append(_soort(data))
        when = format_nl(item.event_at)
        if _commissie(data):
            meta.append(_commissie(data))
    else:
        if data.get("soort"):
            meta.append(clean(data["soort"], 60))
        number = _kamerstuk_number(data)
        if number:
            meta.append(number)
        when = format_nl(item.published_at, with_time=False) if item.published_at else None
        if item.kind == KIND_ZAAK:
            details.extend(_zaak_details(data))
    snippet = next((m.snippet for m in matches if m.dossier == reasons[0].dossier and m.snippet), None)
    return Line(
        key=f"item:{item.id}",
        section="In de media" if item.kind == KIND_ARTICLE else "Nieuw in de Kamer",
        title=clean(item.title, 300) or "(zonder titel)",
        url=safe_url(item.url),
        when=when,
        meta=[m for m in meta if m],
        details=details,
        snippet=clean(snippet, 400) if snippet else None,
        reasons=reasons,
        dossier=reasons[0].dossier,
        ref=item.id,
    )


def _zaak_details(data: dict[str, Any]) -> list[str]:
    details = []
    indieners = data.get("indieners") or []
    first = [i for i in indieners if (i.get("rol") or "Indiener") == "Indiener"]
    others = [i for i in indieners if i not in first]
    if first:
        details.append("Indiener: " + ", ".join(_person(i) for i in first))
    if others:
        details.append("Medeindieners: " + ", ".join(_person(i) for i in others))
    if data.get("kabinetsappreciatie"):
        details.append(f"Kabinetsappreciatie: {clean(data['kabinetsappreciatie'], 80)}")
    if data.get("uitslag"):
        text = f"Uitslag: {clean(data['uitslag'], 40)}"
        votes = _votes(data.get("besluiten") or [])
        if votes:
            text += f" ({votes})"
        details.append(text)
    return details


def _votes(besluiten: list[dict[str, Any]]) -> str:
    for besluit in reversed(besluiten):
        stemmingen = besluit.get("stemmingen") or []
        if not stemmingen:
            continue
        voor = [s for s in stemmingen if str(s.get("soort", "")).lower() == "voor"]
        tegen = [s for s in stemmingen if str(s.get("soort", "")).lower() == "tegen"]
        zetels_voor = sum(int(s.get("zetels") or 0) for s in voor)
        zetels_tegen = sum(int(s.get("zetels") or 0) for s in tegen)
        text = f"voor {zetels_voor}, tegen {zetels_tegen}"
        if voor:
            text += "; voor: " + ", ".join(clean(s.get("fractie"), 30) for s in voor)
        return text
    return ""


def _agenda_lines(ctx: _Ctx, horizon_days: int) -> list[Line]:
    today = ctx.now.date()
    end = (today + timedelta(days=horizon_days)).isoformat()
    sql = f"""
        SELECT DISTINCT i.* FROM items i JOIN matches m ON m.item_id = i.id
        WHERE m.dossier IN ({ctx.in_clause()}) AND i.deleted_at IS NULL AND i.kind = ?
          AND substr(i.event_at, 1, 10) >= ? AND substr(i.event_at, 1, 10) <= ?
        ORDER BY i.event_at, i.id
    """
    lines = []
    for row in ctx.store.db.query(sql, [*ctx.ids, KIND_ACTIVITY, today.isoformat(), end]):
        item = row_to_item(row)
        reasons = ctx.reasons(item.id)
        status = str(item.data.get("status") or "")
        meta = [_soort(item.data)]
        if _commissie(item.data):
            meta.append(_commissie(item.data))
        if item.data.get("locatie"):
            meta.append(clean(item.data["locatie"], 60))
        lines.append(
            Line(
                key=f"agenda:{item.id}",
                section="Agenda komende weken",
                title=clean(item.title, 300),
                url=safe_url(item.url),
                when=format_nl(item.event_at),
                meta=[m for m in meta if m],
                reasons=reasons,
                dossier=reasons[0].dossier if reasons else None,
                badge=status.lower() if status.lower() in ("geannuleerd", "verplaatst", "vervallen") else None,
                ref=item.id,
                new=False,
            )
        )
    return lines


def _source_lines(store: Store, config: Config, now: datetime) -> list[Line]:
    """Sources that failed last time, never succeeded, or have not succeeded for a while."""
    lines = []
    for source in config.sources.sources:
        if not source.enabled:
            continue
        health = store.health(source.id, source.kind, source.label)
        # The id is what sources.yaml and `monitor sources` use; a label alone is ambiguous
        # when several feeds share one (e.g. vakpers).
        name = clean(f"{source.id} ({source.label})" if source.label and source.label != source.id else source.id, 80)
        problem = None
        if health.consecutive_failures:
            since = f" sinds {format_nl(health.last_success)}" if health.last_success else ""
            problem = f"faalt ({health.consecutive_failures}× op rij){since}: {clean(health.last_error or 'onbekende fout', 200)}"
        elif not health.last_success:
            problem = "nog nooit opgehaald" if not health.last_attempt else "nog nooit gelukt"
        elif health.is_stale(source.every, now):
            problem = f"verouderd: laatst gelukt {format_nl(health.last_success)}"
        if problem:
            lines.append(Line(key=f"source:{source.id}", section="Bronnen", title=name, details=[problem], new=False, ref=source.id))
    return lines


# ---------------------------------------------------------------------------- small helpers


def clean(value: Any, limit: int = 500) -> str:
    """Source text made safe to show: no control or bidi characters, whitespace collapsed, capped.

    HTML escaping is the template's job (autoescape); this keeps the plain-text part and the
    subject free of characters that could rearrange what the reader sees.
    """
    if value is None:
        return ""
    text = _CONTROL.sub(" ", str(value))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_url(url: Any) -> str | None:
    """Only http(s) links from sources become links (no javascript:, data:, mailto: tricks)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE):
        return None
    return url


def _when(value: Any) -> str:
    try:
        return format_nl(str(value))
    except ValueError:
        return clean(value, 40)


def _json_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def _soort(data: dict[str, Any]) -> str:
    return clean(data.get("soort"), 60)


def _commissie(data: dict[str, Any]) -> str:
    commissie = data.get("commissie")
    if isinstance(commissie, dict):
        return clean(commissie.get("afkorting") or commissie.get("naam"), 60)
    return clean(commissie, 60)


def _person(person: dict[str, Any]) -> str:
    name = clean(person.get("naam"), 60)
    fractie = clean(person.get("fractie"), 30)
    return f"{name} ({fractie})" if fractie else name


def _woordvoerder(w: Any) -> str:
    text = f"{clean(w.naam, 60)} ({clean(w.fractie, 30)})" if w.fractie else clean(w.naam, 60)
    return f"{text} — {clean(w.reden, 120)}" if w.reden else text


def _kamerstuk_number(data: dict[str, Any]) -> str:
    dossier = data.get("kamerstukdossier")
    if isinstance(dossier, dict) and dossier.get("nummer"):
        number = str(dossier["nummer"]) + (f"-{dossier['toevoeging']}" if dossier.get("toevoeging") else "")
        if data.get("documentnummer"):
            return f"{clean(number, 20)} · {clean(data['documentnummer'], 30)}"
        return f"Kamerstuk {clean(number, 20)}"
    if data.get("documentnummer"):
        return clean(data["documentnummer"], 30)
    if data.get("nummer"):
        return clean(data["nummer"], 30)
    return ""


def _kamer_group(item: Item) -> str:
    if item.kind == KIND_ACTIVITY:
        return "Nieuw op de agenda"
    soort = str(item.data.get("soort") or "").lower()
    if "motie" in soort:
        return "Moties"
    if "amendement" in soort:
        return "Amendementen"
    if "wet" in soort:
        return "Wetsvoorstellen"
    if "brief" in soort:
        return "Brieven"
    if "vragen" in soort or "antwoord" in soort:
        return "Kamervragen"
    return "Overige Kamerstukken"


# ---------------------------------------------------------------------------- rendering


def _hits(value: str) -> Markup:
    """Escape source text, then bold the hits the rule engine marked with «…»."""
    escaped = str(escape(value))
    return Markup(re.sub(r"«([^«»]*)»", r"<strong>\1</strong>", escaped))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["hits"] = _hits
    env.globals["labels"] = MOMENT_LABELS
    return env


_ENV: Environment | None = None


def render_digest(digest: Digest) -> tuple[str, str]:
    """(plain text, HTML with CSS inlined) of a digest."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    context = {"d": digest, "date": format_nl(digest.now, with_time=False, with_year=True), "subject": digest.subject()}
    text = _ENV.get_template("digest.txt").render(**context)
    html = _ENV.get_template("digest.html").render(**context)
    # Outlook and Gmail drop <style> blocks in many cases; inline styles survive.
    html = css_inline.inline(html)
    return text, html


def preview(
    store: Store,
    config: Config,
    now: datetime,
    moments: list[Moment],
    recipient: str | None = None,
) -> str:
    """The HTML digest for a recipient (default: the first configured one) without queuing it."""
    mapping = recipients_for(config.rules, recipient) if recipient else recipients_for(config.rules)
    if not mapping:
        address, dossiers = "voorbeeld@monitor.invalid", list(config.rules.dossiers)
    else:
        address, dossiers = next(iter(mapping.items()))
    return render_digest(build_digest(store, config, address, now, moments, dossiers))[1]


# ---------------------------------------------------------------------------- outbox: queue and send


@dataclass
class Prepared:
    """A digest placed in the outbox (or skipped as empty)."""

    recipient: str
    outbox_id: str | None
    subject: str
    empty: bool
    lines: int


def prepare_digests(
    store: Store,
    config: Config,
    now: datetime,
    moments: list[Moment],
    only: str | None = None,
) -> list[Prepared]:
    """Build each recipient's digest and store it in the outbox, with what it covers, in one transaction.

    Empty digests are not queued unless `digest.send_empty` is set. The coverage is recorded at
    queue time, so the next digest starts where this one ended even if this one is still pending.
    """
    email = config.sources.email
    if email is None or not email.sender:
        raise MailError("no email section in sources.yaml: add email: {from: ..., smtp: {host: ...}}")
    outbox.ensure_schema(store.db)
    now = now.astimezone(AMS)
    at = iso(now)
    results = []
    for recipient, dossiers in recipients_for(config.rules, only).items():
        digest = build_digest(store, config, recipient, now, moments, dossiers)
        state = outbox.recipient_state(store.db, recipient)
        recipient_row = {
            "recipient": recipient,
            "first_at": state["first_at"] if state else at,
            "change_cursor": digest.change_cursor if digest.change_cursor is not None else (state or {}).get("change_cursor"),
            "last_digest_at": (state or {}).get("last_digest_at"),
        }
        last = to_local((state or {}).get("last_digest_at"))
        # A failing source is worth one mail a day, not one per `--send`.
        repeat_only = last is not None and last.date() == now.date() and not digest.has_news
        if (digest.is_empty and not config.sources.digest.send_empty) or repeat_only:
            # Nothing to say; still move the change cursor past the irrelevant changes.
            with store.transaction():
                store.db["digest_recipients"].upsert(recipient_row, pk="recipient")
            results.append(Prepared(recipient, None, digest.subject(), True, 0))
            continue
        text, html = render_digest(digest)
        message = build_message(email, recipient, digest.subject(), text, html, now)
        outbox_id = uuid.uuid4().hex
        lines = list(digest.lines())
        with store.transaction():
            store.db["digest_outbox"].insert(
                {
                    "id": outbox_id,
                    "recipient": recipient,
                    "subject": digest.subject(),
                    "message_id": message["Message-ID"],
                    "created_at": at,
                    "status": outbox.PENDING,
                    "attempts": 0,
                    "last_attempt": None,
                    "last_error": None,
                    "sent_at": None,
                    "empty": int(digest.is_empty),
                    "message": message.as_string(),
                }
            )
            covered = [
                {"recipient": recipient, "key": key, "outbox_id": outbox_id, "at": at}
                for line in lines
                for key in (line.key, *line.extra_keys)
            ]
            # Action lines repeat daily by design; re-covering a known moment is not an error.
            store.db["digest_covered"].upsert_all(covered, pk=("recipient", "key")) if covered else None
            store.db["digest_audit"].insert_all(
                {
                    "outbox_id": outbox_id,
                    "recipient": recipient,
                    "at": at,
                    "section": line.section,
                    "dossier": line.dossier,
                    "ref": line.ref,
                    "title": line.title,
                    "reason": line.why or None,
                }
                for line in [*lines, *digest.agenda, *digest.sources]
            )
            recipient_row["last_digest_at"] = at
            store.db["digest_recipients"].upsert(recipient_row, pk="recipient")
            outbox.log_event(store.db, outbox_id, at, "queued", f"{len(lines)} regels")
        results.append(Prepared(recipient, outbox_id, digest.subject(), digest.is_empty, len(lines)))
    return results


@dataclass
class SendResult:
    """What one `send_pending` did."""

    sent: list[str] = field(default_factory=list)  # outbox ids
    failed: list[tuple[str, str]] = field(default_factory=list)  # (outbox id, error)
    gave_up: list[str] = field(default_factory=list)
    recipients: dict[str, str] = field(default_factory=dict)  # outbox id -> recipient, of the failed ones
    error: str | None = None  # a connection-level error (nothing could be sent)


def send_pending(
    store: Store,
    email: EmailConfig,
    now: datetime | None = None,
    connect: Callable[[SmtpConfig], Any] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    only_ids: Collection[str] | None = None,
) -> SendResult:
    """Send every pending digest (or only those in `only_ids`); mark each sent only after the server accepted it.

    A refused message stays pending (retried next time) until `max_attempts`, then `failed`
    (kept, never deleted). A connection failure leaves everything pending. `connect` opens the
    SMTP connection (default: `mail.connect`, from sources.yaml).
    """
    from ..timeutil import now as current

    outbox.ensure_schema(store.db)
    result = SendResult()
    rows = [row for row in outbox.pending(store.db) if only_ids is None or row["id"] in only_ids]
    if not rows:
        return result
    at = iso(now or current())
    try:
        client = (connect or smtp_connect)(email.smtp)
    except (OSError, smtplib.SMTPException, MailError) as exc:
        result.error = describe_error(exc) if not isinstance(exc, MailError) else str(exc)
        log.warning("digest: cannot reach the mail server: %s", result.error)
        with store.transaction():
            for row in rows:
                _record_failure(store, row, at, result.error, max_attempts, result)
        return result
    envelope_from = sender_address(email)
    try:
        for row in rows:
            try:
                refused = client.sendmail(envelope_from, [row["recipient"]], row["message"].encode("utf-8"))
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                error = describe_error(exc)
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                break  # the connection is gone; the rest stays pending untouched
            except smtplib.SMTPException as exc:
                error = describe_error(exc)
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                continue
            if refused:
                error = "recipient refused: " + "; ".join(f"{a}: {c}" for a, (c, _) in refused.items())
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                continue
            # The server has taken responsibility for the message: only now is it "sent".
            with store.transaction():
                store.db["digest_outbox"].update(
                    row["id"], {"status": outbox.SENT, "sent_at": at, "attempts": row["attempts"] + 1, "last_attempt": at, "last_error": None}
                )
                outbox.log_event(store.db, row["id"], at, "sent", row["recipient"])
            result.sent.append(row["id"])
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return result


def _record_failure(store: Store, row: dict[str, Any], at: str, error: str, max_attempts: int, result: SendResult) -> None:
    attempts = int(row["attempts"] or 0) + 1
    status = outbox.FAILED if attempts >= max_attempts else outbox.PENDING
    store.db["digest_outbox"].update(row["id"], {"attempts": attempts, "last_attempt": at, "last_error": error, "status": status})
    outbox.log_event(store.db, row["id"], at, "gave up" if status == outbox.FAILED else "failed", error)
    result.failed.append((row["id"], error))
    result.recipients[row["id"]] = row["recipient"]
    if status == outbox.FAILED:
        result.gave_up.append(row["id"])


@dataclass
class Failure:
    """A digest the mail server did not take."""

    outbox_id: str
    recipient: str
    error: str
    gave_up: bool  # True: no more attempts (kept in the outbox as failed)


@dataclass
class DigestRun:
    """`run_digest`'s outcome: what was queued and what was sent."""

    prepared: list[Prepared]
    retried: SendResult | None
    sent: SendResult | None

    def _attempts(self) -> list[SendResult]:
        return [attempt for attempt in (self.retried, self.sent) if attempt]

    @property
    def sent_ids(self) -> list[str]:
        """Outbox ids the server accepted in this run (earlier pending ones and today's)."""
        return [i for attempt in self._attempts() for i in attempt.sent]

    @property
    def failures(self) -> list[Failure]:
        """Every digest not taken in this run, with its recipient and why."""
        return [
            Failure(i, attempt.recipients.get(i, i), error, i in attempt.gave_up)
            for attempt in self._attempts()
            for i, error in attempt.failed
        ]

    @property
    def connection_error(self) -> str | None:
        """Why the mail server could not be reached at all, if so."""
        return next((attempt.error for attempt in self._attempts() if attempt.error), None)


def run_digest(
    store: Store,
    config: Config,
    now: datetime,
    moments: list[Moment],
    send: bool = True,
    only: str | None = None,
    connect: Callable[[SmtpConfig], Any] | None = None,
) -> DigestRun:
    """The daily job: retry what is pending, queue today's digests, send them.

    Retrying first keeps the order of mails the order of digests; each digest gets one attempt
    per run (the second send is only for the digests queued now).
    """
    email = config.sources.email
    if email is None:
        raise MailError("no email section in sources.yaml: add email: {from: ..., smtp: {host: ...}}")
    retried = send_pending(store, email, now, connect) if send else None
    prepared = prepare_digests(store, config, now, moments, only)
    queued = {p.outbox_id for p in prepared if p.outbox_id}
    sent = send_pending(store, email, now, connect, only_ids=queued) if send else None
    return DigestRun(prepared, retried, sent)


def audit(store: Store, recipient: str) -> list[dict[str, Any]]:
    """What was sent to a recipient and why (one row per digest line, newest first)."""
    outbox.ensure_schema(store.db)
    return outbox.sent_to(store.db, recipient.strip().lower())


def _today(now: datetime) -> date:
    return now.astimezone(AMS).date()
