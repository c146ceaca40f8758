"""Load and validate sources.yaml and rules.yaml into typed objects.

PA staff edit these files by hand, so every problem is reported with the file, the line, what
is wrong and how to fix it, and all problems are reported at once. Nothing is half-loaded: a
file either yields a complete, valid config or a `ConfigError`.

We walk PyYAML's node tree instead of loading plain dicts, because the nodes keep line numbers
and the text as written (so `query: no`, which YAML reads as the boolean False, can be caught
and explained instead of silently becoming a rule that matches "False").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


SOURCE_KINDS = ("feed", "tk")
ITEM_KINDS = ("artikel", "activiteit", "zaak", "document", "toezegging", "debat")
MOMENT_KINDS = ("brief", "inbreng", "agendering", "positionpaper", "motie", "stemming")
DEFAULT_LEAD_TIMES = {"brief": 5, "inbreng": 3, "agendering": 2, "positionpaper": 7, "motie": 2, "stemming": 1}
DEFAULT_EVERY = {"feed": 30 * 60, "tk": 15 * 60}
TK_DEFAULT_BASE_URL = "https://gegevensmagazijn.tweedekamer.nl"
PRIORITIES = ("hoog", "normaal", "laag")
# Spoedmeldingen (urgent alerts between digests), by kind of change; a dossier gets all by default.
SPOED_KINDS = ("verplaatst", "geannuleerd", "stemmingslijst", "deadline_vandaag")


# ---------------------------------------------------------------------------- errors


@dataclass
class Problem:
    """One thing wrong in a config file, with where it is and how to fix it."""

    path: str
    line: int | None
    message: str
    hint: str | None = None
    detail: str | None = None  # e.g. the query with a caret under the problem

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        if self.detail:
            text += "\n" + "\n".join("    " + line for line in self.detail.splitlines())
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(Exception):
    """A config file cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---------------------------------------------------------------------------- typed config


@dataclass
class SourceConfig:
    """One source from sources.yaml."""

    id: str
    kind: str
    url: str
    every: int  # seconds between fetches when scheduled
    label: str | None = None
    since_days: int = 60  # Kamer only: how far back a fresh install starts
    enabled: bool = True
    line: int | None = None


@dataclass
class SmtpConfig:
    """How to reach the mail server; the password only ever comes from the environment."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password_env: str | None = "MONITOR_SMTP_PASSWORD"
    timeout: int = 30
    auth: str = "password"  # password | oauth2 (Microsoft 365, XOAUTH2) | bearer (a token from token_env)
    oauth2: OAuth2Config | None = None
    token_env: str | None = None  # auth: bearer; default MONITOR_SMTP_TOKEN


@dataclass
class OAuth2Config:
    """An app registered in Microsoft Entra ID that may send mail (SMTP.SendAsApp); its secret only from the environment."""

    tenant_id: str
    client_id: str
    client_secret_env: str = "MONITOR_SMTP_CLIENT_SECRET"
    authority_host: str = "login.microsoftonline.com"
    scope: str = "https://outlook.office365.com/.default"


@dataclass
class EmailConfig:
    """Sender settings for the digest."""

    sender: str
    smtp: SmtpConfig
    reply_to: str | None = None
    unsubscribe: str | None = None  # mailto: address for List-Unsubscribe
    max_html_kb: int = 90  # a longer HTML part moves its tail to an attachment (Gmail clips at ~102 KB)


@dataclass
class DigestConfig:
    """When and how the daily digest goes out."""

    time: str = "07:00"
    send_empty: bool = False
    horizon_days: int = 21  # "Agenda komende weken"


@dataclass
class CalendarConfig:
    """Serving the lobbykalender for subscription (off unless asked for)."""

    serve: bool = False
    host: str = "127.0.0.1"
    port: int = 8765
    reminder: time | None = time(9, 0)  # on the working day before a deadline; None: no reminders


@dataclass
class ExportConfig:
    """`monitor export` defaults: the Word template of the Lobbymemo (a path relative to sources.yaml)."""

    template: Path | None = None


@dataclass
class HttpConfig:
    """Settings of the shared HTTP client."""

    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    concurrency: int = 4
    contact: str | None = None  # added to the User-Agent so site owners can reach the operator


@dataclass
class SourcesConfig:
    """Everything in sources.yaml."""

    sources: list[SourceConfig]
    email: EmailConfig | None = None
    digest: DigestConfig = field(default_factory=DigestConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    path: str = "sources.yaml"

    def get(self, source_id: str) -> SourceConfig | None:
        """The source with this id, or None."""
        return next((s for s in self.sources if s.id == source_id), None)


@dataclass
class RuleConfig:
    """One named rule of a dossier. `ast` is the parsed query."""

    name: str
    query: str
    ast: Any
    priority: str | None = None
    kinds: list[str] | None = None
    sources: list[str] | None = None
    line: int | None = None


@dataclass
class WoordvoerderOverrides:
    """People pinned to, or excluded from, a dossier's woordvoerders by hand."""

    pin: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


@dataclass
class DossierConfig:
    """One dossier of rules.yaml."""

    id: str
    title: str
    rules: list[RuleConfig]
    exclude: str | None = None
    exclude_ast: Any = None
    recipients: list[str] = field(default_factory=list)  # email addresses and Apprise webhook URLs
    lead_times: dict[str, int] = field(default_factory=dict)  # already merged with the defaults
    woordvoerders: WoordvoerderOverrides = field(default_factory=WoordvoerderOverrides)
    line: int | None = None
    spoed: tuple[str, ...] = SPOED_KINDS  # which changes warrant a spoedmelding; () = none


@dataclass
class RulesConfig:
    """Everything in rules.yaml. `version` changes whenever the rules' meaning can change."""

    dossiers: dict[str, DossierConfig]
    lead_times: dict[str, int]
    version: str
    path: str = "rules.yaml"


@dataclass
class Config:
    """Both files, validated against each other."""

    sources: SourcesConfig
    rules: RulesConfig
    directory: Path


# ---------------------------------------------------------------------------- reading nodes


_constructor = SafeConstructor()
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_STARTS_WITH_QUOTED_PHRASE = re.compile(r'^\s*(?:-\s+)?(?P<key>[A-Za-z_]+):\s+(?P<value>"[^"]*"\s+\S.*)$')


class _Reader:
    """Reads typed values out of YAML nodes, collecting problems instead of raising."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, message: str, hint: str | None = None, detail: str | None = None) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(self.path, line, message, hint, detail))

    def load(self, text: str) -> Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = exc.problem or str(exc)
            hint = "check the indentation and quoting on this line or the one before it"
            source_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
            if "undefined alias" in problem:
                hint = "a value that starts with * must be quoted, e.g. query: '*jeugdzorg*'"
            elif "found character '\\t'" in problem:
                hint = "YAML does not allow tabs for indentation; use spaces"
            elif quoted := _STARTS_WITH_QUOTED_PHRASE.match(source_line):
                # `query: "beschermd wonen" OR Wmo`: YAML reads the phrase as the whole value and
                # chokes on what follows. Single quotes around everything keep the double quotes.
                key, value = quoted.group("key", "value")
                value = value.rstrip()
                if value.endswith("'") and value.count("'") % 2:
                    value = value[:-1]  # half-quoted: the closing quote is there, the opening one is not
                single_quoted = "'" + value.replace("'", "''") + "'"
                hint = f"a query that starts with a \"phrase\" must be put in single quotes as a whole: {key}: {single_quoted}"
            self.problems.append(Problem(self.path, line, f"YAML syntax error: {problem}", hint))
            return None

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, tuple[Node, Node]]:
        """A mapping's entries by key (key node, value node); unknown/duplicate/missing keys reported."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where} must be a mapping of key: value lines, not {_describe(node)}")
            return {}
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                self.problem(key_node, f"{where}: key '{key}' appears twice", "remove one of the two")
                continue
            if allowed and key not in allowed:
                close = _closest(key, allowed)
                hint = f"did you mean '{close}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.problem(key_node, f"{where}: unknown key '{key}'", hint)
                continue
            out[key] = (key_node, value_node)
        for key in required:
            if key not in out:
                self.problem(node, f"{where}: missing required key '{key}'", f"add a line '{key}: ...'")
        return out

    def string(self, node: Node, where: str, key: str) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(node, f"{where}: '{key}' must be text, not {_describe(node)}")
            return None
        value = _constructor.construct_object(node)
        if node.style is None and not isinstance(value, str):
            if isinstance(value, bool) or value is None:
                self.problem(
                    node,
                    f"{where}: '{key}: {node.value}' is read by YAML as {'a yes/no value' if isinstance(value, bool) else 'empty'}, not as text",
                    f"put it in quotes: {key}: '{node.value}'" if node.value else f"give '{key}' a value",
                )
                return None
            return node.value  # a number used as text, e.g. a dossier number: keep it as written
        return str(value)

    def integer(self, node: Node, where: str, key: str, minimum: int = 0) -> int | None:
        value = _constructor.construct_object(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(node, f"{where}: '{key}' must be a whole number, not {_describe(node)}", f"e.g. {key}: 5")
            return None
        if value < minimum:
            self.problem(node, f"{where}: '{key}' must be at least {minimum}, not {value}")
            return None
        return value

    def number(self, node: Node, where: str, key: str) -> float | None:
        value = _constructor.construct_object(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.problem(node, f"{where}: '{key}' must be a positive number, not {_describe(node)}")
            return None
        return float(value)

    def boolean(self, node: Node, where: str, key: str) -> bool | None:
        value = _constructor.construct_object(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.problem(node, f"{where}: '{key}' must be true or false, not {_describe(node)}")
            return None
        return value

    def string_list(self, node: Node, where: str, key: str) -> list[str] | None:
        if isinstance(node, ScalarNode) and node.style is None and node.value and "," not in node.value:
            # `recipients: a@b.nl` for a single entry is what people write; accept it.
            value = self.string(node, where, key)
            return [value] if value is not None else None
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{where}: '{key}' must be a list, e.g. {key}: [a, b]")
            return None
        out = []
        for child in node.value:
            value = self.string(child, where, key)
            if value is not None:
                out.append(value)
        return out

    def duration(self, node: Node, where: str, key: str) -> int | None:
        if isinstance(node, ScalarNode):
            text = str(node.value)
            if text.isdigit():
                return int(text) * 60
            match = _DURATION.match(text.lower())
            if match and any(match.groups()):
                d, h, m, s = (int(g or 0) for g in match.groups())
                seconds = d * 86400 + h * 3600 + m * 60 + s
                if seconds >= 60:
                    return seconds
        self.problem(node, f"{where}: '{key}' must be a duration of at least a minute, not {_describe(node)}", "e.g. every: 30m, every: 2h or every: 1h30m")
        return None


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return f"'{node.value}'" if node.value != "" else "an empty value"
    return "this"


def _closest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return found[0] if found else None


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), None, "file not found", "run monitor in the directory that holds sources.yaml and rules.yaml, or pass --config DIR")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, f"cannot read the file: {exc.strerror}")]) from None


# ---------------------------------------------------------------------------- sources.yaml


def load_sources(path: str | Path) -> SourcesConfig:
    """Read and validate sources.yaml; raise ConfigError listing every problem."""
    path = Path(path)
    reader = _Reader(str(path))
    root = reader.load(_read_file(path))
    if reader.problems:
        raise ConfigError(reader.problems)
    if root is None:
        raise ConfigError([Problem(str(path), 1, "the file is empty", "add a 'sources:' list")])
    top = reader.mapping(root, "sources.yaml", ("sources", "email", "digest", "calendar", "http", "export"), ("sources",))
    sources: list[SourceConfig] = []
    if "sources" in top:
        key_node, node = top["sources"]
        if not isinstance(node, SequenceNode):
            reader.problem(node, "'sources' must be a list of entries starting with '- id: ...'")
        else:
            seen: dict[str, int] = {}
            for entry in node.value:
                source = _read_source(reader, entry)
                if source is None:
                    continue
                if source.id in seen:
                    reader.problem(entry, f"source id '{source.id}' is used twice (first on line {seen[source.id]})", "give each source its own id")
                    continue
                seen[source.id] = source.line or 0
                sources.append(source)
    config = SourcesConfig(sources=sources, path=str(path))
    if "email" in top:
        config.email = _read_email(reader, top["email"][1])
    if "digest" in top:
        config.digest = _read_digest(reader, top["digest"][1])
    if "calendar" in top:
        config.calendar = _read_calendar(reader, top["calendar"][1])
    if "http" in top:
        config.http = _read_http(reader, top["http"][1])
    if "export" in top:
        config.export = _read_export(reader, top["export"][1], path.parent)
    if reader.problems:
        raise ConfigError(reader.problems)
    return config


def _read_source(reader: _Reader, node: Node) -> SourceConfig | None:
    allowed = ("id", "kind", "url", "base_url", "every", "label", "since_days", "enabled")
    # Name the source in every message, including those about its other keys.
    named = next((v.value for k, v in node.value if k.value == "id" and isinstance(v, ScalarNode)), None) if isinstance(node, MappingNode) else None
    fields = reader.mapping(node, f"source '{named}'" if named else "source", allowed, ("id", "kind"))
    if not fields:
        return None
    before = len(reader.problems)
    source_id = reader.string(fields["id"][1], "source", "id") if "id" in fields else None
    where = f"source '{source_id}'" if source_id else "source"
    if source_id is not None and not _IDENT.match(source_id):
        reader.problem(fields["id"][1], f"{where}: id may only hold letters, digits, '-', '_' and '.'", "e.g. id: binnenlands-bestuur")
    kind = reader.string(fields["kind"][1], where, "kind") if "kind" in fields else None
    if kind is not None and kind not in SOURCE_KINDS:
        close = _closest(kind, SOURCE_KINDS)
        reader.problem(fields["kind"][1], f"{where}: unknown kind '{kind}'", f"did you mean '{close}'?" if close else f"use one of: {', '.join(SOURCE_KINDS)}")
        kind = None
    url = None
    for key in ("url", "base_url"):
        if key in fields:
            url = reader.string(fields[key][1], where, key)
            if url is not None and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
                reader.problem(fields[key][1], f"{where}: '{url}' is not a web address", "it must start with https:// (or http://)")
                url = None
    if url is None and kind == "tk":
        url = TK_DEFAULT_BASE_URL
    if url is None and kind == "feed" and "url" not in fields and "base_url" not in fields:
        reader.problem(node, f"{where}: missing 'url'", "add the feed's address, e.g. url: https://www.skipr.nl/feed/")
    every = DEFAULT_EVERY.get(kind or "feed", 1800)
    if "every" in fields:
        every = reader.duration(fields["every"][1], where, "every") or every
    label = reader.string(fields["label"][1], where, "label") if "label" in fields else None
    since_days = 60
    if "since_days" in fields:
        since_days = reader.integer(fields["since_days"][1], where, "since_days", minimum=1) or 60
    enabled = True
    if "enabled" in fields:
        enabled = bool(reader.boolean(fields["enabled"][1], where, "enabled"))
    if len(reader.problems) > before or source_id is None or kind is None or url is None:
        return None
    return SourceConfig(source_id, kind, url, every, label, since_days, enabled, node.start_mark.line + 1)


def _read_email(reader: _Reader, node: Node) -> EmailConfig | None:
    fields = reader.mapping(node, "email", ("from", "smtp", "reply_to", "unsubscribe", "max_html_kb"), ("from", "smtp"))
    if not fields:
        return None
    sender = reader.string(fields["from"][1], "email", "from") if "from" in fields else None
    if sender and not _EMAIL.match(parseaddr(sender)[1] or ""):
        reader.problem(
            fields["from"][1],
            f"email: '{sender}' is not an email address",
            'e.g. from: monitor@gemeente.nl, or with a name: from: "Lobbymonitor <monitor@gemeente.nl>"',
        )
    smtp = None
    if "smtp" in fields:
        snode = fields["smtp"][1]
        sf = reader.mapping(snode, "email.smtp", ("host", "port", "security", "username", "password_env", "password", "timeout", "auth", "oauth2", "token_env"), ("host",))
        if "password" in sf:
            reader.problem(sf["password"][0], "email.smtp: a password must never be written in a file", "remove it and set password_env: MONITOR_SMTP_PASSWORD, then export that variable")
        host = reader.string(sf["host"][1], "email.smtp", "host") if "host" in sf else None
        smtp = SmtpConfig(host=host or "")
        if "port" in sf:
            smtp.port = reader.integer(sf["port"][1], "email.smtp", "port", minimum=1) or smtp.port
        if "security" in sf:
            security = reader.string(sf["security"][1], "email.smtp", "security")
            if security not in ("starttls", "ssl", "none"):
                reader.problem(sf["security"][1], f"email.smtp: security must be starttls, ssl or none, not '{security}'")
            else:
                smtp.security = security
        if "username" in sf:
            smtp.username = reader.string(sf["username"][1], "email.smtp", "username")
        if "password_env" in sf:
            smtp.password_env = reader.string(sf["password_env"][1], "email.smtp", "password_env")
        if "timeout" in sf:
            smtp.timeout = reader.integer(sf["timeout"][1], "email.smtp", "timeout", minimum=1) or smtp.timeout
        _read_smtp_auth(reader, snode, sf, smtp)
    config = EmailConfig(sender=sender or "", smtp=smtp or SmtpConfig(host=""))
    for key in ("reply_to", "unsubscribe"):
        if key in fields:
            setattr(config, key, reader.string(fields[key][1], "email", key))
    if "max_html_kb" in fields:
        config.max_html_kb = reader.integer(fields["max_html_kb"][1], "email", "max_html_kb", minimum=20) or config.max_html_kb
    return config


def _read_smtp_auth(reader: _Reader, node: Node, sf: dict[str, tuple[Node, Node]], smtp: SmtpConfig) -> None:
    """email.smtp's sign-in: auth (password | oauth2 | bearer), the oauth2 app, token_env."""
    if "auth" in sf:
        auth = reader.string(sf["auth"][1], "email.smtp", "auth")
        if auth not in ("password", "oauth2", "bearer"):
            reader.problem(sf["auth"][1], f"email.smtp: auth must be password, oauth2 or bearer, not '{auth}'", "Microsoft 365: auth: oauth2 with an oauth2: {tenant_id: ..., client_id: ...} block")
            return
        smtp.auth = auth
    if "oauth2" in sf:
        onode = sf["oauth2"][1]
        if smtp.auth != "oauth2":
            reader.problem(sf["oauth2"][0], f"email.smtp: an oauth2 block, but auth is {smtp.auth}", "add auth: oauth2 to sign in with it")
        of = reader.mapping(onode, "email.smtp.oauth2", ("tenant_id", "client_id", "client_secret_env", "client_secret", "authority_host", "scope"), ("tenant_id", "client_id"))
        if "client_secret" in of:
            reader.problem(of["client_secret"][0], "email.smtp.oauth2: a client secret must never be written in a file", "remove it and set client_secret_env: MONITOR_SMTP_CLIENT_SECRET, then export that variable")
        values = {key: reader.string(of[key][1], "email.smtp.oauth2", key) for key in ("tenant_id", "client_id", "client_secret_env", "authority_host", "scope") if key in of}
        if values.get("tenant_id") and values.get("client_id"):
            smtp.oauth2 = OAuth2Config(**{k: v for k, v in values.items() if v})
    elif smtp.auth == "oauth2":
        reader.problem(sf["auth"][1], "email.smtp: auth: oauth2 needs an oauth2 block", "add oauth2: {tenant_id: ..., client_id: ..., client_secret_env: MONITOR_SMTP_CLIENT_SECRET}")
    if "token_env" in sf:
        smtp.token_env = reader.string(sf["token_env"][1], "email.smtp", "token_env")
        if smtp.auth != "bearer":
            reader.problem(sf["token_env"][0], f"email.smtp: token_env is for auth: bearer, but auth is {smtp.auth}", "add auth: bearer, or remove token_env")
    if smtp.auth in ("oauth2", "bearer") and not smtp.username:
        reader.problem(sf["auth"][1] if "auth" in sf else node, f"email.smtp: auth: {smtp.auth} needs the mailbox to sign in as", "add username: monitor@gemeente.nl (the mailbox the app may send as)")


def _read_digest(reader: _Reader, node: Node) -> DigestConfig:
    fields = reader.mapping(node, "digest", ("time", "send_empty", "horizon_days"))
    config = DigestConfig()
    if "time" in fields:
        value = fields["time"][1]
        text = str(value.value) if isinstance(value, ScalarNode) else ""
        if isinstance(value, ScalarNode) and value.tag.endswith(":int"):
            # YAML 1.1 reads an unquoted 07:00 as a base-60 number; the text as written is what was meant.
            text = value.value
        if not re.match(r"^([01]?\d|2[0-3]):[0-5]\d$", text):
            reader.problem(value, f"digest: time must be HH:MM, not '{text}'", "e.g. time: '07:00'")
        else:
            config.time = text.zfill(5)
    if "send_empty" in fields:
        config.send_empty = bool(reader.boolean(fields["send_empty"][1], "digest", "send_empty"))
    if "horizon_days" in fields:
        config.horizon_days = reader.integer(fields["horizon_days"][1], "digest", "horizon_days", minimum=1) or config.horizon_days
    return config


def _read_calendar(reader: _Reader, node: Node) -> CalendarConfig:
    fields = reader.mapping(node, "calendar", ("serve", "host", "port", "reminder"))
    config = CalendarConfig()
    if "serve" in fields:
        config.serve = bool(reader.boolean(fields["serve"][1], "calendar", "serve"))
    if "host" in fields:
        config.host = reader.string(fields["host"][1], "calendar", "host") or config.host
    if "port" in fields:
        config.port = reader.integer(fields["port"][1], "calendar", "port", minimum=1) or config.port
    if "reminder" in fields:
        config.reminder = _reminder_time(reader, fields["reminder"][1])
    return config


def _read_export(reader: _Reader, node: Node, directory: Path) -> ExportConfig:
    fields = reader.mapping(node, "export", ("template",))
    config = ExportConfig()
    if "template" in fields:
        text = reader.string(fields["template"][1], "export", "template")
        if text:
            template = directory / Path(text).expanduser()
            if not template.is_file():
                reader.problem(fields["template"][1], f"export: the Word template {template} does not exist",
                               "give the path of a .docx or .dotx, relative to sources.yaml, e.g. template: huisstijl.dotx")
            config.template = template
    return config


def _reminder_time(reader: _Reader, node: Node) -> time | None:
    """'09:00' -> 09:00; false -> no reminders. Read as written: YAML would take 09:00 for 540."""
    hint = 'e.g. reminder: "09:00" (on the working day before a deadline), or reminder: false'
    if not isinstance(node, ScalarNode):
        reader.problem(node, "calendar: 'reminder' must be a time of day or false", hint)
        return None
    text = node.value.strip()
    if text.lower() in ("false", "no", "off"):
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        reader.problem(node, f"calendar: cannot read reminder {text!r} as a time of day", hint)
        return None


def _read_http(reader: _Reader, node: Node) -> HttpConfig:
    fields = reader.mapping(node, "http", ("timeout", "max_bytes", "retries", "concurrency", "contact"))
    config = HttpConfig()
    if "timeout" in fields:
        config.timeout = reader.number(fields["timeout"][1], "http", "timeout") or config.timeout
    if "max_bytes" in fields:
        config.max_bytes = reader.integer(fields["max_bytes"][1], "http", "max_bytes", minimum=1024) or config.max_bytes
    if "retries" in fields:
        value = reader.integer(fields["retries"][1], "http", "retries", minimum=0)
        config.retries = config.retries if value is None else value
    if "concurrency" in fields:
        config.concurrency = reader.integer(fields["concurrency"][1], "http", "concurrency", minimum=1) or config.concurrency
    if "contact" in fields:
        config.contact = reader.string(fields["contact"][1], "http", "contact")
    return config


# ---------------------------------------------------------------------------- rules.yaml


def load_rules(path: str | Path, source_ids: set[str] | None = None) -> RulesConfig:
    """Read and validate rules.yaml; raise ConfigError listing every problem.

    With `source_ids`, a rule's `sources:` filter is checked against the configured sources.
    """
    path = Path(path)
    return parse_rules(_read_file(path), path, source_ids)


def parse_rules(text: str, path: str | Path, source_ids: set[str] | None = None) -> RulesConfig:
    """`load_rules` for text not (yet) on disk, e.g. an edit in the werkplek; problems name `path` and the text's lines."""
    path = Path(path)
    reader = _Reader(str(path))
    root = reader.load(text)
    if reader.problems:
        raise ConfigError(reader.problems)
    if root is None:
        raise ConfigError([Problem(str(path), 1, "the file is empty", "add a 'dossiers:' section")])
    top = reader.mapping(root, "rules.yaml", ("defaults", "dossiers"), ("dossiers",))
    lead_times = dict(DEFAULT_LEAD_TIMES)
    if "defaults" in top:
        defaults = reader.mapping(top["defaults"][1], "defaults", ("lead_times",))
        if "lead_times" in defaults:
            lead_times.update(_read_lead_times(reader, defaults["lead_times"][1], "defaults"))
    dossiers: dict[str, DossierConfig] = {}
    if "dossiers" in top:
        node = top["dossiers"][1]
        entries = reader.mapping(node, "dossiers", ())
        if isinstance(node, MappingNode) and not node.value:
            reader.problem(node, "'dossiers' is empty", "add at least one dossier with a title and rules")
        for dossier_id, (key_node, value_node) in entries.items():
            if not _IDENT.match(dossier_id):
                reader.problem(key_node, f"dossier id '{dossier_id}' may only hold letters, digits, '-', '_' and '.'", "e.g. jeugd or beschermd-wonen")
                continue
            dossier = _read_dossier(reader, dossier_id, value_node, lead_times, source_ids)
            if dossier is not None:
                dossier.line = key_node.start_mark.line + 1
                dossiers[dossier_id] = dossier
    if reader.problems:
        raise ConfigError(reader.problems)
    version = _rules_version(dossiers, lead_times)
    return RulesConfig(dossiers=dossiers, lead_times=lead_times, version=version, path=str(path))


def _read_lead_times(reader: _Reader, node: Node, where: str) -> dict[str, int]:
    fields = reader.mapping(node, f"{where}.lead_times", MOMENT_KINDS)
    out = {}
    for key, (_, value_node) in fields.items():
        value = reader.integer(value_node, f"{where}.lead_times", key, minimum=0)
        if value is not None:
            if value > 60:
                reader.problem(value_node, f"{where}.lead_times: {key}: {value} working days is more than we accept (60)", "lead times are counted in working days before the meeting")
                continue
            out[key] = value
    return out


def _read_dossier(
    reader: _Reader, dossier_id: str, node: Node, default_lead: dict[str, int], source_ids: set[str] | None
) -> DossierConfig | None:
    where = f"dossier '{dossier_id}'"
    allowed = ("title", "rules", "exclude", "recipients", "lead_times", "woordvoerders", "spoed")
    fields = reader.mapping(node, where, allowed, ("rules",))
    if not fields and not (isinstance(node, MappingNode) and node.value == []):
        return None
    title = reader.string(fields["title"][1], where, "title") if "title" in fields else dossier_id
    rules: list[RuleConfig] = []
    if "rules" in fields:
        rules_node = fields["rules"][1]
        if not isinstance(rules_node, SequenceNode):
            reader.problem(rules_node, f"{where}: 'rules' must be a list of '- name: ... query: ...' entries")
        elif not rules_node.value:
            reader.problem(rules_node, f"{where} has no rules", "add at least one rule: - name: kern\n      query: jeugdzorg OR jeugdhulp")
        else:
            names: dict[str, int] = {}
            for rule_node in rules_node.value:
                rule = _read_rule(reader, where, rule_node, source_ids)
                if rule is None:
                    continue
                if rule.name in names:
                    reader.problem(rule_node, f"{where}: rule name '{rule.name}' is used twice (first on line {names[rule.name]})", "give each rule of a dossier its own name")
                    continue
                names[rule.name] = rule.line or 0
                rules.append(rule)
    exclude = exclude_ast = None
    if "exclude" in fields:
        exclude = reader.string(fields["exclude"][1], where, "exclude")
        if exclude is not None:
            exclude_ast = _parse(reader, fields["exclude"][1], f"{where}, exclude", exclude, allow_pure_not=False)
    recipients: list[str] = []
    if "recipients" in fields:
        recipients = _read_recipients(reader, fields["recipients"][1], where)
    spoed = SPOED_KINDS
    if "spoed" in fields:
        spoed = _read_spoed(reader, fields["spoed"][1], where)
    lead_times = dict(default_lead)
    if "lead_times" in fields:
        lead_times.update(_read_lead_times(reader, fields["lead_times"][1], where))
    overrides = WoordvoerderOverrides()
    if "woordvoerders" in fields:
        wf = reader.mapping(fields["woordvoerders"][1], f"{where}.woordvoerders", ("pin", "exclude"))
        if "pin" in wf:
            overrides.pin = reader.string_list(wf["pin"][1], f"{where}.woordvoerders", "pin") or []
        if "exclude" in wf:
            overrides.exclude = reader.string_list(wf["exclude"][1], f"{where}.woordvoerders", "exclude") or []
    return DossierConfig(dossier_id, title or dossier_id, rules, exclude, exclude_ast, recipients, lead_times, overrides, spoed=spoed)


def _read_recipients(reader: _Reader, node: Node, where: str) -> list[str]:
    """Email addresses and Apprise webhook URLs, each checked on its own line."""
    if isinstance(node, SequenceNode):
        found = [(child, reader.string(child, where, "recipients")) for child in node.value]
    else:
        found = [(node, value) for value in reader.string_list(node, where, "recipients") or []]
    recipients: list[str] = []
    for child, address in found:
        if address is None:
            continue
        recipients.append(address)
        if "://" in address:
            # Imported only when a webhook is configured: Apprise loads its plugins on import.
            from .deliver.webhook import check_url

            problem = check_url(address)
            if problem is not None:
                message, hint = problem
                reader.problem(child, f"{where}: {message}", hint)
        elif not _EMAIL.match(address):
            reader.problem(child, f"{where}: '{address}' is not an email address", "write an address (naam@gemeente.nl) or a webhook URL (e.g. jsons://host/path)")
    return recipients


def _read_spoed(reader: _Reader, node: Node, where: str) -> tuple[str, ...]:
    """`spoed: true|false` or a list of the kinds of change that warrant a spoedmelding."""
    hint = f"write spoed: true, spoed: false or a list of: {', '.join(SPOED_KINDS)}"
    if isinstance(node, ScalarNode) and isinstance(_constructor.construct_object(node), bool):
        return SPOED_KINDS if _constructor.construct_object(node) else ()
    if not isinstance(node, SequenceNode):
        reader.problem(node, f"{where}: 'spoed' must be true, false or a list, not {_describe(node)}", hint)
        return SPOED_KINDS
    kinds: list[str] = []
    for child in node.value:
        kind = reader.string(child, where, "spoed")
        if kind is None:
            continue
        if kind not in SPOED_KINDS:
            close = _closest(kind, SPOED_KINDS)
            reader.problem(child, f"{where}: unknown spoed kind '{kind}'", f"did you mean '{close}'?" if close else hint)
        elif kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def _read_rule(reader: _Reader, where: str, node: Node, source_ids: set[str] | None) -> RuleConfig | None:
    fields = reader.mapping(node, f"{where}, rule", ("name", "query", "priority", "kinds", "sources"), ("name", "query"))
    if not fields:
        return None
    before = len(reader.problems)
    name = reader.string(fields["name"][1], f"{where}, rule", "name") if "name" in fields else None
    rwhere = f"{where}, rule '{name}'" if name else f"{where}, rule"
    query = reader.string(fields["query"][1], rwhere, "query") if "query" in fields else None
    ast = None
    if query is not None:
        if not query.strip():
            reader.problem(fields["query"][1], f"{rwhere}: the query is empty", "write the words to look for, e.g. query: jeugdzorg OR jeugdhulp")
        else:
            ast = _parse(reader, fields["query"][1], rwhere, query, allow_pure_not=False)
    priority = None
    if "priority" in fields:
        priority = reader.string(fields["priority"][1], rwhere, "priority")
        if priority is not None and priority not in PRIORITIES:
            reader.problem(fields["priority"][1], f"{rwhere}: priority must be one of {', '.join(PRIORITIES)}, not '{priority}'")
    kinds = None
    if "kinds" in fields:
        kinds = reader.string_list(fields["kinds"][1], rwhere, "kinds")
        for kind in kinds or []:
            if kind not in ITEM_KINDS:
                close = _closest(kind, ITEM_KINDS)
                reader.problem(fields["kinds"][1], f"{rwhere}: unknown item kind '{kind}'", f"did you mean '{close}'?" if close else f"use: {', '.join(ITEM_KINDS)}")
    sources = None
    if "sources" in fields:
        sources = reader.string_list(fields["sources"][1], rwhere, "sources")
        if source_ids is not None:
            for source in sources or []:
                if source not in source_ids:
                    close = _closest(source, tuple(sorted(source_ids)))
                    reader.problem(fields["sources"][1], f"{rwhere}: there is no source '{source}' in sources.yaml", f"did you mean '{close}'?" if close else f"known sources: {', '.join(sorted(source_ids))}")
    if len(reader.problems) > before or name is None or ast is None:
        return None
    return RuleConfig(name, query, ast, priority, kinds, sources, node.start_mark.line + 1)


def _parse(reader: _Reader, node: Node, where: str, query: str, allow_pure_not: bool) -> Any:
    # Imported here so the typed config (HttpConfig, SourceConfig) stays importable without
    # loading the rule engine, e.g. by the HTTP client.
    from .rules.query import QueryError, parse_query

    try:
        return parse_query(query)
    except QueryError as exc:
        caret = " " * max(exc.position, 0) + "^"
        reader.problem(node, f"{where}: {exc.message}", exc.hint, detail=f"{query}\n{caret}")
        return None


def _rules_version(dossiers: dict[str, DossierConfig], lead_times: dict[str, int]) -> str:
    # Only what changes match results counts: editing a title or a recipient must not
    # trigger a re-match of the whole history.
    canonical = {
        d.id: {
            "exclude": d.exclude,
            "rules": [[r.name, r.query, r.priority, r.kinds, r.sources] for r in d.rules],
        }
        for d in dossiers.values()
    }
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------- both


def load_config(directory: str | Path) -> Config:
    """Load sources.yaml and rules.yaml from `directory`, reporting problems of both at once."""
    directory = Path(directory)
    problems: list[Problem] = []
    sources = rules = None
    try:
        sources = load_sources(directory / "sources.yaml")
    except ConfigError as exc:
        problems.extend(exc.problems)
    try:
        ids = {s.id for s in sources.sources} if sources else None
        rules = load_rules(directory / "rules.yaml", ids)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems or sources is None or rules is None:
        raise ConfigError(problems)
    return Config(sources=sources, rules=rules, directory=directory)
