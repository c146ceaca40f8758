"""The MIME message and the SMTP connection.

The password (or, with OAuth2, the client secret or token: see `oauth`) is read from the
environment variable named in the config at connect time and is never stored, logged or put in an
exception message.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING, Protocol

from .oauth import TokenError, access_token, xoauth2

if TYPE_CHECKING:
    from ..config import EmailConfig, SmtpConfig


class MailError(Exception):
    """Sending is impossible as configured (missing password, no SMTP host); shown to users as is."""


class SmtpLike(Protocol):
    """The part of smtplib.SMTP we use (lets tests pass a wrapper)."""

    def sendmail(self, from_addr: str, to_addrs: list[str], msg: bytes) -> dict: ...

    def quit(self) -> object: ...


def build_message(
    email: EmailConfig,
    recipient: str,
    subject: str,
    text: str,
    html: str | None,
    now: datetime,
    attachment: tuple[str, str] | None = None,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, HTML second) with the list headers.

    Every part is quoted-printable so the stored message is plain ASCII and needs no 8BITMIME.
    With `attachment` (filename, HTML) the message becomes multipart/mixed with that file after
    the alternatives (the full digest, when its HTML is too long for the body).
    """
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = email.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    address = sender_address(email)
    domain = address.rpartition("@")[2] or "monitor.invalid"
    message["Message-ID"] = make_msgid(idstring="digest", domain=domain)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    unsubscribe = email.unsubscribe or email.reply_to or address
    message["List-Unsubscribe"] = f"<mailto:{unsubscribe}?subject=afmelden>"
    message["List-Id"] = f"Lobbymonitor <digest.{domain}>"
    # Tells auto-responders ("out of office") not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if attachment is not None:
        filename, content = attachment
        message.add_attachment(content, subtype="html", charset="utf-8", cte="quoted-printable", filename=filename)
    return message


def sender_address(email: EmailConfig) -> str:
    """The bare envelope sender address: From may carry a display name ("Lobbymonitor <monitor@gemeente.nl>")."""
    return parseaddr(email.sender)[1] or email.sender


def connect(smtp: SmtpConfig) -> smtplib.SMTP:
    """Open an authenticated SMTP connection as configured (starttls, ssl or none).

    Signs in with a password (`auth: password`, when there is a username) or with an OAuth2
    token by XOAUTH2 (`auth: oauth2` for Microsoft 365, `auth: bearer`); the secret is fetched
    before connecting, so a missing one fails without touching the server.
    """
    if not smtp.host:
        raise MailError("no SMTP server configured: set email.smtp.host in sources.yaml")
    password = token = None
    if smtp.auth in ("oauth2", "bearer"):
        try:
            token = access_token(smtp)
        except TokenError as exc:
            raise MailError(str(exc)) from None
    elif smtp.username:
        name = smtp.password_env or "MONITOR_SMTP_PASSWORD"
        password = os.environ.get(name)
        if not password:
            raise MailError(f"the SMTP password is missing: set the environment variable {name}")
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            client.starttls(context=context)
    try:
        if token is not None:
            user = smtp.username or ""
            client.ehlo_or_helo_if_needed()
            # The initial response carries the token; to a 334 error challenge the answer is empty.
            client.auth("XOAUTH2", lambda challenge=None: xoauth2(user, token) if challenge is None else "")
        elif smtp.username and password:
            client.login(smtp.username, password)
    except smtplib.SMTPException as exc:
        client.close()
        # The server's reply, never the password or token.
        how = " with OAuth2 (XOAUTH2)" if token is not None else ""
        raise MailError(f"SMTP login as {smtp.username}{how} failed: {describe_error(exc)}") from None
    return client


def describe_error(exc: BaseException) -> str:
    """A one-line description of an SMTP/network error for logs and the outbox."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {reply}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        for address, (code, reply) in exc.recipients.items():
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            parts.append(f"{address}: {code} {text}")
        return "recipient refused: " + "; ".join(parts)
    return f"{type(exc).__name__}: {exc}".strip()
