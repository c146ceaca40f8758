"""The rules editor: change a dossier's rules in the browser, check and backtest, then save.

The form holds the dossier's rules (name, query, priority; one empty row adds a rule, a tick
removes one) and its exclude. *Controleren* writes the change into rules.yaml's text with
ruamel.yaml's round trip (comments, quoting and layout of everything else stay as they were),
validates that text with the same reader as `monitor rules check` (so the errors name
rules.yaml:line and put a caret under the problem), and on success shows the backtest over the
stored history (what the change gains and loses per rule) and, when an item id is given, the
`rules test` explanation for that item. *Opslaan* is offered only for the text just checked:
it writes rules.yaml atomically (if nobody changed it meanwhile) and logs who, when and the diff.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..config import PRIORITIES, ConfigError, RulesConfig, parse_rules
from ..rules.backtest import BacktestResult, backtest
from ..rules.explain import explain
from ..timeutil import iso
from . import accounts
from .accounts import User
from .auth import page

MAX_RULES = 50


@dataclass
class RuleRow:
    """One row of the form."""

    name: str = ""
    query: str = ""
    priority: str = ""
    remove: bool = False
    index: int | None = None  # the rule's place in rules.yaml (None: a new rule); posted as regel-N-plek


@dataclass
class Outcome:
    """What checking a change found."""

    problems: list[str] = field(default_factory=list)
    text: str | None = None  # the new rules.yaml
    rules: RulesConfig | None = None
    backtest: BacktestResult | None = None
    explanation: str | None = None
    diff: str = ""


def _yaml() -> YAML:
    # The indentation and width rules.yaml is written in: an unchanged file dumps byte-identical.
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def fingerprint(text: str) -> str:
    """A short hash of a rules.yaml text (to notice a change made meanwhile, and what was checked)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def rows_of(rules: RulesConfig, dossier: str) -> list[RuleRow]:
    """The form's rows for a dossier as rules.yaml has it now."""
    return [RuleRow(r.name, r.query, r.priority or "", index=i) for i, r in enumerate(rules.dossiers[dossier].rules)]


def rows_from_form(form: dict[str, str]) -> list[RuleRow]:
    """The rows as posted (regel-0-naam, regel-0-query, regel-0-prioriteit, regel-0-weg …)."""
    rows = []
    for index in range(MAX_RULES + 1):
        prefix = f"regel-{index}-"
        if prefix + "naam" not in form and prefix + "query" not in form:
            continue
        place = form.get(prefix + "plek", "")
        rows.append(RuleRow(form.get(prefix + "naam", "").strip(), form.get(prefix + "query", "").strip(), form.get(prefix + "prioriteit", "").strip(),
                            form.get(prefix + "weg") == "ja", int(place) if place.isdigit() and int(place) < MAX_RULES else None))
    return rows


def apply(text: str, dossier: str, rows: list[RuleRow], exclude: str) -> str:
    """rules.yaml's text with this dossier's rules and exclude replaced, everything else as it was."""
    yaml = _yaml()
    data = yaml.load(text)
    node = data["dossiers"][dossier]
    # Row i of the form is rule i of the file: a renamed rule keeps its other keys (kinds, sources) and comments.
    existing = [r for r in node.get("rules") or []]
    new_rules = []
    used: set[int] = set()
    for row in rows:
        if row.remove or (not row.name and not row.query):
            continue
        known = row.index is not None and row.index < len(existing) and row.index not in used and hasattr(existing[row.index], "get")
        entry = existing[row.index] if known else None
        if known:
            used.add(row.index)  # a forged form naming one rule twice gets a new rule the second time
        if entry is None:
            entry = yaml.map()
        if entry.get("name") != row.name:
            entry["name"] = row.name
        if entry.get("query") != row.query:
            entry["query"] = row.query
        if row.priority and row.priority in PRIORITIES:
            entry["priority"] = row.priority
        elif "priority" in entry:
            del entry["priority"]
        new_rules.append(entry)
    rules = node.get("rules")
    if rules is not None and hasattr(rules, "clear"):
        rules.clear()  # keep the list object: its comments and position stay
        rules.extend(new_rules)
    else:
        node["rules"] = new_rules
    if exclude.strip():
        if node.get("exclude") != exclude.strip():
            node["exclude"] = exclude.strip()
    elif "exclude" in node:
        del node["exclude"]
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def check(store: Any, config: Any, dossier: str, rows: list[RuleRow], exclude: str, item_id: str) -> Outcome:
    """Apply the change to the text, validate it like `rules check`, backtest it and test an item."""
    path = Path(config.rules.path)
    original = path.read_text(encoding="utf-8")
    names = [r.name for r in rows if not r.remove and (r.name or r.query)]
    problems = []
    if any(not n for n in names):
        problems.append("Elke regel heeft een naam nodig (letters, cijfers, '-' of '_').")
    if not names:
        problems.append("Een dossier heeft minstens één regel nodig.")
    if problems:
        return Outcome(problems)
    try:
        text = apply(original, dossier, rows, exclude)
    except (YAMLError, KeyError, TypeError) as exc:
        return Outcome([f"{path}: kan het bestand niet bewerken: {exc}"])
    try:
        rules = parse_rules(text, path, {s.id for s in config.sources.sources})
    except ConfigError as exc:
        return Outcome([str(p) for p in exc.problems], text)
    diff = "".join(difflib.unified_diff(original.splitlines(True), text.splitlines(True), "rules.yaml (nu)", "rules.yaml (nieuw)"))
    outcome = Outcome([], text, rules, diff=diff)
    outcome.backtest = backtest(store, rules, dossier=dossier)
    if item_id:
        item = store.get_item(item_id)
        outcome.explanation = explain(rules, dossier, None, item) if item is not None else f"Er is geen opgeslagen item '{item_id}'."
    return outcome


def save(path: Path, text: str) -> None:
    """Write rules.yaml atomically (a reader sees the old or the new file, never half of one)."""
    fd, temporary = tempfile.mkstemp(prefix=".rules-", suffix=".yaml", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _recent_items(store: Any, dossier: str) -> list[tuple[str, str]]:
    rows = store.db.query(
        "SELECT i.id, i.title FROM matches m JOIN items i ON i.id = m.item_id WHERE m.dossier = ? AND i.deleted_at IS NULL"
        " GROUP BY i.id ORDER BY max(i.first_seen) DESC LIMIT 15",
        [dossier],
    )
    return [(r["id"], " ".join((r["title"] or r["id"]).split())[:90]) for r in rows]


@page("rules")
async def editor(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """GET: the form; POST: check (and, for a checked text, save)."""
    werkplek = request.app.state.werkplek
    dossier = request.path_params["dossier"]
    config = werkplek.config()
    if dossier not in config.rules.dossiers:
        raise HTTPException(404, f"Er is geen dossier '{dossier}'.")
    path = Path(config.rules.path)
    current_text = path.read_text(encoding="utf-8")
    context: dict[str, Any] = {
        "user": user, "csrf": csrf, "dossier": dossier, "title": config.rules.dossiers[dossier].title, "priorities": PRIORITIES,
        "outcome": None, "saved": request.query_params.get("opgeslagen") == "1", "item_id": "", "stale": False,
    }
    if form is None:
        rows = rows_of(config.rules, dossier)
        exclude = config.rules.dossiers[dossier].exclude or ""
        base = fingerprint(current_text)
        checked = ""
    else:
        rows = rows_from_form(form)[:MAX_RULES]
        exclude = form.get("exclude", "").strip()
        base = form.get("basis", "")
        item_id = form.get("item", "").strip()[:500]
        context["item_id"] = item_id

        def run() -> Outcome:
            with werkplek.store() as store:
                return check(store, config, dossier, rows, exclude, item_id)

        outcome = await run_in_threadpool(run)
        context["outcome"] = outcome
        checked = fingerprint(outcome.text) if outcome.text and not outcome.problems else ""
        stale = base != fingerprint(current_text)
        context["stale"] = stale
        if form.get("actie") == "opslaan" and checked and form.get("gecontroleerd") == checked and not stale:
            assert outcome.text is not None and outcome.rules is not None
            save(path, outcome.text)
            werkplek.forget_config()
            with werkplek.store() as store:
                accounts.log_rules_change(store.db, iso(werkplek.clock()) or "", user.name, dossier, config.rules.version, outcome.rules.version, outcome.diff)
            return RedirectResponse(f"/regels/{dossier}?opgeslagen=1", status_code=303)
        if stale:
            base = fingerprint(current_text)
    with werkplek.store() as store:
        context["recent"] = _recent_items(store, dossier)
        context["log"] = accounts.rules_log(store.db, dossier, limit=10)
    # Rows left empty are dropped; one empty row is always offered for a new rule.
    context.update(rows=[r for r in rows if r.name or r.query] + [RuleRow()], exclude=exclude, basis=base, checked=checked)
    # Errors come back as 200: htmx (hx-boost) swaps in only successful answers.
    return werkplek.render(request, "regels.html", context)
