"""The one HTTP client every source uses.

Configured once: timeouts, redirects, retries with exponential backoff on 5xx/429/timeouts and
connection errors, a response size cap (streamed, so a 2 GB answer never reaches memory),
conditional GET, a descriptive User-Agent, and a bound on parallel requests. Tests swap the
transport (`httpx.MockTransport`) or point the URL at a loopback server; the code path is the same.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from .. import __version__
from ..config import HttpConfig
from . import SourceError

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for longer is treated as down for this run
TOTAL_TIMEOUT_FACTOR = 4  # a whole response may take this many times http.timeout (default 2 minutes)
LOOPBACK = ("all://127.0.0.1", "all://localhost", "all://[::1]")  # never through a proxy


class FetchError(SourceError):
    """A request failed for good (after retries). The message names the URL and the reason.

    `attempts` says how many requests were made, for the per-run request count.
    """

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class Unreachable(FetchError):
    """The host could not be reached at all (DNS, refused connection): other requests to the same
    host in this run will fail the same way, so a source may stop trying."""


class ResponseTooLarge(FetchError):
    """The response exceeded the configured size cap and was abandoned."""


@dataclass
class Response:
    """A completed response: body bytes, headers, final URL (after redirects)."""

    status: int
    url: str
    headers: httpx.Headers
    content: bytes = b""
    not_modified: bool = False
    attempts: int = 1
    redirected_from: list[str] = field(default_factory=list)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def user_agent(contact: str | None = None) -> str:
    """The User-Agent we send: who we are and, when configured, how to reach the operator."""
    agent = f"monitor/{__version__} (PA-monitor voor gemeenten; python-httpx/{httpx.__version__}"
    if contact:
        agent += f"; +{contact}"
    return agent + ")"


class HttpClient:
    """An async HTTP client with the project's policies. Use as `async with HttpClient(cfg) as c`."""

    def __init__(
        self,
        config: HttpConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 1.0,
    ) -> None:
        self.config = config or HttpConfig()
        self.backoff = backoff
        self.requests = 0
        self.total_timeout = TOTAL_TIMEOUT_FACTOR * self.config.timeout  # for one whole response
        self._semaphore = asyncio.Semaphore(self.config.concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.config.timeout, connect=min(self.config.timeout, 15.0)),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": user_agent(self.config.contact), "Accept-Encoding": "gzip, deflate"},
            transport=transport,
            # A proxy from HTTPS_PROXY (a municipal network) cannot reach this machine's own
            # loopback: the demo's replay servers and a local mirror are always asked directly.
            mounts={pattern: None for pattern in LOOPBACK},
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """GET `url`, retrying transient failures; 304 comes back as `not_modified=True`.

        Raises FetchError (or ResponseTooLarge) with a message fit for the source-health report.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        limit = max_bytes or self.config.max_bytes
        attempts = self.config.retries + 1
        last_problem = ""
        unreachable = False
        for attempt in range(1, attempts + 1):
            unreachable = False
            try:
                async with self._semaphore:
                    self.requests += 1
                    # httpx's timeout is per read: a server that trickles a byte now and then
                    # would hold the run for hours without this bound on the whole response.
                    async with asyncio.timeout(self.total_timeout):
                        response = await self._fetch_once(url, params, headers, limit)
            except ResponseTooLarge as exc:
                exc.attempts = attempt
                raise
            except httpx.TimeoutException:
                last_problem = f"timed out after {self.config.timeout:g}s"
                delay = self._delay(attempt)
            except TimeoutError:
                last_problem = f"too slow: no complete answer within {self.total_timeout:g}s"
                delay = self._delay(attempt)
            except httpx.TooManyRedirects:
                raise FetchError(f"too many redirects for {url}", attempt) from None
            except httpx.TransportError as exc:
                last_problem = f"connection failed ({_short(exc)})"
                unreachable = isinstance(exc, httpx.ConnectError)
                delay = self._delay(attempt)
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL {url}: {exc}", attempt) from None
            else:
                response.attempts = attempt
                if response.status == 304:
                    response.not_modified = True
                    return response
                if 200 <= response.status < 300:
                    return response
                reason = _reason(response.status)
                last_problem = f"HTTP {response.status} {reason}".rstrip()
                if response.status not in RETRY_STATUS:
                    raise FetchError(f"{last_problem} from {response.url}", attempt)
                delay = self._delay(attempt, response.headers.get("retry-after"))
                if delay is None:
                    raise FetchError(f"{last_problem} from {response.url} (asks to wait too long)", attempt)
            if attempt < attempts and delay is not None:
                await asyncio.sleep(delay)
        suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
        error = Unreachable if unreachable else FetchError
        raise error(f"{last_problem} for {url}{suffix}", attempts)

    async def _fetch_once(self, url: str, params: dict[str, str] | None, headers: dict[str, str], limit: int) -> Response:
        async with self._client.stream("GET", url, params=params, headers=headers) as stream:
            declared = stream.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(f"response from {url} is {_mb(int(declared))}, over the limit of {_mb(limit)} (http.max_bytes)")
            chunks: list[bytes] = []
            size = 0
            if 200 <= stream.status_code < 300:
                async for chunk in stream.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise ResponseTooLarge(f"response from {url} is over the limit of {_mb(limit)} (http.max_bytes); abandoned")
                    chunks.append(chunk)
            return Response(
                status=stream.status_code,
                url=str(stream.url),
                headers=stream.headers,
                content=b"".join(chunks),
                redirected_from=[str(r.url) for r in stream.history],
            )

    def _delay(self, attempt: int, retry_after: str | None = None) -> float | None:
        if retry_after:
            seconds = _parse_retry_after(retry_after)
            if seconds is not None:
                return None if seconds > MAX_RETRY_AFTER else seconds
        # Exponential backoff with jitter, so many monitors do not retry in lockstep.
        return self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
