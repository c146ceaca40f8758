"""`monitor run` end to end on a loopback server: fetch, store, match, report; failures isolated."""

from __future__ import annotations

import json

import jsonschema

from conftest import FEEDS, Route, write_config
from monitor.cli import main
from monitor.render.as_json import schema

NOW = "2026-11-23T08:00"


def _setup(tmp_path, loopback):
    loopback.routes["/vakblad.xml"] = Route((FEEDS / "vakpers_wordpress_rss2.xml").read_bytes(), etag='"w1"')
    loopback.routes["/atom.xml"] = Route((FEEDS / "overheid_atom.xml").read_bytes(), headers={"Content-Type": "application/atom+xml"})
    loopback.routes["/hostile.xml"] = Route((FEEDS / "hostile_markup.xml").read_bytes())
    loopback.routes["/kapot.xml"] = Route(b"", status=500)
    loopback.routes["/geen-feed"] = Route(b"<!DOCTYPE html><html><body>cookies</body></html>", headers={"Content-Type": "text/html"})
    sources = f"""\
sources:
  - id: vakblad
    kind: feed
    url: {loopback.url}/vakblad.xml
    label: vakpers
  - id: overheid
    kind: feed
    url: {loopback.url}/atom.xml
  - id: hostile
    kind: feed
    url: {loopback.url}/hostile.xml
  - id: kapot
    kind: feed
    url: {loopback.url}/kapot.xml
  - id: geen-feed
    kind: feed
    url: {loopback.url}/geen-feed
http:
  retries: 0
"""
    return write_config(tmp_path / "cfg", sources)


def _run_json(config_dir, *extra):
    out = config_dir / "out.json"
    code = main(["run", "--config", str(config_dir), "--now", NOW, "--format", "json", "--output", str(out), "-q", *extra])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, schema())  # every output satisfies the published schema
    return report


def _press(report) -> dict[str, dict]:
    """Title -> press entry, over every dossier's news."""
    return {e["title"]: e for section in report["news"] for e in section["press"]}


def test_run_json_end_to_end(tmp_path, loopback):
    config_dir = _setup(tmp_path, loopback)
    report = _run_json(config_dir)
    assert report["version"] == 2
    assert report["generated_at"] == "2026-11-23T08:00:00+01:00"
    assert report["window"] == {"from": "2026-11-23", "to": "2026-12-07", "news_from": "2026-11-16", "news_to": "2026-11-23"}
    by_title = _press(report)
    jeugd = by_title["Gemeenten luiden noodklok over tekorten jeugdzorg"]
    assert jeugd["source"] == "vakblad" and jeugd["source_label"] == "vakpers"
    assert jeugd["published_at"] == "2026-11-20T10:15:00+01:00"
    reasons = {(d["dossier"], d["rule"]) for d in jeugd["reasons"]}
    assert ("jeugd", "kern") in reasons
    assert any("jeugdzorg" in term.lower() for d in jeugd["reasons"] for term in d["terms"])
    assert all(d["snippet"] for d in jeugd["reasons"])
    assert "Kabinet presenteert plan voor de Participatiewet in balans" in by_title
    # An article that matches no dossier is not reported.
    assert "Nieuwe cao voor verpleeghuizen" not in by_title
    sources = {s["id"]: s for s in report["sources"]}
    assert sources["vakblad"]["ok"] and sources["vakblad"]["new"] == 3
    assert not sources["kapot"]["ok"] and "HTTP 500" in sources["kapot"]["last_error"]
    assert not sources["geen-feed"]["ok"] and "HTML" in sources["geen-feed"]["last_error"]
    assert sources["geen-feed"]["message"].endswith("geen feed maar een webpagina (verhuisd, of een cookie- of foutpagina?)")
    assert {p["source"] for p in report["problems"]} == {"kapot", "geen-feed"}
    assert report["moments"] == [] and report["actions"] == []  # feeds alone ask for no action


def test_second_run_duplicates_nothing(tmp_path, loopback):
    config_dir = _setup(tmp_path, loopback)
    first = _run_json(config_dir)
    second = _run_json(config_dir)
    assert sorted(_press(first)) == sorted(_press(second))
    from monitor.store import Store

    store = Store(config_dir / "monitor.db")
    assert store.db["changes"].count == 0
    assert store.count_items() == 3 + 2 + 1
    # The ETag route answered 304 the second time.
    etags = [headers.get("If-None-Match") for path, headers in loopback.requests if path == "/vakblad.xml"]
    assert etags == [None, '"w1"']
    sources = {s["id"]: s for s in second["sources"]}
    assert sources["kapot"]["consecutive_failures"] == 2


def test_no_fetch_rematches_after_rules_change(tmp_path, loopback):
    config_dir = _setup(tmp_path, loopback)
    _run_json(config_dir)
    requests = len(loopback.requests)
    rules = (config_dir / "rules.yaml").read_text(encoding="utf-8")
    (config_dir / "rules.yaml").write_text(rules + "  cao:\n    title: Cao\n    rules:\n      - name: kern\n        query: cao\n", encoding="utf-8")
    report = _run_json(config_dir, "--no-fetch")
    assert len(loopback.requests) == requests
    assert "Nieuwe cao voor verpleeghuizen" in _press(report)
    assert [s["title"] for s in report["news"]][-1] == "Cao"


def test_text_markdown_html_reports(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    assert main(["run", "--config", str(config_dir), "--now", NOW, "-q"]) == 0
    text = capsys.readouterr().out
    assert "ACTIE NODIG" in text and "BRONNEN" in text and "\nJEUGDZORG EN JEUGDHULP\n" in text
    assert "Waarom: Jeugdzorg en jeugdhulp · regel kern · termen:" in text
    assert "✗ kapot" in text
    # A failing source is said at the top, before anything else, in Dutch.
    assert text.index("!! Let op: 2 bronnen werken niet zoals het hoort (kapot, geen-feed)") < text.index("ACTIE NODIG")
    assert "fout bij de server (HTTP 500)" in text and "from http" not in text
    assert main(["run", "--config", str(config_dir), "--now", NOW, "--no-fetch", "--format", "markdown", "-q"]) == 0
    markdown = capsys.readouterr().out
    assert "## Jeugdzorg en jeugdhulp" in markdown and "### In de media" in markdown
    assert "> **Let op: 2 bronnen" in markdown
    out = config_dir / "rapport.html"
    assert main(["run", "--config", str(config_dir), "--now", NOW, "--no-fetch", "--format", "html", "--output", str(out), "-q"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<h2>Actie nodig</h2>" in html and "Jeugdzorg en jeugdhulp" in html
    assert "<script" not in html.lower() and "onerror" not in html


def test_week_window_and_bad_arguments(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    report = _run_json(config_dir, "--week", "2026-W47", "--no-fetch")
    assert report["window"]["from"] == "2026-11-16" and report["window"]["to"] == "2026-11-22"
    assert main(["run", "--config", str(config_dir), "--week", "2026-47"]) == 2
    assert "use YYYY-Www" in capsys.readouterr().err
    assert main(["run", "--config", str(config_dir), "--now", "gisteren"]) == 2
    assert "--now" in capsys.readouterr().err
    assert main(["run", "--config", str(config_dir), "--source", "onbekend"]) == 2


def test_sources_command_lists_health(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    _run_json(config_dir)
    assert main(["sources", "--config", str(config_dir), "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "vakblad" in out and "ok, laatst" in out
    assert "kapot" in out and "MISLUKT 1× (laatst gelukt: nooit)" in out
    assert "fout: fout bij de server (HTTP 500)" in out and f"adres: {loopback.url}/kapot.xml" in out  # what to fix, and where
    assert "details: HTTP 500 Internal Server Error" in out


def test_no_source_reachable_says_so_and_still_reports(tmp_path, capsys):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = f"sources:\n  - id: a\n    kind: feed\n    url: http://127.0.0.1:{port}/a.xml\n  - id: b\n    kind: feed\n    url: http://127.0.0.1:{port}/b.xml\nhttp:\n  retries: 0\n"
    config_dir = write_config(tmp_path / "cfg", sources)
    assert main(["run", "--config", str(config_dir), "--now", NOW, "-q"]) == 3  # cron and monitoring can tell
    captured = capsys.readouterr()
    assert "no source could be reached: is this machine online?" in captured.err
    assert "every source failed" in captured.err
    assert captured.out.startswith("LOBBYRAPPORT")
    assert "!! Let op: geen enkele bron kon worden opgehaald" in captured.out
    assert "BRONNEN" in captured.out and "geen verbinding met de server" in captured.out
    assert "Niets nieuws.\n" not in captured.out  # silence must not look like "nothing new"
    assert "Niets nieuws gevonden, maar niet alle bronnen werkten" in captured.out


def test_failing_sources_among_working_ones_give_no_network_note(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    _run_json(config_dir)
    assert "no source could be reached" not in capsys.readouterr().err


def test_sources_command_flags_a_source_that_stopped_being_fetched(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    _run_json(config_dir)
    capsys.readouterr()
    assert main(["sources", "--config", str(config_dir), "--now", "2026-11-23T13:00"]) == 0
    assert "VEROUDERD" not in capsys.readouterr().out  # five hours: a laptop that slept
    assert main(["sources", "--config", str(config_dir), "--now", "2026-11-24T08:00"]) == 0
    out = capsys.readouterr().out
    vakblad = next(line for line in out.splitlines() if line.startswith("vakblad"))
    assert "VEROUDERD: laatst gelukt ma 23 nov 08:00" in vakblad
    assert "draait `monitor schedule` (of cron) nog?" in " ".join(out.split())


def test_sources_check_exits_3_on_failing_or_stale_sources_and_speaks_json(tmp_path, loopback, capsys):
    config_dir = _setup(tmp_path, loopback)
    _run_json(config_dir)
    capsys.readouterr()
    assert main(["sources", "--check", "--config", str(config_dir), "--now", NOW]) == 3
    assert "2 source(s) failing or stale: kapot, geen-feed" in capsys.readouterr().err
    assert main(["sources", "--check", "--format", "json", "--config", str(config_dir), "--now", NOW]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    states = {s["id"]: (s["state"], s["problem"]) for s in payload["sources"]}
    assert states["vakblad"] == ("ok", False) and states["kapot"] == ("nooit gelukt", True)
    # Without --check the listing is information, not an alarm.
    assert main(["sources", "--format", "json", "--config", str(config_dir), "--now", NOW]) == 0
    capsys.readouterr()
    # Only working sources: exit 0; one of them stale a day later: exit 3 again.
    sources = (config_dir / "sources.yaml").read_text(encoding="utf-8")
    healthy = sources.split("  - id: hostile")[0] + "http:\n  retries: 0\n"
    (config_dir / "sources.yaml").write_text(healthy, encoding="utf-8")
    assert main(["sources", "--check", "--config", str(config_dir), "--now", NOW]) == 0
    assert main(["sources", "--check", "--config", str(config_dir), "--now", "2026-11-24T09:00"]) == 3
    assert "VEROUDERD" in capsys.readouterr().out
