"""Deliver: the daily digest by email and webhook (with an outbox), spoedmeldingen, the lobbykalender (.ics) and its server.

- `digest`: build the digest per recipient, store it in the outbox, send it exactly once.
- `outbox`: the outbox, coverage and audit tables (`ensure_schema`).
- `mail`: SMTP connection and the MIME message (with the full digest attached when it is too long).
- `oauth`: OAuth2 sign-in (XOAUTH2): Microsoft Entra ID tokens by MSAL, or a bearer token from the environment.
- `webhook`: Apprise URLs as recipients (Teams Workflows, Slack, Mattermost, JSON): the short digest, sending, redaction.
- `alerts`: spoedmeldingen, urgent alerts after a fetch, through the same outbox.
- `calendar`: iCalendar export with stable UIDs, SEQUENCE and STATUS:CANCELLED; a loopback server.
"""
