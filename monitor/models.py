"""The vocabulary every stage shares: items, matches, Kamer meetings and zaken, moments.

These are plain dataclasses on purpose: the database is the contract between the stages, and
these objects are what a row means once it is read back. Nothing here does I/O. The Kamer source
stores a meeting, zaak or document as an `Item` whose `data` holds the structured fields; the
typed views (`Meeting`, `Zaak`, `Document`) say what that shape is, in one place, and every later
stage reads `data` through them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from .timeutil import parse_instant

# Item kinds. Feeds produce articles; the Kamer source produces the other three.
KIND_ARTICLE = "artikel"
KIND_ACTIVITY = "activiteit"
KIND_ZAAK = "zaak"
KIND_DOCUMENT = "document"
KIND_TOEZEGGING = "toezegging"
ITEM_KINDS = (KIND_ARTICLE, KIND_ACTIVITY, KIND_ZAAK, KIND_DOCUMENT)

# The fields of an item whose change is news. `data` is compared key by key, so a moved
# meeting records `data.datum` and `data.aanvangstijd`, not one opaque "data changed".
TRACKED_FIELDS = ("title", "text", "url", "published_at", "event_at", "kind")

# Set on an Item the read side hands out (see `store.View`): it will not change, so values parsed
# from it may be kept on it.
READ_ONLY = "_read_only"


@dataclass
class Item:
    """One fetched thing: a press article, a Kamer activity, zaak or document.

    `text` is the plain text rules match against (HTML already stripped); `data` holds the
    structured fields of the source (for the Kamer: read it through `Meeting`, `Zaak` and
    `Document`); `raw` is the payload as fetched, kept so a parser fix can re-derive items later.
    """

    source: str
    external_id: str
    kind: str
    title: str
    text: str = ""
    url: str | None = None
    published_at: str | None = None  # ISO 8601 with offset, Europe/Amsterdam
    event_at: str | None = None  # when the meeting/deadline happens, for agenda items
    data: dict[str, Any] = field(default_factory=dict)
    raw: str = ""

    @property
    def id(self) -> str:
        """The storage key: `source:external_id`."""
        return f"{self.source}:{self.external_id}"

    def content_hash(self) -> str:
        """A hash of everything that counts as content (not `raw`, which may carry noise)."""
        payload = {name: getattr(self, name) for name in TRACKED_FIELDS}
        payload["data"] = self.data
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def fields(self) -> dict[str, str]:
        """The named text fields that rules can scope to (`titel:`, `tekst:`, `soort:`, `commissie:`)."""
        commissie = Commissie.parse(self.data.get("commissie"))
        return {
            "titel": self.title or "",
            "tekst": self.text or "",
            "soort": str(self.data.get("soort") or ""),
            "commissie": " ".join(v for v in (commissie.afkorting, commissie.naam) if v) if commissie else "",
        }

    def links(self) -> list[tuple[str, str]]:
        """(relation, item id) pairs to other items of the same source, for the store's link table.

        Kamer items point at each other: a zaak at the meetings that discuss it and at its
        documents, a document at its zaken, a meeting at the zaken and documents on its agenda
        and at the meeting it replaces. Feeds have none.
        """
        if self.kind == KIND_ACTIVITY:
            meeting = Meeting.from_item(self)
            out = [("agenda", f"{self.source}:zaak/{z.id}") for p in meeting.agenda for z in p.zaken]
            out += [("agenda", f"{self.source}:document/{d.id}") for p in meeting.agenda for d in p.documenten]
            if meeting.replaces:
                out.append(("replaces", f"{self.source}:activiteit/{meeting.replaces}"))
            return sorted(set(out))
        if self.kind == KIND_ZAAK:
            out = [("activity", f"{self.source}:activiteit/{a}") for a in self.data.get("activiteit_ids") or []]
            out += [("document", f"{self.source}:document/{d.get('id')}") for d in self.data.get("documenten") or [] if isinstance(d, dict) and d.get("id")]
            return sorted(set(out))
        if self.kind == KIND_DOCUMENT:
            return sorted({("zaak", f"{self.source}:zaak/{z}") for z in self.data.get("zaak_ids") or []})
        if self.kind == KIND_TOEZEGGING and self.data.get("activiteit_item"):
            return [("activity", str(self.data["activiteit_item"]))]
        return []


@dataclass
class Change:
    """One field of an item that changed between two fetches (`old` -> `new`, as text)."""

    item_id: str
    field: str
    old: str | None
    new: str | None
    seen_at: str


class MatchEvidence(Protocol):
    """What the rule engine keeps of an item so that a match's terms and snippet can be made later."""

    def terms(self, key: Any) -> list[str]:
        """The matched rule's terms that occur in the item (`key` says which rule)."""
        ...

    def snippet(self, key: Any) -> str:
        """The text around the rule's first hit, every hit marked «like this»."""
        ...


class Match:
    """Why an item belongs to a dossier: which rule, which terms, and a snippet around the hit.

    Either built with its `terms` and `snippet` (read back from the database, tests), or by the
    rule engine with `evidence`: then both are made on first access and kept. Making them is
    most of the cost of matching, and most matches (a back-test, a re-match that finds the same,
    a rule check) are never shown, so the engine only records which rule hit and where.
    Once both are made the evidence is let go, so a kept Match does not keep the item's scan.
    """

    __slots__ = ("item_id", "dossier", "rule", "priority", "_terms", "_snippet", "_evidence", "_key")

    def __init__(
        self,
        item_id: str,
        dossier: str,
        rule: str,
        terms: list[str] | None = None,
        snippet: str | None = None,
        priority: str | None = None,
        evidence: MatchEvidence | None = None,
        key: Any = None,
    ) -> None:
        if evidence is None and (terms is None or snippet is None):
            raise TypeError("Match needs terms and snippet, or evidence to make them from")
        self.item_id = item_id
        self.dossier = dossier
        self.rule = rule
        self.priority = priority
        self._terms = terms
        self._snippet = snippet
        self._evidence = evidence
        self._key = key

    @property
    def terms(self) -> list[str]:
        """The rule's terms, as written in the query, that occur in the item."""
        terms = self._terms
        if terms is None:
            terms = self._terms = self._evidence.terms(self._key)  # type: ignore[union-attr]
            if self._snippet is not None:
                self._evidence = self._key = None
        return terms

    @property
    def snippet(self) -> str:
        """About 200 characters around the first hit, every hit of the rule marked «like this»."""
        snippet = self._snippet
        if snippet is None:
            snippet = self._snippet = self._evidence.snippet(self._key)  # type: ignore[union-attr]
            if self._terms is not None:
                self._evidence = self._key = None
        return snippet

    def _fields(self) -> tuple[str, str, str, list[str], str, str | None]:
        return (self.item_id, self.dossier, self.rule, self.terms, self.snippet, self.priority)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable-looking and compared by value, as the dataclass was

    def __repr__(self) -> str:
        item_id, dossier, rule, terms, snippet, priority = self._fields()
        return f"Match(item_id={item_id!r}, dossier={dossier!r}, rule={rule!r}, terms={terms!r}, snippet={snippet!r}, priority={priority!r})"


# ---------------------------------------------------------------------------- enums


class MomentKind(StrEnum):
    """The actions the Kamer agenda asks of PA staff (domain.md, "The moments that matter")."""

    BRIEF = "brief"
    INBRENG = "inbreng"
    AGENDERING = "agendering"
    POSITIONPAPER = "positionpaper"
    MOTIE = "motie"
    STEMMING = "stemming"


class MomentStatus(StrEnum):
    """Where a moment stands as of a moment in time."""

    GEPLAND = "gepland"
    VERPLAATST = "verplaatst"
    GEANNULEERD = "geannuleerd"
    TE_LAAT = "te laat"
    VOORBIJ = "voorbij"

    @property
    def active(self) -> bool:
        """Still asks for action (planned, moved, or late but the meeting is ahead)."""
        return self not in (MomentStatus.GEANNULEERD, MomentStatus.VOORBIJ)


class MeetingStatus(StrEnum):
    """The Kamer's Activiteit.Status, normalised. The Kamer adds values: others are ONBEKEND."""

    GEPLAND = "gepland"
    VERPLAATST = "verplaatst"
    GEANNULEERD = "geannuleerd"
    VERVALLEN = "vervallen"
    UITGEVOERD = "uitgevoerd"
    ONBEKEND = "onbekend"

    @classmethod
    def parse(cls, text: Any) -> MeetingStatus:
        """The status for the Kamer's text ('Gepland', ' geannuleerd ', None -> GEPLAND)."""
        value = " ".join(str(text or "").lower().split())
        if not value:
            return cls.GEPLAND
        try:
            return cls(value)
        except ValueError:
            return cls.ONBEKEND

    @property
    def cancelled(self) -> bool:
        """Geannuleerd or Vervallen: the meeting will not take place."""
        return self in (MeetingStatus.GEANNULEERD, MeetingStatus.VERVALLEN)


class SourceState(StrEnum):
    """What a source's health means for the reader."""

    OK = "ok"
    FAILING = "faalt"
    STALE = "verouderd"
    NEVER_FETCHED = "nooit opgehaald"
    NEVER_SUCCEEDED = "nooit gelukt"
    DISABLED = "uit"

    @property
    def problem(self) -> bool:
        """A state the reader must be told about: news may be missing."""
        return self in (SourceState.FAILING, SourceState.STALE, SourceState.NEVER_SUCCEEDED, SourceState.NEVER_FETCHED)


class UpdateKind(StrEnum):
    """What a change of an item means (see `monitor.changes`)."""

    MOVED = "verplaatst"
    AWAITING_DATE = "nieuwe datum volgt"
    CANCELLED = "geannuleerd"
    LAPSED = "vervallen"
    REPLANNED = "weer gepland"
    REMOVED = "van de agenda"
    RETURNED = "terug op de agenda"
    AGENDA_ADDED = "nieuw agendapunt"
    AGENDA_DROPPED = "agendapunt vervallen"
    END_TIME = "eindtijd"
    LOCATION = "locatie"
    SUBJECT = "onderwerp"
    NOTE = "noot"
    APPRECIATIE = "kabinetsappreciatie"
    OUTCOME = "uitslag"
    NEW_VERSION = "herziene versie"
    TITLE = "titel"
    PROMISE_STATUS = "status toezegging"
    PROMISE_DATE = "datum nakoming"


@dataclass
class Update:
    """A change of an item as news: 'verplaatst van do 3 dec 13:00 naar do 17 dec 13:00'.

    `old` and `new` are the values as stored (ISO times for moves, texts otherwise); the wording
    module turns them into Dutch.
    """

    kind: UpdateKind
    item_id: str
    seen_at: str
    old: str | None = None
    new: str | None = None
    about: Document | None = None  # the document of a zaak that changed (a revised letter), when told on the zaak


# ---------------------------------------------------------------------------- health


@dataclass
class SourceHealth:
    """What the last fetches of one source did."""

    id: str
    kind: str
    label: str | None
    ok: bool
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    consecutive_failures: int
    new: int = 0
    changed: int = 0

    def is_stale(self, every: int, now: datetime) -> bool:
        """Working, but no success for three intervals (and at least six hours, so a laptop that
        slept over lunch is not reported): something is wrong that no single error shows."""
        if not self.ok or not self.last_success:
            return False
        last = datetime.fromisoformat(self.last_success)
        return (now - last).total_seconds() > max(3 * every, 6 * 3600)

    def state(self, every: int, now: datetime, enabled: bool = True) -> SourceState:
        """The one word for this source's condition as of `now`."""
        if not enabled:
            return SourceState.DISABLED
        if not self.last_attempt:
            return SourceState.NEVER_FETCHED
        if self.consecutive_failures:
            return SourceState.FAILING if self.last_success else SourceState.NEVER_SUCCEEDED
        if not self.last_success:
            return SourceState.NEVER_SUCCEEDED
        if self.is_stale(every, now):
            return SourceState.STALE
        return SourceState.OK


# ---------------------------------------------------------------------------- Kamer: typed views of Item.data


@dataclass(frozen=True)
class Commissie:
    """A Kamer commissie as named on a meeting or zaak; the 'commissie' TK is the plenary."""

    id: str | None
    afkorting: str | None
    naam: str | None

    @classmethod
    def parse(cls, value: Any) -> Commissie | None:
        """From the stored dict ({id, afkorting, naam}) or a bare name."""
        if isinstance(value, dict):
            found = cls(_text(value.get("id")), _text(value.get("afkorting")), _text(value.get("naam")))
            return found if (found.id or found.afkorting or found.naam) else None
        text = _text(value)
        return cls(None, text, None) if text else None

    @property
    def plenary(self) -> bool:
        """The Kamer files plenary meetings under the 'commissie' TK (Tweede Kamer)."""
        return (self.afkorting or "").upper() == "TK" or (self.naam or "").lower() in ("tk", "tweede kamer")

    @property
    def short(self) -> str:
        """'VWS', or the full name when there is no afkorting."""
        return self.afkorting or self.naam or ""


@dataclass(frozen=True)
class Person:
    """A Kamerlid as named on a zaak (indiener) or meeting (deelnemer)."""

    naam: str
    fractie: str | None = None
    persoon_id: str | None = None
    rol: str | None = None

    @classmethod
    def parse(cls, value: Any) -> Person | None:
        if not isinstance(value, dict) or not (value.get("naam") or value.get("persoon_id")):
            return None
        return cls(_text(value.get("naam")) or str(value.get("persoon_id")), _text(value.get("fractie")), _text(value.get("persoon_id")), _text(value.get("rol")))

    @property
    def indiener(self) -> bool:
        """The first signatory (not a medeindiener)."""
        return (self.rol or "Indiener").lower() != "medeindiener"


@dataclass(frozen=True)
class Vote:
    """How one fractie voted and with how many seats."""

    fractie: str
    soort: str  # "Voor", "Tegen", "Niet deelgenomen", ...
    zetels: int

    @property
    def voor(self) -> bool:
        return self.soort.lower() == "voor"

    @property
    def tegen(self) -> bool:
        return self.soort.lower() == "tegen"


@dataclass(frozen=True)
class Besluit:
    """A decision on a zaak (a vote, 'aangehouden', ...), with the votes per fractie."""

    soort: str | None
    tekst: str | None
    status: str | None
    datum: date | None
    votes: tuple[Vote, ...] = ()

    @classmethod
    def parse(cls, value: Any) -> Besluit | None:
        if not isinstance(value, dict):
            return None
        votes = []
        for row in value.get("stemmingen") or []:
            if isinstance(row, dict):
                votes.append(Vote(_text(row.get("fractie")) or "onbekende fractie", _text(row.get("soort")) or "onbekend", _int(row.get("zetels"))))
        return cls(_text(value.get("soort")), _text(value.get("tekst")), _text(value.get("status")), _day(value.get("datum")), tuple(votes))

    @property
    def taken(self) -> bool:
        """A decision the Kamer took (status Besluit), not a Voorstel for one still to come."""
        return (self.status or "besluit").lower() == "besluit"


@dataclass(frozen=True)
class ZaakRef:
    """A zaak as listed on an agenda point."""

    id: str
    nummer: str | None
    soort: str | None
    titel: str | None
    onderwerp: str | None

    @property
    def label(self) -> str:
        """What a reader recognises it by: the onderwerp, else the titel."""
        return self.onderwerp or self.titel or self.nummer or "zaak"


@dataclass(frozen=True)
class DocumentRef:
    """A document as listed on an agenda point or under a zaak."""

    id: str
    documentnummer: str | None
    soort: str | None
    titel: str | None
    onderwerp: str | None
    datum: date | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        return self.onderwerp or self.titel or self.documentnummer or "document"


@dataclass(frozen=True)
class AgendaPoint:
    """One point on a meeting's agenda with the zaken and documents it discusses."""

    id: str | None
    onderwerp: str
    zaken: tuple[ZaakRef, ...] = ()
    documenten: tuple[DocumentRef, ...] = ()


@dataclass
class Meeting:
    """A Kamer activity (a commissiedebat, a plenary debate, the Stemmingen, ...), typed."""

    item_id: str
    id: str
    nummer: str | None
    soort: str
    onderwerp: str
    status: MeetingStatus
    start: datetime | None
    end: datetime | None
    day: date | None
    locatie: str | None
    noot: str | None
    commissie: Commissie | None
    agenda: list[AgendaPoint]
    deelnemers: list[Person]
    url: str | None
    replaces: str | None  # the Kamer Id of the activity this one re-creates (VervangenVanuit)

    @classmethod
    def from_item(cls, item: Item) -> Meeting:
        """Read an `activiteit` item (tolerant: missing keys give None/empty).

        An item the store's read side handed out (`View`, which marks it read-only) keeps its
        meeting: chains, dossiers, moments and people ask for the same one many times. Items
        being built or fetched may still change, so theirs is parsed afresh each time.
        """
        if not item.__dict__.get(READ_ONLY):
            return cls._parse(item)
        cached = item.__dict__.get("_meeting")
        if cached is None:
            cached = item.__dict__["_meeting"] = cls._parse(item)
        return cached

    @classmethod
    def _parse(cls, item: Item) -> Meeting:
        data = item.data
        agenda = []
        for point in data.get("agendapunten") or []:
            if not isinstance(point, dict):
                continue
            agenda.append(
                AgendaPoint(
                    _text(point.get("id")),
                    _text(point.get("onderwerp")) or "agendapunt",
                    tuple(_zaak_ref(z) for z in point.get("zaken") or [] if isinstance(z, dict) and z.get("id")),
                    tuple(_document_ref(d) for d in point.get("documenten") or [] if isinstance(d, dict) and d.get("id")),
                )
            )
        if not agenda:  # an item with only the agenda's texts (older builds, authored data)
            agenda = [AgendaPoint(None, text) for text in (_text(t) for t in data.get("agenda") or []) if text]
        start = _instant(data.get("aanvangstijd")) or (_instant(item.event_at) if item.event_at and len(item.event_at) > 10 else None)
        day = _day(data.get("datum")) or (start.date() if start else _day(item.event_at))
        onderwerp = _text(data.get("onderwerp")) or _text(item.title) or _text(data.get("soort")) or "Kameractiviteit"
        return cls(
            item_id=item.id,
            id=str(data.get("id") or item.external_id.rpartition("/")[2]),
            nummer=_text(data.get("nummer")),
            soort=_text(data.get("soort")) or "Vergadering",
            onderwerp=onderwerp,
            status=MeetingStatus.parse(data.get("status")),
            start=start,
            end=_instant(data.get("eindtijd")),
            day=day,
            locatie=_text(data.get("locatie")),
            noot=_text(data.get("noot")),
            commissie=Commissie.parse(data.get("commissie")),
            agenda=agenda,
            deelnemers=[p for p in (Person.parse(x) for x in data.get("deelnemers") or []) if p],
            url=item.url,
            replaces=_text(data.get("vervangen_vanuit")),
        )

    @property
    def plenary(self) -> bool:
        """A meeting of the whole Kamer (plenary debate, Stemmingen), not of a commissie."""
        return is_plenary(self.soort, self.commissie)

    @property
    def zaken(self) -> list[ZaakRef]:
        """Every zaak on the agenda, in agenda order, once."""
        seen: dict[str, ZaakRef] = {}
        for point in self.agenda:
            for zaak in point.zaken:
                seen.setdefault(zaak.id, zaak)
        return list(seen.values())


_PLENARY_SOORTEN = {"stemmingen", "hamerstukken", "regeling van werkzaamheden", "vragenuur", "mededelingen", "interpellatiedebat", "dertigledendebat", "meerderheidsdebat"}


def is_plenary(soort: str | None, commissie: Commissie | None) -> bool:
    """Whether an activity of this soort, filed under this commissie, is a meeting of the whole Kamer."""
    value = " ".join((soort or "").lower().split())
    return value.startswith("plenair") or value in _PLENARY_SOORTEN or (commissie is not None and commissie.plenary)


@dataclass
class Zaak:
    """A Kamer zaak (a letter, motie, amendement, bill, Kamervragen), typed."""

    item_id: str
    id: str
    nummer: str | None
    soort: str
    titel: str | None
    onderwerp: str | None
    url: str | None
    gestart_op: date | None
    appreciatie: str | None
    indieners: list[Person]
    documenten: list[DocumentRef]
    besluiten: list[Besluit]
    uitslag: str | None
    commissie: Commissie | None
    kamerstuk: str | None  # the Kamerstukdossier number, '31839' or '36800-XV'
    activiteit_ids: list[str]
    gericht_aan: list[str] = field(default_factory=list)  # Kamervragen: the bewindspersonen asked

    @classmethod
    def from_item(cls, item: Item) -> Zaak:
        data = item.data
        return cls(
            item_id=item.id,
            id=str(data.get("id") or item.external_id.rpartition("/")[2]),
            nummer=_text(data.get("nummer")),
            soort=_text(data.get("soort")) or "Zaak",
            titel=_text(data.get("titel")),
            onderwerp=_text(data.get("onderwerp")) or _text(item.title),
            url=item.url,
            gestart_op=_day(data.get("gestart_op")) or _day(item.published_at),
            appreciatie=_text(data.get("kabinetsappreciatie")),
            indieners=[p for p in (Person.parse(x) for x in data.get("indieners") or []) if p],
            documenten=[_document_ref(d) for d in data.get("documenten") or [] if isinstance(d, dict) and d.get("id")],
            besluiten=[b for b in (Besluit.parse(x) for x in data.get("besluiten") or []) if b],
            uitslag=_text(data.get("uitslag")),
            commissie=Commissie.parse(data.get("commissie")),
            kamerstuk=_kamerstuk(data.get("kamerstukdossier")),
            activiteit_ids=[str(a) for a in data.get("activiteit_ids") or []],
            gericht_aan=[str(a) for a in data.get("gericht_aan") or []],
        )

    @property
    def is_question(self) -> bool:
        """Schriftelijke Kamervragen (the kind that gets a written answer within three weeks)."""
        return self.soort.lower() == "schriftelijke vragen"

    def question(self, today: date) -> Question | None:
        """The state of Kamervragen on `today` (None for other zaken), from the documents the zaak has.

        Beantwoord: an "Antwoord schriftelijke vragen" document; uitstel: a "Mededeling (uitstel
        antwoord)"; te laat: three weeks after the questions without either; else open. Only
        documents dated on or before `today` count, so a past report tells the state of then.
        """
        if not self.is_question:
            return None
        known = [d for d in self.documenten if d.datum is None or d.datum <= today]
        answer = next((d for d in reversed(known) if (d.soort or "").lower().startswith("antwoord")), None)
        delay = next((d for d in reversed(known) if "uitstel" in (d.soort or "").lower()), None)
        due = self.gestart_op + timedelta(days=QUESTION_TERM_DAYS) if self.gestart_op else None
        if answer is not None:
            state = QuestionState.BEANTWOORD
        elif delay is not None:
            state = QuestionState.UITSTEL
        elif due is not None and today > due:
            state = QuestionState.TE_LAAT
        else:
            state = QuestionState.OPEN
        return Question(state, due, answer, delay)

    @property
    def votable(self) -> bool:
        """A motie or amendement: something the Kamer votes on."""
        soort = self.soort.lower()
        return soort.startswith("motie") or soort.startswith("amendement")

    @property
    def last_decision(self) -> Besluit | None:
        """The latest decision the Kamer took on it (a Voorstel is not one yet)."""
        return next((b for b in reversed(self.besluiten) if b.taken), None)

    def decided_before(self, day: date | None) -> bool:
        """Whether its latest decision was taken at an earlier meeting than one on `day` (a motie held over, then listed again)."""
        latest = self.last_decision
        return day is not None and latest is not None and latest.datum is not None and latest.datum < day

    @property
    def votes(self) -> tuple[Vote, ...]:
        """The votes of the latest decision that had any."""
        for besluit in reversed(self.besluiten):
            if besluit.votes:
                return besluit.votes
        return ()


QUESTION_TERM_DAYS = 21  # Reglement van Orde: a written answer within three weeks, or a notice of delay


class QuestionState(StrEnum):
    """Where Kamervragen stand."""

    OPEN = "open"
    UITSTEL = "uitstel"
    BEANTWOORD = "beantwoord"
    TE_LAAT = "te laat"


@dataclass(frozen=True)
class Question:
    """The state of Kamervragen with the documents that decide it."""

    state: QuestionState
    due: date | None  # three weeks after the questions were filed
    answer: DocumentRef | None
    delay: DocumentRef | None


@dataclass
class Document:
    """A Kamer document (the text behind a zaak), typed."""

    item_id: str
    id: str
    documentnummer: str | None
    soort: str | None
    titel: str | None
    onderwerp: str | None
    url: str | None
    datum: date | None
    kamerstuk: str | None
    zaak_ids: list[str]
    versie_id: str | None

    @classmethod
    def from_item(cls, item: Item) -> Document:
        data = item.data
        return cls(
            item_id=item.id,
            id=str(data.get("id") or item.external_id.rpartition("/")[2]),
            documentnummer=_text(data.get("documentnummer")),
            soort=_text(data.get("soort")),
            titel=_text(data.get("titel")),
            onderwerp=_text(data.get("onderwerp")) or _text(item.title),
            url=item.url,
            datum=_day(data.get("datum")) or _day(item.published_at),
            kamerstuk=_kamerstuk(data.get("kamerstukdossier")),
            zaak_ids=[str(z) for z in data.get("zaak_ids") or []],
            versie_id=_text(data.get("versie_id")),
        )


class ToezeggingStatus(StrEnum):
    """The Kamer's Toezegging.Status; values it adds later pass through as OVERIG."""

    OPENSTAAND = "openstaand"
    DEELS_VOLDAAN = "deels voldaan"
    VOLDAAN = "voldaan"
    VERVALLEN = "vervallen"
    OVERIG = "overig"

    @classmethod
    def parse(cls, value: str | None) -> ToezeggingStatus:
        text = " ".join((value or "").lower().replace("afgedaan", "voldaan").split())
        return next((s for s in cls if s.value == text), cls.OPENSTAAND if not text else cls.OVERIG)

    @property
    def open(self) -> bool:
        """Still to be kept (a partly kept promise is still open)."""
        return self in (ToezeggingStatus.OPENSTAAND, ToezeggingStatus.DEELS_VOLDAAN)


@dataclass
class Toezegging:
    """A promise a bewindspersoon made to the Kamer (usually in a debate), with when it is due."""

    item_id: str
    id: str
    nummer: str | None  # 'TZ202412-116'
    tekst: str
    status: ToezeggingStatus
    status_text: str | None  # as the Kamer wrote it
    deadline: date | None  # datumNakoming; None when the Kamer gave no date
    bewindspersoon: str | None  # 'staatssecretaris P. Jansen'
    ministerie: str | None
    aan: list[str]  # the Kamerleden or fracties it was made to
    activiteit_id: str | None  # the activity it was made in (our item id)
    activiteit_nummer: str | None
    brieven: list[str]  # DocumentNummers of the letters that keep it
    aangemaakt: date | None
    url: str | None

    @classmethod
    def from_item(cls, item: Item) -> Toezegging:
        data = item.data
        return cls(
            item_id=item.id,
            id=str(data.get("id") or item.external_id.rpartition("/")[2]),
            nummer=_text(data.get("nummer")),
            tekst=_text(data.get("tekst")) or _text(item.title) or "",
            status=ToezeggingStatus.parse(_text(data.get("status"))),
            status_text=_text(data.get("status")),
            deadline=_day(data.get("datum_nakoming")),
            bewindspersoon=_text(data.get("bewindspersoon")),
            ministerie=_text(data.get("ministerie")),
            aan=[str(a) for a in data.get("aan") or []],
            activiteit_id=_text(data.get("activiteit_item")),
            activiteit_nummer=_text(data.get("activiteit_nummer")),
            brieven=[str(b) for b in data.get("kamerbrief_nakoming") or []],
            aangemaakt=_day(data.get("aanmaakdatum")) or _day(item.published_at),
            url=item.url,
        )

    def overdue(self, today: date) -> bool:
        """Open, with its date passed."""
        return self.status.open and self.deadline is not None and self.deadline < today


# ---------------------------------------------------------------------------- people and moments


@dataclass
class Woordvoerder:
    """A Kamerlid to approach on a dossier, with the reason we think so."""

    naam: str
    fractie: str | None
    reden: str
    persoon_id: str | None = None
    score: float = 0.0
    # Seconds of their own non-chair turns on the dossier in the newest transcripts, and per
    # debate {titel, datum, seconden, passage, parlisid}: what the transcripts say they did.
    spreektijd_s: int = 0
    debatten: tuple[dict[str, Any], ...] = ()


@dataclass
class Moment:
    """A date by which PA staff must act, derived from a meeting on the Kamer agenda (domain.md).

    One per (meeting, kind of action). The id comes from the kind and the first activity of the
    meeting's chain, so it survives moves, re-creations and re-runs. `deadline` is None only for
    a meeting marked Verplaatst whose new date is not known yet.
    """

    id: str
    kind: MomentKind
    dossiers: list[str]
    meeting: Meeting
    deadline: date | None
    status: MomentStatus
    moved: bool = False  # the meeting moved at some point (the deadline moved with it)
    triggers: list[str] = field(default_factory=list)  # the agenda points that touch the dossiers
    woordvoerders: list[Woordvoerder] = field(default_factory=list)
    work: Any = None  # monitor.work.Work: the team's owner, 'afgehandeld', note (attached by the briefing)

    @property
    def handled(self) -> bool:
        """The team marked this action done ('afgehandeld')."""
        return self.work is not None and self.work.done


# ---------------------------------------------------------------------------- value helpers


def _text(value: Any) -> str | None:
    if value is None:
        return None
    collapsed = " ".join(str(value).split())
    return collapsed or None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _instant(value: Any) -> datetime | None:
    if not value or len(str(value)) <= 10:
        return None
    try:
        return parse_instant(str(value))
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _kamerstuk(value: Any) -> str | None:
    if not isinstance(value, dict) or not value.get("nummer"):
        return None
    number = str(value["nummer"])
    return f"{number}-{value['toevoeging']}" if value.get("toevoeging") else number


def _zaak_ref(value: dict[str, Any]) -> ZaakRef:
    return ZaakRef(str(value["id"]), _text(value.get("nummer")), _text(value.get("soort")), _text(value.get("titel")), _text(value.get("onderwerp")))


def _document_ref(value: dict[str, Any]) -> DocumentRef:
    return DocumentRef(
        str(value["id"]), _text(value.get("documentnummer")), _text(value.get("soort")), _text(value.get("titel")), _text(value.get("onderwerp")),
        _day(value.get("datum")), _text(value.get("url")),
    )
