"""Moments: turn the Kamer agenda into dates by which PA staff must act.

Input is what earlier stages stored: Kamer activities and zaken (the data shape is in the team
contract), the matches of items to dossiers, and the change log. Output is a list of
`models.Moment`, one per (meeting, kind of action), e.g. "brief the woordvoerders before the
commissiedebat Jeugd on Thursday 10 December: by Thursday 3 December".

How a meeting becomes a moment:

1. **Which dossiers.** An activity touches a dossier when the activity itself matched it (its
   text holds the onderwerp and all agenda text), or when a zaak or document on its agenda
   matched it (also when the zaak names the activity in `activiteit_ids`, or a matched document
   belongs to a zaak on the agenda). The agenda items responsible are kept as `triggers`.
2. **Which kinds.** The activity's `soort` decides (see `kinds_for_soort`): a commissiedebat
   asks for a briefing, a plenary debate for a briefing and a motie, a procedurevergadering
   for agendering, and so on. Unknown soorten yield nothing rather than failing.
3. **Which deadline.** The meeting's date minus N Dutch working days (`monitor.workdays`), N the
   dossier's lead time for the kind; when a meeting touches several dossiers the longest lead
   time (earliest deadline) wins.
4. **Which meeting.** The Kamer moves meetings by changing their date, or by cancelling them and
   creating a new activity that points back through `vervangen_vanuit`. Such a chain is one
   moment whose id derives from the chain's first activity, so ids survive moves and re-runs.
5. **Which status.** geannuleerd (Geannuleerd/Vervallen, or removed from the agenda), voorbij
   (the meeting has started), te laat (deadline passed, meeting still ahead: a late briefing
   beats none), verplaatst (moved at some point), else gepland. All as of `now`.

Reactie moments (no deadline) are new Brief regering / Motie / wetsvoorstel zaken and press
articles matched to a dossier, published inside the window.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .models import KIND_ACTIVITY, KIND_ARTICLE, KIND_ZAAK, Change, Item, Match, Moment, Woordvoerder
from .timeutil import AMS, format_nl, parse_instant
from .workdays import subtract_workdays

if TYPE_CHECKING:
    from .config import RulesConfig
    from .store import Store

# JSON `kind` values, in the order we show them when deadlines tie.
KINDS = ("brief", "inbreng", "agendering", "positionpaper", "motie", "stemming", "reactie")
STATUSES = ("gepland", "verplaatst", "geannuleerd", "te laat", "voorbij")

# Only used when a rules config lacks a kind; config.py merges the same defaults into every dossier.
FALLBACK_LEAD_TIMES = {"brief": 5, "inbreng": 3, "agendering": 2, "positionpaper": 7, "motie": 2, "stemming": 1}

# Moments that list the woordvoerders to approach (the issue: brief, inbreng and motie).
KINDS_WITH_WOORDVOERDERS = ("brief", "inbreng", "motie")
MOMENT_WOORDVOERDERS = 6

# Dutch wording of each kind, as the action PA staff take.
KIND_LABELS = {
    "brief": "Woordvoerders briefen",
    "inbreng": "Vragen aanleveren voor de inbreng",
    "agendering": "Agendering vragen",
    "positionpaper": "Position paper insturen",
    "motie": "Motietekst voorstellen",
    "stemming": "Fracties benaderen voor de stemming",
    "reactie": "Reageren",
}

# Zaak soorten that call for a reaction when they appear on a dossier ("Wetgeving" is the
# government bill; the Kamer never uses "Wetsvoorstel" as a zaak soort).
REACTIE_ZAAK_SOORTEN = ("brief regering", "motie", "wetgeving", "initiatiefwetgeving")

# Fields of the change log that are news about a meeting (event_at/eindtijd follow aanvangstijd).
MEETING_CHANGE_FIELDS = ("datum", "aanvangstijd", "eindtijd", "status", "agenda", "locatie", "onderwerp", "verwijderd")
ZAAK_CHANGE_FIELDS = ("kabinetsappreciatie", "uitslag", "afgedaan", "verwijderd")
CANCELLED = ("geannuleerd", "vervallen")

_BRIEF_SOORTEN = {"commissiedebat", "wetgevingsoverleg", "notaoverleg", "algemeen overleg", "begrotingsoverleg"}
_PLENARY_EXTRA = {"interpellatiedebat", "dertigledendebat", "meerderheidsdebat"}
_INBRENG_SOORTEN = {"inbreng schriftelijk overleg", "inbreng verslag (wetsvoorstel)", "inbreng feitelijke vragen"}
_POSITION_SOORTEN = {"rondetafelgesprek", "hoorzitting", "hoorzitting / rondetafelgesprek"}


def kinds_for_soort(soort: str | None) -> tuple[str, ...]:
    """The moment kinds an activity of this `Soort` asks for (empty for any other soort).

    The Kamer adds soorten without notice, so we map by name and let everything else pass.
    """
    s = " ".join((soort or "").lower().split())
    if not s:
        return ()
    if "tweeminutendebat" in s:
        return ("motie",)
    if s.startswith("plenair debat") or s in _PLENARY_EXTRA:
        return ("brief", "motie")
    if s in _BRIEF_SOORTEN:
        return ("brief",)
    if s in _INBRENG_SOORTEN or s.startswith("inbreng verslag"):
        return ("inbreng",)
    if s == "procedurevergadering":
        return ("agendering",)
    if s in _POSITION_SOORTEN:
        return ("positionpaper",)
    if s == "stemmingen":
        return ("stemming",)
    return ()


# ---------------------------------------------------------------------------- the link index


def _guid(item: Item) -> str:
    return str(item.data.get("id") or item.external_id.split("/", 1)[-1])


class KamerIndex:
    """Which stored Kamer items touch which dossier, built once per derivation.

    Holds the matches (restricted to dossiers still in the rules config) and the links between
    matched zaken/documents and activities, so a meeting can match through its agenda. Used by
    the moments and by `monitor.people`.
    """

    def __init__(self, store: Store, rules_config: RulesConfig) -> None:
        self.store = store
        self.rules_config = rules_config
        known = set(rules_config.dossiers)
        self.matches: dict[str, list[Match]] = {}
        for item_id, item_matches in store.all_matches().items():
            kept = [m for m in item_matches if m.dossier in known]
            if kept:
                self.matches[item_id] = kept
        # Reverse links: zaken that name an activity, documents that belong to a zaak.
        self.zaken_by_activity: dict[str, list[Item]] = {}
        self.documents_by_zaak: dict[str, list[str]] = {}
        self._items: dict[str, Item | None] = {}
        for item_id in self.matches:
            kind = item_id.split(":", 1)[-1].split("/", 1)[0]
            if kind not in ("zaak", "document"):
                continue
            item = self.item(item_id)
            if item is None:
                continue
            if item.kind == KIND_ZAAK:
                for activity_id in item.data.get("activiteit_ids") or []:
                    self.zaken_by_activity.setdefault(str(activity_id), []).append(item)
            elif item.kind == "document":
                for zaak_id in item.data.get("zaak_ids") or []:
                    self.documents_by_zaak.setdefault(f"{item.source}:zaak/{zaak_id}", []).append(item_id)
        self._matcher: Any = None
        self._matcher_loaded = False
        self._activity_dossiers: dict[str, dict[str, list[str]]] = {}
        self._activities: list[Item] | None = None

    def activities(self) -> list[Item]:
        """Every stored, non-deleted activity (loaded once)."""
        if self._activities is None:
            self._activities = list(self.store.iter_items(kinds=[KIND_ACTIVITY]))
        return self._activities

    def item(self, item_id: str) -> Item | None:
        """A stored, non-deleted item (cached)."""
        if item_id not in self._items:
            row = self.store.item_row(item_id)
            self._items[item_id] = self.store.get_item(item_id) if row and not row["deleted_at"] else None
        return self._items[item_id]

    def dossiers_of(self, item_id: str) -> set[str]:
        """The configured dossiers an item matched."""
        return {m.dossier for m in self.matches.get(item_id, [])}

    def _zaak_dossiers(self, zaak_item_id: str) -> set[str]:
        found = self.dossiers_of(zaak_item_id)
        for document_id in self.documents_by_zaak.get(zaak_item_id, []):
            found |= self.dossiers_of(document_id)
        return found

    def matcher(self) -> Any:
        """The compiled rule engine, or None while monitor.rules.engine is not available."""
        if not self._matcher_loaded:
            self._matcher_loaded = True
            try:
                from .rules.engine import compile_rules
            except ImportError:
                return None
            self._matcher = compile_rules(self.rules_config.dossiers.values())
        return self._matcher

    def activity_dossiers(self, activity: Item) -> dict[str, list[str]]:
        """The dossiers an activity touches, each with the agenda items that make it so.

        An empty trigger list means the activity matched as a whole (say, through its onderwerp)
        and no single agenda item could be named.
        """
        if activity.id not in self._activity_dossiers:
            self._activity_dossiers[activity.id] = self._find_activity_dossiers(activity)
        return self._activity_dossiers[activity.id]

    def _find_activity_dossiers(self, activity: Item) -> dict[str, list[str]]:
        found: dict[str, dict[str, tuple[str, list[str]]]] = {}

        def add(dossier: str, key: str, label: str, ref: str | None) -> None:
            entries = found.setdefault(dossier, {})
            text, refs = entries.setdefault(key, (label, []))
            if ref and ref not in refs:
                refs.append(ref)

        source = activity.source
        agendapunten = [ap for ap in activity.data.get("agendapunten") or [] if isinstance(ap, dict)]
        by_ap_id = {str(ap.get("id")): ap for ap in agendapunten if ap.get("id")}
        for ap in agendapunten:
            key = str(ap.get("id") or ap.get("onderwerp"))
            for zaak in ap.get("zaken") or []:
                for dossier in self._zaak_dossiers(f"{source}:zaak/{zaak.get('id')}"):
                    add(dossier, key, _ap_label(ap, zaak.get("titel") or zaak.get("onderwerp")), zaak.get("nummer"))
            for document in ap.get("documenten") or []:
                for dossier in self.dossiers_of(f"{source}:document/{document.get('id')}"):
                    add(dossier, key, _ap_label(ap, document.get("titel")), document.get("documentnummer"))
        for zaak in self.zaken_by_activity.get(_guid(activity), []):
            dossiers = self._zaak_dossiers(zaak.id)
            aps = [by_ap_id[str(a)] for a in zaak.data.get("agendapunt_ids") or [] if str(a) in by_ap_id]
            label = _ap_label(aps[0], zaak.title) if aps else (zaak.data.get("onderwerp") or zaak.title)
            key = str(aps[0].get("id")) if aps else zaak.id
            for dossier in dossiers:
                add(dossier, key, label, zaak.data.get("nummer"))
        own = self.dossiers_of(activity.id) - set(found)
        if own:
            for dossier, ap in self._direct_triggers(activity, agendapunten, own):
                add(dossier, str(ap.get("id") or ap.get("onderwerp")), _ap_label(ap, None), None)
            for dossier in own:
                found.setdefault(dossier, {})
        return {
            dossier: [f"{label} ({', '.join(refs)})" if refs else label for label, refs in entries.values()]
            for dossier, entries in found.items()
        }

    def _direct_triggers(self, activity: Item, agendapunten: list[dict[str, Any]], dossiers: set[str]) -> Iterable[tuple[str, dict[str, Any]]]:
        # The activity matched on its combined text; run the rules over each agenda item alone
        # to name the item(s) responsible. Without the engine we simply name none.
        matcher = self.matcher()
        if matcher is None:
            return
        for index, ap in enumerate(agendapunten):
            texts = [ap.get("onderwerp") or ""]
            for zaak in ap.get("zaken") or []:
                texts += [zaak.get("titel") or "", zaak.get("onderwerp") or ""]
            for document in ap.get("documenten") or []:
                texts.append(document.get("titel") or "")
            probe = Item(
                source=activity.source,
                external_id=f"{activity.external_id}#agendapunt-{index}",
                kind=KIND_ACTIVITY,
                title=ap.get("onderwerp") or "",
                text="\n".join(t for t in texts if t),
                data={"soort": activity.data.get("soort"), "commissie": activity.data.get("commissie")},
            )
            for dossier in {m.dossier for m in matcher.match(probe)} & dossiers:
                yield dossier, ap


def _ap_label(ap: dict[str, Any], fallback: str | None) -> str:
    return " ".join(str(ap.get("onderwerp") or fallback or "agendapunt").split())


# ---------------------------------------------------------------------------- meeting chains


@dataclass
class MeetingChain:
    """Activities that are one meeting: the first one and its re-creations (vervangen_vanuit)."""

    root: str  # the Kamer Id of the first activity we know of (stable across moves)
    members: list[Item] = field(default_factory=list)
    current: Item | None = None
    current_deleted: bool = False  # the Kamer deleted the current activity (a tombstone)


def _chains(store: Store) -> tuple[list[MeetingChain], dict[str, dict[str, Any]]]:
    """Group stored activities into chains; also return bookkeeping (first_seen, deleted_at) per item."""
    rows = {
        r["id"]: r
        for r in store.db.query("SELECT id, first_seen, deleted_at FROM items WHERE kind = ?", [KIND_ACTIVITY])
    }
    activities = list(store.iter_items(kinds=[KIND_ACTIVITY], include_deleted=True))
    by_guid = {_guid(a): a for a in activities}

    def root_of(guid: str) -> str:
        seen = {guid}
        while guid in by_guid:
            previous = by_guid[guid].data.get("vervangen_vanuit")
            if not previous or str(previous) in seen:
                break
            guid = str(previous)
            seen.add(guid)
        return guid

    chains: dict[tuple[str, str], MeetingChain] = {}
    for activity in activities:
        root = root_of(_guid(activity))
        chains.setdefault((activity.source, root), MeetingChain(root)).members.append(activity)
    replaced = {str(a.data["vervangen_vanuit"]) for a in activities if a.data.get("vervangen_vanuit")}
    for chain in chains.values():
        chain.members.sort(key=lambda a: (rows[a.id]["first_seen"] or "", a.id))
        leaves = [a for a in chain.members if _guid(a) not in replaced] or chain.members[-1:]
        # Branches are rare; prefer a live, planned meeting, then the latest date.
        chain.current = max(
            leaves,
            key=lambda a: (
                not rows[a.id]["deleted_at"],
                _status(a) not in CANCELLED + ("verplaatst",),
                a.data.get("datum") or "",
                rows[a.id]["first_seen"] or "",
            ),
        )
        chain.current_deleted = rows[chain.current.id]["deleted_at"] is not None
    return list(chains.values()), rows


def meeting_chains(store: Store) -> dict[str, MeetingChain]:
    """Each stored activity's chain (the meeting it is part of), by item id.

    A meeting the Kamer re-created under a new id (vervangen_vanuit) is one chain; its `root` is
    the first activity's Kamer id and `current` the activity that now stands for the meeting.
    """
    chains, _ = _chains(store)
    return {member.id: chain for chain in chains for member in chain.members}


def _status(activity: Item) -> str:
    return str(activity.data.get("status") or "").strip().lower()


def _meeting_date(activity: Item) -> date | None:
    value = activity.data.get("datum") or activity.event_at
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _meeting_start(activity: Item) -> str | None:
    """The meeting's start as stored (ISO), falling back to its date."""
    return activity.data.get("aanvangstijd") or activity.event_at or activity.data.get("datum")


# ---------------------------------------------------------------------------- derivation


def derive_moments(
    store: Store,
    rules_config: RulesConfig,
    now: datetime,
    window: tuple[date, date] | None = None,
    *,
    since: str | None = None,
    with_woordvoerders: bool = True,
) -> list[Moment]:
    """All moments touching the window, ordered by deadline (reactie moments last).

    A meeting moment is included when the span from its deadline to its meeting overlaps the
    window (so a late briefing for next week's debate still shows); a reactie moment when its
    item was published inside the window and not after `now`. Without a window: from 7 days
    before `now` to 90 days after. `since` (ISO) limits each moment's `changes` to changes seen
    after it (e.g. the previous run); the status still considers the whole history.
    """
    now = _aware(now)
    today = now.date()
    start, end = window or (today - timedelta(days=7), today + timedelta(days=90))
    index = KamerIndex(store, rules_config)
    chains, rows = _chains(store)
    moments: list[Moment] = []
    for chain in chains:
        moments += _meeting_moments(chain, rows, index, rules_config, now, start, end, since)
    moments += _reactie_moments(store, index, now, start, end, since)
    if with_woordvoerders:
        _attach_woordvoerders(moments, store, rules_config, now, index)
    moments.sort(key=_sort_key)
    return moments


def _sort_key(moment: Moment) -> tuple[Any, ...]:
    return (
        moment.deadline is None,
        moment.deadline or "",
        moment.event_at or "",
        KINDS.index(moment.kind) if moment.kind in KINDS else len(KINDS),
        moment.id,
    )


def _aware(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=AMS)).astimezone(AMS)


def moment_id(kind: str, source: str, root: str) -> str:
    """The stable id of a moment: its kind plus the first activity (or item) it derives from."""
    digest = hashlib.sha1(f"{source}|{root}|{kind}".encode()).hexdigest()[:16]
    return f"{kind}-{digest}"


def _meeting_moments(
    chain: MeetingChain,
    rows: dict[str, dict[str, Any]],
    index: KamerIndex,
    rules_config: RulesConfig,
    now: datetime,
    start: date,
    end: date,
    since: str | None,
) -> list[Moment]:
    current = chain.current
    assert current is not None
    kinds = kinds_for_soort(current.data.get("soort"))
    if not kinds:
        return []
    touched = index.activity_dossiers(current)
    if not touched:
        # A re-created meeting may not have its agenda yet: keep the dossiers it had before.
        for member in reversed(chain.members):
            if member is not current:
                touched = index.activity_dossiers(member)
                if touched:
                    break
    if not touched:
        return []
    dossiers = sorted(touched)
    triggers: list[str] = []
    for dossier in dossiers:
        triggers += [t for t in touched[dossier] if t not in triggers]

    status = _status(current)
    deleted = chain.current_deleted
    meeting_day = _meeting_date(current)
    # A meeting marked Verplaatst that the Kamer has not re-planned yet has no date to count from.
    awaiting_new_date = status == "verplaatst"
    known_day = meeting_day or next((d for d in map(_meeting_date, reversed(chain.members)) if d), None)
    if known_day is None:
        return []  # never had a date: nothing to plan yet

    history = [c for member in chain.members for c in _store_changes(index.store, member.id, None, now)]
    moved = (
        len(chain.members) > 1
        or awaiting_new_date
        or any(c.field in ("datum", "aanvangstijd") for c in history if c.item_id == current.id)
    )
    previous_days = {d for d in map(_meeting_date, chain.members) if d and d != meeting_day}
    previous_days |= {d for d in (_day(c.old) for c in history if c.field == "datum") if d and d != meeting_day}
    out: list[Moment] = []
    for kind in kinds:
        lead = max(_lead_time(rules_config, d, kind) for d in dossiers)
        deadline = subtract_workdays(meeting_day, lead) if meeting_day and not awaiting_new_date else None
        first = deadline or known_day
        in_window = first <= end and known_day >= start
        # A meeting moved out of the window is still news in it: "verplaatst van ... naar ...".
        if not in_window and not any(start <= d <= end for d in previous_days):
            continue
        if deleted or status in CANCELLED:
            state = "geannuleerd"
        elif _has_started(current, now) or status == "uitgevoerd":
            state = "voorbij"
        elif deadline is not None and now.date() > deadline:
            state = "te laat"
        elif moved:
            state = "verplaatst"
        else:
            state = "gepland"
        out.append(
            Moment(
                id=moment_id(kind, current.source, chain.root),
                kind=kind,
                dossiers=dossiers,
                title=_meeting_title(current),
                event_at=current.event_at or _meeting_start(current),
                deadline=deadline.isoformat() if deadline else None,
                status=state,
                activity=_activity_json(current),
                item_id=current.id,
                triggers=list(triggers),
                changes=_chain_changes(chain, rows, index.store, since, now),
            )
        )
    return out


def _lead_time(rules_config: RulesConfig, dossier: str, kind: str) -> int:
    config = rules_config.dossiers.get(dossier)
    if config is not None and kind in (config.lead_times or {}):
        return int(config.lead_times[kind])
    return int((rules_config.lead_times or {}).get(kind, FALLBACK_LEAD_TIMES.get(kind, 0)))


def _has_started(activity: Item, now: datetime) -> bool:
    value = _meeting_start(activity)
    if not value:
        return False
    if len(str(value)) <= 10:
        return now.date() > date.fromisoformat(str(value)[:10])
    return now >= parse_instant(str(value))


def _meeting_title(activity: Item) -> str:
    onderwerp = " ".join(str(activity.data.get("onderwerp") or activity.title or "").split())
    return onderwerp or str(activity.data.get("soort") or "Kameractiviteit")


def _activity_json(activity: Item) -> dict[str, Any]:
    data = activity.data
    return {
        "id": _guid(activity),
        "nummer": data.get("nummer"),
        "soort": data.get("soort"),
        "onderwerp": _meeting_title(activity),
        "commissie": _commissie_name(data.get("commissie")),
        "url": activity.url,
    }


def _store_changes(store: Store, item_id: str, since: str | None, now: datetime) -> list[Change]:
    """An item's changes after `since`, leaving out what was only seen after `now` (--now in the past)."""
    try:
        changes = store.changes_for(item_id, since)
    except sqlite3.OperationalError:  # an empty database without a changes table yet
        return []
    return [c for c in changes if _seen_by(c.seen_at, now)]


def _seen_by(seen_at: str | None, now: datetime) -> bool:
    if not seen_at:
        return True
    try:
        return parse_instant(seen_at) <= now
    except ValueError:
        return True


def _chain_changes(chain: MeetingChain, rows: dict[str, dict[str, Any]], store: Store, since: str | None, now: datetime) -> list[Change]:
    """The news about a meeting: its own changes plus a synthetic move per re-creation."""
    out: list[Change] = []
    by_guid = {_guid(m): m for m in chain.members}
    for member in chain.members:
        for change in _store_changes(store, member.id, since, now):
            if change.field not in MEETING_CHANGE_FIELDS:
                continue
            if member is not chain.current and change.field == "status":
                continue  # "Gepland -> Verplaatst" on the old activity is told by the move below
            out.append(change)
        previous = by_guid.get(str(member.data.get("vervangen_vanuit") or ""))
        seen_at = rows[member.id]["first_seen"] or ""
        if previous is not None and (since is None or seen_at > since) and _seen_by(seen_at, now):
            old, new = _meeting_start(previous), _meeting_start(member)
            if old != new:
                out.append(Change(member.id, "aanvangstijd", old, new, seen_at))
    out.sort(key=lambda c: c.seen_at)
    return out


# ---------------------------------------------------------------------------- reactie


def _reactie_moments(store: Store, index: KamerIndex, now: datetime, start: date, end: date, since: str | None) -> list[Moment]:
    upper = min(end, now.date())
    low, high = start.isoformat(), (upper + timedelta(days=1)).isoformat()
    out: list[Moment] = []
    for item_id in index.matches:
        if item_id.split(":", 1)[-1].split("/", 1)[0] in (KIND_ACTIVITY, "document"):
            continue  # cheap skip before loading: Kamer ids read "tk:activiteit/<guid>"
        item = index.item(item_id)
        if item is None or item.kind not in (KIND_ZAAK, KIND_ARTICLE):
            continue
        if item.kind == KIND_ZAAK and " ".join(str(item.data.get("soort") or "").lower().split()) not in REACTIE_ZAAK_SOORTEN:
            continue
        published = item.published_at or (store.item_row(item_id) or {}).get("first_seen")
        if not published or not (low <= published < high) or parse_instant(published) > now:
            continue
        matches = index.matches[item_id]
        changes = [c for c in _store_changes(store, item_id, since, now) if c.field in ZAAK_CHANGE_FIELDS]
        out.append(
            Moment(
                id=moment_id("reactie", item.source, item.external_id),
                kind="reactie",
                dossiers=sorted({m.dossier for m in matches}),
                title=_reactie_title(item),
                event_at=published,
                deadline=None,
                status="gepland",
                activity=_reactie_json(item),
                item_id=item.id,
                triggers=_snippets(matches),
                changes=changes,
            )
        )
    return out


def _reactie_title(item: Item) -> str:
    if item.kind == KIND_ZAAK:
        soort = str(item.data.get("soort") or "Zaak")
        text = item.data.get("onderwerp") if soort.lower() == "motie" else item.title
        return f"{soort}: {' '.join(str(text or item.title).split())}"
    return " ".join(item.title.split())


def _reactie_json(item: Item) -> dict[str, Any]:
    # For a reactie the "activity" describes the zaak or article to react to, so JSON readers
    # get its link and number in the same place as a meeting's.
    data = item.data
    return {
        "id": data.get("id") or item.external_id,
        "nummer": data.get("nummer"),
        "soort": data.get("soort") or ("Artikel" if item.kind == KIND_ARTICLE else None),
        "onderwerp": data.get("onderwerp") or item.title,
        "commissie": _commissie_name(data.get("commissie")),
        "url": item.url,
    }


def _snippets(matches: list[Match]) -> list[str]:
    out: list[str] = []
    for match in matches:
        text = " ".join((match.snippet or "").split()) or ", ".join(match.terms)
        if text and text not in out:
            out.append(text)
    return out


# ---------------------------------------------------------------------------- woordvoerders


def _attach_woordvoerders(moments: list[Moment], store: Store, rules_config: RulesConfig, now: datetime, index: KamerIndex) -> None:
    from .people import woordvoerders  # people builds on this module's index

    cache: dict[str, list[Woordvoerder]] = {}
    for moment in moments:
        if moment.kind not in KINDS_WITH_WOORDVOERDERS or moment.status in ("geannuleerd", "voorbij"):
            continue
        merged: list[Woordvoerder] = []
        keys: set[str] = set()
        per_dossier = []
        for dossier in moment.dossiers:
            if dossier not in cache:
                cache[dossier] = woordvoerders(store, rules_config, dossier, now, index=index)
            per_dossier.append(cache[dossier])
        # Interleave the dossiers' rankings so a multi-dossier meeting names the top of each.
        for rank in range(max((len(p) for p in per_dossier), default=0)):
            for ranking in per_dossier:
                if rank < len(ranking):
                    person = ranking[rank]
                    key = person.persoon_id or person.naam.lower()
                    if key not in keys:
                        keys.add(key)
                        merged.append(person)
        moment.woordvoerders = merged[:MOMENT_WOORDVOERDERS]


# ---------------------------------------------------------------------------- JSON


def moment_to_json(moment: Moment) -> dict[str, Any]:
    """The moment as `monitor run --format json` shows it (the shape of issue 4)."""
    return {
        "id": moment.id,
        "kind": moment.kind,
        "dossiers": list(moment.dossiers),
        "title": moment.title,
        "event_at": moment.event_at,
        "deadline": moment.deadline,
        "status": moment.status,
        "activity": dict(moment.activity) if moment.activity is not None else None,
        "woordvoerders": [{"naam": w.naam, "fractie": w.fractie, "reden": w.reden} for w in moment.woordvoerders],
        "changes": [{"field": c.field, "old": c.old, "new": c.new, "seen_at": c.seen_at} for c in moment.changes],
    }


# ---------------------------------------------------------------------------- Dutch text


def describe_changes(changes: list[Change]) -> list[str]:
    """Dutch phrases for a moment's changes: 'verplaatst van do 3 dec 13:00 naar do 17 dec 13:00'."""
    groups: dict[tuple[str, str], dict[str, Change]] = {}
    for change in changes:
        groups.setdefault((change.seen_at, change.item_id), {})[change.field] = change
    lines: list[str] = []
    for _, fields in sorted(groups.items()):
        move = fields.get("aanvangstijd") or fields.get("datum")
        status = fields.get("status")
        if move is not None and (move.old or move.new):
            with_time = move.field == "aanvangstijd"
            if move.new:
                lines.append(f"verplaatst van {_when(move.old, with_time)} naar {_when(move.new, with_time)}")
            else:
                lines.append(f"verplaatst van {_when(move.old, with_time)}; nieuwe datum nog niet bekend")
        elif "eindtijd" in fields and fields["eindtijd"].new:
            lines.append(f"eindtijd gewijzigd naar {_when(fields['eindtijd'].new, True)}")
        if status is not None:
            new = (status.new or "").strip().lower()
            if new in CANCELLED:
                lines.append("geannuleerd")
            elif new == "verplaatst" and move is None:
                lines.append("verplaatst; nieuwe datum nog niet bekend")
            elif new and new != "verplaatst":
                lines.append(f"status gewijzigd van {status.old or 'onbekend'} naar {status.new}")
        if "agenda" in fields:
            lines += _agenda_lines(fields["agenda"])
        if "locatie" in fields and fields["locatie"].new:
            lines.append(f"andere locatie: {fields['locatie'].new}")
        if "onderwerp" in fields and fields["onderwerp"].new:
            lines.append(f"onderwerp gewijzigd in '{fields['onderwerp'].new}'")
        if "verwijderd" in fields:
            lines.append("van de Kameragenda verwijderd" if fields["verwijderd"].new == "ja" else "weer op de Kameragenda")
        if "kabinetsappreciatie" in fields and fields["kabinetsappreciatie"].new:
            lines.append(f"kabinetsappreciatie: {fields['kabinetsappreciatie'].new}")
        if "uitslag" in fields and fields["uitslag"].new:
            lines.append(f"uitslag: {fields['uitslag'].new}")
    return lines


def _when(value: str | None, with_time: bool, with_year: bool = False) -> str:
    if not value:
        return "datum onbekend"
    try:
        return format_nl(value, with_time=with_time, with_year=with_year)
    except ValueError:
        return value


def _agenda_lines(change: Change) -> list[str]:
    old, new = _as_list(change.old), _as_list(change.new)
    lines = [f"nieuw agendapunt: {point}" for point in new if point not in old]
    lines += [f"agendapunt vervallen: {point}" for point in old if point not in new]
    return lines or ["agenda gewijzigd"]


def _as_list(value: str | None) -> list[str]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    return [str(p) for p in parsed] if isinstance(parsed, list) else [str(parsed)]


def _commissie_name(commissie: Any) -> str | None:
    if isinstance(commissie, dict):
        return commissie.get("afkorting") or commissie.get("naam")
    return str(commissie) if commissie else None


def _meeting_line(moment: Moment) -> str:
    activity = moment.activity or {}
    soort = str(activity.get("soort") or "")
    onderwerp = str(activity.get("onderwerp") or moment.title)
    what = f"{soort} {onderwerp}".strip()
    first = onderwerp.split()[0].lower() if onderwerp.split() else ""
    if onderwerp.lower().startswith(soort.lower()) or (len(first) >= 6 and first in soort.lower()):
        what = onderwerp  # "Procedurevergadering VWS", "Tweeminutendebat Wmo" say it already
    if moment.kind == "reactie":
        return what
    parts = [what]
    commissie = _commissie_name(activity.get("commissie"))
    if commissie:
        parts.append(f"commissie {commissie}")
    parts.append(_when(moment.event_at, True, with_year=True))
    return " · ".join(parts)


def _deadline_phrase(moment: Moment) -> str:
    if moment.kind == "reactie":
        return f"nieuw sinds {_when(moment.event_at, False)}"
    if moment.status == "geannuleerd":
        return "GEANNULEERD — geen actie meer nodig"
    if moment.deadline is None:
        return "VERPLAATST — nieuwe datum nog niet bekend"
    deadline = _when(moment.deadline, False)
    if moment.status == "te laat":
        return f"TE LAAT — deadline was {deadline}; nu alsnog"
    if moment.status == "voorbij":
        return f"voorbij (deadline was {deadline})"
    if moment.status == "verplaatst":
        return f"vóór {deadline} (verplaatst)"
    return f"vóór {deadline}"


def _dossier_names(moment: Moment, titles: dict[str, str] | None) -> str:
    return ", ".join((titles or {}).get(d, d) for d in moment.dossiers)


def _split(moments: list[Moment]) -> tuple[list[Moment], list[Moment]]:
    active = [m for m in moments if m.status not in ("geannuleerd", "voorbij")]
    rest = [m for m in moments if m.status in ("geannuleerd", "voorbij")]
    return active, rest


def format_moments_text(moments: list[Moment], titles: dict[str, str] | None = None) -> str:
    """Plain Dutch text for the report's "Actie nodig" section (no heading), ordered by deadline.

    Each moment: the action and deadline, the dossier(s), the meeting (soort, commissie, date and
    time, link), the agenda items that triggered it, the woordvoerders and the changes. Cancelled
    and past moments follow in a short list. `titles` maps dossier ids to their titles.
    """
    if not moments:
        return ""
    active, rest = _split(moments)
    out: list[str] = []
    for moment in active:
        out.append(f"• {KIND_LABELS.get(moment.kind, moment.kind)} {_deadline_phrase(moment)} [{_dossier_names(moment, titles)}]")
        out.append(f"  {_meeting_line(moment)}")
        if moment.activity and moment.activity.get("url"):
            out.append(f"  {moment.activity['url']}")
        label = "Waarom" if moment.kind == "reactie" else "Agendapunten"
        for trigger in moment.triggers[:5]:
            out.append(f"  {label}: {trigger}")
        if len(moment.triggers) > 5:
            out.append(f"  … en nog {len(moment.triggers) - 5} agendapunten")
        if moment.woordvoerders:
            out.append("  Woordvoerders:")
            for person in moment.woordvoerders:
                out.append(f"    - {_person(person)}")
        for line in describe_changes(moment.changes):
            out.append(f"  ! {line}")
        out.append("")
    if rest:
        out.append("Vervallen of voorbij:")
        for moment in rest:
            extra = "; ".join(line for line in describe_changes(moment.changes)[-1:] if line != moment.status)
            out.append(
                f"• {KIND_LABELS.get(moment.kind, moment.kind)}: {_meeting_line(moment)} — {moment.status}"
                + (f" ({extra})" if extra else "")
                + f" [{_dossier_names(moment, titles)}]"
            )
    return "\n".join(out).rstrip() + "\n"


def _person(person: Woordvoerder) -> str:
    who = f"{person.naam} ({person.fractie})" if person.fractie else person.naam
    return f"{who}: {person.reden}" if person.reden else who


def _md(text: str) -> str:
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def format_moments_markdown(moments: list[Moment], titles: dict[str, str] | None = None) -> str:
    """The Markdown variant of `format_moments_text` (a list, no heading)."""
    if not moments:
        return ""
    active, rest = _split(moments)
    out: list[str] = []
    for moment in active:
        out.append(f"- **{_md(KIND_LABELS.get(moment.kind, moment.kind))}** {_md(_deadline_phrase(moment))} · {_md(_dossier_names(moment, titles))}  ")
        meeting = _md(_meeting_line(moment))
        url = (moment.activity or {}).get("url")
        out.append(f"  [{meeting}]({url})  " if url else f"  {meeting}  ")
        label = "Waarom" if moment.kind == "reactie" else "Agendapunt"
        for trigger in moment.triggers[:5]:
            out.append(f"  {label}: {_md(trigger)}  ")
        if len(moment.triggers) > 5:
            out.append(f"  … en nog {len(moment.triggers) - 5} agendapunten  ")
        if moment.woordvoerders:
            out.append("  Woordvoerders: " + "; ".join(_md(_person(p)) for p in moment.woordvoerders) + "  ")
        for line in describe_changes(moment.changes):
            out.append(f"  ⚠ {_md(line)}  ")
    if rest:
        out += ["", "Vervallen of voorbij:", ""]
        for moment in rest:
            out.append(f"- ~~{_md(KIND_LABELS.get(moment.kind, moment.kind))}: {_md(_meeting_line(moment))}~~ — {moment.status} · {_md(_dossier_names(moment, titles))}")
    return "\n".join(line.rstrip() if not line.endswith("  ") else line for line in out).rstrip() + "\n"


def moment_view(moment: Moment, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """The moment as ready-made Dutch strings, for templates (HTML report, digest, calendar).

    Keys: id, kind, label ("Woordvoerders briefen"), status, deadline (ISO or None), when
    ("vóór do 3 dec", "TE LAAT — deadline was do 3 dec; nu alsnog"), dossiers (titles), meeting
    ("Commissiedebat Jeugdbeleid · commissie VWS · do 10 dec 10:00 2026"), url, triggers,
    woordvoerders (["A. Jansen (GL-PvdA): 3 moties over jeugdzorg", ...]), changes (Dutch lines),
    active (False when cancelled or past).
    """
    return {
        "id": moment.id,
        "kind": moment.kind,
        "label": KIND_LABELS.get(moment.kind, moment.kind),
        "status": moment.status,
        "deadline": moment.deadline,
        "when": _deadline_phrase(moment),
        "dossiers": [(titles or {}).get(d, d) for d in moment.dossiers],
        "meeting": _meeting_line(moment),
        "url": (moment.activity or {}).get("url"),
        "triggers": list(moment.triggers),
        "woordvoerders": [_person(p) for p in moment.woordvoerders],
        "changes": describe_changes(moment.changes),
        "active": moment.status not in ("geannuleerd", "voorbij"),
    }


def dossier_titles(rules_config: RulesConfig) -> dict[str, str]:
    """Dossier id -> title, for the text renderers."""
    return {d.id: d.title for d in rules_config.dossiers.values()}


def count_by_status(moments: list[Moment]) -> dict[str, int]:
    """How many moments per status (for a report's summary line)."""
    return dict(Counter(m.status for m in moments))
