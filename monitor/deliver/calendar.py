"""The lobbykalender: an iCalendar feed of moments (deadlines) and matched Kamer meetings.

Outlook and Google subscribe to it, so the feed must behave like a calendar server would:

- UIDs are derived from the item / moment id only, so they are stable across runs.
- `calendar_events` remembers what each event looked like when last published. When its time,
  status, place, title or agenda changes, SEQUENCE goes up by one and DTSTAMP/LAST-MODIFIED move;
  otherwise the event is byte-identical to the previous run.
- A cancelled meeting (status Geannuleerd/Vervallen, or deleted by the Kamer) is published with
  STATUS:CANCELLED; one marked Verplaatst whose new date is not known yet as TENTATIVE. A meeting
  the Kamer re-creates under a new id (VervangenVanuit) stays one event that moves (its UID comes
  from the first activity), just as its moments do. An event that drops out of the feed (its moment no longer exists) is published
  once more as CANCELLED until its date has passed, so subscribed calendars remove it.
- Times are Europe/Amsterdam with a VTIMEZONE; deadlines are all-day events.

`serve_calendar` runs a tiny loopback HTTP server for `/kalender/<dossier>.ics` and `/kalender/alle.ics`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from icalendar import Calendar, Event

from ..models import KIND_ACTIVITY, Moment
from ..moments import MeetingChain, meeting_chains
from ..timeutil import AMS, format_nl, iso, to_local

if TYPE_CHECKING:
    import sqlite_utils

    from ..config import RulesConfig
    from ..store import Store

log = logging.getLogger(__name__)

PRODID = "-//monitor//Lobbykalender//NL"
UID_DOMAIN = "lobbykalender.monitor"
PAST_DAYS = 30  # meetings this far back stay in the feed (Outlook keeps history visible)
CANCELLED_STATUSES = ("geannuleerd", "vervallen")
LABELS = {
    "brief": "Briefing woordvoerders",
    "inbreng": "Inbreng aanleveren",
    "agendering": "Agendering vragen",
    "positionpaper": "Position paper",
    "motie": "Motietekst voorstellen",
    "stemming": "Fracties benaderen voor stemming",
}


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the table of published event states (idempotent)."""
    if "calendar_events" not in db.table_names():
        db["calendar_events"].create(
            {
                "uid": str,
                "fingerprint": str,
                "sequence": int,
                "stamp": str,
                "dossiers": str,
                "day": str,  # YYYY-MM-DD of the event, to stop re-publishing tombstones once past
                "ical": str,  # the event as last published, for the tombstone
                "gone": int,
            },
            pk="uid",
        )


class _Draft:
    """An event before its SEQUENCE/DTSTAMP are known."""

    def __init__(self, uid: str, dossiers: list[str], day: str, fingerprint: dict[str, Any], event: Event) -> None:
        self.uid = uid
        self.dossiers = dossiers
        self.day = day
        self.fingerprint = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()
        self.event = event


def build_calendar(
    store: Store,
    rules_config: RulesConfig,
    moments: list[Moment],
    now: datetime,
    dossier: str | None = None,
) -> bytes:
    """The .ics for one dossier (or all), as bytes; records published states for SEQUENCE.

    Raises KeyError for an unknown dossier.
    """
    ensure_schema(store.db)
    now = now.astimezone(AMS)
    if dossier is not None and dossier not in rules_config.dossiers:
        raise KeyError(dossier)
    scope = [dossier] if dossier else list(rules_config.dossiers)
    titles = {d: rules_config.dossiers[d].title for d in scope}
    by_activity: dict[str, list[Moment]] = {}
    for moment in moments:
        if moment.item_id:
            by_activity.setdefault(moment.item_id, []).append(moment)
    drafts = [*_meeting_drafts(store, scope, titles, by_activity, now), *_moment_drafts(store, scope, titles, moments, now)]

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = f"Lobbykalender — {titles[dossier]}" if dossier else "Lobbykalender — alle dossiers"
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Amsterdam")
    # Ask subscribers to refresh hourly (Outlook honours X-PUBLISHED-TTL, others REFRESH-INTERVAL).
    cal.add("x-published-ttl", "PT1H")
    stamp = iso(now)
    seen: set[str] = set()
    with store.transaction():
        for draft in drafts:
            if draft.uid in seen:
                continue
            seen.add(draft.uid)
            cal.add_component(_publish(store.db, draft, stamp))
        for event in _tombstones(store.db, scope, seen, now, stamp):
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _publish(db: sqlite_utils.Database, draft: _Draft, stamp: str) -> Event:
    rows = list(db.query("SELECT * FROM calendar_events WHERE uid = ?", [draft.uid]))
    if not rows:
        sequence, when = 0, stamp
    elif rows[0]["fingerprint"] == draft.fingerprint and not rows[0]["gone"]:
        sequence, when = rows[0]["sequence"], rows[0]["stamp"]
    else:
        sequence, when = rows[0]["sequence"] + 1, stamp
    event = draft.event
    moment = to_local(when)
    event.add("dtstamp", moment)
    event.add("last-modified", moment)
    event.add("sequence", sequence)
    db["calendar_events"].upsert(
        {
            "uid": draft.uid,
            "fingerprint": draft.fingerprint,
            "sequence": sequence,
            "stamp": when,
            "dossiers": json.dumps(sorted(set(draft.dossiers) | set(json.loads(rows[0]["dossiers"]) if rows else []))),
            "day": draft.day,
            "ical": event.to_ical().decode("utf-8"),
            "gone": 0,
        },
        pk="uid",
    )
    return event


def _tombstones(db: sqlite_utils.Database, scope: list[str], seen: set[str], now: datetime, stamp: str) -> list[Event]:
    """Events published before that are no longer produced: publish them CANCELLED until past."""
    out = []
    today = now.date().isoformat()
    for row in db.query("SELECT * FROM calendar_events WHERE day >= ?", [today]):
        if row["uid"] in seen or not set(json.loads(row["dossiers"] or "[]")) & set(scope):
            continue
        event = Event.from_ical(row["ical"])
        if row["gone"]:
            sequence, when = row["sequence"], row["stamp"]
        else:
            sequence, when = row["sequence"] + 1, stamp
            db["calendar_events"].update(row["uid"], {"gone": 1, "sequence": sequence, "stamp": when})
        for key in ("status", "sequence", "dtstamp", "last-modified"):
            event.pop(key, None)
        event.add("status", "CANCELLED")
        event.add("sequence", sequence)
        event.add("dtstamp", to_local(when))
        event.add("last-modified", to_local(when))
        summary = str(event.get("summary", ""))
        if not summary.startswith("VERVALLEN"):
            event.pop("summary", None)
            event.add("summary", f"VERVALLEN: {summary}")
        out.append(event)
    return out


def _meeting_drafts(
    store: Store, scope: list[str], titles: dict[str, str], by_activity: dict[str, list[Moment]], now: datetime
) -> list[_Draft]:
    since = iso(now - timedelta(days=PAST_DAYS))
    sql = f"""
        SELECT i.id, group_concat(DISTINCT m.dossier) AS dossiers FROM items i JOIN matches m ON m.item_id = i.id
        WHERE m.dossier IN ({', '.join('?' for _ in scope)}) AND i.kind = ?
        GROUP BY i.id ORDER BY i.id
    """
    # A meeting the Kamer moved by re-creating it is one event: its UID comes from the first
    # activity, it shows the current one, and it carries the dossiers any of them matched.
    chains = meeting_chains(store)
    meetings: dict[str, tuple[MeetingChain, set[str]]] = {}
    for row in store.db.query(sql, [*scope, KIND_ACTIVITY]):
        chain = chains.get(row["id"])
        if chain is None or chain.current is None:
            continue
        key = f"{chain.current.source}:activiteit/{chain.root}"
        meetings.setdefault(key, (chain, set()))[1].update((row["dossiers"] or "").split(","))
    drafts = []
    for key, (chain, matched) in sorted(meetings.items(), key=lambda entry: (entry[1][0].current.event_at or "", entry[0])):
        item = chain.current
        dossiers = [d for d in scope if d in matched]
        start = to_local(item.event_at)
        if start is None or (item.event_at or "") < (since or ""):
            continue
        end = to_local(item.data.get("eindtijd")) or start + timedelta(hours=2)
        if end <= start:
            end = start + timedelta(hours=2)
        status = str(item.data.get("status") or "")
        cancelled = status.lower() in CANCELLED_STATUSES or chain.current_deleted
        # "Verplaatst" without a new activity yet: the old time no longer holds, the new one is unknown.
        awaiting = not cancelled and status.lower() == "verplaatst"
        soort = str(item.data.get("soort") or "Vergadering")
        title = _one_line(item.title) or soort
        summary = f"{soort}: {title}" if soort and not title.lower().startswith(soort.lower()) else title
        if cancelled:
            summary = f"GEANNULEERD: {summary}"
        elif awaiting:
            summary = f"VERPLAATST (nieuwe datum volgt): {summary}"
        location = ", ".join(x for x in (_one_line(item.data.get("locatie")), "Tweede Kamer") if x)
        agenda = [str(a) for a in item.data.get("agenda") or []]
        woordvoerders = _woordvoerders(by_activity.get(item.id, []))
        lines = [f"Dossier: {', '.join(titles[d] for d in dossiers)}"]
        commissie = item.data.get("commissie")
        if isinstance(commissie, dict) and (commissie.get("naam") or commissie.get("afkorting")):
            lines.append(f"Commissie: {commissie.get('naam') or commissie.get('afkorting')}")
        if status:
            lines.append(f"Status: {status}")
        if agenda:
            lines.append("")
            lines.append("Agenda:")
            lines.extend(f"- {_one_line(a)}" for a in agenda)
        if woordvoerders:
            lines.append("")
            lines.append("Woordvoerders:")
            lines.extend(woordvoerders)
        for moment in sorted(by_activity.get(item.id, []), key=lambda m: m.deadline or ""):
            if moment.deadline and moment.kind in LABELS:
                lines.append(f"Deadline {LABELS[moment.kind].lower()}: {format_nl(moment.deadline, with_time=False)}")
        url = _safe_url(item.url)
        if url:
            lines.append("")
            lines.append(url)
        event = Event()
        uid = f"{_uid_part(key)}@{UID_DOMAIN}"
        event.add("uid", uid)
        event.add("summary", summary)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("location", location)
        event.add("description", "\n".join(lines))
        event.add("status", "CANCELLED" if cancelled else ("TENTATIVE" if awaiting else "CONFIRMED"))
        event.add("categories", [titles[d] for d in dossiers])
        if url:
            event.add("url", url)
        fingerprint = {"start": iso(start), "end": iso(end), "status": "awaiting" if awaiting else cancelled, "summary": summary, "location": location, "agenda": agenda, "wv": woordvoerders}
        drafts.append(_Draft(uid, dossiers, start.date().isoformat(), fingerprint, event))
    return drafts


def _moment_drafts(store: Store, scope: list[str], titles: dict[str, str], moments: list[Moment], now: datetime) -> list[_Draft]:
    oldest = (now - timedelta(days=PAST_DAYS)).date().isoformat()
    drafts = []
    for moment in moments:
        dossiers = [d for d in scope if d in moment.dossiers]
        if not dossiers or not moment.deadline or moment.kind not in LABELS or moment.deadline < oldest:
            continue
        day = date.fromisoformat(moment.deadline[:10])
        cancelled = (moment.status or "").lower() == "geannuleerd"
        label = LABELS[moment.kind]
        summary = f"{'GEANNULEERD: ' if cancelled else ''}{label}: {_one_line(moment.title)}"
        item = store.get_item(moment.item_id) if moment.item_id else None
        lines = [f"Actie: {label}", f"Uiterlijk: {format_nl(day, with_year=True)}"]
        if moment.event_at:
            lines.append(f"Vergadering: {format_nl(moment.event_at)}")
        lines.append(f"Dossier: {', '.join(titles[d] for d in dossiers)}")
        if moment.status:
            lines.append(f"Status: {moment.status}")
        if moment.triggers:
            lines.append(f"Waarom: {'; '.join(_one_line(t) for t in moment.triggers)}")
        agenda = [str(a) for a in ((moment.activity or {}).get("agenda") or (item.data.get("agenda") if item else None) or [])]
        if agenda:
            lines.append("")
            lines.append("Agenda:")
            lines.extend(f"- {_one_line(a)}" for a in agenda)
        woordvoerders = _woordvoerders([moment])
        if woordvoerders:
            lines.append("")
            lines.append("Woordvoerders:")
            lines.extend(woordvoerders)
        url = _safe_url(item.url if item else (moment.activity or {}).get("url"))
        if url:
            lines.append("")
            lines.append(url)
        event = Event()
        uid = f"moment-{_uid_part(moment.id)}@{UID_DOMAIN}"
        event.add("uid", uid)
        event.add("summary", summary)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        event.add("description", "\n".join(lines))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("categories", [titles[d] for d in dossiers])
        if url:
            event.add("url", url)
        fingerprint = {"day": day.isoformat(), "status": cancelled, "summary": summary, "event_at": moment.event_at, "agenda": agenda, "wv": woordvoerders}
        drafts.append(_Draft(uid, dossiers, day.isoformat(), fingerprint, event))
    return drafts


def _woordvoerders(moments: Iterable[Moment]) -> list[str]:
    out: list[str] = []
    for moment in moments:
        for w in moment.woordvoerders:
            line = f"- {_one_line(w.naam)}" + (f" ({_one_line(w.fractie)})" if w.fractie else "") + (f": {_one_line(w.reden)}" if w.reden else "")
            if line not in out:
                out.append(line)
    return out


def _uid_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-")


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _safe_url(url: Any) -> str | None:
    if isinstance(url, str) and re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


# ---------------------------------------------------------------------------- serving


class CalendarServer:
    """A loopback HTTP server for `/kalender/<dossier>.ics` and `/kalender/alle.ics`.

    `render(dossier_or_None) -> bytes` builds the feed (see `make_renderer`); requests are
    served one render at a time, because rendering updates the published-state table.
    """

    def __init__(self, render: Callable[[str | None], bytes], dossiers: Iterable[str], host: str = "127.0.0.1", port: int = 8765) -> None:
        self.render = render
        self.dossiers = set(dossiers)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "monitor-kalender"

            def do_GET(self) -> None:  # noqa: N802 (http.server's hook name)
                self._serve(with_body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(with_body=False)

            def _serve(self, with_body: bool) -> None:
                match = re.fullmatch(r"/kalender/([A-Za-z0-9][A-Za-z0-9_.-]*)\.ics", self.path.split("?", 1)[0])
                if not match or (match.group(1) != "alle" and match.group(1) not in server.dossiers):
                    names = ", ".join(f"/kalender/{d}.ics" for d in ["alle", *sorted(server.dossiers)])
                    self._reply(404, "text/plain; charset=utf-8", f"Niet gevonden. Beschikbaar: {names}\n".encode(), with_body)
                    return
                dossier = None if match.group(1) == "alle" else match.group(1)
                try:
                    with server._lock:
                        body = server.render(dossier)
                except Exception:  # one bad render must not kill the server thread
                    log.exception("calendar: rendering %s failed", self.path)
                    self._reply(500, "text/plain; charset=utf-8", b"Interne fout bij het maken van de kalender\n", with_body)
                    return
                self._reply(200, "text/calendar; charset=utf-8", body, with_body)

            def _reply(self, status: int, content_type: str, body: bytes, with_body: bool) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
                log.debug("calendar: " + format, *args)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:8765/kalender/"""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/kalender/"

    def start(self) -> CalendarServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="kalender", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def make_renderer(
    db_path: str,
    rules_config: RulesConfig,
    moments_fn: Callable[[Store, datetime], list[Moment]],
    now_fn: Callable[[], datetime] | None = None,
) -> Callable[[str | None], bytes]:
    """A `render(dossier)` for `CalendarServer` that opens its own Store per request.

    `moments_fn(store, now)` gives the moments (the lead passes the moments stage).
    """
    from ..store import Store
    from ..timeutil import now as current

    def render(dossier: str | None) -> bytes:
        now = (now_fn or current)()
        store = Store(db_path)
        try:
            return build_calendar(store, rules_config, moments_fn(store, now), now, dossier)
        finally:
            store.close()

    return render


def serve_calendar(
    db_path: str,
    rules_config: RulesConfig,
    moments_fn: Callable[[Store, datetime], list[Moment]],
    host: str = "127.0.0.1",
    port: int = 8765,
) -> CalendarServer:
    """Start the lobbykalender server in a thread and return it (call `.stop()` to end it)."""
    render = make_renderer(db_path, rules_config, moments_fn)
    return CalendarServer(render, rules_config.dossiers, host, port).start()
