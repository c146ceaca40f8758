"""Webhook recipients (Apprise URLs): the short Dutch digest to a loopback JSON endpoint, exactly once, retried, never leaking the URL's secret."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from conftest import write_config
from monitor.config import ConfigError, load_config
from monitor.deliver import digest as dg
from monitor.deliver import outbox, webhook
from monitor.store import Store

from test_digest_fixtures import NOW, make_config, parts, seed
from webhook_fixtures import SECRET, WebhookEndpoint


@pytest.fixture
def endpoint():
    server = WebhookEndpoint().start()
    yield server
    server.stop()


def with_webhook(config, url: str, *, mail: bool = True):
    """The fixture config with the webhook as a recipient of the jeugd dossier (and, unless `mail` is False, the mail recipients too)."""
    jeugd = config.rules.dossiers["jeugd"]
    recipients = [*jeugd.recipients, url] if mail else [url]
    dossiers = {**config.rules.dossiers, "jeugd": replace(jeugd, recipients=recipients)}
    if not mail:
        dossiers["wmo"] = replace(dossiers["wmo"], recipients=[])
    return replace(config, rules=replace(config.rules, dossiers=dossiers))


def test_a_webhook_gets_the_digest_once_and_not_again_on_the_next_send(tmp_path, endpoint, smtp):
    inbox, port = smtp
    config = with_webhook(make_config(port), endpoint.url())
    store = Store(tmp_path / "monitor.db")
    items = seed(store)
    run = dg.run_digest(store, config, NOW)
    assert not run.failures
    [post] = endpoint.posts
    assert post.path == f"/hook/{SECRET}"
    # The same digest as anna's mail (same briefing, same words), short and in Markdown.
    assert post.body["title"] == "Lobbymonitor di 24 nov: 1 actie, 2 nieuw"
    message = post.body["message"]
    assert "**Actie nodig**" in message
    assert "**Woordvoerders briefen — uiterlijk do 26 nov** (nieuw): [Commissiedebat Jeugdbeleid](https://www.tweedekamer.nl/" in message
    assert "[Motie over het woonplaatsbeginsel in de jeugdzorg](https://www.tweedekamer.nl/kamerstukken/moties/detail?id=z1)" in message
    # Hostile feed text stays text: its markup and its javascript: link are neither markup nor link.
    assert "javascript:" not in message and "\\<script\\>" in message
    assert "Wmo-eigen" not in message  # the webhook is on jeugd only
    [anna] = inbox.to("anna@gemeente.example")
    assert "Woordvoerders briefen — uiterlijk do 26 nov" in parts(anna)[0]
    # One outbox row for the webhook, named by its key: the secret is nowhere in the database.
    key = webhook.recipient_key(endpoint.url())
    [row] = [r for r in store.db["digest_outbox"].rows if r["channel"] == outbox.WEBHOOK]
    assert row["recipient"] == key and row["status"] == outbox.SENT and row["kind"] == outbox.DIGEST
    assert key.startswith("webhook:json://127.0.0.1:") and SECRET not in key
    assert all(SECRET not in line for line in store.db.conn.iterdump())
    # Covered like mail: what went to the webhook is in the audit, with why.
    assert any(a["ref"] == items["motie"].id for a in dg.audit(store, endpoint.url()))

    again = dg.run_digest(store, config, NOW + timedelta(hours=2))
    assert len(endpoint.posts) == 1 and not again.sent_ids
    store.close()


def test_a_failing_endpoint_leaves_the_digest_pending_and_a_later_send_delivers_it_once(tmp_path, endpoint, caplog):
    config = with_webhook(make_config(), endpoint.url(), mail=False)  # webhook only: no mail server needed
    store = Store(tmp_path / "monitor.db")
    seed(store)
    endpoint.fail_next(1)
    caplog.set_level(logging.DEBUG)
    first = dg.run_digest(store, config, NOW)
    assert endpoint.posts == []
    [failure] = first.failures
    [row] = store.db["digest_outbox"].rows
    assert row["status"] == outbox.PENDING and row["attempts"] == 1
    assert "500" in row["last_error"] and failure.error == row["last_error"]
    assert SECRET not in row["last_error"] and SECRET not in caplog.text

    later = dg.run_digest(store, config, NOW + timedelta(minutes=15))
    assert len(endpoint.posts) == 1 and later.webhooks.sent == [row["id"]]
    assert later.prepared[0].outbox_id is None  # nothing new: the pending digest covered it all
    row = store.db["digest_outbox"].get(row["id"])
    assert row["status"] == outbox.SENT and row["attempts"] == 2
    events = [e["event"] for e in store.db.query("SELECT event FROM digest_events WHERE outbox_id = ? ORDER BY id", [row["id"]])]
    assert events == ["queued", "failed", "sent"]
    dg.run_digest(store, config, NOW + timedelta(minutes=30))
    assert len(endpoint.posts) == 1
    store.close()


def test_an_endpoint_that_is_down_is_retried_until_max_attempts_then_failed(tmp_path):
    from test_digest_fixtures import free_port

    url = f"json://127.0.0.1:{free_port()}/hook/{SECRET}"  # nothing listens here
    config = with_webhook(make_config(), url, mail=False)
    store = Store(tmp_path / "monitor.db")
    seed(store)
    dg.prepare_digests(store, config, NOW)
    for attempt in range(3):
        result = webhook.send_pending(store, config.rules, NOW + timedelta(minutes=attempt), max_attempts=3)
        assert result.failed and not result.sent
    [row] = store.db["digest_outbox"].rows
    assert row["status"] == outbox.FAILED and row["attempts"] == 3 and SECRET not in row["last_error"]
    store.close()


def test_a_webhook_removed_from_rules_yaml_is_not_sent_and_says_why(tmp_path, endpoint):
    config = with_webhook(make_config(), endpoint.url(), mail=False)
    store = Store(tmp_path / "monitor.db")
    seed(store)
    dg.prepare_digests(store, config, NOW)
    removed = replace(config.rules, dossiers={k: replace(d, recipients=[]) for k, d in config.rules.dossiers.items()})
    result = webhook.send_pending(store, removed, NOW)
    [(_, error)] = result.failed
    assert "no longer a recipient in rules.yaml" in error and SECRET not in error
    assert endpoint.posts == []
    store.close()


SLACK_TOKEN = "abcdefghijklmnopqrstuvwx"  # Slack's form: 24 letters and digits
RULES_WITH_HOOKS = """\
dossiers:
  jeugd:
    title: Jeugdzorg
    recipients:
      - pa@gemeente.example
      - jsons://hooks.gemeente.example/lobby/{secret}
      - https://hooks.slack.com/services/T0001ABCD/B0001ABCD/{slack}
    rules:
      - name: kern
        query: jeugdzorg
  wmo:
    title: Wmo
    recipients:
      - https://hooks.gemeente.example/lobby/{secret}
      - foo://hooks.gemeente.example/{secret}
      - geen-adres
    rules:
      - name: kern
        query: wmo
"""


def test_rules_yaml_accepts_apprise_urls_and_names_a_bad_one_by_file_and_line_without_its_secret(tmp_path):
    write_config(tmp_path, "sources:\n  - id: tk\n    kind: tk\n", RULES_WITH_HOOKS.format(secret=SECRET, slack=SLACK_TOKEN))
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    problems = [str(p).removeprefix(f"{tmp_path}/") for p in info.value.problems]
    assert len(problems) == 3
    assert problems[0].startswith("rules.yaml:14: dossier 'wmo': Apprise does not recognise the webhook address https://hooks.gemeente.example/…")
    assert "jsons://hooks.gemeente.example/…" in problems[0]  # the hint: how to write a plain JSON endpoint
    assert problems[1].startswith("rules.yaml:15: dossier 'wmo': Apprise does not recognise the webhook address foo://hooks.gemeente.example/… (unknown scheme 'foo'")
    assert problems[2].startswith("rules.yaml:16: dossier 'wmo': 'geen-adres' is not an email address")
    assert all(SECRET not in p for p in problems)

    fixed = RULES_WITH_HOOKS.format(secret=SECRET, slack=SLACK_TOKEN).replace("      - https://hooks.gemeente.example", "      - jsons://hooks.gemeente.example")
    fixed = fixed.replace("      - foo://hooks.gemeente.example/" + SECRET + "\n", "").replace("      - geen-adres\n", "")
    write_config(tmp_path, "sources:\n  - id: tk\n    kind: tk\n", fixed)
    config = load_config(tmp_path)
    mapping = dg.recipients_for(config.rules)
    assert mapping["pa@gemeente.example"] == ["jeugd"]
    keys = [k for k in mapping if k.startswith("webhook:")]
    assert len(keys) == 2 and all(SECRET not in k and SLACK_TOKEN not in k for k in keys)
    # The same hook on two dossiers is one recipient of both (one digest, like an address).
    shared = webhook.recipient_key(f"jsons://hooks.gemeente.example/lobby/{SECRET}")
    assert mapping[shared] == ["jeugd", "wmo"]
    assert webhook.urls_by_key(config.rules)[shared].endswith(SECRET)


def test_redaction_blanks_every_secret_part_of_the_url():
    url = f"workflows://prod-01.westeurope.logic.azure.com:443/abcdef123456/{SECRET}?sig=sig-{SECRET}"
    assert webhook.redact(url) == "workflows://prod-01.westeurope.logic.azure.com:443/…"
    text = webhook.redact_text(f"POST to {url} failed; signature {SECRET} refused; sig-{SECRET}", url)
    assert SECRET not in text and "abcdef123456" not in text and "failed" in text
    assert webhook.recipient_key(url) != webhook.recipient_key(url + "x")  # two hooks on one host stay two recipients


def test_monitor_digest_shows_and_sends_to_a_webhook_without_any_mail_server(tmp_path, endpoint, capsys):
    from test_cli_deliver import NOW as CLI_NOW, seed as seed_cli, sources_yaml

    from monitor.cli import main

    rules = f"dossiers:\n  jeugd:\n    title: Jeugdzorg en jeugdhulp\n    recipients: ['{endpoint.url()}']\n    rules:\n      - name: kern\n        query: jeugdzorg OR jeugdhulp\n"
    config = write_config(tmp_path / "cfg", sources_yaml(None), rules)  # no email section at all
    seed_cli(config / "monitor.db")
    assert main(["digest", "--config", str(config), "--now", CLI_NOW, "-q"]) == 0
    shown = capsys.readouterr().out
    assert "==== aan: webhook:json://127.0.0.1:" in shown and "**Actie nodig**" in shown and SECRET not in shown
    assert endpoint.posts == []  # a dry run
    assert main(["digest", "--send", "--config", str(config), "--now", CLI_NOW, "-q"]) == 0
    assert "verstuurd: 1" in capsys.readouterr().out
    [post] = endpoint.posts
    assert post.body["title"].startswith("Lobbymonitor di 1 dec") and "Commissiedebat Jeugdbeleid" in post.body["message"]
    assert main(["digest", "--audit", endpoint.url(), "--config", str(config), "--now", CLI_NOW, "-q"]) == 0
    assert "[Actie nodig]" in capsys.readouterr().out
