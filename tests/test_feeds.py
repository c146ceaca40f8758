"""RSS/Atom: tolerant parsing, stable ids, Amsterdam dates, conditional fetches, clear failures."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from conftest import FEEDS, REAL
from monitor.config import HttpConfig, SourceConfig
from monitor.sources import FetchContext, SourceError
from monitor.sources.feeds import canonical_link, entry_to_item, fetch, parse_feed
from monitor.sources.http import HttpClient
from monitor.store import Store
from monitor.timeutil import AMS

SOURCE = SourceConfig("vakblad", "feed", "https://feed.example/rss", 1800, "vakpers")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=AMS)


def _items(name: str, content_type: str | None = "application/rss+xml", base: str = "https://feed.example/rss"):
    parsed = parse_feed((FEEDS / name).read_bytes(), content_type, base)
    return parsed, [entry_to_item(SOURCE, entry, base) for entry in parsed.entries]


@pytest.mark.parametrize(
    "name, count, version",
    [
        ("vakpers_wordpress_rss2.xml", 3, "rss20"),
        ("overheid_atom.xml", 2, "atom10"),
        ("rss1_rdf.xml", 1, "rss10"),
        ("rss091_dutch_dates.xml", 3, "rss091u"),
        ("koop_no_guid_midnight.xml", 2, "rss20"),
    ],
)
def test_feed_formats(name, count, version):
    parsed, items = _items(name)
    assert parsed.version == version
    assert len(items) == count
    assert all(item.title and item.kind == "artikel" for item in items)


def test_content_preferred_over_teaser_and_html_stripped():
    _, items = _items("vakpers_wordpress_rss2.xml")
    first = items[0]
    assert first.text.startswith("De VNG waarschuwt dat de financiële tekorten in de jeugdzorg verder oplopen.")
    assert "<" not in first.text and "extra budget voor jeugdhulp" in first.text
    # An empty content:encoded falls back to the description.
    assert items[1].text == "Werkgevers en bonden zijn het eens over een nieuwe cao."
    # The original HTML is kept in raw.
    assert "<strong>VNG</strong>" in first.raw


def test_ids_guid_then_canonical_link_then_hash():
    _, items = _items("vakpers_wordpress_rss2.xml")
    assert items[0].external_id == "https://zorgvakblad.example/?p=1001"
    _, koop = _items("koop_no_guid_midnight.xml")
    assert koop[0].external_id == "https://zoek.officielebekendmakingen.nl/kst-31839-1090.html"
    assert canonical_link("https://X.example/a?utm_source=rss&id=3#frag") == "https://x.example/a?id=3"
    _, truncated = _items("truncated_cdata.xml")
    assert truncated[0].external_id.startswith("sha1:")


def test_midnight_plus_two_stays_on_its_dutch_day():
    _, koop = _items("koop_no_guid_midnight.xml")
    # 00:00 +02:00 is 22:00 UTC the day before; the Dutch day must not shift.
    assert koop[1].published_at == "2026-10-13T00:00:00+02:00"
    assert koop[0].published_at == "2026-11-02T00:00:00+01:00"


def test_dutch_and_local_date_formats():
    _, items = _items("rss091_dutch_dates.xml")
    assert items[0].published_at == "2026-11-16T10:00:00+01:00"  # "ma, 16 nov 2026"
    assert items[1].published_at == "2026-11-17T14:30:00+01:00"  # "17-11-2026 14:30" is not 2017
    assert items[2].published_at == "2026-03-03T10:00:00+01:00"  # CET is not UTC


def test_bozo_feeds_still_yield_entries():
    parsed, items = _items("bozo_blank_line_ampersand_entities.xml")
    assert parsed.bozo
    assert items[0].title == "Schuldhulpverlening & armoede: gemeenten één lijn"
    assert "€ 5 miljoen" in items[0].text
    assert items[0].external_id == "blank-a"  # a relative-looking guid is kept as written


def test_wrong_declared_encoding_is_read_as_utf8():
    parsed, items = _items("declared_utf16_actually_utf8.xml")
    assert items[0].title == "Financiën van gemeenten onder druk"


def test_cp1252_smart_quote_is_repaired():
    _, items = _items("cp1252_smart_quote_as_c1.xml")
    assert items[0].title == "Gemeente’s zorgen over jeugdhulp"


def test_relative_links_resolved_and_missing_dates_flagged():
    _, items = _items("relative_links_no_dates.xml", base="https://hugo.example/index.xml")
    assert items[0].url == "https://hugo.example/blog/wijkteams-wmo/"
    assert items[0].published_at is None and items[0].data["datum_onbekend"] is True
    assert items[1].published_at == "2026-11-23T09:00:00+01:00"


def test_hostile_markup_becomes_plain_text():
    _, items = _items("hostile_markup.xml")
    for text in (items[0].title, items[0].text):
        assert "<" not in text and "script" not in text.lower() and "onerror" not in text


@pytest.mark.parametrize("name, message", [("garbage.bin", "not a feed"), ("html_page.html", "HTML page")])
def test_non_feeds_are_errors(name, message):
    with pytest.raises(SourceError, match=message):
        parse_feed((FEEDS / name).read_bytes(), "text/html", "https://feed.example/rss")


def test_empty_answer_is_an_error():
    with pytest.raises(SourceError, match="empty answer"):
        parse_feed(b"   ", "application/rss+xml", "https://feed.example/rss")


# ---------------------------------------------------------------------------- fetching


def _fetch(store: Store, handler):
    async def go():
        async with HttpClient(HttpConfig(retries=1), transport=httpx.MockTransport(handler), backoff=0) as client:
            return await fetch(SOURCE, FetchContext(store=store, client=client, now=NOW))

    return asyncio.run(go())


def test_fetch_stores_then_skips_unchanged_body(tmp_path):
    store = Store(tmp_path / "m.db")
    body = (FEEDS / "vakpers_wordpress_rss2.xml").read_bytes()
    result = _fetch(store, lambda request: httpx.Response(200, content=body))
    assert (result.new, result.changed) == (3, 0)
    # No validators from the server: the body hash decides, and nothing is parsed or written.
    result = _fetch(store, lambda request: httpx.Response(200, content=body))
    assert result.not_modified and (result.new, result.changed, result.unchanged) == (0, 0, 0)
    assert store.count_items() == 3 and store.db["changes"].count == 0


def test_fetch_uses_etag_and_304_means_no_work(tmp_path):
    store = Store(tmp_path / "m.db")
    body = (FEEDS / "overheid_atom.xml").read_bytes()
    seen = []

    def handler(request):
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=body, headers={"ETag": '"v1"'})

    assert _fetch(store, handler).new == 2
    result = _fetch(store, handler)
    assert result.not_modified and seen == [None, '"v1"']


def test_changed_entry_records_one_change(tmp_path):
    store = Store(tmp_path / "m.db")
    body = (FEEDS / "overheid_atom.xml").read_bytes()
    _fetch(store, lambda request: httpx.Response(200, content=body))
    edited = body.replace(b"Kabinet wijzigt regels voor inburgering", b"Kabinet wijzigt regels voor inburgering opnieuw")
    result = _fetch(store, lambda request: httpx.Response(200, content=edited))
    assert (result.new, result.changed, result.unchanged) == (0, 1, 1)
    assert store.db["changes"].count == 1


def test_broken_feed_raises_and_keeps_stored_items(tmp_path):
    store = Store(tmp_path / "m.db")
    body = (FEEDS / "vakpers_wordpress_rss2.xml").read_bytes()
    _fetch(store, lambda request: httpx.Response(200, content=body))
    with pytest.raises(SourceError):
        _fetch(store, lambda request: httpx.Response(200, content=b"<html><body>Storing</body></html>"))
    assert store.count_items() == 3


# ---------------------------------------------------------------------------- real-world files


@pytest.mark.skipif(not (REAL / "feeds").exists(), reason="../shared/real is not present")
@pytest.mark.parametrize(
    "name, minimum",
    [
        ("nasty/real_blank_line_before_xml_declaration_rss.xml", 10),
        ("nasty/real_unescaped_ampersand_in_title_rss.xml", 15),
        ("nasty/real_declared_utf16_actually_utf8_rss.xml", 59),
        ("nasty/real_html5_entity_colon_in_atom.xml", 56),
        ("nasty/real_items_without_pubdate_rss.xml", 17),
        ("nasty/real_relative_links_hugo_rss.xml", 13),
        ("nasty/fp_truncated_incomplete_cdata.xml", 0),  # an empty, truncated item: skipped, no hang
        ("nasty/fp_unclosed_root_and_amp_in_link.xml", 1),
        ("nasty/fp_cp1252_smart_quote.xml", 1),
        ("nl_officielebekendmakingen_rss_kamerstukken_2022-05-02.xml", 150),
        ("nl_wordpress_blog_avandeursen_rss2.xml", 10),
    ],
)
def test_real_feeds_parse(name, minimum):
    parsed = parse_feed((REAL / "feeds" / name).read_bytes(), None, "https://real.example/feed")
    items = [entry_to_item(SOURCE, e, "https://real.example/feed") for e in parsed.entries]
    items = [i for i in items if i is not None]
    assert len(items) >= minimum
    assert len({i.external_id for i in items}) == len(items) or name.startswith("nasty/fp_")


@pytest.mark.skipif(not (REAL / "feeds").exists(), reason="../shared/real is not present")
def test_real_koop_capture_dates_are_dutch_days():
    parsed = parse_feed((REAL / "feeds" / "nl_officielebekendmakingen_rss_kamerstukken_2022-05-02.xml").read_bytes(), None, "https://zoek.officielebekendmakingen.nl/rss")
    items = [entry_to_item(SOURCE, e, "https://zoek.officielebekendmakingen.nl/rss") for e in parsed.entries]
    days = {i.published_at[:10] for i in items}
    assert "2022-05-02" in days and all(i.published_at.endswith("T00:00:00+02:00") for i in items)
