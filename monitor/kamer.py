"""The read model over stored Kamer data: meetings and their chains, which dossiers they touch, people.

Moments, woordvoerders and the briefing all read the Kamer through this module, as of a moment
(a `store.View`):

- **Soorten.** What kind of meeting an Activiteit.Soort is, and which actions it asks for
  (`kinds_for_soort`). The Kamer adds soorten without notice; unknown ones ask for nothing.
- **Meeting chains.** The Kamer moves a meeting by changing its date, or by setting it to
  Verplaatst and creating a new activity that points back through VervangenVanuit. Such a chain
  is one meeting: its root is the first activity, its current member the one that stands now.
- **Dossier links** (`KamerIndex`). A meeting touches a dossier when it matched itself, or when a
  zaak or document on its agenda (or a zaak that names it, or a document of such a zaak) did.
- **People.** The Kamer's register of persons, fracties and commissie seats, for woordvoerders.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .models import KIND_ACTIVITY, KIND_ZAAK, Item, Match, Meeting, MeetingStatus, MomentKind
from .store import View

# ---------------------------------------------------------------------------- soorten

_BRIEF_SOORTEN = {"commissiedebat", "wetgevingsoverleg", "notaoverleg", "algemeen overleg", "begrotingsoverleg"}
_PLENARY_DEBATES = {"interpellatiedebat", "dertigledendebat", "meerderheidsdebat"}
_INBRENG_SOORTEN = {"inbreng schriftelijk overleg", "inbreng verslag (wetsvoorstel)", "inbreng feitelijke vragen"}
_POSITION_SOORTEN = {"rondetafelgesprek", "hoorzitting", "hoorzitting / rondetafelgesprek"}


def kinds_for_soort(soort: str | None) -> tuple[MomentKind, ...]:
    """The actions an activity of this Soort asks for (empty for any other soort)."""
    s = " ".join((soort or "").lower().split())
    if not s:
        return ()
    if "tweeminutendebat" in s:
        return (MomentKind.MOTIE,)
    if s.startswith("plenair debat") or s in _PLENARY_DEBATES:
        return (MomentKind.BRIEF, MomentKind.MOTIE)
    if s in _BRIEF_SOORTEN:
        return (MomentKind.BRIEF,)
    if s in _INBRENG_SOORTEN or s.startswith("inbreng verslag"):
        return (MomentKind.INBRENG,)
    if s == "procedurevergadering":
        return (MomentKind.AGENDERING,)
    if s in _POSITION_SOORTEN:
        return (MomentKind.POSITIONPAPER,)
    if s == "stemmingen":
        return (MomentKind.STEMMING,)
    return ()


def is_debate(soort: str | None) -> bool:
    """A debate (where woordvoerders speak and moties are filed), not a procedural meeting."""
    return bool({MomentKind.BRIEF, MomentKind.MOTIE} & set(kinds_for_soort(soort)))


# ---------------------------------------------------------------------------- meeting chains


@dataclass
class MeetingChain:
    """Activities that are one meeting: the first one and its re-creations (VervangenVanuit)."""

    root: str  # the Kamer Id of the first activity we know of (stable across moves)
    members: list[Item] = field(default_factory=list)  # oldest first
    current: Item | None = None
    current_deleted: bool = False  # the Kamer deleted the current activity (a tombstone)

    @property
    def meeting(self) -> Meeting:
        """The current member, typed."""
        assert self.current is not None
        return Meeting.from_item(self.current)

    @property
    def previous(self) -> Meeting | None:
        """The member the current one re-creates, when the Kamer re-created the meeting."""
        if self.current is None:
            return None
        replaced = Meeting.from_item(self.current).replaces
        for member in self.members:
            if member is not self.current and _guid(member) == replaced:
                return Meeting.from_item(member)
        return None

    @property
    def ids(self) -> list[str]:
        """Item ids of every member."""
        return [m.id for m in self.members]

    @property
    def key(self) -> str:
        """An item-id-shaped key of the whole chain: '<source>:activiteit/<root>'."""
        assert self.current is not None
        return f"{self.current.source}:activiteit/{self.root}"


def meeting_chains(view: View, activities: Iterable[Item]) -> list[MeetingChain]:
    """The chains of these activities (with every member, also those outside the first set).

    Follows VervangenVanuit both ways through the store's link table, as known at `view.as_of`.
    """
    members: dict[str, Item] = {a.id: a for a in activities}
    frontier = list(members)
    while frontier:
        found = view.linked(frontier, "replaces")
        found_back = view.linked(frontier, "replaces", reverse=True)
        new_ids = {i for ids in (*found.values(), *found_back.values()) for i in ids if i not in members}
        frontier = []
        for item_id, item in view.items(new_ids, deleted=True).items():
            members[item_id] = item
            frontier.append(item_id)
    by_guid = {_guid(a): a for a in members.values()}

    def root_of(guid: str) -> str:
        seen = {guid}
        while guid in by_guid:
            previous = Meeting.from_item(by_guid[guid]).replaces
            if not previous or previous in seen:
                break
            guid = previous
            seen.add(guid)
        return guid

    chains: dict[tuple[str, str], MeetingChain] = {}
    for activity in members.values():
        chains.setdefault((activity.source, root_of(_guid(activity))), MeetingChain(root_of(_guid(activity)))).members.append(activity)
    replaced = {m.replaces for m in (Meeting.from_item(a) for a in members.values()) if m.replaces}
    for chain in chains.values():
        chain.members.sort(key=lambda a: (view.first_seen(a.id) or "", a.id))
        leaves = [a for a in chain.members if _guid(a) not in replaced] or chain.members[-1:]

        def rank(a: Item) -> tuple[Any, ...]:
            # Branches are rare; prefer a live, planned meeting, then the latest date.
            status = MeetingStatus.parse(a.data.get("status"))
            return (not view.is_deleted(a.id), not (status.cancelled or status is MeetingStatus.VERPLAATST), a.data.get("datum") or "", view.first_seen(a.id) or "")

        chain.current = max(leaves, key=rank)
        chain.current_deleted = view.is_deleted(chain.current.id)
    return sorted(chains.values(), key=lambda c: (c.current.event_at or "" if c.current else "", c.root))


def _guid(item: Item) -> str:
    return str(item.data.get("id") or item.external_id.rpartition("/")[2])


# ---------------------------------------------------------------------------- dossier links


class KamerIndex:
    """Which dossiers a meeting touches, and through which agenda points, as of a view.

    `dossiers` limits the answer to the configured dossiers (matches stored for a dossier that
    left rules.yaml are ignored). `match_text` runs the rules over one agenda point's text, to
    name the point responsible when a meeting matched as a whole; without it none is named.
    """

    def __init__(self, view: View, dossiers: Iterable[str], match_text: Callable[[Item], list[Match]] | None = None) -> None:
        self.view = view
        self.known = set(dossiers)
        self.match_text = match_text
        self._touch: dict[str, dict[str, list[str]]] = {}

    def dossiers_of(self, item_id: str) -> set[str]:
        """The configured dossiers an item matched (as of the view)."""
        return {m.dossier for m in self.view.matches([item_id]).get(item_id, []) if m.dossier in self.known}

    def prepare(self, activities: Iterable[Item]) -> None:
        """Load what `touches` needs for many meetings in a few queries."""
        activities = list(activities)
        ids = [a.id for a in activities]
        agenda = self.view.linked(ids, "agenda")
        naming = self.view.linked(ids, "activity", reverse=True)
        zaken = {z for zs in (*agenda.values(), *naming.values()) for z in zs if ":zaak/" in z}
        documents = self.view.linked(zaken, "document")
        named = {i for v in naming.values() for i in v}
        refs = set(ids) | {i for v in agenda.values() for i in v} | named | {d for v in documents.values() for d in v}
        self.view.matches(refs)
        # Only the zaken that name a meeting are read in full (for the agendapunt they name);
        # of the rest `touches` needs the matches alone.
        self.view.load(set(ids) | named)

    def touches(self, activity: Item) -> dict[str, list[str]]:
        """The dossiers an activity touches, each with the agenda points that make it so.

        An empty list means the activity matched as a whole (say, through its onderwerp) and no
        single agenda point could be named. Labels read 'Onderwerp (2026Z12345)'.
        """
        if activity.id not in self._touch:
            self._touch[activity.id] = self._find(activity)
        return self._touch[activity.id]

    def _zaak_dossiers(self, zaak_item_id: str) -> set[str]:
        found = self.dossiers_of(zaak_item_id)
        for document_id in self.view.linked([zaak_item_id], "document").get(zaak_item_id, []):
            found |= self.dossiers_of(document_id)
        return found

    def _find(self, activity: Item) -> dict[str, list[str]]:
        found: dict[str, dict[str, tuple[str, list[str]]]] = {}

        def add(dossier: str, key: str, label: str, ref: str | None) -> None:
            _, refs = found.setdefault(dossier, {}).setdefault(key, (label, []))
            if ref and ref not in refs:
                refs.append(ref)

        meeting = Meeting.from_item(activity)
        source = activity.source
        for point in meeting.agenda:
            key = point.id or point.onderwerp
            for zaak in point.zaken:
                for dossier in self._zaak_dossiers(f"{source}:zaak/{zaak.id}"):
                    add(dossier, key, point.onderwerp, zaak.nummer)
            for document in point.documenten:
                for dossier in self.dossiers_of(f"{source}:document/{document.id}"):
                    add(dossier, key, point.onderwerp, document.documentnummer)
        for zaak_id in self.view.linked([activity.id], "activity", reverse=True).get(activity.id, []):
            zaak = self.view.item(zaak_id)
            if zaak is None or zaak.kind != KIND_ZAAK:
                continue
            guid = _guid(zaak)
            named = set(json_list(zaak.data.get("agendapunt_ids")))
            point = next((p for p in meeting.agenda if any(z.id == guid for z in p.zaken)), None)
            if point is None:  # the agendapunt lists no zaken, but the zaak names the agendapunt
                point = next((p for p in meeting.agenda if p.id and p.id in named), None)
            label = point.onderwerp if point else (zaak.data.get("onderwerp") or zaak.title)
            key = (point.id or point.onderwerp) if point else zaak_id
            for dossier in self._zaak_dossiers(zaak_id):
                add(dossier, key, " ".join(str(label).split()), zaak.data.get("nummer"))
        own = self.dossiers_of(activity.id) - set(found)
        if own:
            for dossier, point in self._direct(activity, meeting, own):
                add(dossier, point.id or point.onderwerp, point.onderwerp, None)
            for dossier in own:
                found.setdefault(dossier, {})
        return {
            dossier: [f"{label} ({', '.join(refs)})" if refs else label for label, refs in entries.values()]
            for dossier, entries in sorted(found.items())
        }

    def _direct(self, activity: Item, meeting: Meeting, dossiers: set[str]) -> Iterable[tuple[str, Any]]:
        # The activity matched on its combined text; run the rules over each agenda point alone
        # to name the point(s) responsible.
        if self.match_text is None:
            return
        for index, point in enumerate(meeting.agenda):
            texts = [point.onderwerp] + [t for z in point.zaken for t in (z.titel or "", z.onderwerp or "")] + [d.titel or "" for d in point.documenten]
            probe = Item(
                source=activity.source,
                external_id=f"{activity.external_id}#agendapunt-{index}",
                kind=KIND_ACTIVITY,
                title=point.onderwerp,
                text="\n".join(t for t in texts if t),
                data={"soort": activity.data.get("soort"), "commissie": activity.data.get("commissie")},
            )
            for dossier in sorted({m.dossier for m in self.match_text(probe)} & dossiers):
                yield dossier, point

    def dossier_items(self, dossier_ids: Iterable[str], kinds: Iterable[str], *, published_from: str, published_to: str) -> dict[str, list[Item]]:
        """Per dossier, the matched items of `kinds` dated in [published_from, published_to)."""
        dossier_ids = list(dossier_ids)
        ids = self.view.matched(dossier_ids, kinds, published_from=published_from, published_to=published_to)
        items = self.view.items(ids)
        matches = self.view.matches(list(items))
        out: dict[str, list[Item]] = {d: [] for d in dossier_ids}
        for item_id, item in items.items():
            for dossier in sorted({m.dossier for m in matches[item_id]} & set(dossier_ids)):
                out[dossier].append(item)
        return out


# ---------------------------------------------------------------------------- people


def personen(view: View, on: date) -> dict[str, dict[str, Any]]:
    """Every known Kamerlid by persoon id: naam and the fractie they sit for on `on` (empty before the Kamer was fetched)."""
    from .sources import tk

    key = ("personen", on)
    if key not in view.memo:
        view.memo[key] = tk.personen(view.store, on)
    return view.memo[key]


def commissie_leden(view: View, commissie_id: str, on: date) -> list[dict[str, Any]]:
    """The vaste leden of a commissie on `on`: [{persoon_id, naam, fractie, functie}]."""
    from .sources import tk

    return tk.commissie_leden(view.store, commissie_id, on, register=personen(view, on))


def json_list(value: Any) -> list[str]:
    """A list stored in the change log as JSON text (or a bare value) back as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
