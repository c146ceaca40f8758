"""The digest's content: per recipient, sections, reasons, escaping, coverage (no SMTP here)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.deliver import digest as dg
from monitor.deliver import outbox
from monitor.render.layout import clean, safe_url
from monitor.store import Store
from monitor.timeutil import iso

from test_digest_fixtures import HOSTILE_TITLE, NOW, activity, add, article, build, healthy, make_config, motie, seed, titles


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


def test_recipients_get_only_their_dossiers(store):
    seed(store)
    config = make_config()
    anna_text, _ = dg.render_digest(build(store, config, "anna@gemeente.example"))
    bob_text, _ = dg.render_digest(build(store, config, "bob@gemeente.example"))
    team_text, _ = dg.render_digest(build(store, config, "team@gemeente.example"))
    assert "woonplaatsbeginsel" in anna_text and "Wmo-eigen bijdrage" not in anna_text
    assert "Wmo-eigen bijdrage" in bob_text and "woonplaatsbeginsel" not in bob_text
    assert "Woordvoerders briefen" in anna_text and "Woordvoerders briefen" not in bob_text  # the debate is jeugd's
    assert "woonplaatsbeginsel" in team_text and "Wmo-eigen bijdrage" in team_text


def test_sections_in_memo_order_with_woordvoerders_and_motie_details(store):
    seed(store)
    text, html = dg.render_digest(build(store, make_config(), "team@gemeente.example"))
    order = ["ACTIE NODIG", "JEUGDZORG\n", "Nieuw in de Kamer — Moties:", "In de media:", "WMO\n", "AGENDA KOMENDE WEKEN", "BRONNEN"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "• Woordvoerders briefen — uiterlijk do 26 nov" in text
    assert "Commissiedebat Jeugdbeleid · commissie VWS · do 3 dec 2026 10:00" in text
    assert "J. de Vries (CDA) — 1 motie over jeugdzorg" in text  # from the motie's indieners
    assert "ingediend door J. de Vries (CDA), mede-indiener A. Bakker (GL-PvdA)" in text
    assert "kabinetsappreciatie: Oordeel Kamer" in text
    # The HTML has its CSS inlined (Outlook drops <style> in many cases), and the same content.
    assert 'style="' in html
    assert "Oordeel Kamer" in html and "Actie nodig" in html


def test_every_news_line_says_why(store):
    seed(store)
    digest = build(store, make_config(), "team@gemeente.example")
    news = [row for row in digest.audit_lines() if row[0] in ("Nieuw in de Kamer", "In de media")]
    assert len(news) == 3
    for _section, _dossier, _ref, title, reason in news:
        assert reason and "regel" in reason and "termen:" in reason, title
    text, _ = dg.render_digest(digest)
    assert text.count("Waarom: Jeugdzorg · regel kern · termen: jeugdzorg") >= 2
    assert "Waarom: Wmo · regel wmo · termen: Wmo" in text


def test_hostile_feed_content_never_becomes_markup(store):
    seed(store)
    _, html = dg.render_digest(build(store, make_config(), "anna@gemeente.example"))
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<b>in crisis" not in html
    assert "javascript:" not in html  # the article's javascript: URL is not a link
    assert "&lt;script&gt;alert" in html  # shown as text instead
    # The rule engine's hit markers do become bold, around escaped text only.
    assert "<strong>jeugdzorg</strong> &lt;img src=x" in html


def test_clean_strips_control_and_bidi_characters():
    assert clean("a\x00b\u202ec\n\n d") == "a b c d"
    assert clean("x" * 50, 10) == "x" * 9 + "…"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url('https://x.org/"onmouseover=') is None


def test_items_appear_in_one_digest_only(store):
    seed(store)
    config = make_config()
    first = dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    assert first[0].outbox_id and first[0].lines >= 3
    later = NOW + timedelta(days=1)
    healthy(store, later - timedelta(minutes=5))
    second = build(store, config, "anna@gemeente.example", later)
    assert second.briefing.news_count == 0 and not second.briefing.changed
    assert second.briefing.actions and not second.new_actions  # the moment is still listed, but not as new
    assert second.is_empty
    prepared = dg.prepare_digests(store, config, later, only="anna@gemeente.example")
    assert prepared[0].outbox_id is None and prepared[0].empty
    assert store.db["digest_outbox"].count == 1
    # Something new arrives: only that is in the next digest.
    add(store, article("n2", "Nieuwe cijfers jeugdzorg"), "jeugd", "kern", ["jeugdzorg"], seen=later)
    third = build(store, config, "anna@gemeente.example", later + timedelta(hours=1))
    assert titles(third).get("In de media") == ["Nieuwe cijfers jeugdzorg"]
    assert "Nieuw in de Kamer" not in titles(third)


def test_send_empty_gives_a_short_niets_nieuws_mail(store):
    config = make_config(send_empty=True)
    healthy(store)
    prepared = dg.prepare_digests(store, config, NOW, only="bob@gemeente.example")
    assert prepared[0].empty and prepared[0].outbox_id
    row = store.db["digest_outbox"].get(prepared[0].outbox_id)
    assert "niets nieuws" in row["subject"]


def test_first_digest_skips_history_but_later_back_dated_items_count(store):
    config = make_config()
    healthy(store)
    old = article("old", "Oud artikel over jeugdzorg")
    old.published_at = iso(NOW - timedelta(days=60))
    add(store, old, "jeugd", "kern", ["jeugdzorg"], seen=NOW - timedelta(hours=1))
    first = build(store, config, "anna@gemeente.example")
    assert first.briefing.news_count == 0  # a fresh install does not mail two months of history
    dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    # A document dated long ago but first seen after the first digest (late-linked) is news.
    late = article("late", "Laat gekoppeld stuk over jeugdzorg")
    late.published_at = iso(NOW - timedelta(days=40))
    add(store, late, "jeugd", "kern", ["jeugdzorg"], seen=NOW + timedelta(hours=3))
    second = build(store, config, "anna@gemeente.example", NOW + timedelta(hours=4))
    assert titles(second)["In de media"] == ["Laat gekoppeld stuk over jeugdzorg"]


def test_changes_are_folded_into_the_entry_they_change(store):
    seed(store)
    config = make_config()
    add(store, activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12)), "jeugd", "kern", ["jeugd"])
    dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    later = NOW + timedelta(days=1)
    moved = activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=11, hours=5), agenda=["Stand van zaken jeugdzorg", "Brief over reistijden"])
    store.upsert_item(moved, iso(later))
    store.upsert_item(activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12), status="Geannuleerd"), iso(later))
    voted = motie("z1", "Motie over het woonplaatsbeginsel in de jeugdzorg")
    voted.data["uitslag"] = "aangenomen"
    store.upsert_item(voted, iso(later))
    healthy(store, later)
    digest = build(store, config, "anna@gemeente.example", later + timedelta(minutes=5))
    text, _ = dg.render_digest(digest)
    # The moved debate: one action, its move and new agenda point folded in; its agenda row only a badge.
    assert text.count("Commissiedebat Jeugdbeleid") == 2
    assert "! verplaatst van do 3 dec 10:00 naar za 5 dec 12:00" in text
    assert "! nieuw agendapunt: Brief over reistijden" in text
    assert text.count("verplaatst van") == 1
    # The cancelled meeting has no action left; its agenda row says so.
    assert "Notaoverleg Jeugd [GEANNULEERD]" in text and "! geannuleerd" in text
    # The motie was news yesterday; today its outcome is a change.
    assert [e.key for e in digest.briefing.changed] == ["tk:zaak/z1"]
    assert "Motie over het woonplaatsbeginsel in de jeugdzorg [AANGENOMEN]" in text and "» aangenomen" in text
    # Bob (wmo) sees none of it.
    assert build(store, config, "bob@gemeente.example", later).briefing.changed == []
    # Once queued, the changes are not repeated.
    dg.prepare_digests(store, config, later + timedelta(minutes=5), only="anna@gemeente.example")
    again = build(store, config, "anna@gemeente.example", later + timedelta(hours=1))
    assert again.briefing.changed == [] and all(not a.entry.updates for a in again.briefing.actions)


def test_actions_by_deadline_today_first_and_cancelled_ones_left_out(store):
    healthy(store)
    config = make_config()
    add(store, activity("late", "Commissiedebat Jeugdzorg", NOW + timedelta(days=16)), "jeugd", "kern", ["jeugdzorg"])
    add(store, activity("soon", "Commissiedebat Jeugdhulp", NOW + timedelta(days=7)), "jeugd", "kern", ["jeugdzorg"])
    add(store, activity("off", "Commissiedebat Jeugdbescherming", NOW + timedelta(days=9), status="Geannuleerd"), "jeugd", "kern", ["jeugdzorg"])
    add(store, activity("wmo", "Commissiedebat Wmo", NOW + timedelta(days=8)), "wmo", "wmo", ["Wmo"])
    digest = build(store, config, "anna@gemeente.example")
    assert [a.key for a in digest.briefing.actions] == ["tk:activiteit/soon", "tk:activiteit/late"]
    text, _ = dg.render_digest(digest)
    assert "• Woordvoerders briefen — uiterlijk di 24 nov [VANDAAG] [NIEUW]" in text  # 5 working days before Tue 1 Dec
    assert "Commissiedebat Wmo" not in text


def test_source_problems_are_reported_at_the_top_and_bottom(store):
    config = make_config()
    store.record_success("tk", "tk", iso(NOW - timedelta(minutes=10)), 3, 0)
    store.record_success("bb", "feed", iso(NOW - timedelta(hours=1)), 3, 0)
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=5)), "HTTP 503 Service Unavailable from https://bb.example/rss")
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=2)), "HTTP 503 Service Unavailable from https://bb.example/rss")
    digest = build(store, config, "bob@gemeente.example")
    assert [s.id for s in digest.briefing.problems] == ["bb"]
    assert not digest.is_empty  # silence caused by a broken source must not look like "nothing new"
    text, html = dg.render_digest(digest)
    assert text.index("!! Let op: bron bb werkt niet") < text.index("ACTIE NODIG")
    assert "bb (Binnenlands Bestuur): faalt 2× op rij" in text
    assert "de server is tijdelijk niet beschikbaar (HTTP 503)" in text
    assert "Service Unavailable" not in text and "https://bb.example/rss" not in text  # Dutch, no internals
    assert "Let op" in html
    store.record_success("bb", "feed", iso(NOW - timedelta(days=2)), 0, 0)
    stale = dg.render_digest(build(store, config, "bob@gemeente.example"))[0]
    assert "verouderd: laatst gelukt" in stale


def test_audit_records_lines_and_reasons(store):
    items = seed(store)
    config = make_config()
    prepared = dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    rows = list(store.db.query("SELECT * FROM digest_audit WHERE outbox_id = ?", [prepared[0].outbox_id]))
    sections = {r["section"] for r in rows}
    assert {"Actie nodig", "Nieuw in de Kamer", "In de media", "Agenda komende weken"} <= sections
    news = [r for r in rows if r["section"] in ("Nieuw in de Kamer", "In de media")]
    assert all(r["reason"] and "regel kern" in r["reason"] for r in news)
    assert any(r["ref"] == items["hostile"].id and r["title"] == HOSTILE_TITLE.replace("  ", " ") for r in rows)
    assert outbox.sent_to(store.db, "anna@gemeente.example") == []  # queued, not yet sent


def test_building_a_digest_writes_nothing(store):
    seed(store)
    before = list(store.db.conn.iterdump())
    dg.render_digest(build(store, make_config(), "anna@gemeente.example"))
    assert list(store.db.conn.iterdump()) == before


def test_a_meeting_the_kamer_recreated_says_its_new_date_and_links_the_new_meeting(store):
    seed(store)
    config = make_config()
    dg.prepare_digests(store, config, NOW, only="anna@gemeente.example")
    later = NOW + timedelta(days=1)
    # The Kamer sets the debate to Verplaatst and creates a new activity that points back to it.
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9, hours=3), status="Verplaatst"), iso(later))
    successor = activity("a9", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=30, hours=3))
    successor.data["vervangen_vanuit"] = "a1"
    add(store, successor, "jeugd", "kern", ["jeugdzorg"], seen=later)
    digest = build(store, config, "anna@gemeente.example", later + timedelta(minutes=5))
    # One meeting: its action follows it to the new date (the deadline with it), the move folded in.
    [action] = digest.briefing.actions
    assert action.key == "tk:activiteit/a1" and action.entry.meeting.item_id == successor.id
    assert [u.kind.value for u in action.entry.updates] == ["verplaatst"]
    text, _ = dg.render_digest(digest)
    assert "Woordvoerders briefen — uiterlijk do 17 dec [VERPLAATST]" in text
    assert "! verplaatst van do 3 dec 10:00 naar do 24 dec 10:00" in text
    assert successor.url in text and "details?id=a1" not in text
    assert digest.briefing.changed == [] and digest.briefing.agenda == []


def test_a_failing_source_alone_is_worth_one_mail_a_day(store):
    seed(store)
    config = make_config()
    store.record_success("tk", "tk", iso(NOW - timedelta(minutes=10)), 3, 0)
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=5)), "HTTP 503 from bb.example")
    first = dg.prepare_digests(store, config, NOW, only="bob@gemeente.example")
    assert first[0].outbox_id  # the failing source is news the first time
    again = dg.prepare_digests(store, config, NOW + timedelta(hours=2), only="bob@gemeente.example")
    assert again[0].outbox_id is None  # same day, nothing new: no second mail about the same failure
    # Something new the same day is worth a mail (and still names the failing source).
    add(store, article("w2", "Nieuwe cijfers over de Wmo"), "wmo", "kern", ["wmo"], seen=NOW + timedelta(hours=3))
    news = dg.prepare_digests(store, config, NOW + timedelta(hours=4), only="bob@gemeente.example")
    assert news[0].outbox_id
    # The next day the standing failure is reported again.
    store.record_failure("bb", "feed", iso(NOW + timedelta(days=1) - timedelta(minutes=5)), "HTTP 503 from bb.example")
    next_day = dg.prepare_digests(store, config, NOW + timedelta(days=1), only="bob@gemeente.example")
    assert next_day[0].outbox_id


def test_the_mail_is_fluid_on_a_phone_and_fixed_only_for_outlook(store):
    # A fixed 680 px table overflowed a 375 px phone screen; Outlook desktop (which ignores
    # max-width) gets the fixed width from a conditional ghost table instead.
    import re

    seed(store)
    html = dg.render_digest(build(store, make_config(), "anna@gemeente.example"))[1]
    outside_mso = re.sub(r"<!--\[if mso\]>.*?<!\[endif\]-->", "", html, flags=re.S)
    assert 'width="680"' not in outside_mso
    assert re.search(r'<table[^>]*class="page"[^>]*width="100%"[^>]*max-width:\s*680px', html)
    assert '<!--[if mso]><table role="presentation" width="680"' in html
