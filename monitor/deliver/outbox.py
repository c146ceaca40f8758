"""The outbox and its bookkeeping tables: what was prepared, covered, sent, and why.

Exactly-once delivery rests on one rule: a digest is written to `digest_outbox` (status
`pending`) in the same transaction that records which items it covers for that recipient, and it
is marked `sent` only after the SMTP server accepted it. A crash before that leaves it pending,
so the next run retries it; the coverage rows mean no later digest repeats its items.

Tables (all created by `ensure_schema`, idempotent):

- `digest_outbox`: one row per prepared message (full RFC 5322 text kept for retries). `channel`
  says how it goes out (`mail`, or `webhook`: then `message` is the JSON of the Apprise
  notification and `recipient` the webhook's redacted key, never its secret URL); `kind` says what
  it is (`digest`, or `spoed`: an urgent alert between digests).
- `digest_recipients`: per recipient, when they started receiving digests and the change-log cursor.
- `digest_covered`: per recipient, the keys (items, moments, changes) a digest has covered.
- `digest_audit`: per message, each line with its section, dossier and reason (what went to whom, why).
- `digest_events`: queued/sent/failed events per message, with the SMTP error if any.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAIL, WEBHOOK = "mail", "webhook"  # channels
DIGEST, SPOED = "digest", "spoed"  # kinds of message


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the outbox tables if they do not exist yet (idempotent)."""
    names = set(db.table_names())
    if "digest_outbox" not in names:
        db["digest_outbox"].create(
            {
                "id": str,
                "recipient": str,
                "subject": str,
                "message_id": str,
                "created_at": str,
                "status": str,
                "attempts": int,
                "last_attempt": str,
                "last_error": str,
                "sent_at": str,
                "empty": int,
                "message": str,
            },
            pk="id",
        )
        db["digest_outbox"].create_index(["status", "created_at"])
        db["digest_outbox"].create_index(["recipient"])
    if "digest_recipients" not in names:
        db["digest_recipients"].create(
            {"recipient": str, "first_at": str, "change_cursor": int, "last_digest_at": str},
            pk="recipient",
        )
    if "digest_covered" not in names:
        db["digest_covered"].create(
            {"recipient": str, "key": str, "outbox_id": str, "at": str},
            pk=("recipient", "key"),
        )
    if "digest_audit" not in names:
        db["digest_audit"].create(
            {
                "id": int,
                "outbox_id": str,
                "recipient": str,
                "at": str,
                "section": str,
                "dossier": str,
                "ref": str,
                "title": str,
                "reason": str,
            },
            pk="id",
        )
        db["digest_audit"].create_index(["outbox_id"])
        db["digest_audit"].create_index(["recipient", "at"])
    if "digest_events" not in names:
        db["digest_events"].create(
            {"id": int, "outbox_id": str, "at": str, "event": str, "detail": str},
            pk="id",
        )
        db["digest_events"].create_index(["outbox_id"])
    # Added with webhooks and spoedmeldingen: an older outbox gains the columns, and every row
    # already in it keeps its meaning (a mailed digest) through the defaults.
    columns = db["digest_outbox"].columns_dict
    if "channel" not in columns:
        db.execute(f"ALTER TABLE digest_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT '{MAIL}'")
    if "kind" not in columns:
        db.execute(f"ALTER TABLE digest_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '{DIGEST}'")


def recipient_state(db: sqlite_utils.Database, recipient: str, as_of: str | None = None) -> dict[str, Any] | None:
    """The stored state of a recipient (first digest time, change cursor, last digest), or None.

    With `as_of` (ISO), the state as it was then: None before their first digest; the change
    cursor of a later digest is not known for an earlier moment, so it is left out (None).
    """
    rows = list(db.query("SELECT * FROM digest_recipients WHERE recipient = ?", [recipient]))
    if not rows:
        return None
    row = dict(rows[0])
    if as_of is None or (row["last_digest_at"] or "") <= as_of:
        return row
    if (row["first_at"] or "") > as_of:
        return None
    found = list(db.query("SELECT MAX(created_at) AS last FROM digest_outbox WHERE recipient = ? AND created_at <= ?", [recipient, as_of]))
    return {**row, "last_digest_at": found[0]["last"] if found else None, "change_cursor": None}


def covered_keys(db: sqlite_utils.Database, recipient: str, keys: list[str], as_of: str | None = None) -> set[str]:
    """Which of `keys` an earlier digest (queued by `as_of`, when given) already covered for this recipient."""
    found: set[str] = set()
    # Chunked: SQLite limits the number of bound parameters.
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        sql = f"SELECT key FROM digest_covered WHERE recipient = ? AND key IN ({', '.join('?' for _ in chunk)})"
        args: list[Any] = [recipient, *chunk]
        if as_of is not None:
            sql += " AND at <= ?"
            args.append(as_of)
        found.update(r["key"] for r in db.query(sql, args))
    return found


def pending(db: sqlite_utils.Database, channel: str = MAIL) -> list[dict[str, Any]]:
    """Messages of one channel (default: mail) waiting to be sent, oldest first."""
    return list(db.query("SELECT * FROM digest_outbox WHERE status = ? AND channel = ? ORDER BY created_at, id", [PENDING, channel]))


def log_event(db: sqlite_utils.Database, outbox_id: str, at: str, event: str, detail: str | None = None) -> None:
    """Append an event (queued, sent, failed, gave up) to a message's history."""
    db["digest_events"].insert({"outbox_id": outbox_id, "at": at, "event": event, "detail": detail})


def sent_to(db: sqlite_utils.Database, recipient: str) -> list[dict[str, Any]]:
    """The audit of what was sent to a recipient and why: one row per digest line, newest first."""
    sql = """
        SELECT o.sent_at, o.subject, a.section, a.dossier, a.ref, a.title, a.reason
        FROM digest_audit a JOIN digest_outbox o ON o.id = a.outbox_id
        WHERE a.recipient = ? AND o.status = ?
        ORDER BY o.sent_at DESC, a.id
    """
    return list(db.query(sql, [recipient, SENT]))
