"""Every Dutch phrase a user reads: one place, so every output says a thing the same way.

The report, the digest, the calendar, the JSON labels and (later) the werkplek all word things
through these functions. They take typed values (a `Moment`, a `Meeting`, an `Update`, a `Zaak`)
and return plain text; escaping for HTML or Markdown is the renderer's job. No field names, JSON
or ISO timestamps leave this module: dates are written as PA staff write them ('do 3 dec 13:00').
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .models import (
    Commissie,
    Document,
    Meeting,
    MeetingStatus,
    Moment,
    MomentKind,
    MomentStatus,
    Person,
    Question,
    QuestionState,
    Toezegging,
    ToezeggingStatus,
    SourceHealth,
    SourceState,
    Update,
    UpdateKind,
    Vote,
    Woordvoerder,
    Zaak,
)
from .timeutil import format_nl

# ---------------------------------------------------------------------------- headings

TITLE_REPORT = "Lobbyrapport"
TITLE_DIGEST = "Lobbymonitor"
SECTION_PROBLEMS = "Let op"
SECTION_ACTIONS = "Actie nodig"
SECTION_CLOSED = "Vervallen of voorbij"
SECTION_CHANGED = "Gewijzigd"
SECTION_AGENDA = "Agenda"
SECTION_AGENDA_AHEAD = "Agenda komende weken"
SECTION_KAMER = "Nieuw in de Kamer"
SECTION_PRESS = "In de media"
SECTION_SOURCES = "Bronnen"

NO_ACTIONS = "Geen acties met een deadline in deze periode."
NO_AGENDA = "Geen vergaderingen over uw dossiers in deze periode."
NO_NEWS = "Niets nieuws."
NO_NEWS_CHECK_SOURCES = "Niets nieuws gevonden, maar niet alle bronnen werkten: er kan nieuws ontbreken."
NO_SOURCES = "Geen bronnen ingesteld."
ALL_SOURCES_OK = "Alle bronnen zijn actueel."
NOTHING_NEW_DIGEST = "Niets nieuws sinds de vorige digest."
STALE_NOTE = "Zolang een bron stoort, kan er nieuws ontbreken."

LABEL_WOORDVOERDERS = "Woordvoerders"
LABEL_NO_WOORDVOERDERS = "Woordvoerders: nog niet bekend"
LABEL_AGENDA_POINT = "Agendapunt"
LABEL_MADE_IN = "toegezegd in"
LABEL_WHY = "Waarom"
LABEL_VOTES = "Ter stemming"
LABEL_NOTE = "Noot"


# ---------------------------------------------------------------------------- moments

MOMENT_LABELS: dict[MomentKind, str] = {
    MomentKind.BRIEF: "Woordvoerders briefen",
    MomentKind.INBRENG: "Vragen aanleveren voor de inbreng",
    MomentKind.AGENDERING: "Agendering vragen",
    MomentKind.POSITIONPAPER: "Position paper insturen",
    MomentKind.MOTIE: "Motietekst voorstellen",
    MomentKind.STEMMING: "Fracties benaderen voor de stemming",
}

STATUS_LABELS: dict[MomentStatus, str] = {
    MomentStatus.GEPLAND: "gepland",
    MomentStatus.VERPLAATST: "verplaatst",
    MomentStatus.GEANNULEERD: "geannuleerd",
    MomentStatus.TE_LAAT: "te laat",
    MomentStatus.VOORBIJ: "voorbij",
}


CANCELLED_PREFIX = "GEANNULEERD: "  # before the title of a calendar event that no longer happens


def moment_label(kind: MomentKind | str) -> str:
    """'Woordvoerders briefen': the action, the same in every output."""
    return MOMENT_LABELS[MomentKind(kind)]


def status_label(status: MomentStatus | str) -> str:
    """'te laat', 'verplaatst', ..."""
    return STATUS_LABELS[MomentStatus(status)]


def deadline_phrase(moment: Moment) -> str:
    """When to act: 'uiterlijk do 3 dec', 'TE LAAT — de deadline was do 3 dec; nu alsnog', 'afgehandeld door …', ..."""
    if moment.handled and moment.status is not MomentStatus.GEANNULEERD:
        return handled_phrase(moment.work.done_by, moment.work.done_at)
    if moment.status is MomentStatus.GEANNULEERD:
        return "GEANNULEERD — geen actie meer nodig"
    if moment.deadline is None:
        return "VERPLAATST — nieuwe datum nog niet bekend"
    deadline = day(moment.deadline)
    if moment.status is MomentStatus.TE_LAAT:
        return f"TE LAAT — de deadline was {deadline}; nu alsnog"
    if moment.status is MomentStatus.VOORBIJ:
        return f"voorbij (de deadline was {deadline})"
    return f"uiterlijk {deadline}"


HANDLED = "afgehandeld"


def handled_phrase(by: str | None, at: str | date | datetime | None) -> str:
    """'afgehandeld door marieke op do 3 dec 14:05': the team did it (instead of TE LAAT)."""
    return f"{HANDLED} door {by or 'onbekend'} op {moment_text(at)}"


def moment_state(moment: Moment) -> str:
    """A moment's state for a status line: 'afgehandeld' once the team did it, else its status ('te laat', ...)."""
    if moment.handled and moment.status is not MomentStatus.GEANNULEERD:
        return HANDLED
    return status_label(moment.status)


def owner_phrase(owner: str) -> str:
    """'trekker: marieke': who in the team takes this action."""
    return f"trekker: {owner}"


def work_note(note: str, by: str | None, at: str | None) -> str:
    """'notitie (marieke, do 3 dec 14:05): Brief gestuurd aan GL-PvdA en CDA'."""
    who = ", ".join(p for p in (by or "", moment_text(at) if at else "") if p)
    return f"notitie ({who}): {note}" if who else f"notitie: {note}"


def action_line(moment: Moment) -> str:
    """'Woordvoerders briefen — uiterlijk do 3 dec'."""
    return f"{moment_label(moment.kind)} — {deadline_phrase(moment)}"


def deadline_summary(moment: Moment, cancelled: bool = False) -> str:
    """For a calendar event of the deadline: 'Deadline: Woordvoerders briefen — Jeugdbeleid' ('GEANNULEERD: …' when it lapsed)."""
    text = f"Deadline: {moment_label(moment.kind)} — {meeting_name(moment.meeting)}"
    return f"{CANCELLED_PREFIX}{text}" if cancelled else text


# ---------------------------------------------------------------------------- meetings


def meeting_name(meeting: Meeting) -> str:
    """'Commissiedebat Jeugdbeleid'; 'Procedurevergadering VWS' (the onderwerp says it already)."""
    soort, onderwerp = meeting.soort, meeting.onderwerp
    first = onderwerp.split()[0].lower() if onderwerp.split() else ""
    if onderwerp.lower().startswith(soort.lower()) or (len(first) >= 6 and first in soort.lower()):
        return onderwerp
    if soort.lower().startswith("plenair debat") and "debat" in onderwerp.lower():
        return onderwerp  # 'Plenair debat (tweeminutendebat)' + 'Tweeminutendebat Jeugd'
    return f"{soort} {onderwerp}".strip()


def meeting_where(meeting: Meeting) -> str:
    """'commissie VWS', 'plenaire vergadering', or '' when the Kamer did not say."""
    if meeting.plenary:
        return "plenaire vergadering"
    return commissie(meeting.commissie)


def commissie(value: Commissie | None) -> str:
    """'commissie VWS' ('' when unknown)."""
    return f"commissie {value.short}" if value is not None and value.short else ""


def meeting_when(meeting: Meeting, with_year: bool = True) -> str:
    """'do 17 dec 2026 13:00', or the day alone, or 'datum nog niet bekend'."""
    if meeting.start is not None:
        return format_nl(meeting.start, with_year=with_year)
    if meeting.day is not None:
        return format_nl(meeting.day, with_year=with_year)
    return "datum nog niet bekend"


def meeting_line(meeting: Meeting, with_year: bool = True) -> str:
    """'Commissiedebat Jeugdbeleid · commissie VWS · do 17 dec 2026 13:00'."""
    parts = [meeting_name(meeting), meeting_where(meeting), meeting_when(meeting, with_year)]
    return " · ".join(p for p in parts if p)


def meeting_badge(meeting: Meeting, deleted: bool = False) -> str | None:
    """A short status word for an agenda row: 'geannuleerd', 'vervallen', 'verplaatst, datum volgt'."""
    if deleted:
        return "van de agenda"
    if meeting.status is MeetingStatus.GEANNULEERD:
        return "geannuleerd"
    if meeting.status is MeetingStatus.VERVALLEN:
        return "vervallen"
    if meeting.status is MeetingStatus.VERPLAATST:
        return "verplaatst, datum volgt"
    return None


def calendar_meeting_summary(meeting: Meeting, *, cancelled: bool, awaiting: bool) -> str:
    """A meeting's calendar title: 'Commissiedebat Jeugdbeleid', 'GEANNULEERD: …', 'VERPLAATST (nieuwe datum volgt): …'."""
    name = meeting_name(meeting)
    if cancelled:
        return f"{CANCELLED_PREFIX}{name}"
    if awaiting:
        return f"VERPLAATST (nieuwe datum volgt): {name}"
    return name


def noot(meeting: Meeting) -> str | None:
    """The Kamer's note on a meeting ('HERZIENE CONVOCATIE; ...'), as one line."""
    return f"{LABEL_NOTE}: {meeting.noot}" if meeting.noot else None


# ---------------------------------------------------------------------------- updates


def update_phrase(update: Update) -> str:
    """One change as news: 'verplaatst van do 10 dec 10:00 naar do 17 dec 13:00'."""
    kind = update.kind
    if kind is UpdateKind.MOVED:
        return f"verplaatst van {moment_text(update.old)} naar {moment_text(update.new)}"
    if kind is UpdateKind.AWAITING_DATE:
        return f"verplaatst van {moment_text(update.old)}; nieuwe datum nog niet bekend" if update.old else "verplaatst; nieuwe datum nog niet bekend"
    if kind is UpdateKind.CANCELLED:
        return "geannuleerd"
    if kind is UpdateKind.LAPSED:
        return "vervallen"
    if kind is UpdateKind.REPLANNED:
        return "weer ingepland"
    if kind is UpdateKind.REMOVED:
        return "door de Kamer verwijderd"
    if kind is UpdateKind.RETURNED:
        return "weer gepubliceerd door de Kamer"
    if kind is UpdateKind.AGENDA_ADDED:
        return f"nieuw agendapunt: {update.new}"
    if kind is UpdateKind.AGENDA_DROPPED:
        return f"agendapunt vervallen: {update.old}"
    if kind is UpdateKind.END_TIME:
        return f"eindtijd nu {moment_text(update.new)}"
    if kind is UpdateKind.LOCATION:
        return f"andere locatie: {update.new}"
    if kind is UpdateKind.SUBJECT:
        return f"onderwerp gewijzigd in ‘{update.new}’"
    if kind is UpdateKind.NOTE:
        return f"nieuwe noot: {update.new}"
    if kind is UpdateKind.APPRECIATIE:
        return f"kabinetsappreciatie gewijzigd van ‘{update.old}’ in ‘{update.new}’" if update.old else f"kabinetsappreciatie: {update.new}"
    if kind is UpdateKind.OUTCOME:
        return f"uitslag: {update.new}"
    if kind is UpdateKind.NEW_VERSION:
        return f"herziene versie van {document_label(update.about)}" if update.about else "herziene versie gepubliceerd"
    if kind is UpdateKind.PROMISE_STATUS:
        return f"toezegging {update.new.lower()}" if update.new else "status van de toezegging gewijzigd"
    if kind is UpdateKind.PROMISE_DATE:
        return f"nieuwe datum van nakoming: {day(update.new, with_year=True)}" + (f" (was {day(update.old, with_year=True)})" if update.old else "")
    if kind is UpdateKind.TITLE:
        return f"titel van {document_label(update.about)} gewijzigd in ‘{update.new}’" if update.about else f"titel gewijzigd in ‘{update.new}’"
    return kind.value


def moment_text(value: str | date | datetime | None) -> str:
    """A stored date or time as Dutch text: 'do 3 dec 13:00' ('datum onbekend' when empty)."""
    if value is None or value == "":
        return "datum onbekend"
    try:
        return format_nl(value)
    except ValueError:
        return "datum onbekend"


def day(value: date | str | None, with_year: bool = False) -> str:
    """'do 3 dec' ('datum onbekend' when empty)."""
    if value is None or value == "":
        return "datum onbekend"
    return format_nl(value, with_time=False, with_year=with_year)


# ---------------------------------------------------------------------------- people


def person(value: Person | Woordvoerder) -> str:
    """'A.B. Jansen (GL-PvdA)'."""
    return f"{value.naam} ({value.fractie})" if value.fractie else value.naam


def woordvoerder(value: Woordvoerder) -> str:
    """'A.B. Jansen (GL-PvdA) — 1 motie over jeugdzorg, lid commissie VWS'."""
    return f"{person(value)} — {value.reden}" if value.reden else person(value)


def indieners(zaak: Zaak) -> str | None:
    """'ingediend door A.B. Jansen (GL-PvdA), mede-indiener M. Bakker (SP)'."""
    first = [person(p) for p in zaak.indieners if p.indiener]
    others = [person(p) for p in zaak.indieners if not p.indiener]
    if not first and not others:
        return None
    text = f"ingediend door {_join(first)}" if first else ""
    if others:
        text += (", " if text else "") + ("mede-indiener " if len(others) == 1 else "mede-indieners ") + _join(others)
    return text


# ---------------------------------------------------------------------------- zaken


def zaak_group(soort: str | None) -> str:
    """The heading a zaak or document goes under: Brieven, Moties, Amendementen, ..."""
    s = (soort or "").lower()
    if "motie" in s:
        return "Moties"
    if "amendement" in s:
        return "Amendementen"
    if "wet" in s or "voorstel van wet" in s:
        return "Wetsvoorstellen"
    if "brief" in s:
        return "Brieven"
    if "vragen" in s or "antwoord" in s:
        return "Kamervragen"
    if s == "toezegging":
        return GROUP_PROMISES
    return "Overige Kamerstukken"


GROUP_PROMISES = "Toezeggingen"
ZAAK_GROUPS = ("Brieven", "Moties", "Amendementen", "Wetsvoorstellen", "Kamervragen", GROUP_PROMISES, "Overige Kamerstukken")


def zaak_title(zaak: Zaak) -> str:
    """What the reader recognises a zaak by: its onderwerp ('Motie van het lid Jansen over …')."""
    return zaak.onderwerp or zaak.titel or zaak.nummer or zaak.soort


def zaak_meta(zaak: Zaak) -> str:
    """'Motie · Kamerstuk 31839 · 2026Z19010'."""
    parts = [zaak.soort, f"Kamerstuk {zaak.kamerstuk}" if zaak.kamerstuk else "", zaak.nummer or ""]
    return " · ".join(p for p in parts if p)


def document_meta(document: Document) -> str:
    """'Brief regering · Kamerstuk 31839 · 2026D42000'."""
    parts = [document.soort or "", f"Kamerstuk {document.kamerstuk}" if document.kamerstuk else "", document.documentnummer or ""]
    return " · ".join(p for p in parts if p)


def document_label(document: Document) -> str:
    """'Brief regering 2026D42900' (the soort and number a reader can look up)."""
    return " ".join(p for p in (document.soort or "document", document.documentnummer or "") if p)


def new_document(document: Document) -> str:
    """'nieuw document: Motie (gewijzigd) 2026D51001 — Gewijzigde motie van …'."""
    return f"nieuw document: {document_label(document)}" + (f" — {document.onderwerp}" if document.onderwerp else "")


def promise_meta(promise: Toezegging, made_in: str | None) -> str:
    """'Toezegging TZ202612-014 · P. Jansen (staatssecretaris van VWS) · in CD Jeugdbeleid (do 17 dec)'."""
    parts = [f"Toezegging {promise.nummer}" if promise.nummer else "Toezegging", promise.bewindspersoon or promise.ministerie or ""]
    if made_in:
        parts.append(f"in {made_in}")
    return " · ".join(p for p in parts if p)


def promise_summary(promise: Toezegging) -> str:
    """The calendar's title for a toezegging falling due: 'Toezegging TZ202612-014: brief over wachttijden …'."""
    head = f"Toezegging {promise.nummer}" if promise.nummer else "Toezegging"
    text = promise.tekst if len(promise.tekst) <= 90 else promise.tekst[:89].rstrip() + "…"
    return f"{head}: {text}"


def promise_to(promise: Toezegging) -> str | None:
    """'toegezegd aan A.B. Jansen, GL-PvdA'."""
    return f"toegezegd aan {_join(promise.aan)}" if promise.aan else None


def promise_state(promise: Toezegging, today: date) -> str:
    """Where the promise stands: due when, late since when, kept with which letter, or lapsed."""
    letters = f" met {'brief' if len(promise.brieven) == 1 else 'brieven'} {', '.join(promise.brieven)}" if promise.brieven else ""
    if promise.status is ToezeggingStatus.VOLDAAN:
        return f"voldaan{letters}"
    if promise.status is ToezeggingStatus.VERVALLEN:
        return "vervallen"
    partly = "deels voldaan" + letters + "; " if promise.status is ToezeggingStatus.DEELS_VOLDAAN else ""
    if promise.deadline is None:
        return f"{partly}nakoming: geen datum genoemd"
    if promise.deadline < today:
        return f"{partly}te laat: had uiterlijk {day(promise.deadline, with_year=True)} nagekomen moeten zijn"
    return f"{partly}nakoming uiterlijk {day(promise.deadline, with_year=True)}"


def promise_badge(promise: Toezegging, today: date) -> str | None:
    """'te laat', 'voldaan', 'deels voldaan', 'vervallen', or None for an open promise on time."""
    if promise.overdue(today):
        return "te laat"
    if promise.status in (ToezeggingStatus.VOLDAAN, ToezeggingStatus.DEELS_VOLDAAN, ToezeggingStatus.VERVALLEN):
        return promise.status.value
    return None


def question_line(zaak: Zaak, question: Question) -> str:
    """'Kamervragen aan minister van VWS — beantwoord op do 10 dec', '… — antwoord uiterlijk ma 7 dec', …"""
    head = "Kamervragen" + (f" aan {_join(zaak.gericht_aan)}" if zaak.gericht_aan else "")
    if question.state is QuestionState.BEANTWOORD and question.answer is not None:
        when = f" op {day(question.answer.datum)}" if question.answer.datum else ""
        number = f" ({question.answer.documentnummer})" if question.answer.documentnummer else ""
        return f"{head} — beantwoord{when}{number}"
    if question.state is QuestionState.UITSTEL and question.delay is not None:
        when = f" op {day(question.delay.datum)}" if question.delay.datum else ""
        return f"{head} — uitstel van antwoord gemeld{when}"
    if question.state is QuestionState.TE_LAAT:
        return f"{head} — te laat: geen antwoord of uitstel, de termijn liep af op {day(question.due)}"
    return f"{head} — antwoord uiterlijk {day(question.due)}" if question.due else f"{head} — nog niet beantwoord"


def question_badge(question: Question) -> str | None:
    """The badge of Kamervragen that are not simply open: 'beantwoord', 'uitstel', 'te laat'."""
    return None if question.state is QuestionState.OPEN else question.state.value


def appreciatie(zaak: Zaak) -> str | None:
    """'kabinetsappreciatie: Ontraden'."""
    return f"kabinetsappreciatie: {zaak.appreciatie}" if zaak.appreciatie else None


def vote_result(zaak: Zaak) -> str | None:
    """'aangenomen — voor 59: GL-PvdA (25), SP (5), CDA (20), D66 (9); tegen 24: VVD (24)'."""
    if not zaak.uitslag and not zaak.votes:
        return None
    text = zaak.uitslag or "gestemd"
    votes = zaak.votes
    if votes:
        voor = [v for v in votes if v.voor]
        tegen = [v for v in votes if v.tegen]
        text += f" — voor {sum(v.zetels for v in voor)}: {_fracties(voor)}; tegen {sum(v.zetels for v in tegen)}: {_fracties(tegen)}"
    return text


def _fracties(votes: list[Vote]) -> str:
    # Largest fractie first: how a reader weighs a vote.
    ranked = sorted(votes, key=lambda v: (-v.zetels, v.fractie))
    return ", ".join(f"{v.fractie} ({v.zetels})" for v in ranked) or "geen"


def vote_pending() -> str:
    """For a motie on the stemmingen agenda that has not been voted on yet."""
    return "nog niet gestemd"


def vote_at(zaak: Zaak, meeting_day: date | None) -> str:
    """A motie's standing at a Stemmingen on `meeting_day`: its result there, or 'nog niet gestemd (eerder aangehouden, di 17 nov)'."""
    if zaak.decided_before(meeting_day):
        earlier = zaak.uitslag or "besproken"
        when = zaak.last_decision.datum if zaak.last_decision else None
        return f"{vote_pending()} (eerder {earlier}, {day(when)})"
    return vote_result(zaak) or vote_pending()


# ---------------------------------------------------------------------------- reasons and sources


def reason(dossier_title: str, rule: str | None, terms: list[str]) -> str:
    """'Jeugdzorg en jeugdhulp · regel kern · termen: jeugdzorg, jeugdhulp'."""
    parts = [dossier_title]
    if rule:
        parts.append(f"regel {rule}")
    if terms:
        parts.append("termen: " + ", ".join(terms))
    return " · ".join(parts)


def reasons(dossier_title: str, rules: list[tuple[str | None, list[str]]]) -> str:
    """One dossier's matching rules in one phrase: 'Wmo · regels kern (Wmo), thuis ("huishoudelijke hulp")'."""
    if len(rules) == 1:
        return reason(dossier_title, *rules[0])
    named = [f"{rule} ({', '.join(terms)})" if terms else str(rule) for rule, terms in rules]
    return f"{dossier_title} · regels {', '.join(named)}"


def source_name(source_id: str, label: str | None) -> str:
    """'tk (Tweede Kamer)': the id, which sources.yaml and `monitor sources` use, with its label."""
    return f"{source_id} ({label})" if label and label != source_id else source_id


def source_status(state: SourceState, health: SourceHealth) -> str:
    """One line about a source: 'werkt; laatst opgehaald ma 23 nov 08:00', 'faalt 3× op rij sinds …: …'."""
    if state is SourceState.OK:
        return f"werkt; {health.new} nieuw, {health.changed} gewijzigd; laatst opgehaald {format_nl(health.last_success)}" if health.last_success else "werkt"
    if state is SourceState.DISABLED:
        return "uitgeschakeld in sources.yaml"
    if state is SourceState.NEVER_FETCHED:
        return "nog nooit opgehaald"
    if state is SourceState.STALE:
        return f"verouderd: laatst gelukt {format_nl(health.last_success)}; draait de planner (monitor schedule of cron) nog?"
    problem = error_text(health.last_error)
    times = f"{health.consecutive_failures}× op rij" if health.consecutive_failures > 1 else "bij de laatste poging"
    if state is SourceState.NEVER_SUCCEEDED:
        return f"nog nooit gelukt ({times} mislukt): {problem}"
    return f"faalt {times}, laatst gelukt {format_nl(health.last_success)}: {problem}"


def problems_banner(names: list[str]) -> str:
    """The warning at the top: 'Let op: 2 bronnen werken niet (tk, skipr); er kan nieuws ontbreken.'"""
    if len(names) == 1:
        return f"{SECTION_PROBLEMS}: bron {names[0]} werkt niet zoals het hoort; er kan nieuws ontbreken. Zie {SECTION_SOURCES} onderaan."
    return f"{SECTION_PROBLEMS}: {len(names)} bronnen werken niet zoals het hoort ({', '.join(names)}); er kan nieuws ontbreken. Zie {SECTION_SOURCES} onderaan."


def all_sources_failed() -> str:
    """When no source could be fetched at all."""
    return f"{SECTION_PROBLEMS}: geen enkele bron kon worden opgehaald. Dit overzicht toont alleen wat eerder is opgeslagen."


_HTTP = {
    400: "het verzoek werd geweigerd",
    401: "geen toegang (inloggen vereist)",
    403: "geen toegang",
    404: "het adres bestaat niet (meer)",
    410: "het adres bestaat niet meer",
    429: "te veel verzoeken; de server vraagt om te wachten",
    500: "fout bij de server",
    502: "de server is tijdelijk onbereikbaar",
    503: "de server is tijdelijk niet beschikbaar",
    504: "de server antwoordde niet op tijd",
}


def error_text(error: str | None) -> str:
    """A source's error (the English of the fetch code) in Dutch, without addresses or internals.

    `monitor sources` shows the original with the address; the reader of a digest only needs to
    know what kind of trouble it is.
    """
    if not error:
        return "onbekende fout"
    parts = []
    for part in _split_errors(error):
        parts.append(_one_error(part))
    unique = list(dict.fromkeys(parts))
    return "; ".join(unique)


def _split_errors(error: str) -> list[str]:
    # The Kamer source joins per-category problems with '; ' ('Zaak, Document: HTTP 500 …').
    if error.startswith("cannot reach the Kamer"):
        return [error]
    return [p for p in error.split("; ") if p.strip()]


def _one_error(text: str) -> str:
    prefix = ""
    found = re.match(r"^((?:[A-Z][A-Za-z]+(?:, )?)+|start-up search \([A-Za-z]+\)): (.*)$", text)
    if found and not text.startswith(("HTTP", "internal error")):
        what, text = found.group(1), found.group(2)
        prefix = "zoeken naar het startpunt: " if what.startswith("start-up") else f"onderdeel {what}: "
    if text.startswith("cannot reach the Kamer"):
        return "de Tweede Kamer is niet bereikbaar (geen verbinding); de volgende keer gaat het ophalen verder waar het stopte"
    status = re.search(r"HTTP (\d{3})", text)
    if status:
        code = int(status.group(1))
        words = _HTTP.get(code, "fout bij de server" if code >= 500 else "het verzoek werd geweigerd")
        return f"{prefix}{words} (HTTP {code})"
    rules: list[tuple[str, str]] = [
        (r"connection failed", "geen verbinding met de server"),
        (r"timed out after ([\d.]+)s", "de server antwoordde niet binnen {0} seconden"),
        (r"too slow: no complete answer within ([\d.]+)s", "de server is te traag: geen volledig antwoord binnen {0} seconden"),
        (r"too many redirects", "te veel doorverwijzingen"),
        (r"invalid URL", "ongeldig adres in sources.yaml"),
        (r"empty answer", "leeg antwoord"),
        (r"returned an HTML page", "geen feed maar een webpagina (verhuisd, of een cookie- of foutpagina?)"),
        (r"not a feed", "het adres geeft geen feed"),
        (r"invalid feed XML", "de feed is geen geldige XML"),
        (r"over the limit", "het antwoord is te groot (http.max_bytes)"),
        (r"malformed XML|not a SyncFeed page|DOCTYPE", "ongeldig antwoord van de Kamer"),
        (r"answered with an <Error>", "de Kamer gaf een foutmelding"),
        (r"no start point found", "geen startpunt gevonden in de Kamerdata"),
        (r"no entity in", "leeg antwoord van de Kamer"),
        (r"internal error", "interne fout in monitor (zie het logboek)"),
    ]
    for pattern, words in rules:
        hit = re.search(pattern, text)
        if hit:
            return prefix + words.format(*hit.groups())
    return prefix + "onverwachte fout (details: monitor sources)"


# ---------------------------------------------------------------------------- digest and report furniture


def digest_subject(when: datetime, actions: int, changes: int, news: int, problems: int) -> str:
    """'Lobbymonitor do 3 dec: 2 acties, 1 wijziging, 4 nieuw'."""
    parts = []
    if actions:
        parts.append(f"{actions} {'actie' if actions == 1 else 'acties'}")
    if changes:
        parts.append(f"{changes} {'wijziging' if changes == 1 else 'wijzigingen'}")
    if news:
        parts.append(f"{news} nieuw")
    if problems:
        parts.append("bronnen met storing" if problems > 1 else "bron met storing")
    return f"{TITLE_DIGEST} {format_nl(when, with_time=False)}: " + (", ".join(parts) if parts else "niets nieuws")


def digest_intro(recipient: str, dossier_titles: list[str]) -> str:
    """'Voor jeugd@gemeente.example · dossiers: Jeugdzorg, Wmo'."""
    return f"Voor {recipient} · dossiers: {', '.join(dossier_titles)}"


def digest_footer() -> str:
    return "Automatisch samengesteld door monitor. Elk bericht staat in één digest; wat daarna binnenkomt, staat in de volgende."


def unsubscribe_hint() -> str:
    return "Afmelden: beantwoord deze mail met ‘afmelden’."


PREHEADER_ACTIONS = 2  # how many actions the preview line names


def digest_preheader(first: list[Moment], actions: int, changes: int, news: int, problems: int) -> str:
    """The preview a mail client shows after the subject: what to do first, then what else there is.

    'Eerst: Woordvoerders briefen — uiterlijk do 26 nov (Commissiedebat Jeugdbeleid) · nog 2 acties · 1 wijziging · 4 nieuw'
    """
    parts = [f"{SECTION_PROBLEMS}: {'bronnen' if problems > 1 else 'bron'} met storing"] if problems else []
    shown = [f"{action_line(m)} ({meeting_name(m.meeting)})" for m in first[:PREHEADER_ACTIONS]]
    if shown:
        parts.append("Eerst: " + "; ".join(shown))
    if actions > len(shown):
        rest = actions - len(shown)
        parts.append(f"nog {rest} {'actie' if rest == 1 else 'acties'}")
    if changes:
        parts.append(f"{changes} {'wijziging' if changes == 1 else 'wijzigingen'}")
    if news:
        parts.append(f"{news} nieuw")
    return " · ".join(parts) if parts else NOTHING_NEW_DIGEST


SECTION_REST = "Vervolg in de bijlage"


def digest_rest_in_attachment(entries: int, sections: list[str], filename: str) -> str:
    """The last line of a digest too long for one mail (Gmail cuts off long mails)."""
    where = f" ({_join(sections)})" if sections else ""
    noun = "onderdeel" if entries == 1 else "onderdelen"
    return (
        f"Deze digest is te lang voor één e-mail. De rest — nog {entries} {noun}{where} — staat in de bijlage "
        f"{filename}: de volledige digest, te openen in uw browser."
    )


def digest_attachment_name(day: date) -> str:
    """'lobbymonitor-2026-11-24.html'."""
    return f"{TITLE_DIGEST.lower()}-{day.isoformat()}.html"


def report_header(generated: datetime, agenda_from: date, agenda_to: date, news_from: date, news_to: date) -> list[str]:
    """The two lines under the report's title."""
    return [
        f"Gemaakt {format_nl(generated, with_year=True)}",
        f"Agenda {format_nl(agenda_from, with_year=True)} t/m {format_nl(agenda_to, with_year=True)} · "
        f"nieuws {format_nl(news_from)} t/m {format_nl(news_to, with_year=True)}",
    ]


def new_badge() -> str:
    return "nieuw"


def more_points(count: int) -> str:
    return f"… en nog {count} agendapunten"


def spoke_on(seconds: int, debate: str, day_iso: str) -> str:
    """'sprak 10 min over dit dossier in CD Jeugdbeleid (10 dec)': woordvoerder evidence from a transcript."""
    minutes = max(1, round(seconds / 60)) if seconds else 0
    length = f"{minutes} min " if minutes else ""
    return f"sprak {length}over dit dossier in {debate} ({day(day_iso)})"


def woordvoerders_heading(title: str) -> str:
    return f"Woordvoerders {title} (afgelopen 12 maanden)"


def no_woordvoerders() -> str:
    return "Geen Kamerleden gevonden: nog geen moties, vragen of debatten over dit dossier in de opgeslagen Kamerdata."


def unknown_fractie() -> str:
    return "fractie onbekend"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def describe(value: Any) -> str:
    """Any stored value as reader text (used where a renderer would otherwise print a repr)."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return moment_text(value)
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------- webhooks and spoedmeldingen

SPOED_TITLE = "Spoedmelding"
SPOED_LABELS = {
    "verplaatst": "verplaatst",
    "geannuleerd": "geannuleerd",
    "stemmingslijst": "stemmingslijst gewijzigd",
    "deadline_vandaag": "deadline vandaag",
}


def webhook_dossiers(dossier_titles: list[str]) -> str:
    """'Dossiers: Jeugdzorg, Wmo' under a webhook digest's title."""
    return f"Dossiers: {', '.join(dossier_titles)}"


def webhook_more(count: int) -> str:
    """'… en nog 4' under a capped list."""
    return f"… en nog {count}"


def webhook_footer() -> str:
    return "Kort overzicht van de Lobbymonitor; de volledige digest staat in de mail en het rapport."


def spoed_sent(at: datetime | str) -> str:
    """'(spoedmelding verstuurd di 8 dec 14:05)': the digest's note that an alert already went out."""
    return f"(spoedmelding verstuurd {format_nl(at)})"


def spoed_subject(kind: str, meeting: Meeting) -> str:
    """'Spoedmelding: Procedurevergadering VWS geannuleerd (wo 2 dec)'."""
    when = format_nl(meeting.start or meeting.day, with_time=False) if (meeting.start or meeting.day) else "datum onbekend"
    return f"{SPOED_TITLE}: {meeting_name(meeting)} {SPOED_LABELS[kind]} ({when})"


def spoed_intro(kind: str) -> str:
    """The first line of a spoedmelding: why it comes now and not with the digest."""
    reasons = {
        "verplaatst": "Een vergadering binnen twee werkdagen is verplaatst.",
        "geannuleerd": "Een vergadering binnen twee werkdagen is geannuleerd.",
        "stemmingslijst": "De stemmingslijst van vandaag is gewijzigd.",
        "deadline_vandaag": "Een deadline valt door een wijziging vandaag.",
    }
    return f"{reasons[kind]} Dit bericht komt nu, niet pas met de volgende digest."


def spoed_footer() -> str:
    return "Spoedmelding van de Lobbymonitor: één bericht per wijziging; de volgende digest vermeldt dat het verstuurd is."


def spoed_dossiers(dossier_titles: list[str]) -> str:
    """'Dossier: Wmo' or 'Dossiers: Jeugdzorg, Wmo'."""
    return f"{'Dossier' if len(dossier_titles) == 1 else 'Dossiers'}: {', '.join(dossier_titles)}"


# ---------------------------------------------------------------------------- exports and the Atom feed

TITLE_MEMO = "Lobbymemo"
SECTION_MEETINGS_WEEK = "Vergaderingen"
SECTION_VOTES = "Stemmingen"
NO_MEETINGS_WEEK = "Geen vergaderingen over uw dossiers in deze week."
NO_VOTES = "Geen stemmingen over moties of amendementen op uw dossiers in deze week."
YES, NO = "ja", "nee"

# The sheets of `monitor export --format xlsx` (and the CSV of each): sheet and column headers.
SHEET_NAMES = {"momenten": "Momenten", "stemmingen": "Stemmingen", "vergaderingen": "Vergaderingen", "items": "Items"}
COLUMN_LABELS = {
    "deadline": "Deadline",
    "actie": "Actie",
    "wanneer": "Wanneer",
    "status": "Status",
    "vergadering": "Vergadering",
    "soort": "Soort",
    "waar": "Commissie",
    "begin": "Begin",
    "einde": "Einde",
    "datum": "Datum",
    "locatie": "Locatie",
    "dossiers": "Dossiers",
    "agendapunten": "Agendapunten",
    "woordvoerders": "Woordvoerders",
    "wijzigingen": "Wijzigingen",
    "nieuw": "Nieuw",
    "nummer": "Nummer",
    "titel": "Titel",
    "indieners": "Indieners",
    "appreciatie": "Kabinetsappreciatie",
    "stand": "Stand",
    "uitslag": "Uitslag",
    "voor": "Voor (zetels)",
    "tegen": "Tegen (zetels)",
    "groep": "Soort stuk",
    "bron": "Bron",
    "details": "Details",
    "waarom": "Waarom",
    "link": "Link",
    "kenmerk": "Kenmerk",
}
PRESS_GROUP = "Media"  # the 'Soort stuk' of a press article in the Items sheet


def memo_title(week: str | None, start: date, end: date) -> str:
    """'Lobbymemo week 50 (ma 7 t/m zo 13 dec 2026)', or with two dates for another window."""
    span = f"{format_nl(start, with_year=start.year != end.year)} t/m {format_nl(end, with_year=True)}"
    if week:
        number = int(week.upper().split("-W")[1])
        return f"{TITLE_MEMO} week {number} ({span})"
    return f"{TITLE_MEMO} {span}"


def memo_subtitle(generated: datetime, dossier_titles: list[str]) -> list[str]:
    """The lines under the memo's title: when it was made, and for which dossiers."""
    return [f"Gemaakt {format_nl(generated, with_year=True)}", f"Dossiers: {', '.join(dossier_titles)}"]


def meeting_state(meeting: Meeting, deleted: bool = False) -> str:
    """A meeting's state in one word for a table: 'gepland', 'geannuleerd', 'verplaatst, datum volgt', ..."""
    return meeting_badge(meeting, deleted) or meeting.status.value


def yes_no(value: bool) -> str:
    return YES if value else NO


def feed_title(dossier_title: str | None) -> str:
    """The Atom feed's title: 'Lobbymonitor — Jeugdzorg en jeugdhulp' or '… — alle dossiers'."""
    return f"{TITLE_DIGEST} — {dossier_title or 'alle dossiers'}"


def feed_subtitle() -> str:
    return "Acties met een deadline, gewijzigde vergaderingen en nieuwe Kamerstukken en media over uw dossiers."


KAMER_SOURCE = "Tweede Kamer"  # the 'Bron' of a Kamer item in the Items sheet


def feed_action_title(moment: Moment) -> str:
    """An action as a feed entry: 'Woordvoerders briefen — uiterlijk wo 2 dec: Commissiedebat Wmo-tarieven'."""
    return f"{action_line(moment)}: {meeting_name(moment.meeting)}"
