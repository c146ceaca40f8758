"""The werkplek's pages: Vandaag, Dossier, Zoeken; the work on moments; the tokenised calendar.

Every page is the briefing (`monitor.briefing`) laid out by `monitor.render.layout`, the same
blocks the digest and the report print, so the werkplek words everything as they do; the
templates only add the page furniture and the forms.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import pipeline, wording
from .. import work as team_work
from ..briefing import Action, Briefing, Scope
from ..deliver.calendar import ALL, FEED_TYPE, calendar_secret, calendar_token, feed_token, feed_url, subscribe_url
from ..render import layout
from ..rules.query import QueryError
from ..timeutil import AMS, iso
from . import accounts
from .accounts import User
from .auth import Forbidden, local_target, page
from .search import KINDS, Filters, search

DOSSIER_PAST_DAYS = 60
DOSSIER_AHEAD_DAYS = 60
DOSSIER_NEWS_DAYS = 90


@dataclass
class ActionView:
    """An action as a page shows it: the layout's block plus the moments one can work on."""

    block: layout.Block
    action: Action
    workable: list[Any]  # the action's moments that are stored (so work can be recorded on them)


def _actions(actions: list[Action], titles: dict[str, str], stored: set[str]) -> list[ActionView]:
    return [ActionView(layout.action_block(a, titles), a, [m for m in a.moments if m.id in stored]) for a in actions]


def _stored_moments(store: Any, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found |= {r["id"] for r in store.db.query(f"SELECT id FROM moments WHERE id IN ({marks})", chunk)}
    return found


# ---------------------------------------------------------------------------- Vandaag


def vandaag_data(werkplek: Any, store: Any, config: Any, now: Any) -> tuple[Briefing, set[str]]:
    """Vandaag's briefing and its stored moment ids, from the cache while the data is unchanged."""
    key = werkplek.cache.key("vandaag", store.db, pipeline.rules_version(config.rules), now)

    def build() -> tuple[Briefing, set[str]]:
        briefing = pipeline.briefing(store, config, now)
        return briefing, _stored_moments(store, [m.id for a in briefing.actions for m in a.moments])

    return werkplek.cache.get(key, build)


def warm(werkplek: Any) -> None:
    """Build Vandaag, and the dossier pages read lately, ahead of their readers (`monitor web`'s background warmer)."""
    config = werkplek.config()
    with werkplek.store() as store:
        vandaag_data(werkplek, store, config, werkplek.clock())
        for dossier_id in werkplek.recently_viewed():
            if dossier_id in config.rules.dossiers:
                dossier_data(werkplek, store, config, werkplek.clock(), dossier_id)


@page("read")
async def vandaag(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """Actions by deadline with owner and state, what changed, source health, the dossiers."""
    werkplek = request.app.state.werkplek

    def build() -> dict[str, Any]:
        config = werkplek.config()
        now = werkplek.clock()
        with werkplek.store() as store:
            briefing, stored = vandaag_data(werkplek, store, config, now)
            users = accounts.list_users(store.db)
        titles = dict(briefing.dossiers)
        counts = {d: sum(1 for a in briefing.actions if d in a.entry.dossiers) for d, _ in briefing.dossiers}
        return {
            "briefing": briefing,
            "banner": layout.banner(briefing),
            "actions": _actions(briefing.actions, titles, stored),
            "changed": [layout.changed_block(e, titles) for e in briefing.changed],
            "sources": [layout.source_line(s) for s in briefing.sources],
            "dossiers": [(d, t, counts[d]) for d, t in briefing.dossiers],
            "users": users,
        }

    context = await run_in_threadpool(build)
    return werkplek.render(request, "vandaag.html", {"user": user, "csrf": csrf, "wording": wording, **context})


# ---------------------------------------------------------------------------- Dossier


def dossier_scope(today: date, now: Any, dossier: str) -> Scope:
    """A dossier page's window: meetings two months back and ahead, Kamer stukken and press of three months."""
    since = iso(now - timedelta(days=DOSSIER_NEWS_DAYS))
    return Scope(
        agenda_from=today - timedelta(days=DOSSIER_PAST_DAYS),
        agenda_to=today + timedelta(days=DOSSIER_AHEAD_DAYS),
        news_from=today - timedelta(days=DOSSIER_NEWS_DAYS),
        news_to=today,
        seen_after=None,
        changes_since=since,
        dossiers=[dossier],
    )


def dossier_data(werkplek: Any, store: Any, config: Any, now: Any, dossier_id: str) -> tuple[Briefing, list[Any], set[str]]:
    """A dossier page's briefing, woordvoerders and stored moment ids, from the cache while the data is unchanged."""
    key = werkplek.cache.key(("dossier", dossier_id), store.db, pipeline.rules_version(config.rules), now)

    def fresh() -> tuple[Briefing, list[Any], set[str]]:
        today = now.astimezone(AMS).date()
        found = pipeline.briefing(store, config, now, dossier_scope(today, now, dossier_id))
        people = pipeline.woordvoerders(store, config, dossier_id, now)
        return found, people, _stored_moments(store, [m.id for a in found.actions for m in a.moments])

    return werkplek.cache.get(key, fresh)


@page("read")
async def dossier(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """A dossier's timeline, moments ahead, Kamer stukken, press, woordvoerders and calendar link."""
    werkplek = request.app.state.werkplek
    dossier_id = request.path_params["dossier"]
    config = werkplek.config()
    if dossier_id not in config.rules.dossiers:
        raise HTTPException(404, f"Er is geen dossier '{dossier_id}'.")

    def build() -> dict[str, Any]:
        now = werkplek.clock()
        today = now.astimezone(AMS).date()
        werkplek.viewed(dossier_id)
        with werkplek.store() as store:
            briefing, people, stored = dossier_data(werkplek, store, config, now, dossier_id)
            users = accounts.list_users(store.db)
            changes = accounts.rules_log(store.db, dossier_id, limit=5)
        titles = dict(briefing.dossiers)
        action_keys = {a.key for a in briefing.actions}
        past = [e for e in briefing.agenda if e.meeting.day and e.meeting.day < today]
        ahead = [e for e in briefing.agenda if e not in past]
        kamer: dict[str, list[layout.Block]] = {}
        press: list[layout.Block] = []
        for news in briefing.news:
            for entry in news.kamer:
                kamer.setdefault(entry.group, []).append(layout.kamer_block(entry))
            press += [layout.press_block(e) for e in news.press]
        base = str(request.base_url)
        return {
            "dossier_id": dossier_id,
            "title": config.rules.dossiers[dossier_id].title,
            "briefing": briefing,
            "banner": layout.banner(briefing),
            "actions": _actions(briefing.actions, titles, stored),
            "ahead": [layout.agenda_block(e, titles, e.key in action_keys) for e in ahead],
            "past": [layout.agenda_block(e, titles, False) for e in reversed(past)],
            "kamer": kamer,
            "press": press,
            "people": [wording.woordvoerder(p) for p in people],
            "no_people": wording.no_woordvoerders(),
            "calendar_url": subscribe_url(base + "kalender/", calendar_secret(werkplek.db_path), dossier_id),
            "feed_url": feed_url(base + "feed/", calendar_secret(werkplek.db_path), dossier_id),
            "users": users,
            "rules_changes": changes,
            "window": (today - timedelta(days=DOSSIER_PAST_DAYS), today + timedelta(days=DOSSIER_AHEAD_DAYS), today - timedelta(days=DOSSIER_NEWS_DAYS)),
        }

    context = await run_in_threadpool(build)
    return werkplek.render(request, "dossier.html", {"user": user, "csrf": csrf, "wording": wording, **context})


# ---------------------------------------------------------------------------- Zoeken


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@page("read")
async def zoeken(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """Search with the rule language, filtered by dossier, source, kind and date."""
    werkplek = request.app.state.werkplek
    params = request.query_params
    config = werkplek.config()
    query = (params.get("q") or "")[:1000]
    filters = Filters(
        dossier=params.get("dossier") if params.get("dossier") in config.rules.dossiers else None,
        source=params.get("bron") if params.get("bron") in {s.id for s in config.sources.sources} else None,
        kind=params.get("soort") if params.get("soort") in KINDS else None,
        date_from=_day(params.get("van")),
        date_to=_day(params.get("tot")),
    )
    asked = bool(query.strip()) or any(vars(filters).values())

    def build() -> Any:
        with werkplek.store() as store:
            pipeline.match_pending(store, config.rules)  # the dossier filter reads current matches
            return search(store, query, filters)

    result = await run_in_threadpool(build) if asked else None
    error = None
    if result is not None and result.error is not None:
        exc: QueryError = result.error
        error = {"message": exc.message, "detail": f"{query}\n{' ' * max(exc.position, 0)}^", "hint": exc.hint}
    titles = {d.id: d.title for d in config.rules.dossiers.values()}
    why: dict[str, str] = {}
    for hit in result.hits if result is not None else []:
        grouped: dict[str, list[tuple[str | None, list[str]]]] = {}
        for match in hit.dossiers:
            grouped.setdefault(match.dossier, []).append((match.rule, [layout.clean(t, 60) for t in match.terms]))
        why[hit.item.id] = "; ".join(wording.reasons(titles.get(d, d), rules) for d, rules in grouped.items())
    return werkplek.render(
        request,
        "zoeken.html",
        {
            "user": user, "csrf": csrf, "query": query, "filters": filters, "result": result, "error": error, "asked": asked,
            "dossiers": titles, "sources": [(s.id, s.label or s.id) for s in config.sources.sources], "kinds": KINDS,
            "wording": wording, "why": why, "clean": layout.clean, "safe_url": layout.safe_url,
        },
    )


# ---------------------------------------------------------------------------- moments as work


@page("work")
async def moment_work(request: Request, user: User, csrf: str, form: dict[str, str] | None) -> Response:
    """Record owner, 'afgehandeld' and note of a stored moment (only what changed), then go back."""
    werkplek = request.app.state.werkplek
    assert form is not None
    moment_id = form.get("moment", "")
    owner = form.get("eigenaar", "").strip()
    done = form.get("afgehandeld") == "ja"
    note = " ".join(form.get("notitie", "").split())
    if len(note) > team_work.MAX_NOTE:
        raise Forbidden(f"Een notitie mag hoogstens {team_work.MAX_NOTE} tekens hebben.")
    back = local_target(form.get("terug"), "/")
    now = werkplek.clock()

    def record() -> None:
        with werkplek.store() as store:
            db = store.db
            if not db.execute("SELECT 1 FROM moments WHERE id = ?", [moment_id]).fetchone():
                raise HTTPException(404, "Dit moment is (nog) niet opgeslagen; voer eerst een ophaalronde uit.")
            if owner and accounts.get_user(db, owner) is None:
                raise HTTPException(400, f"Er is geen gebruiker '{owner}'.")
            current = team_work.state(db, [moment_id]).get(moment_id) or team_work.Work()
            at = iso(now) or ""
            with store.transaction():
                if (current.owner or "") != owner:
                    team_work.record(db, moment_id, at, user.name, team_work.OWNER, owner or None)
                if done and not current.done:
                    team_work.record(db, moment_id, at, user.name, team_work.DONE)
                elif not done and current.done:
                    team_work.record(db, moment_id, at, user.name, team_work.REOPENED)
                if (current.note or "") != note:
                    team_work.record(db, moment_id, at, user.name, team_work.NOTE, note or None)

    await run_in_threadpool(record)
    return RedirectResponse(f"{back}#actie-{_anchor(moment_id)}", status_code=303)


def _anchor(moment_id: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in moment_id)


# ---------------------------------------------------------------------------- the calendar


async def calendar_feed(request: Request) -> Response:
    """The lobbykalender behind its secret token (no login: Outlook subscribes to the URL)."""
    werkplek = request.app.state.werkplek
    token, name = request.path_params["token"], request.path_params["name"]
    config = werkplek.config()
    if name != ALL and name not in config.rules.dossiers:
        raise HTTPException(404, "Deze kalender bestaat niet.")
    expected = calendar_token(calendar_secret(werkplek.db_path), name)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(404, "Deze kalender bestaat niet.")

    def build() -> bytes:
        with werkplek.store() as store:
            return pipeline.calendar(config, store, werkplek.clock(), None if name == ALL else name)

    body = await run_in_threadpool(build)
    return Response(body, media_type="text/calendar; charset=utf-8")


async def atom_feed(request: Request) -> Response:
    """The Atom feed behind its secret token (no login: a feed reader subscribes to the URL)."""
    werkplek = request.app.state.werkplek
    token, name = request.path_params["token"], request.path_params["name"]
    config = werkplek.config()
    if name != ALL and name not in config.rules.dossiers:
        raise HTTPException(404, "Deze feed bestaat niet.")
    expected = feed_token(calendar_secret(werkplek.db_path), name)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(404, "Deze feed bestaat niet.")

    def build() -> bytes:
        with werkplek.store() as store:
            return pipeline.feed(config, store, werkplek.clock(), None if name == ALL else name, self_url=str(request.url))

    body = await run_in_threadpool(build)
    return Response(body, media_type=FEED_TYPE)
