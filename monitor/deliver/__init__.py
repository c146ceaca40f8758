"""Deliver: the daily digest by email (with an outbox), the lobbykalender (.ics) and its server.

- `digest`: build the digest per recipient, store it in the outbox, send it exactly once.
- `outbox`: the outbox, coverage and audit tables (`ensure_schema`).
- `mail`: SMTP connection and the MIME message (with the full digest attached when it is too long).
- `oauth`: OAuth2 sign-in (XOAUTH2): Microsoft Entra ID tokens by MSAL, or a bearer token from the environment.
- `calendar`: iCalendar export with stable UIDs, SEQUENCE and STATUS:CANCELLED; a loopback server.
"""
