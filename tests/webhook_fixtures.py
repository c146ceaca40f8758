"""A loopback JSON webhook endpoint (http.server on 127.0.0.1) for the webhook and spoedmelding tests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "s3cr3t-T0KEN-9f8e7d"  # in every test URL's path: it must never show up in a log, the outbox or an error


@dataclass
class Post:
    """One POST the endpoint received."""

    path: str
    body: dict
    at: float  # time.monotonic() on arrival


class WebhookEndpoint:
    """Records every POST; `fail_next(n)` answers the next n with HTTP 500."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.failures = 0
        self.arrived = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if endpoint.failures:
                    endpoint.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                endpoint.posts.append(Post(self.path, json.loads(body), time.monotonic()))
                endpoint.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, name: str = "hook") -> str:
        """The Apprise URL of this endpoint: json://127.0.0.1:PORT/<name>/<SECRET>."""
        return f"json://127.0.0.1:{self.httpd.server_address[1]}/{name}/{SECRET}"

    def fail_next(self, count: int) -> None:
        self.failures = count

    def titles(self) -> list[str]:
        return [p.body["title"] for p in self.posts]

    def start(self) -> WebhookEndpoint:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
