"""Accounts of the werkplek: users and roles, sessions, login throttling, the rules log.

Plain functions over the monitor database (no web framework here), so the CLI (`monitor users`)
and the web app share them. Passwords are hashed with Argon2id (argon2-cffi); a session is a
random id whose SHA-256 is stored (a copy of the database does not hand out live sessions);
failed logins are counted per (user name, address) so one attacker cannot lock everyone out.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..timeutil import iso

__all__ = [
    "ROLES",
    "User",
    "AccountError",
    "ensure_schema",
    "add_user",
    "remove_user",
    "list_users",
    "get_user",
    "authenticate",
    "can",
    "create_session",
    "session_user",
    "end_session",
    "throttled_for",
    "record_failure",
    "clear_failures",
    "log_rules_change",
    "rules_log",
]

ROLES = ("lezer", "redacteur", "beheerder")
# What each role may do; a higher role may do everything a lower one may.
PERMISSIONS = {"read": "lezer", "work": "redacteur", "rules": "redacteur", "users": "beheerder"}
SESSION_HOURS = 12
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Checked when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("geen gebruiker")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, email TEXT, password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, address TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions (user)",
    """CREATE TABLE IF NOT EXISTS login_failures (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS idx_login_failures ON login_failures (name, address, at)",
    """CREATE TABLE IF NOT EXISTS rules_log (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, dossier TEXT,
        version_before TEXT, version_after TEXT, diff TEXT
    )""",
)


class AccountError(ValueError):
    """A user cannot be added or changed: the message says why (in English, for the CLI)."""


@dataclass
class User:
    """A werkplek user."""

    name: str
    role: str
    email: str | None = None
    created_at: str | None = None

    def can(self, what: str) -> bool:
        """Whether this user's role allows `what` (read, work, rules, users)."""
        return can(self.role, what)


def can(role: str, what: str) -> bool:
    """Whether `role` allows `what`."""
    needed = PERMISSIONS[what]
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the werkplek's tables where missing (inside the caller's transaction)."""
    for statement in _SCHEMA:
        db.conn.execute(statement)


def _commit(db: sqlite_utils.Database, nested: bool) -> None:
    if not nested:
        db.conn.commit()


# ---------------------------------------------------------------------------- users


def add_user(db: sqlite_utils.Database, name: str, role: str, password: str, email: str | None, at: str, by: str | None = None) -> User:
    """Add a user (AccountError when the name, role, password or email will not do)."""
    name = name.strip().lower()
    if not _NAME.match(name):
        raise AccountError("a user name is 2-40 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if email is not None:
        email = email.strip().lower() or None
        if email is not None and not _EMAIL.match(email):
            raise AccountError(f"'{email}' is not an email address")
    if get_user(db, name) is not None:
        raise AccountError(f"there is already a user '{name}' (remove it first to change it)")
    nested = db.conn.in_transaction
    db.execute(
        "INSERT INTO users (name, role, email, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
        [name, role, email, _hasher.hash(password), at, by],
    )
    _commit(db, nested)
    return User(name, role, email, at)


def remove_user(db: sqlite_utils.Database, name: str) -> bool:
    """Remove a user and end their sessions; False when there was none. Their recorded work stays."""
    nested = db.conn.in_transaction
    db.execute("DELETE FROM sessions WHERE user = ?", [name])
    gone = db.execute("DELETE FROM users WHERE name = ?", [name]).rowcount
    _commit(db, nested)
    return bool(gone)


def list_users(db: sqlite_utils.Database) -> list[User]:
    """Every user, by name."""
    return [User(r["name"], r["role"], r["email"], r["created_at"]) for r in db.query("SELECT * FROM users ORDER BY name")]


def get_user(db: sqlite_utils.Database, name: str) -> User | None:
    """One user by name."""
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
    return User(rows[0]["name"], rows[0]["role"], rows[0]["email"], rows[0]["created_at"]) if rows else None


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> User | None:
    """The user when the password is right, else None (the same work either way)."""
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name.strip().lower()]))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    row = rows[0]
    if _hasher.check_needs_rehash(stored):  # parameters were raised since: upgrade quietly
        nested = db.conn.in_transaction
        db.execute("UPDATE users SET password_hash = ? WHERE name = ?", [_hasher.hash(password), row["name"]])
        _commit(db, nested)
    return User(row["name"], row["role"], row["email"], row["created_at"])


# ---------------------------------------------------------------------------- sessions


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def create_session(db: sqlite_utils.Database, user: str, now: datetime, address: str | None = None) -> tuple[str, str]:
    """A new session for `user`: (session id for the cookie, CSRF token for its forms)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    nested = db.conn.in_transaction
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [iso(now)])
    db.execute(
        "INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?, ?)",
        [_hash(session_id), user, csrf, iso(now), iso(now + timedelta(hours=SESSION_HOURS)), address],
    )
    _commit(db, nested)
    return session_id, csrf


def session_user(db: sqlite_utils.Database, session_id: str, now: datetime) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None (unknown or expired)."""
    rows = list(
        db.query(
            "SELECT u.name, u.role, u.email, u.created_at, s.csrf FROM sessions s JOIN users u ON u.name = s.user"
            " WHERE s.id_hash = ? AND s.expires_at > ?",
            [_hash(session_id), iso(now)],
        )
    )
    if not rows:
        return None
    row = rows[0]
    return User(row["name"], row["role"], row["email"], row["created_at"]), row["csrf"]


def end_session(db: sqlite_utils.Database, session_id: str) -> None:
    """Log out: the session id stops working at once (the cookie alone is worth nothing)."""
    nested = db.conn.in_transaction
    db.execute("DELETE FROM sessions WHERE id_hash = ?", [_hash(session_id)])
    _commit(db, nested)


# ---------------------------------------------------------------------------- throttling


def throttled_for(db: sqlite_utils.Database, name: str, address: str, now: datetime) -> int:
    """Seconds this (name, address) must wait before the next try (0: may try now)."""
    since = iso(now - FAILURE_WINDOW)
    rows = list(
        db.query("SELECT at FROM login_failures WHERE name = ? AND address = ? AND at > ? ORDER BY at", [name.strip().lower(), address, since])
    )
    if len(rows) < MAX_FAILURES:
        return 0
    # Wait until the oldest failure that counts leaves the window.
    oldest = datetime.fromisoformat(rows[-MAX_FAILURES]["at"])
    return max(1, int((oldest + FAILURE_WINDOW - now).total_seconds()))


def record_failure(db: sqlite_utils.Database, name: str, address: str, now: datetime) -> None:
    """Count a failed login."""
    nested = db.conn.in_transaction
    db.execute("INSERT INTO login_failures (name, address, at) VALUES (?, ?, ?)", [name.strip().lower()[:100], address, iso(now)])
    db.execute("DELETE FROM login_failures WHERE at < ?", [iso(now - FAILURE_WINDOW * 4)])
    _commit(db, nested)


def clear_failures(db: sqlite_utils.Database, name: str, address: str) -> None:
    """A good login forgets that pair's failures."""
    nested = db.conn.in_transaction
    db.execute("DELETE FROM login_failures WHERE name = ? AND address = ?", [name.strip().lower(), address])
    _commit(db, nested)


# ---------------------------------------------------------------------------- the rules log


def log_rules_change(db: sqlite_utils.Database, at: str, user: str, dossier: str | None, before: str, after: str, diff: str) -> None:
    """Record a rules.yaml change made in the werkplek: who, when, which dossier, the diff."""
    nested = db.conn.in_transaction
    db.execute(
        "INSERT INTO rules_log (at, user, dossier, version_before, version_after, diff) VALUES (?, ?, ?, ?, ?, ?)",
        [at, user, dossier, before, after, diff],
    )
    _commit(db, nested)


def rules_log(db: sqlite_utils.Database, dossier: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest rules changes (of one dossier), newest first."""
    if dossier is None:
        return list(db.query("SELECT * FROM rules_log ORDER BY at DESC, id DESC LIMIT ?", [limit]))
    return list(db.query("SELECT * FROM rules_log WHERE dossier = ? ORDER BY at DESC, id DESC LIMIT ?", [dossier, limit]))
