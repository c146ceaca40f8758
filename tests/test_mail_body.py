"""The digest mail's body: its hidden preheader, and a long digest kept under Gmail's clipping size
(its tail moves to an attachment, nothing is lost)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string, policy

import re

import pytest
from markupsafe import escape

from monitor.deliver import digest as dg
from monitor.deliver import outbox
from monitor.store import Store
from monitor.timeutil import iso

from test_digest_fixtures import NOW, activity, add, article, make_config, motie, parts, seed

SNIPPET = "Veel gemeenten kampen met tekorten in de «jeugdzorg»; de VNG vraagt het kabinet om extra middelen en een eerlijke verdeling. " * 2


def seed_long(store: Store) -> None:
    """A busy week on one dossier: 20 meetings, 20 moties, 30 articles (over 90 digest lines)."""
    seed(store)
    for i in range(20):
        add(store, activity(f"m{i}", f"Commissiedebat Jeugd deel {i}", NOW + timedelta(days=9 + i % 12, hours=i % 5)), "jeugd", "kern", ["jeugdzorg"])
    for i in range(20):
        add(store, motie(f"mo{i}", f"Motie van het lid De Vries over de reistijd in de jeugdzorg, nummer {i}"), "jeugd", "kern", ["jeugdzorg"])
    for i in range(30):
        add(store, article(f"p{i}", f"Gemeenten zoeken geld voor jeugdzorg ({i})", url=f"https://bb.example/artikel-{i}"), "jeugd", "kern", ["jeugdzorg"], snippet=SNIPPET)


def attachment_of(message):
    """(filename, HTML) of the one attachment of a message."""
    [attachment] = list(message.iter_attachments())
    return attachment.get_filename(), attachment.get_content()


def test_a_long_digest_keeps_its_html_under_the_limit_and_loses_nothing(smtp, tmp_path):
    inbox, port = smtp
    config = make_config(port)
    limit = config.sources.email.max_html_kb * 1024
    assert limit == 90 * 1024  # the default: room below Gmail's ~102 KB
    store = Store(tmp_path / "monitor.db")
    seed_long(store)
    [digest] = dg.build_digests(store.view(NOW), config, only="anna@gemeente.example")
    assert len(digest.audit_lines()) >= 70
    full_text, full_html = dg.render_digest(digest)
    assert len(full_html.encode()) > limit  # without the guard, Gmail would clip this one

    run = dg.run_digest(store, config, NOW, only="anna@gemeente.example")
    assert len(run.sent.sent) == 1 and not run.sent.failed
    [message] = inbox.to("anna@gemeente.example")
    assert message.get_content_type() == "multipart/mixed"
    text, html = parts(message)
    filename, attached = attachment_of(message)
    assert filename == "lobbymonitor-2026-11-24.html"
    assert len(html.encode("utf-8")) <= limit
    # The body ends with the pointer to the attachment, after the entries it kept.
    assert "Vervolg in de bijlage" in html and f"staat in de bijlage {filename}" in html
    assert html.index("Vervolg in de bijlage") > html.index("Actie nodig")
    # Every entry is in the body or in the attachment; the attachment has them all; the text too.
    titles = [b.title for s in dg.document(digest).sections for g in s.groups for b in g.blocks if b.title]
    assert len(titles) >= 70
    in_body = [t for t in titles if str(escape(t)) in html]
    assert 0 < len(in_body) < len(titles)
    assert all(str(escape(t)) in attached for t in titles)
    assert all(t in text for t in titles) and text.replace("\r\n", "\n") == full_text
    # The actions come first, so they are in the body.
    assert all(str(escape(b.title)) in html for b in dg.document(digest).sections[0].groups[0].blocks)

    # The outbox keeps the message as sent, attachment included; a second run sends nothing.
    row = next(iter(store.db["digest_outbox"].rows))
    stored = message_from_string(row["message"], policy=policy.default)
    assert row["status"] == outbox.SENT and stored["Message-ID"] == message["Message-ID"]
    assert attachment_of(stored) == (filename, attached)
    again = dg.run_digest(store, config, NOW + timedelta(minutes=30), only="anna@gemeente.example")
    assert again.sent.sent == [] and len(inbox.messages) == 1
    store.close()


def test_a_short_digest_has_no_attachment_and_the_limit_is_configurable(tmp_path):
    store = Store(tmp_path / "monitor.db")
    seed(store)
    [digest] = dg.build_digests(store.view(NOW), make_config(), only="anna@gemeente.example")
    whole = dg.mail_parts(digest, 90 * 1024)
    assert whole.attachment is None and whole.moved == 0 and "Vervolg in de bijlage" not in whole.html
    # A smaller limit cuts even this one, still saying so at the end.
    small = dg.mail_parts(digest, len(whole.html.encode()) - 1)
    assert small.attachment is not None and small.moved >= 1 and len(small.html.encode()) < len(whole.html.encode())
    assert "Vervolg in de bijlage" in small.html and small.text == whole.text
    store.close()


def test_max_html_kb_is_read_and_checked(tmp_path):
    from conftest import write_config
    from monitor.config import ConfigError, load_config

    rules = "dossiers:\n  jeugd:\n    title: Jeugd\n    rules:\n      - name: kern\n        query: jeugdzorg\n"
    head = "sources: []\nemail:\n  from: monitor@gemeente.nl\n  smtp: {host: 127.0.0.1}\n"
    assert load_config(write_config(tmp_path / "ok", head + "  max_html_kb: 60\n", rules)).sources.email.max_html_kb == 60
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path / "bad", head + "  max_html_kb: 5\n", rules))
    problem = err.value.problems[0]
    assert problem.line == 5 and "max_html_kb" in str(problem) and "at least 20" in str(problem)


def preheader(html: str) -> str:
    """The hidden preview text: the first element of the body."""
    match = re.search(r'<body[^>]*>\s*<div class="preheader" style="([^"]*)">([^<]*)</div>', html)
    assert match, "no preheader right after <body>"
    assert "font-size:0" in match.group(1) and "mso-hide:all" in match.group(1)  # hidden, also in Outlook
    return match.group(2)


def test_the_sent_digest_starts_with_a_dutch_preheader_naming_the_first_actions(smtp, tmp_path):
    inbox, port = smtp
    config = make_config(port)
    store = Store(tmp_path / "monitor.db")
    seed(store)
    dg.run_digest(store, config, NOW)
    [anna] = inbox.to("anna@gemeente.example")
    assert preheader(parts(anna)[1]) == "Eerst: Woordvoerders briefen — uiterlijk do 26 nov (Commissiedebat Jeugdbeleid) · 2 nieuw"
    [bob] = inbox.to("bob@gemeente.example")
    assert preheader(parts(bob)[1]) == "1 nieuw"  # no action on the Wmo dossier
    # A failing source comes first; nothing new says so.
    store.record_failure("bb", "feed", iso(NOW + timedelta(hours=1)), "HTTP 503 from bb.example")
    [digest] = dg.build_digests(store.view(NOW + timedelta(hours=2)), config, only="bob@gemeente.example")
    assert preheader(dg.mail_parts(digest, 90 * 1024).html).startswith("Let op: bron met storing")
    store.close()


def test_the_preheader_names_two_actions_and_counts_the_rest(tmp_path):
    store = Store(tmp_path / "monitor.db")
    seed_long(store)
    [digest] = dg.build_digests(store.view(NOW), make_config(), only="anna@gemeente.example")
    actions = len(digest.briefing.actions)
    text = preheader(dg.mail_parts(digest, 90 * 1024).html)  # the cut body keeps it
    assert text.startswith("Eerst: Woordvoerders briefen — uiterlijk") and text.count("(Commissiedebat Jeugd") == 2
    assert f"nog {actions - 2} acties" in text and text.endswith(" nieuw")
    store.close()


def test_a_limit_below_the_head_still_sends_the_head_and_the_pointer(tmp_path):
    store = Store(tmp_path / "monitor.db")
    seed(store)
    [digest] = dg.build_digests(store.view(NOW), make_config(), only="anna@gemeente.example")
    tiny = dg.mail_parts(digest, 1000)
    titles = [b.title for s in dg.document(digest).sections for g in s.groups for b in g.blocks if b.title]
    assert tiny.moved == len([b for s in dg.document(digest).sections for g in s.groups for b in g.blocks])
    assert "Vervolg in de bijlage" in tiny.html and all(str(escape(t)) in tiny.attachment[1] for t in titles)
    store.close()
