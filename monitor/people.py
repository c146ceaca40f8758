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
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from . import transcripts, wording
from .kamer import KamerIndex, commissie_leden, is_debate, personen
from .models import KIND_ACTIVITY, KIND_DOCUMENT, KIND_ZAAK, Item, Meeting, Person, Woordvoerder, Zaak

if TYPE_CHECKING:
    from .config import RulesConfig
    from .transcripts import SpokenOn
    from .store import View

LOOKBACK_DAYS = 365
LOOKAHEAD_DAYS = 90  # registered deelnemers of meetings to come

# Score per signal. A filed motie or question outweighs a seat at a debate, which outweighs
# merely sitting on the committee (that only breaks ties and fills the list).
WEIGHT_INDIENER = 3.0
WEIGHT_MEDEINDIENER = 1.0
WEIGHT_DEBATE = 2.0  # deelnemer of a debate (commissiedebat, plenary, tweeminutendebat, ...)
WEIGHT_MEETING = 1.0  # deelnemer of another meeting (rondetafelgesprek, procedurevergadering, ...)
WEIGHT_COMMISSIE = 0.5
# Speaking on the dossier in a debate (from the transcript) is the strongest sign of all: per
# debate, plus up to as much again for a long contribution (one point per ten minutes).
WEIGHT_SPOKE = 4.0
WEIGHT_SPOKE_MAX_EXTRA = 4.0

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
    spoke: list[dict[str, Any]] = field(default_factory=list)  # per debate: titel, datum, seconden, passage

    def see(self, naam: str | None, fractie: str | None, when: str) -> None:
        if naam and (len(naam) > len(self.naam) or not self.naam):
            self.naam = naam  # the fullest form of the name we have seen
        if fractie and when >= self.fractie_seen:
            self.fractie, self.fractie_seen = fractie, when
        self.last_seen = max(self.last_seen, when)


def woordvoerders(view: View, rules_config: RulesConfig, dossier_id: str, limit: int = 10, *, index: KamerIndex | None = None) -> list[Woordvoerder]:
    """The Kamerleden to approach on one dossier, best first, each with the reason.

    Pinned people (rules.yaml `woordvoerders: pin`) come first and are always listed; excluded
    people never are. `limit` caps the inferred ones (pins come on top). Raises KeyError for a
    dossier that is not in the rules.
    """
    rules_config.dossiers[dossier_id]  # noqa: B018 - the KeyError is the interface
    return woordvoerders_for(view, rules_config, [dossier_id], limit, index=index)[dossier_id]


def woordvoerders_for(
    view: View, rules_config: RulesConfig, dossier_ids: Iterable[str], limit: int = 10, *, index: KamerIndex | None = None
) -> dict[str, list[Woordvoerder]]:
    """`woordvoerders` for several dossiers at once, from one pass over the Kamer data of the last year."""
    dossier_ids = [d for d in dossier_ids if d in rules_config.dossiers]
    now = view.as_of
    today = now.date()
    since = (today - timedelta(days=LOOKBACK_DAYS)).isoformat()
    until = (today + timedelta(days=LOOKAHEAD_DAYS)).isoformat()
    index = index or KamerIndex(view, rules_config.dossiers)
    zaken = index.dossier_items(dossier_ids, [KIND_ZAAK], published_from=since, published_to=(today + timedelta(days=1)).isoformat())
    meetings = _dossier_meetings(view, index, dossier_ids, today - timedelta(days=LOOKBACK_DAYS), today + timedelta(days=LOOKAHEAD_DAYS))
    register = personen(view, today)
    spoken: dict[str, list[SpokenOn]] = {}
    for found in transcripts.spoken_on_view(view, dossier_ids, since, today.isoformat()):
        spoken.setdefault(found.dossier, []).append(found)
    out: dict[str, list[Woordvoerder]] = {}
    for dossier_id in dossier_ids:
        out[dossier_id] = _rank(
            view, rules_config, dossier_id, zaken.get(dossier_id, []), meetings.get(dossier_id, []), register, since, until, limit,
            spoken.get(dossier_id, []),
        )
    return out


def _rank(
    view: View,
    rules_config: RulesConfig,
    dossier_id: str,
    zaken: list[Item],
    meetings: list[Item],
    register: dict[str, dict[str, Any]],
    since: str,
    until: str,
    limit: int,
    spoken: list[SpokenOn] = (),  # type: ignore[assignment]
) -> list[Woordvoerder]:
    dossier = rules_config.dossiers[dossier_id]
    today = view.as_of.date().isoformat()
    people: dict[str, _Person] = {}
    commissies: Counter[str] = Counter()
    commissie_names: dict[str, str] = {}

    def person(who: Person, when: str) -> _Person:
        key = who.persoon_id or "naam:" + _norm(who.naam)
        entry = people.setdefault(key, _Person(key, who.naam, who.persoon_id))
        entry.see(who.naam, who.fractie, when)
        return entry

    def count_commissie(commissie: Any) -> None:
        if commissie is not None and commissie.id and not commissie.plenary:
            commissies[commissie.id] += 1
            commissie_names[commissie.id] = commissie.short

    for item in zaken:
        zaak = Zaak.from_item(item)
        when = zaak.gestart_op.isoformat() if zaak.gestart_op else ""
        if not when or not since <= when <= today:
            continue
        count_commissie(zaak.commissie)
        soort = " ".join(zaak.soort.lower().split())
        for actor in zaak.indieners:
            entry = person(actor, when)
            entry.filed[(soort, actor.indiener)] += 1
            entry.score += WEIGHT_INDIENER if actor.indiener else WEIGHT_MEDEINDIENER
    for item in meetings:
        meeting = Meeting.from_item(item)
        when = meeting.day.isoformat() if meeting.day else ""
        if not when or not since <= when <= until or meeting.status.cancelled:
            continue
        count_commissie(meeting.commissie)
        weight = WEIGHT_DEBATE if is_debate(meeting.soort) else WEIGHT_MEETING
        label = _meeting_label(meeting)
        for actor in meeting.deelnemers:
            if (actor.rol or "").strip().lower() not in PARTICIPANT_ROLES:
                continue
            entry = person(actor, when)
            if (when, label) not in entry.meetings:
                entry.meetings.append((when, label))
                entry.score += weight

    for found in spoken:
        # The register's style of the name ("A.B. Jansen"), as on moties and deelnemers, when we know who it is.
        naam = (register.get(found.persoon_id or "") or {}).get("naam") or found.naam
        entry = person(Person(naam, found.fractie, found.persoon_id), found.datum)
        entry.spoke.append({"titel": _debate_label(found.activity_soort, found.activity_titel), "datum": found.datum, "seconden": found.seconds, "passage": found.passage, "parlisid": found.parlisid})
        entry.score += WEIGHT_SPOKE + min(found.seconds / 600, WEIGHT_SPOKE_MAX_EXTRA)

    if commissies:
        commissie_id, _ = commissies.most_common(1)[0]
        for member in commissie_leden(view, commissie_id, view.as_of.date()):
            entry = person(Person(member.get("naam") or "", member.get("fractie"), member.get("persoon_id")), today)
            entry.commissie = commissie_names.get(commissie_id) or "voortouwcommissie"
            entry.score += WEIGHT_COMMISSIE

    _merge_name_only(people)
    for entry in people.values():
        known = register.get(entry.persoon_id) if entry.persoon_id else None
        if known and known.get("fractie"):
            entry.fractie = known["fractie"]
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


def _dossier_meetings(view: View, index: KamerIndex, dossier_ids: list[str], start: date, end: date) -> dict[str, list[Item]]:
    """Per dossier, the meetings from `start` to `end` that touch it (directly or through their agenda)."""
    by_dossier = view.matched_ids(dossier_ids, [KIND_ZAAK, KIND_DOCUMENT, KIND_ACTIVITY])
    matched = {i for ids in by_dossier.values() for i in ids}
    refs = [i for i in matched if ":activiteit/" not in i]
    zaken_of_docs = view.linked([i for i in refs if ":document/" in i], "zaak")
    targets = set(refs) | {z for zs in zaken_of_docs.values() for z in zs}
    candidates = {i for i in matched if ":activiteit/" in i}
    candidates |= {a for acts in view.linked(targets, "agenda", reverse=True).values() for a in acts}
    candidates |= {a for acts in view.linked([t for t in targets if ":zaak/" in t], "activity").values() for a in acts}
    low, high = start.isoformat(), (end + timedelta(days=1)).isoformat()
    activities = [a for a in view.items(sorted(candidates)).values() if a.kind == KIND_ACTIVITY and a.event_at and low <= a.event_at < high]
    index.prepare(activities)
    out: dict[str, list[Item]] = {d: [] for d in dossier_ids}
    for activity in activities:
        for dossier in index.touches(activity):
            if dossier in out:
                out[dossier].append(activity)
    return out


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
        target.spoke += source.spoke
        target.see(source.naam, source.fractie, source.fractie_seen)


def _reason(person: _Person, topic: str) -> str:
    """'3 moties over jeugdzorg, deelnemer CD Jeugdbeleid 10-12, lid commissie VWS'."""
    parts: list[str] = []
    if person.spoke:
        newest = max(person.spoke, key=lambda s: (s["datum"], s["seconden"]))
        parts.append(wording.spoke_on(newest["seconden"], newest["titel"], newest["datum"]) + (f" (+{len(person.spoke) - 1} debat)" if len(person.spoke) == 2 else f" (+{len(person.spoke) - 1} debatten)" if len(person.spoke) > 2 else ""))
    filed = [(soort, n) for (soort, own), n in person.filed.most_common() if own]
    co = [(soort, n) for (soort, own), n in person.filed.most_common() if not own]
    for soort, n in filed:
        single, plural = _ZAAK_WORDS.get(soort, (soort, soort))
        parts.append(f"{n} {single if n == 1 else plural}")
    for soort, n in co:
        single, plural = _ZAAK_WORDS.get(soort, (soort, soort))
        parts.append(f"mede-indiener {n} {single if n == 1 else plural}")
    if len(parts) > len(person.spoke[:1]):
        parts[len(person.spoke[:1])] += f" over {topic}"
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


def _meeting_label(meeting: Meeting) -> str:
    return _debate_label(meeting.soort, meeting.onderwerp)


def _debate_label(soort: str, onderwerp: str) -> str:
    """'CD Jeugdbeleid': the meeting's soort shortened as PA staff write it, then its subject."""
    short = _SOORT_SHORT.get(soort.lower(), soort)
    if onderwerp.lower().startswith(soort.lower()):
        onderwerp = onderwerp[len(soort):].strip(" :-")
    return f"{short} {onderwerp}".strip()


def _out(person: _Person, reason: str) -> Woordvoerder:
    debates = tuple(sorted(person.spoke, key=lambda s: (s["datum"], s["titel"]), reverse=True))
    return Woordvoerder(
        naam=person.naam, fractie=person.fractie, reden=reason, persoon_id=person.persoon_id, score=person.score,
        spreektijd_s=sum(s["seconden"] for s in debates), debatten=debates,
    )


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
