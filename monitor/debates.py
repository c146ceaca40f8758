"""Who spoke on which dossier in a debate, for how long, and with which passage.

Each speaker turn of a transcript is matched by the dossiers' rules (the same engine as every
other item, with kind `debat`): a turn that meets a dossier's rule is a passage on that dossier.
Chairing (`isvoorzitter`) is not speaking on a dossier and is skipped. A speaker's seconds are
their own: an interruption inside a turn counts for the one who interrupts.

A Casco transcript has no text yet, so its turns can only be tied to a dossier through the
debate itself (its title and onderwerp): then every non-chair turn in that activiteit counts,
and the passage is empty. A later version with text replaces it (only the newest version of a
vergadering is kept and counted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .models import Match
from .sources.vlos import DebateActivity, Speaker, Transcript, Turn
from .speakers import SpeakerIndex

DEBATE_KIND = "debat"

# Matches a piece of text to dossiers: (fields, kind, source, item id) -> matches (the engine's match_fields).
MatchFields = Callable[[dict[str, str], str, str, str], list[Match]]


@dataclass(frozen=True)
class Passage:
    """A speaker on a dossier in one turn: who, where, when, how long, and the words around the hit."""

    dossier: str
    speaker: Speaker
    persoon_id: str | None
    activity_titel: str
    activity_soort: str
    parlisid: str | None
    start: datetime | None
    seconds: int
    snippet: str  # empty when the transcript has no text yet (Casco)
    turn: Turn = field(compare=False, repr=False)


def passages(transcript: Transcript, match_fields: MatchFields, speakers: SpeakerIndex, source: str = "tk") -> list[Passage]:
    """Every non-chair turn of the transcript that is on a dossier, in document order."""
    out: list[Passage] = []
    for number, activity in enumerate(transcript.activities):
        debate_dossiers = _dossiers(match_fields({"titel": activity.titel or "", "tekst": activity.onderwerp or ""}, DEBATE_KIND, source, f"debat:{number}"))
        for turn_number, turn in enumerate(activity.turns):
            if turn.chair:
                continue
            if turn.text:
                # The turn's own words only: in a debate on jeugdzorg, a speaker on something else is not on jeugdzorg.
                found = match_fields({"tekst": turn.text}, DEBATE_KIND, source, f"debat:{number}:{turn_number}")
                on = {m.dossier: m.snippet for m in found}
            else:
                on = {dossier: "" for dossier in debate_dossiers}
            for dossier, snippet in on.items():
                out.append(_passage(dossier, activity, turn, speakers, snippet))
    return out


@dataclass(frozen=True)
class SpeakingTime:
    """A person's own seconds on one dossier in one debate (a Kamerlid by id, others by name)."""

    dossier: str
    persoon_id: str | None
    naam: str
    fractie: str | None
    activity_titel: str
    parlisid: str | None
    seconds: int
    first_passage: str


def speaking_times(found: Iterable[Passage]) -> list[SpeakingTime]:
    """Sum the passages per (dossier, person, debate); the first passage with text is kept as evidence."""
    totals: dict[tuple[str, str, str], SpeakingTime] = {}
    for passage in found:
        who = passage.persoon_id or f"naam:{passage.speaker.naam}"
        key = (passage.dossier, who, passage.activity_titel)
        known = totals.get(key)
        if known is None:
            totals[key] = SpeakingTime(passage.dossier, passage.persoon_id, passage.speaker.naam, passage.speaker.fractie, passage.activity_titel, passage.parlisid, passage.seconds, passage.snippet)
        else:
            totals[key] = SpeakingTime(
                known.dossier, known.persoon_id, known.naam, known.fractie, known.activity_titel, known.parlisid,
                known.seconds + passage.seconds, known.first_passage or passage.snippet,
            )
    return sorted(totals.values(), key=lambda t: (t.dossier, -t.seconds, t.naam))


def _passage(dossier: str, activity: DebateActivity, turn: Turn, speakers: SpeakerIndex, snippet: str) -> Passage:
    return Passage(
        dossier=dossier,
        speaker=turn.speaker,
        persoon_id=speakers.persoon_id(turn.speaker),
        activity_titel=activity.titel or activity.onderwerp or activity.soort,
        activity_soort=activity.soort,
        parlisid=activity.parlisid,
        start=turn.start,
        seconds=turn.seconds,
        snippet=snippet,
        turn=turn,
    )


def _dossiers(found: list[Match]) -> list[str]:
    return list(dict.fromkeys(m.dossier for m in found))
