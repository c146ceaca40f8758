"""The briefing as JSON: the stable interface for other tools (`monitor run --format json`).

The shape is versioned (`version`) and described by a JSON Schema shipped with the package
(`monitor/render/report.schema.json`, also printed by `monitor run --json-schema`); the tests
validate every output against it. Dates are ISO 8601 (Europe/Amsterdam); next to every coded
value stands the Dutch text the other outputs show (`label`, `text`, `status_label`), so a
consumer words things exactly as the digest does.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from .. import wording
from ..briefing import Action, Briefing, KamerEntry, MeetingEntry, PressEntry, Reason, SourceStatus
from ..models import Document, DocumentRef, Meeting, Moment, Question, Update, Woordvoerder, Zaak
from ..timeutil import iso
from .layout import safe_url

VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def schema() -> dict[str, Any]:
    """The JSON Schema every `to_json` output satisfies."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def to_json(briefing: Briefing) -> dict[str, Any]:
    """The briefing as a JSON-ready dict."""
    scope = briefing.scope
    titles = dict(briefing.dossiers)
    return {
        "version": VERSION,
        "generated_at": iso(briefing.as_of),
        "window": {
            "from": scope.agenda_from.isoformat(),
            "to": scope.agenda_to.isoformat(),
            "news_from": _day(scope.news_from),
            "news_to": _day(scope.news_to),
        },
        "dossiers": [{"id": d, "title": t} for d, t in briefing.dossiers],
        "problems": [_problem(s) for s in briefing.problems],
        "actions": [_action(a) for a in briefing.actions],
        "closed": [_action(a) for a in briefing.closed],
        "moments": [_moment(m) for m in briefing.moments],
        "agenda": [_meeting(e) for e in briefing.agenda],
        "changed": [_meeting(e) if isinstance(e, MeetingEntry) else _kamer(e) for e in briefing.changed],
        "news": [
            {"dossier": n.id, "title": titles.get(n.id, n.id), "kamer": [_kamer(e) for e in n.kamer], "press": [_press(e) for e in n.press]}
            for n in briefing.news
        ],
        "sources": [_source(s) for s in briefing.sources],
    }


def dumps(briefing: Briefing) -> str:
    """`to_json` as indented text."""
    return json.dumps(to_json(briefing), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------- parts


def _action(action: Action) -> dict[str, Any]:
    return {
        "meeting": _meeting(action.entry),
        "deadline": _day(action.deadline),
        "moments": [_moment(m) for m in action.moments],
        "woordvoerders": [_woordvoerder(w) for w in action.woordvoerders],
        "votes": [{**_kamer(v), "standing": wording.vote_at(v.zaak, action.entry.meeting.day)} for v in action.votes if v.zaak],
    }


def _moment(moment: Moment) -> dict[str, Any]:
    return {
        "id": moment.id,
        "kind": moment.kind.value,
        "label": wording.moment_label(moment.kind),
        "dossiers": list(moment.dossiers),
        "deadline": _day(moment.deadline),
        "status": moment.status.value,
        "status_label": wording.status_label(moment.status),
        "when": wording.deadline_phrase(moment),
        "moved": moment.moved,
        "title": moment.meeting.onderwerp,
        "meeting": moment.meeting.item_id,
        "event_at": _time(moment.meeting),
        "triggers": list(moment.triggers),
        "woordvoerders": [_woordvoerder(w) for w in moment.woordvoerders],
        "work": _work(moment),
    }


def _work(moment: Moment) -> dict[str, Any] | None:
    """The team's work on a moment (the werkplek): trekker, afgehandeld by whom and when, note."""
    work = moment.work
    if work is None:
        return None
    return {"owner": work.owner, "done": work.done, "done_by": work.done_by, "done_at": work.done_at, "note": work.note,
            "note_by": work.note_by, "note_at": work.note_at, "state_label": wording.moment_state(moment)}


def _meeting(entry: MeetingEntry) -> dict[str, Any]:
    meeting = entry.meeting
    commissie = meeting.commissie
    return {
        "type": "meeting",
        "key": entry.key,
        "id": meeting.id,
        "item_id": meeting.item_id,
        "nummer": meeting.nummer,
        "soort": meeting.soort,
        "onderwerp": meeting.onderwerp,
        "name": wording.meeting_name(meeting),
        "where": wording.meeting_where(meeting) or None,
        "plenary": meeting.plenary,
        "commissie": {"id": commissie.id, "afkorting": commissie.afkorting, "naam": commissie.naam} if commissie else None,
        "start": _time(meeting),
        "end": iso(meeting.end) if meeting.end else None,
        "date": _day(meeting.day),
        "status": meeting.status.value,
        "status_label": wording.meeting_badge(meeting, entry.deleted),
        "deleted": entry.deleted,
        "locatie": meeting.locatie,
        "noot": meeting.noot,
        "url": meeting.url,
        "agenda": [
            {
                "onderwerp": point.onderwerp,
                "zaken": [{"id": z.id, "nummer": z.nummer, "soort": z.soort, "titel": z.titel, "onderwerp": z.onderwerp} for z in point.zaken],
                "documenten": [{"id": d.id, "documentnummer": d.documentnummer, "soort": d.soort, "titel": d.titel} for d in point.documenten],
            }
            for point in meeting.agenda
        ],
        "dossiers": list(entry.dossiers),
        "triggers": list(entry.triggers),
        "reasons": [_reason(r) for r in entry.reasons],
        "updates": [_update(u) for u in entry.updates],
        "new": entry.new,
        "revision": entry.revision,
    }


def _kamer(entry: KamerEntry) -> dict[str, Any]:
    zaak, document, promise = entry.zaak, entry.document, entry.toezegging
    base: dict[str, Any] = {
        "type": "toezegging" if promise else "zaak" if zaak else "document",
        "key": entry.key,
        "group": entry.group,
        "url": entry.url,
        "published": _day(entry.published),
        "first_seen": entry.first_seen or None,
        "new": entry.new,
        "dossiers": list(entry.dossiers),
        "reasons": [_reason(r) for r in entry.reasons],
        "updates": [_update(u) for u in entry.updates],
        "documents": [_document(d) for d in entry.shown_documents],
        "question": _question(zaak, entry.question) if zaak is not None and entry.question is not None else None,
        "toezegging": _promise(entry) if promise is not None else None,
    }
    if promise is not None:
        base.update(
            {
                "id": promise.id, "nummer": promise.nummer, "soort": "Toezegging", "title": promise.tekst, "kamerstuk": None,
                "indieners": [], "appreciatie": None, "uitslag": None, "besluiten": [], "votes": None, "result": None,
            }
        )
    elif zaak is not None:
        base.update(_zaak(zaak))
    else:
        assert document is not None
        base.update(
            {
                "id": document.id, "nummer": document.documentnummer, "soort": document.soort,
                "title": document.onderwerp or document.titel or document.documentnummer, "kamerstuk": document.kamerstuk,
                "indieners": [], "appreciatie": None, "uitslag": None, "besluiten": [], "votes": None, "result": None,
            }
        )
    return base


def _promise(entry: KamerEntry) -> dict[str, Any]:
    promise = entry.toezegging
    assert promise is not None
    today = entry.as_of_day or date.today()
    return {
        "status": promise.status.value, "deadline": _day(promise.deadline), "overdue": promise.overdue(today),
        "state": wording.promise_state(promise, today), "bewindspersoon": promise.bewindspersoon, "ministerie": promise.ministerie,
        "aan": list(promise.aan), "made_in": entry.made_in, "brieven": list(promise.brieven),
    }


def _question(zaak: Zaak, question: Question) -> dict[str, Any]:
    def document(ref: DocumentRef | None) -> dict[str, Any] | None:
        return None if ref is None else {"documentnummer": ref.documentnummer, "soort": ref.soort, "datum": _day(ref.datum), "url": safe_url(ref.url)}

    return {
        "state": question.state.value, "due": _day(question.due), "text": wording.question_line(zaak, question),
        "gericht_aan": list(zaak.gericht_aan), "answer": document(question.answer), "delay": document(question.delay),
    }


def _zaak(zaak: Zaak) -> dict[str, Any]:
    votes = zaak.votes
    return {
        "id": zaak.id,
        "nummer": zaak.nummer,
        "soort": zaak.soort,
        "title": wording.zaak_title(zaak),
        "kamerstuk": zaak.kamerstuk,
        "indieners": [{"naam": p.naam, "fractie": p.fractie, "persoon_id": p.persoon_id, "rol": p.rol} for p in zaak.indieners],
        "appreciatie": zaak.appreciatie,
        "uitslag": zaak.uitslag,
        "besluiten": [
            {
                "soort": b.soort, "tekst": b.tekst, "status": b.status, "datum": _day(b.datum),
                "votes": [{"fractie": v.fractie, "soort": v.soort, "zetels": v.zetels} for v in b.votes],
            }
            for b in zaak.besluiten
        ],
        "votes": {
            "voor": sum(v.zetels for v in votes if v.voor),
            "tegen": sum(v.zetels for v in votes if v.tegen),
            "fracties": [{"fractie": v.fractie, "soort": v.soort, "zetels": v.zetels} for v in votes],
        } if votes else None,
        "result": wording.vote_result(zaak),
    }


def _document(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "documentnummer": document.documentnummer,
        "soort": document.soort,
        "title": document.onderwerp or document.titel,
        "url": document.url,
        "date": _day(document.datum),
        "text": wording.new_document(document),
    }


def _press(entry: PressEntry) -> dict[str, Any]:
    item = entry.item
    return {
        "type": "artikel",
        "key": entry.key,
        "source": entry.source,
        "source_label": entry.source_label,
        "title": item.title,
        "url": item.url,
        "published_at": item.published_at,
        "first_seen": entry.first_seen or None,
        "dossiers": list(entry.dossiers),
        "reasons": [_reason(r) for r in entry.reasons],
    }


def _reason(reason: Reason) -> dict[str, Any]:
    return {"dossier": reason.dossier, "rule": reason.rule, "terms": list(reason.terms), "snippet": reason.snippet, "via": reason.via}


def _update(update: Update) -> dict[str, Any]:
    about = update.about.documentnummer if update.about else None
    return {"kind": update.kind.name.lower(), "old": update.old, "new": update.new, "seen_at": update.seen_at, "document": about, "text": wording.update_phrase(update)}


def _woordvoerder(person: Woordvoerder) -> dict[str, Any]:
    return {"naam": person.naam, "fractie": person.fractie, "reden": person.reden, "persoon_id": person.persoon_id, "text": wording.woordvoerder(person)}


def _source(status: SourceStatus) -> dict[str, Any]:
    health = status.health
    return {
        "id": status.id,
        "kind": status.kind,
        "label": status.label,
        "state": status.state.value,
        "ok": not status.state.problem,
        "message": wording.source_status(status.state, health),
        "last_attempt": health.last_attempt,
        "last_success": health.last_success,
        "last_error": health.last_error,
        "consecutive_failures": health.consecutive_failures,
        "new": health.new,
        "changed": health.changed,
    }


def _problem(status: SourceStatus) -> dict[str, Any]:
    return {"source": status.id, "label": status.label, "state": status.state.value, "message": wording.source_status(status.state, status.health)}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _time(meeting: Meeting) -> str | None:
    if meeting.start is not None:
        return iso(meeting.start)
    return meeting.day.isoformat() if meeting.day else None
