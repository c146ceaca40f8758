"""The change log read as news: field changes of an item become typed `Update`s.

The store records every field that changed between two fetches ('aanvangstijd', 'status',
'agenda', 'kabinetsappreciatie', ...). Readers care about what that means: the meeting moved,
was cancelled, gained an agenda point; the motie got its appreciatie or was voted on; a letter
got a new version. This module decides that, once, for every output; `monitor.wording` then
says it in Dutch. Bookkeeping fields (texts, ids, the derived event_at) are not news.

Several changes of one item are folded into their net effect: moved 10 -> 17 -> 14 Dec is one
move from 10 Dec to 14 Dec; an agenda point added and removed again is no news; of a meeting's
status changes only the last counts.
"""

from __future__ import annotations

from dataclasses import replace

from collections.abc import Iterable

from .kamer import json_list
from .models import KIND_ACTIVITY, KIND_DOCUMENT, KIND_TOEZEGGING, KIND_ZAAK, Change, Meeting, MeetingStatus, Update, UpdateKind

_STATUS_KINDS = (UpdateKind.CANCELLED, UpdateKind.LAPSED, UpdateKind.REPLANNED, UpdateKind.AWAITING_DATE)


def updates(kind: str, changes: Iterable[Change]) -> list[Update]:
    """The news in an item's changes (oldest first), folded to their net effect."""
    groups: dict[tuple[str, str], dict[str, Change]] = {}
    for change in changes:
        groups.setdefault((change.seen_at, change.item_id), {})[change.field] = change
    raw: list[Update] = []
    for (_, _), fields in sorted(groups.items()):
        if kind == KIND_ACTIVITY:
            raw += _meeting_updates(fields)
        elif kind == KIND_ZAAK:
            raw += _zaak_updates(fields)
        elif kind == KIND_DOCUMENT:
            raw += _document_updates(fields)
        elif kind == KIND_TOEZEGGING:
            raw += _toezegging_updates(fields)
        elif "verwijderd" in fields:
            raw.append(_removal(fields["verwijderd"]))
    return fold(raw)


def recreation(previous: Meeting, current: Meeting, seen_at: str, item_id: str) -> Update | None:
    """The move told by a re-created meeting (the Kamer made a new activity for it)."""
    old = _start(previous)
    new = _start(current)
    if old == new:
        return None
    if new is None:
        return Update(UpdateKind.AWAITING_DATE, item_id, seen_at, old, None)
    return Update(UpdateKind.MOVED, item_id, seen_at, old, new)


def fold(items: list[Update]) -> list[Update]:
    """The net effect of updates in time order (see the module docstring)."""
    items = sorted(items, key=lambda u: u.seen_at)
    out: list[Update] = []
    move: Update | None = None
    status: Update | None = None
    latest: dict[UpdateKind, Update] = {}
    added: dict[str, Update] = {}
    dropped: dict[str, Update] = {}
    for update in items:
        if update.kind is UpdateKind.MOVED:
            move = Update(UpdateKind.MOVED, update.item_id, update.seen_at, move.old if move else update.old, update.new)
        elif update.kind in _STATUS_KINDS:
            status = update
        elif update.kind is UpdateKind.AGENDA_ADDED:
            if update.new in dropped:
                del dropped[update.new or ""]
            else:
                added[update.new or ""] = update
        elif update.kind is UpdateKind.AGENDA_DROPPED:
            if update.old in added:
                del added[update.old or ""]
            else:
                dropped[update.old or ""] = update
        elif update.kind in (UpdateKind.APPRECIATIE, UpdateKind.SUBJECT, UpdateKind.TITLE):
            key = _fold_key(update)
            first = latest.get(key)
            latest[key] = replace(update, old=first.old if first else update.old)
        else:
            latest[_fold_key(update)] = update
    if move is not None and move.old != move.new:
        out.append(move)
    if status is not None:
        # A move that also ended "Verplaatst, datum volgt" is told by the status; a move back to
        # planned after a move is told by the move.
        if not (status.kind is UpdateKind.REPLANNED and move is not None):
            if status.kind is UpdateKind.AWAITING_DATE and move is not None and move.new is None:
                out.remove(move)
            out.append(status)
    out += [u for u in latest.values() if not (u.kind in (UpdateKind.APPRECIATIE, UpdateKind.SUBJECT, UpdateKind.TITLE) and u.old == u.new)]
    out += list(added.values()) + list(dropped.values())
    return sorted(out, key=lambda u: (u.seen_at, list(UpdateKind).index(u.kind)))


def _fold_key(update: Update) -> tuple[UpdateKind, str]:
    # A zaak's entry holds the updates of its documents too: each document keeps its own.
    return (update.kind, update.item_id if update.kind in (UpdateKind.NEW_VERSION, UpdateKind.TITLE) else "")


def _meeting_updates(fields: dict[str, Change]) -> list[Update]:
    out: list[Update] = []
    move = fields.get("aanvangstijd") or fields.get("datum")
    status = fields.get("status")
    if move is not None and (move.old or move.new):
        kind = UpdateKind.MOVED if move.new else UpdateKind.AWAITING_DATE
        out.append(Update(kind, move.item_id, move.seen_at, move.old, move.new))
    elif "eindtijd" in fields and fields["eindtijd"].new:
        change = fields["eindtijd"]
        out.append(Update(UpdateKind.END_TIME, change.item_id, change.seen_at, change.old, change.new))
    if status is not None:
        new, old = MeetingStatus.parse(status.new), MeetingStatus.parse(status.old)
        if new is MeetingStatus.GEANNULEERD:
            out.append(Update(UpdateKind.CANCELLED, status.item_id, status.seen_at, status.old, status.new))
        elif new is MeetingStatus.VERVALLEN:
            out.append(Update(UpdateKind.LAPSED, status.item_id, status.seen_at, status.old, status.new))
        elif new is MeetingStatus.VERPLAATST and move is None:
            out.append(Update(UpdateKind.AWAITING_DATE, status.item_id, status.seen_at, None, None))
        elif new is MeetingStatus.GEPLAND and (old.cancelled or old is MeetingStatus.VERPLAATST):
            out.append(Update(UpdateKind.REPLANNED, status.item_id, status.seen_at, status.old, status.new))
    if "agenda" in fields:
        change = fields["agenda"]
        old_points, new_points = json_list(change.old), json_list(change.new)
        out += [Update(UpdateKind.AGENDA_ADDED, change.item_id, change.seen_at, None, p) for p in new_points if p not in old_points]
        out += [Update(UpdateKind.AGENDA_DROPPED, change.item_id, change.seen_at, p, None) for p in old_points if p not in new_points]
    for name, kind in (("locatie", UpdateKind.LOCATION), ("onderwerp", UpdateKind.SUBJECT), ("noot", UpdateKind.NOTE)):
        change = fields.get(name)
        if change is not None and change.new:
            out.append(Update(kind, change.item_id, change.seen_at, change.old, change.new))
    if "verwijderd" in fields:
        out.append(_removal(fields["verwijderd"]))
    return out


def _zaak_updates(fields: dict[str, Change]) -> list[Update]:
    out: list[Update] = []
    change = fields.get("kabinetsappreciatie")
    if change is not None and change.new:
        out.append(Update(UpdateKind.APPRECIATIE, change.item_id, change.seen_at, change.old, change.new))
    change = fields.get("uitslag")
    if change is not None and change.new:
        out.append(Update(UpdateKind.OUTCOME, change.item_id, change.seen_at, change.old, change.new))
    if "verwijderd" in fields:
        out.append(_removal(fields["verwijderd"]))
    return out


def _document_updates(fields: dict[str, Change]) -> list[Update]:
    out: list[Update] = []
    change = fields.get("versie_id")
    if change is not None and change.old and change.new:
        out.append(Update(UpdateKind.NEW_VERSION, change.item_id, change.seen_at, change.old, change.new))
    change = fields.get("title")
    if change is not None and change.old and change.new:
        out.append(Update(UpdateKind.TITLE, change.item_id, change.seen_at, change.old, change.new))
    if "verwijderd" in fields:
        out.append(_removal(fields["verwijderd"]))
    return out


def _toezegging_updates(fields: dict[str, Change]) -> list[Update]:
    out: list[Update] = []
    change = fields.get("status")
    if change is not None and change.old and change.new:
        out.append(Update(UpdateKind.PROMISE_STATUS, change.item_id, change.seen_at, change.old, change.new))
    change = fields.get("datum_nakoming")
    if change is not None and change.new:
        out.append(Update(UpdateKind.PROMISE_DATE, change.item_id, change.seen_at, change.old, change.new))
    if "verwijderd" in fields:
        out.append(_removal(fields["verwijderd"]))
    return out


def _removal(change: Change) -> Update:
    kind = UpdateKind.REMOVED if change.new == "ja" else UpdateKind.RETURNED
    return Update(kind, change.item_id, change.seen_at, change.old, change.new)


def _start(meeting: Meeting) -> str | None:
    from .timeutil import iso

    if meeting.status is MeetingStatus.VERPLAATST and meeting.start is None and meeting.day is None:
        return None
    return iso(meeting.start) if meeting.start else (meeting.day.isoformat() if meeting.day else None)
