"""Benchmark of the read side: digests, the key-week report and the calendar over a year of Kamer history.

    python benchmarks/briefing_bench.py                      # scales 0.25, 0.5, 1; 5 rounds; profile at 1 (~10 min)
    python benchmarks/briefing_bench.py --scale 1 --rounds 3 # one history size
    python benchmarks/briefing_bench.py --cache /tmp/bb      # keep the seeded databases and reuse them next time

What it measures, against the targets of the briefing issue:

- the daily digests for every recipient of 50 dossiers (`deliver.digest.build_digests` on a
  `store.view(now, rematch=...)`, plus `render_digest` of each), in two states: *first* (no
  recipient has had a digest yet: one week of news) and *day after* (every recipient got
  yesterday's digest at 07:00, queued with `prepare_digests`: what the daily job really does);
                                                                     target < 2 s
- the report for a key week (`pipeline.briefing` with `Scope.iso_week`, which includes the
  no-op `match_pending`, plus `report.render(b, "text")`; html and json once);  target < 1 s
- the calendar (`pipeline.calendar`, all dossiers) and the no-op `match_pending`, for reference;
- SQL statements per report / per digest run (`set_trace_callback`), store size, seeding time;
- each at 1/4, 1/2 and the full year of history (the future agenda stays 90 days): a table at
  the end shows whether cost follows the history or the window;
- a cProfile of the day-after digests and the report at the largest scale (top functions by
  cumulative and by own time, with file:line).

The world is synthetic and seeded (`--seed`): per year about 7,000 activities
(procedurevergaderingen listing every incoming letter, commissiedebatten, plenary debates,
tweeminutendebatten, weekly Stemmingen with 20-60 moties, rondetafelgesprekken with position
papers, inbreng schriftelijk overleg, ...), 25,000 zaken (brieven regering, moties with
indieners, appreciatie and votes, Kamervragen with answers, amendementen, ...), 35,000 documents
and 15,000 press articles, written through `Store.upsert_item` in the shape of
`monitor/sources/tk_items.py`, each version at the moment it would have been fetched (so the
change log holds moves, cancellations, re-creations with VervangenVanuit, 'Uitgevoerd', agenda
additions, appreciaties and votes). Matching is the real thing: the 50 dossiers' rules are
compiled by the engine and `pipeline.match_pending` writes the matches (timed separately);
topics are drawn so that about 7.5% of items match a dossier and each dossier's letters land
on its own commissie's agendas. The Kamer's person register (tk_entities) is left empty, so
woordvoerders come from indieners and deelnemers only.

Times are wall-clock on a shared machine: each measurement is repeated (`--rounds`, variants
alternating) and reported as median [min-max]; nothing is asserted. The last line sums up.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import math
import os
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor import pipeline, report  # noqa: E402
from monitor.briefing import Scope  # noqa: E402
from monitor.config import (  # noqa: E402
    DEFAULT_LEAD_TIMES,
    Config,
    DigestConfig,
    DossierConfig,
    EmailConfig,
    RuleConfig,
    RulesConfig,
    SmtpConfig,
    SourceConfig,
    SourcesConfig,
    _rules_version,
)
from monitor.deliver.digest import build_digests, prepare_digests, render_digest  # noqa: E402
from monitor.models import Item  # noqa: E402
from monitor.moments import MOVES_LOOKBACK_DAYS, relevant_chains  # noqa: E402
from monitor.rules.query import parse_query  # noqa: E402
from monitor.sources.tk_items import ACTIVITY_URL, join_text, zaak_url  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.timeutil import AMS, iso, parse_instant  # noqa: E402

GENERATOR_VERSION = "4"  # bump when the generated world changes (invalidates --cache)
FUTURE_DAYS = 90
CHUNK = 2000

# ---------------------------------------------------------------------------- the Kamer's cast

COMMISSIES = {
    # afkorting: (naam, filler topics: what the commissie handles that no dossier follows)
    "VWS": ("vaste commissie voor Volksgezondheid, Welzijn en Sport", ["geneesmiddelenbeleid", "medische hulpmiddelen", "acute zorg", "orgaandonatie", "medische ethiek", "pandemische paraatheid", "tabaksontmoediging", "zorgfraude", "ziekenhuiszorg", "eerstelijnszorg"]),
    "SZW": ("vaste commissie voor Sociale Zaken en Werkgelegenheid", ["pensioenstelsel", "arbeidsongeschiktheid", "AOW-leeftijd", "minimumloon", "arbeidsmarktbeleid", "Arbeidsinspectie", "uitkeringsfraude", "werkloosheidswet"]),
    "BiZa": ("vaste commissie voor Binnenlandse Zaken", ["Rijksdienst", "grondwetsherziening", "kiesstelsel", "integriteit openbaar bestuur", "AIVD", "Caribisch Nederland", "koninkrijksrelaties"]),
    "VRO": ("vaste commissie voor Volkshuisvesting en Ruimtelijke Ordening", ["bouwregelgeving", "hypotheekrente", "woningcorporaties", "bouwkwaliteit", "erfpacht", "Rijksvastgoed"]),
    "JenV": ("vaste commissie voor Justitie en Veiligheid", ["gevangeniswezen", "strafrechtketen", "rechtspraak", "politieorganisatie", "cybercrime", "terrorismebestrijding", "slachtofferbeleid", "kansspelen"]),
    "AenM": ("vaste commissie voor Asiel en Migratie", ["vreemdelingenbewaring", "terugkeerbeleid", "naturalisatie", "gezinshereniging", "Europees migratiepact"]),
    "OCW": ("vaste commissie voor Onderwijs, Cultuur en Wetenschap", ["hoger onderwijs", "studiefinanciering", "lerarentekort", "wetenschapsbeleid", "mediabeleid", "curriculum"]),
    "IenW": ("vaste commissie voor Infrastructuur en Waterstaat", ["luchtvaart", "spoorwegen", "scheepvaart", "rijkswegen", "zeehavens", "Deltaprogramma"]),
    "KGG": ("vaste commissie voor Klimaat en Groene Groei", ["windenergie op zee", "kernenergie", "CO2-heffing", "waterstofnetwerk", "mijnbouw"]),
    "EZ": ("vaste commissie voor Economische Zaken", ["mededinging", "exportbeleid", "postmarkt", "innovatiebeleid", "ondernemersklimaat"]),
    "LVVN": ("vaste commissie voor Landbouw, Visserij, Voedselzekerheid en Natuur", ["visserijbeleid", "dierenwelzijn", "mestbeleid", "gewasbescherming", "voedselveiligheid"]),
    "DiZa": ("vaste commissie voor Digitale Zaken", ["algoritmetoezicht", "cloudbeleid", "online platforms", "digitale identiteit in Europa"]),
    "Fin": ("vaste commissie voor Financiën", ["belastingdienst", "toeslagenherstel", "bankentoezicht", "staatsdeelnemingen", "fiscale regelingen", "btw-tarieven"]),
    "Def": ("vaste commissie voor Defensie", ["defensiematerieel", "personeelsbeleid defensie", "missies", "krijgsmacht"]),
    "BuZa": ("vaste commissie voor Buitenlandse Zaken", ["mensenrechtenbeleid", "ontwikkelingssamenwerking", "handelsakkoorden", "Oekraïne-steun"]),
}
COMMISSIE_WEIGHT = {"VWS": 14, "SZW": 10, "BiZa": 8, "VRO": 7, "JenV": 10, "AenM": 5, "OCW": 8, "IenW": 8, "KGG": 6, "EZ": 5, "LVVN": 6, "DiZa": 3, "Fin": 7, "Def": 5, "BuZa": 6}
PLENARY = {"id": "c-tk", "afkorting": "TK", "naam": "Tweede Kamer"}

# The 50 dossiers a (large) municipality follows: id, title, commissie, terms (the kern rule is
# their OR; the texts use them), weight (how busy the dossier is).
DOSSIERS = [
    ("jeugd", "Jeugdzorg en jeugdhulp", "VWS", ["jeugdzorg", "jeugdhulp", "Jeugdwet"], 3),
    ("wmo", "Wmo en beschermd wonen", "VWS", ["Wmo", "beschermd wonen", "maatschappelijke opvang"], 3),
    ("dakloosheid", "Dakloosheid", "VWS", ["dakloosheid", "daklozen"], 1),
    ("ggz", "GGZ", "VWS", ["ggz", "geestelijke gezondheidszorg"], 2),
    ("verward", "Personen met verward gedrag", "VWS", ["verward gedrag", "onbegrepen gedrag"], 1),
    ("preventie", "Preventie en gezondheid", "VWS", ["preventieakkoord", "gezondheidsachterstanden"], 1),
    ("ouderen", "Wonen en zorg voor ouderen", "VWS", ["ouderenhuisvesting", "wonen en zorg voor ouderen"], 1),
    ("mantelzorg", "Mantelzorg", "VWS", ["mantelzorg", "mantelzorgers"], 1),
    ("sport", "Sport en bewegen", "VWS", ["sportakkoord", "sportaccommodaties"], 1),
    ("participatie", "Participatiewet en bijstand", "SZW", ["Participatiewet", "bijstand", "BUIG"], 3),
    ("schulden", "Schuldhulpverlening en armoede", "SZW", ["schuldhulpverlening", "schuldenbeleid", "armoedebeleid"], 2),
    ("inburgering", "Inburgering", "SZW", ["inburgering", "inburgeraars"], 2),
    ("kinderopvang", "Kinderopvang", "SZW", ["kinderopvang", "kinderopvangtoeslag"], 1),
    ("arbeidsmigratie", "Arbeidsmigratie", "SZW", ["arbeidsmigranten", "arbeidsmigratie"], 1),
    ("wsw", "Beschut werk en Wsw", "SZW", ["beschut werk", "sociale werkvoorziening", "Wsw"], 1),
    ("voedselbanken", "Voedselbanken", "SZW", ["voedselbanken", "voedselarmoede"], 1),
    ("gemeentefinancien", "Gemeentefinanciën", "BiZa", ["gemeentefonds", "ravijnjaar"], 3),
    ("democratie", "Lokale democratie", "BiZa", ["gemeenteraadsverkiezingen", "raadsleden", "lokale democratie"], 1),
    ("herindeling", "Herindeling", "BiZa", ["herindeling", "herindelingsadvies"], 1),
    ("discriminatie", "Discriminatie", "BiZa", ["antidiscriminatievoorziening", "discriminatiemeldpunt"], 1),
    ("lokalelasten", "Lokale lasten", "BiZa", ["onroerendezaakbelasting", "lokale lasten"], 1),
    ("wonen", "Woningbouw", "VRO", ["woningbouw", "woningbouwopgave", "betaalbare huur"], 3),
    ("omgevingswet", "Omgevingswet", "VRO", ["Omgevingswet", "omgevingsplan"], 2),
    ("vakantieparken", "Vakantieparken", "VRO", ["vakantieparken", "permanente bewoning"], 1),
    ("huurtoeslag", "Huurtoeslag", "VRO", ["huurtoeslag", "huurbevriezing"], 1),
    ("ruimte", "Ruimtelijke ordening", "VRO", ["Nota Ruimte", "ruimtelijke ordening"], 1),
    ("versterking", "Versterking Groningen", "VRO", ["versterkingsoperatie", "aardbevingsgebied"], 1),
    ("ondermijning", "Ondermijning", "JenV", ["ondermijning", "drugscriminaliteit"], 2),
    ("boa", "Handhaving en boa's", "JenV", ["handhavers", "buitengewoon opsporingsambtenaar"], 1),
    ("vuurwerk", "Vuurwerk", "JenV", ["vuurwerkverbod", "vuurwerk"], 1),
    ("prostitutie", "Prostitutiebeleid", "JenV", ["prostitutiebeleid", "Wet regulering sekswerk"], 1),
    ("jeugdcriminaliteit", "Jeugdcriminaliteit", "JenV", ["jeugdcriminaliteit", "Halt-afdoening"], 1),
    ("asiel", "Opvang asielzoekers", "AenM", ["asielopvang", "Spreidingswet", "asielzoekerscentrum"], 3),
    ("amv", "Alleenstaande minderjarige vreemdelingen", "AenM", ["alleenstaande minderjarige vreemdelingen", "amv-opvang"], 1),
    ("onderwijshuisvesting", "Onderwijshuisvesting", "OCW", ["onderwijshuisvesting", "schoolgebouwen"], 1),
    ("leerplicht", "Leerplicht en thuiszitters", "OCW", ["leerplicht", "thuiszitters", "voortijdig schoolverlaten"], 1),
    ("laaggeletterdheid", "Laaggeletterdheid", "OCW", ["laaggeletterdheid", "basisvaardigheden"], 1),
    ("cultuur", "Cultuur en bibliotheken", "OCW", ["bibliotheken", "cultuureducatie"], 1),
    ("emancipatie", "Emancipatie", "OCW", ["emancipatiebeleid", "lhbtiq"], 1),
    ("klimaatadaptatie", "Klimaatadaptatie", "IenW", ["klimaatadaptatie", "hittestress"], 1),
    ("ov", "Openbaar vervoer en doelgroepenvervoer", "IenW", ["doelgroepenvervoer", "busvervoer", "openbaar vervoer"], 2),
    ("riolering", "Riolering en water", "IenW", ["riolering", "waterschappen"], 1),
    ("afval", "Afval en circulaire economie", "IenW", ["afvalinzameling", "circulaire economie"], 1),
    ("verkeer", "Verkeersveiligheid", "IenW", ["verkeersveiligheid", "snelheidsverlaging"], 1),
    ("warmte", "Warmtetransitie", "KGG", ["warmtetransitie", "warmtenet", "aardgasvrij"], 2),
    ("energiearmoede", "Energiearmoede", "KGG", ["energiearmoede", "energietoeslag"], 1),
    ("binnensteden", "Binnensteden en winkelgebieden", "EZ", ["winkelgebieden", "binnensteden"], 1),
    ("toerisme", "Toerisme", "EZ", ["toerisme", "toeristenbelasting"], 1),
    ("stikstof", "Stikstof", "LVVN", ["stikstof", "stikstofdepositie"], 2),
    ("digitaal", "Digitale overheid", "DiZa", ["DigiD", "Wet digitale overheid", "informatieveiligheid"], 1),
]
TEAMS = {"VWS": "sociaal-domein", "SZW": "sociaal-domein", "OCW": "sociaal-domein", "BiZa": "bestuur", "JenV": "veiligheid", "AenM": "sociaal-domein"}

FRACTIES = [("PVV", 37), ("GL-PvdA", 25), ("VVD", 24), ("NSC", 20), ("D66", 9), ("BBB", 7), ("CDA", 5), ("SP", 5), ("DENK", 3), ("PvdD", 3), ("FvD", 3), ("SGP", 3), ("CU", 3), ("Volt", 2), ("JA21", 1)]
SURNAMES = """de Vries|Jansen|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|
Smits|de Graaf|van der Meer|van der Linden|Kok|Jacobs|de Haan|Vermeulen|van den Berg|van der Heijden|van der Veen|van den Broek|de Bruijn|
de Jong|Schouten|van Beek|Willems|van Vliet|van de Ven|Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|Blom|Huisman|Peeters|
de Lange|Kuipers|van Wijk|Postma|Kuiper|Veenstra|Kramer|van den Brink|Scholten|Vink|Martens|Timmermans|Bosman|Yilmaz|El Idrissi|Öztürk""".replace("\n", "").split("|")
ROOMS = ["Thorbeckezaal", "Groen van Prinstererzaal", "Wttewaall van Stoetwegenzaal", "Troelstrazaal", "Klompézaal", "Van Eysingazaal", "Suze Groenewegzaal", "Aletta Jacobszaal"]
PRESS = [("binnenlands-bestuur", "vakpers", 5), ("skipr", "vakpers", 3), ("zorgvisie", "vakpers", 2), ("ibestuur", "vakpers", 1), ("zorgwelzijn", "vakpers", 2), ("nos-politiek", "pers", 4), ("vng", "vakpers", 2)]

# Neutral Dutch for article bodies (no dossier term among them).
FILLER = """de het een en van in is dat op te zijn voor met die niet aan er om ook als bij of door maar over nog naar dan uit wel
worden wordt kan moet zal al tot hebben heeft was werd deze dit meer geen wat we ze hij zij hun hoe waar want omdat zodat toch nu
kabinet minister staatssecretaris Kamer gemeenten provincies wethouder burgemeester wethouders plannen miljoen euro jaar onderzoek
rapport uitvoering regels afspraken akkoord gesprek overleg voorstel besluit aanpak probleem oplossing zorgen kritiek steun partijen
coalitie oppositie fractie debat week maand volgend vorig nieuw grote kleine landelijke lokale regionale eerste tweede laatste veel
weinig snel langzaam duidelijk onduidelijk belangrijk extra structureel tijdelijk budget middelen capaciteit personeel organisaties
instellingen inwoners bewoners ondernemers verenigingen signalen cijfers gevolgen effect evaluatie toezicht rol verantwoordelijkheid""".split()
LETTER_TEMPLATES = ["Voortgangsbrief {t}", "Stand van zaken {t}", "Kabinetsreactie op het advies over {t}", "Beleidsreactie op het rapport over {t}",
                    "Verzamelbrief {t}", "Uitvoering van moties en toezeggingen over {t}", "Reactie op verzoek commissie over {t}",
                    "Planning en voortgang {t}", "Beantwoording vragen commissie over {t}", "Evaluatie {t}"]
MOTIE_TEMPLATES = ["over {t}", "over structurele financiering van {t}", "over het verbeteren van {t}", "over een plan van aanpak voor {t}",
                   "over de uitvoerbaarheid van {t} voor gemeenten", "over het schrappen van regels rond {t}", "over een landelijke norm voor {t}"]
PRESS_TEMPLATES = ["Gemeenten luiden noodklok over {t}", "Kabinet trekt extra geld uit voor {t}", "Onderzoek: {t} staat onder druk",
                   "Wethouders willen duidelijkheid over {t}", "Kamer wil meer snelheid bij {t}", "Nieuwe cijfers over {t}",
                   "Interview: 'Zo kan het beter met {t}'", "Analyse: wat betekent de begroting voor {t}?", "VNG kritisch over plannen {t}"]
OTHER_SOORTEN = [("Gesprek", 4), ("Technische briefing", 3), ("Werkbezoek", 2), ("E-mailprocedure", 3), ("Petitie", 2), ("Delegatievergadering", 1),
                 ("Inbreng feitelijke vragen", 2), ("Vergadering", 2), ("Strategische procedurevergadering", 1)]
OTHER_ZAAK_SOORTEN = [("Brief commissie", 5), ("Brief van lid/fractie/commissie", 3), ("Lijst met EU-voorstellen", 2), ("Verzoekschrift", 2),
                      ("Wetgeving", 2), ("Nota van wijziging", 2), ("Initiatiefnota", 1), ("Rapport/brief Algemene Rekenkamer", 1),
                      ("Mondelinge vragen", 2), ("EU-voorstel", 2), ("Overig", 3)]


# ---------------------------------------------------------------------------- the world


@dataclass
class Topic:
    key: str
    commissie: str
    dossier: str | None
    phrases: list[str]
    kamerstuk: dict[str, Any]


@dataclass
class Ent:
    """One Kamer item (or article) with its content at creation and its later changes."""

    kind: str
    guid: str
    t0: datetime
    data: dict[str, Any]
    published: str | None
    source: str = "tk"
    title: str = ""  # articles only
    text: str = ""
    url: str | None = None
    raw: str = ""
    patches: list[tuple[datetime, int, Any]] = field(default_factory=list)  # (when, seq, fn or "delete")
    topic: Topic | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def item_id(self) -> str:
        return f"{self.source}:{self.kind}/{self.guid}" if self.source == "tk" else f"{self.source}:{self.guid}"


class World:
    """A seeded year (times `scale`) of Kamer history and press, up to `now`, plus 90 days of agenda."""

    def __init__(self, seed: int, now: datetime, scale: float) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=round(365 * scale))
        self.end_day = now.date() + timedelta(days=FUTURE_DAYS)
        self.seq = 0
        self.counter = Counter()
        self.ents: list[Ent] = []
        self.zaken_by_commissie: dict[str, list[tuple[datetime, Ent]]] = {c: [] for c in COMMISSIES}
        self.brieven_by_topic: dict[str, list[tuple[datetime, Ent]]] = {}
        self.debates: list[Ent] = []  # plenary debates and tweeminutendebatten (moties are filed there)
        self.cds: list[tuple[date, Ent]] = []
        self.stemmingen: list[Ent] = []
        self.by_guid: dict[str, Ent] = {}  # zaken by Kamer id
        self._cast()

    # ------------------------------------------------------------------ helpers

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def number(self, prefix: str) -> str:
        self.counter[prefix] += 1
        return f"2026{prefix}{10000 + self.counter[prefix]:05d}"

    def add(self, ent: Ent) -> Ent:
        self.ents.append(ent)
        return ent

    def patch(self, ent: Ent, when: datetime, fn: Any) -> None:
        if when > self.now:
            return  # not known yet at `now`
        self.seq += 1
        ent.patches.append((max(when, ent.t0 + timedelta(seconds=1)), self.seq, fn))

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)

    def fetched(self, moment: datetime) -> datetime:
        """When an item published at `moment` is first fetched: shortly after, but not before the history starts."""
        if moment < self.start:
            return self.start + timedelta(minutes=self.rng.randint(1, 50))
        return moment + timedelta(minutes=self.rng.randint(2, 40))

    def poisson(self, rate: float) -> int:
        if rate <= 0:
            return 0
        limit, k, p = math.exp(-rate), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _cast(self) -> None:
        rng = self.rng
        self.commissies = {a: {"id": f"c-{a.lower()}", "afkorting": a, "naam": n} for a, (n, _) in COMMISSIES.items()}
        self.topics: dict[str, list[Topic]] = {c: [] for c in COMMISSIES}
        self.dossier_topics: dict[str, list[Topic]] = {c: [] for c in COMMISSIES}
        number = 36100
        for dossier_id, title, commissie, terms, _weight in DOSSIERS:
            number += 7
            topic = Topic(dossier_id, commissie, dossier_id, terms, {"nummer": str(number), "toevoeging": None, "titel": title})
            self.topics[commissie].append(topic)
            self.dossier_topics[commissie].append(topic)
        self.dossier_weight = {d[0]: d[4] for d in DOSSIERS}
        for commissie, (_, fillers) in COMMISSIES.items():
            for filler in fillers:
                number += 3
                self.topics[commissie].append(Topic(filler, commissie, None, [filler], {"nummer": str(number), "toevoeging": None, "titel": filler[0].upper() + filler[1:]}))
        self.filler_topics = {c: [t for t in ts if t.dossier is None] for c, ts in self.topics.items()}
        self.people = []
        for fractie, seats in FRACTIES:
            for _ in range(seats):
                initials = "".join(rng.choice("ABCDEFGHIJKLMNPRSTW") + "." for _ in range(rng.choice((1, 1, 2))))
                self.people.append({"persoon_id": self.guid(), "naam": f"{initials} {rng.choice(SURNAMES)}", "fractie": fractie})
        self.members = {c: rng.sample(self.people, 22) for c in COMMISSIES}
        self.pv_weekday = {c: rng.choice((1, 2, 3)) for c in COMMISSIES}
        self.commissie_names = list(COMMISSIES)
        self.commissie_weights = [COMMISSIE_WEIGHT[c] for c in self.commissie_names]

    def pick_commissie(self) -> str:
        return self.rng.choices(self.commissie_names, self.commissie_weights)[0]

    def pick_topic(self, commissie: str, p_dossier: float) -> Topic:
        dossiers = self.dossier_topics[commissie]
        if dossiers and self.rng.random() < p_dossier:
            return self.rng.choices(dossiers, [self.dossier_weight[t.dossier] for t in dossiers])[0]
        return self.rng.choice(self.filler_topics[commissie])

    def phrase(self, topic: Topic) -> str:
        text = self.rng.choice(topic.phrases)
        if topic.dossier and self.rng.random() < 0.08:  # some items are about two dossiers
            others = [t for t in self.dossier_topics[topic.commissie] if t is not topic]
            if others:
                text += " en " + self.rng.choice(self.rng.choice(others).phrases)
        return text

    def words(self, count: int) -> str:
        return " ".join(self.rng.choices(FILLER, k=count))

    def person(self, who: dict[str, str], rol: str) -> dict[str, str]:
        return {"persoon_id": who["persoon_id"], "naam": who["naam"], "fractie": who["fractie"], "rol": rol}

    def days(self):
        day = self.start.date()
        while day <= self.end_day:
            yield day
            day += timedelta(days=1)

    @staticmethod
    def recess(day: date) -> bool:
        return (day.month == 7 and day.day >= 4) or day.month == 8 or (day.month == 12 and day.day >= 19) or (day.month == 1 and day.day <= 11)

    # ------------------------------------------------------------------ zaken and documents

    def zaak(self, soort: str, topic: Topic, when: datetime, onderwerp: str, *, indieners=(), activiteit_ids=(), docs: int = 1, doc_soort: str | None = None) -> Ent:
        guid = self.guid()
        nummer = self.number("Z")
        gestart = self.at(when.date(), 0)
        data = {
            "id": guid, "nummer": nummer, "soort": soort, "titel": topic.kamerstuk["titel"], "onderwerp": onderwerp, "afgedaan": False,
            "kabinetsappreciatie": None, "gestart_op": iso(gestart), "kamerstukdossier": dict(topic.kamerstuk),
            "commissie": dict(self.commissies[topic.commissie]), "indieners": list(indieners), "documenten": [],
            "agendapunt_ids": [], "activiteit_ids": sorted(activiteit_ids), "besluiten": [], "uitslag": None,
        }
        ent = self.add(Ent("zaak", guid, self.fetched(when), data, iso(gestart), topic=topic, raw=self._raw(data)))
        self.by_guid[guid] = ent
        for index in range(docs):
            kind = (doc_soort or soort) if index == 0 else "Bijlage"
            title = onderwerp if index == 0 else f"Bijlage {index} bij {onderwerp[:1].lower() + onderwerp[1:]}"
            self.document(ent, kind, title, when)
        return ent

    def document(self, zaak: Ent | None, soort: str, onderwerp: str, when: datetime, topic: Topic | None = None) -> Ent:
        guid = self.guid()
        topic = topic or (zaak.topic if zaak else None)
        data = {
            "id": guid, "documentnummer": self.number("D"), "soort": soort, "titel": topic.kamerstuk["titel"] if topic else soort,
            "onderwerp": onderwerp, "datum": when.date().isoformat(), "kamerstukdossier": dict(topic.kamerstuk) if topic else None,
            "volgnummer": self.rng.randint(1, 400), "zaak_ids": [zaak.guid] if zaak else [],
        }
        ent = self.add(Ent("document", guid, self.fetched(when), data, iso(self.at(when.date(), 0)), topic=topic, raw=self._raw(data)))
        if zaak is not None:
            ref = {"id": guid, "documentnummer": data["documentnummer"], "soort": soort, "titel": data["titel"], "onderwerp": onderwerp}
            if ent.t0 <= zaak.t0 + timedelta(hours=1):
                zaak.data["documenten"].append(ref)
            else:
                self.patch(zaak, ent.t0, lambda d, ref=ref: d["documenten"].append(ref))
            zaak.extra.setdefault("docs", []).append(ent)
        return ent

    def _raw(self, data: dict[str, Any]) -> str:
        # What the source keeps as the payload: the entity's own fields (here: the scalar ones).
        return json.dumps({"fields": {k: v for k, v in data.items() if isinstance(v, (str, int, bool)) or v is None}}, ensure_ascii=False, sort_keys=True)

    def letters(self, p_dossier: float) -> None:
        """Brieven regering, Kamervragen, amendementen and the other zaken, day by day."""
        rng = self.rng
        for day in self.days():
            if self.at(day, 8) > self.now:
                break
            weekend = day.weekday() >= 5
            factor = 0.08 if weekend else (0.5 if self.recess(day) else 1.0)
            for _ in range(self.poisson(40 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier)
                when = self.at(day, rng.randint(9, 19), rng.randint(0, 59))
                onderwerp = rng.choice(LETTER_TEMPLATES).format(t=self.phrase(topic))
                ent = self.zaak("Brief regering", topic, when, onderwerp, docs=1 + (rng.randint(1, 3) if rng.random() < 0.35 else 0))
                self.zaken_by_commissie[commissie].append((ent.t0, ent))
                self.brieven_by_topic.setdefault(topic.key, []).append((ent.t0, ent))
            for _ in range(self.poisson(12 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier)
                who = rng.sample(self.people, rng.randint(1, 3))
                when = self.at(day, rng.randint(9, 18))
                naam = who[0]["naam"]
                ent = self.zaak("Schriftelijke vragen", topic, when, f"Vragen van het lid {naam} over {self.phrase(topic)}",
                                indieners=[self.person(p, "Indiener" if i == 0 else "Medeindiener") for i, p in enumerate(who)])
                if rng.random() < 0.85:
                    answered = when + timedelta(days=rng.randint(21, 56), hours=rng.randint(0, 6))
                    if answered <= self.now:
                        self.document(ent, "Antwoord schriftelijke vragen", f"Antwoord op vragen van het lid {naam} over {self.phrase(topic)}", answered)
            for _ in range(self.poisson(3 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier)
                who = rng.sample(self.people, rng.randint(1, 3))
                self.zaak("Amendement", topic, self.at(day, rng.randint(10, 22)), f"Amendement van het lid {who[0]['naam']} over {self.phrase(topic)}",
                          indieners=[self.person(p, "Indiener" if i == 0 else "Medeindiener") for i, p in enumerate(who)])
            for _ in range(self.poisson(25 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier)
                soort = rng.choices([s for s, _ in OTHER_ZAAK_SOORTEN], [w for _, w in OTHER_ZAAK_SOORTEN])[0]
                docs = 3 if soort == "Wetgeving" else 1
                doc_soort = "Voorstel van wet" if soort == "Wetgeving" else soort
                ent = self.zaak(soort, topic, self.at(day, rng.randint(9, 19)), f"{soort}: {self.phrase(topic)}", docs=docs, doc_soort=doc_soort)
                if soort == "Brief commissie":
                    self.zaken_by_commissie[commissie].append((ent.t0, ent))

    # ------------------------------------------------------------------ activities

    def activity(self, soort: str, onderwerp: str, day: date, hour: int, minute: int, commissie: dict[str, Any], lead_days: tuple[int, int],
                 *, agenda_from: Callable[[datetime], list[dict[str, Any]]] | None = None, deelnemers=(), movable: bool = True) -> Ent | None:
        """Plan one activity: when it was published, its agenda then, and what happened to it later."""
        rng = self.rng
        published = self.at(day - timedelta(days=rng.randint(*lead_days)), rng.randint(8, 17), rng.randint(0, 59))
        if published > self.now:
            return None  # not on the Kamer's agenda yet
        t0 = self.fetched(published)
        start = self.at(day, hour, minute)
        guid = self.guid()
        points = agenda_from(t0) if agenda_from else []
        data = {
            "id": guid, "nummer": self.number("A"), "soort": soort, "onderwerp": onderwerp, "status": "Gepland",
            "datum": day.isoformat(), "aanvangstijd": iso(start), "eindtijd": iso(start + timedelta(hours=rng.choice((1, 2, 3, 4)))),
            "locatie": "Plenaire zaal" if commissie is PLENARY else rng.choice(ROOMS), "commissie": dict(commissie),
            "agenda": [p["onderwerp"] for p in points if p["onderwerp"]], "agendapunten": points, "deelnemers": list(deelnemers),
            "vervangen_vanuit": None, "voortgezet_vanuit": None,
        }
        ent = self.add(Ent("activiteit", guid, t0, data, iso(published), raw=self._raw(data)))
        self._link_agenda(ent, points, t0)
        final = ent
        final_day = day
        cancelled = False
        roll = rng.random()
        window = (min(start - timedelta(days=1), self.now) - t0).total_seconds()
        if movable and window > 3600:
            when = t0 + timedelta(seconds=rng.uniform(1800, window))
            if roll < 0.07:  # moved: same activity, new date
                new_day = day + timedelta(days=rng.choice((-7, -2, -1, 1, 2, 7, 7, 14)))
                while new_day.weekday() >= 5:
                    new_day += timedelta(days=1)
                new_start = self.at(new_day, rng.choice((10, 13, 14, 16)), rng.choice((0, 30)))
                self.patch(ent, when, lambda d, s=new_start: d.update(datum=s.date().isoformat(), aanvangstijd=iso(s), eindtijd=iso(s + timedelta(hours=2))))
                final_day = new_day
            elif roll < 0.12:  # cancelled
                self.patch(ent, when, lambda d: d.update(status="Geannuleerd"))
                cancelled = True
            elif roll < 0.14:  # re-created under a new id (VervangenVanuit)
                self.patch(ent, when, lambda d: d.update(status="Verplaatst"))
                new_day = day + timedelta(days=rng.randint(7, 28))
                while new_day.weekday() >= 5:
                    new_day += timedelta(days=1)
                new_guid = self.guid()
                new_start = self.at(new_day, hour, minute)
                new_data = {**copy.deepcopy(data), "id": new_guid, "nummer": self.number("A"), "datum": new_day.isoformat(),
                            "aanvangstijd": iso(new_start), "eindtijd": iso(new_start + timedelta(hours=2)), "vervangen_vanuit": guid}
                final = self.add(Ent("activiteit", new_guid, when + timedelta(minutes=5), new_data, iso(when), raw=self._raw(new_data)))
                self._link_agenda(final, new_data["agendapunten"], final.t0)
                final_day = new_day
            elif roll < 0.143 and not points:
                self.patch(ent, when, "delete")
                cancelled = True
        if not cancelled and final_day < self.now.date() and rng.random() < 0.9:
            self.patch(final, self.at(final_day + timedelta(days=1), 6, rng.randint(0, 59)), lambda d: d.update(status="Uitgevoerd"))
        final.extra.update(day=final_day, cancelled=cancelled)
        return final

    def _link_agenda(self, activity: Ent, points: list[dict[str, Any]], when: datetime) -> None:
        """The source rebuilds a zaak when it lands on an agenda: activiteit_ids and agendapunt_ids change."""
        for point in points:
            for ref in point["zaken"]:
                zaak = self.by_guid.get(ref["id"])
                if zaak is None:
                    continue

                def link(d, a=activity.guid, p=point["id"]):
                    d["activiteit_ids"] = sorted(set(d["activiteit_ids"]) | {a})
                    d["agendapunt_ids"] = sorted(set(d["agendapunt_ids"]) | {p})

                self.patch(zaak, when, link)

    def point(self, onderwerp: str, zaken: list[Ent] = (), documenten: list[Ent] = (), volgorde: int = 1) -> dict[str, Any]:
        return {
            "id": self.guid(), "onderwerp": onderwerp, "volgorde": volgorde,
            "zaken": [{"id": z.guid, **{k: z.data[k] for k in ("nummer", "soort", "titel", "onderwerp")}} for z in zaken],
            "documenten": [{"id": d.guid, **{k: d.data[k] for k in ("documentnummer", "soort", "titel", "onderwerp")}, "kamerstukdossier": d.data["kamerstukdossier"]} for d in documenten],
        }

    def recent(self, rows: list[tuple[datetime, Ent]], low: datetime, high: datetime) -> list[Ent]:
        return [e for _, e in rows[bisect_left(rows, low, key=lambda r: r[0]): bisect_right(rows, high, key=lambda r: r[0])]]

    def meetings(self, p_dossier: float) -> None:
        rng = self.rng
        for rows in (*self.zaken_by_commissie.values(), *self.brieven_by_topic.values()):
            rows.sort(key=lambda r: r[0])  # fetched in time order, for bisect
        for day in self.days():
            weekday = day.weekday()
            if weekday >= 5:
                continue
            factor = 0.15 if self.recess(day) else 1.0
            # Procedurevergaderingen: every letter the commissie received since the last one.
            for commissie in COMMISSIES:
                if self.pv_weekday[commissie] != weekday or rng.random() > 0.85 * factor:
                    continue

                def pv_agenda(t0, c=commissie):
                    letters = self.recent(self.zaken_by_commissie[c], t0 - timedelta(days=7), t0)[:40]
                    points = [self.point("Regeling van werkzaamheden", volgorde=1)]
                    points += [self.point(z.data["onderwerp"], [z], (z.extra.get("docs") or [])[:1], i + 2) for i, z in enumerate(letters)]
                    for extra in range(rng.randint(0, 2)):
                        topic = self.pick_topic(c, p_dossier)
                        rondvraag = self.zaak("Rondvraagpunt procedurevergadering", topic, t0 - timedelta(hours=2), f"Rondvraagpunt: {self.phrase(topic)}")
                        points.append(self.point(rondvraag.data["onderwerp"], [rondvraag], [], len(points) + 1))
                    return points

                self.activity("Procedurevergadering", f"Procedurevergadering {commissie}", day, rng.choice((10, 16)), 0, self.commissies[commissie], (6, 21), agenda_from=pv_agenda, movable=False)
            # Commissiedebatten on a topic, with the letters on it.
            for _ in range(self.poisson(1.8 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier * 1.6)

                def cd_agenda(t0, t=topic, c=commissie):
                    letters = self.recent(self.brieven_by_topic.get(t.key, []), t0 - timedelta(days=150), t0)[-8:]
                    if len(letters) < 2:  # a debate on a quiet topic: some other letters of the commissie
                        pool = self.recent(self.zaken_by_commissie[c], t0 - timedelta(days=60), t0)
                        letters += rng.sample(pool, min(len(pool), rng.randint(1, 3)))
                    return [self.point(z.data["onderwerp"], [z], (z.extra.get("docs") or [])[:1], i + 1) for i, z in enumerate(letters)]

                deelnemers = [self.person(p, "Deelnemer") for p in rng.sample(self.members[commissie], rng.randint(5, 9))]
                label = topic.kamerstuk["titel"]
                ent = self.activity("Commissiedebat", label, day, rng.choice((10, 13, 14, 16)), rng.choice((0, 30)), self.commissies[commissie], (14, 100), agenda_from=cd_agenda, deelnemers=deelnemers)
                if ent is not None:
                    ent.topic = topic
                    self.cds.append((ent.extra["day"], ent))
                    if rng.random() < 0.4:  # a letter added to the agenda in the last week
                        added = self.at(day - timedelta(days=rng.randint(1, 7)), 15)
                        more = [z for z in self.recent(self.brieven_by_topic.get(topic.key, []), added - timedelta(days=20), added) if z.guid not in json.dumps(ent.data["agendapunten"])]
                        if more and added > ent.t0:
                            point = self.point(more[-1].data["onderwerp"], [more[-1]], (more[-1].extra.get("docs") or [])[:1], 99)
                            self.patch(ent, added, lambda d, p=point: (d["agendapunten"].append(p), d["agenda"].append(p["onderwerp"])))
                            self._link_agenda(ent, [point], added)
            if weekday in (1, 2, 3) and factor == 1.0:
                for _ in range(self.poisson(3)):
                    commissie = self.pick_commissie()
                    topic = self.pick_topic(commissie, p_dossier * 1.6)
                    soort = rng.choice(("Plenair debat (debat)", "Plenair debat (debat)", "Plenair debat (wetgeving)", "Plenair debat (dertigledendebat)", "Plenair debat (overig)"))
                    onderwerp = f"Debat over {self.phrase(topic)}"
                    deelnemers = [self.person(p, "Deelnemer") for p in rng.sample(self.people, rng.randint(6, 12))]
                    ent = self.activity(soort, onderwerp, day, rng.randint(10, 19), 0, self.commissies[commissie], (2, 45),
                                        agenda_from=lambda t0, o=onderwerp: [self.point(o)], deelnemers=deelnemers)
                    if ent is not None:
                        ent.topic = topic
                        self.debates.append(ent)
                for _ in range(self.poisson(3)):
                    held = [e for d, e in self.cds if day - timedelta(days=21) <= d <= day - timedelta(days=3)]
                    cd = rng.choice(held) if held else None
                    topic = cd.topic if cd else self.pick_topic(self.pick_commissie(), p_dossier)
                    onderwerp = f"Tweeminutendebat {cd.data['onderwerp'] if cd else topic.kamerstuk['titel']} (CD {cd.extra['day']:%d/%m})" if cd else f"Tweeminutendebat {topic.kamerstuk['titel']}"
                    deelnemers = [self.person(p, "Deelnemer") for p in rng.sample(self.members[topic.commissie], rng.randint(3, 6))]
                    ent = self.activity("Plenair debat (tweeminutendebat)", onderwerp, day, rng.randint(10, 22), 0, self.commissies[topic.commissie], (2, 14),
                                        agenda_from=lambda t0, o=onderwerp: [self.point(o)], deelnemers=deelnemers)
                    if ent is not None:
                        ent.topic = topic
                        self.debates.append(ent)
                self.activity("Regeling van werkzaamheden", "Regeling van werkzaamheden", day, 14, 0, PLENARY, (1, 7), movable=False)
                if weekday == 1:
                    stemmingen = self.activity("Stemmingen", "Stemmingen", day, 15, 0, PLENARY, (10, 10), movable=False)
                    if stemmingen is not None:
                        self.stemmingen.append(stemmingen)
                    self.activity("Vragenuur", "Vragenuur", day, 14, 0, PLENARY, (1, 5), movable=False,
                                  agenda_from=lambda t0: [self.point(f"Vragen van het lid {rng.choice(self.people)['naam']} over {self.phrase(self.pick_topic(self.pick_commissie(), p_dossier))}", volgorde=i + 1) for i in range(5)])
                    self.activity("Hamerstukken", "Hamerstukken", day, 15, 0, PLENARY, (2, 7), movable=False)
            # Rondetafelgesprekken with position papers.
            for _ in range(self.poisson(0.8 * factor)):
                commissie = self.pick_commissie()
                topic = self.pick_topic(commissie, p_dossier * 1.6)
                onderwerp = f"Rondetafelgesprek over {self.phrase(topic)}"
                deelnemers = [self.person(p, "Deelnemer") for p in rng.sample(self.members[commissie], rng.randint(3, 6))]
                ent = self.activity("Rondetafelgesprek", onderwerp, day, rng.choice((10, 14)), 0, self.commissies[commissie], (14, 70),
                                    agenda_from=lambda t0: [self.point(f"Blok {i + 1}: {self.words(3)}", volgorde=i + 1) for i in range(3)], deelnemers=deelnemers)
                if ent is not None:
                    for _ in range(rng.randint(3, 8)):
                        when = self.at(ent.extra["day"] - timedelta(days=rng.randint(1, 10)), rng.randint(9, 17))
                        if ent.t0 < when <= self.now:
                            self.zaak("Position paper", topic, when, f"Position paper {self.words(2)} over {self.phrase(topic)}", activiteit_ids=[ent.guid])
            # Inbreng schriftelijk overleg on one letter.
            for _ in range(self.poisson(2 * factor)):
                commissie = self.pick_commissie()

                def so_agenda(t0, c=commissie):
                    letters = self.recent(self.zaken_by_commissie[c], t0 - timedelta(days=30), t0)
                    letter = rng.choice(letters) if letters else None
                    return [self.point(letter.data["onderwerp"], [letter], (letter.extra.get("docs") or [])[:1])] if letter else []

                self.activity("Inbreng schriftelijk overleg", f"Schriftelijk overleg {commissie}", day, 14, 0, self.commissies[commissie], (7, 40), agenda_from=so_agenda)
            # The rest: gesprekken, briefings, werkbezoeken, e-mailprocedures, ...
            for _ in range(self.poisson(18 * factor)):
                commissie = self.pick_commissie()
                soort = rng.choices([s for s, _ in OTHER_SOORTEN], [w for _, w in OTHER_SOORTEN])[0]
                topic = self.pick_topic(commissie, p_dossier * 0.7)
                self.activity(soort, f"{soort} over {self.phrase(topic)}", day, rng.randint(9, 17), 0, self.commissies[commissie], (2, 60))

    def moties(self, p_dossier: float) -> None:
        """Moties filed at held debates, the weekly Stemmingen agenda, appreciaties and votes."""
        rng = self.rng
        filed: list[tuple[date, Ent, Ent]] = []  # (day, debate, motie)
        for debate in self.debates:
            day = debate.extra["day"]
            if debate.extra["cancelled"]:
                continue
            count = rng.randint(1, 6) if "tweeminutendebat" in debate.data["soort"] else rng.randint(0, 6)
            for _ in range(count):
                when = self.at(day, rng.randint(19, 23), rng.randint(0, 59))
                if when > self.now:
                    break
                topic = debate.topic if rng.random() < 0.8 else self.pick_topic(debate.topic.commissie, p_dossier)
                deelnemers = debate.data["deelnemers"] or [self.person(p, "Deelnemer") for p in rng.sample(self.people, 3)]
                who = [rng.choice(deelnemers)] + rng.sample(self.people, rng.randint(0, 3))
                indieners = [{**{k: p[k] for k in ("persoon_id", "naam", "fractie")}, "rol": "Indiener" if i == 0 else "Medeindiener"} for i, p in enumerate(who)]
                onderwerp = f"Motie van het lid {who[0]['naam']} {rng.choice(MOTIE_TEMPLATES).format(t=self.phrase(topic))}"
                motie = self.zaak("Motie", topic, when, onderwerp, indieners=indieners, activiteit_ids=[debate.guid])
                if rng.random() < 0.85:
                    appreciatie = rng.choice(("Oordeel Kamer", "Ontraden", "Ontraden", "Overgenomen", "Ontraden, tenzij gewijzigd"))
                    self.patch(motie, when + timedelta(hours=rng.randint(10, 16)), lambda d, a=appreciatie: d.update(kabinetsappreciatie=a))
                if rng.random() < 0.05:
                    self.document(motie, "Motie (gewijzigd)", "Gewijzigde " + onderwerp[0].lower() + onderwerp[1:], when + timedelta(days=rng.randint(1, 5)))
                filed.append((day, debate, motie))
        filed.sort(key=lambda r: (r[0], r[2].guid))
        days = [r[0] for r in filed]
        for stemmingen in self.stemmingen:
            tuesday = stemmingen.extra["day"]
            week = filed[bisect_left(days, tuesday - timedelta(days=7)): bisect_left(days, tuesday)]
            if not week:
                continue
            by_debate: dict[str, list[Ent]] = {}
            for _, debate, motie in week:
                by_debate.setdefault(debate.data["onderwerp"], []).append(motie)
            points = [self.point(f"Stemmingen over moties ingediend bij het {o[0].lower() + o[1:]}", ms, [], i + 1) for i, (o, ms) in enumerate(by_debate.items())]
            published = self.at(tuesday - timedelta(days=1), 18)
            self.patch(stemmingen, published, lambda d, p=points: d.update(agendapunten=p, agenda=[x["onderwerp"] for x in p]))
            self._link_agenda(stemmingen, points, published)
            voted = self.at(tuesday, 18, 30)
            if voted > self.now:
                continue
            for _, _, motie in week:
                if rng.random() < 0.1:
                    besluit = {"id": self.guid(), "soort": "Stemmen - aangehouden", "tekst": "Aangehouden.", "status": "Besluit", "stemmingssoort": None, "datum": tuesday.isoformat(), "stemmingen": []}
                    self.patch(motie, voted, lambda d, b=besluit: d.update(besluiten=[b], uitslag="aangehouden"))
                    continue
                own = motie.data["indieners"][0]["fractie"]
                votes = [{"fractie": f, "soort": "Voor" if f == own or rng.random() < 0.45 else "Tegen", "zetels": s} for f, s in FRACTIES]
                voor = sum(v["zetels"] for v in votes if v["soort"] == "Voor")
                outcome = "aangenomen" if voor > 75 else "verworpen"
                besluit = {"id": self.guid(), "soort": f"Stemmen - {outcome}", "tekst": f"{outcome.capitalize()}.", "status": "Besluit",
                           "stemmingssoort": "Met handopsteken", "datum": tuesday.isoformat(), "stemmingen": sorted(votes, key=lambda v: (v["soort"], v["fractie"]))}
                self.patch(motie, voted, lambda d, b=besluit, o=outcome: d.update(besluiten=[b], uitslag=o))

    def articles(self, p_dossier: float) -> None:
        rng = self.rng
        sources = [s for s, _, _ in PRESS]
        weights = [w for _, _, w in PRESS]
        all_dossier_topics = [t for ts in self.dossier_topics.values() for t in ts]
        dossier_weights = [self.dossier_weight[t.dossier] for t in all_dossier_topics]
        for day in self.days():
            if self.at(day, 0) > self.now:
                break
            for _ in range(self.poisson(20 if day.weekday() >= 5 else 47)):
                when = self.at(day, rng.randint(6, 22), rng.randint(0, 59))
                if when > self.now:
                    continue
                if rng.random() < p_dossier * 1.35:
                    topic = rng.choices(all_dossier_topics, dossier_weights)[0]
                else:
                    topic = rng.choice(self.filler_topics[self.pick_commissie()])
                phrase = self.phrase(topic)
                title = rng.choice(PRESS_TEMPLATES).format(t=phrase)
                body = [self.words(rng.randint(10, 25)) + "." for _ in range(rng.randint(3, 12))]
                body.insert(rng.randint(0, len(body)), f"Het gaat om {phrase}.")
                source = rng.choices(sources, weights)[0]
                guid = f"https://{source}.example/nieuws/{self.guid()[:13]}"
                data = {"label": dict((s, label) for s, label, _ in PRESS)[source]}
                ent = Ent("artikel", guid, self.fetched(when), data, iso(when), source=source, title=title, text=" ".join(body).capitalize(), url=guid)
                ent.raw = json.dumps({"id": guid, "title": title, "link": guid, "published": iso(when)}, ensure_ascii=False)
                self.add(ent)

    # ------------------------------------------------------------------ items

    def build(self, p_dossier: float) -> None:
        self.letters(p_dossier)
        self.meetings(p_dossier)
        self.moties(p_dossier)
        self.articles(p_dossier)

    def item(self, ent: Ent, data: dict[str, Any]) -> Item:
        """The item as `tk_items.Builder` would build it from the current data."""
        if ent.kind == "artikel":
            return Item(ent.source, ent.guid, "artikel", ent.title, ent.text, ent.url, ent.published, None, dict(data), ent.raw)
        if ent.kind == "activiteit":
            parts: list[str | None] = [data["onderwerp"], data["soort"]]
            for point in data["agendapunten"]:
                parts.append(point["onderwerp"])
                parts += [t for z in point["zaken"] for t in (z["titel"], z["onderwerp"])]
                parts += [t for d in point["documenten"] for t in (d["titel"], d["onderwerp"])]
            return Item("tk", f"activiteit/{ent.guid}", "activiteit", data["onderwerp"] or data["soort"], join_text(parts),
                        ACTIVITY_URL.format(nummer=data["nummer"]), ent.published, data["aanvangstijd"] or data["datum"], data, ent.raw)
        if ent.kind == "zaak":
            parts = [data["titel"], data["onderwerp"]] + [t for d in data["documenten"] for t in (d["titel"], d["onderwerp"])]
            did = next((d["documentnummer"] for d in reversed(data["documenten"])), None)
            return Item("tk", f"zaak/{ent.guid}", "zaak", data["onderwerp"] or data["titel"], join_text(parts),
                        zaak_url(data["soort"], data["nummer"], did), ent.published, None, data, ent.raw)
        zaak = self.by_guid.get(data["zaak_ids"][0]) if data["zaak_ids"] else None
        url = zaak_url(zaak.data["soort"], zaak.data["nummer"], data["documentnummer"]) if zaak else f"https://gegevensmagazijn.tweedekamer.nl/SyncFeed/2.0/Resources/{ent.guid}"
        return Item("tk", f"document/{ent.guid}", "document", data["onderwerp"] or data["titel"], join_text([data["onderwerp"], data["titel"]]),
                    url, ent.published, None, data, ent.raw)

    def events(self) -> list[tuple[datetime, int, Ent, Any]]:
        """Every fetch that changed something, in time order: (seen_at, seq, item, None for its creation / a patch)."""
        out = []
        for index, ent in enumerate(self.ents):
            if ent.t0 > self.now:
                continue
            out.append((ent.t0, -len(self.ents) + index, ent, None))
            out += [(when, seq, ent, fn) for when, seq, fn in ent.patches if when <= self.now]
        out.sort(key=lambda e: (e[0], e[1]))
        return out


# ---------------------------------------------------------------------------- config


def make_config(seed: int) -> Config:
    """50 dossiers with plausible rules, 1-3 recipients each (teams shared), sources and SMTP settings."""
    rng = random.Random(seed + 7)
    people = [f"{n}@gemeente.example" for n in ("anna", "bart", "carla", "daan", "eva", "fatima", "gijs", "hanna", "ivo", "joyce", "kees", "lotte", "mehmet", "noor", "olaf",
                                                   "petra", "quinten", "rosa", "sander", "tamara", "umut", "vera", "wouter", "xander", "yara", "zeynep", "bram", "iris", "milan", "sophie")]
    dossiers: dict[str, DossierConfig] = {}
    for index, (dossier_id, title, commissie, terms, _weight) in enumerate(DOSSIERS):
        query = " OR ".join(f'"{t}"' if " " in t else t for t in terms)
        rules = [RuleConfig("kern", query, parse_query(query))]
        if index % 3 == 0:
            money = f"({query}) AND (tekort* OR budget* OR financiering)"
            rules.append(RuleConfig("geld", money, parse_query(money), priority="hoog"))
        exclude = "voetbal* OR eredivisie" if index % 7 == 0 else None
        recipients = [people[index % len(people)]]
        if commissie in TEAMS and rng.random() < 0.6:
            recipients.append(f"{TEAMS[commissie]}@gemeente.example")
        if rng.random() < 0.15:
            recipients.append("pa-team@gemeente.example")
        dossiers[dossier_id] = DossierConfig(dossier_id, title, rules, exclude, parse_query(exclude) if exclude else None, recipients=recipients, lead_times=dict(DEFAULT_LEAD_TIMES))
    rules = RulesConfig(dossiers=dossiers, lead_times=dict(DEFAULT_LEAD_TIMES), version=_rules_version(dossiers, DEFAULT_LEAD_TIMES))
    sources = [SourceConfig("tk", "tk", "https://gegevensmagazijn.tweedekamer.nl", 900, "Tweede Kamer")]
    sources += [SourceConfig(s, "feed", f"https://{s}.example/feed", 1800, label) for s, label, _ in PRESS]
    email = EmailConfig(sender="monitor@gemeente.example", smtp=SmtpConfig(host="127.0.0.1", port=25, security="none"))
    return Config(SourcesConfig(sources, email=email, digest=DigestConfig(horizon_days=21)), rules, ROOT)


# ---------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    path: Path
    steady_path: Path
    info: dict[str, Any]


def seed_store(path: Path, config: Config, seed: int, now: datetime, scale: float, p_dossier: float) -> dict[str, Any]:
    """Write the world through the Store, let the pipeline match it, record source health."""
    info: dict[str, Any] = {}
    started = time.perf_counter()
    world = World(seed, now, scale)
    world.build(p_dossier)
    events = world.events()
    info["generate_s"] = time.perf_counter() - started
    store = Store(path)
    started = time.perf_counter()
    states: dict[int, dict[str, Any]] = {}
    outcomes = Counter()
    for start in range(0, len(events), CHUNK):
        with store.transaction():
            for when, _, ent, fn in events[start: start + CHUNK]:
                seen = iso(when) or ""
                if fn is None:
                    states[id(ent)] = copy.deepcopy(ent.data)
                elif fn == "delete":
                    outcomes["deleted"] += store.mark_deleted(ent.item_id, seen)
                    continue
                else:
                    fn(states[id(ent)])
                outcomes[store.upsert_item(world.item(ent, states[id(ent)]), seen)] += 1
    info["upsert_s"] = time.perf_counter() - started
    info["upserts"] = dict(outcomes)
    for source in config.sources.sources:  # every source fetched fine, the last time ten minutes ago
        for days_back in (3, 2, 1, 0):
            store.record_success(source.id, source.kind, iso(now - timedelta(days=days_back, minutes=10)) or "", 1, 0)
    started = time.perf_counter()
    with store.transaction():
        info["matched_items"] = pipeline.match_pending(store, config.rules)
    info["match_s"] = time.perf_counter() - started
    info["match_pending_after"] = pipeline.match_pending(store, config.rules)
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return info


def store_stats(store: Store) -> dict[str, Any]:
    q = lambda sql: next(iter(store.db.query(sql)))["n"]  # noqa: E731
    stats = {
        "items": q("SELECT COUNT(*) AS n FROM items"),
        "by_kind": {r["kind"]: r["n"] for r in store.db.query("SELECT kind, COUNT(*) AS n FROM items GROUP BY kind ORDER BY kind")},
        "versions": q("SELECT COUNT(*) AS n FROM item_versions"),
        "changes": q("SELECT COUNT(*) AS n FROM changes"),
        "links": q("SELECT COUNT(*) AS n FROM links"),
        "matches": q("SELECT COUNT(*) AS n FROM matches"),
        "matched_items": q("SELECT COUNT(DISTINCT item_id) AS n FROM matches"),
        "matched_by_kind": {r["kind"]: r["n"] for r in store.db.query("SELECT i.kind, COUNT(DISTINCT m.item_id) AS n FROM matches m JOIN items i ON i.id = m.item_id GROUP BY i.kind ORDER BY i.kind")},
        "deleted": q("SELECT COUNT(*) AS n FROM items WHERE deleted_at IS NOT NULL"),
        "first_seen": next(iter(store.db.query("SELECT MIN(first_seen) AS a, MAX(first_seen) AS b FROM items"))),
        "change_fields": Counter(),
        "mb": os.path.getsize(store.path) / 1e6,
    }
    for row in store.db.query("SELECT fields FROM changes"):
        for name in row["fields"].split(","):
            stats["change_fields"][name] += 1
    return stats


def prepare(args: argparse.Namespace, config: Config, now: datetime, scale: float, workdir: Path) -> Seeded:
    """The seeded database for this scale (from --cache when it is there), and its day-after copy."""
    name = f"briefing-s{args.seed}-x{scale:g}-g{GENERATOR_VERSION}-p{args.p_dossier:g}-{now:%Y%m%dT%H%M}"
    path, steady = workdir / f"{name}.db", workdir / f"{name}-dayafter.db"
    info: dict[str, Any] = {}
    if steady.exists():
        store = Store(steady)
        info = json.loads(store.get_meta("bench") or "{}")  # written last: a complete seeding
        store.close()
    if info:
        info["cached"] = True
    else:
        info = seed(args, config, now, scale, path, steady)
    if not args.analyze:
        return Seeded(path, steady, info)
    # The what-if: the same databases with SQLite's statistics (ANALYZE), as copies.
    analyzed = []
    for original in (path, steady):
        target = original.with_name(original.stem + "-analyzed.db")
        if not target.exists():
            copy_db(original, target)
            connection = sqlite3.connect(target)
            connection.execute("ANALYZE")
            connection.commit()
            connection.close()
        analyzed.append(target)
    return Seeded(analyzed[0], analyzed[1], info)


def copy_db(source_path: Path, target_path: Path) -> None:
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    source.backup(target)
    source.close()
    target.close()


def seed(args: argparse.Namespace, config: Config, now: datetime, scale: float, path: Path, steady: Path) -> dict[str, Any]:
    for stale in (path, steady):
        for suffix in ("", "-wal", "-shm"):
            Path(str(stale) + suffix).unlink(missing_ok=True)
    info = seed_store(path, config, args.seed, now, scale, args.p_dossier)
    # The day-after state: a copy in which every recipient got yesterday's 07:00 digest.
    copy_db(path, steady)
    store = Store(steady)
    started = time.perf_counter()
    prepared = prepare_digests(store, config, now - timedelta(days=1), rematch=pipeline.matcher(config.rules).match)
    info["yesterday_s"] = time.perf_counter() - started
    info["yesterday_queued"] = sum(1 for p in prepared if p.outbox_id)
    info["yesterday_lines"] = sum(p.lines for p in prepared)
    store.close()
    store = Store(steady)
    store.set_meta("bench", json.dumps({k: v for k, v in info.items() if not isinstance(v, dict)}))
    store.close()
    store = Store(path)
    store.set_meta("bench", json.dumps({k: v for k, v in info.items() if not isinstance(v, dict)}))
    store.close()
    return info


# ---------------------------------------------------------------------------- measuring


def digests_run(store: Store, config: Config, now: datetime) -> tuple[float, float, dict[str, Any]]:
    """Build every recipient's digest and render each; (build s, render s, content counts)."""
    compiled = pipeline.matcher(config.rules)
    started = time.perf_counter()
    digests = build_digests(store.view(now, rematch=compiled.match), config, match_text=compiled.match)
    built = time.perf_counter()
    sizes = [len(text) + len(html) for text, html in (render_digest(d) for d in digests)]
    rendered = time.perf_counter()
    counts = {
        "digests": len(digests),
        "empty": sum(d.is_empty for d in digests),
        "actions": [len(d.briefing.actions) for d in digests],
        "new_actions": [len(d.new_actions) for d in digests],
        "changed": [len(d.briefing.changed) for d in digests],
        "kamer": [sum(len(n.kamer) for n in d.briefing.news) for d in digests],
        "press": [sum(len(n.press) for n in d.briefing.news) for d in digests],
        "agenda": [len(d.briefing.agenda) for d in digests],
        "woordvoerders": [sum(len(a.woordvoerders) for a in d.briefing.actions) for d in digests],
        "kb": [s / 1000 for s in sizes],
    }
    return built - started, rendered - built, counts


def report_run(store: Store, config: Config, now: datetime, week: str) -> tuple[float, float, Any]:
    started = time.perf_counter()
    briefing = pipeline.briefing(store, config, now, Scope.iso_week(week, now))
    built = time.perf_counter()
    text = report.render(briefing, "text")
    rendered = time.perf_counter()
    return built - started, rendered - built, (briefing, text)


def chain_diagnostics(store: Store, config: Config, now: datetime, scope: Scope, label: str) -> str:
    """How many meeting chains a briefing for `scope` walks, and why (see moments.relevant_chains)."""
    view = store.view(now)
    longest = max([*DEFAULT_LEAD_TIMES.values(), *config.rules.lead_times.values()])
    margin = math.ceil(longest * 7 / 5) + 7
    in_window = view.activities(scope.agenda_from, scope.agenda_to + timedelta(days=margin))
    since = (datetime.combine(scope.agenda_from, datetime.min.time(), AMS) - timedelta(days=MOVES_LOOKBACK_DAYS)).isoformat()
    moved = view.moved_activities(since)
    chains = relevant_chains(view, config.rules, scope.agenda_from, scope.agenda_to)
    return (f"chains walked by the {label} ({scope.agenda_from} .. {scope.agenda_to}): {len(chains)}, seeded by {len(in_window)} activities in the window "
            f"(+{margin} days margin) and {len(moved)} moved, cancelled or deleted since {since[:10]}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def count_sql(store: Store, fn: Callable[[], Any]) -> tuple[int, Counter]:
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        fn()
    finally:
        store.db.conn.set_trace_callback(None)
    kinds = Counter()
    for statement in statements:
        found = _TABLE.search(statement)
        kinds[f"{statement.split(None, 1)[0].upper() if statement.strip() else '?'} {found.group(1) if found else ''}".strip()] += 1
    return len(statements), kinds


def sql_line(total: int, kinds: Counter) -> str:
    guards = kinds["SAVEPOINT"] + kinds["RELEASE"]
    top = ", ".join(f"{k} {v:,}" for k, v in kinds.most_common() if k not in ("SAVEPOINT", "RELEASE"))
    return f"{total - guards:,} queries ({top}) + {guards:,} SAVEPOINT/RELEASE that sqlite-utils wraps around each query(); {total:,} statements in all"


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\[?(\w+)", re.IGNORECASE)


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):6.3f} s [{min(values):.3f}-{max(values):.3f}]"


def spread(values: list[int | float]) -> str:
    if not values:
        return "-"
    return f"total {sum(values):g}, per digest median {statistics.median(values):g} (min {min(values):g}, max {max(values):g})"


def profile(fn: Callable[[], Any], title: str, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append((ct, tt, nc, _where(filename, line, name)))
    print(f"\n{title}: profiled run took {total:.2f} s (cProfile overhead included)")
    print(f"  top {top} by cumulative time (monitor/ only; the outer wrappers come first):")
    mine = [r for r in rows if r[3].startswith("monitor/")]
    for ct, tt, nc, where in sorted(mine, key=lambda r: -r[0])[:top]:
        print(f"    {ct:7.3f} s cum  {tt:7.3f} s own  {nc:>8} calls  {where}")
    print(f"  top {top} by own time (everything, C calls included):")
    for ct, tt, nc, where in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"    {tt:7.3f} s own  {ct:7.3f} s cum  {nc:>8} calls  {where}")
    # Who calls the busiest per-item functions (>= 500 calls), and how often: where to batch.
    hot = sorted(((k, v) for k, v in stats.stats.items() if v[1] >= 500 and _where(*k).startswith("monitor/")), key=lambda kv: -kv[1][3])[:3]
    for key, (_, nc, _, ct, callers) in hot:
        print(f"  callers of {_where(*key)} ({nc} calls, {ct:.3f} s cum):")
        for caller, (_, cnc, _, cct) in sorted(callers.items(), key=lambda kv: -kv[1][3])[:4]:
            print(f"    {cnc:>8} calls  {cct:7.3f} s  from {_where(*caller)}")


def _where(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name  # a builtin, e.g. <method 'execute' of 'sqlite3.Cursor' objects>
    path = Path(filename)
    try:
        return f"{path.resolve().relative_to(ROOT)}:{line} {name}"
    except ValueError:
        parts = path.parts
        short = "/".join(parts[parts.index("site-packages") + 1:]) if "site-packages" in parts else "/".join(parts[-2:])
        return f"{short}:{line} {name}"


@dataclass
class ScaleResult:
    scale: float
    days: int
    stats: dict[str, Any]
    info: dict[str, Any]
    times: dict[str, list[float]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    sql: dict[str, int] = field(default_factory=dict)


def measure(args: argparse.Namespace, config: Config, now: datetime, scale: float, workdir: Path, do_profile: bool) -> ScaleResult:
    print(f"\n=== scale {scale:g}: {round(365 * scale)} days of history + {FUTURE_DAYS} days of agenda, as of {iso(now)} ===")
    seeded = prepare(args, config, now, scale, workdir)
    info = seeded.info
    if info.get("cached"):
        print(f"seeding: reused {seeded.path.name} from --cache (seeded earlier in {info.get('upsert_s', 0):.0f} s, matched in {info.get('match_s', 0):.0f} s)")
    else:
        ups = info["upserts"]
        print(f"seeding: generated in {info['generate_s']:.1f} s; {sum(ups.values()):,} upserts ({ups.get('new', 0):,} new, {ups.get('changed', 0):,} changed, {ups.get('unchanged', 0):,} unchanged"
              f", {ups.get('deleted', 0)} deleted) in {info['upsert_s']:.1f} s ({sum(ups.values()) / info['upsert_s']:,.0f}/s)")
        print(f"matching: pipeline.match_pending matched {info['matched_items']:,} items in {info['match_s']:.1f} s ({info['matched_items'] / info['match_s']:,.0f} items/s, "
              f"replace_matches included); a second match_pending found {info['match_pending_after']} to do")
        print(f"day-after state: yesterday's 07:00 digests prepared in {info['yesterday_s']:.1f} s ({info['yesterday_queued']} queued, {info['yesterday_lines']} audit lines)")
    first = Store(seeded.path)
    steady = Store(seeded.steady_path)
    stats = store_stats(first)
    kinds = ", ".join(f"{k} {v:,}" for k, v in stats["by_kind"].items())
    matched = ", ".join(f"{k} {v:,}" for k, v in stats["matched_by_kind"].items())
    print(f"store: {stats['items']:,} items ({kinds}); {stats['versions']:,} versions; {stats['changes']:,} changes; {stats['links']:,} links; {stats['deleted']} deleted; {stats['mb']:.0f} MB")
    print(f"       first seen {stats['first_seen']['a']} .. {stats['first_seen']['b']}")
    print(f"matches: {stats['matches']:,} rows on {stats['matched_items']:,} items = {stats['matched_items'] / stats['items']:.1%} of items ({matched})")
    top_fields = ", ".join(f"{k} {v:,}" for k, v in stats["change_fields"].most_common(9))
    print(f"change log fields: {top_fields}")
    pending = pipeline.match_pending(first, config.rules)
    print(f"pipeline.match_pending before measuring: {pending} (0 = the reads below do not re-match)")

    result = ScaleResult(scale, round(365 * scale), stats, info)
    names = ["digests first", "digests day-after", "report W", "calendar", "match_pending no-op"]
    collected: dict[str, list[float]] = {k: [] for k in (
        "digests first build", "digests first render", "digests first total", "digests day-after build", "digests day-after render",
        "digests day-after total", "report build", "report render", "report total", "calendar", "match_pending no-op")}
    last_counts: dict[str, Any] = {}
    report_value: Any = None
    rounds = args.rounds + 1  # round 0 is the cold run, reported apart
    for round_index in range(rounds):
        order = names[round_index % len(names):] + names[: round_index % len(names)]
        sample: dict[str, float] = {}
        for name in order:
            gc.collect()
            if name.startswith("digests"):
                store = first if name == "digests first" else steady
                build_s, render_s, counts = digests_run(store, config, now)
                sample[f"{name} build"], sample[f"{name} render"], sample[f"{name} total"] = build_s, render_s, build_s + render_s
                last_counts[name] = counts
            elif name == "report W":
                build_s, render_s, report_value = report_run(first, config, now, args.week)
                sample["report build"], sample["report render"], sample["report total"] = build_s, render_s, build_s + render_s
            elif name == "calendar":
                sample["calendar"], ics = timed(lambda: pipeline.calendar(config, first, now))
                last_counts["calendar"] = ics.count(b"BEGIN:VEVENT")
            else:
                sample["match_pending no-op"], _ = timed(lambda: pipeline.match_pending(first, config.rules))
        if round_index == 0:
            result.first = sample
        else:
            for key, value in sample.items():
                collected[key].append(value)
    result.times = collected

    briefing, text = report_value
    html_s, html = timed(lambda: report.render(briefing, "html"))
    json_s, payload = timed(lambda: report.render(briefing, "json"))
    print(f"\ntimings over {args.rounds} rounds (variants alternating; median [min-max]); cold first round in brackets:")
    for key, values in collected.items():
        target = {"digests first total": "  target < 2 s", "digests day-after total": "  target < 2 s", "report total": "  target < 1 s"}.get(key, "")
        print(f"  {key:28} {fmt(values)}   (cold {result.first.get(key, float('nan')):.3f} s){target}")
    print(f"  {'report render html (once)':28} {html_s:6.3f} s ({len(html) / 1000:.0f} KB);  json (once) {json_s:.3f} s ({len(payload) / 1000:.0f} KB); text {len(text) / 1000:.0f} KB")

    # What the measured outputs hold (a fast empty digest proves nothing).
    for name in ("digests first", "digests day-after"):
        counts = last_counts[name]
        print(f"\n{name}: {counts['digests']} digests ({counts['empty']} empty), rendered text+html {spread([round(k) for k in counts['kb']])} KB")
        for key in ("actions", "new_actions", "changed", "kamer", "press", "agenda", "woordvoerders"):
            print(f"  {key:13} {spread(counts[key])}")
    news_kamer = sum(len(n.kamer) for n in briefing.news)
    news_press = sum(len(n.press) for n in briefing.news)
    statuses = Counter(m.status.value for m in briefing.moments)
    print(f"\nreport {args.week}: {len(briefing.actions)} actions, {len(briefing.closed)} closed, {len(briefing.agenda)} agenda entries, {len(briefing.changed)} changed, "
          f"news {news_kamer} Kamer + {news_press} press over {sum(not n.empty for n in briefing.news)} dossiers; moments by status: {dict(statuses)}; "
          f"{sum(bool(a.votes) for a in briefing.actions)} actions with votes listed ({sum(len(a.votes) for a in briefing.actions)} moties/amendementen)")
    print(f"calendar: {last_counts['calendar']} events")
    print(chain_diagnostics(first, config, now, Scope.iso_week(args.week, now), "report"))
    horizon = config.sources.digest.horizon_days
    print(chain_diagnostics(first, config, now, Scope(now.date(), now.date() + timedelta(days=horizon), None, None), "digests"))

    for label, store, fn in (
        ("report", first, lambda: report_run(first, config, now, args.week)),
        ("digests first", first, lambda: digests_run(first, config, now)),
        ("digests day-after", steady, lambda: digests_run(steady, config, now)),
        ("calendar", first, lambda: pipeline.calendar(config, first, now)),
    ):
        total, kinds_of = count_sql(store, fn)
        result.sql[label] = total - kinds_of["SAVEPOINT"] - kinds_of["RELEASE"]
        print(f"SQL, {label}: {sql_line(total, kinds_of)}")

    if do_profile:
        profile(lambda: digests_run(steady, config, now), f"PROFILE digests day-after (scale {scale:g})", args.top)
        profile(lambda: report_run(first, config, now, args.week), f"PROFILE report {args.week} (scale {scale:g})", args.top)
    first.close()
    steady.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated world (default 1)")
    parser.add_argument("--scale", default="0.25,0.5,1", help="history sizes as fractions of a year, comma-separated (default 0.25,0.5,1)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per variant after one cold round (default 5)")
    parser.add_argument("--now", default="2026-12-01T07:00", help="the as-of moment, Europe/Amsterdam (default 2026-12-01T07:00, a Tuesday)")
    parser.add_argument("--week", default=None, help="the key week of the report, YYYY-Www (default: the week of --now)")
    parser.add_argument("--p-dossier", type=float, default=0.075, help="base chance a generated zaak/article is about a dossier topic (default 0.075, ~7.5%% of items match)")
    parser.add_argument("--cache", type=Path, help="directory to keep the seeded databases in and reuse them from (default: a temporary directory)")
    parser.add_argument("--analyze", action="store_true", help="what-if: run SQLite ANALYZE on copies of the seeded databases and measure those (no code change)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile of the largest scale")
    parser.add_argument("--top", type=int, default=10, help="rows per profile table (default 10)")
    args = parser.parse_args(argv)
    scales = sorted(float(s) for s in args.scale.split(","))
    now = parse_instant(args.now)
    args.week = args.week or f"{now.isocalendar().year}-W{now.isocalendar().week:02d}"
    config = make_config(args.seed)
    recipients = sorted({r for d in config.rules.dossiers.values() for r in d.recipients})
    print(f"briefing_bench: seed {args.seed}, now {iso(now)}, key week {args.week}, scales {', '.join(f'{s:g}' for s in scales)}, {args.rounds} rounds")
    print(f"config: {len(config.rules.dossiers)} dossiers, {sum(len(d.rules) for d in config.rules.dossiers.values())} rules, {len(recipients)} recipients "
          f"({sum(len(d.recipients) for d in config.rules.dossiers.values())} dossier subscriptions), {len(config.sources.sources)} sources; rules version {pipeline.rules_version(config.rules)}")
    temporary = None
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
        workdir = args.cache
    else:
        temporary = tempfile.mkdtemp(prefix="briefing_bench-")
        workdir = Path(temporary)
    results = []
    try:
        for scale in scales:
            results.append(measure(args, config, now, scale, workdir, do_profile=not args.no_profile and scale == scales[-1]))
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)

    print("\nhistory vs cost (medians; the window stays the same, only the history grows):")
    print(f"  {'scale':>5} {'days':>5} {'items':>8} {'changes':>8} {'matched':>8} | {'digests 1st':>11} {'day-after':>10} {'report':>8} {'calendar':>9} {'noop match':>10} | {'SQL rep':>8} {'SQL dig':>8} {'SQL cal':>8}  (SQL: queries, without the SAVEPOINT/RELEASE guards)")
    for r in results:
        med = {k: statistics.median(v) if v else float("nan") for k, v in r.times.items()}
        print(f"  {r.scale:>5g} {r.days:>5} {r.stats['items']:>8,} {r.stats['changes']:>8,} {r.stats['matched_items']:>8,} | {med['digests first total']:>9.3f} s {med['digests day-after total']:>8.3f} s "
              f"{med['report total']:>6.3f} s {med['calendar']:>7.3f} s {med['match_pending no-op']:>8.3f} s | {r.sql['report']:>8,} {r.sql['digests day-after']:>8,} {r.sql['calendar']:>8,}")
    full = results[-1]
    med = {k: statistics.median(v) for k, v in full.times.items()}
    checks = {
        "digests<2s": max(med["digests first total"], med["digests day-after total"]) < 2,
        "report<1s": med["report total"] < 1,
    }
    verdict = "all targets met" if all(checks.values()) else "MISSED: " + ", ".join(k for k, ok in checks.items() if not ok)
    print(
        f"SUMMARY (scale {full.scale:g}, {full.stats['items']:,} items, {full.stats['changes']:,} changes): digests for {len(recipients)} recipients "
        f"{med['digests first total']:.2f} s first / {med['digests day-after total']:.2f} s day after (target < 2 s) | report {args.week} {med['report total']:.2f} s (target < 1 s) | "
        f"calendar {med['calendar']:.2f} s | no-op match_pending {med['match_pending no-op']:.2f} s | SQL queries: report {full.sql['report']:,}, digests {full.sql['digests day-after']:,} | {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
