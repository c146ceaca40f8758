"""Sending the digest to a real SMTP server on loopback (aiosmtpd): exactly once, retried, headers."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from monitor.deliver import digest as dg
from monitor.deliver import outbox
from monitor.deliver.mail import MailError, connect
from monitor.store import Store

from test_digest_fixtures import HOSTILE_TITLE, NOW, Inbox, free_port, make_config, parts, seed


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "monitor.db"


def test_each_recipient_gets_their_digest_with_headers(smtp, db_path):
    inbox, port = smtp
    config = make_config(port)
    store = Store(db_path)
    items = seed(store)
    run = dg.run_digest(store, config, NOW)
    assert len(run.sent.sent) == 3 and not run.sent.failed
    assert sorted(r for _, rcpts, _ in inbox.messages for r in rcpts) == [
        "anna@gemeente.example",
        "bob@gemeente.example",
        "team@gemeente.example",
    ]
    [anna] = inbox.to("anna@gemeente.example")
    assert anna["From"] == "monitor@gemeente.example"
    assert anna["Date"] and anna["Message-ID"].endswith("@gemeente.example>")
    assert anna["List-Unsubscribe"].startswith("<mailto:afmelden@gemeente.example")
    # The meeting is an action (and an agenda row), not news: news is the motie and the article.
    assert anna["Subject"] == "Lobbymonitor di 24 nov: 1 actie, 2 nieuw"
    assert anna.get_content_type() == "multipart/alternative"
    text, html = parts(anna)
    assert "woonplaatsbeginsel" in text and "Wmo-eigen" not in text
    assert "Woordvoerders briefen — uiterlijk do 26 nov" in html and "J. de Vries (CDA)" in html
    # Hostile feed content arrives as text, never as markup.
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    assert HOSTILE_TITLE in text
    [bob] = inbox.to("bob@gemeente.example")
    bob_text, _ = parts(bob)
    assert "Wmo-eigen bijdrage" in bob_text and "woonplaatsbeginsel" not in bob_text
    # The audit says what was sent to whom and why.
    audit = dg.audit(store, "anna@gemeente.example")
    assert any(row["ref"] == items["motie"].id and "regel kern" in row["reason"] for row in audit)
    assert all(row["sent_at"] for row in audit)
    store.close()


def test_exactly_once_across_a_crash_between_stored_and_sent(smtp, db_path):
    inbox, port = smtp
    config = make_config(port)
    store = Store(db_path)
    items = seed(store)
    # The process stores the digests, then dies before sending (no send_pending call).
    prepared = dg.prepare_digests(store, config, NOW)
    assert len(prepared) == 3
    store.close()
    assert inbox.messages == []

    # Next run (a new process): the stored digests go out, and no second copy is made.
    store = Store(db_path)
    dg.run_digest(store, config, NOW + timedelta(minutes=15))
    assert sorted(r for _, rcpts, _ in inbox.messages for r in rcpts) == [
        "anna@gemeente.example",
        "bob@gemeente.example",
        "team@gemeente.example",
    ]
    ids = {m["Message-ID"] for _, _, m in inbox.messages}
    assert ids == {store.db["digest_outbox"].get(p.outbox_id)["message_id"] for p in prepared}
    # Running again sends nothing: all sent, and nothing new for anyone.
    again = dg.run_digest(store, config, NOW + timedelta(minutes=30))
    assert again.sent.sent == [] and len(inbox.messages) == 3
    assert {row["status"] for row in store.db["digest_outbox"].rows} == {outbox.SENT}
    store.close()


def test_refused_message_is_retried_next_time_and_sent_once(smtp, db_path):
    inbox, port = smtp
    config = make_config(port)
    store = Store(db_path)
    seed(store)
    inbox.refuse = "451 4.3.0 Mailbox temporarily unavailable"
    run = dg.run_digest(store, config, NOW, only="anna@gemeente.example")
    assert run.sent.sent == [] and len(run.sent.failed) == 1
    row = next(iter(store.db["digest_outbox"].rows))
    assert row["status"] == outbox.PENDING and row["attempts"] == 1 and "451" in row["last_error"]
    assert inbox.messages == []

    inbox.refuse = None
    later = dg.run_digest(store, config, NOW + timedelta(hours=1), only="anna@gemeente.example")
    assert later.retried.sent == [row["id"]]
    assert later.prepared[0].outbox_id is None  # nothing new: the first digest already covered it all
    assert len(inbox.messages) == 1
    row = store.db["digest_outbox"].get(row["id"])
    assert row["status"] == outbox.SENT and row["attempts"] == 2
    events = [e["event"] for e in store.db.query("SELECT event FROM digest_events WHERE outbox_id = ? ORDER BY id", [row["id"]])]
    assert events == ["queued", "failed", "sent"]
    store.close()


def test_server_down_leaves_everything_pending(db_path):
    port = free_port()  # nothing listens here
    config = make_config(port)
    store = Store(db_path)
    seed(store)
    run = dg.run_digest(store, config, NOW)
    assert run.sent.error and run.sent.sent == []
    assert {r["status"] for r in store.db["digest_outbox"].rows} == {outbox.PENDING}
    # The server comes back: everything goes out, once.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = dg.send_pending(store, config.sources.email, NOW + timedelta(hours=1))
        assert len(result.sent) == 3 and len(inbox.messages) == 3
        assert dg.send_pending(store, config.sources.email, NOW + timedelta(hours=2)).sent == []
    finally:
        controller.stop()
    store.close()


def test_gives_up_after_max_attempts_but_keeps_the_message(smtp, db_path):
    inbox, port = smtp
    config = make_config(port)
    store = Store(db_path)
    seed(store)
    inbox.refuse = "550 5.1.1 No such user"
    dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    for attempt in range(3):
        result = dg.send_pending(store, config.sources.email, NOW + timedelta(hours=attempt), max_attempts=3)
    assert result.gave_up
    row = next(iter(store.db["digest_outbox"].rows))
    assert row["status"] == outbox.FAILED and row["message"]
    store.close()


class _Auth:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"monitor" and auth_data.password == b"s3cret-pw"
        return AuthResult(success=ok)


def test_password_only_from_environment_and_never_logged(db_path, monkeypatch, caplog):
    auth = _Auth()
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False)
    controller.start()
    try:
        config = make_config(port)
        config.sources.email.smtp.username = "monitor"
        config.sources.email.smtp.password_env = "TEST_MONITOR_SMTP_PW"
        monkeypatch.delenv("TEST_MONITOR_SMTP_PW", raising=False)
        with pytest.raises(MailError, match="TEST_MONITOR_SMTP_PW"):
            connect(config.sources.email.smtp)
        store = Store(db_path)
        seed(store)
        monkeypatch.setenv("TEST_MONITOR_SMTP_PW", "wrong-pw")
        with caplog.at_level(logging.DEBUG):
            failed = dg.run_digest(store, config, NOW, only="anna@gemeente.example")
        assert failed.sent.error and "login" in failed.sent.error and "wrong-pw" not in failed.sent.error
        monkeypatch.setenv("TEST_MONITOR_SMTP_PW", "s3cret-pw")
        with caplog.at_level(logging.DEBUG):
            ok = dg.send_pending(store, config.sources.email, NOW + timedelta(hours=1))
        assert len(ok.sent) == 1 and len(inbox.messages) == 1
        assert (b"monitor", b"s3cret-pw") in auth.seen
        stored = " ".join(str(v) for row in store.db["digest_outbox"].rows for v in row.values())
        events = " ".join(str(r["detail"]) for r in store.db["digest_events"].rows)
        assert "s3cret-pw" not in stored + events + caplog.text
        assert "wrong-pw" not in stored + events + caplog.text
        store.close()
    finally:
        controller.stop()


def test_connect_refuses_without_host():
    config = make_config()
    config.sources.email.smtp.host = ""
    with pytest.raises(MailError, match="smtp.host"):
        connect(config.sources.email.smtp)


def test_smtplib_errors_are_described_without_secrets():
    from monitor.deliver.mail import describe_error

    assert describe_error(smtplib.SMTPResponseException(421, b"Service not available")) == "421 Service not available"
    refused = smtplib.SMTPRecipientsRefused({"a@b.nl": (550, b"no such user")})
    assert "a@b.nl: 550 no such user" in describe_error(refused)


def test_a_from_with_a_display_name_reads_as_the_name_and_sends_from_the_address(smtp, db_path):
    inbox, port = smtp
    config = make_config(port)
    config.sources.email.sender = "Lobbymonitor Gemeente <monitor@gemeente.example>"
    store = Store(db_path)
    seed(store)
    run = dg.run_digest(store, config, NOW)
    assert run.sent.sent and not run.sent.failed
    mail_from, _, anna = next(m for m in inbox.messages if "anna@gemeente.example" in m[1])
    assert mail_from == "monitor@gemeente.example"  # the envelope: the bare address
    assert anna["From"].addresses[0].display_name == "Lobbymonitor Gemeente"
    assert anna["Message-ID"].endswith("@gemeente.example>")
    store.close()


def test_the_config_check_takes_a_from_with_a_display_name(tmp_path):
    from conftest import write_config
    from monitor.config import ConfigError, load_config

    rules = "dossiers:\n  jeugd:\n    title: Jeugd\n    rules:\n      - name: kern\n        query: jeugdzorg\n"
    smtp = "  smtp: {host: 127.0.0.1, port: 25, security: none}\n"
    config = write_config(tmp_path / "ok", f'sources: []\nemail:\n  from: "Lobbymonitor <monitor@gemeente.nl>"\n{smtp}', rules)
    assert load_config(config).sources.email.sender == "Lobbymonitor <monitor@gemeente.nl>"
    bad = write_config(tmp_path / "bad", f'sources: []\nemail:\n  from: "Lobbymonitor <monitor-at-gemeente>"\n{smtp}', rules)
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert "is not an email address" in str(err.value.problems[0]) and "Lobbymonitor <monitor@gemeente.nl>" in str(err.value.problems[0])


def test_digest_test_sends_one_marked_sample_outside_the_outbox(smtp, db_path, tmp_path, capsys):
    from monitor import pipeline

    inbox, port = smtp
    config = make_config(port)
    store = Store(db_path)
    seed(store)
    subject = pipeline.send_test_digest(config, store, NOW, "ik@gemeente.example")
    assert subject.startswith("[TEST] Lobbymonitor")
    [(mail_from, rcpts, message)] = inbox.messages
    assert rcpts == ["ik@gemeente.example"] and message["Subject"] == subject
    text = parts(message)[0]
    assert "dossiers: Jeugdzorg, Wmo" in text and "ACTIE NODIG" in text  # an address that is no recipient gets every dossier
    assert store.db.execute("SELECT COUNT(*) FROM digest_outbox").fetchone()[0] == 0  # nothing queued
    # The real digest still goes out in full afterwards.
    run = dg.run_digest(store, config, NOW)
    assert len(run.sent.sent) == 3
    store.close()


def test_digest_test_with_the_server_down_says_so(db_path):
    from monitor import pipeline
    from monitor.deliver.mail import MailError

    config = make_config(free_port())  # nothing listens there
    store = Store(db_path)
    seed(store)
    with pytest.raises(MailError, match="the test digest to ik@gemeente.example was not sent"):
        pipeline.send_test_digest(config, store, NOW, "ik@gemeente.example")
    store.close()
