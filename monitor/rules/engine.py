"""Compile every dossier's rules once into one matcher; `match(item)` says which rules an item meets.

How it stays fast with thousands of rules (the Lucene Monitor / percolator approach):

1. Every term of every rule becomes one or more literal patterns over the normalised scan buffer
   of `text.analyse` (" motie ", " moties ", " jeugd" for jeugd*, "zorg " for *zorg). All patterns
   go into one Aho-Corasick automaton (ahocorasick_rs, the Rust `aho-corasick` crate), which
   scans a field in one C-level pass and hands back every hit with its offsets, so a field costs
   about the same to scan whether there are ten rules or ten thousand. (It replaced
   pyahocorasick plus a word-set lookup: one pass instead of two, ~2x faster, and the offsets
   make word positions free.)
2. Each rule is *indexed* under a small set of its terms that any match must contain: for an AND
   (or NEAR) the rarest side, for an OR every branch (`_anchors`). A scan hit on one of those terms
   makes the rule a candidate; rules none of whose anchor terms occur are never looked at. A
   rule that is nothing but an OR of plain terms matches whenever it is a candidate, so it is
   not verified at all.
3. Only candidates are verified against the full boolean / NEAR / field / NOT structure, using
   the set of patterns that hit (C-level set operations; a rule that is "all of these, none of
   those" in one field scope is nothing but `isdisjoint` calls, see `_sets_of`); word positions
   are computed only for NEAR, case-sensitive terms and snippets.
4. A match records only which rule hit; its terms and snippet are made from the item's scan when
   first read (`models.Match`), because describing a match costs more than finding it and most
   matches (a back-test, a probe for the moments, a re-match) are never shown.

So the cost per item grows with its text and with the number of candidate rules, not with
rules × text. The reference semantics live in `evaluate.py`; tests check both agree.
"""

from __future__ import annotations

import gc
import hashlib
import json
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from itertools import chain
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import ahocorasick_rs

from ..models import Item, Match
from .query import DEFAULT_FIELDS, SNIPPET_FIELDS, And, Field, Near, Node, Not, Or, Term, parse_query
from .text import Analysed, analyse, join_variants, plural_forms, snippet

__all__ = ["ENGINE_VERSION", "Matcher", "compile_rules", "matcher_for", "rules_hash"]

# Bump whenever the same rules could match differently (matches are stored under it, so a bump
# re-matches history on the next run).
ENGINE_VERSION = "1"

Check = Callable[["_Scan"], bool]

# Per pattern id: (1 if it starts with a space, 1 if it ends with one, 1 if it spans several
# words): how to turn a hit's offsets into the word range it covers.
Meta = list[tuple[int, int, int]]

_first = itemgetter(0)


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


@dataclass(eq=False, slots=True)
class _Rule:
    """One compiled rule: what `match` needs to test it and to report a match (slots: read per candidate)."""

    index: int
    dossier: str
    name: str
    priority: str | None
    kinds: frozenset[str] | None
    sources: frozenset[str] | None
    check: Check | None  # None: the rule holds whenever it is a candidate (see `_anchors_suffice`)
    leaves: tuple[_Leaf, ...]  # the positive terms, for `terms` and the snippet
    exclude: int | None  # index into Matcher._excludes
    # A rule shaped "all of these pattern sets, none of those, in these fields" (see `_sets_of`)
    # is verified with C-level set tests instead of `check`: (fields, must hit, must not hit).
    sets: tuple[tuple[str, ...], tuple[frozenset[int], ...], tuple[frozenset[int], ...]] | None = None
    # Whether anything beyond being a candidate must be checked (filters, verification, exclude).
    filtered: bool = True
    # Made by `plan` when the rule's first match is described (most rules never are in a process
    # that only matches), so that describing costs a few set operations: (text, prim index,
    # fields, prim when case-sensitive), and per snippet field the indexes of the prims that can hit there.
    planned: bool = False
    terms: tuple[tuple[str, int, tuple[str, ...], _Prim | None], ...] = ()
    snippet_plan: tuple[tuple[str, frozenset[int]], ...] = ()
    unique_terms: bool = True
    # When `terms` can only ever be this one term (an unverified rule with one term), no test is needed.
    only_term: str | None = None
    # When every term is case-insensitive and searches the same fields (most rules): those fields,
    # the rule's prim indexes, and per prim index the texts of its terms in query order.
    term_fields: tuple[str, ...] | None = None
    term_prims: frozenset[int] = frozenset()
    texts_of: dict[int, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        self.filtered = not (self.kinds is None and self.sources is None and self.check is None and self.sets is None and self.exclude is None)

    def plan(self) -> None:
        """Work out what describing a match of this rule needs (once)."""
        self.planned = True
        self.terms = tuple((leaf.text, leaf.prim.index, leaf.fields, leaf.prim if leaf.prim.case else None) for leaf in self.leaves)
        plan = []
        for field in SNIPPET_FIELDS:
            prims = frozenset(leaf.prim.index for leaf in self.leaves if field in leaf.fields)
            if prims:
                plan.append((field, prims))
        self.snippet_plan = tuple(plan)
        self.unique_terms = len({leaf.text for leaf in self.leaves}) == len(self.leaves)
        if self.check is None and len({leaf.text for leaf in self.leaves}) == 1:
            # Verified without `check` (an OR of plain terms, or set tests that every positive
            # part hit): with a single distinct positive term, a match means that term occurs.
            self.only_term = self.leaves[0].text
        if self.leaves and len({leaf.fields for leaf in self.leaves}) == 1 and not any(leaf.prim.case for leaf in self.leaves):
            self.term_fields = self.leaves[0].fields
            self.term_prims = frozenset(leaf.prim.index for leaf in self.leaves)
            texts: dict[int, dict[str, None]] = {}
            for leaf in self.leaves:
                texts.setdefault(leaf.prim.index, {})[leaf.text] = None
            self.texts_of = {index: tuple(found) for index, found in texts.items()}


# ---------------------------------------------------------------------------- per-item state


class _Scan:
    """What the automaton found in one item's fields, with word positions computed on demand."""

    __slots__ = ("analysed", "hits", "pids", "meta", "prim_list", "pid_prims", "_occ", "_spans", "_prims", "_prim_unions", "_snippets")

    def __init__(self, meta: Meta, prim_list: list[_Prim], pid_prims: list[tuple[int, ...]]) -> None:
        self.analysed: dict[str, Analysed] = {}
        self.hits: dict[str, list[tuple[int, int, int]]] = {}  # (pattern id, start, end) per field
        self.pids: dict[str, set[int]] = {}
        self.meta = meta
        self.prim_list = prim_list  # prim index -> prim
        self.pid_prims = pid_prims  # pattern id -> indexes of the prims it belongs to
        self._prims: dict[str, set[int]] = {}
        self._prim_unions: dict[tuple[str, ...], set[int]] = {}
        self._occ: dict[str, dict[int, list[tuple[int, int]]]] = {}
        self._spans: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self._snippets: dict[tuple[str, frozenset[int]], str] = {}

    # The scan is the `MatchEvidence` of every Match of its item: their terms and snippets are
    # made from it when (and if) they are read.

    def terms(self, rule: _Rule) -> list[str]:
        """The rule's terms as written in its query that occur in the item."""
        return _terms(self, rule)

    def snippet(self, rule: _Rule) -> str:
        """The snippet of a rule's match (shared with other rules that hit the same terms)."""
        return _snippet(self, rule, self._snippets)

    def prims(self, field: str) -> set[int]:
        """Indexes of the prims one of whose patterns hit in `field` (case not checked)."""
        found = self._prims.get(field)
        if found is None:
            pids = self.pids.get(field)
            found = self._prims[field] = set(chain.from_iterable(map(self.pid_prims.__getitem__, pids))) if pids else set()
        return found

    def prims_in(self, fields: tuple[str, ...]) -> set[int]:
        """`prims` over several fields."""
        found = self._prim_unions.get(fields)
        if found is None:
            found = self._prim_unions[fields] = set().union(*map(self.prims, fields))
        return found

    def occurrences(self, field: str) -> dict[int, list[tuple[int, int]]]:
        """Per pattern id, the (start, end) offsets of its hits in `field` (grouped on first use)."""
        occ = self._occ.get(field)
        if occ is None:
            occ = self._occ[field] = {}
            for pid, start, end in self.hits[field]:
                found = occ.get(pid)
                if found is None:
                    occ[pid] = [(start, end)]
                else:
                    found.append((start, end))
        return occ

    def spans(self, prim: _Prim, field: str) -> list[tuple[int, int]]:
        """The word ranges (first, last) where `prim` occurs in `field`, sorted."""
        key = (prim.index, field)
        found = self._spans.get(key)
        if found is not None:
            return found
        out: list[tuple[int, int]] = []
        pids = self.pids.get(field)
        hit = prim.pids & pids if pids is not None else None
        if hit:
            analysed = self.analysed[field]
            occ = self._occ.get(field) or self.occurrences(field)
            meta = self.meta
            case = prim.case
            cased = analysed.cased
            primary_end = analysed.primary_end
            starts = analysed.starts
            for pid in hit:
                lead, trail, several = meta[pid]
                for start, end in occ[pid]:
                    first = start + lead  # the hit's first and last word characters
                    last = end - 1 - trail
                    if case is not None and cased[first : last + 1] != case:
                        continue
                    if first >= primary_end:
                        out.append(analysed.span(first, last))  # a joined form: its words
                        continue
                    word = bisect_right(starts, first) - 1
                    out.append((word, bisect_right(starts, last) - 1 if several else word))
            if len(out) > 1:
                out = sorted(set(out))
        self._spans[key] = out
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
        self._patterns: dict[str, int] = {}  # pattern -> id (insertion order is id order)
        self._meta: Meta = []
        # The automaton's search: haystack -> [(pattern id, start, end)], overlapping hits included.
        self._find: Callable[[str, bool], list[tuple[int, int, int]]] | None = None
        self._prims: dict[tuple[Any, ...], _Prim] = {}
        # id(term node) -> (the node, its prim), while compiling; holding the node keeps its id
        # from being reused by another (a query parsed on the fly is otherwise freed).
        self._prim_of_node: dict[int, tuple[Term, _Prim]] = {}
        self._prim_list: list[_Prim] = []  # by index
        self._pid_prims: list[tuple[int, ...]] = []  # pattern id -> prim indexes (built by `finish`)
        self._rules: list[_Rule] = []
        self._excludes: list[Check] = []
        # field -> pattern id -> rules indexed under it (lists while compiling, tuples after finish)
        self._anchors: dict[str, dict[int, Any]] = {}

    # ------------------------------------------------------------ compiling

    def _pattern(self, text: str) -> int:
        pid = self._patterns.get(text)
        if pid is None:
            pid = len(self._meta)
            self._patterns[text] = pid
            self._meta.append((int(text.startswith(" ")), int(text.endswith(" ")), int(" " in text.strip(" "))))
        return pid

    def _prim(self, term: Term) -> _Prim:
        # Each term node is asked for several times (compiling, anchors, set tests): by identity
        # first, which skips its cached properties (Python-level descriptors) and the key tuple.
        known = self._prim_of_node.get(id(term))
        if known is not None:
            return known[1]
        prim = self._make_prim(term)
        self._prim_of_node[id(term)] = (term, prim)
        return prim

    def _make_prim(self, term: Term) -> _Prim:
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
            self._prim_list.append(prim)
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

    def _sets_of(self, node: Node, scope: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[frozenset[int], ...], tuple[frozenset[int], ...]] | None:
        """For an AND of ORs of plain terms, some under NOT, all searching the same fields (most
        verified rules: `(a OR b) AND c`, `a AND NOT (b OR c)`): those fields, per positive
        child the patterns of which one must hit, per negated child those of which none may.
        None for any other shape (NEAR, a field scope inside, a case-sensitive term)."""
        if isinstance(node, Field):
            return self._sets_of(node.child, (node.name,))
        children = node.children if isinstance(node, And) else (node,)
        must: list[tuple[float, frozenset[int]]] = []
        must_not: list[frozenset[int]] = []
        for child in children:
            negated = isinstance(child, Not)
            found = self._plain_pids(child.child if isinstance(child, Not) else child)
            if found is None:
                return None
            if negated:
                must_not.append(found[1])
            else:
                must.append(found)
        if not must:
            return None
        # Rarest first: the test stops at the first set that does not hit.
        must.sort(key=lambda option: option[0])
        return scope, tuple(pids for _, pids in must), tuple(must_not)

    def _plain_pids(self, node: Node) -> tuple[float, frozenset[int]] | None:
        # An OR of plain case-insensitive terms (or one term): its guessed frequency and patterns.
        if isinstance(node, Term):
            if node.case_sensitive:
                return None
            prim = self._prim(node)
            return prim.cost, prim.pids
        if isinstance(node, Or):
            total = 0.0
            pids: set[int] = set()
            for child in node.children:
                found = self._plain_pids(child)
                if found is None:
                    return None
                total += found[0]
                pids.update(found[1])
            return total, frozenset(pids)
        return None

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
            check: Check | None = self._compile(ast, DEFAULT_FIELDS, leaves, False)
            sets = None
            if _anchors_suffice(ast):
                check = None
            else:
                sets = self._sets_of(ast, DEFAULT_FIELDS)
                if sets is not None:
                    check = None
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
                    sets=sets,
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
        self._prim_of_node = {}
        for field, index in self._anchors.items():
            # Most patterns anchor one rule: skip sorting and de-duplicating those.
            self._anchors[field] = {pid: (rules[0],) if len(rules) == 1 else tuple(sorted(set(rules))) for pid, rules in index.items()}
        pid_prims: list[list[int]] = [[] for _ in self._meta]
        for prim in self._prim_list:
            for pid in prim.pids:
                pid_prims[pid].append(prim.index)
        self._pid_prims = [tuple(prims) for prims in pid_prims]
        if self._patterns:
            # The contiguous NFA: as fast as the DFA on these pattern sets (which do not fit in
            # cache either way), built twice as fast and with a sixth of the memory.
            automaton = ahocorasick_rs.AhoCorasick(list(self._patterns), implementation=ahocorasick_rs.Implementation.ContiguousNFA)
            self._find = automaton.find_matches_as_indexes
        return self

    # ------------------------------------------------------------ matching

    @property
    def rule_count(self) -> int:
        """How many rules were compiled."""
        return len(self._rules)

    @property
    def pattern_count(self) -> int:
        """How many distinct patterns there are."""
        return len(self._meta)

    @property
    def automaton_size(self) -> int:
        """How many patterns the automaton holds (all of them)."""
        return len(self._meta)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """The automaton's hits (pattern id, start, end) in `text` exactly as given, overlapping
        ones included: the bare scan, with no analysis and no rules (a yardstick for benchmarks)."""
        return self._find(text, True) if self._find is not None else []

    def scan(self, fields: dict[str, str]) -> _Scan:
        """Run the automaton over every non-empty field."""
        scan = _Scan(self._meta, self._prim_list, self._pid_prims)
        find = self._find
        if find is None:
            return scan
        for name, value in fields.items():
            if not value:
                continue
            analysed = analyse(value)
            hits = find(analysed.lower, True)
            if hits:
                scan.analysed[name] = analysed
                scan.hits[name] = hits
                scan.pids[name] = set(map(_first, hits))
        return scan

    def match(self, item: Item) -> list[Match]:
        """One Match per (dossier, rule) the item meets, in rules.yaml order.

        `terms` are the rule's terms as written in the query that occur in the item; `snippet`
        is ~200 characters around the first hit with every hit of the rule marked «like this».
        Both are made when first read (from the item's scan, which each Match keeps until then):
        deciding a match is cheap, describing it is not, and most matches are never shown.
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
        append = matches.append
        excluded: dict[int, bool] = {}
        hit_in: dict[tuple[str, ...], set[int]] = {}  # per field scope: the patterns that hit in it
        for rule in map(self._rules.__getitem__, sorted(candidates)):
            if rule.filtered:
                if rule.kinds is not None and kind not in rule.kinds:
                    continue
                if rule.sources is not None and source not in rule.sources:
                    continue
                sets = rule.sets
                if sets is not None:
                    scope, must, must_not = sets
                    hit = hit_in.get(scope)
                    if hit is None:
                        hit = hit_in[scope] = _union(scan.pids, scope)
                    # Each a C-level loop: a must-set that misses, a must-not set that hits.
                    if any(map(hit.isdisjoint, must)) or (must_not and not all(map(hit.isdisjoint, must_not))):
                        continue
                elif rule.check is not None and not rule.check(scan):
                    continue
                if rule.exclude is not None:
                    vetoed = excluded.get(rule.exclude)
                    if vetoed is None:
                        vetoed = excluded[rule.exclude] = self._excludes[rule.exclude](scan)
                    if vetoed:
                        continue
            append(Match(item_id, rule.dossier, rule.name, None, None, rule.priority, scan, rule))
        return matches


# The compiled rule sets of this process, most recently used last. Compiling 10,000 rules takes
# most of a second, and one run asks for the matcher from several places (matching, the moments,
# the view of revised items, a back-test); two entries let a back-test of one dossier sit beside
# the full set without pushing it out.
_COMPILED: OrderedDict[str, Matcher] = OrderedDict()
_COMPILED_KEEP = 2


def rules_hash(dossiers: Iterable[Any]) -> str:
    """A hash of everything in the dossiers that decides matches (and their order), plus ENGINE_VERSION."""
    canonical = [
        [d.id, getattr(d, "exclude", None), [[r.name, r.query, r.priority, r.kinds, r.sources] for r in d.rules]]
        for d in dossiers
    ]
    blob = json.dumps([ENGINE_VERSION, canonical], ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def matcher_for(dossiers: Iterable[Any]) -> Matcher:
    """`compile_rules`, but once per process for each distinct rule set (keyed by `rules_hash`)."""
    dossiers = list(dossiers)
    key = rules_hash(dossiers)
    matcher = _COMPILED.get(key)
    if matcher is None:
        matcher = _COMPILED[key] = compile_rules(dossiers)
        while len(_COMPILED) > _COMPILED_KEEP:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(key)
    return matcher


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


def _union(pids: dict[str, set[int]], scope: tuple[str, ...]) -> set[int]:
    """The patterns that hit in any of the fields of `scope` (the field's own set when only one has hits)."""
    present = [pids[field] for field in scope if field in pids]
    if len(present) == 1:
        return present[0]
    return set().union(*present)


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


def _anchors_suffice(node: Node) -> bool:
    """Whether a rule holds whenever it is a candidate: an OR of plain terms (field scopes allowed).

    Such a rule is indexed under every term in every field the term searches (`_anchors_of`), so
    the hit that made it a candidate already satisfies it. Case-sensitive terms are excluded:
    their patterns hit case-insensitively and need a check.
    """
    if isinstance(node, Term):
        return not node.case_sensitive
    if isinstance(node, Field):
        return _anchors_suffice(node.child)
    if isinstance(node, Or):
        return all(_anchors_suffice(child) for child in node.children)
    return False


def _terms(scan: _Scan, rule: _Rule) -> list[str]:
    if not rule.planned:
        rule.plan()
    if rule.only_term is not None:
        return [rule.only_term]
    if rule.texts_of is not None:
        # One C-level intersection says which of the rule's terms occur; usually just one.
        hit = rule.term_prims & scan.prims_in(rule.term_fields)  # type: ignore[arg-type]
        if len(hit) == 1:
            return list(rule.texts_of[next(iter(hit))])
    out = []
    unions = scan._prim_unions
    for text, index, fields, case_prim in rule.terms:
        if case_prim is None:
            found = unions.get(fields)
            if found is None:
                found = scan.prims_in(fields)
            if index in found:
                out.append(text)
        elif any(scan.spans(case_prim, f) for f in fields if f in scan.pids):
            out.append(text)
    return out if rule.unique_terms else list(dict.fromkeys(out))


def _snippet(scan: _Scan, rule: _Rule, cache: dict[tuple[str, frozenset[int]], str]) -> str:
    if not rule.planned:
        rule.plan()
    for field, indexes in rule.snippet_plan:
        hit = indexes & scan.prims(field)  # usually one prim: the term that made the rule match
        if not hit:
            continue
        key = (field, hit)
        cached = cache.get(key)
        if cached is not None:
            return cached
        prims = scan.prim_list
        if len(hit) == 1:
            spans = scan.spans(prims[next(iter(hit))], field)
        else:
            spans = sorted(span for index in hit for span in scan.spans(prims[index], field))
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
