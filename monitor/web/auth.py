"""Sessions, CSRF and roles on requests; the login and logout pages.

The session cookie holds a random session id, signed (itsdangerous) with the werkplek's secret;
the database keeps only its hash, with the user and the session's CSRF token. The cookie is
HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS (directly, or from a
reverse proxy that uvicorn trusts with --forwarded-allow-ips). Every POST must carry the
session's CSRF token (the login form a token of its own, tied to a short-lived cookie), or it
gets 403; every page checks the role it needs on the server.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import accounts
from .accounts import User

SESSION_COOKIE = "werkplek_sessie"
LOGIN_COOKIE = "werkplek_login"
MAX_FORM_FIELD = 20_000  # characters; a rules textarea fits, a hostile megabyte does not


class Forbidden(Exception):
    """The request is refused with 403 and a Dutch sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signer(secret: bytes) -> URLSafeSerializer:
    """Signs and checks the cookies' values."""
    return URLSafeSerializer(secret, salt="werkplek")


def is_https(request: Request) -> bool:
    """Whether the browser talks HTTPS to us (uvicorn sets the scheme from a trusted proxy's header)."""
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    """The client's address (the proxy's forwarded one when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "onbekend"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """A cookie the way every werkplek cookie is set: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request), path="/")


def current(request: Request) -> tuple[User, str, str] | None:
    """(user, CSRF token, session id) of the request's live session, or None."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        session_id = signer(request.app.state.werkplek.secret).loads(raw)
    except BadSignature:
        return None
    if not isinstance(session_id, str):
        return None
    werkplek = request.app.state.werkplek
    with werkplek.store() as store:
        found = accounts.session_user(store.db, session_id, werkplek.clock())
    if found is None:
        return None
    return found[0], found[1], session_id


async def checked_form(request: Request, csrf: str) -> dict[str, str]:
    """The posted form as plain strings, after checking its CSRF token (Forbidden without it)."""
    try:
        form = await request.form(max_files=0, max_fields=200)
    except Exception:  # a malformed or oversized body: refuse it like a forged one
        raise Forbidden("Het formulier kon niet worden gelezen.") from None
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise Forbidden("Bestanden worden hier niet aangenomen.")
        if len(value) > MAX_FORM_FIELD:
            raise Forbidden("Een veld van het formulier is te lang.")
        values.setdefault(key, value)
    token = values.get("csrf", "")
    if not token or not hmac.compare_digest(token.encode(), csrf.encode()):
        raise Forbidden("Het formulier mist zijn beveiligingscode (CSRF). Laad de pagina opnieuw en probeer het nog eens.")
    return values


def page(permission: str = "read") -> Callable[..., Any]:
    """Decorate an endpoint: a live session is required (else the login page), and `permission`.

    The endpoint is called as `endpoint(request, user, csrf, form)`; `form` is the checked form of
    a POST (None for GET).
    """

    def wrap(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(endpoint)
        async def run(request: Request) -> Response:
            found = current(request)
            if found is None:
                if request.method != "GET":
                    raise Forbidden("U bent niet (meer) ingelogd.")
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?volgende={quote(target)}", status_code=303)
            user, csrf, _ = found
            form = await checked_form(request, csrf) if request.method == "POST" else None
            if not user.can(permission):
                raise Forbidden(f"Uw rol ({user.role}) mag dit niet.")
            return await endpoint(request, user, csrf, form)

        return run

    return wrap


def local_target(value: str | None, default: str = "/") -> str:
    """Only a path on this site is a place to go back to (no open redirect)."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


# ---------------------------------------------------------------------------- login and logout


async def login(request: Request) -> Response:
    """GET: the login form; POST: check the password (throttled per user and address)."""
    werkplek = request.app.state.werkplek
    sign = signer(werkplek.secret)
    target = local_target(request.query_params.get("volgende"))
    if request.method == "GET":
        token = secrets.token_urlsafe(24)
        response = werkplek.render(request, "login.html", {"login_csrf": token, "volgende": target, "error": None, "name": ""})
        set_cookie(response, request, LOGIN_COOKIE, sign.dumps(token), max_age=3600)
        return response
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    try:
        expected = sign.loads(cookie) if cookie else ""
    except BadSignature:
        expected = ""
    form = await checked_form(request, expected if isinstance(expected, str) and expected else secrets.token_urlsafe(24))
    name = form.get("naam", "").strip().lower()[:100]
    password = form.get("wachtwoord", "")
    target = local_target(form.get("volgende"))
    address = client_address(request)
    now = werkplek.clock()
    with werkplek.store() as store:
        wait = accounts.throttled_for(store.db, name, address, now)
        user = None if wait else accounts.authenticate(store.db, name, password)
        if wait:
            error = f"Te veel mislukte pogingen. Probeer het over {max(1, (wait + 59) // 60)} minuten opnieuw."
        elif user is None:
            accounts.record_failure(store.db, name, address, now)
            error = "Onbekende naam of verkeerd wachtwoord."
        else:
            accounts.clear_failures(store.db, name, address)
            session_id, _ = accounts.create_session(store.db, user.name, now, address)
            error = None
    if error is not None:
        token = secrets.token_urlsafe(24)
        status = 429 if wait else 401
        response = werkplek.render(request, "login.html", {"login_csrf": token, "volgende": target, "error": error, "name": name}, status_code=status)
        set_cookie(response, request, LOGIN_COOKIE, sign.dumps(token), max_age=3600)
        return response
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, sign.dumps(session_id), max_age=accounts.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@page("read")
async def logout(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """POST only: end the session in the database and drop the cookie."""
    werkplek = request.app.state.werkplek
    found = current(request)
    if found is not None:
        with werkplek.store() as store:
            accounts.end_session(store.db, found[2])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
