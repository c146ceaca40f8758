"""Kamer entities -> pipeline items (kinds `activiteit`, `zaak`, `document`).

An item aggregates a small graph: an Activiteit with its Agendapunten, their Zaken and Documents,
its ActiviteitActors and its voortouwcommissie; a Zaak with its actors, documents, Besluiten and
Stemmingen. The feed stores each relation on one side only, so everything is read through the
`tk_links` table from whichever end is needed (see `tk_store`).

Builds are deterministic: every list is sorted and every value normalised the same way, so
rebuilding an unchanged item gives the same content hash and `Store.upsert_item` writes nothing.
Values the code does not know (a new Soort, Status, Kabinetsappreciatie or BesluitSoort) pass
through as text and are collected in `Builder.unknown` so the caller can log each once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from bs4 import BeautifulSoup

from ..models import KIND_ACTIVITY, KIND_DOCUMENT, KIND_ZAAK, Commissie, Item, is_plenary
from ..timeutil import AMS, iso
from .tk_parse import parse_time
from .tk_resources import document_text

ACTIVITY_URL = "https://www.tweedekamer.nl/debat_en_vergadering/commissievergaderingen/details?id={nummer}"
# Plenary meetings (debates, Stemmingen) have their own pages; the commissievergadering page shows nothing for them.
PLENARY_URL = "https://www.tweedekamer.nl/debat_en_vergadering/plenaire_vergaderingen/details/activiteit?id={nummer}"
KAMERSTUK_URL = "https://www.tweedekamer.nl/kamerstukken/{path}detail?id={nummer}"

# Lower-cased values seen in the data or documented (tk-api.md §2); anything else is news.
KNOWN_ACTIVITEIT_SOORTEN = frozenset(
    s.lower()
    for s in (
        "Algemeen overleg", "Procedurevergadering", "Inbreng feitelijke vragen", "Inbreng schriftelijk overleg",
        "Plenair debat (tweeminutendebat)", "Gesprek", "E-mailprocedure", "Technische briefing",
        "Inbreng verslag (wetsvoorstel)", "Commissiedebat", "Vergadering", "Petitie", "Werkbezoek",
        "Plenair debat (debat)", "Plenair debat (wetgeving)", "Regeling van werkzaamheden", "Rondetafelgesprek",
        "Plenair debat (dertigledendebat)", "Stemmingen", "Hamerstukken", "Wetgevingsoverleg", "Bijzondere procedure",
        "Vragenuur", "Notaoverleg", "Delegatievergadering", "Verhoor", "Plenair debat (initiatiefwetgeving)",
        "Plenair debat (overig)", "Constituerende vergadering", "Beëdiging", "Herdenking", "Hoorzitting",
        "Strategische procedurevergadering", "Afscheid", "Aanbieding", "Plenair debat (interpellatiedebat)",
        "Schriftelijk commentaar algemeen", "Schriftelijk commentaar gericht",
        "Ontbijtbijeenkomst Parlement en Wetenschap", "Verklaring",
        "Inbreng politieke dialoog met de Europese Commissie", "Begrotingsoverleg", "Toespraak",
        "Hoorzitting / rondetafelgesprek", "Plenair debat", "Interpellatiedebat", "Mededelingen", "Opening",
        "Overig", "Sluiting",
    )
)
KNOWN_ACTIVITEIT_STATUS = frozenset({"gepland", "uitgevoerd", "verplaatst", "geannuleerd", "vervallen"})
KNOWN_ZAAK_SOORTEN = frozenset(
    s.lower()
    for s in (
        "Brief regering", "Motie", "Schriftelijke vragen", "Brief commissie", "Amendement",
        "Rondvraagpunt procedurevergadering", "Brief van lid/fractie/commissie", "Position paper",
        "Verzoek bij regeling van werkzaamheden", "Verzoek bij commissie-regeling van werkzaamheden",
        "Nota van wijziging", "Wetgeving", "Nota n.a.v. het (nader/tweede nader/enz.) verslag", "Mondelinge vragen",
        "Begroting", "Overig", "Rapport/brief Algemene Rekenkamer", "Lijst met EU-voorstellen", "Brief Kamer",
        "EU-voorstel", "Verdrag", "Verzoekschrift", "Initiatiefwetgeving", "Initiatiefnota",
        "Wetenschappelijke factsheet", "Overig (openbaar)", "Wijziging RvO", "Voordrachten en benoemingen",
        "Interpellatie", "Nationale ombudsman", "PKB/Structuurvisie", "Parlementair onderzoeksrapport",
        "Wetenschapstoets", "Brief Europese Commissie", "Netwerkverkenning", "Wijzigingen voorgesteld door de regering",
        "Artikelen/onderdelen (wetsvoorstel)",
    )
)
KNOWN_KABINETSAPPRECIATIE = frozenset(
    s.lower()
    for s in (
        "Ontraden", "Oordeel Kamer", "Ontraden, tenzij gewijzigd", "Ontraden tenzij gewijzigd", "Overgenomen",
        "Verzocht motie aan te houden", "Geen (expliciete) appreciatie", "Nog niet bekend", "Nog te ontvangen",
        "Niet beschikbaar bij gewijzigde moties en/of amendementen",
        "Niet beschikbaar bij moties en/of amendementen vóór 1 april 2019", "Ontijdig", "Overbodig",
    )
)
# "Stemmen - <uitkomst>" -> the uitslag we store.
VOTE_OUTCOMES = {
    "aangenomen": "aangenomen",
    "verworpen": "verworpen",
    "aangehouden": "aangehouden",
    "ingetrokken": "ingetrokken",
    "zonder stemming aannemen": "aangenomen",
    "uitstellen": "uitgesteld",
    "vervallen": "vervallen",
    "gestaakt": "stemmen gestaakt",
}
_TEXT_OUTCOMES = ("aangenomen", "verworpen", "aangehouden", "ingetrokken", "vervallen")

# Document soorten PA staff act on; other documents (Bijlage, Sprekerslijst, Stenogram, …)
# become items only when they are on an agenda (see `document_wanted`).
PA_DOCUMENT_SOORTEN = (
    "brief regering", "motie", "amendement", "voorstel van wet", "wetsvoorstel", "memorie van toelichting",
    "verslag", "nota naar aanleiding", "nota n.a.v.", "nota van wijziging", "schriftelijke vragen",
    "antwoord schriftelijke vragen", "initiatiefnota",
)


@dataclass
class Entity:
    """One stored Kamer entity (fields and refs keyed by lower-cased element name)."""

    category: str
    id: str
    fields: dict[str, Any]
    refs: dict[str, list[str]]
    deleted: bool
    skiptoken: int | None
    first_updated: str | None

    def ref(self, name: str) -> str | None:
        """The first id this entity references under `name` (refs are stored sorted)."""
        ids = self.refs.get(name) or []
        return ids[0] if ids else None


class Graph:
    """Read access to the entity store for one rebuild, with a cache (entities rarely change mid-rebuild)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], Entity | None] = {}

    def get(self, category: str, entity_id: str | None) -> Entity | None:
        """The stored entity (deleted or not), or None when we never saw it."""
        if not entity_id:
            return None
        key = (category, entity_id)
        if key not in self._cache:
            rows = list(self.db.query("SELECT * FROM tk_entities WHERE category = ? AND id = ?", [category, entity_id]))
            self._cache[key] = _entity(rows[0]) if rows else None
        return self._cache[key]

    def live(self, category: str, ids: Iterable[str]) -> list[Entity]:
        """The stored, non-deleted entities among `ids` (order kept)."""
        out = []
        for entity_id in ids:
            entity = self.get(category, entity_id)
            if entity is not None and not entity.deleted:
                out.append(entity)
        return out

    def known_deleted(self, category: str, entity_id: str) -> bool:
        entity = self.get(category, entity_id)
        return entity is not None and entity.deleted

    def referrers(self, dst_category: str, dst_id: str, src_category: str, rel: str | None = None) -> list[str]:
        """Ids of `src_category` entities that reference (dst_category, dst_id), sorted."""
        sql = "SELECT DISTINCT src_id FROM tk_links WHERE dst_category = ? AND dst_id = ? AND src_category = ?"
        args = [dst_category, dst_id, src_category]
        if rel:
            sql += " AND rel = ?"
            args.append(rel)
        return [r["src_id"] for r in self.db.query(sql + " ORDER BY src_id", args)]

    def targets(self, src_category: str, src_id: str, rel: str) -> list[str]:
        """Ids an entity references under `rel`, from its stored refs."""
        entity = self.get(src_category, src_id)
        return list(entity.refs.get(rel) or []) if entity else []


def _entity(row: dict[str, Any]) -> Entity:
    return Entity(
        category=row["category"],
        id=row["id"],
        fields=json.loads(row["fields"] or "{}"),
        refs=json.loads(row["refs"] or "{}"),
        deleted=bool(row["deleted"]),
        skiptoken=row["skiptoken"],
        first_updated=row["first_updated"],
    )


# ---------------------------------------------------------------------------- which items a change touches


def affected_items(graph: Graph, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The item keys (Activiteit/Zaak/Document, id) to rebuild after these entities changed.

    Follows the links from the changed entity to everything that shows it: an Agendapunt to its
    Activiteit and the Zaken on it, a Stemming to its Besluit's Zaken, a Document to its Zaken
    and to the Activiteiten whose agenda lists it, and so on.
    """
    out: set[tuple[str, str]] = set()

    def activities_of_agendapunten(ids: Iterable[str]) -> None:
        for ap in ids:
            out.update(("Activiteit", a) for a in graph.targets("Agendapunt", ap, "activiteit"))

    for category, entity_id in keys:
        if category == "Activiteit":
            out.add(("Activiteit", entity_id))
        elif category == "Agendapunt":
            activities_of_agendapunten([entity_id])
            out.update(("Zaak", z) for z in graph.referrers("Agendapunt", entity_id, "Zaak"))
        elif category == "ActiviteitActor":
            out.update(("Activiteit", a) for a in graph.targets(category, entity_id, "activiteit"))
        elif category == "Zaak":
            out.add(("Zaak", entity_id))
            activities_of_agendapunten(graph.targets("Zaak", entity_id, "agendapunt"))
            out.update(("Activiteit", a) for a in graph.targets("Zaak", entity_id, "activiteit"))
            out.update(("Document", d) for d in graph.referrers("Zaak", entity_id, "Document"))
        elif category == "ZaakActor":
            out.update(("Zaak", z) for z in graph.targets(category, entity_id, "zaak"))
        elif category == "Document":
            out.add(("Document", entity_id))
            out.update(("Zaak", z) for z in graph.targets("Document", entity_id, "zaak"))
            activities_of_agendapunten(graph.targets("Document", entity_id, "agendapunt"))
            out.update(("Activiteit", a) for a in graph.targets("Document", entity_id, "activiteit"))
        elif category == "Kamerstukdossier":
            out.update(("Zaak", z) for z in graph.referrers(category, entity_id, "Zaak"))
            for document in graph.referrers(category, entity_id, "Document"):
                out.add(("Document", document))
                activities_of_agendapunten(graph.targets("Document", document, "agendapunt"))
        elif category == "Besluit":
            out.update(("Zaak", z) for z in graph.targets(category, entity_id, "zaak"))
        elif category == "Stemming":
            for besluit in graph.targets(category, entity_id, "besluit"):
                out.update(("Zaak", z) for z in graph.targets("Besluit", besluit, "zaak"))
        elif category == "Commissie":
            out.update(("Activiteit", a) for a in graph.referrers(category, entity_id, "Activiteit", "voortouwcommissie"))
            for actor in graph.referrers(category, entity_id, "ZaakActor"):
                out.update(("Zaak", z) for z in graph.targets("ZaakActor", actor, "zaak"))
    return out


# ---------------------------------------------------------------------------- building


def _texts(entity: Entity, *names: str) -> dict[str, str | None]:
    """The named fields of an entity as text, in the order given (the shape of agenda references)."""
    return {name: text(entity.fields.get(name)) for name in names}


@dataclass
class Builder:
    """Builds items of one source from the entity graph; collects unknown values on the way."""

    graph: Graph
    source: str
    item_exists: Callable[[str], bool] = lambda item_id: False
    resources: str = "https://gegevensmagazijn.tweedekamer.nl/SyncFeed/2.0/Resources/"
    unknown: set[tuple[str, str]] = field(default_factory=set)

    def build(self, category: str, entity_id: str) -> tuple[str, Item | None]:
        """("item", Item), ("deleted", None) for a tombstone, or ("skip", None) (unknown or not wanted)."""
        entity = self.graph.get(category, entity_id)
        if entity is None:
            return "skip", None
        if entity.deleted:
            return "deleted", None
        if category == "Activiteit":
            return "item", self.activity(entity)
        if category == "Zaak":
            return "item", self.zaak(entity)
        if category == "Document":
            item_id = f"{self.source}:document/{entity.id}"
            if not document_wanted(self.graph, entity) and not self.item_exists(item_id):
                return "skip", None
            return "item", self.document(entity)
        return "skip", None

    def _note(self, name: str, value: str | None, known: frozenset[str]) -> None:
        if value and value.lower() not in known:
            self.unknown.add((name, value))

    # ------------------------------------------------------------------ activiteit

    def activity(self, a: Entity) -> Item:
        """The `activiteit` item: the meeting with its agenda, zaken, documents and deelnemers."""
        f = a.fields
        soort, status = text(f.get("soort")), text(f.get("status"))
        self._note("Activiteit.Soort", soort, KNOWN_ACTIVITEIT_SOORTEN)
        self._note("Activiteit.Status", status, KNOWN_ACTIVITEIT_STATUS)
        onderwerp = text(f.get("onderwerp"))
        start = local_time(f.get("aanvangstijd"))
        day = local_time(f.get("datum")) or start
        agendapunten = []
        for ap in self.graph.live("Agendapunt", self.graph.referrers("Activiteit", a.id, "Agendapunt", "activiteit")):
            zaken = [self._zaak_ref(z) for z in self.graph.live("Zaak", self.graph.referrers("Agendapunt", ap.id, "Zaak"))]
            documenten = [self._document_ref(d) for d in self.graph.live("Document", self.graph.referrers("Agendapunt", ap.id, "Document"))]
            agendapunten.append(
                {
                    "id": ap.id,
                    "onderwerp": text(ap.fields.get("onderwerp")),
                    "volgorde": integer(ap.fields.get("volgorde")),
                    "zaken": sorted(zaken, key=lambda z: (z["nummer"] or "", z["id"])),
                    "documenten": sorted(documenten, key=lambda d: (d["documentnummer"] or "", d["id"])),
                }
            )
        agendapunten.sort(key=lambda p: (p["volgorde"] is None, p["volgorde"] or 0, p["onderwerp"] or "", p["id"]))
        direct_zaken = [self._zaak_ref(z) for z in self.graph.live("Zaak", self.graph.referrers("Activiteit", a.id, "Zaak", "activiteit"))]
        direct_docs = [self._document_ref(d) for d in self.graph.live("Document", self.graph.referrers("Activiteit", a.id, "Document", "activiteit"))]
        deelnemers = []
        for actor in self.graph.live("ActiviteitActor", self.graph.referrers("Activiteit", a.id, "ActiviteitActor")):
            person = {
                "persoon_id": actor.ref("persoon"),
                "naam": text(actor.fields.get("actornaam")),
                "fractie": text(actor.fields.get("actorfractie")),
                "rol": text(actor.fields.get("relatie")),
            }
            deelnemers.append((integer(actor.fields.get("volgorde")), person))
        deelnemers.sort(key=lambda p: (p[0] is None, p[0] or 0, p[1]["rol"] or "", p[1]["naam"] or "", p[1]["persoon_id"] or ""))
        people: list[dict[str, Any]] = []
        for _, person in deelnemers:
            if person not in people:
                people.append(person)
        nummer = text(f.get("nummer"))
        commissie = self._commissie(a.ref("voortouwcommissie"), text(f.get("voortouwafkorting")), text(f.get("voortouwnaam")))
        page = PLENARY_URL if is_plenary(soort, Commissie.parse(commissie)) else ACTIVITY_URL
        data = {
            "id": a.id,
            "nummer": nummer,
            "soort": soort,
            "onderwerp": onderwerp,
            "status": status,
            "datum": day.date().isoformat() if day else None,
            "aanvangstijd": iso(start) if start else None,
            "eindtijd": iso(local_time(f.get("eindtijd"))),
            "locatie": text(f.get("locatie")),
            "commissie": commissie,
            "agenda": [p["onderwerp"] for p in agendapunten if p["onderwerp"]],
            "agendapunten": agendapunten,
            "deelnemers": people,
            "vervangen_vanuit": a.ref("vervangenvanuit"),
            "voortgezet_vanuit": a.ref("voortgezetvanuit"),
            "noot": plain_text(f.get("noot")),
        }
        parts: list[str | None] = [onderwerp, soort]
        for point in agendapunten:
            parts.append(point["onderwerp"])
            parts += _ref_texts(point["zaken"], point["documenten"])
        parts += _ref_texts(sorted(direct_zaken, key=lambda z: z["id"]), sorted(direct_docs, key=lambda d: d["id"]))
        return Item(
            source=self.source,
            external_id=f"activiteit/{a.id}",
            kind=KIND_ACTIVITY,
            title=onderwerp or soort or "Kameractiviteit",
            text=join_text(parts),
            url=page.format(nummer=nummer) if nummer else None,
            published_at=_first_known(a),
            event_at=data["aanvangstijd"] or data["datum"],
            data=data,
            raw=_raw(a),
        )

    def _zaak_ref(self, z: Entity) -> dict[str, Any]:
        return {"id": z.id, **_texts(z, "nummer", "soort", "titel", "onderwerp")}

    def _document_ref(self, d: Entity) -> dict[str, Any]:
        return {
            "id": d.id,
            **_texts(d, "documentnummer", "soort", "titel", "onderwerp"),
            "kamerstukdossier": self._dossier(d.ref("kamerstukdossier")),
        }

    def _commissie(self, commissie_id: str | None, afkorting: str | None = None, naam: str | None = None) -> dict[str, Any] | None:
        commissie = self.graph.get("Commissie", commissie_id) if commissie_id else None
        if commissie is not None and not commissie.deleted:
            afkorting = text(commissie.fields.get("afkorting")) or afkorting
            naam = text(commissie.fields.get("naamnl")) or naam
        if not (commissie_id or afkorting or naam):
            return None
        return {"id": commissie_id, "afkorting": afkorting, "naam": naam}

    def _dossier(self, dossier_id: str | None) -> dict[str, Any] | None:
        dossier = self.graph.get("Kamerstukdossier", dossier_id) if dossier_id else None
        if dossier is None or dossier.deleted:
            return None
        return {
            "nummer": text(dossier.fields.get("nummer")),
            "toevoeging": text(dossier.fields.get("toevoeging")),
            "titel": text(dossier.fields.get("titel")),
        }

    # ------------------------------------------------------------------ zaak

    def zaak(self, z: Entity) -> Item:
        """The `zaak` item: soort, indieners, appreciatie, dossier, documents, besluiten and votes."""
        f = z.fields
        soort = text(f.get("soort"))
        self._note("Zaak.Soort", soort, KNOWN_ZAAK_SOORTEN)
        appreciatie = text(f.get("kabinetsappreciatie"))
        self._note("Zaak.Kabinetsappreciatie", appreciatie, KNOWN_KABINETSAPPRECIATIE)
        nummer, titel, onderwerp = text(f.get("nummer")), text(f.get("titel")), text(f.get("onderwerp"))
        commissie = None
        indieners = []
        gericht_aan: list[str] = []
        for actor in self.graph.live("ZaakActor", self.graph.referrers("Zaak", z.id, "ZaakActor")):
            relatie = (text(actor.fields.get("relatie")) or "").lower()
            if relatie == "gericht aan":
                # Kamervragen name the bewindspersoon they are put to ("minister van VWS").
                naam = text(actor.fields.get("actornaam"))
                if naam and naam not in gericht_aan:
                    gericht_aan.append(naam)
            elif relatie == "voortouwcommissie" and commissie is None:
                commissie = self._commissie(
                    actor.ref("commissie"), text(actor.fields.get("actorafkorting")), text(actor.fields.get("actornaam"))
                )
            elif relatie in ("indiener", "medeindiener"):
                indieners.append(
                    {
                        "persoon_id": actor.ref("persoon"),
                        "naam": text(actor.fields.get("actornaam")),
                        "fractie": text(actor.fields.get("actorfractie")),
                        "rol": "Indiener" if relatie == "indiener" else "Medeindiener",
                    }
                )
        indieners.sort(key=lambda p: (p["rol"] != "Indiener", p["naam"] or "", p["persoon_id"] or ""))
        docs = self.graph.live("Document", self.graph.referrers("Zaak", z.id, "Document"))
        docs.sort(key=lambda d: (text(d.fields.get("datum")) or "", text(d.fields.get("documentnummer")) or "", d.id))
        documenten = [
            {
                "id": d.id,
                "documentnummer": text(d.fields.get("documentnummer")),
                "soort": text(d.fields.get("soort")),
                "titel": text(d.fields.get("titel")),
                "onderwerp": text(d.fields.get("onderwerp")),
                "datum": (text(d.fields.get("datum")) or "")[:10] or None,
                "url": zaak_url(soort, nummer, text(d.fields.get("documentnummer"))),
            }
            for d in docs
        ]
        agendapunt_ids = sorted(a for a in z.refs.get("agendapunt") or [] if not self.graph.known_deleted("Agendapunt", a))
        activities = set(z.refs.get("activiteit") or [])
        for ap in agendapunt_ids:
            activities.update(self.graph.targets("Agendapunt", ap, "activiteit"))
        # Deleted activities stay listed: a zaak is not rebuilt when its meeting goes, and the
        # moments of a cancelled meeting still need to know which zaken it was about.
        activiteit_ids = sorted(activities)
        besluiten = self._besluiten(z)
        gestart = local_time(f.get("gestartop"))
        text_parts: list[str | None] = [titel, onderwerp]
        for document in documenten:
            text_parts += [document["titel"], document["onderwerp"]]
        return Item(
            source=self.source,
            external_id=f"zaak/{z.id}",
            kind=KIND_ZAAK,
            # Titel is the dossier's title ("Jeugdzorg") on moties and brieven; the Onderwerp
            # ("Motie van de leden X en Y over …") is what a reader needs to see.
            title=onderwerp or titel or soort or "Kamerzaak",
            text=join_text(text_parts),
            url=zaak_url(soort, nummer, _did(soort, docs)),
            published_at=iso(gestart) if gestart else _first_known(z),
            data={
                "id": z.id,
                "nummer": nummer,
                "soort": soort,
                "titel": titel,
                "onderwerp": onderwerp,
                "afgedaan": boolean(f.get("afgedaan")),
                "kabinetsappreciatie": appreciatie,
                "gestart_op": iso(gestart) if gestart else None,
                "kamerstukdossier": self._dossier(z.ref("kamerstukdossier")),
                "commissie": commissie,
                "indieners": indieners,
                "gericht_aan": sorted(gericht_aan),
                "documenten": documenten,
                "agendapunt_ids": agendapunt_ids,
                "activiteit_ids": activiteit_ids,
                "besluiten": besluiten,
                "uitslag": self._uitslag(besluiten),
            },
            raw=_raw(z),
        )

    def _besluiten(self, z: Entity) -> list[dict[str, Any]]:
        out = []
        for besluit in self.graph.live("Besluit", self.graph.referrers("Zaak", z.id, "Besluit")):
            f = besluit.fields
            datum = None
            agendapunt = besluit.ref("agendapunt")
            for activity_id in self.graph.targets("Agendapunt", agendapunt, "activiteit") if agendapunt else []:
                activity = self.graph.get("Activiteit", activity_id)
                moment = local_time(activity.fields.get("datum") or activity.fields.get("aanvangstijd")) if activity else None
                datum = moment.date().isoformat() if moment else datum
            out.append(
                (
                    datum or "",
                    integer(f.get("agendapuntzaakbesluitvolgorde")) or 0,
                    besluit.id,
                    {
                        "id": besluit.id,
                        "soort": text(f.get("besluitsoort")),
                        "tekst": text(f.get("besluittekst")),
                        "status": text(f.get("status")),
                        "stemmingssoort": text(f.get("stemmingssoort")),
                        "datum": datum,
                        "stemmingen": self._stemmingen(besluit),
                    },
                )
            )
        out.sort(key=lambda b: b[:3])
        return [b[3] for b in out]

    def _stemmingen(self, besluit: Entity) -> list[dict[str, Any]]:
        # Duplicate vote rows have occurred (ODP#167): keep one per (fractie, persoon), the latest.
        rows: dict[tuple[str, str], Entity] = {}
        for vote in self.graph.live("Stemming", self.graph.referrers("Besluit", besluit.id, "Stemming")):
            key = (vote.ref("fractie") or text(vote.fields.get("actorfractie")) or "", vote.ref("persoon") or "")
            kept = rows.get(key)
            if kept is None or (vote.skiptoken or 0, vote.id) > (kept.skiptoken or 0, kept.id):
                rows[key] = vote
        totals: dict[tuple[str, str], int] = {}
        for (_, persoon), vote in rows.items():
            fractie = text(vote.fields.get("actorfractie")) or self._fractie_name(vote.ref("fractie")) or ""
            soort = text(vote.fields.get("soort")) or "onbekend"
            # Met handopsteken: one row per fractie with its size; hoofdelijk: one row per member.
            seats = 1 if persoon else integer(vote.fields.get("fractiegrootte")) or 0
            totals[(soort, fractie)] = totals.get((soort, fractie), 0) + seats
        return [{"fractie": fractie or None, "soort": soort, "zetels": seats} for (soort, fractie), seats in sorted(totals.items())]

    def _fractie_name(self, fractie_id: str | None) -> str | None:
        fractie = self.graph.get("Fractie", fractie_id) if fractie_id else None
        return text(fractie.fields.get("afkorting")) if fractie is not None else None

    def _uitslag(self, besluiten: list[dict[str, Any]]) -> str | None:
        for besluit in reversed(besluiten):
            status = (besluit.get("status") or "besluit").lower()
            if status != "besluit":
                continue  # a Voorstel is not an outcome yet
            soort = (besluit.get("soort") or "").strip()
            lowered = soort.lower()
            if lowered.startswith("stemmen"):
                outcome = lowered.split("-", 1)[-1].strip() if "-" in lowered else ""
                if outcome in VOTE_OUTCOMES:
                    return VOTE_OUTCOMES[outcome]
                if outcome:
                    self.unknown.add(("Besluit.BesluitSoort", soort))
                    return outcome
            tekst = (besluit.get("tekst") or "").strip().lower()
            for word in _TEXT_OUTCOMES:
                if tekst.startswith(word):
                    return word
        return None

    # ------------------------------------------------------------------ document

    def document(self, d: Entity) -> Item:
        """The `document` item: a kamerbrief, motie text, verslag … with its dossier and zaken."""
        f = d.fields
        soort, titel, onderwerp = text(f.get("soort")), text(f.get("titel")), text(f.get("onderwerp"))
        documentnummer = text(f.get("documentnummer"))
        datum = local_time(f.get("datum"))
        zaak_ids = sorted(z for z in d.refs.get("zaak") or [] if not self.graph.known_deleted("Zaak", z))
        url = None
        for zaak in self.graph.live("Zaak", zaak_ids):
            url = zaak_url(text(zaak.fields.get("soort")), text(zaak.fields.get("nummer")), documentnummer)
            if url:
                break
        if url is None and f.get("contenttype"):
            url = f"{self.resources}{d.id}"  # no zaak to show it on: link the file itself
        return Item(
            source=self.source,
            external_id=f"document/{d.id}",
            kind=KIND_DOCUMENT,
            title=onderwerp or titel or soort or "Kamerdocument",
            # The file's text, once fetched (tk_resources): a letter's page 3 is what the rules must see.
            text=join_text([onderwerp, titel, text(f.get("citeertitel")), document_text(self.graph.db.conn, d.id)]),
            url=url,
            published_at=iso(datum) if datum else _first_known(d),
            data={
                "id": d.id,
                "documentnummer": documentnummer,
                "soort": soort,
                "titel": titel,
                "onderwerp": onderwerp,
                "datum": datum.date().isoformat() if datum else None,
                "kamerstukdossier": self._dossier(d.ref("kamerstukdossier")),
                "volgnummer": integer(f.get("volgnummer")),
                "zaak_ids": zaak_ids,
                # A new version id is a revised publication (a 'herdruk' or corrected letter).
                "versie_id": d.ref("huidigedocumentversie"),
            },
            raw=_raw(d),
        )


def document_wanted(graph: Graph, d: Entity) -> bool:
    """Is this document worth an item? PA soorten always; anything on an agenda too."""
    soort = (text(d.fields.get("soort")) or "").lower()
    if any(soort.startswith(s) for s in PA_DOCUMENT_SOORTEN):
        return True
    return bool(d.refs.get("agendapunt") or d.refs.get("activiteit"))


def zaak_url(soort: str | None, nummer: str | None, did: str | None) -> str | None:
    """The tweedekamer.nl page of a zaak (moties: `moties/detail?id=<zaak>&did=<document>`)."""
    if not nummer:
        return None
    s = (soort or "").lower()
    if s.startswith("motie"):
        path = "moties/"
    elif s.startswith("amendement"):
        path = "amendementen/"
    elif s == "brief regering":
        path = "brieven_regering/"
    elif s in ("schriftelijke vragen", "mondelinge vragen"):
        path = "kamervragen/"
    else:
        path = ""
    url = KAMERSTUK_URL.format(path=path, nummer=nummer)
    return f"{url}&did={did}" if did else url


def _did(soort: str | None, docs: list[Entity]) -> str | None:
    # A motie's link names the motie document itself, the newest if it was amended.
    wanted = (soort or "").lower().split(" ")[0]
    own = [d for d in docs if (text(d.fields.get("soort")) or "").lower().startswith(wanted)] if wanted else []
    for d in reversed(own or docs):
        number = text(d.fields.get("documentnummer"))
        if number:
            return number
    return None


def _ref_texts(zaken: list[dict[str, Any]], documenten: list[dict[str, Any]]) -> list[str | None]:
    parts: list[str | None] = []
    for zaak in zaken:
        parts += [zaak["titel"], zaak["onderwerp"]]
    for document in documenten:
        parts += [document["titel"], document["onderwerp"]]
    return parts


# ---------------------------------------------------------------------------- value helpers


def text(value: Any) -> str | None:
    """Whitespace-collapsed text, None for empty (the Kamer pads Onderwerp with spaces)."""
    if value is None:
        return None
    collapsed = " ".join(str(value).split())
    return collapsed or None


def integer(value: Any) -> int | None:
    """An int from feed text, None when absent or not a number."""
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def boolean(value: Any) -> bool | None:
    """A bool from `true`/`True`/`false`/`1`/`0`; None when absent."""
    if value is None:
        return None
    lowered = str(value).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def local_time(value: Any) -> datetime | None:
    """A Kamer date/time in Amsterdam time (naive values are Amsterdam local time)."""
    parsed = parse_time(str(value), naive_tz=AMS) if value else None
    return parsed.astimezone(AMS) if parsed else None


def plain_text(value: Any) -> str | None:
    """HTML the Kamer puts in notes ('Herziene versie<br /><u>Spreektijd</u> …') as one line of text."""
    raw = text(value)
    if raw is None:
        return None
    if "<" in raw:
        raw = BeautifulSoup(raw, "html.parser").get_text(" ")
    return text(raw)


def join_text(parts: Iterable[str | None]) -> str:
    """Distinct non-empty parts, in order, one per line (the text rules match against)."""
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return "\n".join(seen)


def _first_known(entity: Entity) -> str | None:
    moment = parse_time(entity.first_updated) if entity.first_updated else None
    return iso(moment) if moment else None


def _raw(entity: Entity) -> str:
    return json.dumps({"fields": entity.fields, "refs": entity.refs}, sort_keys=True, ensure_ascii=False)
