"""Lay a briefing out as a document: sections, blocks and lines of Dutch text.

The report (`monitor run`: text, Markdown, HTML) and the digest (text and HTML email) are the
same Lobbymemo with different selections. This module decides, once, what each entry says and
in which order; the format modules only print the tree. Every phrase comes from
`monitor.wording`; every value from the source passes through `clean` (no control or bidi
characters, whitespace collapsed, capped) and every link through `safe_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .. import wording
from ..briefing import Action, Briefing, KamerEntry, MeetingEntry, PressEntry, Reason, SourceStatus
from ..models import MomentStatus, SourceState, UpdateKind
from ..timeutil import format_nl

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_TRIGGERS = 5


@dataclass
class Line:
    """One line of a block. `style` tells the formats how to show it (see `STYLES`)."""

    text: str
    style: str = "plain"
    link: str | None = None


STYLES = ("plain", "deadline", "meta", "change", "note", "person", "snippet", "why", "vote", "warn", "muted")


@dataclass
class Block:
    """An entry: a title (linked when there is a url), badges, lines."""

    title: str
    link: str | None = None
    badges: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    tone: str = "plain"  # plain | action | late | cancelled | change | muted
    key: str | None = None  # the briefing entry it shows (for tests and the digest audit)
    when: str | None = None  # a date column (agenda rows)


@dataclass
class Group:
    """Blocks under an optional sub-heading; `empty` is said when there are none."""

    heading: str | None
    blocks: list[Block] = field(default_factory=list)
    empty: str | None = None
    table: bool = False  # agenda rows: a date column and the meeting


@dataclass
class Section:
    heading: str
    groups: list[Group] = field(default_factory=list)
    level: int = 2  # 2: a main section; 3: a dossier's sub-section


@dataclass
class Document:
    """A laid-out briefing."""

    title: str
    subtitle: list[str]
    banner: list[str]
    sections: list[Section]
    footer: list[str] = field(default_factory=list)
    preheader: str = ""


# ---------------------------------------------------------------------------- text safety


def clean(value: Any, limit: int = 500) -> str:
    """Source text made safe to show: no control or bidi characters, whitespace collapsed, capped."""
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


# ---------------------------------------------------------------------------- the pieces


def action_block(action: Action, titles: dict[str, str], new: bool = False) -> Block:
    """A meeting with the actions it asks for, by deadline."""
    entry = action.entry
    meeting = entry.meeting
    late = any(m.status is MomentStatus.TE_LAAT and not m.handled for m in action.moments)
    badges = []
    if late:
        badges.append("te laat")
    if all(m.handled for m in action.moments):
        badges.append(wording.HANDLED)
    if any(m.status is MomentStatus.VERPLAATST or m.moved for m in action.moments) and not late:
        badges.append("verplaatst")
    if new:
        badges.append(wording.new_badge())
    lines = [Line(clean(wording.action_line(m), 300), "deadline") for m in action.moments[1:]]
    lines.append(Line(clean(wording.meeting_line(meeting), 400), "meta"))
    lines.append(Line("Dossier: " + ", ".join(titles.get(d, d) for d in entry.dossiers), "meta"))
    lines += _work_lines(action)
    lines += _trigger_lines(entry.triggers)
    lines += _meeting_detail_lines(entry)
    for vote in action.votes:
        lines += _vote_lines(vote, meeting.day)
    if action.woordvoerders:
        lines.append(Line(f"{wording.LABEL_WOORDVOERDERS}:", "plain"))
        lines += [Line(clean(wording.woordvoerder(w), 300), "person") for w in action.woordvoerders]
    elif any(m.kind.value in ("brief", "inbreng", "motie") for m in action.moments):
        lines.append(Line(wording.LABEL_NO_WOORDVOERDERS, "muted"))
    return Block(
        title=clean(wording.action_line(action.moments[0]), 300),
        link=safe_url(meeting.url),
        badges=badges,
        lines=lines,
        tone="late" if late else ("muted" if all(m.handled for m in action.moments) else "action"),
        key=entry.key,
    )


def closed_block(action: Action, titles: dict[str, str]) -> Block:
    """A meeting whose actions were cancelled or are past: one line for what it was, why it ended."""
    entry = action.entry
    states = ", ".join(f"{wording.moment_label(m.kind).lower()}: {wording.status_label(m.status)}" for m in action.moments)
    lines = [Line(clean(states, 300), "meta"), Line("Dossier: " + ", ".join(titles.get(d, d) for d in entry.dossiers), "meta")]
    lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
    cancelled = any(m.status is MomentStatus.GEANNULEERD for m in action.moments)
    return Block(clean(wording.meeting_line(entry.meeting), 400), safe_url(entry.meeting.url), [], lines, "cancelled" if cancelled else "muted", entry.key)


def agenda_block(entry: MeetingEntry, titles: dict[str, str], has_action: bool) -> Block:
    """An agenda row. A meeting that has an action shows its changes there, not here."""
    meeting = entry.meeting
    badges = [b for b in (wording.meeting_badge(meeting, entry.deleted),) if b]
    if not badges and any(u.kind in (UpdateKind.MOVED, UpdateKind.AWAITING_DATE) for u in entry.updates):
        badges.append("verplaatst")
    if entry.new:
        badges.append(wording.new_badge())
    meta = [meeting.soort, wording.meeting_where(meeting), meeting.locatie or ""]
    lines = [Line(clean(" · ".join(m for m in meta if m), 300), "meta")]
    if not has_action:
        lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
        noted = any(u.kind is UpdateKind.NOTE for u in entry.updates)
        if meeting.noot and not noted and (badges or entry.updates):
            lines.append(Line(clean(wording.noot(meeting), 300), "note"))
    lines.append(Line(clean(f"{wording.LABEL_WHY}: " + _why(entry.reasons), 400), "why"))
    tone = "cancelled" if (meeting.status.cancelled or entry.deleted) else "plain"
    name = clean(wording.meeting_name(meeting), 300)
    return Block(name, safe_url(meeting.url), badges, lines, tone, entry.key, when=wording.meeting_when(meeting, with_year=False))


def changed_block(entry: MeetingEntry | KamerEntry, titles: dict[str, str]) -> Block:
    """Something that changed and has no place elsewhere in the briefing."""
    if isinstance(entry, MeetingEntry):
        lines = [Line(clean(wording.meeting_line(entry.meeting), 400), "meta")]
        lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
        if entry.meeting.noot and not any(u.kind is UpdateKind.NOTE for u in entry.updates):
            lines.append(Line(clean(wording.noot(entry.meeting), 300), "note"))
        lines.append(Line("Dossier: " + ", ".join(titles.get(d, d) for d in entry.dossiers), "meta"))
        cancelled = entry.meeting.status.cancelled or entry.deleted
        return Block(clean(wording.meeting_name(entry.meeting), 300), safe_url(entry.meeting.url), _change_badges(entry), lines, "cancelled" if cancelled else "change", entry.key)
    block = kamer_block(entry)
    block.tone = "change"
    block.badges = _change_badges(entry) + [b for b in block.badges if b not in _change_badges(entry)]
    return block


def kamer_block(entry: KamerEntry) -> Block:
    """A zaak with its details (indieners, appreciatie, result, new documents), or a lone document."""
    lines: list[Line] = []
    badges: list[str] = []
    if entry.toezegging is not None:
        return _promise_block(entry)
    if entry.zaak is not None:
        zaak = entry.zaak
        title = wording.zaak_title(zaak)
        meta = wording.zaak_meta(zaak)
        day = format_nl(zaak.gestart_op, with_time=False) if zaak.gestart_op else None
        lines.append(Line(clean(" · ".join(p for p in (day, meta) if p), 300), "meta"))
        for text in (wording.indieners(zaak), wording.appreciatie(zaak)):
            if text:
                lines.append(Line(clean(text, 400), "plain"))
        if entry.question is not None:
            answer = entry.question.answer
            lines.append(Line(clean(wording.question_line(zaak, entry.question), 400), "plain", safe_url(answer.url) if answer else None))
            badge = wording.question_badge(entry.question)
            if badge:
                badges.append(badge)
        result = wording.vote_result(zaak)
        if result:
            lines.append(Line(clean(result, 400), "vote"))
            if zaak.uitslag:
                badges.append(clean(zaak.uitslag, 30))
    else:
        assert entry.document is not None
        document = entry.document
        title = document.onderwerp or document.titel or document.documentnummer or "Kamerstuk"
        day = format_nl(document.datum, with_time=False) if document.datum else None
        lines.append(Line(clean(" · ".join(p for p in (day, wording.document_meta(document)) if p), 300), "meta"))
    lines += [Line(clean(wording.new_document(d), 400), "change") for d in entry.shown_documents]
    lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates if u.kind is not UpdateKind.OUTCOME or not badges]
    lines += _reason_lines(entry.reasons)
    return Block(clean(title, 300) or "(zonder titel)", safe_url(entry.url), badges, lines, "plain", entry.key)


def _promise_block(entry: KamerEntry) -> Block:
    """A toezegging: the promise, who made it where and to whom, and where it stands (due, late, kept)."""
    promise = entry.toezegging
    assert promise is not None
    today = entry.as_of_day or date.today()
    day = format_nl(promise.aangemaakt, with_time=False) if promise.aangemaakt else None
    lines = [Line(clean(" · ".join(p for p in (day, wording.promise_meta(promise, entry.made_in)) if p), 300), "meta")]
    to = wording.promise_to(promise)
    if to:
        lines.append(Line(clean(to, 300), "plain"))
    lines.append(Line(clean(wording.promise_state(promise, today), 300), "deadline" if promise.status.open else "plain"))
    lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
    lines += _reason_lines(entry.reasons)
    badge = wording.promise_badge(promise, today)
    return Block(clean(promise.tekst, 300) or "(toezegging zonder tekst)", safe_url(entry.url), [badge] if badge else [], lines, "late" if badge == "te laat" else "plain", entry.key)


def press_block(entry: PressEntry) -> Block:
    """A press article: source, date, the snippet with the hits, why."""
    item = entry.item
    source = clean(entry.source_label or entry.source, 60)
    day = format_nl(item.published_at, with_time=False) if item.published_at else None
    lines = [Line(" · ".join(p for p in (source, day) if p), "meta")]
    lines += _reason_lines(entry.reasons)
    return Block(clean(item.title, 300) or "(zonder titel)", safe_url(item.url), [], lines, "plain", entry.key)


def source_line(status: SourceStatus) -> Line:
    """'✓ tk (Tweede Kamer): werkt; …' or '✗ skipr (vakpers): faalt …'."""
    mark = "✓" if status.state is SourceState.OK else ("–" if status.state is SourceState.DISABLED else "✗")
    text = f"{mark} {wording.source_name(status.id, status.label)}: {wording.source_status(status.state, status.health)}"
    return Line(clean(text, 500), "plain" if not status.state.problem else "warn")


def banner(briefing: Briefing) -> list[str]:
    """The warning at the top when a source failed or is stale (never silent)."""
    if briefing.all_failed:
        return [wording.all_sources_failed()]
    problems = briefing.problems
    if not problems:
        return []
    return [wording.problems_banner([p.id for p in problems])]


# ---------------------------------------------------------------------------- helpers


def _work_lines(action: Action) -> list[Line]:
    """Who in the team takes the action, and their notes (one line each, said once per meeting)."""
    lines: list[Line] = []
    owners = list(dict.fromkeys(m.work.owner for m in action.moments if m.work is not None and m.work.owner))
    if owners:
        lines.append(Line(clean(wording.owner_phrase(", ".join(owners)), 200), "person"))
    for moment in action.moments:
        if moment.work is not None and moment.work.note:
            lines.append(Line(clean(wording.work_note(moment.work.note, moment.work.note_by, moment.work.note_at), 400), "note"))
    return lines


def _trigger_lines(triggers: list[str]) -> list[Line]:
    lines = [Line(clean(f"{wording.LABEL_AGENDA_POINT}: {t}", 300), "meta") for t in triggers[:MAX_TRIGGERS]]
    if len(triggers) > MAX_TRIGGERS:
        lines.append(Line(wording.more_points(len(triggers) - MAX_TRIGGERS), "meta"))
    return lines


def _meeting_detail_lines(entry: MeetingEntry) -> list[Line]:
    lines = [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
    if entry.meeting.noot and not any(u.kind is UpdateKind.NOTE for u in entry.updates):
        lines.append(Line(clean(wording.noot(entry.meeting), 300), "note"))
    return lines


def _vote_lines(entry: KamerEntry, meeting_day: date | None) -> list[Line]:
    assert entry.zaak is not None
    zaak = entry.zaak
    head = f"{wording.LABEL_VOTES}: {wording.zaak_title(zaak)}" + (f" ({zaak.nummer})" if zaak.nummer else "")
    lines = [Line(clean(head, 400), "vote")]
    details = [wording.indieners(zaak), wording.appreciatie(zaak), wording.vote_at(zaak, meeting_day)]
    lines += [Line(clean("   " + d, 400), "meta") for d in details if d]
    return lines


def _why(reasons: list[Reason]) -> str:
    """Why an entry is there: per dossier its rules with their terms (a dossier named once), or the agenda point."""
    parts: list[str | list[Reason]] = []
    groups: dict[str, list[Reason]] = {}
    for reason in reasons:
        if reason.via:
            parts.append(f"{reason.title} · {(reason.via_label or wording.LABEL_AGENDA_POINT).lower()}: {reason.via}")
            continue
        if reason.dossier not in groups:
            groups[reason.dossier] = []
            parts.append(groups[reason.dossier])  # filled below; keeps the order of first appearance
        groups[reason.dossier].append(reason)
    return "; ".join(
        part if isinstance(part, str) else wording.reasons(part[0].title, [(r.rule, [clean(t, 60) for t in r.terms]) for r in part])
        for part in parts
    )


def why(reasons: list[Reason]) -> str:
    """Why an entry is there, in one line (the 'Waarom' of the report), for a table cell or a feed."""
    return _why(reasons)


def _reason_lines(reasons: list[Reason]) -> list[Line]:
    lines = []
    snippet = next((r.snippet for r in reasons if r.snippet), None)
    if snippet:
        lines.append(Line(clean(snippet, 400), "snippet"))
    if reasons:
        lines.append(Line(clean(f"{wording.LABEL_WHY}: " + _why(reasons), 500), "why"))
    return lines


def _change_badges(entry: MeetingEntry | KamerEntry) -> list[str]:
    kinds = {u.kind for u in entry.updates}
    if isinstance(entry, MeetingEntry) and entry.deleted:
        return ["van de agenda"]
    for kind, word in ((UpdateKind.CANCELLED, "geannuleerd"), (UpdateKind.LAPSED, "vervallen"), (UpdateKind.REMOVED, "verwijderd"),
                       (UpdateKind.MOVED, "verplaatst"), (UpdateKind.AWAITING_DATE, "verplaatst")):
        if kind in kinds:
            return [word]
    return []


# ---------------------------------------------------------------------------- the report


def report(briefing: Briefing) -> Document:
    """`monitor run`'s report: actions, what changed, the agenda, per dossier the news, sources."""
    titles = dict(briefing.dossiers)
    scope = briefing.scope
    sections: list[Section] = []
    action_keys = {a.key for a in (*briefing.actions, *briefing.closed)}
    sections.append(Section(wording.SECTION_ACTIONS, [Group(None, [action_block(a, titles) for a in briefing.actions], wording.NO_ACTIONS)]))
    if briefing.closed:
        sections.append(Section(wording.SECTION_CLOSED, [Group(None, [closed_block(a, titles) for a in briefing.closed])], level=3))
    if briefing.changed:
        sections.append(Section(wording.SECTION_CHANGED, [Group(None, [changed_block(e, titles) for e in briefing.changed])]))
    sections.append(Section(wording.SECTION_AGENDA, [Group(None, [agenda_block(e, titles, e.key in action_keys) for e in briefing.agenda], wording.NO_AGENDA, table=True)]))
    sections += dossier_sections(briefing)
    sections.append(Section(wording.SECTION_SOURCES, [Group(None, [Block("", lines=[source_line(s) for s in briefing.sources])], wording.NO_SOURCES if not briefing.sources else None)]))
    news_from = scope.news_from or scope.agenda_from
    news_to = scope.news_to or scope.agenda_to
    return Document(
        title=wording.TITLE_REPORT,
        subtitle=wording.report_header(briefing.as_of, scope.agenda_from, scope.agenda_to, news_from, news_to),
        banner=banner(briefing),
        sections=sections,
    )


def dossier_sections(briefing: Briefing, kamer_new: dict[str, bool] | None = None) -> list[Section]:
    """Per dossier: the Kamer's new zaken (by kind) and the press."""
    out = []
    quiet = wording.NO_NEWS_CHECK_SOURCES if briefing.problems else wording.NO_NEWS
    for news in briefing.news:
        groups: list[Group] = []
        if news.kamer:
            by_group: dict[str, list[Block]] = {}
            for entry in news.kamer:
                by_group.setdefault(entry.group, []).append(kamer_block(entry))
            # Toezeggingen are told when made, when due and when kept: not "new in the Kamer" each time.
            groups += [Group(name if name == wording.GROUP_PROMISES else f"{wording.SECTION_KAMER} — {name}", blocks) for name, blocks in by_group.items()]
        if news.press:
            groups.append(Group(wording.SECTION_PRESS, [press_block(e) for e in news.press]))
        if not groups:
            groups.append(Group(None, [], quiet))
        out.append(Section(news.title, groups))
    return out
