"""The reference evaluator: the rule language's meaning, written as plainly as possible.

It walks the query tree and compares words one by one, with none of the engine's machinery
(no automaton, no candidate index, no pattern sets). That makes it slow and easy to check by
reading, which is what it is for: `explain` uses it to say *why* a rule (did not) match, and the
tests check that the fast engine agrees with it on random queries and texts.

Term semantics (on the words of `text.analyse`, lower case, accents folded):

- the words of a term may be written apart or glued (join_variants): "sociaal domein" also
  matches the single word "sociaaldomein"; a hyphenated word in the text counts both as its
  parts and glued, so "sociaal-domein" matches `sociaal domein` and `sociaaldomein`;
- a plain single word also matches its plural forms (text.plural_forms);
- `*` before the first word: that word may be the end of a longer word; `*` after the last
  word: it may be the start of one; both on one word: anywhere inside a word;
- a short word in capitals (BUIG) must also match in capitals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from .query import DEFAULT_FIELDS, SNIPPET_FIELDS, And, Field, Near, Node, Not, Or, Term
from .text import Analysed, analyse, plural_forms, snippet

__all__ = ["Trace", "term_spans", "evaluate", "trace", "rule_matches", "analyse_item", "describe"]

Span = tuple[int, int]


def analyse_item(fields: dict[str, str]) -> dict[str, Analysed]:
    """Analyse every non-empty field of an item."""
    return {name: analyse(value) for name, value in fields.items() if value}


def _groupings(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    # Each gap between two words is either kept or glued shut.
    if len(words) == 1:
        return [words]
    if len(words) > 6:
        return [words, ("".join(words),)]
    out = []
    for glue in product((False, True), repeat=len(words) - 1):
        groups = [words[0]]
        for word, shut in zip(words[1:], glue):
            if shut:
                groups[-1] += word
            else:
                groups.append(word)
        out.append(tuple(groups))
    return out


def _fits(word: str, group: str, lead: bool, trail: bool) -> bool:
    if lead and trail:
        return group in word
    if lead:
        return word.endswith(group)
    if trail:
        return word.startswith(group)
    return word == group


def term_spans(term: Term, analysed: Analysed) -> list[Span]:
    """Where `term` occurs: sorted (first word, last word) ranges."""
    words = analysed.words()
    cased = analysed.words(cased=True)
    joined = analysed.joined()
    joined_cased = analysed.joined(cased=True)
    groupings = _groupings(term.folded)
    if term.plurals:
        groupings += [(form,) for form in plural_forms(term.folded[0])]
    case = term.words[0] if term.case_sensitive else None
    found: set[Span] = set()
    for groups in groupings:
        size = len(groups)
        last = size - 1
        for start in range(len(words) - last):
            if all(_fits(words[start + j], groups[j], term.lead and j == 0, term.trail and j == last) for j in range(size)):
                if case is None or cased[start] == case:
                    found.add((start, start + last))
        if size == 1:
            for (word, a, b), (word_cased, _, _) in zip(joined, joined_cased):
                if _fits(word, groups[0], term.lead, term.trail) and (case is None or word_cased == case):
                    found.add((a, b))
    return sorted(found)


def _near(a: list[Span], b: list[Span], distance: int) -> int | None:
    """The fewest words between a span of `a` and one of `b` (negative when they overlap)."""
    best = None
    for a1, a2 in a:
        for b1, b2 in b:
            gap = max(b1 - a2, a1 - b2) - 1
            best = gap if best is None else min(best, gap)
    return best


@dataclass
class Trace:
    """How one node of a query fared on an item (a tree like the query)."""

    node: Node
    ok: bool
    children: list[Trace] = field(default_factory=list)
    # Terms: field -> spans found; NEAR: the closest distance seen (words in between).
    spans: dict[str, list[Span]] = field(default_factory=dict)
    closest: int | None = None
    case_miss: bool = False  # a case-sensitive term that occurs in other capitalisation


def trace(node: Node, analysed: dict[str, Analysed], scope: tuple[str, ...] = DEFAULT_FIELDS) -> Trace:
    """Evaluate `node` on an analysed item, keeping every intermediate result."""
    if isinstance(node, Term):
        spans = {f: s for f in scope if f in analysed and (s := term_spans(node, analysed[f]))}
        result = Trace(node, bool(spans), spans=spans)
        if not spans and node.case_sensitive:
            loose = Term(node.text, (node.words[0].lower(),), exact=True)
            result.case_miss = any(term_spans(loose, analysed[f]) for f in scope if f in analysed)
        return result
    if isinstance(node, Field):
        inner = trace(node.child, analysed, (node.name,))
        return Trace(node, inner.ok, [inner])
    if isinstance(node, Not):
        inner = trace(node.child, analysed, scope)
        return Trace(node, not inner.ok, [inner])
    if isinstance(node, And):
        children = [trace(c, analysed, scope) for c in node.children]
        return Trace(node, all(c.ok for c in children), children)
    if isinstance(node, Or):
        children = [trace(c, analysed, scope) for c in node.children]
        return Trace(node, any(c.ok for c in children), children)
    assert isinstance(node, Near)
    left = trace(node.left, analysed, scope)
    right = trace(node.right, analysed, scope)
    closest = None
    for f in scope:
        a = _collect(left, f)
        b = _collect(right, f)
        if a and b:
            gap = _near(a, b, node.distance)
            if gap is not None and (closest is None or gap < closest):
                closest = gap
    return Trace(node, closest is not None and closest <= node.distance, [left, right], closest=closest)


def _collect(result: Trace, field_name: str) -> list[Span]:
    if isinstance(result.node, Term):
        return result.spans.get(field_name, [])
    return [span for child in result.children for span in _collect(child, field_name)]


def evaluate(node: Node, analysed: dict[str, Analysed], scope: tuple[str, ...] = DEFAULT_FIELDS) -> bool:
    """Whether `node` matches the analysed item."""
    return trace(node, analysed, scope).ok


def rule_matches(rule: Any, dossier: Any, item: Any, analysed: dict[str, Analysed] | None = None) -> bool:
    """Whether a rule (config.RuleConfig) of a dossier matches an item, filters and exclude included."""
    if rule.kinds and item.kind not in rule.kinds:
        return False
    if rule.sources and item.source not in rule.sources:
        return False
    analysed = analysed if analysed is not None else analyse_item(item.fields())
    if not evaluate(rule.ast, analysed):
        return False
    return dossier.exclude_ast is None or not evaluate(dossier.exclude_ast, analysed)


def describe(node: Node, analysed: dict[str, Analysed]) -> tuple[list[str], str]:
    """What a match of `node` shows: its terms and its snippet (for an item it matches).

    - terms: the query's positive terms (not under a NOT), as written, in query order, without
      repeats, that occur in one of the fields they search;
    - snippet: in the first of SNIPPET_FIELDS where any positive term occurs, the text around the
      first occurrence with every occurrence of a positive term in that field marked «like this»
      (text.snippet); "" if none occurs (cannot happen for a match).
    """
    positive = _positive_terms(node, DEFAULT_FIELDS, False)
    found = {(term, name): term_spans(term, analysed[name]) for term, scope in positive for name in scope if name in analysed}
    terms = [term.text for term, scope in positive if any(found.get((term, name)) for name in scope)]
    for name in SNIPPET_FIELDS:
        spans = sorted({span for term, scope in positive if name in scope for span in found.get((term, name), ())})
        if spans:
            return list(dict.fromkeys(terms)), snippet(analysed[name], spans)
    return list(dict.fromkeys(terms)), ""


def _positive_terms(node: Node, scope: tuple[str, ...], negated: bool) -> list[tuple[Term, tuple[str, ...]]]:
    if isinstance(node, Term):
        return [] if negated else [(node, scope)]
    if isinstance(node, Field):
        return _positive_terms(node.child, (node.name,), negated)
    if isinstance(node, Not):
        return _positive_terms(node.child, scope, not negated)
    children = node.children if isinstance(node, (And, Or)) else (node.left, node.right)
    return [found for child in children for found in _positive_terms(child, scope, negated)]


def surfaces(result: Trace, analysed: dict[str, Analysed]) -> list[str]:
    """The text as it stands in the item for each place a term was found (distinct, in order)."""
    out: list[str] = []
    for field_name, spans in result.spans.items():
        for first, last in spans:
            start, end = analysed[field_name].char_span(first, last)
            out.append(" ".join(analysed[field_name].text[start:end].split()))
    return list(dict.fromkeys(out))


def terms_in(results: Iterable[Trace]) -> list[Trace]:
    """Every Term result under the given results, depth first."""
    out: list[Trace] = []
    for result in results:
        if isinstance(result.node, Term):
            out.append(result)
        out += terms_in(result.children)
    return out
