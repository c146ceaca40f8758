"""Benchmark of the rule engine (monitor.rules): reproducible, seeded, one core.

    python benchmarks/rules_bench.py            # full run: 10,000 rules x 5,000 docs of ~5 KB (a few minutes)
    python benchmarks/rules_bench.py --quick    # short run: 1,000 docs, smaller baseline sample

What it measures, against the targets of the rule-engine issue:

- throughput on ~5 KB Dutch-like documents with 10,000 rules (terms, phrases, prefix/suffix/infix
  wildcards, NEAR, NOT, dossier excludes) in two profiles: *realistic* (about 40 rule hits per
  document) and *dense* (about 120);                                target >= 2,000 and >= 1,000 docs/s
- the same against a baseline of one compiled regular expression per rule (AND/NOT/NEAR as
  lookaheads, case-insensitive, on the raw text, so it misses accent-folded hits such as
  financiele/financiële). The baseline is slow, so it runs on a sample of documents and its
  rate is extrapolated; the agreement count shows what it misses.  target >= 50x
- the engine against a bare scan of its own automaton over the same texts (lower-cased, no
  analysis, no rules), in alternating chunks of documents in one run: the engine's time over the
  scan's, which is the least any engine built on that automaton must spend.   target <= 2x
- doubling the rules: 10,000 extra rules made of rare words (new municipality-like names and
  long-tail terms), so the number of hits per document stays realistic; the time factor must stay
  below 1.3x, measured in alternating chunks of documents with both matchers loaded. (Doubling
  with rules drawn from the same distribution would double the hits, and verifying hits is
  inherently linear in their number.)
- MB/s on 100 KB debate transcripts (realistic rules)            target >= 5 MB/s
- compile time of 10,000 rules (queries already parsed, as config.py does) target < 1 s
- peak memory (RSS) of the whole process, corpus included        target < 250 MB
- that the engine agrees with the reference evaluator on a sample (correctness, not speed).

`--against REV` also measures the engine of an earlier commit (exported with `git archive`) on
the same rules and documents, in alternating chunks, and checks that both give the same matches,
terms and snippets:

    python benchmarks/rules_bench.py --against main

The corpus is synthetic: Zipf-distributed words (Dutch function words, PA vocabulary and
generated Dutch-like words and compounds), accents, capitals, hyphenated compounds and fixed
word pairs. It has Dutch word statistics, not Dutch syntax. The last line sums everything up.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import io
import random
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import DossierConfig, RuleConfig  # noqa: E402
from monitor.models import Item  # noqa: E402
from monitor.rules.engine import compile_rules  # noqa: E402
from monitor.rules.evaluate import analyse_item, term_spans  # noqa: E402
from monitor.rules.query import And, Field, Near, Not, Or, QueryError, Term, parse_query  # noqa: E402

SEED = 20261123

FUNCTION_WORDS = """de het een en van in is dat op te zijn voor met die niet aan er om ook als bij of door maar
over nog naar dan uit wel worden wordt kan moet zal al tot hebben heeft was werd deze dit meer geen wat we ze hij zij
u ik je na onder tussen tegen zo hun hoe wie waar want omdat zodat toch nu hier daar wordt kunnen zullen moeten
gaan komen maken geven staan blijven laten vinden zien weten denken zeggen""".split()

PA_WORDS = """gemeente gemeenten minister kabinet Kamer staatssecretaris jeugdzorg jeugdhulp Jeugdwet Wmo WMO
Participatiewet bijstand BUIG Wsw armoede schuldhulpverlening inburgering statushouders woningbouw zorg
tekort tekorten budget budgetten financiële financiering ideeën coöperatie Oekraïne wethouder wethouders
motie moties amendement begroting Voorjaarsnota gemeentefonds ravijnjaar hervormingsagenda regio regio's
beleid uitvoering wachtlijst wachtlijsten aanbieders zorgaanbieders jeugdbescherming mantelzorg
dagbesteding beschermd wonen maatschappelijke opvang ondersteuning abonnementstarief eigen bijdrage
commissiedebat Kamerbrief stemmingen inbreng rondetafelgesprek VNG Divosa G40 Rijksoverheid
uitkering uitkeringen loonkostensubsidie banenafspraak reïntegratie re-integratie sociaal domein""".split()

ONSETS = ["b", "d", "g", "k", "p", "t", "v", "w", "z", "s", "st", "str", "sch", "gr", "kr", "br", "pl", "bl", "vl",
          "fl", "h", "j", "l", "m", "n", "r", "ge", "be", "ver", "ont", "over", "voor", "aan", "in"]
NUCLEI = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "uu", "ie", "oe", "ei", "ij", "ui", "ou", "eu"]
CODAS = ["", "", "n", "r", "l", "s", "t", "k", "d", "g", "m", "ng", "nd", "rt", "st", "cht", "rk"]
SUFFIXES = ["", "", "", "en", "ing", "heid", "lijk", "er", "te", "je", "isch", "baar", "ers", "ingen"]
PLACE_PARTS = ["dor", "drecht", "zwijn", "hen", "sliedrecht", "papen", "alblas", "ser", "haar", "lem", "wijk",
               "broek", "veen", "dam", "horst", "hoven", "zand", "berg", "beek", "mond", "kerk", "huizen", "stein"]


def _syllable(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS)


def build_vocabulary(rng: random.Random, size: int = 60000) -> list[str]:
    """Words in frequency order: function words, PA words, then generated words and compounds."""
    seen = set()
    words: list[str] = []
    for word in FUNCTION_WORDS + PA_WORDS:
        if word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    while len(words) < size:
        if len(words) > 2000 and rng.random() < 0.15:
            word = rng.choice(words[300:]).lower() + rng.choice(words[300:]).lower()  # a compound
        else:
            word = "".join(_syllable(rng) for _ in range(rng.choice((1, 2, 2, 3)))) + rng.choice(SUFFIXES)
            if rng.random() < 0.03:
                word = word.replace("ie", "ië", 1).replace("ee", "eë", 1)  # accents, as in financiële
        if 3 <= len(word) <= 24 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """A seeded Zipf sampler for Dutch-like sentences and documents."""

    def __init__(self, rng: random.Random, vocabulary: list[str], pairs: list[str]) -> None:
        self.rng = rng
        self.vocabulary = vocabulary
        self.pairs = pairs
        self.cum = list(_accumulate_zipf(len(vocabulary), 1.05))
        self.pair_cum = list(_accumulate_zipf(len(pairs), 1.0))

    def words(self, count: int) -> list[str]:
        """`count` words drawn by frequency, with fixed pairs, hyphenated compounds and capitals mixed in."""
        rng = self.rng
        out = rng.choices(self.vocabulary, cum_weights=self.cum, k=count)
        for index in range(0, count, 1):
            roll = rng.random()
            if roll < 0.04:
                out[index] = rng.choices(self.pairs, cum_weights=self.pair_cum)[0]
            elif roll < 0.05:
                out[index] = out[index] + "-" + rng.choice(self.vocabulary[200:5000])
            elif roll < 0.08:
                out[index] = out[index].capitalize()
        return out

    def document(self, size: int) -> str:
        """About `size` characters of sentences and paragraphs."""
        rng = self.rng
        parts: list[str] = []
        length = 0
        while length < size:
            words = self.words(rng.randint(6, 22))
            words[0] = words[0].capitalize()
            sentence = " ".join(words) + rng.choice((".", ".", ".", "?", ":"))
            if rng.random() < 0.3:
                cut = rng.randint(1, len(words) - 1)
                sentence = " ".join(words[:cut]) + ", " + " ".join(words[cut:]) + "."
            parts.append(sentence)
            length += len(sentence) + 1
            if rng.random() < 0.12:
                parts.append("\n\n")
        return " ".join(parts)


def _accumulate_zipf(n: int, s: float):
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + 2.7) ** s
        yield total


# ---------------------------------------------------------------------------- rules


@dataclass
class Profile:
    """Where rule terms come from in the frequency list (lower = more frequent = more hits)."""

    name: str
    low: int
    high: int
    pair_low: int


def make_rules(rng: random.Random, vocabulary: list[str], pairs: list[str], count: int, profile: Profile, prefix: str = "d") -> list[DossierConfig]:
    """`count` rules in dossiers of 100, mixing every construct of the language."""

    def word() -> str:
        # Log-uniform over the rank range: topic words, mostly from the long tail.
        rank = int(profile.low * (profile.high / profile.low) ** rng.random())
        return vocabulary[min(rank, len(vocabulary) - 1)].lower()

    def term() -> str:
        roll = rng.random()
        w = word()
        # Wildcards as PA staff write them: a whole word as the stem (jeugdzorg*, *armoede, *jeugdzorg*).
        if roll < 0.50 or len(w) < 5:
            return w
        if roll < 0.62:
            return w + "*"
        if roll < 0.70:
            return "*" + w
        if roll < 0.72:
            return "*" + w + "*"
        if roll < 0.76:
            return "=" + w
        pair = pairs[min(int(profile.pair_low * (len(pairs) / profile.pair_low) ** rng.random()), len(pairs) - 1)]
        return f'"{pair}"'

    def group() -> str:
        terms = [term() for _ in range(rng.randint(1, 3))]
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    dossiers = []
    for d in range(0, count, 100):
        rules = []
        for r in range(min(100, count - d)):
            roll = rng.random()
            if roll < 0.45:
                query = " OR ".join(term() for _ in range(rng.randint(1, 5)))
            elif roll < 0.65:
                query = f"{group()} AND {group()}"
            elif roll < 0.80:
                query = f"{group()} NEAR/{rng.randint(2, 10)} {group()}"
            elif roll < 0.92:
                query = f"{group()} AND NOT {term()}"
            else:
                query = f"titel:{term()} OR ({group()} {term()})"
            try:
                rules.append(RuleConfig(f"r{r}", query, parse_query(query)))
            except QueryError:
                continue
        exclude = None
        if rng.random() < 0.2:
            exclude = f"{word()} OR {word()}"
        dossiers.append(DossierConfig(f"{prefix}{d // 100}", f"Dossier {d // 100}", rules, exclude, parse_query(exclude) if exclude else None))
    return dossiers


def rare_rules(rng: random.Random, count: int) -> list[DossierConfig]:
    """Rules about municipalities and rare terms: what a network adds when it grows."""
    dossiers = []
    for d in range(0, count, 100):
        rules = []
        for r in range(100):
            place = "".join(rng.choice(PLACE_PARTS) for _ in range(2)).capitalize()
            other = "".join(rng.choice(PLACE_PARTS) for _ in range(3))
            query = rng.choice([place, f"{place} OR {other}*", f'"gemeente {place}"', f"{place} AND (jeugdzorg OR Wmo)", f"{place} NEAR/5 wethouder"])
            rules.append(RuleConfig(f"r{r}", query, parse_query(query)))
        dossiers.append(DossierConfig(f"extra{d // 100}", f"Extra {d // 100}", rules))
    return dossiers


# ---------------------------------------------------------------------------- baseline: one regex per rule


def _rx(node, scope="any") -> str:
    any_char = r"[\s\S]*?"
    if isinstance(node, Term):
        return r"(?=" + any_char + _rx_term(node) + ")"
    if isinstance(node, Field):
        return _rx(node.child)
    if isinstance(node, Not):
        return "(?!" + _rx(node.child) + ")"
    if isinstance(node, And):
        return "".join(_rx(c) for c in node.children)
    if isinstance(node, Or):
        return "(?:" + "|".join(_rx(c) for c in node.children) + ")"
    if isinstance(node, Near):
        a, b = _rx_group(node.left), _rx_group(node.right)
        gap = r"\W+(?:\w+\W+){0,%d}" % node.distance
        return "(?=" + any_char + "(?:" + a + gap + b + "|" + b + gap + a + "))"
    raise TypeError(node)


def _rx_group(node) -> str:
    if isinstance(node, Or):
        return "(?:" + "|".join(_rx_term(c) for c in node.children) + ")"
    return _rx_term(node)


def _rx_term(term: Term) -> str:
    words = [re.escape(w) for w in term.words]
    body = r"[\s\-/]+".join(words)
    start = r"\w*" if term.lead else r"\b"
    end = r"\w*" if term.trail else r"\b"
    return start + body + end


class RegexBaseline:
    """One compiled regex per rule (IGNORECASE, raw text), all rules tried on every document."""

    def __init__(self, dossiers: list[DossierConfig]) -> None:
        self.rules = []
        for d in dossiers:
            exclude = re.compile(r"\A" + _rx(d.exclude_ast), re.IGNORECASE) if d.exclude_ast is not None else None
            for rule in d.rules:
                self.rules.append((d.id, rule.name, re.compile(r"\A" + _rx(rule.ast), re.IGNORECASE), exclude))

    def match(self, title: str, text: str) -> set[tuple[str, str]]:
        out = set()
        both = title + "\n" + text
        for dossier, name, regex, exclude in self.rules:
            if regex.search(both) and not (exclude is not None and exclude.search(both)):
                out.add((dossier, name))
        return out


# ---------------------------------------------------------------------------- reference check


def reference_matches(dossiers: list[DossierConfig], item: Item) -> set[tuple[str, str]]:
    """The reference evaluator over every rule (term results memoised, or it would take minutes)."""
    analysed = analyse_item(item.fields())
    cache: dict[tuple[Term, str], list] = {}

    def spans(term: Term, field: str) -> list:
        key = (term, field)
        if key not in cache:
            cache[key] = term_spans(term, analysed[field]) if field in analysed else []
        return cache[key]

    def ev(node, scope=("titel", "tekst")) -> bool:
        if isinstance(node, Term):
            return any(spans(node, f) for f in scope)
        if isinstance(node, Field):
            return ev(node.child, (node.name,))
        if isinstance(node, Not):
            return not ev(node.child, scope)
        if isinstance(node, And):
            return all(ev(c, scope) for c in node.children)
        if isinstance(node, Or):
            return any(ev(c, scope) for c in node.children)
        for f in scope:
            a = _side(node.left, f, spans)
            b = _side(node.right, f, spans)
            if any(max(b1 - a2, a1 - b2) - 1 <= node.distance for a1, a2 in a for b1, b2 in b):
                return True
        return False

    out = set()
    for d in dossiers:
        vetoed = d.exclude_ast is not None and ev(d.exclude_ast)
        for rule in d.rules:
            if not vetoed and ev(rule.ast):
                out.add((d.id, rule.name))
    return out


def _side(node, field, spans) -> list:
    if isinstance(node, Term):
        return spans(node, field)
    return [s for c in node.children for s in spans(c, field)]


# ---------------------------------------------------------------------------- measuring


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize() / 1e6
    except OSError:  # pragma: no cover - not Linux
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1e6


def run(matcher, items: list[Item], repeat: int = 1) -> tuple[float, float]:
    """Best-of-`repeat` seconds to match all items, and the average number of matches per item."""
    best = float("inf")
    hits = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        hits = 0
        for item in items:
            hits += len(matcher.match(item))
        best = min(best, time.perf_counter() - start)
    return best, hits / max(len(items), 1)


def alternate(variants: dict[str, Callable[[Item], object]], items: list[Item], chunk: int = 250, rounds: int = 1) -> dict[str, float]:
    """Seconds per variant over all items, the variants taking turns chunk by chunk (the order
    flipping every chunk), so that the machine's drift hits them alike."""
    totals = dict.fromkeys(variants, 0.0)
    names = list(variants)
    flip = 0
    for _ in range(rounds):
        gc.collect()
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            flip ^= 1
            for name in names if flip else names[::-1]:
                function = variants[name]
                began = time.perf_counter()
                for item in part:
                    function(item)
                totals[name] += time.perf_counter() - began
    return totals


def bare_scan(matcher) -> Callable[[Item], object]:
    """The automaton alone over an item's lower-cased fields: no analysis, no rules."""
    find = matcher.find

    def scan(item: Item) -> int:
        return sum(len(find(value.lower())) for value in item.fields().values() if value)

    return scan


def described(matcher) -> Callable[[Item], object]:
    """Matching plus reading every match's terms and snippet (what storing all of them costs)."""

    def match(item: Item) -> int:
        return sum(len(m.terms) + len(m.snippet) for m in matcher.match(item))

    return match


def engine_at(revision: str) -> ModuleType:
    """The rule engine as it was at a git revision of this repository, importable beside today's."""
    root = Path(__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", revision], check=True, capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(root), "archive", commit, "monitor"], check=True, capture_output=True).stdout
    package = f"monitor_at_{commit}"
    target = Path(tempfile.mkdtemp(prefix="rules_bench_"))
    atexit.register(shutil.rmtree, target, True)  # the exported copy is only for this run
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            member.name = package + member.name[len("monitor") :]
            tar.extract(member, target)
    sys.path.insert(0, str(target))
    return importlib.import_module(f"{package}.rules.engine")


def compare_with(revision: str, profiles: dict[str, list[DossierConfig]], items: list[Item], matcher_of: Callable[[list[DossierConfig]], object], repeat: int) -> bool:
    """Before/after: the engine at `revision` against today's, alternating, plus an output check."""
    old = engine_at(revision)
    same_everywhere = True
    for name, dossiers in profiles.items():
        # The old engine tests nodes against its own query classes: let it parse the queries itself.
        unparsed = [replace(d, rules=[replace(r, ast=None) for r in d.rules], exclude_ast=None) for d in dossiers]
        before = old.compile_rules(unparsed)
        after = matcher_of(dossiers)
        sample = items[:200]
        same = sum(
            [(m.dossier, m.rule, m.terms, m.snippet, m.priority) for m in before.match(i)] == [(m.dossier, m.rule, m.terms, m.snippet, m.priority) for m in after.match(i)]
            for i in sample
        )
        same_everywhere &= same == len(sample)
        totals = alternate({"before": before.match, "after": after.match, "after, every match shown": described(after)}, items, rounds=repeat)
        rates = {variant: len(items) * repeat / seconds for variant, seconds in totals.items()}
        print(
            f"against {revision} ({name}, alternating): before {rates['before']:,.0f} docs/s | after {rates['after']:,.0f} docs/s "
            f"({totals['before'] / totals['after']:.2f}x) | after with every match's terms and snippet read {rates['after, every match shown']:,.0f} docs/s "
            f"({totals['before'] / totals['after, every match shown']:.2f}x) | same matches, terms and snippets on {same} of {len(sample)} docs"
        )
        del before, after
    return same_everywhere


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (1,000 docs, small baseline sample)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--docs", type=int, help="number of ~5 KB documents (default 5000, quick 1000)")
    parser.add_argument("--rules", type=int, default=10000)
    parser.add_argument("--against", metavar="REV", help="also measure the engine at this git revision, alternating, and compare outputs")
    args = parser.parse_args(argv)
    docs = args.docs or (1000 if args.quick else 5000)
    baseline_docs = 3 if args.quick else 10
    transcripts = 5 if args.quick else 20
    reference_docs = 2 if args.quick else 5
    repeat = 1 if args.quick else 2

    rng = random.Random(args.seed)
    started = time.perf_counter()
    vocabulary = build_vocabulary(rng)
    pairs = [f"{a.lower()} {b.lower()}" for a, b in zip(rng.sample(vocabulary[100:8000], 3000), rng.sample(vocabulary[100:20000], 3000))]
    pairs[:4] = ["sociaal domein", "beschermd wonen", "maatschappelijke opvang", "eigen bijdrage"]
    corpus = Corpus(rng, vocabulary, pairs)
    texts = [corpus.document(rng.randint(4000, 6000)) for _ in range(docs)]
    titles = [" ".join(corpus.words(rng.randint(4, 10))).capitalize() for _ in range(docs)]
    items = [Item("bench", str(i), "artikel", titles[i], texts[i]) for i in range(docs)]
    big = [Item("bench", f"big{i}", "document", "Verslag van een commissiedebat", corpus.document(100_000)) for i in range(transcripts)]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    big_megabytes = sum(len(i.text.encode("utf-8")) for i in big) / 1e6
    print(f"corpus: {docs} docs, {megabytes:.1f} MB (avg {megabytes / docs * 1000:.1f} KB); {transcripts} transcripts of 100 KB; seed {args.seed}; built in {time.perf_counter() - started:.1f} s")

    realistic = Profile("realistic", 9000, 60000, 900)
    dense = Profile("dense", 2000, 60000, 200)
    parse_start = time.perf_counter()
    rules_real = make_rules(random.Random(args.seed + 1), vocabulary, pairs, args.rules, realistic)
    parse_seconds = time.perf_counter() - parse_start
    count = sum(len(d.rules) for d in rules_real)
    print(f"rules: {count} realistic; generating + parsing {count} queries took {parse_seconds:.2f} s")

    gc.collect()
    rss_before = rss_mb()
    compile_start = time.perf_counter()
    matcher_real = compile_rules(rules_real)
    compile_seconds = time.perf_counter() - compile_start
    gc.collect()
    rss_working = rss_mb()
    print(
        f"compile: {count} rules, {matcher_real.pattern_count} patterns ({matcher_real.automaton_size} in the automaton) in {compile_seconds:.2f} s; "
        f"+{rss_working - rss_before:.0f} MB RSS, {rss_working:.0f} MB RSS with corpus and rules loaded"
    )

    seconds, hits_real = run(matcher_real, items, repeat)
    rate_real = docs / seconds
    print(f"realistic: {rate_real:,.0f} docs/s, {megabytes / seconds:.1f} MB/s, {hits_real:.1f} rule hits per doc")
    totals = alternate({"engine": matcher_real.match, "scan": bare_scan(matcher_real)}, items, rounds=repeat)
    scan_ratio = totals["engine"] / totals["scan"]
    print(
        f"engine vs bare scan (alternating): the engine takes {scan_ratio:.2f}x the time of its automaton alone over the lower-cased texts "
        f"({docs * repeat / totals['engine']:,.0f} vs {docs * repeat / totals['scan']:,.0f} docs/s)"
    )
    # One extra matcher at a time, freed after use, so the memory figure stays about one setup.
    rules_dense = make_rules(random.Random(args.seed + 2), vocabulary, pairs, args.rules, dense)
    matcher_dense = compile_rules(rules_dense)
    seconds_dense, hits_dense = run(matcher_dense, items, repeat)
    rate_dense = docs / seconds_dense
    print(f"dense:     {rate_dense:,.0f} docs/s, {megabytes / seconds_dense:.1f} MB/s, {hits_dense:.1f} rule hits per doc ({sum(len(d.rules) for d in rules_dense)} rules)")
    del matcher_dense, rules_dense
    rules_extra = rare_rules(random.Random(args.seed + 3), args.rules)
    matcher_double = compile_rules(rules_real + rules_extra)
    hits_double = sum(len(matcher_double.match(i)) for i in items[:200]) / min(200, docs)
    totals = alternate({"10k": matcher_real.match, "20k": matcher_double.match}, items, rounds=repeat)
    factor = totals["20k"] / totals["10k"]
    print(
        f"2x rules (alternating): {docs * repeat / totals['20k']:,.0f} vs {docs * repeat / totals['10k']:,.0f} docs/s, {hits_double:.1f} rule hits per doc, "
        f"time factor {factor:.2f}x (+{sum(len(d.rules) for d in rules_extra)} rare rules)"
    )
    del matcher_double, rules_extra
    big_seconds, _ = run(matcher_real, big, repeat)
    mb_s = big_megabytes / big_seconds
    print(f"100 KB transcripts: {mb_s:.1f} MB/s ({big_seconds / transcripts * 1000:.1f} ms per transcript)")

    baseline = RegexBaseline(rules_real)
    sample = items[:baseline_docs]
    start = time.perf_counter()
    baseline_sets = [baseline.match(i.title, i.text) for i in sample]
    baseline_rate = len(sample) / (time.perf_counter() - start)
    engine_sets = [{(m.dossier, m.rule) for m in matcher_real.match(i)} for i in sample]
    missed = sum(len(e - b) for e, b in zip(engine_sets, baseline_sets))
    extra = sum(len(b - e) for e, b in zip(engine_sets, baseline_sets))
    speedup = rate_real / baseline_rate
    print(
        f"baseline (one regex per rule, {len(sample)} docs, extrapolated): {baseline_rate:.2f} docs/s -> engine is {speedup:,.0f}x faster; "
        f"the baseline misses {missed} and adds {extra} rule hits the engine finds/rejects on that sample (accent folding, joined forms, plurals)"
    )

    differ = 0
    for i in items[:reference_docs]:
        if {(m.dossier, m.rule) for m in matcher_real.match(i)} != reference_matches(rules_real, i):
            differ += 1
    print(f"reference check: engine and reference evaluator agree on {reference_docs - differ} of {reference_docs} docs (all {count} rules)")

    same_as_before = True
    if args.against:
        profiles = {"realistic": rules_real, "dense": make_rules(random.Random(args.seed + 2), vocabulary, pairs, args.rules, dense)}
        same_as_before = compare_with(args.against, profiles, items, compile_rules, repeat)

    peak = peak_rss_mb()
    print(f"memory: {rss_working:.0f} MB RSS with the corpus, {count} rules and their matcher; peak RSS of the whole run {peak:.0f} MB (the 20,000-rule matcher beside the 10,000-rule one, the baseline's regexes and any --against matchers included)")

    checks = {
        "realistic>=2000/s": rate_real >= 2000,
        "dense>=1000/s": rate_dense >= 1000,
        "baseline>=50x": speedup >= 50,
        "engine<=2x-scan": scan_ratio <= 2,
        "2x-rules<1.3x": factor < 1.3,
        "transcripts>=5MB/s": mb_s >= 5,
        "compile<1s": compile_seconds < 1,
        "rss<250MB": rss_working < 250,
        "agrees": differ == 0,
    }
    if args.against:
        checks[f"same-as-{args.against}"] = same_as_before
    failed = [name for name, ok in checks.items() if not ok]
    verdict = "all targets met" if not failed else "MISSED: " + ", ".join(failed)
    print(
        f"SUMMARY{' (quick)' if args.quick else ''}: realistic {rate_real:,.0f} docs/s ({hits_real:.0f} hits/doc) | "
        f"dense {rate_dense:,.0f} docs/s ({hits_dense:.0f} hits/doc) | {scan_ratio:.2f}x bare scan | {speedup:,.0f}x per-rule regex | "
        f"2x rules {factor:.2f}x time | 100 KB {mb_s:.1f} MB/s | compile {compile_seconds:.2f} s | "
        f"RSS {rss_working:.0f} MB | reference {'agrees' if not differ else f'{differ} docs differ'} | {verdict}"
    )
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
