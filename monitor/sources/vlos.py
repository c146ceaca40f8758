"""Read a Kamer transcript (VLOS XML, the `Resources/{Verslag Id}` of a Verslag) into speaker turns.

The live files differ from the published XSD (root `vlosCoreDocument` in the namespace
`.../ggm/vergaderverslag/v1.0`, not `vlosdocument` in `.../vlos2`; `fractie` is text, not a
structure), so elements are found by their local names and nothing is validated. A Casco
transcript has every turn with its speaker and times but empty text; later versions fill the text.

The parser is strict about safety and lenient about shape: a DOCTYPE or entity declaration is
refused (defusedxml), a missing element becomes None, and an unreadable file raises
`TranscriptError` with a sentence, so one bad transcript never stops a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..timeutil import AMS

# A plenary day grows past 1 MB; ten times that is not a transcript.
MAX_BYTES = 16 * 1024 * 1024

KAMERLID = "Tweede Kamerlid"
BEWINDSPERSONEN = ("minister", "staatssecretaris", "minister-president")
# Tussenvoegsels: the transcript may write them after the surname ("Wit de", the sort form).
PARTICLES = frozenset({"van", "de", "der", "den", "het", "ter", "ten", "te", "in", "'t", "op", "d'", "la", "le", "du", "von", "zu"})


class TranscriptError(ValueError):
    """A transcript that cannot be read; the message says why, in one sentence."""


@dataclass(frozen=True)
class Speaker:
    """Who spoke, as the transcript names them (VLOS ids never equal Persoon ids)."""

    soort: str  # "Tweede Kamerlid", "Minister", "Staatssecretaris", "Externe spreker", "Onbekend", …
    voornaam: str | None
    achternaam: str | None
    verslagnaam: str | None
    fractie: str | None  # the fractie's name as text: "GroenLinks-PvdA", "D66"
    functie: str | None  # "lid Tweede Kamer", "minister van Defensie"
    objectid: str | None

    @property
    def kamerlid(self) -> bool:
        """A member of the Tweede Kamer (the only speakers matched to Persoon records)."""
        return self.soort == KAMERLID or (self.functie or "").lower() == "lid tweede kamer"

    @property
    def bewindspersoon(self) -> bool:
        """A minister or staatssecretaris: kept as such, never taken for a Kamerlid."""
        return not self.kamerlid and (self.soort or "").lower().startswith(BEWINDSPERSONEN)

    @property
    def naam(self) -> str:
        """'Jan Paternotte', or the transcript's short name when the parts are missing."""
        parts = [p for p in (self.voornaam, display_surname(self.achternaam)) if p]
        return " ".join(parts) or self.verslagnaam or "onbekende spreker"


def display_surname(achternaam: str | None) -> str | None:
    """'Vries de' (sort form) as people write it: 'de Vries'; 'Van Leeuwen' stays as it is."""
    if not achternaam:
        return achternaam
    words = achternaam.split()
    cut = len(words)
    while cut > 1 and words[cut - 1].lower() in PARTICLES:
        cut -= 1
    return " ".join(words[cut:] + words[:cut])


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: a woordvoerder's passage or an interruption, with its times and text."""

    speaker: Speaker
    role: str  # "woordvoerder" or "interrumpant"
    start: datetime | None
    end: datetime | None
    chair: bool  # isvoorzitter: chairing, not speaking on the subject
    text: str
    # Seconds inside this turn taken by the interruptions it contains (they are someone else's).
    interrupted_s: int = 0

    @property
    def seconds(self) -> int:
        """The speaker's own seconds: the turn's span minus the interruptions inside it."""
        if self.start is None or self.end is None:
            return 0
        return max(0, int((self.end - self.start).total_seconds()) - self.interrupted_s)


@dataclass(frozen=True)
class DebateActivity:
    """One activiteit in a transcript (a commissiedebat, a plenary debate, the stemmingen…)."""

    soort: str
    titel: str | None
    onderwerp: str | None
    parlisid: str | None  # = Activiteit.Nummer; empty for Stemmingen and resumed debates
    start: datetime | None
    end: datetime | None
    voortzetting: bool
    categories: tuple[str, ...]
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Transcript:
    """A whole transcript: its version (soort/status), the vergadering, and its activiteiten."""

    soort: str | None  # Voorpublicatie, Tussenpublicatie, Eindpublicatie
    status: str | None  # Casco, Ongecorrigeerd, Gecorrigeerd, Gerectificeerd
    timestamp: datetime | None
    vergadering_soort: str | None  # Commissie or Plenair
    titel: str | None
    zaal: str | None
    datum: str | None  # ISO date
    start: datetime | None
    end: datetime | None  # sluiting; None while the sitting is open
    activities: tuple[DebateActivity, ...]

    @property
    def has_text(self) -> bool:
        """False for a Casco (speakers and times only)."""
        return any(turn.text for activity in self.activities for turn in activity.turns)


def parse_transcript(data: bytes) -> Transcript:
    """Read VLOS XML bytes into a `Transcript`; raise `TranscriptError` when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise TranscriptError(f"transcript is {len(data):,} bytes, more than the {MAX_BYTES:,} a transcript can be")
    if not data.strip():
        raise TranscriptError("transcript is empty")
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise TranscriptError(f"transcript refused: it declares a DTD or entities ({type(exc).__name__})") from None
    except ParseError as exc:
        raise TranscriptError(f"transcript is not well-formed XML: {exc}") from None
    if _local(root.tag) not in ("vlosCoreDocument", "vlosdocument"):
        raise TranscriptError(f"not a transcript: the root element is <{_local(root.tag)}>, expected <vlosCoreDocument>")
    meeting = _child(root, "vergadering")
    if meeting is None:
        raise TranscriptError("transcript has no <vergadering>")
    return Transcript(
        soort=root.get("soort"),
        status=root.get("status"),
        timestamp=_time(root.get("Timestamp")),
        vergadering_soort=meeting.get("soort"),
        titel=_text(meeting, "titel"),
        zaal=_text(meeting, "zaal"),
        datum=(_text(meeting, "datum") or "")[:10] or None,
        start=_time(_text(meeting, "aanvangstijd")),
        end=_time(_text(meeting, "sluiting")),
        activities=tuple(_activity(a) for a in _children(meeting, "activiteit")),
    )


def _activity(node: Element) -> DebateActivity:
    return DebateActivity(
        soort=node.get("soort") or "",
        titel=_text(node, "titel"),
        onderwerp=_text(node, "onderwerp"),
        parlisid=_text(node, "parlisid"),
        start=_time(_text(node, "aanvangstijd")),
        end=_time(_text(node, "eindtijd")),
        voortzetting=(_text(node, "voortzetting") or "").lower() == "true",
        categories=tuple(c for c in (_own_text(e) for e in _descendants(_child(node, "activiteitenindex"), "category")) if c),
        turns=tuple(_turns(node)),
    )


def _turns(activity: Element) -> Iterator[Turn]:
    """Every woordvoerder passage and interruption, in document order."""
    for passage in _descendants(activity, "woordvoerder"):
        interruptions = [_turn(i, "interrumpant") for i in _children(passage, "interrumpant")]
        own = _turn(passage, "woordvoerder")
        taken = sum(_overlap(own, i) for i in interruptions)
        yield Turn(own.speaker, own.role, own.start, own.end, own.chair, own.text, taken)
        yield from interruptions


def _turn(node: Element, role: str) -> Turn:
    return Turn(
        speaker=_speaker(_child(node, "spreker")),
        role=role,
        start=_time(_text(node, "markeertijdbegin")),
        end=_time(_text(node, "markeertijdeind")),
        chair=(_text(node, "isvoorzitter") or "").lower() == "true",
        text=_paragraphs(_child(node, "tekst")),
    )


def _overlap(turn: Turn, inner: Turn) -> int:
    if None in (turn.start, turn.end, inner.start, inner.end):
        return 0
    begin, end = max(turn.start, inner.start), min(turn.end, inner.end)  # type: ignore[type-var]
    return max(0, int((end - begin).total_seconds()))


def _speaker(node: Element | None) -> Speaker:
    if node is None:
        return Speaker("Onbekend", None, None, None, None, None, None)
    return Speaker(
        soort=node.get("soort") or "Onbekend",
        voornaam=_text(node, "voornaam"),
        achternaam=_text(node, "achternaam"),
        verslagnaam=_text(node, "verslagnaam") or _text(node, "weergavenaam"),
        fractie=_text(node, "fractie"),
        functie=_text(node, "functie"),
        objectid=node.get("objectid"),
    )


def _paragraphs(tekst: Element | None) -> str:
    """The text of a <tekst>: one line per alinea, inline markup (nadruk, stuknummer…) flattened."""
    if tekst is None:
        return ""
    alineas = list(_descendants(tekst, "alinea"))
    blocks = alineas or [tekst]
    lines = (" ".join("".join(block.itertext()).split()) for block in blocks)
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------- element helpers


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: Element | None, name: str) -> Iterator[Element]:
    if node is None:
        return
    for child in node:
        if _local(child.tag) == name:
            yield child


def _child(node: Element | None, name: str) -> Element | None:
    return next(_children(node, name), None)


def _descendants(node: Element | None, name: str) -> Iterator[Element]:
    if node is None:
        return
    for element in node.iter():
        if element is not node and _local(element.tag) == name:
            yield element


def _own_text(node: Element) -> str | None:
    value = " ".join((node.text or "").split())
    return value or None


def _text(node: Element | None, name: str) -> str | None:
    child = _child(node, name)
    return _own_text(child) if child is not None else None


def _time(value: str | None) -> datetime | None:
    """Transcript times are local (Amsterdam) without an offset; the root Timestamp has one."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        # Seven fractional digits ("…55.5222825+02:00") are more than Python reads before 3.11.
        head, dot, rest = value.partition(".")
        if not dot:
            return None
        digits = "".join(c for c in rest if c.isdigit())
        offset = rest[len(digits):]
        try:
            parsed = datetime.fromisoformat(f"{head}.{digits[:6]}{offset}".replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.year < 1900:  # "0001-01-01T00:00:00": the Kamer's "not yet" sentinel
        return None
    return parsed.replace(tzinfo=AMS) if parsed.tzinfo is None else parsed.astimezone(AMS)
