"""Benchmark: reading a plenary-day transcript and matching its turns to dossiers, in MB/s.

    python benchmarks/transcript_bench.py                 # a 1.3 MB plenary day, 5 rounds
    python benchmarks/transcript_bench.py --mb 2 --rounds 9

A plenary day of the Tweede Kamer is republished every 30–90 minutes while it grows past 1 MB
(VLOS XML). This builds a seeded synthetic day in the shape of the real files (the test fixture
`tests/fixtures/vlos/cd_jeugdbeleid_ongecorrigeerd.xml` and `../shared/real/tk/debates/`): debates
of 20–60 turns, each turn 60–250 words of Dutch parliamentary prose, interruptions, a chair, a
minister; about one turn in six mentions a dossier topic. It then times, alternating per round:

- parse: `sources.vlos.parse_transcript` (defusedxml, local names, turns and text);
- match: `debates.passages` with the shipped rules.yaml compiled by the engine (every non-chair
  turn matched, speakers looked up in a 150-person register).

Target (debates issue): parsing plus matching at least 5 MB/s. Prints median [min-max] per step.
Nothing is asserted; the machine is shared, so rounds alternate and the median is what counts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config import load_rules  # noqa: E402
from monitor.debates import passages  # noqa: E402
from monitor.rules.engine import compile_rules  # noqa: E402
from monitor.sources.vlos import parse_transcript  # noqa: E402
from monitor.speakers import SpeakerIndex  # noqa: E402

WORDS = (
    "voorzitter de het een en van in op dat is niet ook wij zij kabinet minister gemeenten middelen "
    "afspraken motie brief Kamer vraag antwoord beleid uitvoering wet regels burgers mensen zorg kosten "
    "tekort jaar plan toezegging debat commissie fractie collega mening steun zorgen oplossing termijn"
).split()
TOPICS = ("jeugdzorg", "Wmo", "beschermd wonen", "Participatiewet", "schuldhulpverlening", "gemeentefonds", "armoede")
FRACTIES = ("GroenLinks-PvdA", "VVD", "PVV", "CDA", "D66", "SP", "NSC", "BBB")
SURNAMES = ("Jansen", "Vries de", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Dekker", "Leeuwen van", "Dijk van", "Kok")


def speaker_xml(rng: random.Random, n: int, minister: bool = False) -> tuple[str, str]:
    surname = f"{SURNAMES[n % len(SURNAMES)]}{'' if n < len(SURNAMES) else n}"
    if minister:
        return surname, f'<spreker soort="Minister" objectid="s{n}"><verslagnaam>{surname}</verslagnaam><voornaam>Pieter</voornaam><achternaam>{surname}</achternaam><functie>minister van Sociale Zaken</functie></spreker>'
    fractie = FRACTIES[n % len(FRACTIES)]
    return surname, (
        f'<spreker soort="Tweede Kamerlid" objectid="s{n}"><fractie>{fractie}</fractie><verslagnaam>{surname}</verslagnaam>'
        f"<voornaam>Naam{n}</voornaam><achternaam>{surname}</achternaam><functie>lid Tweede Kamer</functie></spreker>"
    )


def prose(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(60, 250))]
    if rng.random() < 1 / 6:
        words.insert(rng.randrange(len(words)), rng.choice(TOPICS))
    paragraphs = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)]
    return "".join(f"<alinea><alineaitem>{escape(p.capitalize())}.</alineaitem></alinea>" for p in paragraphs)


def plenary_day(target_bytes: int, seed: int = 7) -> bytes:
    """A synthetic plenary transcript of about `target_bytes` in the real files' shape."""
    rng = random.Random(seed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<vlosCoreDocument soort="Tussenpublicatie" status="Ongecorrigeerd" '
        'Timestamp="2026-12-10T23:35:00+01:00" xmlns="http://www.tweedekamer.nl/ggm/vergaderverslag/v1.0">'
        '<vergadering soort="Plenair" kamer="Tweede Kamer"><titel>Plenaire vergadering</titel><datum>2026-12-10T00:00:00</datum>'
        "<aanvangstijd>2026-12-10T10:15:00</aanvangstijd>"
    ]
    size = sum(map(len, parts))
    debate = 0
    clock = 10 * 3600 + 15 * 60
    while size < target_bytes:
        debate += 1
        topic = rng.choice(TOPICS)
        block = [f'<activiteit soort="Plenair debat"><titel>Debat over {topic} ({debate})</titel><onderwerp>Debat over {topic}</onderwerp>'
                 f"<parlisid>2026A{6000 + debate:05d}</parlisid><voortzetting>false</voortzetting><activiteithoofd soort=\"Termijn\">"]
        for turn in range(rng.randint(20, 60)):
            n = rng.randrange(150)
            _, spreker = speaker_xml(rng, n, minister=turn % 17 == 16)
            start, clock = clock, clock + rng.randint(30, 600)
            chair = "true" if turn % 9 == 0 else "false"
            interruption = ""
            if rng.random() < 0.3:
                _, other = speaker_xml(rng, rng.randrange(150))
                interruption = (f"<interrumpant>{other}<markeertijdbegin>{_t(clock - 20)}</markeertijdbegin><markeertijdeind>{_t(clock - 5)}</markeertijdeind>"
                                f"<isvoorzitter>false</isvoorzitter><tekst>{prose(rng)}</tekst></interrumpant>")
            block.append(
                f'<activiteitdeel soort="Spreekbeurt">{spreker}<activiteititem soort="Woordvoerder"><woordvoerder>{spreker}'
                f"<markeertijdbegin>{_t(start)}</markeertijdbegin><markeertijdeind>{_t(clock)}</markeertijdeind>"
                f"<isvoorzitter>{chair}</isvoorzitter><isdraad>false</isdraad><tekst>{prose(rng)}</tekst>{interruption}</woordvoerder></activiteititem></activiteitdeel>"
            )
        block.append("</activiteithoofd></activiteit>")
        text = "".join(block)
        parts.append(text)
        size += len(text.encode())
    parts.append("</vergadering></vlosCoreDocument>")
    return "".join(parts).encode()


def _t(seconds: int) -> str:
    seconds %= 24 * 3600
    return f"2026-12-10T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def register() -> dict[str, dict[str, str]]:
    out = {}
    for n in range(150):
        surname = f"{SURNAMES[n % len(SURNAMES)]}{'' if n < len(SURNAMES) else n}"
        words = surname.split()
        out[f"p{n}"] = {"persoon_id": f"p{n}", "roepnaam": f"Naam{n}", "achternaam": words[0], "tussenvoegsel": " ".join(words[1:]) or None,
                        "fractie": FRACTIES[n % len(FRACTIES)]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=1.3, help="size of the synthetic plenary day in MB (default 1.3)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rules", default=str(ROOT / "rules.yaml"))
    args = parser.parse_args()

    data = plenary_day(int(args.mb * 1024 * 1024))
    mb = len(data) / 1024 / 1024
    rules = load_rules(Path(args.rules))
    matcher = compile_rules(rules.dossiers.values())
    index = SpeakerIndex(register())
    transcript = parse_transcript(data)
    turns = sum(len(a.turns) for a in transcript.activities)
    print(f"transcript: {mb:.2f} MB, {len(transcript.activities)} debates, {turns} turns; rules: {len(rules.dossiers)} dossiers")

    parse_s: list[float] = []
    match_s: list[float] = []
    found = []
    for _ in range(args.rounds):  # parse and match alternate within each round
        t0 = time.perf_counter()
        transcript = parse_transcript(data)
        t1 = time.perf_counter()
        found = passages(transcript, matcher.match_fields, index)
        t2 = time.perf_counter()
        parse_s.append(t1 - t0)
        match_s.append(t2 - t1)

    def line(name: str, values: list[float]) -> str:
        return f"{name:<16} {statistics.median(values) * 1000:7.0f} ms [{min(values) * 1000:.0f}-{max(values) * 1000:.0f}]  {mb / statistics.median(values):6.1f} MB/s"

    total = [a + b for a, b in zip(parse_s, match_s)]
    print(line("parse", parse_s))
    print(line("match turns", match_s))
    print(line("parse + match", total))
    print(f"passages on a dossier: {len(found)}; target >= 5 MB/s for parse + match: {'met' if mb / statistics.median(total) >= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
