"""`monitor rules test`: show for one dossier (or one rule) whether an item matches, and why (not).

The verdict, terms and snippet come from the real engine (what a run would record); the *why not*
comes from the reference evaluator, which keeps every intermediate result. If the two ever
disagree the output says so, because that is a bug worth reporting.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import Item
from .engine import compile_rules
from .evaluate import Trace, analyse_item, surfaces, trace
from .query import DEFAULT_FIELDS, And, Field, Near, Not, Or, Term, describe_forms

__all__ = ["explain"]

_LOWER_OPERATOR = re.compile(r"(?<![\w\"'])(and|or|not|near)(?![\w\"'])")


def explain(rules_config: Any, dossier_id: str, rule_name: str | None, item: Item) -> str:
    """Plain text for a terminal: per rule MATCH or no match, the terms and snippet, and why not.

    `rules_config` is a config.RulesConfig; `rule_name` None means every rule of the dossier.
    """
    dossier = rules_config.dossiers[dossier_id]
    rules = [r for r in dossier.rules if rule_name is None or r.name == rule_name]
    matcher = compile_rules([_only(dossier, rules)])
    found = {m.rule: m for m in matcher.match(item)}
    analysed = analyse_item(item.fields())

    lines = [f"Dossier {dossier.id} ({dossier.title}) — item {item.id} ({item.kind}, source {item.source})"]
    if item.title:
        lines.append(f"  title: {_short(item.title, 100)}")
    if not item.title and not item.text:
        lines.append("  (the item has no title and no text)")
    vetoed = False
    if dossier.exclude_ast is not None:
        result = trace(dossier.exclude_ast, analysed)
        vetoed = result.ok
        lines.append("")
        if vetoed:
            lines.append(f"exclude: {dossier.exclude}")
            lines.append(f"  FOUND {_found_list(result, analysed)} — this vetoes every rule of the dossier for this item")
        else:
            lines.append(f"exclude: {dossier.exclude} — not found, vetoes nothing")

    for rule in rules:
        lines.append("")
        match = found.get(rule.name)
        lines += _explain_rule(rule, dossier, item, analysed, match, vetoed)
    return "\n".join(lines)


def _only(dossier: Any, rules: list[Any]) -> Any:
    from dataclasses import replace

    return replace(dossier, rules=rules)


def _explain_rule(rule: Any, dossier: Any, item: Item, analysed: dict[str, Any], match: Any, vetoed: bool) -> list[str]:
    name = f"{dossier.id}.{rule.name}"
    priority = f"  (priority {rule.priority})" if rule.priority else ""
    head = [f"{'MATCH' if match else 'no match':<9} {name}{priority}", f"  query:   {rule.query}"]
    notes = _operator_notes(rule.query)
    if rule.kinds and item.kind not in rule.kinds:
        return head + [f"  why not: this rule only looks at {_join(rule.kinds)}; this item is a(n) {item.kind}"] + notes
    if rule.sources and item.source not in rule.sources:
        return head + [f"  why not: this rule only looks at sources {_join(rule.sources)}; this item comes from {item.source}"] + notes
    result = trace(rule.ast, analysed)
    lines = list(head)
    if match is not None:
        lines.append(f"  terms:   {', '.join(match.terms)}")
        for term_result in _positive_terms(result):
            if term_result.ok:
                where = ", ".join(term_result.spans)
                lines.append(f"           {term_result.node.text} → {_quoted(surfaces(term_result, analysed))} (in {where})")
        lines.append(f"  snippet: {match.snippet}")
    elif result.ok and vetoed:
        lines.append("  why not: the query matches, but the dossier's exclude vetoes it (see above)")
    elif result.ok:  # pragma: no cover - would be an engine bug
        lines.append("  WARNING: the reference evaluator says this rule matches but the engine did not; please report this")
    else:
        reasons = _why_not(result, analysed, DEFAULT_FIELDS)
        lines.append("  why not: " + reasons[0])
        lines += ["           " + reason for reason in reasons[1:]]
    if match is not None and not result.ok:  # pragma: no cover - would be an engine bug
        lines.append("  WARNING: the engine matched but the reference evaluator does not; please report this")
    return lines + notes


def lowercase_operators(query: str) -> list[str]:
    """The lower-case and/or/not/near words in a query outside phrases: searched as words, likely meant as operators."""
    return sorted(set(_LOWER_OPERATOR.findall(_strip_phrases(query))))


def _operator_notes(query: str) -> list[str]:
    words = lowercase_operators(query)
    if not words:
        return []
    listed = ", ".join(f"'{w}'" for w in words)
    upper = ", ".join(w.upper() for w in words)
    return [f"  note:    {listed} is searched as a word; operators are written in capitals ({upper})"]


def _strip_phrases(query: str) -> str:
    return re.sub(r"[\"“”„][^\"“”„]*[\"“”„]", " ", query)


def _positive_terms(result: Trace, negated: bool = False) -> list[Trace]:
    if isinstance(result.node, Term):
        return [] if negated else [result]
    inner_negated = not negated if isinstance(result.node, Not) else negated
    return [t for child in result.children for t in _positive_terms(child, inner_negated)]


def _why_not(result: Trace, analysed: dict[str, Any], scope: tuple[str, ...]) -> list[str]:
    """Reasons a failed node did not match, one per line."""
    node = result.node
    if isinstance(node, Term):
        return [_term_missing(node, result, scope)]
    if isinstance(node, Field):
        return _why_not(result.children[0], analysed, (node.name,))
    if isinstance(node, Not):
        inner = result.children[0]
        return [f"NOT {node.child} — but it is there: {_found_list(inner, analysed)}"]
    if isinstance(node, Or):
        if all(isinstance(c.node, Term) for c in result.children):
            out = [f"none of these found in {_fields(scope)}: {', '.join(c.node.text for c in result.children)}"]
            return out + [_case_note(c.node) for c in result.children if c.case_miss]
        out = ["none of the alternatives (OR) matched:"]
        for child in result.children:
            out += ["  - " + line for line in _why_not(child, analysed, scope)]
        return out
    if isinstance(node, And):
        out: list[str] = []
        for child in result.children:
            if not child.ok:
                out += _why_not(child, analysed, scope)
        return out
    assert isinstance(node, Near)
    left, right = result.children
    if not left.ok or not right.ok:
        out = []
        for side in (left, right):
            if not side.ok:
                out += _why_not(side, analysed, scope)
        return [f"{node}: needs both sides, but"] + ["  " + line for line in out]
    if result.closest is None:
        return [f"{node}: both sides occur, but never in the same field"]
    return [
        f"{node}: {_found_list(left, analysed)} and {_found_list(right, analysed)} occur, "
        f"but never within {node.distance} words (closest: {result.closest} words in between)"
    ]


def _term_missing(term: Term, result: Trace, scope: tuple[str, ...]) -> str:
    text = f"{term.text} not found in {_fields(scope)}"
    forms = describe_forms(term)
    if len(forms) > 1:
        shown = ", ".join(forms[:6]) + (", …" if len(forms) > 6 else "")
        text += f" (looked for: {shown})"
    if result.case_miss:
        text += " — " + _case_note(term)
    return text


def _case_note(term: Term) -> str:
    word = term.words[0]
    return f"{term.text} is written in capitals, so only '{word}' counts and the text has it in other capitals (write {word.capitalize()} to ignore case)"


def _found_list(result: Trace, analysed: dict[str, Any]) -> str:
    hits = [t for t in _positive_terms(result) if t.ok]
    if not hits:
        return str(result.node)
    return ", ".join(f"{t.node.text} ({_quoted(surfaces(t, analysed))})" for t in hits)


def _quoted(values: list[str], limit: int = 3) -> str:
    shown = ", ".join(f'"{v}"' for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _fields(scope: tuple[str, ...]) -> str:
    return " or ".join(scope)


def _join(values: list[str]) -> str:
    return ", ".join(values)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
