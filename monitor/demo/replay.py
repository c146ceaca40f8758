"""Loopback replay servers: the Kamer's SyncFeed 2.0 and static RSS feeds, for `monitor demo`, the tests and benchmarks.

`SyncFeedReplay` serves `/SyncFeed/2.0/Feed?category=<C>&skiptoken=<N>` pages built from the
recorded-shape fixture files in `data/tk/` (entries kept byte for byte, prefixes and all), and
`/SyncFeed/2.0/Entiteiten/<id>` from `data/tk/entiteiten/` and `/SyncFeed/2.0/Resources/<id>` (transcripts,
document files) from `data/tk/resources/` or `resources[id]`. `FeedReplay` serves files as feeds.
Both bind to 127.0.0.1 only. Like the live feed, a page holds the entries of that category whose
skiptoken is greater than N, at most `page_size` of them, each with its own `rel="next"` link.

Extras for tests: `publish(stage)` makes a stage's entries appear (the Kamer published more),
`fail(category, *modes)` makes the next requests for a category fail (HTTP status codes,
"error" for an `<Error>` body, "malformed" for truncated XML), `history(...)` adds synthetic old
entries computed on the fly (millions of skiptokens without storing them), and `requests`
records every request path.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).parent / "data" / "tk"
TK = "http://www.tweedekamer.nl/xsd/tkData/v1-0"
LIVE = "https://gegevensmagazijn.tweedekamer.nl/SyncFeed/2.0"
_ENTRY = re.compile(r"  <entry>.*?</entry>", re.S)
_TOKEN = re.compile(r'rel="next" href="[^"]*skiptoken=(\d+)"')


@dataclass
class History:
    """Synthetic entries of one category: tokens first+offset, +step, … below `last`, dated t0 -> t1."""

    category: str
    element: str
    first: int
    last: int
    step: int
    offset: int
    t0: datetime
    t1: datetime
    body: Callable[[int], str] | None = None  # extra child XML per token
    shape: Callable[[float], float] | None = None  # share of tokens -> share of time (monotonic)

    def tokens_after(self, after: int | None, limit: int) -> list[int]:
        base = self.first + self.offset
        k = 0 if after is None or after < base else (after - base) // self.step + 1
        out = []
        while len(out) < limit:
            token = base + k * self.step
            if token >= self.last:
                break
            out.append(token)
            k += 1
        return out

    def updated(self, token: int) -> datetime:
        share = (token - self.first) / max(1, self.last - self.first)
        if self.shape is not None:
            share = self.shape(share)
        return self.t0 + (self.t1 - self.t0) * share

    def entry(self, token: int) -> str:
        entity_id = f"{token:08x}-0000-4000-8000-{self.offset:012x}"
        when = self.updated(token).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        inner = self.body(token) if self.body else ""
        return (
            f"  <entry>\n    <title>{entity_id}</title>\n    <id>{LIVE}/Entiteiten/{entity_id}</id>\n"
            f"    <updated>{when}</updated>\n    <category term=\"{self.element}\"/>\n"
            f'    <link rel="next" href="{LIVE}/Feed?category={self.category}&amp;skiptoken={token}"/>\n'
            f'    <content type="application/xml">\n      <{self.element} id="{entity_id}" tk:bijgewerkt="{when}" '
            f'tk:verwijderd="false" xmlns="{TK}" xmlns:tk="{TK}">{inner}</{self.element}>\n    </content>\n  </entry>'
        )


class SyncFeedReplay:
    """The replay server. Use `with SyncFeedReplay().start() as feed:` and point base_url at `feed.url`."""

    def __init__(self, page_size: int = 3) -> None:
        self.page_size = page_size
        self.entries: dict[str, list[tuple[int, str]]] = {}
        self.entities: dict[str, bytes] = {}
        self.histories: dict[str, History] = {}
        self.failures: dict[str, list[object]] = {}
        self.requests: list[str] = []
        self.resources: dict[str, bytes] = {}  # `/SyncFeed/2.0/Resources/<id>`: transcripts and document files
        self._lock = threading.Lock()
        for path in sorted((HERE / "entiteiten").glob("*.xml")):
            self.entities[path.stem] = path.read_bytes()
        for path in sorted((HERE / "resources").glob("*")):
            self.resources[path.stem] = path.read_bytes()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, body = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The base_url to configure: http://127.0.0.1:<port>."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SyncFeedReplay:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SyncFeedReplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ content

    def publish(self, stage: str) -> SyncFeedReplay:
        """Add every entry of a stage directory (`run1`, `run2`, …)."""
        for path in sorted((HERE / stage).glob("*.xml")):
            self.add_feed(path.stem, path.read_text(encoding="utf-8"))
        return self

    def add_feed(self, category: str, xml: str) -> None:
        """Add the entries of one feed document (as the live feed would serve it) to a category."""
        with self._lock:
            entries = self.entries.setdefault(category, [])
            for chunk in _ENTRY.findall(xml):
                found = _TOKEN.search(chunk)
                assert found, f"fixture entry without a next link in {category}"
                entries.append((int(found.group(1)), chunk))
            entries.sort(key=lambda e: e[0])

    def history(self, category: str, element: str, first: int, last: int, step: int, offset: int, t0: datetime, t1: datetime,
                body: Callable[[int], str] | None = None, shape: Callable[[float], float] | None = None) -> None:
        """Add synthetic old entries to a category (computed per request, never stored).

        `shape` bends the token -> time mapping (monotonic, [0, 1] -> [0, 1]) to model a feed
        whose density changes over the years or has a burst of re-published entries.
        """
        self.histories[category] = History(category, element, first, last, step, offset, t0, t1, body, shape)

    def fail(self, category: str, *modes: object) -> None:
        """Make the next requests for `category` fail, one mode per request: 500, 503, "error",
        "malformed", or a float: answer only after that many seconds (a timeout).

        None lets that request through, so `fail("Zaak", None, 500)` breaks the second page.
        """
        self.failures.setdefault(category, []).extend(modes)

    def feed_requests(self, category: str | None = None) -> list[str]:
        """The Feed requests made (optionally for one category)."""
        wanted = re.compile(rf"[?&]category={category}(&|$)") if category else None
        return [r for r in self.requests if "/Feed" in r and (wanted is None or wanted.search(r))]

    # ------------------------------------------------------------------ answering

    def answer(self, path: str) -> tuple[int, bytes]:
        status, body, delay = self._answer(path)
        if delay:
            time.sleep(delay)  # outside the lock: other categories go on meanwhile
        return status, body

    def _answer(self, path: str) -> tuple[int, bytes, float]:
        status, body = self._respond(path)
        if isinstance(status, float):
            return 200, body, status
        return status, body, 0.0

    def _respond(self, path: str) -> tuple[int | float, bytes]:
        with self._lock:
            self.requests.append(path)
            parts = urlsplit(path)
            if parts.path.startswith("/SyncFeed/2.0/Resources/"):
                resource = self.resources.get(parts.path.rsplit("/", 1)[-1])
                # The live API answers an unknown id with an XML error body and 404.
                return (200, resource) if resource is not None else (404, b"<Error><Message>Resource not found.</Message></Error>")
            if parts.path.startswith("/SyncFeed/2.0/Entiteiten/"):
                entity_id = parts.path.rsplit("/", 1)[-1]
                body = self.entities.get(entity_id)
                return (200, body) if body else (500, b"<Error><Message>An error has occurred.</Message></Error>")
            if parts.path != "/SyncFeed/2.0/Feed":
                return 404, b"not found"
            query = parse_qs(parts.query)
            category = (query.get("category") or [""])[0]
            token = int(query["skiptoken"][0]) if "skiptoken" in query else None
            pending = self.failures.get(category)
            if pending:
                mode = pending.pop(0)  # None: this request goes through
                if isinstance(mode, int):
                    return mode, b"<html><body>Internal Server Error</body></html>"
                if mode == "error":
                    return 200, b"<Error><Message>An error has occurred.</Message></Error>"
                if mode == "malformed":
                    page = self.page(category, token)
                    return 200, page[: len(page) // 2]
                if isinstance(mode, float):  # answer after this many seconds
                    return mode, self.page(category, token)
            return 200, self.page(category, token)

    def page(self, category: str, token: int | None) -> bytes:
        # Synthetic history and fixture entries merged in skiptoken order, as one feed.
        candidates: list[tuple[int, str]] = []
        history = self.histories.get(category)
        if history is not None:
            candidates = [(t, "") for t in history.tokens_after(token, self.page_size)]
        fixture = [(t, c) for t, c in self.entries.get(category, []) if token is None or t > token]
        candidates = sorted(candidates + fixture[: self.page_size], key=lambda e: e[0])[: self.page_size]
        chunks = [chunk or history.entry(t) for t, chunk in candidates if history is not None or chunk]
        query = f"category={category}" + (f"&amp;skiptoken={token}" if token is not None else "")
        resume = (token or 0) + 1
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xmlns="http://www.w3.org/2005/Atom">\n'
            "  <title>Gegevensmagazijn SyncFeed</title>\n"
            f'  <link rel="self" href="{LIVE}/Feed?{query}"/>\n'
            f'  <link rel="resume" href="{LIVE}/Feed?category={category}&amp;skiptoken={resume}"/>\n'
            f"  <updated>{datetime.now(timezone.utc).isoformat()}</updated>\n"
            "  <author>\n    <name>Tweede Kamer der Staten-Generaal</name>\n    <uri>https://opendata.tweedekamer.nl</uri>\n  </author>\n"
        )
        return (head + "\n".join(chunks) + ("\n" if chunks else "") + "</feed>\n").encode("utf-8")


class FeedReplay:
    """Serves files as RSS/Atom feeds at `/<name>` (the file name), on loopback."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append(self.path)
                body = server.files.get(urlsplit(self.path).path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, name: str) -> str:
        """The address of one served file."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def start(self) -> FeedReplay:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
