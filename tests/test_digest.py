"""The digest's content: per recipient, sections, reasons, escaping, coverage (no SMTP here)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.deliver import digest as dg
from monitor.deliver import outbox
from monitor.models import Moment
from monitor.store import Store
from monitor.timeutil import iso

from test_digest_fixtures import HOSTILE_TITLE, NOW, activity, add, article, brief_moment, healthy, make_config, motie, seed


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "monitor.db")
    yield s
    s.close()


def test_recipients_get_only_their_dossiers(store):
    items = seed(store)
    config = make_config()
    moments = [brief_moment(items["debate"])]
    anna_text, _ = dg.render_digest(dg.build_digest(store, config, "anna@gemeente.example", NOW, moments))
    bob_text, _ = dg.render_digest(dg.build_digest(store, config, "bob@gemeente.example", NOW, moments))
    team_text, _ = dg.render_digest(dg.build_digest(store, config, "team@gemeente.example", NOW, moments))
    assert "woonplaatsbeginsel" in anna_text and "Wmo-eigen bijdrage" not in anna_text
    assert "Wmo-eigen bijdrage" in bob_text and "woonplaatsbeginsel" not in bob_text
    assert "Briefing naar de woordvoerders" not in bob_text  # the moment is jeugd's
    assert "woonplaatsbeginsel" in team_text and "Wmo-eigen bijdrage" in team_text


def test_sections_in_memo_order_with_woordvoerders_and_motie_details(store):
    items = seed(store)
    d = dg.build_digest(store, make_config(), "team@gemeente.example", NOW, [brief_moment(items["debate"])])
    text, html = dg.render_digest(d)
    order = ["ACTIE NODIG", "== JEUGDZORG", "-- Nieuw in de Kamer", "-- In de media", "== WMO", "AGENDA KOMENDE WEKEN", "BRONNEN"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "J. de Vries (CDA) — diende 2 moties in over jeugdzorg" in text
    assert "Uiterlijk do 26 nov" in text
    assert "Indiener: J. de Vries (CDA)" in text and "Medeindieners: A. Bakker (GL-PvdA)" in text
    assert "Kabinetsappreciatie: Oordeel Kamer" in text
    # The HTML has its CSS inlined (Outlook drops <style>), and the same content.
    assert "<style" not in html and 'style="' in html
    assert "Oordeel Kamer" in html and "Actie nodig" in html


def test_every_news_line_says_why(store):
    items = seed(store)
    d = dg.build_digest(store, make_config(), "team@gemeente.example", NOW, [brief_moment(items["debate"])])
    lines = list(d.lines())
    assert lines
    for line in lines:
        assert line.reasons, line.title
        assert "regel" in line.why and "termen:" in line.why
    text, _ = dg.render_digest(d)
    assert text.count("Waarom: Jeugdzorg · regel kern · termen: jeugdzorg") >= 3
    assert "Waarom: Wmo · regel wmo · termen: Wmo" in text


def test_hostile_feed_content_never_becomes_markup(store):
    seed(store)
    _, html = dg.render_digest(dg.build_digest(store, make_config(), "anna@gemeente.example", NOW, []))
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<b>in crisis" not in html
    assert "javascript:" not in html  # the article's javascript: URL is not a link
    assert "&lt;script&gt;alert" in html  # shown as text instead
    # The rule engine's hit markers do become bold, around escaped text only.
    assert "<strong>jeugdzorg</strong> &lt;img src=x" in html


def test_clean_strips_control_and_bidi_characters():
    assert dg.clean("a\x00b\u202ec\n\n d") == "a b c d"
    assert dg.clean("x" * 50, 10) == "x" * 9 + "…"
    assert dg.safe_url("javascript:alert(1)") is None
    assert dg.safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert dg.safe_url('https://x.org/"onmouseover=') is None


def test_items_appear_in_one_digest_only(store):
    items = seed(store)
    config = make_config()
    moments = [brief_moment(items["debate"])]
    first = dg.prepare_digests(store, config, NOW, moments, only="anna@gemeente.example")
    assert first[0].outbox_id and first[0].lines >= 3
    later = NOW + timedelta(days=1)
    healthy(store, later - timedelta(minutes=5))
    second = dg.build_digest(store, config, "anna@gemeente.example", later, moments)
    assert second.news_count == 0 and not second.changes
    assert all(not a.new for a in second.actions)  # the moment is still listed, but not as new
    assert second.is_empty
    prepared = dg.prepare_digests(store, config, later, moments, only="anna@gemeente.example")
    assert prepared[0].outbox_id is None and prepared[0].empty
    assert store.db["digest_outbox"].count == 1
    # Something new arrives: only that is in the next digest.
    add(store, article("n2", "Nieuwe cijfers jeugdzorg"), "jeugd", "kern", ["jeugdzorg"], seen=later)
    third = dg.build_digest(store, config, "anna@gemeente.example", later + timedelta(hours=1), moments)
    titles = [line.title for line in third.lines() if line.section != "Actie nodig"]
    assert titles == ["Nieuwe cijfers jeugdzorg"]


def test_send_empty_gives_a_short_niets_nieuws_mail(store):
    config = make_config(send_empty=True)
    healthy(store)
    prepared = dg.prepare_digests(store, config, NOW, [], only="bob@gemeente.example")
    assert prepared[0].empty and prepared[0].outbox_id
    row = store.db["digest_outbox"].get(prepared[0].outbox_id)
    assert "niets nieuws" in row["subject"]


def test_first_digest_skips_history_but_later_back_dated_items_count(store):
    config = make_config()
    old = article("old", "Oud artikel over jeugdzorg")
    old.published_at = iso(NOW - timedelta(days=60))
    add(store, old, "jeugd", "kern", ["jeugdzorg"], seen=NOW - timedelta(hours=1))
    first = dg.build_digest(store, config, "anna@gemeente.example", NOW, [])
    assert first.news_count == 0  # a fresh install does not mail two months of history
    dg.prepare_digests(store, config, NOW, [], only="anna@gemeente.example")
    # A document dated long ago but first seen after the first digest (late-linked) is news.
    late = article("late", "Laat gekoppeld stuk over jeugdzorg")
    late.published_at = iso(NOW - timedelta(days=40))
    add(store, late, "jeugd", "kern", ["jeugdzorg"], seen=NOW + timedelta(hours=3))
    second = dg.build_digest(store, config, "anna@gemeente.example", NOW + timedelta(hours=4), [])
    assert [line.title for line in second.lines()] == ["Laat gekoppeld stuk over jeugdzorg"]


def test_changes_moved_cancelled_new_agenda_item_and_outcome(store):
    items = seed(store)
    config = make_config()
    cancelled = add(store, activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12)), "jeugd", "kern", ["jeugd"])
    dg.prepare_digests(store, config, NOW, [], only="anna@gemeente.example")
    later = NOW + timedelta(days=1)
    moved = activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=11, hours=5), agenda=["Stand van zaken jeugdzorg", "Brief over reistijden"])
    store.upsert_item(moved, iso(later))
    gone = activity("a2", "Notaoverleg Jeugd", NOW + timedelta(days=12), status="Geannuleerd")
    store.upsert_item(gone, iso(later))
    voted = motie("z1", "Motie over het woonplaatsbeginsel in de jeugdzorg")
    voted.data["uitslag"] = "aangenomen"
    store.upsert_item(voted, iso(later))
    d = dg.build_digest(store, config, "anna@gemeente.example", later + timedelta(minutes=5), [])
    by_title = {line.title: line for line in d.changes}
    assert set(by_title) == {"Commissiedebat Jeugdbeleid", "Notaoverleg Jeugd", "Motie over het woonplaatsbeginsel in de jeugdzorg"}
    assert by_title["Notaoverleg Jeugd"].badge == "geannuleerd"
    assert d.changes[0].title == "Notaoverleg Jeugd"  # cancellations first
    debate = by_title["Commissiedebat Jeugdbeleid"]
    assert "Verplaatst van do 3 dec 10:00 naar za 5 dec 12:00" in debate.details
    assert "Nieuw agendapunt: Brief over reistijden" in debate.details
    assert by_title["Motie over het woonplaatsbeginsel in de jeugdzorg"].details == ["Uitslag: aangenomen"]
    # Bob (wmo) sees none of it.
    assert dg.build_digest(store, config, "bob@gemeente.example", later, []).changes == []
    # Once queued, the changes are not repeated.
    dg.prepare_digests(store, config, later + timedelta(minutes=5), [], only="anna@gemeente.example")
    assert dg.build_digest(store, config, "anna@gemeente.example", later + timedelta(hours=1), []).changes == []
    assert cancelled  # used


def test_actions_by_deadline_skip_cancelled_and_other_dossiers(store):
    items = seed(store)
    debate = items["debate"]
    urgent = brief_moment(debate, deadline_days=0)
    urgent.id, urgent.kind = "motie:x", "motie"
    later = brief_moment(debate, deadline_days=5)
    cancelled = brief_moment(debate, deadline_days=1)
    cancelled.id, cancelled.status = "brief:cancelled", "geannuleerd"
    other = Moment("wmo:1", "brief", ["wmo"], "Wmo-debat", None, NOW.date().isoformat(), "gepland")
    news = Moment("reactie:1", "reactie", ["jeugd"], "Nieuwe brief", None, None, "gepland")
    d = dg.build_digest(store, make_config(), "anna@gemeente.example", NOW, [later, other, cancelled, urgent, news])
    assert [a.ref for a in d.actions] == ["motie:x", later.id]
    assert d.actions[0].badge == "vandaag"


def test_source_problems_are_reported(store):
    config = make_config()
    store.record_success("tk", "tk", iso(NOW - timedelta(minutes=10)), 3, 0)
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=5)), "HTTP 503 from bb.example")
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=2)), "HTTP 503 from bb.example")
    d = dg.build_digest(store, config, "bob@gemeente.example", NOW, [])
    assert [line.title for line in d.sources] == ["bb (Binnenlands Bestuur)"]
    assert "faalt (2× op rij)" in d.sources[0].details[0] and "503" in d.sources[0].details[0]
    assert not d.is_empty  # silence caused by a broken source must not look like "nothing new"
    store.record_success("bb", "feed", iso(NOW - timedelta(days=2)), 0, 0)
    stale = dg.build_digest(store, config, "bob@gemeente.example", NOW, [])
    assert "verouderd" in stale.sources[0].details[0]


def test_audit_records_lines_and_reasons(store):
    items = seed(store)
    config = make_config()
    prepared = dg.prepare_digests(store, config, NOW, [brief_moment(items["debate"])], only="anna@gemeente.example")
    rows = list(store.db.query("SELECT * FROM digest_audit WHERE outbox_id = ?", [prepared[0].outbox_id]))
    sections = {r["section"] for r in rows}
    assert {"Actie nodig", "Nieuw in de Kamer", "In de media", "Agenda komende weken"} <= sections
    news = [r for r in rows if r["section"] in ("Nieuw in de Kamer", "In de media")]
    assert all(r["reason"] and "regel kern" in r["reason"] for r in news)
    assert any(r["ref"] == items["hostile"].id and r["title"] == HOSTILE_TITLE for r in rows)
    assert outbox.sent_to(store.db, "anna@gemeente.example") == []  # queued, not yet sent


def test_preview_does_not_queue_or_cover(store):
    items = seed(store)
    html = dg.preview(store, make_config(), NOW, [brief_moment(items["debate"])], "anna@gemeente.example")
    assert "Lobbymonitor" in html and "woonplaatsbeginsel" in html
    assert store.db["digest_outbox"].count == 0 and store.db["digest_covered"].count == 0


def test_a_meeting_the_kamer_recreated_says_its_new_date_and_links_the_new_meeting(store):
    seed(store)
    config = make_config()
    dg.prepare_digests(store, config, NOW, [], only="anna@gemeente.example")
    later = NOW + timedelta(days=1)
    # The Kamer sets the debate to Verplaatst and creates a new activity that points back to it.
    store.upsert_item(activity("a1", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=9, hours=3), status="Verplaatst"), iso(later))
    successor = activity("a9", "Commissiedebat Jeugdbeleid", NOW + timedelta(days=30, hours=3))
    successor.data["vervangen_vanuit"] = "a1"
    add(store, successor, "jeugd", "kern", ["jeugdzorg"])
    d = dg.build_digest(store, config, "anna@gemeente.example", later + timedelta(minutes=5), [])
    [moved] = [line for line in d.changes if line.badge == "verplaatst"]
    assert moved.details == ["Verplaatst van do 3 dec 10:00 naar do 24 dec 10:00"]
    assert moved.url == successor.url


def test_a_failing_source_alone_is_worth_one_mail_a_day(store):
    seed(store)
    config = make_config()
    store.record_success("tk", "tk", iso(NOW - timedelta(minutes=10)), 3, 0)
    store.record_failure("bb", "feed", iso(NOW - timedelta(minutes=5)), "HTTP 503 from bb.example")
    first = dg.prepare_digests(store, config, NOW, [], only="bob@gemeente.example")
    assert first[0].outbox_id  # the failing source is news the first time
    again = dg.prepare_digests(store, config, NOW + timedelta(hours=2), [], only="bob@gemeente.example")
    assert again[0].outbox_id is None  # same day, nothing new: no second mail about the same failure
    # Something new the same day is worth a mail (and still names the failing source).
    add(store, article("w2", "Nieuwe cijfers over de Wmo"), "wmo", "kern", ["wmo"], seen=NOW + timedelta(hours=3))
    news = dg.prepare_digests(store, config, NOW + timedelta(hours=4), [], only="bob@gemeente.example")
    assert news[0].outbox_id
    # The next day the standing failure is reported again.
    store.record_failure("bb", "feed", iso(NOW + timedelta(days=1) - timedelta(minutes=5)), "HTTP 503 from bb.example")
    next_day = dg.prepare_digests(store, config, NOW + timedelta(days=1), [], only="bob@gemeente.example")
    assert next_day[0].outbox_id
