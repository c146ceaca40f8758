"""Shared fixtures: a loopback HTTP server for feeds, config directories, paths."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = FIXTURES / "feeds"
REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "real"


@dataclass
class Route:
    """What the loopback server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/rss+xml; charset=utf-8"})
    etag: str | None = None


class LoopbackServer:
    """A tiny HTTP server on 127.0.0.1 serving canned routes, honouring If-None-Match, logging requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback():
    """A running loopback server; add routes to `.routes`."""
    server = LoopbackServer().start()
    yield server
    server.stop()


def write_config(directory: Path, sources: str, rules: str | None = None) -> Path:
    """Write sources.yaml and rules.yaml (default rules: a small sociaal-domein set) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(sources, encoding="utf-8")
    (directory / "rules.yaml").write_text(rules if rules is not None else DEFAULT_RULES, encoding="utf-8")
    return directory


DEFAULT_RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp
  wmo:
    title: Wmo
    rules:
      - name: kern
        query: Wmo OR "beschermd wonen"
  participatie:
    title: Participatiewet
    rules:
      - name: kern
        query: Participatiewet OR bijstand
"""


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback: yields (inbox, port)."""
    from test_digest_fixtures import start_smtp

    controller, inbox, port = start_smtp()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The replay fortnight and its vakpers feed fetched into a config directory (see replay_week.py).

    Module-scoped: the exports and feed tests only read it.
    """
    from replay_week import fetch_fortnight

    return fetch_fortnight(tmp_path_factory.mktemp("fortnight") / "cfg")

