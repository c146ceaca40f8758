"""The werkplek's Starlette application: `create_app` builds it, `serve` runs it with uvicorn.

One `Werkplek` holds what every request needs: the configuration directory (rules.yaml and
sources.yaml are re-read when they change on disk), the database path (a Store per request, so
requests in uvicorn's thread pool never share a SQLite connection), the clock (fixed in tests and
with --now), the secret that signs cookies, and the Jinja2 templates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import Config, ConfigError, load_config
from ..store import Store
from ..timeutil import AMS, format_nl
from ..timeutil import now as clock_now
from . import auth, pages, rules_editor, users_page
from .cache import PageCache, Warmer

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SECRET_ENV = "MONITOR_WEB_SECRET"
# No inline script or style anywhere: the strictest policy that the pages and htmx live with.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


def web_secret(db_path: str | Path) -> bytes:
    """The key that signs cookies: $MONITOR_WEB_SECRET, or `<db>.web-secret` (made on first use, mode 600)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8")
    path = Path(f"{db_path}.web-secret")
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def _hits(value: str) -> Markup:
    """Escape source text, then mark the hits the rule engine put between «…»."""
    import re

    return Markup(re.sub(r"«([^«»]*)»", r"<mark>\1</mark>", str(escape(value))))


class Werkplek:
    """Everything a request needs (see the module docstring)."""

    def __init__(self, config_dir: str | Path, db_path: str | Path, clock: Callable[[], datetime] | None = None, secret: bytes | None = None,
                 config: Config | None = None) -> None:
        self.config_dir = Path(config_dir)
        self.fixed_config = config  # a configuration made in code (the benchmark): never re-read
        self.db_path = Path(db_path)
        self.clock = clock or (lambda: clock_now())
        self.secret = secret or web_secret(self.db_path)
        self._config: tuple[tuple[float, float], Config] | None = None
        self._lock = threading.Lock()
        self.cache = PageCache()
        self._viewed: dict[str, float] = {}  # dossier id -> when its page was last read (monotonic)
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.filters["hits"] = _hits
        self.env.filters["anchor"] = lambda value: "".join(c if c.isalnum() else "-" for c in str(value))
        self.env.filters["dag"] = lambda value, **kw: format_nl(value, **kw) if value else ""
        # A migrated, usable database before the first request.
        Store(self.db_path).close()

    def config(self) -> Config:
        """rules.yaml and sources.yaml, re-read when either changed on disk (ConfigError when broken)."""
        if self.fixed_config is not None:
            return self.fixed_config
        stamp = tuple((self.config_dir / name).stat().st_mtime_ns for name in ("rules.yaml", "sources.yaml"))
        with self._lock:
            if self._config is None or self._config[0] != stamp:
                self._config = (stamp, load_config(self.config_dir))  # type: ignore[assignment]
            return self._config[1]

    def viewed(self, dossier: str) -> None:
        """Note that a dossier page was read (the warmer keeps such pages built)."""
        with self._lock:
            self._viewed[dossier] = time.monotonic()

    def recently_viewed(self, hours: float = 8, limit: int = 10) -> list[str]:
        """The dossier pages read in the last `hours`, most recent first (at most `limit`)."""
        horizon = time.monotonic() - hours * 3600
        with self._lock:
            recent = sorted(((t, d) for d, t in self._viewed.items() if t >= horizon), reverse=True)
        return [d for _, d in recent[:limit]]

    def forget_config(self) -> None:
        """After the werkplek itself wrote rules.yaml (mtime may not have moved within a tick)."""
        with self._lock:
            self._config = None

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A Store for the length of a request."""
        store = Store(self.db_path)
        try:
            yield store
        finally:
            store.close()

    def render(self, request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        """A page from `templates/`, with the user, CSRF token and current path available."""
        body = self.env.get_template(template).render(request=request, now=self.clock().astimezone(AMS), **context)
        return HTMLResponse(body, status_code=status_code)


class SecurityHeaders:
    """Pure ASGI middleware: CSP, no sniffing, no framing, no referrer beyond the site, no caching of pages."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(config_dir: str | Path, db_path: str | Path, *, clock: Callable[[], datetime] | None = None, secret: bytes | None = None,
               config: Config | None = None, warm: bool = False) -> Starlette:
    """The werkplek as an ASGI application (`config`: a fixed configuration instead of the directory's files;
    `warm`: keep Vandaag built in the background, as `monitor web` does)."""
    werkplek = Werkplek(config_dir, db_path, clock, secret, config)

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, auth.Forbidden)
        return werkplek.render(request, "error.html", {"title": "Geen toegang", "message": exc.message, "user": None}, status_code=403)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        title = "Niet gevonden" if exc.status_code == 404 else "Niet toegestaan" if exc.status_code == 405 else "Fout"
        message = exc.detail if exc.status_code not in (404, 405) or exc.detail not in ("Not Found", "Method Not Allowed") else (
            "Deze pagina bestaat niet." if exc.status_code == 404 else "Dat kan op deze pagina niet.")
        return werkplek.render(request, "error.html", {"title": title, "message": message, "user": None}, status_code=exc.status_code)

    async def config_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConfigError)
        message = "De configuratie is niet te gebruiken; `monitor rules check` zegt wat er mis is:\n" + "\n".join(str(p) for p in exc.problems)
        return werkplek.render(request, "error.html", {"title": "Configuratiefout", "message": message, "user": None}, status_code=500)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("werkplek: %s %s failed", request.method, request.url.path)
        return werkplek.render(request, "error.html", {"title": "Er ging iets mis", "message": "De pagina kon niet worden gemaakt. De fout staat in het logboek van de server.", "user": None}, status_code=500)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", pages.vandaag),
        Route("/login", auth.login, methods=["GET", "POST"]),
        Route("/uitloggen", auth.logout, methods=["POST"]),
        Route("/dossier/{dossier}", pages.dossier),
        Route("/zoeken", pages.zoeken),
        Route("/moment", pages.moment_work, methods=["POST"]),
        Route("/regels/{dossier}", rules_editor.editor, methods=["GET", "POST"]),
        Route("/gebruikers", users_page.users, methods=["GET", "POST"]),
        Route("/kalender/{token}/{name}.ics", pages.calendar_feed),
        Route("/feed/{token}/{name}.atom", pages.atom_feed),
        Route("/health", health),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        warmer = Warmer(lambda: pages.warm(werkplek)).start() if warm else None
        try:
            yield
        finally:
            if warmer is not None:
                warmer.stop()

    app = Starlette(
        lifespan=lifespan,
        routes=routes,
        exception_handlers={auth.Forbidden: forbidden, HTTPException: http_error, ConfigError: config_error, Exception: server_error},
    )
    app.state.werkplek = werkplek
    app.add_middleware(SecurityHeaders)
    return app


def serve_in_thread(config_dir: str | Path, db_path: str | Path, host: str = "127.0.0.1", port: int = 8080,
                    forwarded_allow_ips: str | None = None) -> Callable[[], None]:
    """Serve the werkplek from a background thread (next to `monitor schedule`'s jobs); returns the stop function."""
    import uvicorn

    app = create_app(config_dir, db_path, warm=True)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
                                           log_level="warning", server_header=False))
    thread = threading.Thread(target=server.run, name="werkplek", daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop


def serve(config_dir: str | Path, db_path: str | Path, host: str = "127.0.0.1", port: int = 8080, *, clock: Callable[[], datetime] | None = None,
          forwarded_allow_ips: str | None = None) -> None:
    """Run the werkplek with uvicorn until stopped (Ctrl-C, SIGTERM)."""
    import uvicorn

    app = create_app(config_dir, db_path, clock=clock, warm=True)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1", log_level="info", server_header=False)
