"""Compile every dossier's rules once into one matcher; `match(item)` says which rules an item meets.

How it stays fast with thousands of rules (the Lucene Monitor / percolator approach):

1. Every term of every rule becomes one or more literal patterns over the normalised scan buffer
   of `text.analyse` (" motie ", " moties ", " jeugd" for jeugd*, "zorg " for *zorg). Patterns that
   are one whole word (most of them) are looked up by intersecting the field's set of words with
   a dict of them (one C-level set operation); the others (phrases, wildcards) go into one
   Aho-Corasick automaton (pyahocorasick). Either way a field costs about the same to scan
   whether there are ten rules or ten thousand. (Keeping single words out of the automaton makes
   it small, which matters: pyahocorasick searches a node's children linearly, so a big trie
   costs ~10x more per character than a small one.)
2. Each rule is *indexed* under a small set of its terms that any match must contain: for an AND
   (or NEAR) the rarest side, for an OR every branch (`_anchors`). A scan hit on one of those terms
   makes the rule a candidate; rules none of whose anchor terms occur are never looked at.
3. Only candidates are verified against the full boolean / NEAR / field / NOT structure, using
   the set of patterns that hit (C-level set operations); word positions are computed only for
   NEAR, case-sensitive terms and snippets.

So the cost per item grows with its text and with the number of candidate rules, not with
rules × text. The reference semantics live in `evaluate.py`; tests check both agree.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

from ..models import Item, Match
from .query import DEFAULT_FIELDS, And, Field, Near, Node, Not, Or, Term, parse_query
from .text import Analysed, analyse, join_variants, plural_forms, snippet

__all__ = ["ENGINE_VERSION", "Matcher", "compile_rules"]

# Bump whenever the same rules could match differently (matches are stored under it, so a bump
# re-matches history on the next run).
ENGINE_VERSION = "1"

# Where the snippet comes from when a rule hits in several fields: the body says most.
SNIPPET_FIELDS = ("tekst", "titel", "soort", "commissie")

Check = Callable[["_Scan"], bool]

# Above this many characters a field's word positions are indexed in one pass; below it a
# str.find per word is cheaper.
_FIND_LIMIT = 12_000


# ---------------------------------------------------------------------------- compiled pieces


class _Prim:
    """One distinct term (shared by every rule that uses it) and the patterns that find it."""

    __slots__ = ("index", "term", "pids", "case", "cost")

    def __init__(self, index: int, term: Term, pids: frozenset[int], cost: float) -> None:
        self.index = index
        self.term = term
        self.pids = pids
        # A case-sensitive term: the scan is case-insensitive, so each hit is checked against this.
        self.case = term.words[0] if term.case_sensitive else None
        self.cost = cost


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A term as it occurs in one rule: its prim and the fields it searches."""

    prim: _Prim
    fields: tuple[str, ...]
    text: str


@dataclass(eq=False)
class _Rule:
    index: int
    dossier: str
    name: str
    priority: str | None
    kinds: frozenset[str] | None
    sources: frozenset[str] | None
    check: Check
    leaves: tuple[_Leaf, ...]  # the positive terms, for `terms` and the snippet
    exclude: int | None  # index into Matcher._excludes
    # Precomputed so that reporting a match costs a few set operations: (text, pids, fields, prim
    # when case-sensitive), and per snippet field the distinct prims that can hit there.
    terms: tuple[tuple[str, frozenset[int], tuple[str, ...], _Prim | None], ...] = ()
    snippet_plan: tuple[tuple[str, tuple[_Prim, ...]], ...] = ()
    unique_terms: bool = True

    def __post_init__(self) -> None:
        self.terms = tuple((leaf.text, leaf.prim.pids, leaf.fields, leaf.prim if leaf.prim.case else None) for leaf in self.leaves)
        plan = []
        for field in SNIPPET_FIELDS:
            prims = tuple({id(l.prim): l.prim for l in self.leaves if field in l.fields}.values())
            if prims:
                plan.append((field, prims))
        self.snippet_plan = tuple(plan)
        self.unique_terms = len({leaf.text for leaf in self.leaves}) == len(self.leaves)


# ---------------------------------------------------------------------------- per-item state


class _Scan:
    """What the automaton found in one item's fields, with lazily computed word positions."""

    __slots__ = ("analysed", "hits", "pids", "meta", "words", "tokens", "found", "_occ", "_spans", "_unions", "_positions")

    def __init__(self, meta: list[tuple[int, int, int]], words: dict[int, str]) -> None:
        self.analysed: dict[str, Analysed] = {}
        self.hits: dict[str, list[tuple[int, int]]] = {}
        self.pids: dict[str, set[int]] = {}
        self.meta = meta
        self.words = words  # pattern id -> the padded word, for whole-word patterns
        self.tokens: dict[str, list[str]] = {}  # the buffer split on spaces, per field
        self.found: dict[str, set[str]] = {}  # the whole-word patterns present, per field
        self._positions: dict[str, dict[str, list[int]]] = {}
        self._occ: dict[str, dict[int, list[int]]] = {}
        self._spans: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self._unions: dict[tuple[str, ...], set[int] | frozenset[int]] = {}

    def union(self, fields: tuple[str, ...]) -> set[int] | frozenset[int]:
        """The patterns that hit in any of `fields`."""
        found = self._unions.get(fields)
        if found is None:
            sets = [self.pids[f] for f in fields if f in self.pids]
            found = self._unions[fields] = sets[0] if len(sets) == 1 else frozenset().union(*sets)
        return found

    def ends(self, field: str, pid: int, pattern: str | None) -> list[int]:
        """End offsets of the hits of one pattern in `field` (found on demand).

        Automaton patterns come from the scan's hit list; whole-word patterns (`pattern` given)
        are found with str.find, which is C-level and only runs for words that do occur.
        """
        occ = self._occ.get(field)
        if occ is None:
            occ = {}
            for end, hit in self.hits[field]:
                found = occ.get(hit)
                if found is None:
                    occ[hit] = [end]
                else:
                    found.append(end)
            self._occ[field] = occ
        found = occ.get(pid)
        if found is None and pattern is not None:
            buffer = self.analysed[field].lower
            found = []
            last = len(pattern) - 1
            at = buffer.find(pattern)
            while at >= 0:
                found.append(at + last)
                at = buffer.find(pattern, at + 1)
            occ[pid] = found
        return found or []

    def spans(self, prim: _Prim, field: str) -> list[tuple[int, int]]:
        """The word ranges (first, last) where `prim` occurs in `field`, sorted."""
        key = (prim.index, field)
        found = self._spans.get(key)
        if found is not None:
            return found
        out: list[tuple[int, int]] = []
        pids = self.pids.get(field)
        if pids is not None and not prim.pids.isdisjoint(pids):
            analysed = self.analysed[field]
            meta = self.meta
            words = self.words
            case = prim.case
            long_field = len(analysed.lower) > _FIND_LIMIT
            for pid in prim.pids & pids:
                word = words.get(pid)
                if word is not None and long_field:
                    out += self._word_spans(field, word[1:-1], case)
                    continue
                length, lead_space, trail_space = meta[pid]
                for end in self.ends(field, pid, word):
                    first = end - length + 1 + lead_space
                    last = end - trail_space
                    if case is not None and analysed.cased[first : last + 1] != case:
                        continue
                    out.append(analysed.span(first, last))
            out = sorted(set(out))
        self._spans[key] = out
        return out

    def _word_spans(self, field: str, word: str, case: str | None) -> list[tuple[int, int]]:
        # Long fields: one pass over the tokens indexes every found word, instead of a str.find
        # through the whole buffer per word. Token 0 is the buffer's leading "", then the words,
        # then a "\x00" before each joined form.
        positions = self._positions.get(field)
        if positions is None:
            positions = {}
            found = self.found[field]
            for index, token in enumerate(self.tokens[field]):
                if token in found:
                    seen = positions.get(token)
                    if seen is None:
                        positions[token] = [index]
                    else:
                        seen.append(index)
            self._positions[field] = positions
        analysed = self.analysed[field]
        count = len(analysed)
        cased = analysed.words(cased=True) if case is not None else None
        out = []
        for index in positions.get(word, ()):
            if index <= count:
                if cased is None or cased[index - 1] == case:
                    out.append((index - 1, index - 1))
            else:
                cell = (index - count - 2) // 2
                if cased is None or analysed.joined(cased=True)[cell][0] == case:
                    out.append(analysed.cells[cell])
        return out

    def leaf_hit(self, leaf: _Leaf) -> bool:
        """Whether the leaf's term occurs in one of its fields."""
        prim = leaf.prim
        if prim.case is not None:
            return any(self.spans(prim, f) for f in leaf.fields if f in self.pids)
        for f in leaf.fields:
            pids = self.pids.get(f)
            if pids is not None and not prim.pids.isdisjoint(pids):
                return True
        return False


# ---------------------------------------------------------------------------- the matcher


class Matcher:
    """All dossiers' rules compiled into one automaton plus a candidate index. Build it with `compile_rules`."""

    def __init__(self) -> None:
        self._automaton: Any = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._patterns: dict[str, int] = {}
        self._meta: list[tuple[int, int, int]] = []  # per pattern: length, leading space, trailing space
        self._word_pids: dict[str, int] = {}  # whole-word patterns, by word: looked up, not scanned
        self._word_patterns: dict[int, str] = {}  # pattern id -> " word "
        self._in_automaton = 0
        self._prims: dict[tuple[Any, ...], _Prim] = {}
        self._rules: list[_Rule] = []
        self._excludes: list[Check] = []
        # field -> pattern id -> rules indexed under it (lists while compiling, tuples after finish)
        self._anchors: dict[str, dict[int, Any]] = {}
        self._empty = True

    # ------------------------------------------------------------ compiling

    def _pattern(self, text: str) -> int:
        pid = self._patterns.get(text)
        if pid is None:
            pid = len(self._meta)
            self._patterns[text] = pid
            self._meta.append((len(text), int(text.startswith(" ")), int(text.endswith(" "))))
            word = text[1:-1]
            if len(text) > 2 and text[0] == " " and text[-1] == " " and " " not in word:
                self._word_pids[word] = pid
                self._word_patterns[pid] = text
            else:
                self._automaton.add_word(text, pid)
                self._in_automaton += 1
        return pid

    def _prim(self, term: Term) -> _Prim:
        key = (term.folded, term.lead, term.trail, term.plurals, term.words[0] if term.case_sensitive else None)
        prim = self._prims.get(key)
        if prim is None:
            lead = "" if term.lead else " "
            trail = "" if term.trail else " "
            variants = join_variants(term.folded)
            if term.plurals:
                variants = variants + plural_forms(term.folded[0])
            pids = frozenset(self._pattern(lead + v + trail) for v in variants)
            prim = _Prim(len(self._prims), term, pids, _cost(term))
            self._prims[key] = prim
        return prim

    def _compile(self, node: Node, scope: tuple[str, ...], leaves: list[_Leaf], negated: bool) -> Check:
        if isinstance(node, Term):
            leaf = _Leaf(self._prim(node), scope, node.text)
            if not negated:
                leaves.append(leaf)
            return _leaf_check(leaf)
        if isinstance(node, Field):
            return self._compile(node.child, (node.name,), leaves, negated)
        if isinstance(node, Not):
            inner = self._compile(node.child, scope, leaves, not negated)
            return lambda scan: not inner(scan)
        if isinstance(node, Or):
            return self._compile_or(node, scope, leaves, negated)
        if isinstance(node, And):
            checks = tuple(self._compile(c, scope, leaves, negated) for c in node.children)

            def all_of(scan: _Scan) -> bool:
                for check in checks:
                    if not check(scan):
                        return False
                return True

            return all_of
        assert isinstance(node, Near)
        left: list[_Leaf] = []
        right: list[_Leaf] = []
        self._compile(node.left, scope, left, False)
        self._compile(node.right, scope, right, False)
        if not negated:
            leaves.extend(left + right)
        return _near_check(tuple(left), tuple(right), node.distance, scope)

    def _compile_or(self, node: Or, scope: tuple[str, ...], leaves: list[_Leaf], negated: bool) -> Check:
        # Plain terms of one OR are merged into a single pattern-set test: one C-level
        # isdisjoint per field instead of one Python call per term.
        merged: dict[tuple[str, ...], set[int]] = {}
        checks: list[Check] = []
        for child in node.children:
            if isinstance(child, Term) and not child.case_sensitive:
                prim = self._prim(child)
                if not negated:
                    leaves.append(_Leaf(prim, scope, child.text))
                merged.setdefault(scope, set()).update(prim.pids)
            else:
                checks.append(self._compile(child, scope, leaves, negated))
        for fields, pids in merged.items():
            checks.insert(0, _pids_check(frozenset(pids), fields))
        if len(checks) == 1:
            return checks[0]
        frozen = tuple(checks)

        def any_of(scan: _Scan) -> bool:
            for check in frozen:
                if check(scan):
                    return True
            return False

        return any_of

    def _anchors_of(self, node: Node, scope: tuple[str, ...]) -> tuple[float, list[tuple[_Prim, tuple[str, ...]]]] | None:
        """Terms (with fields) at least one of which occurs in any item the node matches; None if
        there are none (a NOT). For AND/NEAR the cheapest side suffices, as in Lucene Monitor."""
        if isinstance(node, Term):
            prim = self._prim(node)
            return prim.cost * len(scope), [(prim, scope)]
        if isinstance(node, Field):
            return self._anchors_of(node.child, (node.name,))
        if isinstance(node, Not):
            return None
        if isinstance(node, Or):
            total = 0.0
            found: list[tuple[_Prim, tuple[str, ...]]] = []
            for child in node.children:
                sub = self._anchors_of(child, scope)
                if sub is None:
                    return None
                total += sub[0]
                found += sub[1]
            return total, found
        children = node.children if isinstance(node, And) else (node.left, node.right)
        options = [sub for sub in (self._anchors_of(c, scope) for c in children) if sub is not None]
        return min(options, key=lambda option: option[0]) if options else None

    def add_dossier(self, dossier: Any) -> None:
        """Compile one dossier (a `config.DossierConfig` or anything with the same attributes)."""
        exclude_index = None
        exclude_ast = getattr(dossier, "exclude_ast", None)
        if exclude_ast is None and getattr(dossier, "exclude", None):
            exclude_ast = parse_query(dossier.exclude)
        if exclude_ast is not None:
            exclude_index = len(self._excludes)
            self._excludes.append(self._compile(exclude_ast, DEFAULT_FIELDS, [], False))
        for rule in dossier.rules:
            ast = rule.ast if rule.ast is not None else parse_query(rule.query)
            leaves: list[_Leaf] = []
            check = self._compile(ast, DEFAULT_FIELDS, leaves, False)
            index = len(self._rules)
            self._rules.append(
                _Rule(
                    index=index,
                    dossier=dossier.id,
                    name=rule.name,
                    priority=rule.priority,
                    kinds=frozenset(rule.kinds) if rule.kinds else None,
                    sources=frozenset(rule.sources) if rule.sources else None,
                    check=check,
                    leaves=tuple(leaves),
                    exclude=exclude_index,
                )
            )
            anchors = self._anchors_of(ast, DEFAULT_FIELDS)
            if anchors is None:  # parse_query rejects such queries; stay correct anyway
                anchors = (0.0, [(leaf.prim, leaf.fields) for leaf in leaves])
            for prim, fields in anchors[1]:
                for field in fields:
                    index_of = self._anchors.setdefault(field, {})
                    for pid in prim.pids:
                        index_of.setdefault(pid, []).append(index)  # type: ignore[arg-type]

    def finish(self) -> Matcher:
        """Build the automaton; call once after the last `add_dossier`."""
        for field, index in self._anchors.items():
            self._anchors[field] = {pid: tuple(sorted(set(rules))) for pid, rules in index.items()}
        self._empty = len(self._meta) == 0
        if self._in_automaton:
            self._automaton.make_automaton()
        return self

    # ------------------------------------------------------------ matching

    @property
    def rule_count(self) -> int:
        """How many rules were compiled."""
        return len(self._rules)

    @property
    def pattern_count(self) -> int:
        """How many distinct patterns there are (whole words and automaton patterns)."""
        return len(self._meta)

    @property
    def automaton_size(self) -> int:
        """How many patterns the automaton holds (phrases and wildcards)."""
        return self._in_automaton

    def scan(self, fields: dict[str, str]) -> _Scan:
        """Run the automaton over every non-empty field."""
        scan = _Scan(self._meta, self._word_patterns)
        if self._empty:
            return scan
        iterate = self._automaton.iter if self._in_automaton else None
        word_pids = self._word_pids
        for name, value in fields.items():
            if not value:
                continue
            analysed = analyse(value)
            lower = analysed.lower
            hits = list(iterate(lower)) if iterate is not None else []
            pids = {pid for _, pid in hits}
            # The buffer's words (cells included; "\x00" and "" never name a pattern) that are
            # whole-word patterns: a set intersection that iterates the smaller side.
            tokens = lower.split(" ")
            found = word_pids.keys() & set(tokens)
            if found:
                pids.update(map(word_pids.__getitem__, found))
            if pids:
                scan.analysed[name] = analysed
                scan.hits[name] = hits
                scan.pids[name] = pids
                scan.tokens[name] = tokens
                scan.found[name] = found
        return scan

    def match(self, item: Item) -> list[Match]:
        """One Match per (dossier, rule) the item meets, in rules.yaml order.

        `terms` are the rule's terms as written in the query that occur in the item; `snippet`
        is ~200 characters around the first hit with every hit of the rule marked «like this».
        """
        return self.match_fields(item.fields(), item.kind, item.source, item.id)

    def match_fields(self, fields: dict[str, str], kind: str, source: str, item_id: str) -> list[Match]:
        """`match` for an item given as its fields (titel, tekst, soort, commissie), kind, source and id."""
        scan = self.scan(fields)
        if not scan.pids:
            return []
        candidates: set[int] = set()
        for field, pids in scan.pids.items():
            index = self._anchors.get(field)
            if index:
                candidates.update(*filter(None, map(index.get, pids)))
        matches: list[Match] = []
        excluded: dict[int, bool] = {}
        snippets: dict[tuple[Any, ...], str] = {}
        rules = self._rules
        for rule_index in sorted(candidates):
            rule = rules[rule_index]
            if rule.kinds is not None and kind not in rule.kinds:
                continue
            if rule.sources is not None and source not in rule.sources:
                continue
            if not rule.check(scan):
                continue
            if rule.exclude is not None:
                vetoed = excluded.get(rule.exclude)
                if vetoed is None:
                    vetoed = excluded[rule.exclude] = self._excludes[rule.exclude](scan)
                if vetoed:
                    continue
            matches.append(Match(item_id, rule.dossier, rule.name, _terms(scan, rule), _snippet(scan, rule, snippets), rule.priority))
        return matches


def compile_rules(dossiers: Iterable[Any]) -> Matcher:
    """Compile all dossiers (config.DossierConfig) into one Matcher; do this once per rules version."""
    # Compiling allocates hundreds of thousands of small objects and frees none; the cyclic
    # garbage collector would rescan them over and over (measured: half the compile time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        matcher = Matcher()
        for dossier in dossiers:
            matcher.add_dossier(dossier)
        return matcher.finish()
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------- checks


def _pids_check(pids: frozenset[int], fields: tuple[str, ...]) -> Check:
    if len(fields) == 2:
        first, second = fields

        def two_fields(scan: _Scan) -> bool:
            got = scan.pids.get(first)
            if got is not None and not pids.isdisjoint(got):
                return True
            got = scan.pids.get(second)
            return got is not None and not pids.isdisjoint(got)

        return two_fields

    def any_field(scan: _Scan) -> bool:
        for field in fields:
            got = scan.pids.get(field)
            if got is not None and not pids.isdisjoint(got):
                return True
        return False

    return any_field


def _leaf_check(leaf: _Leaf) -> Check:
    if leaf.prim.case is None:
        return _pids_check(leaf.prim.pids, leaf.fields)
    return lambda scan: scan.leaf_hit(leaf)


def _near_check(left: tuple[_Leaf, ...], right: tuple[_Leaf, ...], distance: int, scope: tuple[str, ...]) -> Check:
    # "At most `distance` words in between": spans (a1, a2) and (b1, b2) qualify when
    # max(b1 - a2, a1 - b2) <= distance + 1; overlapping spans (one word hit by both) qualify too.
    reach = distance + 1
    left_pids = frozenset().union(*(leaf.prim.pids for leaf in left))
    right_pids = frozenset().union(*(leaf.prim.pids for leaf in right))

    def near(scan: _Scan) -> bool:
        for field in scope:
            got = scan.pids.get(field)
            if got is None or left_pids.isdisjoint(got) or right_pids.isdisjoint(got):
                continue
            a = _side_spans(scan, left, field)
            b = _side_spans(scan, right, field)
            if a and b and _within(a, b, reach):
                return True
        return False

    return near


def _side_spans(scan: _Scan, leaves: tuple[_Leaf, ...], field: str) -> list[tuple[int, int]]:
    if len(leaves) == 1:
        return scan.spans(leaves[0].prim, field)
    out: list[tuple[int, int]] = []
    for leaf in leaves:
        out += scan.spans(leaf.prim, field)
    out.sort()
    return out


def _within(a: list[tuple[int, int]], b: list[tuple[int, int]], reach: int) -> bool:
    if len(a) > len(b):
        a, b = b, a
    longest = max(last - first for first, last in b)
    for first, last in a:
        # Only spans of b starting close enough can qualify.
        index = bisect_left(b, (first - reach - longest, -1))
        while index < len(b):
            b_first, b_last = b[index]
            if b_first > last + reach:
                break
            if max(b_first - last, first - b_last) <= reach:
                return True
            index += 1
    return False


def _terms(scan: _Scan, rule: _Rule) -> list[str]:
    out = []
    for text, pids, fields, case_prim in rule.terms:
        if case_prim is None:
            if not pids.isdisjoint(scan.union(fields)):
                out.append(text)
        elif any(scan.spans(case_prim, f) for f in fields if f in scan.pids):
            out.append(text)
    return out if rule.unique_terms else list(dict.fromkeys(out))


def _snippet(scan: _Scan, rule: _Rule, cache: dict[tuple[Any, ...], str]) -> str:
    for field, prims in rule.snippet_plan:
        got = scan.pids.get(field)
        if got is None:
            continue
        if len(prims) == 1:
            if prims[0].pids.isdisjoint(got):
                continue
            hit = prims
        else:
            hit = tuple(prim for prim in prims if not prim.pids.isdisjoint(got))
            if not hit:
                continue
        key = (field, hit)
        cached = cache.get(key)
        if cached is not None:
            return cached
        if len(hit) == 1:
            spans = scan.spans(hit[0], field)
        else:
            spans = sorted(span for prim in hit for span in scan.spans(prim, field))
        if spans:
            text = cache[key] = snippet(scan.analysed[field], spans)
            return text
    return ""


# ---------------------------------------------------------------------------- anchor costs

# Words so frequent in Dutch (or in parliamentary text) that a rule should rather be indexed
# under another of its terms. Only a performance hint: the choice never changes results.
_COMMON = frozenset(
    """
    de het een en van in is dat op te zijn voor met die niet aan er om ook als bij of door
    maar over nog naar dan uit wel worden wordt kan moet zal al tot hebben heeft was werd
    deze dit meer geen wat we ze hij zij u ik je na onder tussen tegen zo hun hoe wie waar
    jaar jaren nieuwe nieuw veel andere eerste twee drie alle gaat gaan komen komt minister
    kamer kabinet gemeente gemeenten regering wet zorg beleid overheid staatssecretaris
    motie brief vragen vraag debat commissie nederland land mensen goed per procent euro
    miljoen miljard via sinds heel ons onze hier daar nu toen wanneer omdat zodat
    wethouder wethouders burgemeester college raad gemeenteraad provincie rijk vng jeugd
    jeugdzorg jeugdhulp wmo zorgaanbieders ondersteuning uitvoering financiering budget tekort
    tekorten geld kosten onderzoek rapport plan plannen besluit afspraken regio inwoners
    """.split()
)


def _cost(term: Term) -> float:
    """A rough guess of how often a term occurs; lower is rarer and makes a better anchor."""
    words = term.folded
    if len(words) > 1:
        base = min(_word_cost(w) for w in words) * 0.2
    else:
        base = _word_cost(words[0])
        if term.words[0][:1].isupper() and not term.words[0].isupper():
            base *= 0.5  # a capitalised word is usually a name (Dordrecht, Jeugdwet): rare
    if term.lead and term.trail:
        base *= 8
    elif term.lead or term.trail:
        base *= 3
    if term.plurals:
        base *= 1.5
    return base


def _word_cost(word: str) -> float:
    if word in _COMMON:
        return 100.0
    return 12.0 / max(len(word), 1) + (5.0 if len(word) <= 3 else 0.0)
