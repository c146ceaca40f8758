"""The `monitor` command. Thin: parse arguments, call the stages, print.

Exit codes: 0 success; 1 a runtime failure (e.g. the digest could not be sent); 2 a usage or
configuration error (nothing was written to the database).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config, ConfigError, load_config
from .store import Store
from .timeutil import BadTime, format_nl, now as current_time, parse_instant

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Watches the Tweede Kamer and the vakpers for your dossiers and tells you when to act.

Configuration lives in two files in the current directory (or --config DIR):
  sources.yaml   what to fetch: the Kamer open data and RSS/Atom feeds
  rules.yaml     your dossiers and the rules that decide what belongs to them
"""

EPILOG = """\
examples:
  monitor run                         fetch everything, print the report for the next 14 days
  monitor run --week 2026-W50         the report for one key week
  monitor run --no-fetch --format html --output rapport.html
  monitor sources                     which sources work, and when they last did
  monitor rules check                 validate rules.yaml (exit 2 with file:line on errors)
  monitor rules test jeugd --text "Tekorten in de jeugdzorg lopen op"

Run `monitor COMMAND --help` for the options of a command.
"""


class UsageError(Exception):
    """A bad argument value: printed without a traceback, exit code 2."""


# ---------------------------------------------------------------------------- helpers


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # The common options work before and after the command (`monitor --now X run` and
    # `monitor run --now X`); SUPPRESS keeps the sub-parser from overwriting the top-level value.
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("common options")
    group.add_argument("--config", metavar="DIR", default=default, help="directory with sources.yaml and rules.yaml (default: current directory)")
    group.add_argument("--db", metavar="PATH", default=default, help="database file (default: $MONITOR_DB or monitor.db in the config directory)")
    group.add_argument("--now", metavar="ISO", default=default, help="evaluate as if it were this moment, e.g. 2026-12-01T08:00 (default: $MONITOR_NOW or the clock)")
    group.add_argument("-v", "--verbose", action="store_true", default=default, help="log what happens (to stderr)")
    group.add_argument("-q", "--quiet", action="store_true", default=default, help="no progress messages")


def _config_dir(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "config", None) or ".")


def _load(args: argparse.Namespace) -> Config:
    return load_config(_config_dir(args))


def _db_path(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None):
        return Path(args.db)
    if os.environ.get("MONITOR_DB"):
        return Path(os.environ["MONITOR_DB"])
    return _config_dir(args) / "monitor.db"


def _open_store(args: argparse.Namespace) -> Store:
    return Store(_db_path(args))


def _now(args: argparse.Namespace):  # noqa: ANN202 - datetime
    try:
        return current_time(getattr(args, "now", None))
    except BadTime as exc:
        raise UsageError(f"--now: {exc}") from None


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    if getattr(args, "quiet", False):
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)


def _write_output(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _parse_day(value: str, option: str) -> date:
    try:
        return parse_instant(value).date()
    except BadTime as exc:
        raise UsageError(f"{option}: {exc}") from None


# ---------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    """Fetch, match and report."""
    from .pipeline import AGENDA_DAYS, Window, run
    from .report import render

    config = _load(args)
    now = _now(args)
    try:
        if args.week:
            if args.date_to:
                raise UsageError("--to goes with --from, not with --week")
            window = Window.iso_week(args.week, now)
        elif args.date_from or args.date_to:
            start = _parse_day(args.date_from, "--from") if args.date_from else now.date()
            end = _parse_day(args.date_to, "--to") if args.date_to else start + timedelta(days=AGENDA_DAYS)
            window = Window.between(start, end, now)
        else:
            window = Window.default(now)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    only = args.source or None
    if only:
        known = {s.id for s in config.sources.sources}
        unknown = [s for s in only if s not in known]
        if unknown:
            raise UsageError(f"--source: unknown source {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    store = _open_store(args)
    try:
        with _write_lock(args):
            report = run(config, store, now, window, fetch=not args.no_fetch, only=only, progress=_progress(args))
        _write_output(render(report, args.format), args.output)
    finally:
        store.close()
    return EXIT_OK


def _write_lock(args: argparse.Namespace):  # noqa: ANN202 - a context manager
    """The lock that keeps a manual run and the scheduler from writing at the same time."""
    try:
        from .scheduler import write_lock
    except ImportError:
        from contextlib import nullcontext

        return nullcontext()
    return write_lock(_db_path(args))


def cmd_sources(args: argparse.Namespace) -> int:
    """List the configured sources with their health."""
    config = _load(args)
    store = _open_store(args)
    try:
        rows = []
        for source in config.sources.sources:
            health = store.health(source.id, source.kind, source.label)
            if not source.enabled:
                status = "uit"
            elif not health.last_attempt:
                status = "nog niet opgehaald"
            elif health.ok:
                status = f"ok, laatst {format_nl(health.last_success)}"
            else:
                status = f"MISLUKT {health.consecutive_failures}×: {health.last_error}"
            every = f"{source.every // 60}m" if source.every % 3600 else f"{source.every // 3600}h"
            rows.append((source.id, source.kind, source.label or "", every, status, source.url))
        widths = [max(len(str(r[i])) for r in rows + [("id", "kind", "label", "every", "status", "url")]) for i in range(5)]
        header = ("id", "kind", "label", "every", "status")
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  url")
        for row in rows:
            print("  ".join(str(v).ljust(w) for v, w in zip(row[:5], widths)) + f"  {row[5]}")
    finally:
        store.close()
    return EXIT_OK


def cmd_rules_check(args: argparse.Namespace) -> int:
    """Validate rules.yaml (and sources.yaml, which rules may refer to)."""
    config = _load(args)
    rules = config.rules
    count = sum(len(d.rules) for d in rules.dossiers.values())
    print(f"{rules.path}: OK — {len(rules.dossiers)} dossiers, {count} rules (version {rules.version})")
    for dossier in rules.dossiers.values():
        names = ", ".join(r.name for r in dossier.rules)
        extra = f"; exclude: {dossier.exclude}" if dossier.exclude else ""
        print(f"  {dossier.id}: {dossier.title} — rules: {names}{extra}")
    return EXIT_OK


def cmd_rules_test(args: argparse.Namespace) -> int:
    """Show which rules match a text or a stored item, and why (not)."""
    from .models import Item
    from .rules.explain import explain

    config = _load(args)
    dossier_id, _, rule_name = args.target.partition(".")
    dossier = config.rules.dossiers.get(dossier_id)
    if dossier is None:
        raise UsageError(f"no dossier '{dossier_id}' in {config.rules.path}; dossiers: {', '.join(config.rules.dossiers)}")
    if rule_name and rule_name not in {r.name for r in dossier.rules}:
        raise UsageError(f"dossier '{dossier_id}' has no rule '{rule_name}'; rules: {', '.join(r.name for r in dossier.rules)}")
    if args.item:
        store = _open_store(args)
        try:
            item = store.get_item(args.item)
        finally:
            store.close()
        if item is None:
            raise UsageError(f"no stored item with id '{args.item}' (ids look like source:external_id; see `monitor run --format json`)")
    elif args.text is not None:
        item = Item(source="test", external_id="tekst", kind=args.kind, title=args.title or "", text=args.text)
    else:
        raise UsageError("give --text \"...\" or --item ID")
    print(explain(config.rules, dossier_id, rule_name or None, item))
    return EXIT_OK


def cmd_rules_backtest(args: argparse.Namespace) -> int:
    """Run the current rules over stored history and compare with what matched before."""
    from .rules.backtest import backtest, format_backtest

    config = _load(args)
    if args.dossier and args.dossier not in config.rules.dossiers:
        raise UsageError(f"no dossier '{args.dossier}' in {config.rules.path}")
    since = _parse_day(args.since, "--since").isoformat() if args.since else None
    store = _open_store(args)
    try:
        result = backtest(store, config.rules, since=since, dossier=args.dossier)
        print(format_backtest(result, samples=args.samples))
    finally:
        store.close()
    return EXIT_OK


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and for generating docs)."""
    parser = argparse.ArgumentParser(
        prog="monitor",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    _common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="fetch all sources, match, and print the report",
        description="Fetch every source (concurrently), store what is new or changed, match it to your dossiers and print a Dutch report: moments needing action, the agenda, per dossier the new Kamer items and press, and source health.",
        epilog="""\
window:
  default      agenda from today to 14 days ahead; news of the last 7 days
  --week W     agenda in ISO week W (Monday-Sunday); news of the 7 days up to its end
  --from/--to  agenda between two dates (inclusive)

examples:
  monitor run
  monitor run --week 2026-W50 --format markdown --output week50.md
  monitor run --no-fetch --format json | jq '.items[].title'
  monitor run --now 2026-12-01T08:00 --no-fetch      # the report as it was on 1 December
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    window = run.add_mutually_exclusive_group()
    window.add_argument("--week", metavar="YYYY-Www", help="report on one ISO week, e.g. 2026-W50")
    window.add_argument("--from", dest="date_from", metavar="DATE", help="start of the window (YYYY-MM-DD)")
    run.add_argument("--to", dest="date_to", metavar="DATE", help="end of the window (YYYY-MM-DD, inclusive)")
    run.add_argument("--no-fetch", action="store_true", help="do not fetch; re-match and report what is stored")
    run.add_argument("--source", action="append", metavar="ID", help="fetch only this source (repeatable)")
    run.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text", help="output format (default: text)")
    run.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    _common(run, suppress=True)
    run.set_defaults(func=cmd_run)

    sources = commands.add_parser("sources", help="list sources and their health", description="List the sources of sources.yaml with their fetch health: last success, last error, consecutive failures.")
    _common(sources, suppress=True)
    sources.set_defaults(func=cmd_sources)

    rules = commands.add_parser("rules", help="check, test and backtest rules.yaml", description="Work on rules.yaml: validate it, test a rule on a text, or see what a change would have matched in the stored history.")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    check = rules_commands.add_parser("check", help="validate rules.yaml and sources.yaml", description="Validate rules.yaml (and sources.yaml). Errors name file:line, the dossier, the rule, and show the query with a caret under the problem. Exit code 2 on errors.")
    _common(check, suppress=True)
    check.set_defaults(func=cmd_rules_check)
    test = rules_commands.add_parser(
        "test",
        help="show what matches a text or stored item, and why (not)",
        description="Show, for one dossier (or one rule of it), whether a text or a stored item matches, which terms hit, and why a rule did not match.",
        epilog='examples:\n  monitor rules test jeugd --text "Tekorten in de jeugdzorg lopen op"\n  monitor rules test jeugd.geld --item "binnenlands-bestuur:https://..."\n',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("target", metavar="DOSSIER[.RULE]", help="a dossier id, or dossier.rule")
    source = test.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to test (treated as an article's body)")
    source.add_argument("--item", metavar="ID", help="a stored item id (source:external_id)")
    test.add_argument("--title", help="a title to go with --text")
    test.add_argument("--kind", default="artikel", choices=("artikel", "activiteit", "zaak", "document"), help="item kind for --text (default: artikel)")
    _common(test, suppress=True)
    test.set_defaults(func=cmd_rules_test)
    backtest = rules_commands.add_parser(
        "backtest",
        help="what the current rules would match in stored history",
        description="Run the current rules.yaml over the stored items and compare with the matches stored under the previous rules: counts per dossier and rule, what is gained and lost, with samples. Nothing is written.",
        epilog="examples:\n  monitor rules backtest\n  monitor rules backtest --since 2026-10-01 jeugd\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backtest.add_argument("dossier", nargs="?", help="only this dossier")
    backtest.add_argument("--since", metavar="DATE", help="only items first seen or published since DATE")
    backtest.add_argument("--samples", type=int, default=5, metavar="N", help="samples to show per group (default 5)")
    _common(backtest, suppress=True)
    backtest.set_defaults(func=cmd_rules_backtest)
    rules.set_defaults(func=lambda args: (rules.print_help(), EXIT_USAGE)[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `monitor` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.INFO if getattr(args, "verbose", False) else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"monitor: configuration error{'s' if len(exc.problems) > 1 else ''}:", file=sys.stderr)
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("monitor: interrupted; what was stored so far is kept", file=sys.stderr)
        return 130
