"""The daily digest: per recipient, their part of the briefing that is new for them, by email.

The digest is the Lobbymemo of `monitor.briefing`, narrowed to a recipient's dossiers and to
what they have not seen: *Actie nodig* (every action with a deadline in the coming weeks, the
ones they have not seen marked nieuw), *Gewijzigd*, per dossier *Nieuw in de Kamer* and *In de
media*, *Agenda komende weken*, and *Bronnen* when a source fails. It is laid out by
`monitor.render.layout` and printed as text and HTML, like the report.

What is "new" for a recipient is decided by coverage, not by dates: an item appears in one digest
only (`digest_covered`), changes are read from the change log past a per-recipient cursor, and
an item that arrived after the recipient's first digest is new however old its own date is. Only
the very first digest (or a brand-new recipient) limits itself to the last `FIRST_LOOKBACK_DAYS`
by the item's own date, so a fresh install does not mail sixty days of history.

Library API (the pipeline wires these): `build_digests`, `render_digest`, `prepare_digests`,
`send_pending`, `run_digest`, `recipients_for`, `audit`; `mail_parts`/`digest_message` keep
the HTML part under Gmail's clipping size.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import wording
from ..briefing import Briefing, Scope, build_briefing
from ..render import layout
from ..render.html import to_html
from ..render.text import to_text
from ..timeutil import AMS, iso, to_local
from . import outbox, webhook
from .mail import MailError, build_message, connect as smtp_connect, describe_error, sender_address

if TYPE_CHECKING:
    from email.message import EmailMessage

    from ..config import Config, EmailConfig, RulesConfig, SmtpConfig
    from ..models import Item, Match
    from ..store import Store, View

log = logging.getLogger(__name__)

FIRST_LOOKBACK_DAYS = 7
COVERAGE_LOOKBACK_DAYS = 30  # items first seen this long before the last digest may still be uncovered (a rules change)
MAX_ATTEMPTS = 10


# ---------------------------------------------------------------------------- recipients


def recipients_for(rules: RulesConfig, only: str | None = None) -> dict[str, list[str]]:
    """Recipient address -> their dossier ids (rules.yaml order).

    With `only`, just that address; an address that is no configured recipient gets every
    dossier (handy for `monitor digest --to me@example.nl` as a test). A webhook recipient is
    named by its secret-free key (`webhook.recipient_key`), never by its URL.
    """
    mapping: dict[str, list[str]] = {}
    for dossier in rules.dossiers.values():
        for address in dossier.recipients:
            mapping.setdefault(recipient_id(address), []).append(dossier.id)
    if only is not None:
        key = recipient_id(only)
        return {key: mapping.get(key) or list(rules.dossiers)}
    return mapping


def recipient_id(address: str) -> str:
    """How the outbox names a recipient: an email address in lower case, a webhook by its key."""
    address = address.strip()
    if address.startswith(webhook.KEY_PREFIX):
        return address
    return webhook.recipient_key(address) if webhook.is_webhook(address) else address.lower()


# ---------------------------------------------------------------------------- the digest model


@dataclass
class Digest:
    """One recipient's digest at one moment: their briefing, and what it covers."""

    recipient: str
    briefing: Briefing
    new_actions: set[str]  # action keys (meetings) with a moment the recipient has not seen
    covers: list[str]  # coverage keys: 'moment:<id>:<deadline>', 'item:<id>'
    first_at: str | None
    horizon_days: int
    spoed: dict[str, str] = field(default_factory=dict)  # entry key -> when a spoedmelding about it went out (since the last digest)

    @property
    def now(self) -> datetime:
        return self.briefing.as_of

    @property
    def change_cursor(self) -> int:
        return self.briefing.change_cursor

    @property
    def has_news(self) -> bool:
        """A new or due action, a change or news: worth a mail even when one went out today."""
        today = self.now.date()
        urgent = any(a.key in self.new_actions or a.deadline == today for a in self.briefing.actions)
        return bool(urgent or self.briefing.changed or self.briefing.news_count)

    @property
    def is_empty(self) -> bool:
        """Nothing worth a mail: no new or due action, no change, no news, no source problem."""
        return not (self.has_news or self.briefing.problems)

    def subject(self) -> str:
        """'Lobbymonitor do 3 dec: 2 acties, 1 wijziging, 4 nieuw'."""
        b = self.briefing
        return wording.digest_subject(self.now, len(b.actions), len(b.changed), b.news_count, len(b.problems))

    def audit_lines(self) -> list[tuple[str, str | None, str, str, str | None]]:
        """(section, dossier, ref, title, reason) per line, for the audit table."""
        b = self.briefing
        out: list[tuple[str, str | None, str, str, str | None]] = []
        for action in b.actions:
            for moment in action.moments:
                out.append((wording.SECTION_ACTIONS, moment.dossiers[0] if moment.dossiers else None, moment.id, wording.action_line(moment) + " · " + wording.meeting_name(moment.meeting), "; ".join(action.entry.triggers) or None))
        for entry in b.changed:
            title = wording.meeting_name(entry.meeting) if hasattr(entry, "meeting") else (wording.zaak_title(entry.zaak) if entry.zaak else entry.key)
            out.append((wording.SECTION_CHANGED, entry.dossiers[0] if entry.dossiers else None, entry.key, title, "; ".join(wording.update_phrase(u) for u in entry.updates)))
        for news in b.news:
            for kamer in news.kamer:
                title = wording.zaak_title(kamer.zaak) if kamer.zaak else (kamer.document.onderwerp if kamer.document else kamer.key)
                out.append((wording.SECTION_KAMER, news.id, kamer.key, layout.clean(title, 300), _why(kamer.reasons)))
            for press in news.press:
                out.append((wording.SECTION_PRESS, news.id, press.key, layout.clean(press.item.title, 300), _why(press.reasons)))
        for entry in b.agenda:
            out.append((wording.SECTION_AGENDA_AHEAD, entry.dossiers[0] if entry.dossiers else None, entry.key, wording.meeting_name(entry.meeting), None))
        for status in b.problems:
            out.append((wording.SECTION_SOURCES, None, status.id, wording.source_name(status.id, status.label), wording.source_status(status.state, status.health)))
        return out


def _why(reasons: list[Any]) -> str | None:
    return "; ".join(wording.reason(r.title, r.rule, r.terms) for r in reasons) or None


# ---------------------------------------------------------------------------- building


def build_digests(
    view: View,
    config: Config,
    only: str | None = None,
    *,
    match_text: Callable[[Item], list[Match]] | None = None,
) -> list[Digest]:
    """Every recipient's digest as of `view.as_of` (or only `only`'s). Reads only.

    Recipients who are at the same point (the usual case: they all got yesterday's digest) share
    one briefing, narrowed to each one's dossiers.
    """
    now = view.as_of
    today = now.date()
    horizon = config.sources.digest.horizon_days
    mapping = recipients_for(config.rules, only)
    states = {r: _state(view, r) for r in mapping}
    groups: dict[tuple[Any, ...], list[str]] = {}
    for recipient, state in states.items():
        groups.setdefault((state["seen_after"], state["cursor"], state["changes_since"]), []).append(recipient)
    out: list[Digest] = []
    for (seen_after, cursor, changes_since), recipients in groups.items():
        dossiers = sorted({d for r in recipients for d in mapping[r]}, key=list(config.rules.dossiers).index)
        scope = Scope(
            agenda_from=today,
            agenda_to=today + timedelta(days=horizon),
            news_from=today - timedelta(days=FIRST_LOOKBACK_DAYS),
            news_to=today,
            seen_after=seen_after,
            changes_since=changes_since,
            changes_after_id=cursor,
            dossiers=dossiers,
        )
        shared = build_briefing(view, config, scope, match_text=match_text)
        for recipient in recipients:
            out.append(_digest(view, recipient, shared.narrow(mapping[recipient]), states[recipient]["first_at"], horizon))
    order = list(mapping)
    return sorted(out, key=lambda d: order.index(d.recipient))


def _state(view: View, recipient: str) -> dict[str, Any]:
    """Where a recipient stands (as of the view): their first digest, the change cursor, what to call new."""
    state = outbox.recipient_state(view.db, recipient, view.at)
    now = view.as_of
    if state is None:
        first_at = view.at
        return {"first_at": first_at, "seen_after": first_at, "cursor": None, "changes_since": iso(now - timedelta(days=FIRST_LOOKBACK_DAYS))}
    last = state.get("last_digest_at") or state["first_at"]
    floor = iso(to_local(last) - timedelta(days=COVERAGE_LOOKBACK_DAYS)) if last else state["first_at"]
    seen_after = max(state["first_at"], floor or "")
    cursor = state.get("change_cursor")
    return {
        "first_at": state["first_at"],
        "seen_after": seen_after,
        "cursor": cursor,
        "changes_since": None if cursor is not None else iso(now - timedelta(days=FIRST_LOOKBACK_DAYS)),
    }


def _digest(view: View, recipient: str, briefing: Briefing, first_at: str | None, horizon: int) -> Digest:
    """Leave out what earlier digests covered; mark the actions the recipient has not seen."""
    action_keys = {a.key: [_moment_key(m) for m in a.moments] for a in briefing.actions}
    item_keys = [f"item:{i}" for n in briefing.news for e in (*n.kamer, *n.press) for i in getattr(e, "item_ids", [e.key])]
    covered = outbox.covered_keys(view.db, recipient, [k for keys in action_keys.values() for k in keys] + item_keys, view.at)
    news = []
    changed = list(briefing.changed)
    for section in briefing.news:
        kamer = [e for e in section.kamer if any(f"item:{i}" not in covered for i in e.item_ids)]
        # A zaak an earlier digest showed, that changed since (a vote, an appreciatie): a change now.
        changed += [replace(e, new=False) for e in section.kamer if e not in kamer and e.updates]
        press = [e for e in section.press if f"item:{e.key}" not in covered]
        news.append(replace(section, kamer=kamer, press=press))
    # An owner's own actions come first (a user's email is their digest address), by deadline.
    actions = sorted(briefing.actions, key=lambda a: not any(m.work is not None and m.work.owner_email == recipient for m in a.moments))
    briefing = replace(briefing, news=news, closed=[], changed=changed, actions=actions)
    new_actions = {key for key, keys in action_keys.items() if any(k not in covered for k in keys)}
    covers = [k for keys in action_keys.values() for k in keys]
    covers += [f"item:{i}" for n in briefing.news for e in n.kamer for i in e.item_ids] + [f"item:{e.key}" for n in briefing.news for e in n.press]
    from .alerts import sent_since_last_digest  # noqa: PLC0415 - alerts builds on this module

    return Digest(recipient, briefing, new_actions, covers, first_at, horizon, sent_since_last_digest(view.db, recipient, view.at))


def _moment_key(moment: Any) -> str:
    return f"moment:{moment.id}:{moment.deadline.isoformat() if moment.deadline else 'geen'}"


# ---------------------------------------------------------------------------- rendering


def document(digest: Digest) -> layout.Document:
    """The digest laid out: the same blocks as the report, its own selection and order."""
    b = digest.briefing
    titles = dict(b.dossiers)
    today = digest.now.date()
    action_keys = {a.key for a in b.actions}
    actions = []
    for action in b.actions:
        block = layout.action_block(action, titles, new=action.key in digest.new_actions)
        if action.deadline == today and "te laat" not in block.badges:
            block.badges.insert(0, "vandaag")
        actions.append(block)
    sections = [
        layout.Section(wording.SECTION_ACTIONS, [layout.Group(None, actions, f"Geen acties met een deadline in de komende {digest.horizon_days} dagen.")])
    ]
    if b.changed:
        sections.append(layout.Section(wording.SECTION_CHANGED, [layout.Group(None, [layout.changed_block(e, titles) for e in b.changed])]))
    sections += [s for s in layout.dossier_sections(b) if not all(g.heading is None and not g.blocks for g in s.groups)]
    agenda = [layout.agenda_block(e, titles, e.key in action_keys) for e in b.agenda]
    sections.append(layout.Section(wording.SECTION_AGENDA_AHEAD, [layout.Group(None, agenda, f"Geen vergaderingen over deze dossiers in de komende {digest.horizon_days} dagen.", table=True)]))
    problems = [layout.source_line(s) for s in b.problems]
    sources = [layout.Block("", lines=problems + [layout.Line(wording.STALE_NOTE, "muted")])] if problems else []
    sections.append(layout.Section(wording.SECTION_SOURCES, [layout.Group(None, sources, wording.ALL_SOURCES_OK)]))
    # A change a spoedmelding already told: say so where the digest shows it.
    for block in (bl for section in sections for group in section.groups for bl in group.blocks):
        if block.key in digest.spoed:
            block.lines.append(layout.Line(wording.spoed_sent(digest.spoed[block.key]), "note"))
    intro = wording.digest_intro(digest.recipient, [t for _, t in b.dossiers])
    subtitle = [intro] + ([wording.NOTHING_NEW_DIGEST] if digest.is_empty else [])
    return layout.Document(
        title=f"{wording.TITLE_DIGEST} — {wording.day(digest.now.date(), with_year=True)}",
        subtitle=subtitle,
        banner=layout.banner(b),
        sections=sections,
        footer=[wording.digest_footer(), wording.unsubscribe_hint()],
        preheader=wording.digest_preheader([a.moments[0] for a in b.actions], len(b.actions), len(b.changed), b.news_count, len(b.problems)),
    )


def render_digest(digest: Digest) -> tuple[str, str]:
    """(plain text, HTML with CSS inlined) of a digest, in full."""
    doc = document(digest)
    return to_text(doc), to_html(doc, mail=True)


@dataclass
class MailParts:
    """What goes into a digest mail: the text (always complete), the HTML body and, when the
    HTML would be too long for one mail, the full digest as an attachment (filename, HTML)."""

    text: str
    html: str
    attachment: tuple[str, str] | None = None
    moved: int = 0  # entries shown only in the attachment


def mail_parts(digest: Digest, max_html_bytes: int) -> MailParts:
    """The digest for a mail whose HTML part stays within `max_html_bytes`.

    Gmail clips a message whose HTML exceeds about 102 KB and hides the rest behind a link, where
    nobody reads it. A longer digest keeps as many entries, in reading order, as fit, ends with a
    line saying the rest is in the attachment, and carries the full digest as an HTML file. The
    plain-text part stays complete: no client clips it.
    """
    doc = document(digest)
    text, html = to_text(doc), to_html(doc, mail=True)
    if _size(html) <= max_html_bytes:
        return MailParts(text, html)
    filename = wording.digest_attachment_name(digest.now.date())
    total = sum(len(g.blocks) for s in doc.sections for g in s.groups)
    # The most entries that fit: the size grows with every entry kept, so a bisection finds it.
    low, high, best = 0, total - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = _cut(doc, middle, total, filename)
        if _size(candidate) <= max_html_bytes:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    kept = max(high, 0)
    if best is None:  # not even the head fits: send the head and the pointer anyway
        best = _cut(doc, 0, total, filename)
    # The attachment is opened in a browser: the page with its <style> block, not inlined.
    return MailParts(text, best, (filename, to_html(doc)), total - kept)


def _size(html: str) -> int:
    """Bytes of the HTML as the mail carries it (every line ends in CRLF on the wire)."""
    return len(html.encode("utf-8")) + html.count("\n")


def _cut(doc: layout.Document, keep: int, total: int, filename: str) -> str:
    """The mail HTML of `doc` with only its first `keep` entries and the line that points to the attachment."""
    sections: list[layout.Section] = []
    rest_sections: list[str] = []
    left = keep
    for section in doc.sections:
        groups = []
        for group in section.groups:
            shown = group.blocks[:left]
            left -= len(shown)
            if shown or (not group.blocks and left > 0):
                groups.append(replace(group, blocks=shown))
            if len(shown) < len(group.blocks) or (not group.blocks and left <= 0):
                if section.heading not in rest_sections:
                    rest_sections.append(section.heading)
        if groups:
            sections.append(replace(section, groups=groups))
    notice = layout.Block("", lines=[layout.Line(wording.digest_rest_in_attachment(total - keep, rest_sections, filename), "deadline")])
    sections.append(layout.Section(wording.SECTION_REST, [layout.Group(None, [notice])]))
    return to_html(replace(doc, sections=sections), mail=True)


def digest_message(email: EmailConfig, digest: Digest, recipient: str, subject: str, now: datetime) -> EmailMessage:
    """The MIME message of a digest, with its long tail in an attachment when needed (`mail_parts`)."""
    parts = mail_parts(digest, email.max_html_kb * 1024)
    return build_message(email, recipient, subject, parts.text, parts.html, now, attachment=parts.attachment)


# ---------------------------------------------------------------------------- outbox: queue and send


@dataclass
class Prepared:
    """A digest placed in the outbox (or skipped as empty)."""

    recipient: str
    outbox_id: str | None
    subject: str
    empty: bool
    lines: int


def prepare_digests(
    store: Store,
    config: Config,
    now: datetime,
    only: str | None = None,
    *,
    rematch: Callable[[Item], list[Match]] | None = None,
) -> list[Prepared]:
    """Build each recipient's digest and store it in the outbox, with what it covers, in one transaction.

    Empty digests are not queued unless `digest.send_empty` is set. The coverage is recorded at
    queue time, so the next digest starts where this one ended even if this one is still pending.
    """
    email = config.sources.email
    mapping = recipients_for(config.rules, only)
    if (email is None or not email.sender) and not all(webhook.is_webhook(r) for r in mapping):
        raise MailError("no email section in sources.yaml: add email: {from: ..., smtp: {host: ...}}")
    now = now.astimezone(AMS)
    at = iso(now) or ""
    results = []
    for digest in build_digests(store.view(now, rematch=rematch), config, only, match_text=rematch):
        recipient = digest.recipient
        channel = outbox.WEBHOOK if webhook.is_webhook(recipient) else outbox.MAIL
        state = outbox.recipient_state(store.db, recipient)
        recipient_row = {
            "recipient": recipient,
            "first_at": state["first_at"] if state else at,
            "change_cursor": digest.change_cursor,
            "last_digest_at": (state or {}).get("last_digest_at"),
        }
        last = to_local((state or {}).get("last_digest_at"))
        # A failing source or standing reminders are worth one mail a day, not one per `--send`.
        repeat_only = last is not None and last.date() == now.date() and not digest.has_news
        if (digest.is_empty and not config.sources.digest.send_empty) or repeat_only:
            # Nothing to say; still move the change cursor past the irrelevant changes.
            with store.transaction():
                store.db["digest_recipients"].upsert(recipient_row, pk="recipient")
            results.append(Prepared(recipient, None, digest.subject(), True, 0))
            continue
        if channel == outbox.WEBHOOK:
            body, message_id = webhook.render_digest(digest).to_json(), None
        else:
            assert email is not None
            message = digest_message(email, digest, recipient, digest.subject(), now)
            body, message_id = message.as_string(), message["Message-ID"]
        outbox_id = uuid.uuid4().hex
        lines = digest.audit_lines()
        with store.transaction():
            store.db["digest_outbox"].insert(
                {
                    "id": outbox_id,
                    "recipient": recipient,
                    "subject": digest.subject(),
                    "message_id": message_id,
                    "created_at": at,
                    "status": outbox.PENDING,
                    "attempts": 0,
                    "last_attempt": None,
                    "last_error": None,
                    "sent_at": None,
                    "empty": int(digest.is_empty),
                    "message": body,
                    "channel": channel,
                    "kind": outbox.DIGEST,
                }
            )
            covered = [{"recipient": recipient, "key": key, "outbox_id": outbox_id, "at": at} for key in dict.fromkeys(digest.covers)]
            # Actions repeat daily by design; re-covering a known moment is not an error.
            if covered:
                store.db["digest_covered"].upsert_all(covered, pk=("recipient", "key"))
            store.db["digest_audit"].insert_all(
                {"outbox_id": outbox_id, "recipient": recipient, "at": at, "section": section, "dossier": dossier, "ref": ref, "title": title, "reason": reason}
                for section, dossier, ref, title, reason in lines
            )
            recipient_row["last_digest_at"] = at
            store.db["digest_recipients"].upsert(recipient_row, pk="recipient")
            outbox.log_event(store.db, outbox_id, at, "queued", f"{len(lines)} regels")
        results.append(Prepared(recipient, outbox_id, digest.subject(), digest.is_empty, len(lines)))
    return results


@dataclass
class SendResult:
    """What one `send_pending` did."""

    sent: list[str] = field(default_factory=list)  # outbox ids
    failed: list[tuple[str, str]] = field(default_factory=list)  # (outbox id, error)
    gave_up: list[str] = field(default_factory=list)
    recipients: dict[str, str] = field(default_factory=dict)  # outbox id -> recipient, of the failed ones
    error: str | None = None  # a connection-level error (nothing could be sent)


def send_pending(
    store: Store,
    email: EmailConfig,
    now: datetime | None = None,
    connect: Callable[[SmtpConfig], Any] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    only_ids: Collection[str] | None = None,
) -> SendResult:
    """Send every pending digest (or only those in `only_ids`); mark each sent only after the server accepted it.

    A refused message stays pending (retried next time) until `max_attempts`, then `failed`
    (kept, never deleted). A connection failure leaves everything pending. `connect` opens the
    SMTP connection (default: `mail.connect`, from sources.yaml).
    """
    from ..timeutil import now as current

    result = SendResult()
    rows = [row for row in outbox.pending(store.db) if only_ids is None or row["id"] in only_ids]
    if not rows:
        return result
    at = iso(now or current())
    try:
        client = (connect or smtp_connect)(email.smtp)
    except (OSError, smtplib.SMTPException, MailError) as exc:
        result.error = describe_error(exc) if not isinstance(exc, MailError) else str(exc)
        log.warning("digest: cannot reach the mail server: %s", result.error)
        with store.transaction():
            for row in rows:
                _record_failure(store, row, at, result.error, max_attempts, result)
        return result
    envelope_from = sender_address(email)
    try:
        for row in rows:
            try:
                refused = client.sendmail(envelope_from, [row["recipient"]], row["message"].encode("utf-8"))
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                error = describe_error(exc)
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                break  # the connection is gone; the rest stays pending untouched
            except smtplib.SMTPException as exc:
                error = describe_error(exc)
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                continue
            if refused:
                error = "recipient refused: " + "; ".join(f"{a}: {c}" for a, (c, _) in refused.items())
                with store.transaction():
                    _record_failure(store, row, at, error, max_attempts, result)
                continue
            # The server has taken responsibility for the message: only now is it "sent".
            with store.transaction():
                store.db["digest_outbox"].update(
                    row["id"], {"status": outbox.SENT, "sent_at": at, "attempts": row["attempts"] + 1, "last_attempt": at, "last_error": None}
                )
                outbox.log_event(store.db, row["id"], at, "sent", row["recipient"])
            result.sent.append(row["id"])
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return result


def _record_failure(store: Store, row: dict[str, Any], at: str, error: str, max_attempts: int, result: SendResult) -> None:
    attempts = int(row["attempts"] or 0) + 1
    status = outbox.FAILED if attempts >= max_attempts else outbox.PENDING
    store.db["digest_outbox"].update(row["id"], {"attempts": attempts, "last_attempt": at, "last_error": error, "status": status})
    outbox.log_event(store.db, row["id"], at, "gave up" if status == outbox.FAILED else "failed", error)
    result.failed.append((row["id"], error))
    result.recipients[row["id"]] = row["recipient"]
    if status == outbox.FAILED:
        result.gave_up.append(row["id"])


@dataclass
class Failure:
    """A digest the mail server did not take."""

    outbox_id: str
    recipient: str
    error: str
    gave_up: bool  # True: no more attempts (kept in the outbox as failed)


@dataclass
class DigestRun:
    """`run_digest`'s outcome: what was queued and what was sent."""

    prepared: list[Prepared]
    retried: SendResult | None
    sent: SendResult | None
    webhooks: SendResult | None = None  # webhook messages: pending ones retried and today's, in one pass

    def _attempts(self) -> list[SendResult]:
        return [attempt for attempt in (self.retried, self.sent, self.webhooks) if attempt]

    @property
    def sent_ids(self) -> list[str]:
        """Outbox ids the server accepted in this run (earlier pending ones and today's)."""
        return [i for attempt in self._attempts() for i in attempt.sent]

    @property
    def failures(self) -> list[Failure]:
        """Every digest not taken in this run, with its recipient and why."""
        return [
            Failure(i, attempt.recipients.get(i, i), error, i in attempt.gave_up)
            for attempt in self._attempts()
            for i, error in attempt.failed
        ]

    @property
    def connection_error(self) -> str | None:
        """Why the mail server could not be reached at all, if so."""
        return next((attempt.error for attempt in self._attempts() if attempt.error), None)


def run_digest(
    store: Store,
    config: Config,
    now: datetime,
    send: bool = True,
    only: str | None = None,
    connect: Callable[[SmtpConfig], Any] | None = None,
    rematch: Callable[[Item], list[Match]] | None = None,
) -> DigestRun:
    """The daily job: retry what is pending, queue today's digests, send them.

    Retrying first keeps the order of mails the order of digests; each digest gets one attempt
    per run (the second send is only for the digests queued now).
    """
    email = config.sources.email
    if email is None and not all(webhook.is_webhook(r) for r in recipients_for(config.rules, only)):
        raise MailError("no email section in sources.yaml: add email: {from: ..., smtp: {host: ...}}")
    retried = send_pending(store, email, now, connect) if send and email is not None else None
    prepared = prepare_digests(store, config, now, only, rematch=rematch)
    queued = {p.outbox_id for p in prepared if p.outbox_id}
    sent = send_pending(store, email, now, connect, only_ids=queued) if send and email is not None else None
    # Webhooks need no connection to open first: what is pending (earlier failures, and today's) goes now, oldest first.
    hooks = webhook.send_pending(store, config.rules, now) if send else None
    return DigestRun(prepared, retried, sent, hooks)


def audit(store: Store, recipient: str) -> list[dict[str, Any]]:
    """What was sent to a recipient and why (one row per digest line, newest first)."""
    return outbox.sent_to(store.db, recipient_id(recipient))

