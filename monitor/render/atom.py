"""The Atom feed (RFC 4287) of one dossier or all: what to do, what changed, what is new.

For readers who follow their dossiers in a feed reader rather than by mail. It is a pure function
of the briefing (`feed_scope`: actions with a deadline in the coming three weeks, changes and news
of the last two), worded by the report's own pieces (`layout`), so an entry says what the report
says. One entry per:

- **action**: a meeting with what to do before it ('Woordvoerders briefen — uiterlijk wo 2 dec:
  Commissiedebat Wmo-tarieven'), updated when the meeting changed or the deadline passed;
- **meeting change**: a meeting that moved, was cancelled or got a new agenda point, or is new on
  the agenda; each revision of a meeting is a new entry, so a reader shows the change as news;
- **Kamer item**: a new zaak or document (its documents and result folded in); a change to an
  older one (a vote, a revised letter) is a new entry;
- **press article**.

Ids are tag: URIs from the briefing's stable keys, so they survive re-runs and a meeting the Kamer
re-created; `updated` comes from when monitor saw the thing change, never from the clock, so an
unchanged feed is byte-identical (the server's ETag then answers 304). Links are http(s) only.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from markupsafe import escape

from .. import wording
from ..briefing import Briefing, KamerEntry, MeetingEntry, Scope
from ..models import MomentStatus
from ..timeutil import AMS, iso, to_local
from .layout import Block, action_block, clean, safe_url, agenda_block, changed_block, kamer_block, press_block

__all__ = ["FeedEntry", "feed_scope", "feed_entries", "render_feed", "FEED_DAYS", "AGENDA_DAYS", "TAG_PREFIX", "CONTENT_TYPE"]

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# RFC 4151 tag URIs: an authority and a fixed date, then the entry's own key. The authority is the
# one the lobbykalender's UIDs use; the date never changes, or every id would.
TAG_PREFIX = "tag:lobbykalender.monitor,2026:"
FEED_DAYS = 14  # changes and news of the last two weeks
AGENDA_DAYS = 21  # actions with a deadline in the coming three weeks (the digest's horizon)
MAX_ENTRIES = 300

ET.register_namespace("", ATOM)


@dataclass
class FeedEntry:
    """One Atom entry, worded and ready to write."""

    id: str
    title: str
    updated: datetime
    link: str | None
    lines: list[tuple[str, str, str | None]]  # (text, layout style, http(s) link)
    dossiers: list[str]
    published: datetime | None = None
    kind: str = field(default="")  # actie | vergadering | kamer | pers (for tests and readers' filters)


def feed_scope(now: datetime, dossier: str | None = None) -> Scope:
    """What a feed covers: deadlines in the coming three weeks; news and changes of the last two."""
    today = now.astimezone(AMS).date()
    since = today - timedelta(days=FEED_DAYS)
    stamp = iso(datetime.combine(since, time(0, 0), AMS))
    return Scope(today, today + timedelta(days=AGENDA_DAYS), since, today, seen_after=stamp, changes_since=stamp,
                 dossiers=[dossier] if dossier else None)


def tag(specific: str) -> str:
    """A tag: URI for an entry key (characters a tag may not hold are percent-encoded)."""
    return TAG_PREFIX + quote(specific, safe="/:?=&@!$'()*+,;-._~")


def feed_entries(briefing: Briefing) -> list[FeedEntry]:
    """The briefing's entries, newest first."""
    titles = dict(briefing.dossiers)
    entries: list[FeedEntry] = []
    for action in briefing.actions:
        meeting_entry = action.entry
        updated = _stamp(meeting_entry.modified_at)
        for moment in action.moments:
            if moment.status is MomentStatus.TE_LAAT and moment.deadline is not None:
                # The day after the deadline the action became late: a change worth the reader's eye.
                updated = max(updated, datetime.combine(moment.deadline + timedelta(days=1), time(0, 0), AMS))
        block = action_block(action, titles)
        title = wording.feed_action_title(action.moments[0]) + _badges(block, skip=("te laat",))
        entries.append(_entry(f"actie/{action.key}", title, updated, block, meeting_entry.dossiers, "actie"))
    meetings: dict[str, MeetingEntry] = {}
    for meeting_entry in [*briefing.agenda, *(a.entry for a in (*briefing.actions, *briefing.closed)),
                          *(e for e in briefing.changed if isinstance(e, MeetingEntry))]:
        meetings.setdefault(meeting_entry.key, meeting_entry)
    for meeting_entry in meetings.values():
        if meeting_entry.updates:
            block = changed_block(meeting_entry, titles)
        elif meeting_entry.new:
            block = agenda_block(meeting_entry, titles, has_action=False)
        else:
            continue
        entries.append(_entry(f"vergadering/{meeting_entry.key}/{meeting_entry.revision}", block.title + _badges(block),
                              _stamp(meeting_entry.modified_at), block, meeting_entry.dossiers, "vergadering"))
    kamer = [e for news in briefing.news for e in news.kamer] + [e for e in briefing.changed if isinstance(e, KamerEntry)]
    for kamer_entry in kamer:
        seen = [u.seen_at for u in kamer_entry.updates if u.seen_at]
        updated = _stamp(max([kamer_entry.first_seen, *seen]))
        # A new zaak is one entry; news about an older one (a vote, a revised letter) is a new entry each time.
        key = f"kamer/{kamer_entry.key}" if kamer_entry.new else f"kamer/{kamer_entry.key}/{iso(updated)}"
        block = kamer_block(kamer_entry) if kamer_entry.new else changed_block(kamer_entry, titles)
        entries.append(_entry(key, block.title + _badges(block), updated, block, kamer_entry.dossiers, "kamer",
                              published=_stamp(kamer_entry.first_seen)))
    for news in briefing.news:
        for article in news.press:
            block = press_block(article)
            published = to_local(article.item.published_at) if article.item.published_at else None
            entries.append(_entry(f"pers/{article.key}", block.title, _stamp(article.first_seen), block, article.dossiers, "pers",
                                  published=published))
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.id, entry)
    return sorted(unique.values(), key=lambda e: (e.updated, e.id), reverse=True)[:MAX_ENTRIES]


def render_feed(briefing: Briefing, dossier: str | None = None, self_url: str | None = None) -> bytes:
    """The Atom document of a briefing (built with `feed_scope`), for one dossier or all."""
    titles = dict(briefing.dossiers)
    entries = feed_entries(briefing)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "nl"})
    _text(root, "id", tag(f"feed/{dossier or 'alle'}"))
    _text(root, "title", wording.feed_title(titles.get(dossier) if dossier else None))
    _text(root, "subtitle", wording.feed_subtitle())
    # Never the clock: the newest entry, or the start of the day when there is nothing.
    newest = entries[0].updated if entries else datetime.combine(briefing.as_of.astimezone(AMS).date(), time(0, 0), AMS)
    _text(root, "updated", iso(newest) or "")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "monitor")
    _text(root, "generator", "monitor")
    if self_url:
        ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": self_url})
    for entry in entries:
        node = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(node, "id", entry.id)
        _text(node, "title", entry.title)
        _text(node, "updated", iso(entry.updated) or "")
        if entry.published is not None:
            _text(node, "published", iso(entry.published) or "")
        if entry.link:
            ET.SubElement(node, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": entry.link})
        for dossier_id in entry.dossiers:
            ET.SubElement(node, f"{{{ATOM}}}category", {"term": dossier_id, "label": titles.get(dossier_id, dossier_id)})
        content = ET.SubElement(node, f"{{{ATOM}}}content", {"type": "html"})
        content.text = _html(entry.lines)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# ---------------------------------------------------------------------------- helpers


def _entry(key: str, title: str, updated: datetime, block: Block, dossiers: list[str], kind: str,
           published: datetime | None = None) -> FeedEntry:
    return FeedEntry(tag(key), clean(title, 400), updated, block.link, [(line.text, line.style, safe_url(line.link)) for line in block.lines], list(dossiers), published, kind)


def _badges(block: Block, skip: tuple[str, ...] = ()) -> str:
    """The block's badges after its title, as the text report writes them: ' [GEANNULEERD]'."""
    return "".join(f" [{b.upper()}]" for b in block.badges if b not in skip)


def _stamp(value: str | date | None) -> datetime:
    """A stored ISO moment as an aware datetime (a missing one is the distant past, never now)."""
    moment = to_local(value) if isinstance(value, str) and value else None
    return moment or datetime(2000, 1, 1, tzinfo=AMS)


def _html(lines: list[tuple[str, str, str | None]]) -> str:
    """An entry's lines as escaped HTML (the reader renders it); «…» hits become bold."""
    parts = []
    for text, style, link in lines:
        safe = re.sub(r"«([^«»]*)»", r"<strong>\1</strong>", str(escape(text)))
        if style in ("deadline", "vote", "change"):
            safe = f"<strong>{safe}</strong>"
        elif style == "snippet":
            safe = f"<em>“{safe}”</em>"
        if link:
            safe = f'<a href="{escape(link)}">{safe}</a>'
        parts.append(safe)
    return "<p>" + "<br>\n".join(parts) + "</p>"


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    node.text = value
    return node
