"""Gebruikers: the beheerder adds and removes werkplek users (the same rules as `monitor users`)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..timeutil import iso
from . import accounts
from .accounts import ROLES, AccountError, User
from .auth import page

_DUTCH = {
    "a user name is": "Een naam heeft 2-40 tekens: kleine letters, cijfers, '.', '_' of '-'.",
    "role must be": "Kies een rol: " + ", ".join(ROLES) + ".",
    "the password must": f"Het wachtwoord moet minstens {accounts.MIN_PASSWORD} tekens hebben.",
    "is not an email": "Dat is geen e-mailadres.",
    "there is already": "Die naam is al in gebruik.",
}


def _dutch(error: AccountError) -> str:
    text = str(error)
    return next((v for k, v in _DUTCH.items() if k in text), "De gebruiker kon niet worden toegevoegd.")


@page("users")
async def users(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """GET: the list with a form to add; POST: add (actie=toevoegen) or remove (actie=verwijderen)."""
    werkplek = request.app.state.werkplek
    return await run_in_threadpool(_users, request, werkplek, user, csrf, form)


def _users(request: Request, werkplek: Any, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    # Argon2 hashing and the database are blocking work: off the event loop.
    message = error = None
    with werkplek.store() as store:
        if form is not None:
            action = form.get("actie")
            if action == "toevoegen":
                try:
                    added = accounts.add_user(store.db, form.get("naam", ""), form.get("rol", ""), form.get("wachtwoord", ""),
                                              form.get("email") or None, iso(werkplek.clock()) or "", by=user.name)
                    message = f"Gebruiker {added.name} ({added.role}) toegevoegd."
                except AccountError as exc:
                    error = _dutch(exc)
            elif action == "verwijderen":
                name = form.get("naam", "")
                if name == user.name:
                    error = "U kunt uzelf niet verwijderen."
                elif accounts.remove_user(store.db, name):
                    return RedirectResponse("/gebruikers", status_code=303)
                else:
                    error = f"Er is geen gebruiker '{name}'."
        listed = accounts.list_users(store.db)
    return werkplek.render(request, "gebruikers.html", {"user": user, "csrf": csrf, "users": listed, "roles": ROLES, "message": message, "error": error})
