"""The `monitor` command. Thin: parse arguments, call the stages, print.

Exit codes: 0 success; 1 a runtime failure (e.g. the digest could not be sent); 2 a usage or
configuration error (nothing was written to the database); 3 sources failed: every source in
`monitor run`, or any failing or stale source in `monitor sources --check`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sqlite3
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config, ConfigError, load_config
from .store import DatabaseError, Store
from .timeutil import BadTime, format_nl, now as current_time, parse_instant

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_SOURCES = 0, 1, 2, 3

DESCRIPTION = """\
Watches the Tweede Kamer and the vakpers for your dossiers and tells you when to act.

Configuration lives in two files in the current directory (or --config DIR, or $MONITOR_CONFIG):
  sources.yaml   what to fetch: the Kamer open data and RSS/Atom feeds
  rules.yaml     your dossiers and the rules that decide what belongs to them
`monitor init DIR` writes starter versions; `monitor demo` shows it all working offline.
"""

EPILOG = """\
examples:
  monitor demo --output demo          see it work offline on a bundled fortnight (no setup)
  monitor init ~/pa-monitor           write a starter sources.yaml and rules.yaml
  monitor run                         fetch everything, print the report for the next 14 days
  monitor run --week 2026-W50         the report for one key week
  monitor run --no-fetch --format html --output rapport.html
  monitor sources                     which sources work, and when they last did
  monitor rules check                 validate rules.yaml (exit 2 with file:line on errors)
  monitor rules test jeugd --text "Tekorten in de jeugdzorg lopen op"
  monitor woordvoerders jeugd         whom to brief on a dossier, and why
  monitor digest --send               send today's digest by email
  monitor calendar -o kalender.ics    the lobbykalender for Outlook
  monitor export -o memo.docx         this week's Lobbymemo in Word (.xlsx, .csv: the sheets)
  monitor feed jeugd -o jeugd.atom    an Atom feed of a dossier for a feed reader
  monitor schedule                    run unattended (fetch, digest on working days)
  monitor web                         the werkplek in a browser (after monitor users add NAME --role ...)

Run `monitor COMMAND --help` for the options of a command.
"""


class UsageError(Exception):
    """A bad argument value: printed without a traceback, exit code 2."""


class RuntimeFailure(Exception):
    """The command could not do its work (mail server down, database busy): exit code 1."""


MANUAL_LOCK_WAIT = 5 * 60  # seconds a manual command waits for a scheduled job to finish


# ---------------------------------------------------------------------------- helpers


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # The common options work before and after the command (`monitor --now X run` and
    # `monitor run --now X`); SUPPRESS keeps the sub-parser from overwriting the top-level value.
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("common options")
    group.add_argument("--config", metavar="DIR", default=default, help="directory with sources.yaml and rules.yaml (default: $MONITOR_CONFIG or the current directory)")
    group.add_argument("--db", metavar="PATH", default=default, help="database file (default: $MONITOR_DB or monitor.db in the config directory)")
    group.add_argument("--now", metavar="ISO", default=default, help="evaluate as if it were this moment, e.g. 2026-12-01T08:00 (default: $MONITOR_NOW or the clock)")
    group.add_argument("-v", "--verbose", action="store_true", default=default, help="log what happens (to stderr)")
    group.add_argument("-q", "--quiet", action="store_true", default=default, help="no progress messages")


def _config_dir(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "config", None) or os.environ.get("MONITOR_CONFIG") or ".")


def _load(args: argparse.Namespace) -> Config:
    return load_config(_config_dir(args))


def _db_path(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None):
        return Path(args.db)
    if os.environ.get("MONITOR_DB"):
        return Path(os.environ["MONITOR_DB"])
    return _config_dir(args) / "monitor.db"


def _open_store(args: argparse.Namespace) -> Store:
    path = _db_path(args)
    problem = _db_problem(path)
    if problem:
        raise UsageError(problem)
    try:
        return Store(path)
    except DatabaseError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except sqlite3.DatabaseError as exc:  # corrupt beyond the header check
        raise UsageError(f"{path} cannot be read as a monitor database ({exc}); point --db at the right file") from None


def _db_problem(path: Path) -> str | None:
    """Why `path` cannot be the database, checked before anything is created there (None: fine)."""
    if path.is_dir():
        return f"{path} is a folder; --db takes a database file, e.g. {path / 'monitor.db'}"
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist; create it first or choose another --db"
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return f"{path} is not a database (not SQLite); point --db at monitor's database file, or a new name to start one"
    return None


def _now(args: argparse.Namespace) -> datetime:
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
    from .pipeline import Scope, run
    from .report import render

    if args.json_schema:
        from .render.as_json import SCHEMA_PATH

        sys.stdout.write(SCHEMA_PATH.read_text(encoding="utf-8"))
        return EXIT_OK
    config = _load(args)
    now = _now(args)
    try:
        if args.week:
            if args.date_to:
                raise UsageError("--to goes with --from, not with --week")
            scope = Scope.iso_week(args.week, now)
        elif args.date_from or args.date_to:
            start = _parse_day(args.date_from, "--from") if args.date_from else now.date()
            end = _parse_day(args.date_to, "--to") if args.date_to else start + timedelta(days=14)
            scope = Scope.between(start, end, now)
        else:
            scope = Scope.default(now)
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
        if args.no_fetch:
            result = run(config, store, now, scope, fetch=False)
        else:
            with _write_lock(args, "monitor run"):
                result = run(config, store, now, scope, only=only, progress=_progress(args))
        _write_output(render(result.briefing, args.format), args.output)
    finally:
        store.close()
    if result.offline:
        # One dead feed is the feed's problem; all of them unreachable is ours.
        print(
            "note: no source could be reached: is this machine online? (a proxy is taken from HTTPS_PROXY)\n"
            "      to see what monitor does without a connection: monitor demo --output demo",
            file=sys.stderr,
        )
    if result.all_failed:
        print(f"monitor: every source failed; the report shows only what was stored before (exit {EXIT_SOURCES})", file=sys.stderr)
        return EXIT_SOURCES
    return EXIT_OK


@contextmanager
def _write_lock(args: argparse.Namespace, purpose: str) -> Iterator[None]:
    """The lock that keeps a manual command and the scheduler from writing at the same time.

    A scheduled job holds it for seconds to minutes; we wait that long rather than fail.
    """
    from .scheduler import LockBusy, lock_path_for, run_lock

    problem = _db_problem(_db_path(args))
    if problem:  # before the lock file would create anything next to a wrong --db
        raise UsageError(problem)
    try:
        with run_lock(lock_path_for(_db_path(args)), wait=MANUAL_LOCK_WAIT, purpose=purpose):
            yield
    except LockBusy as exc:
        raise RuntimeFailure(f"{exc} (waited {MANUAL_LOCK_WAIT // 60} minutes)") from None


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the pipeline offline on the bundled fortnight and print (and write) what it makes."""
    from .demo import DemoError, run_demo

    if getattr(args, "now", None):
        raise UsageError("the demo plays a fixed fortnight (23 November - 7 December 2026); --now does not go with it")
    output = Path(args.output) if args.output else None
    if output is not None and output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; give a directory to write the demo's files into")
    try:
        result = run_demo(output, _progress(args))
    except DemoError as exc:
        raise RuntimeFailure(f"the demo failed: {exc}") from None
    sys.stdout.write(result.report)
    say = _progress(args)
    say(
        f"\ndemo: the report as of {format_nl(result.now)}, made offline from bundled data "
        f"({result.actions} actions, {result.woordvoerders} woordvoerders named, {result.news} news items)"
    )
    for path in result.files:
        say(f"written: {path}")
    say("next: monitor init DIR (a starter configuration), then monitor run --config DIR")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Write the starter sources.yaml and rules.yaml, never over existing files."""
    from .starter import starter_file

    directory = Path(args.directory) if args.directory else _config_dir(args)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file; give a directory for sources.yaml and rules.yaml")
    directory.mkdir(parents=True, exist_ok=True)
    say = _progress(args)
    for name in ("sources.yaml", "rules.yaml"):
        target = directory / name
        if target.exists():
            say(f"kept {target}: it exists already (monitor init never overwrites)")
            continue
        target.write_text(starter_file(name), encoding="utf-8")
        say(f"written: {target}")
    where = "" if directory == Path(".") else f" --config {directory}"
    say(f"next: put your team's addresses in rules.yaml (recipients:), then\n  monitor rules check{where}\n  monitor run{where}")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    """List the configured sources with their health; a failing one with its error and address."""
    from .models import SourceState
    from .pipeline import source_status
    from .wording import error_text

    config = _load(args)
    now = _now(args)
    store = _open_store(args)
    try:
        statuses = source_status(store, config, now)
    finally:
        store.close()
    problems = [s for s in statuses if s.state.problem]
    if args.format == "json":
        payload = {
            "checked_at": now.isoformat(timespec="seconds"),
            "ok": not problems,
            "sources": [
                {
                    "id": s.id, "kind": s.kind, "label": s.label, "url": s.url, "state": s.state.value, "problem": s.state.problem,
                    "last_attempt": s.health.last_attempt, "last_success": s.health.last_success, "last_error": s.health.last_error,
                    "consecutive_failures": s.health.consecutive_failures,
                }
                for s in statuses
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_SOURCES if args.check and problems else EXIT_OK
    rows: list[tuple[str, ...]] = []
    details: list[list[str]] = []
    sources = {s.id: s for s in config.sources.sources}
    for status in statuses:
        health, source = status.health, sources[status.id]
        extra: list[str] = []
        if status.state is SourceState.DISABLED:
            text = "uit (enabled: false)"
        elif status.state is SourceState.NEVER_FETCHED:
            text = "nog niet opgehaald"
        elif status.state is SourceState.STALE:
            text = f"VEROUDERD: laatst gelukt {format_nl(health.last_success)}"
            extra = ["geen fout, maar al 3 intervallen niets opgehaald: draait `monitor schedule` (of cron) nog?"]
        elif status.state is SourceState.OK:
            text = f"ok, laatst {format_nl(health.last_success)}"
        else:
            last = format_nl(health.last_success) if health.last_success else "nooit"
            text = f"MISLUKT {health.consecutive_failures}× (laatst gelukt: {last})"
            extra = [f"fout: {error_text(health.last_error)}", f"details: {health.last_error}", f"adres: {source.url}"]
        every = f"{source.every // 60}m" if source.every % 3600 else f"{source.every // 3600}h"
        rows.append((status.id, status.kind, status.label or "", every, text))
        details.append(extra)
    header = ("id", "kind", "label", "every", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    indent = sum(widths[:4]) + 2 * 4
    width = max(shutil.get_terminal_size((120, 24)).columns - indent, 40)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row, extra in zip(rows, details):
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        for line in extra:
            for part in textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False):
                print(" " * indent + part)
    if args.check and problems:
        print(f"monitor: {len(problems)} source(s) failing or stale: {', '.join(p.id for p in problems)} (exit {EXIT_SOURCES})", file=sys.stderr)
        return EXIT_SOURCES
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
    for warning in _rule_warnings(rules):
        print(f"warning: {warning}")
    return EXIT_OK


def _rule_warnings(rules: Any) -> list[str]:
    """Valid rules that probably do not say what was meant: a lower-case and/or/not is a word to find."""
    from .rules.explain import lowercase_operators

    warnings = []
    for dossier in rules.dossiers.values():
        queries = [(f"rule '{r.name}'", r.query, r.line) for r in dossier.rules]
        if dossier.exclude:
            queries.append(("exclude", dossier.exclude, None))
        for what, query, line in queries:
            words = lowercase_operators(query)
            if words:
                where = f"{rules.path}:{line}: " if line else f"{rules.path}: "
                listed = ", ".join(f"'{w}'" for w in words)
                upper = ", ".join(w.upper() for w in words)
                warnings.append(f"{where}dossier '{dossier.id}', {what}: {listed} is searched as a word; operators are written in capitals ({upper})")
    return warnings


def cmd_rules_test(args: argparse.Namespace) -> int:
    """Show which rules match a text or a stored item, and why (not)."""
    from .models import Item
    from .rules.explain import explain

    config = _load(args)
    dossier_id, _, rule_name = args.target.partition(".")
    dossier = _dossier(config, dossier_id)
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
    if args.dossier:
        _dossier(config, args.dossier)
    since = _parse_day(args.since, "--since").isoformat() if args.since else None
    store = _open_store(args)
    try:
        result = backtest(store, config.rules, since=since, dossier=args.dossier)
        print(format_backtest(result, samples=args.samples))
    finally:
        store.close()
    return EXIT_OK


def _dossier(config: Config, dossier_id: str) -> Any:
    """The dossier of rules.yaml with this id, or a usage error that lists the ones there are."""
    dossier = config.rules.dossiers.get(dossier_id)
    if dossier is None:
        raise UsageError(f"no dossier '{dossier_id}' in {config.rules.path}; dossiers: {', '.join(config.rules.dossiers)}")
    return dossier


def cmd_woordvoerders(args: argparse.Namespace) -> int:
    """Print the Kamerleden to approach on a dossier, grouped by fractie, with reasons."""
    from .pipeline import woordvoerders
    from .report import woordvoerders_json, woordvoerders_text

    config = _load(args)
    dossier = _dossier(config, args.dossier)
    now = _now(args)
    store = _open_store(args)
    try:
        people = woordvoerders(store, config, dossier.id, now, limit=args.limit)
    finally:
        store.close()
    if args.format == "json":
        sys.stdout.write(woordvoerders_json(dossier.id, dossier.title, people))
    else:
        sys.stdout.write(woordvoerders_text(people, dossier.title))
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    """Show, preview or send the daily digest."""
    from .deliver import digest as dg
    from .deliver.mail import MailError
    from .pipeline import fetch_and_match, preview_digests, send_digests
    from .workdays import holiday_name, is_workday

    config = _load(args)
    now = _now(args)
    if args.audit:
        store = _open_store(args)
        try:
            print(_format_audit(args.audit, dg.audit(store, args.audit)), end="")
        finally:
            store.close()
        return EXIT_OK
    if args.send and args.if_workday and not is_workday(now.date()):
        why = holiday_name(now.date()) or "weekend"
        print(f"{format_nl(now, with_time=False)} is no working day ({why}): no digest", file=sys.stderr)
        return EXIT_OK
    mail_recipients = any(not dg.webhook.is_webhook(r) for r in dg.recipients_for(config.rules, args.to))
    if (args.test or (args.send and mail_recipients)) and config.sources.email is None:
        raise ConfigError([_no_email_problem(config)])  # webhook recipients alone need no mail server
    if args.test:
        from .pipeline import send_test_digest

        store = _open_store(args)
        try:
            subject = send_test_digest(config, store, now, args.test.strip())
        except MailError as exc:
            raise RuntimeFailure(str(exc)) from None
        finally:
            store.close()
        print(f"sent to {args.test}: {subject} (a test: nothing queued, the daily digest is unaffected)")
        return EXIT_OK
    if args.to and not dg.recipients_for(config.rules).get(dg.recipient_id(args.to)):
        print(f"note: {args.to} is no recipient in {config.rules.path}; it gets every dossier", file=sys.stderr)
    store = _open_store(args)
    try:
        if args.fetch:
            with _write_lock(args, "monitor digest --fetch"):
                fetch_and_match(config, store, now, progress=_progress(args))
        if args.preview or not args.send:
            digests = preview_digests(config, store, now, args.to)
            if not digests:
                raise UsageError(f"no recipients in {config.rules.path}: add recipients: [...] to a dossier, or pass --to ADDRESS")
            if args.preview:
                Path(args.preview).write_text(dg.render_digest(digests[0])[1], encoding="utf-8")
                print(f"preview of {digests[0].recipient}'s digest written to {args.preview} (nothing queued or sent)", file=sys.stderr)
                return EXIT_OK
            for digest in digests:
                # A webhook gets the short form: show that one.
                text = dg.webhook.render_digest(digest).body if dg.webhook.is_webhook(digest.recipient) else dg.render_digest(digest)[0]
                print(f"==== aan: {digest.recipient} · {digest.subject()} ====\n{text.rstrip()}\n")
            print("(dry run: nothing queued or sent; add --send to send)", file=sys.stderr)
            return EXIT_OK
        with _write_lock(args, "monitor digest --send"):
            try:
                outcome = send_digests(config, store, now, only=args.to)
            except MailError as exc:
                raise RuntimeFailure(str(exc)) from None
    finally:
        store.close()
    return _report_sending(outcome)


def _no_email_problem(config: Config) -> Any:
    from .config import Problem

    return Problem(
        config.sources.path,
        None,
        "there is no email section, so no digest can be sent",
        "add: email: {from: monitor@gemeente.example, smtp: {host: smtp.gemeente.example, port: 587, security: starttls, username: monitor, password_env: MONITOR_SMTP_PASSWORD}}",
    )


def _report_sending(outcome: Any) -> int:
    """Print what the digest run did; exit 1 when something could not be sent."""
    for prepared in outcome.prepared:
        if prepared.outbox_id is None:
            print(f"{prepared.recipient}: niets nieuws, geen mail")
        else:
            print(f"{prepared.recipient}: {prepared.subject} ({prepared.lines} regels)")
    print(f"verstuurd: {len(outcome.sent_ids)}")
    # One line per cause: a mail server that is down fails every digest with the same error.
    by_cause: dict[tuple[str, bool], list[str]] = {}
    for failure in outcome.failures:
        by_cause.setdefault((failure.error, failure.gave_up), []).append(failure.recipient)
    for (error, given_up), addresses in by_cause.items():
        when = "opgegeven na te veel pogingen" if given_up else "blijft in de wachtrij, volgende keer opnieuw"
        print(f"NIET verstuurd aan {', '.join(addresses)} ({when}): {error}", file=sys.stderr)
    return EXIT_FAIL if outcome.failures or outcome.connection_error else EXIT_OK


def _format_audit(recipient: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"Nothing sent to {recipient} yet.\n"
    lines: list[str] = []
    current = None
    for row in rows:
        if (row["sent_at"], row["subject"]) != current:
            current = (row["sent_at"], row["subject"])
            lines += ["", f"{format_nl(row['sent_at'], with_year=True)} — {row['subject']}"]
        reason = f" — {row['reason']}" if row.get("reason") else ""
        lines.append(f"  [{row['section']}] {row['title']}{reason}")
    return "\n".join(lines).lstrip("\n") + "\n"


def cmd_calendar(args: argparse.Namespace) -> int:
    """Write (or serve) the lobbykalender as iCalendar."""
    from .deliver.calendar import calendar_secret, serve_calendar, subscribe_urls
    from .pipeline import calendar, feed

    config = _load(args)
    if args.dossier:
        _dossier(config, args.dossier)
    if args.urls:
        _open_store(args).close()  # the secret lives next to a usable database
        base = args.base_url or f"http://{args.host or config.sources.calendar.host}:{args.port or config.sources.calendar.port}/kalender/"
        urls = subscribe_urls(base, calendar_secret(_db_path(args)), list(config.rules.dossiers))
        for name, url in urls.items():
            if args.dossier in (None, name):
                print(f"{name}\t{url}")
        return EXIT_OK
    if args.serve:
        if getattr(args, "now", None):
            raise UsageError("--serve uses the clock; --now does not go with it")
        host = args.host or config.sources.calendar.host
        port = args.port or config.sources.calendar.port
        _open_store(args).close()  # a readable database (and its schema) before the first request
        db_path = _db_path(args)

        def render(dossier: str | None) -> bytes:
            store = Store(db_path)
            try:
                return calendar(config, store, current_time(), dossier)
            finally:
                store.close()

        def render_feed(dossier: str | None) -> bytes:
            store = Store(db_path)
            try:
                return feed(config, store, current_time(), dossier)
            finally:
                store.close()

        try:
            server = serve_calendar(render, config.rules, calendar_secret(db_path), host, port, feed_render=render_feed)
        except OSError as exc:
            raise RuntimeFailure(f"cannot serve on {host}:{port}: {exc.strerror}") from None
        print(f"serving the lobbykalender at {server.url_for('alle')} (monitor calendar --urls lists every dossier's); Ctrl-C stops", file=sys.stderr)
        print(f"and the Atom feed at {server.feed_url_for('alle')} (monitor feed --urls lists every dossier's)", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        return EXIT_OK
    now = _now(args)
    store = _open_store(args)
    try:
        body = calendar(config, store, now, args.dossier)
    finally:
        store.close()
    if args.output:
        Path(args.output).write_bytes(body)
        print(f"written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    """Write the Atom feed of one dossier or all, or list the feeds' secret URLs."""
    from .deliver.calendar import calendar_secret, feed_urls
    from .pipeline import feed

    config = _load(args)
    if args.dossier:
        _dossier(config, args.dossier)
    if args.urls:
        _open_store(args).close()  # the secret lives next to a usable database
        base = args.base_url or f"http://{config.sources.calendar.host}:{config.sources.calendar.port}/feed/"
        for name, url in feed_urls(base, calendar_secret(_db_path(args)), list(config.rules.dossiers)).items():
            if args.dossier in (None, name):
                print(f"{name}\t{url}")
        return EXIT_OK
    output = Path(args.output) if args.output and args.output != "-" else None
    if output is not None:
        _check_output(output)
    now = _now(args)
    store = _open_store(args)
    try:
        body = feed(config, store, now, args.dossier)
    finally:
        store.close()
    if output is None:
        sys.stdout.buffer.write(body)
        return EXIT_OK
    _write_file(output, body)
    print(f"written to {output}", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write the week's Lobbymemo (Word) or its sheets (Excel, CSV)."""
    from .pipeline import EXPORT_FORMATS, Scope, export
    from .render.docx import TemplateError
    from .render.sheets import SHEETS

    output = Path(args.output) if args.output and args.output != "-" else None
    if output is not None:
        _check_output(output)
    fmt = args.format
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        if suffix not in EXPORT_FORMATS:
            raise UsageError("give --format docx, xlsx or csv, or an --output whose name ends in .docx, .xlsx or .csv")
        fmt = suffix
    if output is None and fmt != "csv":
        raise UsageError(f"--format {fmt} makes a file for {'Word' if fmt == 'docx' else 'Excel'}: give --output FILE.{fmt}")
    if args.sheet and fmt != "csv":
        raise UsageError("--sheet chooses the table of a CSV; an .xlsx has every sheet")
    if args.template and fmt != "docx":
        raise UsageError("--template is a Word template for --format docx")
    config = _load(args)
    now = _now(args)
    week = args.week or "{}-W{:02d}".format(*now.isocalendar()[:2])
    try:
        scope = Scope.iso_week(week, now)
    except ValueError as exc:
        raise UsageError(f"--week: {exc}") from None
    if args.dossier:
        scope.dossiers = [_dossier(config, args.dossier).id]
    store = _open_store(args)
    try:
        template = Path(args.template) if args.template else config.sources.export.template  # sources.yaml: export.template
        body = export(config, store, now, scope, fmt, week=week, sheet=args.sheet or SHEETS[0], template=template)
    except TemplateError as exc:
        raise UsageError(f"--template: {exc}") from None
    finally:
        store.close()
    if output is None:
        sys.stdout.buffer.write(body)
        return EXIT_OK
    _write_file(output, body)
    print(f"written to {output} ({fmt}, week {week.upper()})", file=sys.stderr)
    return EXIT_OK


def _check_output(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    if path.is_dir():
        raise UsageError(f"--output {path} is a folder; give a file name, e.g. {path / 'export'}")
    if not path.parent.is_dir():
        raise UsageError(f"--output: the folder {path.parent} does not exist; create it first or choose another path")


def _write_file(path: Path, body: bytes) -> None:
    try:
        path.write_bytes(body)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def cmd_schedule(args: argparse.Namespace) -> int:
    """Run unattended: fetch each source at its interval, the digest on working days."""
    from .jobs import Jobs
    from .scheduler import build_scheduler, lock_path_for, run_scheduler

    if getattr(args, "now", None):
        raise UsageError("the scheduler runs on the clock; --now does not go with it")
    _open_store(args).close()  # a usable database (and its schema) before anything is scheduled
    jobs = Jobs(_config_dir(args), _db_path(args), progress=_progress(args))
    config = jobs.config
    digest_job = jobs.digest if config.sources.email else None
    if digest_job is None:
        print("note: no email section in sources.yaml, so no digest is scheduled", file=sys.stderr)
    scheduler = build_scheduler(config.sources, jobs.fetch, digest_job, lock_path_for(_db_path(args)))
    stoppers = []
    if config.sources.calendar.serve:
        server = jobs.serve_calendar()
        stoppers.append(server.stop)
        print(f"lobbykalender: {server.url_for('alle')}", file=sys.stderr)
        print(f"Atom feed: {server.feed_url_for('alle')}", file=sys.stderr)
    if args.web_port:
        from .web.app import serve_in_thread

        stoppers.append(serve_in_thread(_config_dir(args), _db_path(args), args.web_host, args.web_port))
        print(f"werkplek: http://{args.web_host}:{args.web_port}/", file=sys.stderr)
    if not getattr(args, "verbose", False):
        # The scheduler's own lines (started, done, skipped) are its progress report.
        logging.getLogger("monitor.scheduler").setLevel(logging.INFO)
    print("running; stop with Ctrl-C or SIGTERM (running jobs finish first)", file=sys.stderr)
    return run_scheduler(scheduler, on_stop=stoppers)


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the werkplek (the web view) until stopped."""
    from .web.app import serve

    _load(args)  # a broken rules.yaml is said here, not on the first page
    _open_store(args).close()
    fixed = _now(args) if getattr(args, "now", None) else None
    print(f"werkplek: http://{args.host}:{args.port}/ (stop with Ctrl-C)", file=sys.stderr)
    serve(_config_dir(args), _db_path(args), args.host, args.port, clock=(lambda: fixed) if fixed else None, forwarded_allow_ips=args.forwarded_allow_ips)
    return EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    """Add, list or remove werkplek users."""
    import getpass

    from .timeutil import iso
    from .web import accounts

    store = _open_store(args)
    try:
        if args.users_command == "add":
            if sys.stdin.isatty():
                password = getpass.getpass(f"password for {args.name}: ")
                if getpass.getpass("again: ") != password:
                    raise UsageError("the two passwords differ; nothing was changed")
            else:
                password = sys.stdin.readline().rstrip("\r\n")
            try:
                user = accounts.add_user(store.db, args.name, args.role, password, args.email, iso(current_time()) or "")
            except accounts.AccountError as exc:
                raise UsageError(str(exc)) from None
            print(f"added {user.name} ({user.role})" + (f" <{user.email}>" if user.email else ""))
        elif args.users_command == "remove":
            if not accounts.remove_user(store.db, args.name):
                raise UsageError(f"there is no user '{args.name}'")
            print(f"removed {args.name} (their sessions ended; the work they recorded stays)")
        else:
            for user in accounts.list_users(store.db):
                print(f"{user.name}\t{user.role}\t{user.email or ''}")
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
  monitor run --no-fetch --format json | jq '.actions[].moments[].label'
  monitor run --now 2026-12-01T08:00 --no-fetch      # the report as it was known on 1 December

exit codes: 0 ok; 2 a configuration or usage error; 3 every source failed (the report shows
what was stored before).
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    window = run.add_mutually_exclusive_group()
    window.add_argument("--week", metavar="YYYY-Www", help="report on one ISO week, e.g. 2026-W50")
    window.add_argument("--from", dest="date_from", metavar="DATE", help="start of the window (YYYY-MM-DD)")
    run.add_argument("--to", dest="date_to", metavar="DATE", help="end of the window (YYYY-MM-DD, inclusive)")
    run.add_argument("--no-fetch", action="store_true", help="do not fetch; report what is stored (writes nothing)")
    run.add_argument("--source", action="append", metavar="ID", help="fetch only this source (repeatable)")
    run.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text", help="output format (default: text)")
    run.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    run.add_argument("--json-schema", action="store_true", help="print the JSON Schema of --format json and exit")
    _common(run, suppress=True)
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser(
        "demo",
        help="see monitor work offline on a bundled fortnight of Kamer and vakpers data",
        description=(
            "Run the whole pipeline offline on bundled, recorded-shape data: a fortnight of the Tweede Kamer's "
            "SyncFeed (a debate moved, one cancelled, one re-created, Stemmingen with a late motie) and a vakpers "
            "feed, served by monitor's own loopback replay servers so the real fetch code runs, matched with the "
            "starter rules of `monitor init`. Prints the report as of the fortnight's last day; with --output also "
            "writes the HTML report, each recipient's HTML digest and the lobbykalender (.ics). Needs no network "
            "and no configuration, and never touches your own database (it works in a temporary directory)."
        ),
        epilog="""\
examples:
  monitor demo                   the report, printed
  monitor demo --output demo     and demo/report.html, demo/digest-*.html, demo/lobbykalender.ics
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--output", "-o", metavar="DIR", help="also write report.html, digest-<recipient>.html and lobbykalender.ics into DIR")
    _common(demo, suppress=True)
    demo.set_defaults(func=cmd_demo)

    init = commands.add_parser(
        "init",
        help="write a starter sources.yaml and rules.yaml",
        description=(
            "Write a commented starter sources.yaml (the Tweede Kamer and vakpers feeds) and rules.yaml (the "
            "sociaal-domein dossiers: jeugd, Wmo, Participatiewet, schulden, inburgering) into DIR. Existing files "
            "are never overwritten."
        ),
        epilog="""\
examples:
  monitor init ~/pa-monitor && cd ~/pa-monitor && monitor rules check && monitor run
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("directory", nargs="?", default=None, metavar="DIR", help="where to write them (default: --config, $MONITOR_CONFIG or the current directory)")
    _common(init, suppress=True)
    init.set_defaults(func=cmd_init)

    sources = commands.add_parser(
        "sources",
        help="list sources and their health",
        description="List the sources of sources.yaml with their fetch health: last success, last error, consecutive failures. With --check it is a probe for a monitoring system: exit 3 when any source fails or is stale.",
        epilog="""\
examples:
  monitor sources
  monitor sources --check                  exit 3 if a source fails or is stale (for Nagios, Zabbix, cron)
  monitor sources --check --format json    the same, as JSON
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources.add_argument("--check", action="store_true", help="exit 3 when a source fails, is stale, or never worked")
    sources.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
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

    people = commands.add_parser(
        "woordvoerders",
        help="the Kamerleden to approach on a dossier",
        description="List the Kamerleden to approach on a dossier, grouped by fractie and ranked, with the reason: moties and Kamervragen they filed on the dossier, debates they took part in, the committee they sit on (Kamer data of the last 12 months), plus the people pinned in rules.yaml (woordvoerders: pin/exclude).",
        epilog="examples:\n  monitor woordvoerders jeugd\n  monitor woordvoerders participatie --limit 20 --format json\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    people.add_argument("dossier", metavar="DOSSIER", help="a dossier id from rules.yaml")
    people.add_argument("--limit", type=int, default=10, metavar="N", help="how many inferred people to show (pinned ones come on top; default 10)")
    people.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _common(people, suppress=True)
    people.set_defaults(func=cmd_woordvoerders)

    digest = commands.add_parser(
        "digest",
        help="show, preview or send the daily email digest",
        description="The daily digest per recipient (rules.yaml: recipients per dossier), in Dutch: actions by deadline, changed meetings, new Kamer items and press per dossier, the agenda, source problems. Without --send it only shows what would be sent. With --send each digest is stored in the outbox before sending and marked sent once the mail server accepted it: a failure is retried at the next --send, nothing is sent twice, and every item appears in one digest only.",
        epilog="""\
examples:
  monitor digest                              show each recipient's digest as text (nothing sent)
  monitor digest --preview digest.html        the HTML of the first recipient's digest, to look at
  monitor digest --test jij@gemeente.nl       send yourself a sample, marked [TEST], outside the outbox
  monitor digest --preview d.html --to wmo@gemeente.example
  monitor digest --send                       queue and send today's digests (what the scheduler does)
  monitor digest --send --to mij@gemeente.example   a test digest with every dossier to one address
  monitor digest --send --fetch --if-workday  for cron: fetch first; do nothing on weekends and holidays
  monitor digest --audit jeugd@gemeente.example     what was sent to this address, and why

The SMTP password is read from the environment variable named by email.smtp.password_env
(default MONITOR_SMTP_PASSWORD), never from a file.
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    digest.add_argument("--send", action="store_true", help="queue and send the digests (default: only show them)")
    digest.add_argument("--test", metavar="ADDRESS", help="send ADDRESS the digest it would get now, marked [TEST], outside the outbox (to check the mail set-up and how clients show it)")
    digest.add_argument("--preview", metavar="FILE.html", help="write one recipient's HTML digest to FILE (nothing queued or sent)")
    digest.add_argument("--to", metavar="ADDRESS", help="only this recipient; an address that is no recipient gets every dossier")
    digest.add_argument("--fetch", action="store_true", help="fetch all sources first")
    digest.add_argument("--if-workday", action="store_true", help="with --send: do nothing on weekends and Dutch public holidays (for cron)")
    digest.add_argument("--audit", metavar="ADDRESS", help="show what was sent to ADDRESS and why, newest first")
    _common(digest, suppress=True)
    digest.set_defaults(func=cmd_digest)

    calendar = commands.add_parser(
        "calendar",
        help="the lobbykalender (.ics) for Outlook and other calendars",
        description="The lobbykalender as iCalendar: an all-day event per deadline (brief, inbreng, motie, ...) and an event per matched Kamer meeting, with agenda, woordvoerders and links. UIDs are stable, SEQUENCE goes up when a meeting moves, and cancelled meetings become STATUS:CANCELLED, so a subscribed calendar follows the Kamer.",
        epilog="""\
examples:
  monitor calendar --output lobbykalender.ics
  monitor calendar --dossier jeugd --output jeugd.ics
  monitor calendar --serve --port 8765          serve it for subscription (each calendar behind a secret URL)
  monitor calendar --urls --base-url https://monitor.gemeente.nl/kalender/   the subscribe URLs to hand out
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calendar.add_argument("--dossier", metavar="ID", help="only this dossier (default: all)")
    calendar.add_argument("--output", "-o", metavar="FILE.ics", help="write to FILE instead of stdout")
    calendar.add_argument("--serve", action="store_true", help="serve every calendar over HTTP, each at /kalender/<token>/<name>.ics, until Ctrl-C")
    calendar.add_argument("--urls", action="store_true", help="print each calendar's subscribe URL (with its secret token) and exit")
    calendar.add_argument("--base-url", metavar="URL", help="with --urls: the address subscribers use, e.g. https://monitor.gemeente.nl/kalender/ behind your web server")
    calendar.add_argument("--host", help="with --serve: the address to listen on (default: calendar.host or 127.0.0.1)")
    calendar.add_argument("--port", type=int, help="with --serve: the port (default: calendar.port or 8765)")
    _common(calendar, suppress=True)
    calendar.set_defaults(func=cmd_calendar)

    feed = commands.add_parser(
        "feed",
        help="an Atom feed of a dossier (or all) for feed readers",
        description=(
            "Write an Atom feed of one dossier, or of all: the actions with a deadline in the coming three weeks, "
            "meetings that moved, were cancelled or are new on the agenda (each change a new entry), and the new "
            "Kamer items and press of the last two weeks, in the report's words. Entry ids are stable tag: URIs and "
            "'updated' is when monitor saw the change, so feed readers show news once. `monitor calendar --serve` "
            "(or calendar.serve: true) also serves every feed at its own secret URL; --urls lists them."
        ),
        epilog="""\
examples:
  monitor feed --output alle.atom                 every dossier
  monitor feed jeugd --output jeugd.atom          one dossier
  monitor feed --urls --base-url https://monitor.gemeente.nl/feed/   the secret URLs of the served feeds
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    feed.add_argument("dossier", nargs="?", metavar="DOSSIER", help="a dossier id from rules.yaml (default: all dossiers)")
    feed.add_argument("--output", "-o", metavar="FILE.atom", help="write to FILE instead of stdout")
    feed.add_argument("--urls", action="store_true", help="print each served feed's URL (with its secret token) and exit")
    feed.add_argument("--base-url", metavar="URL", help="with --urls: the address readers use, e.g. https://monitor.gemeente.nl/feed/ behind your web server")
    _common(feed, suppress=True)
    feed.set_defaults(func=cmd_feed)

    export = commands.add_parser(
        "export",
        help="the week's Lobbymemo in Word, or its moments, stemmingen and items for Excel",
        description=(
            "Write one ISO week as a file. docx: the Lobbymemo in Word (the actions by deadline, the week's meetings "
            "with their agenda and changes, the Stemmingen with each motie's standing, what changed, and per dossier "
            "the new Kamer items and press), in Word's built-in styles so a --template restyles it. xlsx: the sheets "
            "Momenten, Stemmingen, Vergaderingen and Items, with real dates, a frozen header and filters. csv: one "
            "of those sheets (--sheet, default momenten) for Dutch Excel: UTF-8 with BOM, ';' between fields. "
            "The format follows the --output name unless --format says otherwise. Reads only; --now shows a past week "
            "as it was known then."
        ),
        epilog="""\
examples:
  monitor export --output lobbymemo.docx                   this week's memo in Word
  monitor export --week 2026-W50 --format docx --output week50.docx --template huisstijl.dotx
  monitor export --week 2026-W50 --output week50.xlsx      the four sheets for Excel
  monitor export --week 2026-W50 --sheet stemmingen --output stemmingen.csv
  monitor export --dossier jeugd --output jeugd.xlsx       one dossier only
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--week", metavar="YYYY-Www", help="the ISO week, e.g. 2026-W50 (default: the current week)")
    export.add_argument("--format", choices=("docx", "xlsx", "csv"), help="docx (Word), xlsx (Excel) or csv (default: from the --output name)")
    export.add_argument("--output", "-o", metavar="FILE", help="the file to write (csv may go to stdout with '-' or without --output)")
    export.add_argument("--dossier", metavar="ID", help="only this dossier (default: all)")
    export.add_argument("--sheet", choices=("momenten", "stemmingen", "vergaderingen", "items"), help="with csv: which table (default: momenten)")
    export.add_argument("--template", metavar="FILE.docx", help="with docx: a Word document or template (.docx, .dotx) whose styles, page set-up, header and footer the memo takes (default: export.template in sources.yaml)")
    _common(export, suppress=True)
    export.set_defaults(func=cmd_export)

    schedule = commands.add_parser(
        "schedule",
        help="run unattended: fetch at intervals, digest on working days",
        description="Run until stopped: fetch each source at its 'every:' interval (default: the Kamer every 15 minutes, feeds every 30), match, and send the digest at digest.time (default 07:00 Europe/Amsterdam) on Dutch working days. Missed runs are coalesced; jobs and manual commands never write at the same time (a lock next to the database). rules.yaml changes are picked up at the next job; new sources or intervals need a restart. With calendar.serve: true it also serves the lobbykalender. SIGTERM or Ctrl-C stops it after running jobs finish.",
        epilog="examples:\n  monitor schedule --config /etc/monitor --db /var/lib/monitor/monitor.db\n  (see the README for a systemd unit and for cron instead)\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schedule.add_argument("--web-port", type=int, metavar="PORT", help="also serve the werkplek (monitor web) on this port")
    schedule.add_argument("--web-host", default="127.0.0.1", help="with --web-port: the address to listen on (default: 127.0.0.1)")
    _common(schedule, suppress=True)
    schedule.set_defaults(func=cmd_schedule)

    web = commands.add_parser(
        "web",
        help="serve the werkplek: the web view where the team works its dossiers",
        description="Serve the werkplek (Vandaag, Dossier, Zoeken, the rules editor) with uvicorn. It listens on loopback by default: put a reverse proxy with HTTPS in front of it (see the README). Nothing is readable without logging in (monitor users add) except the tokenised calendar URLs.",
        epilog="examples:\n  monitor users add marieke --role redacteur --email marieke@gemeente.nl\n  monitor web --port 8080\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    web.add_argument("--forwarded-allow-ips", metavar="IPS", help="reverse proxies whose X-Forwarded-* headers are trusted (default: 127.0.0.1)")
    _common(web, suppress=True)
    web.set_defaults(func=cmd_web)

    users = commands.add_parser("users", help="add, list or remove werkplek users", description="Werkplek accounts. Roles: lezer (reads), redacteur (also works moments and edits rules), beheerder (also manages users). The password is asked for (or read from standard input when it is not a terminal) and stored as an Argon2 hash.")
    users_commands = users.add_subparsers(dest="users_command", metavar="SUBCOMMAND")
    add = users_commands.add_parser("add", help="add a user (password from a prompt or stdin)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=("lezer", "redacteur", "beheerder"))
    add.add_argument("--email", help="their address; their own actions then come first in their digest")
    _common(add, suppress=True)
    listing = users_commands.add_parser("list", help="list the users")
    _common(listing, suppress=True)
    remove = users_commands.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("name", metavar="NAME")
    _common(remove, suppress=True)
    for sub in (add, listing, remove):
        sub.set_defaults(func=cmd_users)
    users.set_defaults(func=lambda args: (users.print_help(), EXIT_USAGE)[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `monitor` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.INFO if getattr(args, "verbose", False) else logging.WARNING
    # journald stamps every line itself; elsewhere (cron mail, docker logs, a terminal) a log
    # line needs its own time.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    logging.basicConfig(level=level, format=stamp + "%(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S", stream=sys.stderr)
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
    except RuntimeFailure as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("monitor: interrupted; what was stored so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away; silence the flush at exit that would fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
