"""The shared HTTP client: retries, backoff, size cap, conditional GET, redirects, errors."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from monitor.config import HttpConfig
from monitor.sources.http import FetchError, HttpClient, ResponseTooLarge, Unreachable


def _get(handler, config: HttpConfig | None = None, **kwargs):
    async def go():
        async with HttpClient(config or HttpConfig(retries=2), transport=httpx.MockTransport(handler), backoff=0) as client:
            response = await client.get("https://feed.example/rss", **kwargs)
            return response, client.requests

    return asyncio.run(go())


def test_retries_server_errors_then_succeeds():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503 if len(calls) < 3 else 200, content=b"ok")

    response, requests = _get(handler)
    assert response.status == 200 and response.content == b"ok"
    assert requests == 3 and response.attempts == 3


def test_gives_up_after_retries_with_clear_message():
    def handler(request):
        return httpx.Response(500)

    with pytest.raises(FetchError) as info:
        _get(handler)
    assert "HTTP 500 Internal Server Error" in str(info.value)
    assert "after 3 attempts" in str(info.value)


def test_client_errors_are_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(404)

    with pytest.raises(FetchError, match="HTTP 404 Not Found"):
        _get(handler)
    assert len(calls) == 1


def test_retry_after_too_long_gives_up_at_once():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with pytest.raises(FetchError, match="asks to wait too long"):
        _get(handler)
    assert len(calls) == 1


def test_timeouts_are_retried_and_reported():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchError, match="timed out"):
        _get(handler)
    assert len(calls) == 3


def test_connection_errors_name_the_problem():
    def handler(request):
        raise httpx.ConnectError("Name or service not known", request=request)

    with pytest.raises(Unreachable, match="connection failed .*Name or service not known") as info:
        _get(handler)
    assert info.value.attempts == 3  # retried: a DNS hiccup can pass


def test_a_timeout_is_not_unreachable():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchError) as info:
        _get(handler)
    assert not isinstance(info.value, Unreachable)  # one slow answer says nothing about the next


def test_a_trickling_response_is_abandoned_as_a_whole():
    async def trickle():
        for _ in range(1000):  # each byte well within the per-read timeout, the whole far beyond
            await asyncio.sleep(0.02)
            yield b"x"

    def handler(request):
        return httpx.Response(200, content=trickle())

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"too slow: no complete answer within 0\.4s") as info:
        _get(handler, HttpConfig(timeout=0.1, retries=1))
    assert info.value.attempts == 2 and time.monotonic() - started < 3


def test_oversize_declared_length_is_refused():
    def handler(request):
        return httpx.Response(200, headers={"Content-Length": str(50 * 1024 * 1024)}, content=b"")

    with pytest.raises(ResponseTooLarge, match="over the limit"):
        _get(handler, HttpConfig(max_bytes=1024 * 1024))


def test_oversize_stream_without_length_is_cut_off():
    async def chunks():
        for _ in range(600):  # ~2.4 MB, no Content-Length: only counting while reading catches it
            yield b"x" * 4096

    def handler(request):
        return httpx.Response(200, content=chunks())

    with pytest.raises(ResponseTooLarge):
        _get(handler, HttpConfig(max_bytes=1024 * 1024, retries=0))


def test_conditional_get_sends_validators_and_reports_304():
    seen = {}

    def handler(request):
        seen.update(request.headers)
        return httpx.Response(304)

    response, _ = _get(handler, etag='"abc"', last_modified="Mon, 23 Nov 2026 07:00:00 GMT")
    assert response.not_modified
    assert seen["if-none-match"] == '"abc"'
    assert seen["if-modified-since"] == "Mon, 23 Nov 2026 07:00:00 GMT"
    assert seen["user-agent"].startswith("monitor/")


def test_redirects_are_followed():
    def handler(request):
        if request.url.path == "/rss":
            return httpx.Response(301, headers={"Location": "https://feed.example/new-rss"})
        return httpx.Response(200, content=b"moved")

    response, requests = _get(handler)
    assert response.content == b"moved"
    assert response.url == "https://feed.example/new-rss"
    assert response.redirected_from == ["https://feed.example/rss"]


def test_loopback_is_asked_directly_whatever_proxy_the_environment_names(monkeypatch):
    # A municipal machine has HTTPS_PROXY set; the demo's replay servers live on loopback.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dead_proxy = "http://127.0.0.1:9"  # nothing listens there: a request through it fails
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def go():
        async with HttpClient(HttpConfig(retries=0, timeout=5), backoff=0) as client:
            return await client.get(f"http://127.0.0.1:{server.server_address[1]}/feed")

    try:
        response = asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 200
