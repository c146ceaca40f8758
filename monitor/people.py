"""Woordvoerders: the Kamerleden to approach on a dossier, and why we think so.

The Kamer's open data does not say who speaks for a fractie on a topic (parties divide their
portfolios internally), so we infer it from the last 12 months of Kamer data on the dossier:

- **indieners / medeindieners** of matched zaken: moties, amendementen, Kamervragen (strongest:
  filing a motie on jeugdzorg is what a jeugdzorg woordvoerder does);
- **deelnemers** of matched meetings (a commissiedebat's deelnemers are the woordvoerders of
  their fracties; upcoming meetings count too: registration for next week's debate is the most
  current signal there is);
- **members of the voortouwcommissie** (the commissie most of the dossier's meetings and zaken
  belong to), via `monitor.sources.tk.commissie_leden` when the Kamer source provides it.

Each signal adds to a score; the reason is shown in Dutch ("3 moties over jeugdzorg, deelnemer
CD Jeugdbeleid 10-12"). rules.yaml can pin people to a dossier (always listed first, in the
order given) or exclude them, by name ("Jansen", "A. Jansen", "Anna Jansen (GL-PvdA)") or by
the Kamer's persoon id.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .models import KIND_ACTIVITY, KIND_ZAAK, Item, Woordvoerder
from .moments import KamerIndex, kinds_for_soort
from .timeutil import AMS

if TYPE_CHECKING:
    from .config import RulesConfig
    from .store import Store

LOOKBACK_DAYS = 365
LOOKAHEAD_DAYS = 90  # registered deelnemers of meetings to come

# Score per signal. A filed motie or question outweighs a seat at a debate, which outweighs
# merely sitting on the committee (that only breaks ties and fills the list).
WEIGHT_INDIENER = 3.0
WEIGHT_MEDEINDIENER = 1.0
WEIGHT_DEBATE = 2.0  # deelnemer of a debate (commissiedebat, plenary, tweeminutendebat, ...)
WEIGHT_MEETING = 1.0  # deelnemer of another meeting (rondetafelgesprek, procedurevergadering, ...)
WEIGHT_COMMISSIE = 0.5

# ActiviteitActor relaties that mean "this member takes part"; Afgemeld, Bewindspersoon c.a.,
# Deelnemende fractie and Volgcommissie do not name a woordvoerder.
PARTICIPANT_ROLES = {"deelnemer", "aanvrager", "initiatiefnemer", "interpellant", "spreker", "woordvoerder", ""}

# How a zaak soort reads in a reason: (singular, plural).
_ZAAK_WORDS = {
    "motie": ("motie", "moties"),
    "amendement": ("amendement", "amendementen"),
    "schriftelijke vragen": ("keer Kamervragen", "keer Kamervragen"),
    "mondelinge vragen": ("keer mondelinge vragen", "keer mondelinge vragen"),
    "initiatiefwetgeving": ("initiatiefwet", "initiatiefwetten"),
    "initiatiefnota": ("initiatiefnota", "initiatiefnota's"),
}

# Short names of meeting soorten, as PA staff write them in a memo.
_SOORT_SHORT = {
    "commissiedebat": "CD",
    "wetgevingsoverleg": "WGO",
    "notaoverleg": "NO",
    "rondetafelgesprek": "RTG",
    "plenair debat (tweeminutendebat)": "tweeminutendebat",
    "procedurevergadering": "PV",
}


@dataclass
class _Person:
    key: str
    naam: str
    persoon_id: str | None = None
    fractie: str | None = None
    fractie_seen: str = ""  # date of the signal the fractie came from; the newest wins
    score: float = 0.0
    last_seen: str = ""
    filed: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (soort, as indiener) -> n
    meetings: list[tuple[str, str]] = field(default_factory=list)  # (date, label)
    commissie: str | None = None

    def see(self, naam: str | None, fractie: str | None, when: str) -> None:
        if naam and (len(naam) > len(self.naam) or not self.naam):
            self.naam = naam  # the fullest form of the name we have seen
        if fractie and when >= self.fractie_seen:
            self.fractie, self.fractie_seen = fractie, when
        self.last_seen = max(self.last_seen, when)


def woordvoerders(
    store: Store,
    rules_config: RulesConfig,
    dossier_id: str,
    now: datetime,
    limit: int = 10,
    *,
    index: KamerIndex | None = None,
) -> list[Woordvoerder]:
    """The Kamerleden to approach on a dossier, best first, each with the reason.

    Pinned people (rules.yaml `woordvoerders: pin`) come first and are always listed; excluded
    people never are. `limit` caps the inferred ones (pins come on top). Raises KeyError for a
    dossier that is not in the rules. `index` lets `derive_moments` share its link index.
    """
    dossier = rules_config.dossiers[dossier_id]
    now = (now if now.tzinfo else now.replace(tzinfo=AMS)).astimezone(AMS)
    index = index or KamerIndex(store, rules_config)
    since = (now - timedelta(days=LOOKBACK_DAYS)).date().isoformat()
    until = (now + timedelta(days=LOOKAHEAD_DAYS)).date().isoformat()
    people: dict[str, _Person] = {}
    commissies: Counter[str] = Counter()
    commissie_names: dict[str, str] = {}

    def person(persoon_id: str | None, naam: str | None, fractie: str | None, when: str) -> _Person | None:
        if not persoon_id and not naam:
            return None
        key = str(persoon_id) if persoon_id else "naam:" + _norm(naam or "")
        entry = people.setdefault(key, _Person(key, naam or "", str(persoon_id) if persoon_id else None))
        entry.see(naam, fractie, when)
        return entry

    def count_commissie(data: dict[str, Any]) -> None:
        commissie = data.get("commissie")
        if isinstance(commissie, dict) and commissie.get("id") and (commissie.get("afkorting") or "").upper() != "TK":
            commissies[str(commissie["id"])] += 1
            commissie_names[str(commissie["id"])] = commissie.get("afkorting") or commissie.get("naam") or ""

    for item in _dossier_items(store, index, dossier_id):
        if item.kind == KIND_ZAAK:
            when = str(item.data.get("gestart_op") or item.published_at or "")[:10]
            if not when or not since <= when <= now.date().isoformat():
                continue
            count_commissie(item.data)
            soort = " ".join(str(item.data.get("soort") or "zaak").lower().split())
            for actor in item.data.get("indieners") or []:
                indiener = str(actor.get("rol") or "Indiener").lower() != "medeindiener"
                entry = person(actor.get("persoon_id"), actor.get("naam"), actor.get("fractie"), when)
                if entry is not None:
                    entry.filed[(soort, indiener)] += 1
                    entry.score += WEIGHT_INDIENER if indiener else WEIGHT_MEDEINDIENER
        elif item.kind == KIND_ACTIVITY:
            when = str(item.data.get("datum") or item.event_at or "")[:10]
            if not when or not since <= when <= until:
                continue
            if str(item.data.get("status") or "").lower() in ("geannuleerd", "vervallen"):
                continue
            count_commissie(item.data)
            kinds = kinds_for_soort(item.data.get("soort"))
            weight = WEIGHT_DEBATE if ("brief" in kinds or "motie" in kinds) else WEIGHT_MEETING
            label = _meeting_label(item)
            for actor in item.data.get("deelnemers") or []:
                if str(actor.get("rol") or "").strip().lower() not in PARTICIPANT_ROLES:
                    continue
                entry = person(actor.get("persoon_id"), actor.get("naam"), actor.get("fractie"), when)
                if entry is not None and (when, label) not in entry.meetings:
                    entry.meetings.append((when, label))
                    entry.score += weight

    if commissies:
        commissie_id, _ = commissies.most_common(1)[0]
        for member in _commissie_leden(store, commissie_id, now.date()):
            entry = person(member.get("persoon_id"), member.get("naam"), member.get("fractie"), now.date().isoformat())
            if entry is not None:
                entry.commissie = commissie_names.get(commissie_id) or "voortouwcommissie"
                entry.score += WEIGHT_COMMISSIE

    _merge_name_only(people)
    _current_fracties(store, people)
    topic = _topic(dossier.title or dossier_id)
    excluded = list(dossier.woordvoerders.exclude or [])
    ranked = [p for p in people.values() if not any(_is(p, e) for e in excluded)]
    ranked.sort(key=lambda p: (-p.score, -_date_rank(p.last_seen), _norm(p.naam)))

    pinned: list[Woordvoerder] = []
    taken: set[str] = set()
    for pin in dossier.woordvoerders.pin or []:
        found = next((p for p in people.values() if _is(p, pin) and p.key not in taken), None)
        if found is not None:
            taken.add(found.key)
            reason = _reason(found, topic)
            pinned.append(_out(found, "vastgezet in rules.yaml" + (f"; {reason}" if reason else "")))
        else:
            naam, fractie = _split_pin(pin)
            pinned.append(Woordvoerder(naam=naam, fractie=fractie, reden="vastgezet in rules.yaml", score=float("inf")))
    inferred = [_out(p, _reason(p, topic)) for p in ranked if p.key not in taken]
    return pinned + inferred[: max(limit, 0)]


def _dossier_items(store: Store, index: KamerIndex, dossier_id: str) -> list[Item]:
    """Matched zaken, and activities that touch the dossier directly or through their agenda."""
    out: list[Item] = []
    for item_id, matches in index.matches.items():
        if any(m.dossier == dossier_id for m in matches):
            item = index.item(item_id)
            if item is not None and item.kind == KIND_ZAAK:
                out.append(item)
    for activity in index.activities():
        if dossier_id in index.activity_dossiers(activity):
            out.append(activity)
    return out


def _commissie_leden(store: Store, commissie_id: str, on: date) -> list[dict[str, Any]]:
    """Current members of a commissie from the Kamer source, or [] while it cannot tell us."""
    try:
        from .sources import tk
    except ImportError:
        return []
    lookup = getattr(tk, "commissie_leden", None)
    if lookup is None:
        return []
    try:
        return list(lookup(store, commissie_id, on))
    except sqlite3.OperationalError:
        return []  # the Kamer entity tables are not there yet (nothing fetched)


def _current_fracties(store: Store, people: dict[str, _Person]) -> None:
    """Use the Kamer source's person register for the current fractie, when it has one."""
    try:
        from .sources import tk
    except ImportError:
        return
    lookup = getattr(tk, "personen", None)
    if lookup is None:
        return
    try:
        register = lookup(store)
    except sqlite3.OperationalError:
        return
    for entry in people.values():
        known = register.get(entry.persoon_id) if entry.persoon_id else None
        if known and known.get("fractie"):
            entry.fractie = known["fractie"]


def _merge_name_only(people: dict[str, _Person]) -> None:
    # Signals without a persoon id (a new member, a sparse record) join the person with that name.
    by_name = {_norm(p.naam): p for p in people.values() if p.persoon_id}
    for key in [k for k in people if k.startswith("naam:")]:
        target = by_name.get(key[5:])
        if target is None:
            continue
        source = people.pop(key)
        target.score += source.score
        target.filed.update(source.filed)
        target.meetings += [m for m in source.meetings if m not in target.meetings]
        target.commissie = target.commissie or source.commissie
        target.see(source.naam, source.fractie, source.fractie_seen)


def _reason(person: _Person, topic: str) -> str:
    """'3 moties over jeugdzorg, deelnemer CD Jeugdbeleid 10-12, lid commissie VWS'."""
    parts: list[str] = []
    filed = [(soort, n) for (soort, own), n in person.filed.most_common() if own]
    co = [(soort, n) for (soort, own), n in person.filed.most_common() if not own]
    for soort, n in filed:
        single, plural = _ZAAK_WORDS.get(soort, (soort, soort))
        parts.append(f"{n} {single if n == 1 else plural}")
    for soort, n in co:
        single, plural = _ZAAK_WORDS.get(soort, (soort, soort))
        parts.append(f"mede-indiener {n} {single if n == 1 else plural}")
    if parts:
        parts[0] += f" over {topic}"
    if person.meetings:
        recent = sorted(person.meetings, reverse=True)
        shown = ", ".join(f"{label} {int(d[8:10])}-{int(d[5:7])}" for d, label in recent[:2])
        more = f" (+{len(recent) - 2})" if len(recent) > 2 else ""
        parts.append(f"deelnemer {shown}{more}")
    if person.commissie:
        parts.append(f"lid commissie {person.commissie}")
    return ", ".join(parts)


def _topic(title: str) -> str:
    """The short topic of a dossier title for a reason: 'Jeugdzorg en jeugdhulp' -> 'jeugdzorg'."""
    head = re.split(r",| en | & |/| - ", title.strip(), maxsplit=1)[0].strip() or title.strip()
    # Keep acronyms (Wmo, BUIG) and law names (Participatiewet) as written; lower a plain noun.
    if len(head) <= 4 or head.lower().endswith("wet") or not head[1:].islower():
        return head
    return head[0].lower() + head[1:]


def _meeting_label(activity: Item) -> str:
    soort = " ".join(str(activity.data.get("soort") or "").split())
    onderwerp = " ".join(str(activity.data.get("onderwerp") or activity.title or "").split())
    short = _SOORT_SHORT.get(soort.lower(), soort)
    if onderwerp.lower().startswith(soort.lower()):
        onderwerp = onderwerp[len(soort):].strip(" :-")
    return f"{short} {onderwerp}".strip()


def _out(person: _Person, reason: str) -> Woordvoerder:
    return Woordvoerder(naam=person.naam, fractie=person.fractie, reden=reason, persoon_id=person.persoon_id, score=person.score)


def _date_rank(value: str) -> int:
    return int(value.replace("-", "")) if value[:10].replace("-", "").isdigit() and value else 0


# ---------------------------------------------------------------------------- names


def _norm(text: str) -> str:
    """Lower case, no accents, single spaces: 'Ömtzigt,  P.H.' and 'omtzigt, p.h.' are equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().replace(".", ". ").split())


_PIN = re.compile(r"^\s*(?P<naam>.*?)\s*(?:\((?P<fractie>[^()]*)\))?\s*$")


def _split_pin(pin: str) -> tuple[str, str | None]:
    """'Anna Jansen (GL-PvdA)' -> ('Anna Jansen', 'GL-PvdA')."""
    found = _PIN.match(pin)
    if not found:
        return pin.strip(), None
    return found.group("naam") or pin.strip(), (found.group("fractie") or "").strip() or None


def _is(person: _Person, spec: str) -> bool:
    """Does a pin/exclude entry (a name, 'Name (Fractie)', or a persoon id) mean this person?"""
    spec = spec.strip()
    if not spec:
        return False
    if person.persoon_id and spec.lower() == person.persoon_id.lower():
        return True
    naam, fractie = _split_pin(spec)
    if fractie and person.fractie and _norm(fractie) != _norm(person.fractie):
        return False
    return same_name(naam, person.naam)


def same_name(a: str, b: str) -> bool:
    """Loose equality of Kamerlid names as people write them.

    'Jansen', 'A. Jansen', 'Anna Jansen' and 'A.M. Jansen' are the same person; 'B. Jansen' is
    not 'A. Jansen'. The surname is the last word; initials are compared when both have them.
    """
    x, y = _norm(a).split(), _norm(b).split()
    if not x or not y:
        return False
    if x == y:
        return True
    if x[-1] != y[-1]:
        return False
    first_x, first_y = x[:-1], y[:-1]
    # Drop tussenvoegsels (van, de, der, ...) so 'J. van der Berg' equals 'Van der Berg'.
    particles = {"van", "de", "der", "den", "het", "ter", "ten", "te", "in", "'t", "op"}
    first_x = [w for w in first_x if w not in particles]
    first_y = [w for w in first_y if w not in particles]
    if not first_x or not first_y:
        return True
    return first_x[0][0] == first_y[0][0]


# ---------------------------------------------------------------------------- text


def group_by_fractie(people: list[Woordvoerder]) -> list[tuple[str, list[Woordvoerder]]]:
    """The ranking grouped by fractie; fracties ordered by their best-ranked member."""
    groups: dict[str, list[Woordvoerder]] = {}
    for person in people:
        groups.setdefault(person.fractie or "fractie onbekend", []).append(person)
    return list(groups.items())


def woordvoerder_to_json(person: Woordvoerder) -> dict[str, Any]:
    """One woordvoerder for JSON output: naam, fractie, reden (plus persoon_id and score)."""
    return {"naam": person.naam, "fractie": person.fractie, "reden": person.reden, "persoon_id": person.persoon_id, "score": None if person.score == float("inf") else round(person.score, 2)}


def format_woordvoerders_text(people: list[Woordvoerder], title: str | None = None) -> str:
    """What `monitor woordvoerders DOSSIER` prints: per fractie, each person with the reason."""
    lines: list[str] = []
    if title:
        lines += [f"Woordvoerders {title} (afgelopen 12 maanden)", ""]
    if not people:
        lines.append("Geen Kamerleden gevonden: nog geen moties, vragen of debatten over dit dossier in de opgeslagen Kamerdata.")
        return "\n".join(lines) + "\n"
    for fractie, members in group_by_fractie(people):
        lines.append(fractie)
        for person in members:
            lines.append(f"  {person.naam}" + (f" — {person.reden}" if person.reden else ""))
    return "\n".join(lines) + "\n"
