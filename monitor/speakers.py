"""Which Kamerlid a transcript speaker is: matched by name and fractie, never by id.

VLOS speaker ids never equal Persoon ids, so a speaker is found in the Kamer's register by name:
the surname without its tussenvoegsel (the transcript writes it in sort form, "Wit de", or in
prefix form, "Van Leeuwen"; the register keeps "de" apart), then the first name (voornaam against
roepnaam), then the fractie (the transcript writes its name, "GroenLinks-PvdA"; the register keeps
the afkorting "GL-PvdA"). Ministers and staatssecretarissen are never matched to Kamerleden, and a
speaker that matches no one, or more than one person, keeps their own name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from .sources.vlos import PARTICLES, Speaker


def fold(text: str | None) -> str:
    """Lower case without accents or extra spaces: 'Ömtzigt' and 'omtzigt' are equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def surname_core(achternaam: str | None, tussenvoegsel: str | None = None) -> str:
    """'Wit de', 'de Wit', 'Van Leeuwen' and ('Leeuwen', 'van') give 'wit' / 'leeuwen'."""
    words = [w for w in fold(" ".join(p for p in (tussenvoegsel, achternaam) if p)).replace("-", " - ").split()]
    core = [w for w in words if w not in PARTICLES]
    return " ".join(core).replace(" - ", "-")


class SpeakerIndex:
    """The Kamer's register of persons, indexed for matching transcript speakers.

    `personen` is what `sources.tk.personen` returns (persoon_id, roepnaam, achternaam,
    tussenvoegsel, fractie afkorting); `fracties` maps a fractie's full name to its afkorting.
    """

    def __init__(self, personen: Mapping[str, Mapping[str, Any]], fracties: Mapping[str, str] | None = None) -> None:
        self._by_surname: dict[str, list[Mapping[str, Any]]] = {}
        for person in personen.values():
            key = surname_core(person.get("achternaam"), person.get("tussenvoegsel"))
            if key:
                self._by_surname.setdefault(key, []).append(person)
        self._fractie = {fold(naam): fold(afkorting) for naam, afkorting in (fracties or {}).items()}

    def persoon_id(self, speaker: Speaker) -> str | None:
        """The Persoon id of a Kamerlid speaker, or None (a bewindspersoon, unknown, or ambiguous)."""
        if not speaker.kamerlid:
            return None
        candidates = self._by_surname.get(surname_core(speaker.achternaam or speaker.verslagnaam), [])
        if len(candidates) > 1 and speaker.voornaam:
            candidates = [p for p in candidates if _same_first_name(speaker.voornaam, p)] or candidates
        if len(candidates) > 1 and speaker.fractie:
            candidates = [p for p in candidates if self._same_fractie(speaker.fractie, p.get("fractie"))]
        if len(candidates) != 1:
            return None
        person = candidates[0]
        # One surname, but another first name and another fractie: a namesake not in the register.
        if speaker.voornaam and not _same_first_name(speaker.voornaam, person) and speaker.fractie and person.get("fractie") and not self._same_fractie(speaker.fractie, person.get("fractie")):
            return None
        return str(person.get("persoon_id"))

    def _same_fractie(self, spoken: str, afkorting: str | None) -> bool:
        if not afkorting:
            return False
        name = fold(spoken)
        return fold(afkorting) in (name, self._fractie.get(name))


def _same_first_name(voornaam: str, person: Mapping[str, Any]) -> bool:
    mine = fold(voornaam)
    theirs = fold(person.get("roepnaam")) or fold(person.get("voornamen"))
    if not mine or not theirs:
        return False
    return mine == theirs or mine.split()[0] == theirs.split()[0]


def fractie_names(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """From Fractie fields ({naamNl, afkorting}) the map full name -> afkorting."""
    out: dict[str, str] = {}
    for row in rows:
        naam, afkorting = row.get("naamNl") or row.get("naam"), row.get("afkorting")
        if naam and afkorting:
            out[str(naam)] = str(afkorting)
    return out
