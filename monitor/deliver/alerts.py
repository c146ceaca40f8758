"""Spoedmeldingen: changes that cannot wait for the next digest, sent at once, exactly once.

After each fetch (`monitor run`, the scheduler's fetch job) `run_alerts` looks at the changes the
fetch brought and, per dossier as configured in rules.yaml (`spoed:`), alerts the dossier's
recipients — mail or webhook — when

- **verplaatst**: a meeting on the dossier moved, and its old or its new date is within two
  working days (today included);
- **geannuleerd**: a meeting on the dossier within two working days was cancelled, lapsed or
  taken off the Kamer's agenda;
- **stemmingslijst**: the Stemmingen of today got an agenda point more or less;
- **deadline_vandaag**: a change made a moment's deadline fall today (a meeting moved earlier,
  a new meeting whose deadline is today). A deadline that reaches today by the calendar alone is
  the digest's news, not an alert.

Exactly once: each alert has a key made of the change itself (kind, meeting, what it became).
Per recipient it is written to the outbox (`kind = spoed`) in the same transaction that records
the key in `digest_covered` and moves the checkpoint past the changes it looked at (the change
log's row id, `meta.spoed_change_id`, and the time, `meta.spoed_checked_at`); a later run sees the
key covered and queues nothing. It is marked sent only after
the mail server or the webhook took it; a failure stays pending and is retried by the next run.
The next digest says, on the entry concerned, "(spoedmelding verstuurd di 8 dec 14:05)".
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from .. import wording
from ..briefing import MeetingEntry, Scope, build_briefing
from ..models import Moment, UpdateKind
from ..render.layout import clean, safe_url
from ..timeutil import AMS, iso, to_local
from ..workdays import add_workdays
from . import outbox, webhook

if TYPE_CHECKING:
    from ..config import Config
    from ..models import Item, Match
    from ..store import Store, View
    from .digest import SendResult

log = logging.getLogger(__name__)

CHECKPOINT = "spoed_checked_at"
CURSOR = "spoed_change_id"
# Changes are stamped with their run's start time, and a run may wait for the lock another holds:
# the change-id cursor decides what is new, this margin on the time only bounds how far back a
# re-created meeting or a moment's history is looked at (coverage keys make a second look harmless).
MARGIN = timedelta(hours=1)
WINDOW_WORKDAYS = 2  # "within two working days": today, and up to two working days ahead
SECTION = "Spoedmelding"
_CANCELLED = (UpdateKind.CANCELLED, UpdateKind.LAPSED, UpdateKind.REMOVED)
_MOVED = (UpdateKind.MOVED, UpdateKind.AWAITING_DATE)
_AGENDA = (UpdateKind.AGENDA_ADDED, UpdateKind.AGENDA_DROPPED)


@dataclass
class Alert:
    """One change that warrants a spoedmelding, with the dossiers that want to hear about it."""

    key: str  # '<kind>|<meeting key>|<what it became>': the change itself, for exactly-once
    kind: str  # one of config.SPOED_KINDS
    entry: MeetingEntry
    dossiers: list[str]
    phrases: list[str]  # what happened, in the report's words
    moments: list[Moment] = field(default_factory=list)  # the actions on this meeting, if any


@dataclass
class AlertRun:
    """What `run_alerts` did: alerts found, messages queued (outbox ids), and what sending did."""

    alerts: list[Alert]
    queued: list[str]
    mail: SendResult | None = None
    webhooks: SendResult | None = None

    @property
    def sent(self) -> list[str]:
        return [i for r in (self.mail, self.webhooks) if r for i in r.sent]

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [f for r in (self.mail, self.webhooks) if r for f in r.failed]


# ---------------------------------------------------------------------------- detecting


def detect(
    view: View,
    config: Config,
    since: str,
    *,
    after_id: int | None = None,
    first_pass: bool = False,
    match_text: Callable[[Item], list[Match]] | None = None,
) -> list[Alert]:
    """The alerts warranted by the changes seen after `since` (ISO) and recorded after change row `after_id`, as of `view.as_of`. Reads only.

    `first_pass` (no earlier check): a moment that is new with a deadline today is not alerted —
    on a fresh install every moment is new.
    """
    enabled = {d.id: set(d.spoed) for d in config.rules.dossiers.values() if d.spoed and d.recipients}
    if not enabled:
        return []
    today = view.as_of.astimezone(AMS).date()
    until = add_workdays(today, WINDOW_WORKDAYS)
    scope = Scope(agenda_from=today, agenda_to=until, news_from=None, news_to=None, changes_since=since, changes_after_id=after_id, dossiers=list(enabled))
    briefing = build_briefing(view, config, scope, match_text=match_text)
    entries: dict[str, MeetingEntry] = {}
    moments: dict[str, list[Moment]] = {}
    for action in briefing.actions:
        entries.setdefault(action.key, action.entry)
        moments[action.key] = action.moments
    for entry in [a.entry for a in briefing.closed] + briefing.agenda + [e for e in briefing.changed if isinstance(e, MeetingEntry)]:
        entries.setdefault(entry.key, entry)

    def wanting(kind: str, dossiers: list[str]) -> list[str]:
        return [d for d in dossiers if kind in enabled.get(d, ())]

    def near(value: Any) -> bool:
        found = _day(value)
        return found is not None and today <= found <= until

    alerts: list[Alert] = []
    for key, entry in entries.items():
        meeting = entry.meeting
        for update in entry.updates:
            if update.kind in _CANCELLED and (near(meeting.day) or near(update.old)):
                kind, what = "geannuleerd", update.kind.name.lower()
            elif update.kind in _MOVED and (near(update.old) or near(update.new)):
                kind, what = "verplaatst", update.new or "datum-volgt"
            else:
                continue
            dossiers = wanting(kind, entry.dossiers)
            if dossiers:
                alerts.append(Alert(f"{kind}|{key}|{what}", kind, entry, dossiers, [wording.update_phrase(update)], moments.get(key, [])))
        agenda = [u for u in entry.updates if u.kind in _AGENDA]
        if agenda and "stemming" in meeting.soort.lower() and meeting.day == today:
            dossiers = wanting("stemmingslijst", entry.dossiers)
            phrases = [wording.update_phrase(u) for u in agenda]
            fingerprint = hashlib.sha1("\n".join(sorted(phrases)).encode("utf-8")).hexdigest()[:12]
            if dossiers:
                alerts.append(Alert(f"stemmingslijst|{key}|{fingerprint}", "stemmingslijst", entry, dossiers, phrases, moments.get(key, [])))
    for action in briefing.actions:
        for moment in action.moments:
            if moment.deadline != today or not moment.status.active or moment.handled:  # the team already did it
                continue
            if not _became_today(view, moment.id, today, since, first_pass):
                continue
            dossiers = wanting("deadline_vandaag", moment.dossiers)
            if dossiers:
                # The moment's own line says it ("… — uiterlijk ma 7 dec"); the meeting's changes say why.
                alerts.append(Alert(f"deadline_vandaag|{action.key}|{moment.id}|{today.isoformat()}", "deadline_vandaag", action.entry, dossiers, [wording.update_phrase(u) for u in action.entry.updates], [moment]))
    return alerts


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(AMS).date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return to_local(text).date() if "T" in text else date.fromisoformat(text[:10])  # type: ignore[union-attr]
    except ValueError:
        return None


def _became_today(view: View, moment_id: str, today: date, since: str, first_pass: bool) -> bool:
    """Did a change seen after `since` make this moment's deadline today (see `detect`)?"""
    rows = [r for r in view.store.moment_history(moment_id) if (r["seen_at"] or "") <= view.at]
    start = len(rows)
    while start and rows[start - 1]["deadline"] == today.isoformat():
        start -= 1
    if start == len(rows) or (rows[start]["seen_at"] or "") <= since:
        return False
    return start > 0 or not first_pass


# ---------------------------------------------------------------------------- messages


def mail_text(alert: Alert, titles: dict[str, str]) -> str:
    """The plain-text spoedmelding (it is short; no HTML part)."""
    meeting = alert.entry.meeting
    lines = [wording.spoed_intro(alert.kind), "", clean(wording.meeting_line(meeting), 400)]
    url = safe_url(meeting.url)
    if url:
        lines.append(url)
    lines += [f"! {clean(p, 400)}" for p in alert.phrases]
    lines += [f"• {clean(wording.action_line(m), 300)}" for m in alert.moments]
    lines += [wording.spoed_dossiers([titles.get(d, d) for d in alert.dossiers]), "", wording.spoed_footer()]
    return "\n".join(lines) + "\n"


def notification(alert: Alert, titles: dict[str, str]) -> webhook.Notification:
    """The spoedmelding for a webhook (Markdown, type warning)."""
    meeting = alert.entry.meeting
    lines = [webhook.md(wording.spoed_intro(alert.kind), 300), "", f"**{webhook.link(wording.meeting_name(meeting), meeting.url)}** · {webhook.md(wording.meeting_when(meeting, with_year=False))}"]
    lines += [f"- {webhook.md(p, 400)}" for p in alert.phrases]
    lines += [f"- {webhook.md(wording.action_line(m), 300)}" for m in alert.moments]
    lines += ["", webhook.md(wording.spoed_dossiers([titles.get(d, d) for d in alert.dossiers]), 300)]
    return webhook.Notification(wording.spoed_subject(alert.kind, meeting), "\n".join(lines), "warning")


# ---------------------------------------------------------------------------- queueing and sending


def queue_alerts(store: Store, config: Config, now: datetime, *, match_text: Callable[[Item], list[Match]] | None = None) -> tuple[list[Alert], list[str]]:
    """Detect the alerts since the last check and put one message per (alert, recipient) in the outbox.

    One transaction holds the messages, their coverage keys, audit lines and the new checkpoint,
    so a crash queues either all of a check or none of it, and a re-run never queues twice.
    Returns the alerts and the outbox ids queued.
    """
    from .digest import recipient_id  # noqa: PLC0415 - digest imports alerts for its notes
    from .mail import build_message  # noqa: PLC0415

    now = now.astimezone(AMS)
    at = iso(now) or ""
    checked = store.get_meta(CHECKPOINT)
    cursor = store.get_meta(CURSOR)
    after_id = int(cursor) if cursor else None
    # The first check looks only at what this run's fetch recorded (seen at `now`).
    since = iso(to_local(checked) - MARGIN) if checked else iso(now - timedelta(seconds=1))
    view = store.view(now, rematch=match_text)
    alerts = detect(view, config, since or "", after_id=after_id, first_pass=checked is None, match_text=match_text)
    titles = {d.id: d.title for d in config.rules.dossiers.values()}
    email = config.sources.email
    queued: list[str] = []
    with store.transaction():
        for alert in alerts:
            recipients: dict[str, list[str]] = {}
            for dossier in alert.dossiers:
                for address in config.rules.dossiers[dossier].recipients:
                    recipients.setdefault(recipient_id(address), []).append(dossier)
            for recipient, dossiers in recipients.items():
                cover = f"spoed:{alert.key}"
                if outbox.covered_keys(store.db, recipient, [cover]):
                    continue
                mine = Alert(alert.key, alert.kind, alert.entry, dossiers, alert.phrases, alert.moments)
                if webhook.is_webhook(recipient):
                    note = notification(mine, titles)
                    channel, subject, body, message_id = outbox.WEBHOOK, note.title, note.to_json(), None
                elif email is not None and email.sender:
                    subject = wording.spoed_subject(alert.kind, alert.entry.meeting)
                    message = build_message(email, recipient, subject, mail_text(mine, titles), None, now)
                    message["Importance"] = "high"  # Outlook flags it; the digest itself stays normal
                    channel, body, message_id = outbox.MAIL, message.as_string(), message["Message-ID"]
                else:
                    log.warning("spoedmelding for %s not queued: there is no email section in sources.yaml", recipient)
                    continue
                outbox_id = uuid.uuid4().hex
                store.db["digest_outbox"].insert(
                    {
                        "id": outbox_id, "recipient": recipient, "subject": subject, "message_id": message_id, "created_at": at,
                        "status": outbox.PENDING, "attempts": 0, "last_attempt": None, "last_error": None, "sent_at": None,
                        "empty": 0, "message": body, "channel": channel, "kind": outbox.SPOED,
                    }
                )
                store.db["digest_covered"].upsert({"recipient": recipient, "key": cover, "outbox_id": outbox_id, "at": at}, pk=("recipient", "key"))
                store.db["digest_audit"].insert(
                    {"outbox_id": outbox_id, "recipient": recipient, "at": at, "section": SECTION, "dossier": dossiers[0],
                     "ref": alert.entry.key, "title": wording.meeting_name(alert.entry.meeting), "reason": "; ".join(alert.phrases) or wording.SPOED_LABELS[alert.kind]}
                )
                outbox.log_event(store.db, outbox_id, at, "queued", alert.kind)
                queued.append(outbox_id)
        store.set_meta(CHECKPOINT, max(at, checked or ""))
        store.set_meta(CURSOR, str(max(view.last_change_id(), after_id or 0)))
    return alerts, queued


def run_alerts(
    store: Store,
    config: Config,
    now: datetime,
    *,
    send: bool = True,
    connect: Callable[[Any], Any] | None = None,
    match_text: Callable[[Item], list[Match]] | None = None,
) -> AlertRun:
    """Queue this run's spoedmeldingen and send them, with any earlier ones still pending."""
    from .digest import send_pending as send_mail  # noqa: PLC0415

    alerts, queued = queue_alerts(store, config, now, match_text=match_text)
    run = AlertRun(alerts, queued)
    if not send:
        return run
    # Earlier spoedmeldingen that failed are retried too: they are still urgent; digests wait for the digest job.
    waiting = {r["id"] for r in store.db.query("SELECT id FROM digest_outbox WHERE status = ? AND kind = ?", [outbox.PENDING, outbox.SPOED])}
    if not waiting:
        return run
    if config.sources.email is not None and any(r["channel"] == outbox.MAIL for r in outbox.pending(store.db) if r["id"] in waiting):
        run.mail = send_mail(store, config.sources.email, now, connect, only_ids=waiting)
    run.webhooks = webhook.send_pending(store, config.rules, now, only_ids=waiting)
    return run


def sent_since_last_digest(db: sqlite_utils.Database, recipient: str, at: str) -> dict[str, str]:
    """Meeting key -> when its spoedmelding went out, for those sent to `recipient` after their last digest (up to `at`)."""
    state = outbox.recipient_state(db, recipient, at)
    since = (state or {}).get("last_digest_at") or ""
    sql = """
        SELECT c.key, o.sent_at FROM digest_covered c JOIN digest_outbox o ON o.id = c.outbox_id
        WHERE c.recipient = ? AND c.key LIKE 'spoed:%' AND o.status = ? AND o.sent_at > ? AND o.sent_at <= ?
        ORDER BY o.sent_at
    """
    found: dict[str, str] = {}
    for row in db.query(sql, [recipient, outbox.SENT, since, at]):
        parts = row["key"].split("|")
        if len(parts) >= 2:
            found[parts[1]] = row["sent_at"]
    return found
