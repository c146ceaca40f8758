"""Moments: turn the Kamer agenda into dates by which PA staff must act.

Input is what earlier stages stored, read as of a moment through a `store.View`; output is a
list of `models.Moment`, one per (meeting, kind of action), e.g. "brief the woordvoerders before
the commissiedebat Jeugd on Thursday 10 December: by Thursday 3 December". Nothing is worded
here (that is `monitor.wording`) and nothing is written (the pipeline stores the result).

How a meeting becomes a moment:

1. **Which dossiers.** `kamer.KamerIndex`: the meeting matched itself, or a zaak or document on
   its agenda did. The agenda points responsible are kept as `triggers`.
2. **Which kinds.** The activity's soort decides (`kamer.kinds_for_soort`): a commissiedebat
   asks for a briefing, a plenary debate for a briefing and a motie, and so on.
3. **Which deadline.** The meeting's date minus N Dutch working days (`monitor.workdays`), N the
   dossier's lead time for the kind; with several dossiers the longest lead time wins.
4. **Which meeting.** A chain of activities (`kamer.meeting_chains`) is one moment whose id
   derives from the chain's first activity, so ids survive moves and re-runs.
5. **Which status**, as of the view: geannuleerd (Geannuleerd/Vervallen, or deleted), voorbij
   (the meeting has started or was held), te laat (deadline passed, meeting ahead: a late
   briefing beats none), verplaatst (moved at some point), else gepland.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .kamer import KamerIndex, MeetingChain, kinds_for_soort, meeting_chains
from .models import Item, Match, Meeting, MeetingStatus, Moment, MomentKind, MomentStatus
from .timeutil import AMS
from .workdays import subtract_workdays

if TYPE_CHECKING:
    from .config import RulesConfig
    from .store import View

__all__ = ["derive_moments", "moment_id", "kinds_for_soort", "FALLBACK_LEAD_TIMES", "KINDS_WITH_WOORDVOERDERS"]

# Only used when a rules config lacks a kind; config.py merges the same defaults into every dossier.
FALLBACK_LEAD_TIMES = {"brief": 5, "inbreng": 3, "agendering": 2, "positionpaper": 7, "motie": 2, "stemming": 1}

# Moments that list the woordvoerders to approach.
KINDS_WITH_WOORDVOERDERS = (MomentKind.BRIEF, MomentKind.INBRENG, MomentKind.MOTIE)
MOMENT_WOORDVOERDERS = 6
MOVES_LOOKBACK_DAYS = 60  # a meeting that moved out of the window within this time is still news in it


def derive_moments(
    view: View,
    rules_config: RulesConfig,
    window: tuple[date, date] | None = None,
    *,
    match_text: Callable[[Item], list[Match]] | None = None,
    with_woordvoerders: bool = True,
    chains: list[MeetingChain] | None = None,
    index: KamerIndex | None = None,
) -> list[Moment]:
    """All moments touching the window, as of `view.as_of`, ordered by deadline.

    A moment is included when the span from its deadline to its meeting overlaps the window (so
    a late briefing for next week's debate still shows), or when its meeting was in the window
    before it moved. Without a window: from 7 days before as_of to 90 days after. `chains` and
    `index` let a caller that has them (the briefing) share them.
    """
    now = view.as_of
    today = now.date()
    start, end = window or (today - timedelta(days=7), today + timedelta(days=90))
    if chains is None:
        chains = relevant_chains(view, rules_config, start, end)
    if index is None:
        index = KamerIndex(view, rules_config.dossiers, match_text)
    index.prepare(member for chain in chains for member in chain.members)
    histories = view.changes([m.id for chain in chains for m in chain.members])
    moments: list[Moment] = []
    for chain in chains:
        moments += _chain_moments(chain, index, histories, rules_config, now, start, end)
    if with_woordvoerders:
        _attach_woordvoerders(moments, view, rules_config, index)
    moments.sort(key=_sort_key)
    return moments


def relevant_chains(view: View, rules_config: RulesConfig, start: date, end: date) -> list[MeetingChain]:
    """The meeting chains whose moments could touch [start, end]: meetings from `start` to a
    lead time after `end`, and meetings that moved recently (they may have left the window)."""
    longest = max([*FALLBACK_LEAD_TIMES.values(), *(rules_config.lead_times or {}).values()] + [v for d in rules_config.dossiers.values() for v in (d.lead_times or {}).values()])
    margin = math.ceil(longest * 7 / 5) + 7  # working days to calendar days, with room for holidays
    activities = view.activities(start, end + timedelta(days=margin))
    since = (datetime.combine(start, datetime.min.time(), AMS) - timedelta(days=MOVES_LOOKBACK_DAYS)).isoformat()
    moved = view.items(view.moved_activities(since), deleted=True)
    seeds = {a.id: a for a in activities} | moved
    return meeting_chains(view, seeds.values())


def moment_id(kind: str, source: str, root: str) -> str:
    """The stable id of a moment: its kind plus the first activity it derives from."""
    digest = hashlib.sha1(f"{source}|{root}|{kind}".encode()).hexdigest()[:16]
    return f"{kind}-{digest}"


def _sort_key(moment: Moment) -> tuple[Any, ...]:
    kinds = list(MomentKind)
    return (moment.deadline is None, moment.deadline or date.max, moment.meeting.start or datetime.max.replace(tzinfo=AMS), kinds.index(moment.kind), moment.id)


def _chain_moments(
    chain: MeetingChain,
    index: KamerIndex,
    histories: dict[str, list[Any]],
    rules_config: RulesConfig,
    now: datetime,
    start: date,
    end: date,
) -> list[Moment]:
    current = chain.current
    assert current is not None
    meeting = Meeting.from_item(current)
    kinds = kinds_for_soort(meeting.soort)
    if not kinds:
        return []
    touched = index.touches(current)
    if not touched:
        # A re-created meeting may not have its agenda yet: keep the dossiers it had before.
        for member in reversed(chain.members):
            if member is not current:
                touched = index.touches(member)
                if touched:
                    break
    if not touched:
        return []
    dossiers = sorted(touched)
    triggers: list[str] = []
    for dossier in dossiers:
        triggers += [t for t in touched[dossier] if t not in triggers]

    awaiting_new_date = meeting.status is MeetingStatus.VERPLAATST  # no date to count from yet
    days = [Meeting.from_item(m).day for m in chain.members]
    known_day = meeting.day or next((d for d in reversed(days) if d), None)
    if known_day is None:
        return []  # never had a date: nothing to plan yet
    history = [c for member in chain.members for c in histories.get(member.id, [])]
    moved = len(chain.members) > 1 or awaiting_new_date or any(c.field in ("datum", "aanvangstijd") for c in history if c.item_id == current.id)
    previous_days = {d for d in days if d and d != meeting.day}
    previous_days |= {d for d in (_day(c.old) for c in history if c.field == "datum") if d and d != meeting.day}

    out: list[Moment] = []
    for kind in kinds:
        lead = max(_lead_time(rules_config, d, kind) for d in dossiers)
        deadline = subtract_workdays(meeting.day, lead) if meeting.day and not awaiting_new_date else None
        first = deadline or known_day
        in_window = first <= end and known_day >= start
        # A meeting moved out of the window is still news in it: "verplaatst van ... naar ...".
        if not in_window and not any(start <= d <= end for d in previous_days):
            continue
        if chain.current_deleted or meeting.status.cancelled:
            state = MomentStatus.GEANNULEERD
        elif meeting.status is MeetingStatus.UITGEVOERD or _has_started(meeting, now):
            state = MomentStatus.VOORBIJ
        elif deadline is not None and now.date() > deadline:
            state = MomentStatus.TE_LAAT
        elif moved:
            state = MomentStatus.VERPLAATST
        else:
            state = MomentStatus.GEPLAND
        out.append(
            Moment(
                id=moment_id(kind.value, current.source, chain.root),
                kind=kind,
                dossiers=dossiers,
                meeting=meeting,
                deadline=deadline,
                status=state,
                moved=moved,
                triggers=list(triggers),
            )
        )
    return out


def _lead_time(rules_config: RulesConfig, dossier: str, kind: MomentKind) -> int:
    config = rules_config.dossiers.get(dossier)
    if config is not None and kind.value in (config.lead_times or {}):
        return int(config.lead_times[kind.value])
    return int((rules_config.lead_times or {}).get(kind.value, FALLBACK_LEAD_TIMES.get(kind.value, 0)))


def _has_started(meeting: Meeting, now: datetime) -> bool:
    if meeting.start is not None:
        return now >= meeting.start
    return meeting.day is not None and now.date() > meeting.day


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _attach_woordvoerders(moments: list[Moment], view: View, rules_config: RulesConfig, index: KamerIndex) -> None:
    from .people import woordvoerders_for

    wanted = sorted({d for m in moments if m.kind in KINDS_WITH_WOORDVOERDERS and m.status.active for d in m.dossiers})
    if not wanted:
        return
    rankings = woordvoerders_for(view, rules_config, wanted, index=index)
    for moment in moments:
        if moment.kind not in KINDS_WITH_WOORDVOERDERS or not moment.status.active:
            continue
        merged = []
        keys: set[str] = set()
        per_dossier = [rankings.get(d, []) for d in moment.dossiers]
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
