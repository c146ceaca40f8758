"""Signing in to the mail server with OAuth2 (SMTP AUTH XOAUTH2) instead of a password.

Microsoft 365 ends password ("basic") SMTP authentication for most tenants. With
`email.smtp.auth: oauth2` the monitor signs in as an app registered in Microsoft Entra ID: MSAL's
client-credentials flow gets an access token for Exchange Online with the app's client secret
(read from the environment variable named by `oauth2.client_secret_env`, never from a file), and
the SMTP session authenticates with it by XOAUTH2. `auth: bearer` sends a token that something
else keeps fresh (read from `token_env`), for other providers that take XOAUTH2.

Neither secret nor token is ever logged or put in an error message.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import SmtpConfig

__all__ = ["TokenError", "access_token", "xoauth2"]

DEFAULT_SECRET_ENV = "MONITOR_SMTP_CLIENT_SECRET"
DEFAULT_TOKEN_ENV = "MONITOR_SMTP_TOKEN"


class TokenError(Exception):
    """No token could be had; the message says why and what to check, without the secret."""


def access_token(smtp: SmtpConfig) -> str:
    """The bearer token to sign in with, for `auth: oauth2` (from Entra ID) or `auth: bearer` (from the environment)."""
    if smtp.auth == "bearer":
        name = smtp.token_env or DEFAULT_TOKEN_ENV
        token = os.environ.get(name, "").strip()
        if not token:
            raise TokenError(f"the SMTP access token is missing: set the environment variable {name}")
        return token
    if smtp.auth != "oauth2" or smtp.oauth2 is None:
        raise TokenError("email.smtp has no oauth2 settings: add oauth2: {tenant_id: ..., client_id: ...}")
    return _entra_token(smtp)


def _entra_token(smtp: SmtpConfig) -> str:
    """An app-only token for Exchange Online by MSAL's client-credentials flow."""
    import msal  # noqa: PLC0415 - only needed by those who sign in with OAuth2
    import requests  # noqa: PLC0415 - msal's HTTP client; its errors are network errors

    settings = smtp.oauth2
    assert settings is not None
    name = settings.client_secret_env or DEFAULT_SECRET_ENV
    secret = os.environ.get(name, "").strip()
    if not secret:
        raise TokenError(f"the OAuth2 client secret is missing: set the environment variable {name}")
    authority = f"https://{settings.authority_host}/{settings.tenant_id}"
    where = f"from {settings.authority_host} for app {settings.client_id}"
    try:
        app = msal.ConfidentialClientApplication(
            settings.client_id,
            client_credential=secret,
            authority=authority,
            # The tenant's own OpenID metadata is enough; no extra call to Microsoft's discovery
            # endpoint (which also lets a sovereign-cloud or test host stand in).
            instance_discovery=False,
            timeout=smtp.timeout,
        )
        result = app.acquire_token_for_client(scopes=[settings.scope])
    except requests.Timeout:
        raise TokenError(f"could not get an OAuth2 token {where}: no answer within {smtp.timeout} s") from None
    except requests.ConnectionError as exc:
        # requests nests the cause in a long repr; the errno text ('Connection refused') is the news.
        reason = re.search(r"\[Errno -?\d+\] ([^'\"()]+)", str(exc))
        raise TokenError(f"could not get an OAuth2 token {where}: cannot reach https://{settings.authority_host} ({reason.group(1).strip() if reason else 'network error'})") from None
    except (requests.RequestException, ValueError, OSError) as exc:
        raise TokenError(f"could not get an OAuth2 token {where}: {_first_line(str(exc))}") from None
    token = result.get("access_token") if isinstance(result, dict) else None
    if not token:
        error = result.get("error", "no token in the answer") if isinstance(result, dict) else "no answer"
        detail = _first_line(str(result.get("error_description") or "")) if isinstance(result, dict) else ""
        raise TokenError(f"could not get an OAuth2 token {where}: {error}" + (f" ({detail})" if detail else ""))
    return str(token)


def xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 initial client response (smtplib base64-encodes it): user, then the bearer token."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def _first_line(text: str) -> str:
    """Entra's error descriptions run to trace and correlation ids; the first line says what is wrong."""
    return text.strip().splitlines()[0][:300] if text.strip() else ""
