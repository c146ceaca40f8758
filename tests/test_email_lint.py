"""The digest HTML as sent, linted with caniemail's data (npm: @jsx-email/doiuse-email).

What counts as an error: doiuse-email calls a feature an *error* for a client when caniemail's
latest entry for that client is "not supported", a *warning* when it is partial or unknown. The
digest must have no error for Outlook (Windows) and for every Gmail variant doiuse-email knows,
in everything a client reads: the elements, their attributes, the inline styles, and the
declarations and at-rules of the `<style>` block. One kind is set apart: the *selectors* of the
`<style>` block (class, type, descendant) in a client that does not read the block at all (Gmail's
mobile webmail). Such a client renders the inline styles, which carry every rule of the block
(css-inline copies them) and are linted in full; the block is kept for the clients that do read it.
Warnings (partial support: margins in Outlook, `<body>` replaced by a `<div>` in Gmail) are fine.

The linter runs in node from tests/email_lint (`npm ci` there). Without node or the package the
test skips, unless MONITOR_REQUIRE_EMAIL_LINT=1 (set by .ci/run), then it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from email import message_from_string, policy
from pathlib import Path

import pytest

from monitor.deliver import digest as dg
from monitor.store import Store
from monitor.timeutil import iso

from test_digest_fixtures import NOW, activity, add, healthy, make_config, motie, seed

LINT_DIR = Path(__file__).parent / "email_lint"
PACKAGE = LINT_DIR / "node_modules" / "@jsx-email" / "doiuse-email" / "package.json"
CLIENTS = ("outlook.windows", "gmail.*")
GMAIL_VARIANTS = {"gmail.desktop-webmail", "gmail.ios", "gmail.android", "gmail.mobile-webmail"}


def _linter() -> str:
    """The node binary, once the linter is installed; skips (or fails when required) otherwise."""
    node = shutil.which("node")
    missing = "node is not installed" if node is None else (None if PACKAGE.exists() else f"run `npm ci` in {LINT_DIR}")
    if missing:
        if os.environ.get("MONITOR_REQUIRE_EMAIL_LINT") == "1":
            pytest.fail(f"the email lint is required (MONITOR_REQUIRE_EMAIL_LINT=1) but cannot run: {missing}")
        pytest.skip(f"email lint unavailable: {missing}")
    return node


def lint(html: str, clients: tuple[str, ...] = CLIENTS) -> dict:
    """doiuse-email's verdict on `html` for `clients` (globs): clients, errors, selector_errors, warnings, notes."""
    node = _linter()
    done = subprocess.run([node, str(LINT_DIR / "lint.mjs"), *clients], input=html, capture_output=True, text=True, cwd=LINT_DIR, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def sent_html(store: Store, outbox_id: str) -> str:
    """The HTML part of a digest exactly as stored in the outbox (what the SMTP server gets)."""
    row = store.db["digest_outbox"].get(outbox_id)
    message = message_from_string(row["message"], policy=policy.default)
    return message.get_body(preferencelist=("html",)).get_content()


def rich_digest(store: Store) -> str:
    """A digest with every kind of entry: actions (one moved), a cancelled meeting, a voted motie,
    news, press with a hostile snippet, the agenda and a failing source (the banner)."""
    config = make_config()
    seed(store)
    add(store, activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12)), "jeugd", "kern", ["jeugd"])
    dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    later = NOW + timedelta(days=1)
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=11, hours=5), agenda=["Stand van zaken jeugdzorg", "Brief over reistijden"]), iso(later))
    store.upsert_item(activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12), status="Geannuleerd"), iso(later))
    voted = motie("z1", "Motie over het woonplaatsbeginsel in de jeugdzorg")
    voted.data["uitslag"] = "aangenomen"
    store.upsert_item(voted, iso(later))
    healthy(store, later)
    store.record_failure("bb", "feed", iso(later), "HTTP 503 Service Unavailable from https://bb.example/rss")
    [prepared] = dg.prepare_digests(store, config, later + timedelta(minutes=5), only="anna@gemeente.example")
    assert prepared.outbox_id
    return sent_html(store, prepared.outbox_id)


def test_the_sent_digest_has_no_caniemail_errors_for_outlook_and_gmail(tmp_path):
    store = Store(tmp_path / "monitor.db")
    html = rich_digest(store)
    store.close()
    # The digest has what the lint should see: a <style> block, urgency colours, the banner, a change.
    assert "<style" in html and 'bgcolor="#e17000"' in html and "GEANNULEERD" in html.upper() and "Let op" in html
    result = lint(html)
    assert set(result["clients"]) == {"outlook.windows"} | GMAIL_VARIANTS
    assert result["errors"] == []
    # Selector errors only where a client ignores the whole block (see the module docstring).
    assert {e.rsplit("`", 2)[-2] for e in result["selector_errors"]} <= {"gmail.mobile-webmail"}
    assert result["warnings"]  # the linter did look (partial support is everywhere in email)


def test_a_long_digest_cut_for_size_lints_clean_too(tmp_path):
    from test_mail_body import seed_long

    store = Store(tmp_path / "monitor.db")
    seed_long(store)
    [digest] = dg.build_digests(store.view(NOW), make_config(), only="anna@gemeente.example")
    body = dg.mail_parts(digest, 90 * 1024)
    store.close()
    assert body.attachment is not None
    result = lint(body.html)
    assert result["errors"] == []


def test_the_lint_finds_what_outlook_and_gmail_cannot_render():
    # The test can fail: the old <div> layout's tricks are errors.
    html = (
        "<!DOCTYPE html><html><body>"
        '<div style="display:none;opacity:0;overflow:hidden">voorvertoning</div>'
        '<div style="border-radius:6px;overflow-wrap:anywhere">Actie</div></body></html>'
    )
    errors = lint(html)["errors"]
    assert any("opacity" in e and "outlook.windows" in e for e in errors)
    assert any("display:none" in e and "gmail.mobile-webmail" in e for e in errors)
    assert any("overflow-wrap" in e and "gmail.desktop-webmail" in e for e in errors)
