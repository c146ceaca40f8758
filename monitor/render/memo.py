"""The weekly Lobbymemo laid out: what `monitor export --format docx` puts in Word.

The same pieces as the report (`layout`), chosen for a week's memo: the actions by deadline
(with the ones that lapsed), every meeting of the week with its agenda and what changed, the
Stemmingen with each motie's standing, what else changed, and per dossier the new Kamer items and
press. The Word module prints this tree; every phrase comes from `monitor.wording`.
"""

from __future__ import annotations

from datetime import date

from .. import wording
from ..briefing import Briefing, KamerEntry, MeetingEntry
from ..models import UpdateKind
from .layout import (
    Block,
    Document,
    Group,
    Line,
    Section,
    action_block,
    banner,
    changed_block,
    clean,
    closed_block,
    dossier_sections,
    safe_url,
    source_line,
    why,
)

MAX_AGENDA_POINTS = 10  # a procedurevergadering lists dozens; the memo shows the first ones and a count

__all__ = ["memo", "meeting_block", "vote_block"]


def memo(briefing: Briefing, week: str | None = None) -> Document:
    """The Lobbymemo of the briefing's window (`week` 'YYYY-Www' names it 'week 50')."""
    titles = dict(briefing.dossiers)
    scope = briefing.scope
    sections = [
        Section(wording.SECTION_ACTIONS, [Group(None, [action_block(a, titles) for a in briefing.actions], wording.NO_ACTIONS)]),
    ]
    if briefing.closed:
        sections[0].groups.append(Group(wording.SECTION_CLOSED, [closed_block(a, titles) for a in briefing.closed]))
    sections.append(Section(wording.SECTION_MEETINGS_WEEK, [Group(None, [meeting_block(e, titles) for e in briefing.agenda], wording.NO_MEETINGS_WEEK, table=True)]))
    sections.append(Section(wording.SECTION_VOTES, _vote_groups(briefing)))
    if briefing.changed:
        sections.append(Section(wording.SECTION_CHANGED, [Group(None, [changed_block(e, titles) for e in briefing.changed])]))
    sections += dossier_sections(briefing)
    if briefing.problems:
        sections.append(Section(wording.SECTION_SOURCES, [Group(None, [Block("", lines=[source_line(s) for s in briefing.problems])])]))
    return Document(
        title=wording.memo_title(week, scope.agenda_from, scope.agenda_to),
        subtitle=wording.memo_subtitle(briefing.as_of, [t for _, t in briefing.dossiers]),
        banner=banner(briefing),
        sections=sections,
    )


def meeting_block(entry: MeetingEntry, titles: dict[str, str]) -> Block:
    """A meeting of the week: where, its state, what changed, its agenda, and why it is on the dossiers."""
    meeting = entry.meeting
    badges = [b for b in (wording.meeting_badge(meeting, entry.deleted),) if b]
    if not badges and any(u.kind in (UpdateKind.MOVED, UpdateKind.AWAITING_DATE) for u in entry.updates):
        badges.append("verplaatst")
    if entry.new:
        badges.append(wording.new_badge())
    meta = [meeting.soort, wording.meeting_where(meeting), meeting.locatie or ""]
    lines = [Line(clean(" · ".join(m for m in meta if m), 300), "meta")]
    lines += [Line(clean(wording.update_phrase(u), 300), "change") for u in entry.updates]
    if meeting.noot and not any(u.kind is UpdateKind.NOTE for u in entry.updates):
        lines.append(Line(clean(wording.noot(meeting), 300), "note"))
    points = meeting.agenda[:MAX_AGENDA_POINTS]
    lines += [Line(clean(f"{wording.LABEL_AGENDA_POINT}: {p.onderwerp}", 300), "plain") for p in points]
    if len(meeting.agenda) > MAX_AGENDA_POINTS:
        lines.append(Line(wording.more_points(len(meeting.agenda) - MAX_AGENDA_POINTS), "meta"))
    lines.append(Line("Dossier: " + ", ".join(titles.get(d, d) for d in entry.dossiers), "meta"))
    lines.append(Line(clean(f"{wording.LABEL_WHY}: " + why(entry.reasons), 400), "why"))
    tone = "cancelled" if (meeting.status.cancelled or entry.deleted) else "plain"
    return Block(clean(wording.meeting_name(meeting), 300), safe_url(meeting.url), badges, lines, tone, entry.key,
                 when=wording.meeting_when(meeting, with_year=False))


def vote_block(vote: KamerEntry, meeting_day: date | None) -> Block:
    """A motie or amendement at a Stemmingen: indieners, appreciatie and its standing there."""
    assert vote.zaak is not None
    zaak = vote.zaak
    lines = [Line(clean(wording.zaak_meta(zaak), 300), "meta")]
    lines += [Line(clean(text, 400), "plain") for text in (wording.indieners(zaak), wording.appreciatie(zaak)) if text]
    lines.append(Line(clean(wording.vote_at(zaak, meeting_day), 400), "vote"))
    badges = [clean(zaak.uitslag, 30)] if zaak.uitslag and not zaak.decided_before(meeting_day) else []
    return Block(clean(wording.zaak_title(zaak), 300), safe_url(zaak.url), badges, lines, "plain", vote.key)


def _vote_groups(briefing: Briefing) -> list[Group]:
    groups = []
    actions = sorted((*briefing.actions, *briefing.closed), key=lambda a: (a.entry.meeting.start is None, str(a.entry.meeting.start or a.entry.meeting.day or ""), a.key))
    seen: set[str] = set()
    for action in actions:
        if not action.votes or action.key in seen:
            continue
        seen.add(action.key)
        meeting = action.entry.meeting
        groups.append(Group(clean(wording.meeting_line(meeting), 300), [vote_block(v, meeting.day) for v in action.votes if v.zaak]))
    return groups or [Group(None, [], wording.NO_VOTES)]
