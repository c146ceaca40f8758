"""The lobbykalender: an iCalendar feed of the deadlines and the meetings on the dossiers.

Outlook and Google subscribe to it, so the feed must behave like a calendar server would, and it
is a pure function of the briefing (reading the calendar writes nothing):

- UIDs derive from the moment id or the meeting's first activity only, so they are stable across
  runs; a meeting the Kamer re-creates under a new id (VervangenVanuit) stays one event that moves.
- SEQUENCE counts how often the meeting's time, status, place or agenda changed, from the change
  log; DTSTAMP and LAST-MODIFIED are when that last happened. An unchanged event is byte-identical
  from run to run.
- A cancelled meeting (Geannuleerd/Vervallen, or deleted by the Kamer) is published with
  STATUS:CANCELLED, and so are its deadlines; one marked Verplaatst whose new date is not known
  yet is TENTATIVE.
- Times are Europe/Amsterdam with a rule-based VTIMEZONE (the EU's last-Sunday rules as RRULEs:
  clients that read the block, such as Outlook, ical.js and vobject, get summer time right);
  deadlines are all-day events with a reminder at 09:00 on the working day before (configurable).
  Every text is the same Dutch as the report and the digest (`monitor.wording`).
- REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (Outlook) ask subscribers to refresh hourly.

`serve_calendar` runs a small HTTP server for `/kalender/<token>/<dossier>.ics` and
`/kalender/<token>/alle.ics`: each calendar has its own secret token in its URL (from a secret
next to the database, or `$MONITOR_CALENDAR_SECRET`), so only who was given the URL can read it;
`subscribe_urls` lists them (`monitor calendar --urls`). Given a feed renderer it also serves the
Atom feeds at `/feed/<token>/<name>.atom`, whose tokens derive from the same secret for another
purpose, so a calendar's link never opens a feed (`feed_urls`, `monitor feed --urls`). `/health`
answers "ok" for monitoring.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from .. import wording
from ..briefing import Action, Briefing, KamerEntry, MeetingEntry, Scope
from ..models import MeetingStatus, MomentStatus, UpdateKind
from ..render.layout import clean, safe_url
from ..timeutil import AMS, to_local

if TYPE_CHECKING:
    from ..config import RulesConfig

log = logging.getLogger(__name__)

PRODID = "-//monitor//Lobbykalender//NL"
UID_DOMAIN = "lobbykalender.monitor"
PAST_DAYS = 30  # meetings this far back stay in the feed (Outlook keeps history visible)
CALENDAR_DAYS_AHEAD = 180


def calendar_scope(now: datetime, dossier: str | None = None) -> Scope:
    """What the calendar covers: meetings and deadlines from 30 days back to 180 days ahead; no news."""
    today = now.date()
    return Scope(today - timedelta(days=PAST_DAYS), today + timedelta(days=CALENDAR_DAYS_AHEAD), None, None, dossiers=[dossier] if dossier else None)


DEFAULT_REMINDER = time(9, 0)  # on the working day before a deadline
REFRESH = timedelta(hours=1)


def render_calendar(briefing: Briefing, dossier: str | None = None, reminder: time | None = DEFAULT_REMINDER) -> bytes:
    """The .ics of a briefing (built for the calendar's window: 30 days back, 180 ahead).

    `reminder` is the time of day, on the working day before a deadline, at which calendars
    remind of it (None: no reminders).
    """
    titles = dict(briefing.dossiers)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Lobbykalender — {titles[dossier]}" if dossier else "Lobbykalender — alle dossiers")
    cal.add("x-wr-timezone", "Europe/Amsterdam")
    # Ask subscribers to refresh hourly: RFC 7986's REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook.
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add_component(amsterdam_timezone())
    actions: dict[str, list[Action]] = {}
    for action in (*briefing.actions, *briefing.closed):
        actions.setdefault(action.key, []).append(action)
    meetings = {e.key: e for e in briefing.agenda}
    for action_list in actions.values():
        meetings.setdefault(action_list[0].entry.key, action_list[0].entry)
    for entry in sorted(meetings.values(), key=lambda e: (str(e.meeting.start or e.meeting.day or ""), e.key)):
        event = _meeting_event(entry, actions.get(entry.key, []), titles)
        if event is not None:
            cal.add_component(event)
    for action_list in actions.values():
        for action in action_list:
            for event in _deadline_events(action, titles, reminder):
                cal.add_component(event)
    for entry in briefing.promises:
        cal.add_component(_promise_event(entry, titles, reminder))
    return cal.to_ical()


def amsterdam_timezone() -> Timezone:
    """Europe/Amsterdam as two yearly rules (EU summer time since 1996), not a list of dates.

    icalendar's `add_missing_timezones()` writes every transition as RDATEs, a form that ical.js,
    vobject and (reportedly) Outlook misread in summer: a June meeting at 15:00 came out an hour off.
    """
    zone = Timezone()
    zone.add("tzid", "Europe/Amsterdam")
    zone.add("x-lic-location", "Europe/Amsterdam")
    # Summer time starts the last Sunday of March at 02:00 CET, ends the last Sunday of October at 03:00 CEST.
    for kind, name, start, before, after in (
        (TimezoneDaylight, "CEST", datetime(1970, 3, 29, 2, 0), 1, 2),
        (TimezoneStandard, "CET", datetime(1970, 10, 25, 3, 0), 2, 1),
    ):
        rule = kind()
        rule.add("tzname", name)
        rule.add("dtstart", start)
        rule.add("tzoffsetfrom", timedelta(hours=before))
        rule.add("tzoffsetto", timedelta(hours=after))
        rule.add("rrule", {"freq": "yearly", "bymonth": start.month, "byday": "-1su"})
        zone.add_component(rule)
    return zone


def _reminder(deadline: date, at: time, summary: str) -> Alarm:
    """A display alarm at `at` on the working day before `deadline` (relative to the all-day event's start)."""
    from ..workdays import subtract_workdays

    before = subtract_workdays(deadline, 1)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", datetime.combine(before, at) - datetime.combine(deadline, time(0, 0)))
    return alarm


def _meeting_event(entry: MeetingEntry, actions: list[Action], titles: dict[str, str]) -> Event | None:
    meeting = entry.meeting
    start = meeting.start
    if start is None:
        return None  # no time yet (a tweeminutendebat without a date): nothing to put in a calendar
    end = meeting.end if meeting.end and meeting.end > start else start + timedelta(hours=2)
    cancelled = meeting.status.cancelled or entry.deleted
    awaiting = not cancelled and meeting.status is MeetingStatus.VERPLAATST
    summary = wording.calendar_meeting_summary(meeting, cancelled=cancelled, awaiting=awaiting)
    lines = [f"Dossier: {', '.join(titles.get(d, d) for d in entry.dossiers)}"]
    where = wording.meeting_where(meeting)
    if where:
        lines.append(where[0].upper() + where[1:])
    badge = wording.meeting_badge(meeting, entry.deleted)
    if badge:
        lines.append(f"Status: {badge}")
    if meeting.noot and not any(u.kind is UpdateKind.NOTE for u in entry.updates):
        lines.append(wording.noot(meeting) or "")
    lines += [wording.update_phrase(u) for u in entry.updates]
    for action in actions:
        lines += [wording.action_line(m) for m in action.moments]
    if meeting.agenda:
        lines += ["", "Agenda:"] + [f"- {p.onderwerp}" for p in meeting.agenda]
    people = _woordvoerders(actions)
    if people:
        lines += ["", f"{wording.LABEL_WOORDVOERDERS}:"] + [f"- {p}" for p in people]
    url = safe_url(meeting.url)
    if url:
        lines += ["", url]
    event = Event()
    event.add("uid", f"{_uid_part(entry.key)}@{UID_DOMAIN}")
    event.add("summary", clean(summary, 300))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("location", ", ".join(x for x in (clean(meeting.locatie, 100), "Tweede Kamer") if x))
    event.add("description", "\n".join(clean(line, 500) for line in lines))
    event.add("status", "CANCELLED" if cancelled else ("TENTATIVE" if awaiting else "CONFIRMED"))
    event.add("categories", [titles.get(d, d) for d in entry.dossiers])
    if url:
        event.add("url", url)
    _stamp(event, entry)
    return event


def _deadline_events(action: Action, titles: dict[str, str], reminder: time | None) -> list[Event]:
    entry = action.entry
    out = []
    for moment in action.moments:
        if moment.deadline is None:
            continue
        cancelled = moment.status is MomentStatus.GEANNULEERD
        summary = wording.deadline_summary(moment, cancelled=cancelled)
        lines = [
            wording.action_line(moment),
            wording.meeting_line(moment.meeting),
            f"Dossier: {', '.join(titles.get(d, d) for d in moment.dossiers)}",
            f"Status: {wording.moment_state(moment)}",
        ]
        lines += [f"{wording.LABEL_AGENDA_POINT}: {t}" for t in moment.triggers[:5]]
        lines += [wording.update_phrase(u) for u in entry.updates]
        people = [wording.woordvoerder(w) for w in moment.woordvoerders]
        if people:
            lines += ["", f"{wording.LABEL_WOORDVOERDERS}:"] + [f"- {p}" for p in people]
        url = safe_url(moment.meeting.url)
        if url:
            lines += ["", url]
        event = Event()
        event.add("uid", f"moment-{_uid_part(moment.id)}@{UID_DOMAIN}")
        event.add("summary", clean(summary, 300))
        event.add("dtstart", moment.deadline)
        event.add("dtend", moment.deadline + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        event.add("description", "\n".join(clean(line, 500) for line in lines))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("categories", [titles.get(d, d) for d in moment.dossiers])
        if url:
            event.add("url", url)
        if reminder is not None and moment.status.active and not moment.handled:  # no alarm for what was done
            event.add_component(_reminder(moment.deadline, reminder, clean(summary, 300)))
        _stamp(event, entry)
        out.append(event)
    return out


def _promise_event(entry: KamerEntry, titles: dict[str, str], reminder: time | None) -> Event:
    """An open toezegging on the day it falls due: all day, free time, with a reminder like a deadline."""
    promise = entry.toezegging
    assert promise is not None and promise.deadline is not None
    summary = wording.promise_summary(promise)
    lines = [promise.tekst, wording.promise_meta(promise, entry.made_in), wording.promise_to(promise) or "",
             wording.promise_state(promise, entry.as_of_day or promise.deadline), f"Dossier: {', '.join(titles.get(d, d) for d in entry.dossiers)}"]
    url = safe_url(entry.url)
    if url:
        lines += ["", url]
    event = Event()
    event.add("uid", f"toezegging-{_uid_part(promise.id)}@{UID_DOMAIN}")
    event.add("summary", clean(summary, 300))
    event.add("dtstart", promise.deadline)
    event.add("dtend", promise.deadline + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("description", "\n".join(clean(line, 500) for line in lines if line is not None))
    event.add("status", "CONFIRMED")
    event.add("categories", [titles.get(d, d) for d in entry.dossiers])
    if url:
        event.add("url", url)
    if reminder is not None:
        event.add_component(_reminder(promise.deadline, reminder, clean(summary, 300)))
    # Stable across runs: the item's first sighting stamps it, a change of its date bumps SEQUENCE.
    event.add("dtstamp", to_local(entry.first_seen) or datetime(2000, 1, 1, tzinfo=AMS))
    event.add("sequence", len(entry.updates))
    return event


def _stamp(event: Event, entry: MeetingEntry) -> None:
    when = to_local(entry.modified_at) if entry.modified_at else None
    if when is not None:
        event.add("dtstamp", when.astimezone(AMS))
        event.add("last-modified", when.astimezone(AMS))
    event.add("sequence", entry.revision)


def _woordvoerders(actions: Iterable[Action]) -> list[str]:
    out: list[str] = []
    for action in actions:
        for person in action.woordvoerders:
            line = wording.woordvoerder(person)
            if line not in out:
                out.append(line)
    return out


def _uid_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-")


# ---------------------------------------------------------------------------- serving


class CalendarServer:
    """A loopback HTTP server for `/kalender/<token>/<dossier|alle>.ics` (and, with `feed_render`,
    `/feed/<token>/<dossier|alle>.atom`).

    `render(dossier_or_None) -> bytes` builds the calendar; requests are served one render at a
    time, so a burst of subscribers does not build many feeds at once. Each answer carries an
    ETag (a hash of the feed) and Last-Modified (when this server first served that content), and
    a repeat with If-None-Match or If-Modified-Since gets 304 without a body: a poll that finds
    nothing new costs the subscriber no download.
    """

    def __init__(
        self,
        render: Callable[[str | None], bytes],
        dossiers: Iterable[str],
        secret: bytes,
        host: str = "127.0.0.1",
        port: int = 8765,
        feed_render: Callable[[str | None], bytes] | None = None,
    ) -> None:
        self.render = render
        self.feed_render = feed_render
        self.dossiers = set(dossiers)
        self.secret = secret
        names = [ALL, *sorted(self.dossiers)]
        self.tokens = {name: calendar_token(secret, name) for name in names}
        self.feed_tokens = {name: feed_token(secret, name) for name in names} if feed_render else {}
        self._lock = threading.Lock()
        self._served: dict[str, tuple[str, datetime]] = {}  # calendar -> (ETag, when that content was first served)
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "monitor-kalender"

            def do_GET(self) -> None:  # noqa: N802 (http.server's hook name)
                self._serve(with_body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(with_body=False)

            def _serve(self, with_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/health":
                    self._reply(200, "text/plain; charset=utf-8", b"ok\n", with_body)
                    return
                match = re.fullmatch(r"/(kalender|feed)/([0-9a-f]+)/([A-Za-z0-9][A-Za-z0-9_.-]*)\.(ics|atom)", path)
                feed = match is not None and match.group(1) == "feed"
                expected = None
                if match is not None and match.group(4) == ("atom" if feed else "ics"):
                    expected = (server.feed_tokens if feed else server.tokens).get(match.group(3))
                if match is None or expected is None or not hmac.compare_digest(expected, match.group(2)):
                    # The same answer for a wrong token and an unknown calendar: nothing to probe.
                    self._reply(404, "text/plain; charset=utf-8", b"Niet gevonden. Vraag de abonnementslink aan wie monitor beheert.\n", with_body)
                    return
                name = match.group(3)
                dossier = None if name == ALL else name
                render = server.feed_render if feed else server.render
                assert render is not None  # no feed tokens without a feed renderer
                try:
                    with server._lock:
                        body = render(dossier)
                except Exception:  # one bad render must not kill the server thread
                    log.exception("calendar: rendering %s failed", self.path)
                    what = b"de feed" if feed else b"de kalender"
                    self._reply(500, "text/plain; charset=utf-8", b"Interne fout bij het maken van " + what + b"\n", with_body)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                served = f"{match.group(1)}/{name}"
                known = server._served.get(served)
                if known is None or known[0] != etag:
                    known = server._served[served] = (etag, datetime.now(timezone.utc).replace(microsecond=0))
                modified = known[1]
                validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
                if self._not_modified(etag, modified):
                    self._reply(304, None, b"", False, validators)
                    return
                self._reply(200, FEED_TYPE if feed else "text/calendar; charset=utf-8", body, with_body, validators)

            def _not_modified(self, etag: str, modified: datetime) -> bool:
                asked = self.headers.get("If-None-Match")
                if asked is not None:  # takes precedence over If-Modified-Since (RFC 9110)
                    return asked.strip() == "*" or etag in [t.strip() for t in asked.split(",")]
                since = self.headers.get("If-Modified-Since")
                if since is None:
                    return False
                try:
                    return modified <= parsedate_to_datetime(since)
                except (TypeError, ValueError):
                    return False

            def _reply(self, status: int, content_type: str | None, body: bytes, with_body: bool, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
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

    def url_for(self, name: str = "alle") -> str:
        """The subscribe URL of one calendar ('alle' or a dossier id), token included."""
        return subscribe_url(self.url, self.secret, name)

    @property
    def feed_url(self) -> str:
        """The base URL of the Atom feeds, e.g. http://127.0.0.1:8765/feed/"""
        return self.url.replace("/kalender/", "/feed/")

    def feed_url_for(self, name: str = "alle") -> str:
        """The URL of one Atom feed ('alle' or a dossier id), token included."""
        return feed_url(self.feed_url, self.secret, name)

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


def serve_calendar(
    render: Callable[[str | None], bytes],
    rules_config: RulesConfig,
    secret: bytes,
    host: str = "127.0.0.1",
    port: int = 8765,
    feed_render: Callable[[str | None], bytes] | None = None,
) -> CalendarServer:
    """Start the lobbykalender server in a thread and return it (call `.stop()` to end it).

    `render(dossier_or_None)` builds the calendar; the pipeline's `calendar` with a fresh Store per
    request is what the CLI and the scheduler pass. `feed_render`, when given, builds the Atom
    feeds served next to it. `secret` (see `calendar_secret`) makes the tokens.
    """
    return CalendarServer(render, rules_config.dossiers, secret, host, port, feed_render).start()


ALL = "alle"  # the calendar of every dossier
SECRET_ENV = "MONITOR_CALENDAR_SECRET"


def calendar_secret(db_path: str | Path) -> bytes:
    """The secret behind the subscribe tokens: $MONITOR_CALENDAR_SECRET, or `<db>.calendar-secret`.

    The file is made (readable by its owner only) the first time a calendar is served or its URLs
    are listed; delete it to give every calendar a new URL (old subscriptions then stop).
    """
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8")
    path = Path(f"{db_path}.calendar-secret")
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it just now
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def calendar_token(secret: bytes, name: str) -> str:
    """The token in one calendar's URL: it opens that calendar only."""
    return hmac.new(secret, name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def subscribe_url(base: str, secret: bytes, name: str) -> str:
    """One calendar's subscribe URL under `base` (e.g. https://monitor.gemeente.nl/kalender/)."""
    base = base if base.endswith("/") else base + "/"
    return f"{base}{calendar_token(secret, name)}/{name}.ics"


FEED_TYPE = "application/atom+xml; charset=utf-8"


def feed_token(secret: bytes, name: str) -> str:
    """The token in one Atom feed's URL: another purpose than the calendar's, so neither opens the other."""
    return hmac.new(secret, f"feed:{name}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def feed_url(base: str, secret: bytes, name: str) -> str:
    """One Atom feed's URL under `base` (e.g. https://monitor.gemeente.nl/feed/)."""
    base = base if base.endswith("/") else base + "/"
    return f"{base}{feed_token(secret, name)}/{name}.atom"


def feed_urls(base: str, secret: bytes, dossiers: Iterable[str]) -> dict[str, str]:
    """Each Atom feed's URL under `base`: 'alle' first, then the dossiers."""
    return {name: feed_url(base, secret, name) for name in [ALL, *dossiers]}


def subscribe_urls(base: str, secret: bytes, dossiers: Iterable[str]) -> dict[str, str]:
    """Each calendar's subscribe URL under `base`: 'alle' first, then the dossiers."""
    return {name: subscribe_url(base, secret, name) for name in [ALL, *dossiers]}
