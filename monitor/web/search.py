"""Zoeken: search the whole history with the rule language, fast.

A query is parsed by the rule parser (`monitor.rules.query`, so its errors are the same with the
same caret), turned into an SQLite FTS5 expression that finds a *superset* of the items that can
match (`fts_expression`), and every candidate is then checked by the real rule engine, which also
says why it matched (the terms and a snippet with the hits marked) — exactly as a dossier rule
would. Filters (dossier, source, kind, dates) narrow the candidates in SQL first.

The FTS expression must never miss an item the engine would match; where the engine is more
generous than FTS can express (a leading wildcard, NOT, the soort: and commissie: fields, which
the index does not hold) that part puts no limit on the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..config import DossierConfig, RuleConfig
from ..models import Item, Match
from ..rules.engine import compile_rules
from ..rules.query import And, Field, Near, Node, Not, Or, QueryError, Term, parse_query
from ..rules.text import join_variants, plural_forms
from ..store import Store, row_to_item

__all__ = ["Filters", "Hit", "SearchResult", "search", "fts_expression", "KINDS"]

KINDS = ("activiteit", "zaak", "document", "artikel")
LIMIT = 50
MAX_CANDIDATES = 20_000  # items the engine checks at most (a leading wildcard offers all of history)
_RULE = "zoekvraag"
_WHEN = "COALESCE(NULLIF(i.published_at, ''), i.first_seen)"


@dataclass
class Filters:
    """What the search is limited to (every field optional)."""

    dossier: str | None = None
    source: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Hit:
    """An item found, with why: the query's match (terms, snippet) and the dossiers it belongs to."""

    item: Item
    match: Match | None  # None when only filters were given
    dossiers: list[Match] = field(default_factory=list)  # the stored dossier matches

    @property
    def when(self) -> str | None:
        return self.item.published_at or None


@dataclass
class SearchResult:
    """The hits (newest first) and what the search looked at."""

    hits: list[Hit]
    candidates: int  # items the index (and the filters) offered
    more: bool  # there are more hits than shown
    error: QueryError | None = None
    truncated: bool = False  # only the newest MAX_CANDIDATES candidates were checked


def search(store: Store, query: str, filters: Filters, limit: int = LIMIT, max_candidates: int = MAX_CANDIDATES) -> SearchResult:
    """Run a search; a query the parser refuses comes back as `error` (with its position)."""
    query = query.strip()
    ast: Node | None = None
    if query:
        try:
            ast = parse_query(query)
        except QueryError as exc:
            return SearchResult([], 0, False, exc)
    clauses = ["i.deleted_at IS NULL"]
    params: list[Any] = []
    if filters.kind:
        clauses.append("i.kind = ?")
        params.append(filters.kind)
    if filters.source:
        clauses.append("i.source = ?")
        params.append(filters.source)
    if filters.date_from:
        clauses.append(f"{_WHEN} >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        clauses.append(f"{_WHEN} < ?")
        params.append((filters.date_to + timedelta(days=1)).isoformat())
    if filters.dossier:
        clauses.append("EXISTS (SELECT 1 FROM matches m WHERE m.item_id = i.id AND m.dossier = ?)")
        params.append(filters.dossier)
    expression = fts_expression(ast) if ast is not None else None
    sql = "SELECT i.* FROM items i"
    if expression is not None:
        sql += " JOIN items_fts f ON f.rowid = i.rowid"
        clauses.append("items_fts MATCH ?")
        params.append(expression)
    sql += " WHERE " + " AND ".join(clauses) + f" ORDER BY {_WHEN} DESC, i.id"
    matcher = compile_rules([_dossier(query, ast)]) if ast is not None else None
    hits: list[Hit] = []
    candidates = 0
    more = False
    truncated = False
    for row in store.db.query(sql, params):
        if candidates == max_candidates:
            truncated = True
            break
        candidates += 1
        item = row_to_item(row)
        match = None
        if matcher is not None:
            found = matcher.match(item)
            if not found:
                continue
            match = found[0]
        if len(hits) == limit:
            more = True
            break
        hits.append(Hit(item, match))
    stored = _stored_matches(store, [h.item.id for h in hits])
    for hit in hits:
        hit.dossiers = stored.get(hit.item.id, [])
    return SearchResult(hits, candidates, more, truncated=truncated)


def _dossier(query: str, ast: Node) -> DossierConfig:
    """The search as a one-rule dossier, so the engine matches (and explains) it like any rule."""
    return DossierConfig(id="zoeken", title="Zoeken", rules=[RuleConfig(_RULE, query, ast)])


def _stored_matches(store: Store, ids: list[str]) -> dict[str, list[Match]]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    out: dict[str, list[Match]] = {}
    import json

    for row in store.db.query(f"SELECT * FROM matches WHERE item_id IN ({marks}) ORDER BY dossier, rule", ids):
        out.setdefault(row["item_id"], []).append(
            Match(row["item_id"], row["dossier"], row["rule"], json.loads(row["terms"] or "[]"), row["snippet"] or "", row["priority"])
        )
    return out


# ---------------------------------------------------------------------------- the candidate query


def fts_expression(node: Node) -> str | None:
    """An FTS5 MATCH expression for a superset of what `node` matches; None: no limit possible."""
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, And):
        parts = [p for p in (fts_expression(c) for c in node.children) if p is not None]
        return " AND ".join(f"({p})" for p in parts) if parts else None
    if isinstance(node, Or):
        parts = [fts_expression(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        return " OR ".join(f"({p})" for p in parts)
    if isinstance(node, Near):
        return fts_expression(And((node.left, node.right)))
    if isinstance(node, Field):
        # titel: and tekst: are both in the index (a superset); soort: and commissie: are not.
        return fts_expression(node.child) if node.name in ("titel", "tekst") else None
    if isinstance(node, Not):
        return None  # the engine decides; excluding here could lose items
    return None


def _term(term: Term) -> str | None:
    if term.lead:
        return None  # FTS5 has no suffix search
    words = [w for w in term.folded if w]
    if not words:
        return None
    star = "*" if term.trail else ""
    alternatives: list[str] = []
    for variant in join_variants(words):
        alternatives.append(f'"{variant}"{star}')
    if len(words) == 1 and not term.trail:
        word = words[0]
        # Plural forms (some do not share the word's prefix: brief → brieven), and the word as a
        # prefix for the rest; the text may also write it hyphenated (re-integratie), which the
        # engine joins and the index splits.
        alternatives = [f'"{word}"*'] + [f'"{p}"' for p in plural_forms(word)]
        alternatives += [f'"{word[:i]} {word[i:]}"*' for i in range(1, len(word))]
    elif len(words) == 1:
        word = words[0]
        alternatives += [f'"{word[:i]} {word[i:]}"*' for i in range(1, len(word))]
    return " OR ".join(dict.fromkeys(alternatives))
