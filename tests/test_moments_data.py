"""Builders for authored Kamer data in the contract's shape, shared by the moments/people tests.

Items go into a real Store exactly as the Kamer source writes them (kinds "activiteit" and
"zaak", `data` as in contract.md); matches go in with `Store.replace_matches`, as the pipeline's
match stage would write them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.config import Config, DossierConfig, RuleConfig, RulesConfig, SourceConfig, SourcesConfig, WoordvoerderOverrides
from monitor.models import Item, Match
from monitor.store import Store
from monitor.timeutil import AMS

SOURCE = "tk"
DEFAULT_LEAD = {"brief": 5, "inbreng": 3, "agendering": 2, "positionpaper": 7, "motie": 2, "stemming": 1}
VWS = {"id": "c-vws", "afkorting": "VWS", "naam": "vaste commissie voor Volksgezondheid, Welzijn en Sport"}
SZW = {"id": "c-szw", "afkorting": "SZW", "naam": "vaste commissie voor Sociale Zaken en Werkgelegenheid"}


def at(text: str) -> datetime:
    """An Amsterdam datetime from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


def dossier(dossier_id: str, title: str, lead: dict[str, int] | None = None, pin=(), exclude=()) -> DossierConfig:
    """A dossier as config.py builds it (lead times merged with the defaults)."""
    return DossierConfig(
        id=dossier_id,
        title=title,
        rules=[RuleConfig("kern", dossier_id, None)],
        lead_times={**DEFAULT_LEAD, **(lead or {})},
        woordvoerders=WoordvoerderOverrides(pin=list(pin), exclude=list(exclude)),
    )


def rules(*dossiers: DossierConfig) -> RulesConfig:
    """A rules config holding these dossiers."""
    return RulesConfig(dossiers={d.id: d for d in dossiers}, lead_times=dict(DEFAULT_LEAD), version="test")


def config_for(rules_config: RulesConfig) -> Config:
    """Both files as the briefing reads them: these rules and the Kamer as the only source."""
    sources = SourcesConfig([SourceConfig("tk", "tk", "https://gegevensmagazijn.tweedekamer.nl", 900, "Tweede Kamer")])
    return Config(sources=sources, rules=rules_config, directory=Path("."))


def agendapunt(ap_id: str, onderwerp: str, zaken=(), documenten=(), volgorde: int = 1) -> dict[str, Any]:
    """One agendapunt with linked zaken/documents (dicts in the contract's shape)."""
    return {"id": ap_id, "onderwerp": onderwerp, "volgorde": volgorde, "zaken": list(zaken), "documenten": list(documenten)}


def zaak_ref(zaak_id: str, nummer: str, soort: str, titel: str, onderwerp: str = "") -> dict[str, Any]:
    """A zaak as listed on an agendapunt."""
    return {"id": zaak_id, "nummer": nummer, "soort": soort, "titel": titel, "onderwerp": onderwerp or titel}


def activity(
    guid: str,
    soort: str,
    onderwerp: str,
    start: str | None,
    *,
    status: str = "Gepland",
    commissie: dict[str, str] | None = None,
    agendapunten=(),
    deelnemers=(),
    vervangen_vanuit: str | None = None,
    nummer: str | None = None,
) -> Item:
    """An activity item as the Kamer source stores it; `start` is 'YYYY-MM-DDTHH:MM' or None."""
    aanvang = f"{start}:00+01:00" if start else None
    points = list(agendapunten)
    text = "\n".join([onderwerp, soort] + [p["onderwerp"] for p in points] + [z["titel"] for p in points for z in p["zaken"]])
    return Item(
        source=SOURCE,
        external_id=f"activiteit/{guid}",
        kind="activiteit",
        title=onderwerp,
        text=text,
        url=f"https://www.tweedekamer.nl/debat_en_vergadering/commissievergaderingen/details?id={nummer or guid}",
        published_at="2026-11-01T09:00:00+01:00",
        event_at=aanvang,
        data={
            "id": guid,
            "nummer": nummer or f"2026A-{guid}",
            "soort": soort,
            "onderwerp": onderwerp,
            "status": status,
            "datum": start[:10] if start else None,
            "aanvangstijd": aanvang,
            "eindtijd": None,
            "locatie": "Thorbeckezaal",
            "commissie": commissie,
            "agenda": [p["onderwerp"] for p in points],
            "agendapunten": points,
            "deelnemers": list(deelnemers),
            "vervangen_vanuit": vervangen_vanuit,
            "voortgezet_vanuit": None,
        },
    )


def zaak(
    guid: str,
    soort: str,
    titel: str,
    gestart_op: str,
    *,
    nummer: str | None = None,
    onderwerp: str = "",
    indieners=(),
    commissie: dict[str, str] | None = None,
    activiteit_ids=(),
    agendapunt_ids=(),
) -> Item:
    """A zaak item as the Kamer source stores it; `gestart_op` is 'YYYY-MM-DD'."""
    return Item(
        source=SOURCE,
        external_id=f"zaak/{guid}",
        kind="zaak",
        title=titel,
        text=f"{titel}\n{onderwerp}",
        url=f"https://www.tweedekamer.nl/kamerstukken/detail?id={nummer or guid}",
        published_at=f"{gestart_op}T10:00:00+01:00",
        data={
            "id": guid,
            "nummer": nummer or f"2026Z-{guid}",
            "soort": soort,
            "titel": titel,
            "onderwerp": onderwerp or titel,
            "afgedaan": False,
            "kabinetsappreciatie": None,
            "gestart_op": f"{gestart_op}T00:00:00+01:00",
            "kamerstukdossier": {"nummer": "31839", "toevoeging": None, "titel": "Jeugdzorg"},
            "commissie": commissie,
            "indieners": list(indieners),
            "documenten": [],
            "agendapunt_ids": list(agendapunt_ids),
            "activiteit_ids": list(activiteit_ids),
            "besluiten": [],
            "uitslag": None,
        },
    )


def person(persoon_id: str, naam: str, fractie: str, rol: str) -> dict[str, str]:
    """An indiener or deelnemer entry."""
    return {"persoon_id": persoon_id, "naam": naam, "fractie": fractie, "rol": rol}


def put(store: Store, item: Item, dossiers=(), seen_at: str = "2026-11-20T08:00:00+01:00") -> Item:
    """Store an item and record its matches (one per dossier, rule 'kern') as the match stage would."""
    store.upsert_item(item, seen_at)
    matches = [Match(item.id, d, "kern", [d], f"… «{d}» …") for d in dossiers]
    store.replace_matches(item, matches, "test", seen_at)
    return item
