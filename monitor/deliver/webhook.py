"""Webhooks: a short Dutch digest (or a spoedmelding) to Teams, Slack, Mattermost or a JSON endpoint.

A dossier recipient in rules.yaml may be an Apprise URL (https://github.com/caronc/apprise)
instead of an email address: `workflows://…` (Teams Workflows), `https://hooks.slack.com/…` or
`slack://…`, `mmost://…`, or `json://` / `jsons://` for any endpoint that takes a JSON POST.
It goes through the same outbox as mail (`digest_outbox`, channel `webhook`), so it is sent
exactly once: the message is stored `pending` in the transaction that records what it covers,
and marked `sent` only when Apprise reports that the endpoint accepted it.

Webhook URLs carry their secret in the URL itself (a Slack token, a Teams signature). So the URL
is never stored, logged or shown: the outbox, the coverage and the audit name a webhook by its
*key*, `webhook:<scheme>://<host>/…#<hash>`, and the URL is looked up in rules.yaml at send time.
Errors reported by Apprise are redacted before they reach a log or the outbox.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import wording
from ..render.layout import clean, safe_url
from ..timeutil import iso
from . import outbox

if TYPE_CHECKING:
    from ..config import RulesConfig
    from ..store import Store
    from .digest import Digest, SendResult

log = logging.getLogger(__name__)

KEY_PREFIX = "webhook:"
MAX_ACTIONS = 10  # a webhook message is a glance, not the digest: the rest is "… en nog N"
MAX_CHANGES = 5
MAX_NEWS = 8
_PLAIN_HTTP = ("http", "https")


# ---------------------------------------------------------------------------- addresses


def is_webhook(recipient: str) -> bool:
    """True for an Apprise URL from rules.yaml or a webhook's outbox key; False for an email address."""
    return recipient.startswith(KEY_PREFIX) or "://" in recipient


def redact(url: str) -> str:
    """The URL without its secrets: 'jsons://hooks.example.nl/…' (scheme and host only)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(onleesbaar webhook-adres)"
    scheme = parts.scheme.lower() or "?"
    rest = "/…" if (parts.path.strip("/") or parts.query or parts.username or parts.password) else ""
    return f"{scheme}://{host}{port}{rest}"


def recipient_key(url: str) -> str:
    """The stable, secret-free name of a webhook recipient in the outbox, coverage and audit."""
    digest = hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:12]
    return f"{KEY_PREFIX}{redact(url)}#{digest}"


def redact_text(text: str, url: str) -> str:
    """`text` (an error message) with every secret part of `url` blanked out."""
    secrets = {url.strip()}
    try:
        parts = urlsplit(url.strip())
        secrets.update(p for p in parts.path.split("/") if p)
        secrets.update(v for _, v in parse_qsl(parts.query))
        secrets.update(s for s in (parts.username, parts.password) if s)
    except ValueError:
        pass
    # Longest first, so a whole URL goes before the path segments in it.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "…").replace(unquote(secret), "…")
    return text


def check_url(url: str) -> tuple[str, str | None] | None:
    """None when Apprise can send to `url`; else (problem, hint), both free of the URL's secrets."""
    import apprise  # noqa: PLC0415 - loads every plugin; only needed when webhooks are configured

    scheme = urlsplit(url.strip()).scheme.lower() if "://" in url else ""
    shown = redact(url)
    with _quiet():
        plugin = apprise.Apprise.instantiate(url.strip(), suppress_exceptions=True)
    if plugin is not None:
        return None
    if scheme in _PLAIN_HTTP:
        return (
            f"Apprise does not recognise the webhook address {shown}",
            f"for a plain JSON endpoint write json{'s' if scheme == 'https' else ''}://{shown.split('://', 1)[1]} "
            "(Slack and Teams Workflows addresses are recognised as they are)",
        )
    return (
        f"Apprise does not recognise the webhook address {shown} (unknown scheme '{scheme}' or parts missing)",
        "use an Apprise URL such as jsons://host/path, workflows://…, slack://… or mmost://… (see the README, Webhooks)",
    )


def urls_by_key(rules: RulesConfig) -> dict[str, str]:
    """Every webhook recipient in rules.yaml: key -> URL (the only place the URL is read)."""
    return {recipient_key(r): r.strip() for d in rules.dossiers.values() for r in d.recipients if is_webhook(r)}


# ---------------------------------------------------------------------------- the message


@dataclass
class Notification:
    """What Apprise sends: a title, a Markdown body and a type (info, or warning for a spoedmelding)."""

    title: str
    body: str
    type: str = "info"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Notification:
        return cls(**json.loads(text))


# Only what would turn source text into markup or a link; parentheses are harmless once ']' is escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def md(value: Any, limit: int = 200) -> str:
    """Source text made safe inside Markdown: cleaned, capped, its Markdown characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean(value, limit))


def link(text: Any, url: str | None) -> str:
    """'[text](url)' for an http(s) URL, else the escaped text alone."""
    safe = safe_url(url)
    return f"[{md(text)}]({safe.replace(')', '%29')})" if safe else md(text)


def render_digest(digest: Digest) -> Notification:
    """The short Dutch digest for a webhook: actions by deadline with links, changes, news, source trouble.

    Built from the same digest (and so the same briefing and words) as the mail; capped so a
    chat channel gets a glance, not the whole Lobbymemo.
    """
    b = digest.briefing
    today = digest.now.date()
    lines = [wording.webhook_dossiers([t for _, t in b.dossiers])]
    if digest.is_empty:
        lines.append(wording.NOTHING_NEW_DIGEST)
    if b.actions:
        lines += ["", f"**{wording.SECTION_ACTIONS}**"]
        for action in b.actions[:MAX_ACTIONS]:
            moment = action.moments[0]
            meeting = action.entry.meeting
            badges = []
            if action.deadline == today:
                badges.append("vandaag")
            if action.key in digest.new_actions:
                badges.append(wording.new_badge())
            badge = f" ({', '.join(badges)})" if badges else ""
            lines.append(f"- **{md(wording.action_line(moment))}**{badge}: {link(wording.meeting_name(meeting), meeting.url)} · {md(wording.meeting_when(meeting, with_year=False))}")
            lines += [f"  - {md(wording.update_phrase(u))}" for u in action.entry.updates]
            if action.key in digest.spoed:
                lines.append(f"  - {md(wording.spoed_sent(digest.spoed[action.key]))}")
        if len(b.actions) > MAX_ACTIONS:
            lines.append(md(wording.webhook_more(len(b.actions) - MAX_ACTIONS)))
    if b.changed:
        lines += ["", f"**{wording.SECTION_CHANGED}**"]
        for entry in b.changed[:MAX_CHANGES]:
            if hasattr(entry, "meeting"):
                title, url = wording.meeting_name(entry.meeting), entry.meeting.url
            else:
                title = wording.zaak_title(entry.zaak) if entry.zaak else (entry.document.onderwerp if entry.document else entry.key)
                url = entry.url
            phrases = "; ".join(wording.update_phrase(u) for u in entry.updates)
            note = f" {wording.spoed_sent(digest.spoed[entry.key])}" if entry.key in digest.spoed else ""
            lines.append(f"- {link(title, url)}: {md(phrases + note, 300)}")
        if len(b.changed) > MAX_CHANGES:
            lines.append(md(wording.webhook_more(len(b.changed) - MAX_CHANGES)))
    news = [(section, e) for section in b.news for e in section.kamer] + [(section, e) for section in b.news for e in section.press]
    if news:
        lines += ["", f"**{wording.SECTION_KAMER} / {wording.SECTION_PRESS}**"]
        for section, entry in news[:MAX_NEWS]:
            if hasattr(entry, "item"):
                title, url = entry.item.title, entry.item.url
            else:
                title = wording.zaak_title(entry.zaak) if entry.zaak else (entry.document.onderwerp if entry.document else entry.key)
                url = entry.url
            lines.append(f"- {link(title, url)} ({md(section.title)})")
        if len(news) > MAX_NEWS:
            lines.append(md(wording.webhook_more(len(news) - MAX_NEWS)))
    # Cancelled meetings leave the actions; one a spoedmelding was about is still worth a line.
    shown = {a.key for a in b.actions} | {e.key for e in b.changed}
    for entry in b.agenda:
        if entry.key in digest.spoed and entry.key not in shown:
            lines.append(f"- {link(wording.meeting_name(entry.meeting), entry.meeting.url)}: {md(wording.meeting_badge(entry.meeting, entry.deleted) or '')} {md(wording.spoed_sent(digest.spoed[entry.key]))}")
    if b.problems:
        lines += ["", f"**{wording.SECTION_SOURCES}**"]
        lines += [f"- {md(wording.source_name(s.id, s.label))}: {md(wording.source_status(s.state, s.health), 300)}" for s in b.problems]
    lines += ["", md(wording.webhook_footer())]
    return Notification(digest.subject(), "\n".join(lines), "warning" if b.problems else "info")


# ---------------------------------------------------------------------------- sending


def notify(url: str, notification: Notification) -> str | None:
    """Hand `notification` to the endpoint at `url` through Apprise; None on success, else the redacted reason."""
    import apprise  # noqa: PLC0415 - see check_url

    kind = apprise.NotifyType.WARNING if notification.type == "warning" else apprise.NotifyType.INFO
    # Apprise says why it failed only in its log: capture its warnings, and redact them.
    with _quiet(), apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            return f"Apprise does not recognise the webhook address {redact(url)}"
        try:
            ok = plugin.notify(body=notification.body, title=notification.title, body_format=apprise.NotifyFormat.MARKDOWN, notify_type=kind)
        except Exception as exc:  # a plugin bug must not cost the other messages their turn
            return redact_text(f"{type(exc).__name__}: {exc}", url)
        detail = captured.getvalue()
    if ok:
        return None
    reason = " ".join(detail.split()) or "the endpoint did not accept the message"
    return redact_text(reason, url)[:500]


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep Apprise's and urllib3's log records out of ours while they handle a webhook URL.

    Their debug lines quote the URL with its secret ("Loaded JSON URL: …", "POST /hook/<token>");
    what a reader needs (why it failed) we log ourselves, redacted.
    """
    loggers = [logging.getLogger(name) for name in ("apprise", "urllib3")]
    before = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, before):
            logger.propagate = propagate


def send_pending(
    store: Store,
    rules: RulesConfig,
    now: datetime | None = None,
    *,
    only_ids: Collection[str] | None = None,
    max_attempts: int | None = None,
    send: Callable[[str, Notification], str | None] = notify,
) -> SendResult:
    """Send every pending webhook message (or only `only_ids`); mark each sent only when Apprise reports success.

    A failure leaves the message pending (retried next time) until `max_attempts`, then `failed`,
    like mail. A webhook no longer in rules.yaml cannot be sent: that is recorded as a failure.
    """
    from ..timeutil import now as current  # noqa: PLC0415
    from .digest import MAX_ATTEMPTS, SendResult, _record_failure  # noqa: PLC0415 - digest imports this module

    result = SendResult()
    rows = [row for row in outbox.pending(store.db, outbox.WEBHOOK) if only_ids is None or row["id"] in only_ids]
    if not rows:
        return result
    at = iso(now or current()) or ""
    urls = urls_by_key(rules)
    for row in rows:
        url = urls.get(row["recipient"])
        if url is None:
            error = f"{row['recipient'].split('#')[0]} is no longer a recipient in rules.yaml"
        else:
            error = send(url, Notification.from_json(row["message"]))
        if error is not None:
            log.warning("webhook %s: not delivered: %s", row["recipient"], error)
            with store.transaction():
                _record_failure(store, row, at, error, max_attempts or MAX_ATTEMPTS, result)
            continue
        # Apprise reported that the endpoint took it: only now is it "sent".
        with store.transaction():
            store.db["digest_outbox"].update(
                row["id"], {"status": outbox.SENT, "sent_at": at, "attempts": (row["attempts"] or 0) + 1, "last_attempt": at, "last_error": None}
            )
            outbox.log_event(store.db, row["id"], at, "sent", row["recipient"])
        result.sent.append(row["id"])
    return result
