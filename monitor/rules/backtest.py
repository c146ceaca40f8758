"""`monitor rules backtest`: what the current rules.yaml would match in the stored history.

Runs the compiled rules over the stored items (read-only: nothing is written) and compares the
result with the matches stored by earlier runs, per dossier and rule: how many items match now
and before, which are gained and which are lost, with samples. That lets PA staff check a rule
change before the next run re-matches history with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..store import Store
from .engine import ENGINE_VERSION, matcher_for

__all__ = ["BacktestRow", "BacktestResult", "backtest", "format_backtest"]


@dataclass
class BacktestRow:
    """Counts for one dossier (rule None: items matching any of its rules) or one rule."""

    dossier: str
    rule: str | None
    now: set[str] = field(default_factory=set)
    before: set[str] = field(default_factory=set)
    removed: bool = False  # only in the stored matches: the rule (or dossier) is gone from rules.yaml

    @property
    def gained(self) -> list[str]:
        """Item ids matching now but not before, sorted."""
        return sorted(self.now - self.before)

    @property
    def lost(self) -> list[str]:
        """Item ids matching before but not now, sorted."""
        return sorted(self.before - self.now)

    @property
    def label(self) -> str:
        """dossier or dossier.rule."""
        return self.dossier if self.rule is None else f"{self.dossier}.{self.rule}"


@dataclass
class BacktestResult:
    """What `backtest` found; render it with `format_backtest`."""

    rules_version: str
    since: str | None
    dossier: str | None
    items: int
    rows: list[BacktestRow]
    titles: dict[str, str]
    stored_versions: dict[str, int]  # rules version of the stored matches -> items
    never_matched: int  # items no run has matched yet

    @property
    def changed(self) -> bool:
        """Whether anything would match differently."""
        return any(row.gained or row.lost for row in self.rows)


def backtest(store: Store, rules_config: Any, since: str | None = None, dossier: str | None = None) -> BacktestResult:
    """Match the stored items with the current rules and compare with the stored matches.

    `since` (an ISO date) keeps items published (or, without a date, first seen) on or after it;
    `dossier` limits everything to one dossier. Deleted items are left out. Nothing is written.
    """
    dossiers = [d for d in rules_config.dossiers.values() if dossier is None or d.id == dossier]
    matcher = matcher_for(dossiers)  # the run's own matcher when it tests every dossier
    where, params = None, None
    if since:
        where, params = "COALESCE(NULLIF(published_at, ''), first_seen) >= ?", [since]

    rows: dict[tuple[str, str | None], BacktestRow] = {}
    for d in dossiers:
        rows[(d.id, None)] = BacktestRow(d.id, None)
        for rule in d.rules:
            rows[(d.id, rule.name)] = BacktestRow(d.id, rule.name)

    titles: dict[str, str] = {}
    for item in store.iter_items(where=where, params=params):
        titles[item.id] = item.title
        for match in matcher.match(item):
            rows[(match.dossier, match.rule)].now.add(item.id)
            rows[(match.dossier, None)].now.add(item.id)

    for row in store.db.query("SELECT item_id, dossier, rule FROM matches ORDER BY dossier, rule, item_id"):
        if row["item_id"] not in titles or (dossier is not None and row["dossier"] != dossier):
            continue
        for key in ((row["dossier"], None), (row["dossier"], row["rule"])):
            if key not in rows:
                rows[key] = BacktestRow(key[0], key[1], removed=True)
            rows[key].before.add(row["item_id"])

    versions: Counter[str] = Counter()
    for row in store.db.query("SELECT item_id, rules_version FROM match_state"):
        if row["item_id"] in titles:
            versions[row["rules_version"]] += 1
    return BacktestResult(
        rules_version=f"{rules_config.version}/{ENGINE_VERSION}",
        since=since,
        dossier=dossier,
        items=len(titles),
        rows=_ordered(rows),
        titles=titles,
        stored_versions=dict(versions),
        never_matched=len(titles) - sum(versions.values()),
    )


def _ordered(rows: dict[tuple[str, str | None], BacktestRow]) -> list[BacktestRow]:
    # rules.yaml order (dict order), each dossier's total first, then its rules; removed ones last.
    by_dossier: dict[str, list[BacktestRow]] = defaultdict(list)
    for (dossier, rule), row in rows.items():
        if rule is None:
            by_dossier[dossier].insert(0, row)
        else:
            by_dossier[dossier].append(row)
    out: list[BacktestRow] = []
    for group in by_dossier.values():
        total, rest = group[0], group[1:]
        out.append(total)
        out += [r for r in rest if not r.removed] + [r for r in rest if r.removed]
    return out


def format_backtest(result: BacktestResult, samples: int = 5) -> str:
    """The backtest as plain text: a table per dossier and rule, then gained/lost items with samples."""
    scope = f"dossier {result.dossier}" if result.dossier else "all dossiers"
    window = f" published (or first seen) since {result.since}" if result.since else ""
    lines = [f"Backtest of rules version {result.rules_version} ({scope}) on {result.items} stored items{window}."]
    if result.stored_versions:
        versions = ", ".join(f"{version} ({count} items)" for version, count in sorted(result.stored_versions.items()))
        lines.append(f"Stored matches were made under rules version {versions}.")
    if result.never_matched:
        n = result.never_matched
        lines.append(f"{n} item{'s were' if n != 1 else ' was'} never matched yet (its 'before' is empty).")
    lines.append("Nothing is written; the next `monitor run` re-matches history with these rules.")
    lines.append("")
    width = max([len("dossier / rule")] + [len(_row_label(row)) for row in result.rows])
    lines.append(f"{'dossier / rule':<{width}}  {'now':>6}  {'before':>6}  {'gained':>6}  {'lost':>6}")
    for row in result.rows:
        lines.append(
            f"{_row_label(row):<{width}}  {len(row.now):>6}  {len(row.before):>6}  {_delta(len(row.gained), '+'):>6}  {_delta(len(row.lost), '-'):>6}"
        )
    changes = [row for row in result.rows if row.rule is not None and (row.gained or row.lost)]
    lines.append("")
    if not changes:
        lines.append("No differences with the stored matches.")
        return "\n".join(lines)
    for row in changes:
        for sign, ids, verb in (("+", row.gained, "gained"), ("-", row.lost, "lost")):
            if not ids:
                continue
            lines.append(f"{row.label} {verb} {len(ids)} item{'s' if len(ids) != 1 else ''}:")
            for item_id in ids[:samples]:
                lines.append(f"  {sign} {_title(result.titles.get(item_id))}  [{item_id}]")
            if len(ids) > samples:
                lines.append(f"    … and {len(ids) - samples} more")
    return "\n".join(lines)


def _row_label(row: BacktestRow) -> str:
    label = row.dossier if row.rule is None else f"  {row.rule}"
    return label + ("  (not in rules.yaml any more)" if row.removed else "")


def _delta(count: int, sign: str) -> str:
    return f"{sign}{count}" if count else "."


def _title(title: str | None) -> str:
    text = " ".join((title or "(no title)").split())
    return text if len(text) <= 80 else text[:79] + "…"
