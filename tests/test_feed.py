"""`monitor feed`: an Atom feed per dossier, written to a file or served behind its own secret URL.

The replay fortnight (fetched once for the module) read as of three moments; every feed is parsed
by feedparser, as a reader would.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import pytest

from monitor import pipeline
from monitor.cli import main
from monitor.config import load_config
from monitor.deliver import calendar as cal
from monitor.render.atom import TAG_PREFIX
from monitor.store import Store
from monitor.timeutil import parse_instant
from test_briefing import FOURTH, SECOND, THIRD

SECRET = b"feed-test-secret"


def atom(config: Path, tmp_path: Path, *args: str, now: str = THIRD) -> bytes:
    out = tmp_path / "feed.atom"
    assert main(["feed", *args, "--config", str(config), "--now", now, "-q", "--output", str(out)]) == 0
    return out.read_bytes()


def parsed(body: bytes) -> feedparser.FeedParserDict:
    result = feedparser.parse(body)
    assert not result.bozo, result.get("bozo_exception")
    assert result.version == "atom10"
    return result


def test_a_dossiers_feed_has_its_actions_changes_and_news_in_the_reports_words(week, tmp_path):
    result = parsed(atom(week, tmp_path, "jeugd"))
    assert result.feed.title == "Lobbymonitor — Jeugdzorg en jeugdhulp"
    assert result.feed.id == f"{TAG_PREFIX}feed/jeugd"
    titles = [e.title for e in result.entries]
    assert "Fracties benaderen voor de stemming — uiterlijk ma 7 dec: Stemmingen" in titles
    assert "Commissiedebat Jeugdbeleid [GEANNULEERD]" in titles
    assert "Regio's vrezen gat in specialistische jeugdhulp na 2027" in titles
    assert any(t.startswith("Gewijzigde motie van het lid El Idrissi") for t in titles)
    assert not any("Wmo" in t for t in titles)  # another dossier's
    vote = next(e for e in result.entries if e.title.startswith("Fracties benaderen"))
    assert "nog niet gestemd (eerder aangehouden, di 17 nov)" in vote.summary
    assert vote.link.endswith("id=2026A05110")
    cancelled = next(e for e in result.entries if e.title == "Commissiedebat Jeugdbeleid [GEANNULEERD]")
    assert "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00" in cancelled.summary
    ids = [e.id for e in result.entries]
    assert len(set(ids)) == len(ids) and all(i.startswith(TAG_PREFIX) for i in ids)
    assert all(e.link.startswith(("https://", "http://")) for e in result.entries if "link" in e)
    assert all(t.term == "jeugd" for e in result.entries for t in e.tags)
    # Newest first, and the feed is as new as its newest entry.
    stamps = [e.updated_parsed for e in result.entries]
    assert stamps == sorted(stamps, reverse=True) and result.feed.updated_parsed == stamps[0]
    everything = parsed(atom(week, tmp_path))
    assert everything.feed.title == "Lobbymonitor — alle dossiers"
    assert any(e.title.startswith("Woordvoerders briefen — TE LAAT") and e.title.endswith("Commissiedebat Wmo-tarieven") for e in everything.entries)


def test_ids_are_stable_and_a_change_is_a_new_entry(week, tmp_path):
    before = parsed(atom(week, tmp_path, "jeugd", now=SECOND))
    now = parsed(atom(week, tmp_path, "jeugd", now=THIRD))
    moved = next(e for e in before.entries if "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00" in e.summary and "vergadering/" in e.id)
    cancelled = next(e for e in now.entries if e.title == "Commissiedebat Jeugdbeleid [GEANNULEERD]")
    # The same meeting (one key across moves), a later revision: a new entry a reader shows as news.
    assert moved.id.rsplit("/", 1)[0] == cancelled.id.rsplit("/", 1)[0] and moved.id != cancelled.id
    # What did not change keeps its id and its time.
    after = parsed(atom(week, tmp_path, "jeugd", now=FOURTH))
    kept = {e.id: e.updated for e in now.entries}
    article = next(e for e in after.entries if e.title.startswith("Regio's vrezen gat"))
    assert kept[article.id] == article.updated
    # The vote on the held-over motie is news of its own, with the result.
    voted = next(e for e in after.entries if e.title.startswith("Motie van het lid De Vries"))
    assert voted.title.endswith("[VERWORPEN]") and voted.id not in kept
    assert "verworpen — voor 24: VVD (24); tegen 59" in voted.summary


def test_an_unchanged_feed_is_the_same_bytes_whatever_the_clock(week, tmp_path):
    first = atom(week, tmp_path, "jeugd", now="2026-12-07T08:00")
    assert atom(week, tmp_path, "jeugd", now="2026-12-07T17:45") == first


def test_a_deadline_that_passes_updates_its_entry(week, tmp_path):
    # The Wmo debate's briefing was due 2 December: on 1 December it is planned, on 3 December late.
    def wmo_action(now: str) -> feedparser.FeedParserDict:
        return next(e for e in parsed(atom(week, tmp_path, "wmo", now=now)).entries if e.title.startswith("Woordvoerders briefen"))

    planned, late = wmo_action("2026-12-01T08:00"), wmo_action("2026-12-03T08:00")
    assert planned.id == late.id and "uiterlijk wo 2 dec" in planned.title and "TE LAAT" in late.title
    assert late.updated_parsed > planned.updated_parsed


def test_feed_usage_errors(week, tmp_path, capsys):
    capsys.readouterr()
    assert main(["feed", "onbekend", "--config", str(week), "-q"]) == 2
    assert "no dossier 'onbekend'" in capsys.readouterr().err
    assert main(["feed", "--config", str(week), "-q", "--output", str(tmp_path / "weg" / "f.atom")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ---------------------------------------------------------------------------- served


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(week):
    config = load_config(week)
    db = week / "monitor.db"
    now = parse_instant(THIRD)

    def render(kind):
        def build(dossier):
            store = Store(db)
            try:
                return (pipeline.feed if kind == "feed" else pipeline.calendar)(config, store, now, dossier)
            finally:
                store.close()
        return build

    running = cal.serve_calendar(render("calendar"), config.rules, SECRET, "127.0.0.1", free_port(), feed_render=render("feed"))
    yield running
    running.stop()


def status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_the_served_feed_needs_its_own_token_and_answers_a_repeat_with_304(server):
    url = server.feed_url_for("jeugd")
    assert url == f"{server.feed_url}{cal.feed_token(SECRET, 'jeugd')}/jeugd.atom"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        etag = response.headers["ETag"]
        body = response.read()
    assert parsed(body).feed.title == "Lobbymonitor — Jeugdzorg en jeugdhulp"
    assert status(url, {"If-None-Match": etag}) == 304
    calendar_token, feed_token = cal.calendar_token(SECRET, "jeugd"), cal.feed_token(SECRET, "jeugd")
    assert calendar_token != feed_token
    refused = [
        f"{server.feed_url}{calendar_token}/jeugd.atom",  # the calendar's token does not open the feed
        f"{server.url}{feed_token}/jeugd.ics",  # nor the feed's the calendar
        f"{server.url}{feed_token}/jeugd.atom",
        f"{server.feed_url}{feed_token}/jeugd.ics",
        f"{server.feed_url}{feed_token}/wmo.atom",  # another dossier's
        f"{server.feed_url}jeugd.atom",
        f"{server.feed_url}{'0' * 32}/jeugd.atom",
    ]
    for address in refused:
        assert status(address) == 404, address
    assert status(server.url_for("jeugd")) == 200  # the calendar is served as before
    assert status(server.feed_url_for("alle")) == 200


def test_feed_urls_lists_each_feed_with_its_secret_url(week, capsys, monkeypatch):
    monkeypatch.delenv(cal.SECRET_ENV, raising=False)
    capsys.readouterr()
    assert main(["feed", "--urls", "--config", str(week), "--base-url", "https://m.example/feed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    secret = cal.calendar_secret(week / "monitor.db")
    assert lines == [f"{name}\thttps://m.example/feed/{cal.feed_token(secret, name)}/{name}.atom" for name in ("alle", "jeugd", "wmo")]
    assert main(["feed", "wmo", "--urls", "--config", str(week)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("wmo\thttp://127.0.0.1:8765/feed/") and line.endswith("/wmo.atom")
