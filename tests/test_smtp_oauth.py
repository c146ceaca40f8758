"""Signing in to SMTP with OAuth2 (XOAUTH2), as Microsoft 365 wants, end to end on loopback.

MSAL itself gets the token: from a loopback HTTPS server that plays Microsoft Entra ID (the
tenant's OpenID metadata and its token endpoint, with a self-signed certificate the test trusts
through REQUESTS_CA_BUNDLE). The loopback SMTP server (aiosmtpd) accepts XOAUTH2 only with the
token that endpoint issued, for the right mailbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from monitor.config import OAuth2Config
from monitor.deliver import digest as dg
from monitor.deliver import outbox
from monitor.deliver.mail import MailError, connect
from monitor.store import Store

from test_digest_fixtures import NOW, Inbox, free_port, make_config, seed

TENANT = "0f1e2d3c-contoso"
CLIENT_ID = "5a6b7c8d-monitor-app"
SECRET = "s3cret~client~value"
MAILBOX = "monitor@gemeente.example"


# ---------------------------------------------------------------------------- a loopback Entra ID


def _self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "entra.pem", directory / "entra.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@dataclass
class Entra:
    """What the loopback identity provider issued and was asked."""

    host: str = ""
    token: str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.test-access-token.for-exchange"
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def entra(tmp_path, monkeypatch):
    cert_file, key_file = _self_signed(tmp_path)
    state = Entra()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state.paths.append(self.path)
            if self.path.split("?")[0] == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                base = f"https://{state.host}/{TENANT}"
                self._json(200, {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                })
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            state.paths.append(self.path)
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            state.requests.append(form)
            if self.path.split("?")[0] != f"/{TENANT}/oauth2/v2.0/token":
                self._json(404, {"error": "not_found"})
            elif form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [SECRET]:
                self._json(401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1234\r\nCorrelation ID: 5678",
                })
            elif form.get("grant_type") != ["client_credentials"] or form.get("scope") != ["https://outlook.office365.com/.default"]:
                self._json(400, {"error": "invalid_request", "error_description": "AADSTS900144: wrong grant or scope"})
            else:
                self._json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": state.token})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.host = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Trust the test certificate the way any requests-based client is told to.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_file)
    monkeypatch.setenv("MONITOR_TEST_CLIENT_SECRET", SECRET)
    yield state
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------- an SMTP server that checks the token


class XOAuthInbox(Inbox):
    """Accepts AUTH XOAUTH2 only for `user` with `token`; records every attempt."""

    def __init__(self, user: str, token: str) -> None:
        super().__init__()
        self.user, self.token = user, token
        self.attempts: list[tuple[str, str]] = []

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd finds mechanisms by this name
        blob = args[1] if len(args) > 1 else await server.challenge_auth("")
        raw = base64.b64decode(blob).decode() if isinstance(blob, str) else bytes(blob).decode()
        fields = dict(part.split("=", 1) for part in raw.split("\x01") if part)
        user, bearer = fields.get("user", ""), fields.get("auth", "")
        self.attempts.append((user, bearer))
        ok = user == self.user and bearer == f"Bearer {self.token}" and raw.endswith("\x01\x01")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def xoauth_smtp(entra):
    inbox = XOAuthInbox(MAILBOX, entra.token)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def oauth_config(port: int, entra: Entra):
    config = make_config(port)
    smtp = config.sources.email.smtp
    smtp.username = MAILBOX
    smtp.auth = "oauth2"
    smtp.oauth2 = OAuth2Config(TENANT, CLIENT_ID, client_secret_env="MONITOR_TEST_CLIENT_SECRET", authority_host=entra.host)
    return config


# ---------------------------------------------------------------------------- the tests


def test_the_digest_goes_out_signed_in_with_an_entra_token(xoauth_smtp, entra, tmp_path, caplog):
    inbox, port = xoauth_smtp
    config = oauth_config(port, entra)
    store = Store(tmp_path / "monitor.db")
    seed(store)
    with caplog.at_level(logging.DEBUG):
        run = dg.run_digest(store, config, NOW)
    assert run.sent.error is None and len(run.sent.sent) == 3 and len(inbox.messages) == 3
    # MSAL read the tenant's metadata and asked for an app-only Exchange token with the secret.
    assert f"/{TENANT}/v2.0/.well-known/openid-configuration" in [p.split("?")[0] for p in entra.paths]
    [form] = entra.requests
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == [CLIENT_ID]
    assert form["scope"] == ["https://outlook.office365.com/.default"]
    # The SMTP server got exactly that token, for the mailbox.
    assert inbox.attempts == [(MAILBOX, f"Bearer {entra.token}")]
    stored = " ".join(str(v) for row in store.db["digest_outbox"].rows for v in row.values())
    events = " ".join(str(r["detail"]) for r in store.db["digest_events"].rows)
    for secret in (SECRET, entra.token):
        assert secret not in stored + events + caplog.text
    store.close()


def test_a_wrong_client_secret_is_a_clear_error_and_nothing_is_lost(xoauth_smtp, entra, tmp_path, monkeypatch):
    inbox, port = xoauth_smtp
    config = oauth_config(port, entra)
    monkeypatch.setenv("MONITOR_TEST_CLIENT_SECRET", "expired-secret")
    store = Store(tmp_path / "monitor.db")
    seed(store)
    run = dg.run_digest(store, config, NOW)
    error = run.sent.error
    assert error.startswith(f"could not get an OAuth2 token from {entra.host} for app {CLIENT_ID}: invalid_client")
    assert "AADSTS7000215: Invalid client secret provided." in error and "Trace ID" not in error
    assert "expired-secret" not in error and inbox.attempts == [] and inbox.messages == []
    assert {r["status"] for r in store.db["digest_outbox"].rows} == {outbox.PENDING}  # retried next time
    store.close()


def test_a_missing_secret_or_an_unreachable_entra_says_so(entra, monkeypatch):
    config = oauth_config(free_port(), entra)
    monkeypatch.delenv("MONITOR_TEST_CLIENT_SECRET")
    with pytest.raises(MailError, match="the OAuth2 client secret is missing: set the environment variable MONITOR_TEST_CLIENT_SECRET"):
        connect(config.sources.email.smtp)
    monkeypatch.setenv("MONITOR_TEST_CLIENT_SECRET", SECRET)
    config.sources.email.smtp.oauth2.authority_host = f"127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(MailError, match=r"could not get an OAuth2 token from 127\.0\.0\.1:\d+ for app 5a6b7c8d-monitor-app: ") as err:
        connect(config.sources.email.smtp)
    assert str(err.value).endswith("(Connection refused)") and "\n" not in str(err.value)


def test_a_token_the_server_refuses_fails_the_login_and_a_bearer_token_from_the_environment_works(xoauth_smtp, entra, monkeypatch):
    inbox, port = xoauth_smtp
    config = make_config(port)
    smtp = config.sources.email.smtp
    smtp.username, smtp.auth, smtp.token_env = MAILBOX, "bearer", "MONITOR_TEST_SMTP_TOKEN"
    monkeypatch.delenv("MONITOR_TEST_SMTP_TOKEN", raising=False)
    with pytest.raises(MailError, match="set the environment variable MONITOR_TEST_SMTP_TOKEN"):
        connect(smtp)
    monkeypatch.setenv("MONITOR_TEST_SMTP_TOKEN", "a-stale-token")
    with pytest.raises(MailError, match=rf"SMTP login as {MAILBOX} with OAuth2 \(XOAUTH2\) failed: 535") as err:
        connect(smtp)
    assert "a-stale-token" not in str(err.value)
    monkeypatch.setenv("MONITOR_TEST_SMTP_TOKEN", entra.token)
    client = connect(smtp)
    client.quit()
    assert inbox.attempts[-1] == (MAILBOX, f"Bearer {entra.token}") and entra.requests == []  # no Entra round trip


# ---------------------------------------------------------------------------- the config


RULES = "dossiers:\n  jeugd:\n    title: Jeugd\n    rules:\n      - name: kern\n        query: jeugdzorg\n"


def _load(tmp_path, name: str, smtp: str):
    from conftest import write_config
    from monitor.config import load_config

    return load_config(write_config(tmp_path / name, "sources: []\nemail:\n  from: monitor@gemeente.nl\n  smtp:\n" + smtp, RULES))


def test_the_config_reads_microsoft_365_oauth2(tmp_path):
    config = _load(tmp_path, "ok", (
        "    host: smtp.office365.com\n"
        "    username: monitor@gemeente.nl\n"
        "    auth: oauth2\n"
        "    oauth2:\n"
        "      tenant_id: 0f1e2d3c-contoso\n"
        "      client_id: 5a6b7c8d-monitor-app\n"
        "      client_secret_env: GEMEENTE_SMTP_SECRET\n"
    ))
    smtp = config.sources.email.smtp
    assert smtp.auth == "oauth2" and smtp.oauth2 == OAuth2Config("0f1e2d3c-contoso", "5a6b7c8d-monitor-app", "GEMEENTE_SMTP_SECRET")
    assert smtp.oauth2.authority_host == "login.microsoftonline.com" and smtp.oauth2.scope == "https://outlook.office365.com/.default"


@pytest.mark.parametrize(
    ("smtp", "line", "says"),
    [
        ("    host: h\n    username: m@g.nl\n    auth: oauth2\n    oauth2:\n      tenant_id: t\n      client_id: c\n      client_secret: hunter2\n",
         11, "a client secret must never be written in a file"),
        ("    host: h\n    username: m@g.nl\n    auth: oauth2\n", 7, "auth: oauth2 needs an oauth2 block"),
        ("    host: h\n    auth: oauth2\n    oauth2: {tenant_id: t, client_id: c}\n", 6, "needs the mailbox to sign in as"),
        ("    host: h\n    username: m@g.nl\n    auth: oauth\n", 7, "auth must be password, oauth2 or bearer, not 'oauth'"),
        ("    host: h\n    username: m@g.nl\n    auth: oauth2\n    oauth2: {tenant_id: t}\n", 8, "missing required key 'client_id'"),
        ("    host: h\n    username: m@g.nl\n    oauth2: {tenant_id: t, client_id: c}\n", 7, "an oauth2 block, but auth is password"),
    ],
)
def test_oauth2_config_mistakes_name_the_line(tmp_path, smtp, line, says):
    from monitor.config import ConfigError

    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "bad", smtp)
    [problem] = err.value.problems
    assert says in str(problem) and problem.line == line, str(problem)
