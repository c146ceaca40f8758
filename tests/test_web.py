"""The werkplek over plain HTTP (Starlette's TestClient) on the demo fortnight: security, work, search, rules."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from starlette.testclient import TestClient

from monitor import pipeline
from monitor.cli import main
from monitor.config import load_config
from monitor.rules.engine import compile_rules
from monitor.rules.query import parse_query
from monitor.store import SCHEMA_VERSION, Store
from monitor.web import accounts
from monitor.web.app import create_app
from monitor.web.search import Filters, _dossier, search
from web_helpers import NOW, PASSWORD, build_demo, clock, copy_demo, csrf_of, login


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("werkplek") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path) -> Path:
    return copy_demo(demo_source, tmp_path / "demo")


@pytest.fixture
def client(demo):
    app = create_app(demo, demo / "monitor.db", clock=clock, secret=b"test-secret")
    with TestClient(app) as test_client:
        yield test_client


def _late_moment(demo: Path) -> str:
    store = Store(demo / "monitor.db")
    try:
        return next(r["id"] for r in store.db.query("SELECT id FROM moments WHERE status = 'te laat' ORDER BY id"))
    finally:
        store.close()


# ---------------------------------------------------------------------------- security


def test_nothing_is_readable_without_logging_in(client):
    for path in ("/", "/dossier/jeugd", "/zoeken?q=jeugdzorg", "/regels/jeugd", "/gebruikers"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?volgende="), path
        page = client.get(path)
        assert page.url.path == "/login" and "<h1>Inloggen</h1>" in page.text
        assert "Jeugdzorg" not in page.text
    assert client.post("/moment", data={"moment": "x"}).status_code == 403


def test_login_sets_a_safe_session_cookie_and_logout_ends_the_session(demo):
    app = create_app(demo, demo / "monitor.db", clock=clock, secret=b"test-secret")
    with TestClient(app, base_url="https://werkplek.example") as client:
        answer = login(client, "marieke")
        assert answer.url.path == "/" and "<h1>Vandaag</h1>" in answer.text
        cookie = next(v for k, v in answer.history[0].headers.multi_items() if k == "set-cookie" and v.startswith("werkplek_sessie="))
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" in cookie
        stolen = client.cookies.get("werkplek_sessie")
        assert client.post("/uitloggen", data={"csrf": csrf_of(answer.text)}).url.path == "/login"
        # The cookie alone is worth nothing once the session ended.
        client.cookies.set("werkplek_sessie", stolen)
        assert client.get("/").url.path == "/login"
    with TestClient(app) as plain:
        cookie = next(v for k, v in login(plain, "lezer").history[0].headers.multi_items() if k == "set-cookie")
        assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
    store = Store(demo / "monitor.db")
    try:
        stored = [r["id_hash"] for r in store.db.query("SELECT id_hash FROM sessions")]
        assert stolen not in stored and len(stored[0]) == 64  # only the hash is kept
    finally:
        store.close()


def test_a_form_without_its_csrf_token_is_refused(client, demo):
    page = login(client, "redactie")
    moment = _late_moment(demo)
    for data in ({"moment": moment, "afgehandeld": "ja"}, {"moment": moment, "afgehandeld": "ja", "csrf": "vervalst"}):
        answer = client.post("/moment", data=data)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert client.post("/regels/jeugd", data={"actie": "opslaan"}).status_code == 403
    assert client.post("/uitloggen", data={}).status_code == 403
    # The login form has its own token too.
    client.cookies.clear()
    assert client.post("/login", data={"naam": "redactie", "wachtwoord": PASSWORD}).status_code == 403
    store = Store(demo / "monitor.db")
    try:
        assert store.db.execute("SELECT count(*) FROM moment_work").fetchone()[0] == 0
    finally:
        store.close()
    assert "<h1>Vandaag</h1>" in page.text


def test_roles_are_enforced_on_the_server(client, demo):
    rules_before = (demo / "rules.yaml").read_text(encoding="utf-8")
    page = login(client, "lezer")
    csrf = csrf_of(page.text)
    assert client.get("/dossier/jeugd").status_code == 200
    assert "Regels bewerken" not in client.get("/dossier/jeugd").text
    assert 'action="/moment"' not in page.text  # a lezer gets no work forms
    answer = client.post("/regels/jeugd", data={"csrf": csrf, "actie": "opslaan", "regel-0-naam": "kern", "regel-0-query": "jeugd"})
    assert answer.status_code == 403 and "lezer" in answer.text
    assert client.get("/regels/jeugd").status_code == 403
    assert client.post("/moment", data={"csrf": csrf, "moment": _late_moment(demo), "afgehandeld": "ja"}).status_code == 403
    assert client.get("/gebruikers").status_code == 403
    assert client.post("/gebruikers", data={"csrf": csrf, "actie": "toevoegen", "naam": "indringer", "rol": "beheerder", "wachtwoord": "x" * 12}).status_code == 403
    assert (demo / "rules.yaml").read_text(encoding="utf-8") == rules_before


def test_failed_logins_are_throttled_per_user_and_address(client):
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, "marieke", "fout").status_code == 401
    blocked = login(client, "marieke")  # the right password, too late
    assert blocked.status_code == 429 and "Te veel mislukte pogingen" in blocked.text
    assert login(client, "lezer").url.path == "/"  # another user is not locked out


def test_hostile_posts_are_rejected_cleanly(client, demo):
    csrf = csrf_of(login(client, "marieke").text)
    assert client.post("/moment", data={"csrf": csrf, "moment": "bestaat-niet"}).status_code == 404
    assert client.post("/moment", data={"csrf": csrf, "moment": _late_moment(demo), "eigenaar": "onbekend"}).status_code == 400
    answer = client.post("/moment", data={"csrf": csrf, "moment": _late_moment(demo), "notitie": "x" * 30_000})
    assert answer.status_code == 403 and "Traceback" not in answer.text
    # Back to another site is not a place to go back to.
    answer = client.post("/moment", data={"csrf": csrf, "moment": _late_moment(demo), "terug": "https://elders.example/"}, follow_redirects=False)
    assert answer.headers["location"].startswith("/#actie-")
    assert client.get("/dossier/bestaat-niet").status_code == 404
    assert client.get("/regels/bestaat-niet").status_code == 404


def test_pages_send_security_headers(client):
    answer = client.get("/login")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"


# ---------------------------------------------------------------------------- pages


def test_vandaag_and_a_dossier_speak_the_digests_words(client):
    page = login(client, "lezer").text
    assert "Actie nodig" in page and "Woordvoerders briefen — TE LAAT — de deadline was wo 2 dec; nu alsnog" in page
    assert "Fracties benaderen voor de stemming — uiterlijk ma 7 dec" in page
    assert "Gewijzigd" in page and "verplaatst van do 3 dec 14:00 naar do 14 jan 14:00" in page
    assert "tk (Tweede Kamer (demo)): werkt" in page and 'href="/dossier/jeugd"' in page
    dossier = client.get("/dossier/jeugd").text
    assert "ingediend door R. El Idrissi (CDA), mede-indiener A.B. Jansen (GL-PvdA)" in dossier
    assert "aangenomen — voor 50: GL-PvdA (25), CDA (20), SP (5); tegen 24: VVD (24)" in dossier
    assert "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00" in dossier  # a meeting's changes on the timeline
    assert "A.B. Jansen (GL-PvdA) — 1 motie over jeugdzorg" in dossier
    feed = re.search(r'href="http://testserver(/kalender/[0-9a-f]{32}/jeugd\.ics)"', dossier).group(1)
    client.cookies.clear()
    calendar = client.get(feed)  # no login: the token is the key
    assert calendar.status_code == 200 and b"BEGIN:VCALENDAR" in calendar.content
    assert client.get(feed.replace("/kalender/", "/kalender/0")).status_code == 404
    atom = re.search(r'href="http://testserver(/feed/[0-9a-f]{32}/jeugd\.atom)"', dossier).group(1)
    answer = client.get(atom)
    assert answer.status_code == 200 and b"<feed" in answer.content and "atom" in answer.headers["content-type"]
    assert client.get(atom.replace("/jeugd.atom", "/wmo.atom")).status_code == 404  # a token opens its own feed only


def test_search_uses_the_rule_language_and_explains_hits(client):
    login(client, "lezer")
    page = client.get("/zoeken", params={"q": "wachttijden AND jeugdzorg"}).text
    assert "Brief over wachttijden in de jeugdzorg" in page and "termen: wachttijden, jeugdzorg" in page
    assert "<mark>" in page and "In dossier: Jeugdzorg en jeugdhulp · regel kern" in page
    wrong = client.get("/zoeken", params={"q": "jeugd* AND ("}).text
    assert "De zoekvraag klopt niet" in wrong and "jeugd* AND (\n" in wrong and "jeugd* AND (\n           ^" in wrong
    only_press = client.get("/zoeken", params={"q": "jeugdhulp", "soort": "artikel"}).text
    assert "Regio&#39;s vrezen gat in specialistische jeugdhulp" in only_press and "Brief over" not in only_press


@pytest.mark.parametrize("extra", ["jeugd* AND NOT wachttijden", '"specialistische jeugdhulp"', "motie NEAR/5 jeugdzorg", "*zorg*", "titel:jeugdzorg", "BUIG OR soort:motie"])
def test_search_finds_exactly_what_the_engine_matches(demo_source, extra):
    # FTS5 only preselects: every query must find what running the engine over all items finds.
    config = load_config(demo_source)
    queries = [r.query for d in config.rules.dossiers.values() for r in d.rules] + [extra]
    store = Store(demo_source / "monitor.db")
    try:
        items = list(store.iter_items())
        for query in queries:
            matcher = compile_rules([_dossier(query, parse_query(query))])
            expected = {i.id for i in items if matcher.match(i)}
            found = search(store, query, Filters(), limit=10_000)
            assert {h.item.id for h in found.hits} == expected, query
    finally:
        store.close()


# ---------------------------------------------------------------------------- moments as work


def test_a_moment_marked_done_reads_afgehandeld_in_digest_report_and_calendar(client, demo):
    moment = _late_moment(demo)
    csrf = csrf_of(login(client, "redactie").text)
    answer = client.post("/moment", data={"csrf": csrf, "moment": moment, "eigenaar": "marieke", "afgehandeld": "ja", "notitie": "Brief gestuurd", "terug": "/"})
    assert answer.url.path == "/" and "afgehandeld door redactie op ma 7 dec 08:00" in answer.text
    assert "trekker: marieke" in answer.text and "Brief gestuurd" in answer.text
    config = load_config(demo)
    store = Store(demo / "monitor.db")
    try:
        digests = {d.recipient: d for d in pipeline.preview_digests(config, store, NOW)}
        from monitor.deliver.digest import render_digest

        text, _ = render_digest(digests["wmo@gemeente.example"])
        assert "Woordvoerders briefen — afgehandeld door redactie op ma 7 dec 08:00" in text and "TE LAAT" not in text
        from monitor import report as report_module
        from monitor.render.as_json import schema

        briefing = pipeline.briefing(store, config, NOW)
        assert "afgehandeld door redactie op ma 7 dec 08:00" in report_module.render(briefing, "text")
        payload = __import__("json").loads(report_module.render(briefing, "json"))
        __import__("jsonschema").validate(payload, schema())
        [done] = [m for a in payload["actions"] for m in a["moments"] if m["id"] == moment]
        assert done["work"] == {"owner": "marieke", "done": True, "done_by": "redactie", "done_at": "2026-12-07T08:00:00+01:00",
                                "note": "Brief gestuurd", "note_by": "redactie", "note_at": "2026-12-07T08:00:00+01:00", "state_label": "afgehandeld"}
        assert done["when"] == "afgehandeld door redactie op ma 7 dec 08:00"
        calendar = pipeline.calendar(config, store, NOW).decode().replace("\r\n ", "")
        assert "Woordvoerders briefen — afgehandeld door redactie op ma 7 dec 08:00" in calendar and "Status: afgehandeld" in calendar
        # The owner's digest (marieke's email is the jeugd address) lists her action first.
        # As of before the work, the digest says TE LAAT as it did (reading as of a moment).
        earlier = {d.recipient: d for d in pipeline.preview_digests(config, store, NOW.replace(hour=7))}
        assert "TE LAAT" in render_digest(earlier["wmo@gemeente.example"])[0]
        rows = store.db.execute("SELECT by, action FROM moment_work WHERE moment_id = ? ORDER BY id", [moment]).fetchall()
        assert rows == [("redactie", "owner"), ("redactie", "done"), ("redactie", "note")]
    finally:
        store.close()
    # Reopening is a step of its own; the history stays.
    client.post("/moment", data={"csrf": csrf, "moment": moment, "eigenaar": "marieke", "notitie": "Brief gestuurd"})
    assert "TE LAAT" in client.get("/").text


def test_an_owners_digest_puts_their_actions_first(client, demo):
    config = load_config(demo)
    address = "ploeg@gemeente.example"  # no recipient of rules.yaml: its digest holds every dossier
    store = Store(demo / "monitor.db")
    try:
        accounts.add_user(store.db, "ploeg", "redacteur", PASSWORD, address, "2026-12-01T08:00:00+01:00")
        before = [a.key for a in pipeline.preview_digests(config, store, NOW, address)[0].briefing.actions]
        assert len(before) == 2
        last = pipeline.preview_digests(config, store, NOW, address)[0].briefing.actions[-1].moments[0].id
    finally:
        store.close()
    csrf = csrf_of(login(client, "marieke").text)
    assert client.post("/moment", data={"csrf": csrf, "moment": last, "eigenaar": "ploeg"}).status_code == 200
    store = Store(demo / "monitor.db")
    try:
        after = pipeline.preview_digests(config, store, NOW, address)[0].briefing.actions
        assert [a.key for a in after] == list(reversed(before)) and after[0].moments[0].work.owner == "ploeg"
        # Someone else's digest keeps the deadline order.
        other = [a.key for a in pipeline.preview_digests(config, store, NOW, "iemand@gemeente.example")[0].briefing.actions]
        assert other == before
    finally:
        store.close()


# ---------------------------------------------------------------------------- rules editor


def _rules_form(page: str) -> dict[str, str]:
    """The rules form's fields as a browser would post them (inputs, and each select's chosen option)."""
    fields = dict(re.findall(r'name="((?:regel-\d+-(?:naam|query|plek))|exclude|basis|gecontroleerd|csrf)" value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="(regel-\d+-prioriteit)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen.group(1) if chosen else ""
    return {k: v.replace("&#34;", '"').replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


def test_the_rules_editor_checks_backtests_saves_with_comments_and_logs(client, demo):
    original = (demo / "rules.yaml").read_text(encoding="utf-8")
    login(client, "redactie")
    form = _rules_form(client.get("/regels/jeugd").text)
    assert form["regel-0-query"].startswith("jeugdzorg OR jeugdhulp")
    broken = {**form, "regel-1-query": "jeugd* AND (tekort*", "actie": "controleren"}
    page = client.post("/regels/jeugd", data=broken).text
    assert "rules.yaml zou zo niet werken" in page and "rules.yaml:" in page and "dossier &#39;jeugd&#39;, rule &#39;geld&#39;" in page
    assert re.search(r"jeugd\* AND \(tekort\*\n\s*\^", page)
    assert 'value="opslaan"' not in page
    fixed = {**form, "regel-1-query": "jeugd* AND (tekort* OR budget* OR ravijnjaar OR wachttijden)", "item": "", "actie": "controleren"}
    page = client.post("/regels/jeugd", data=fixed).text
    assert "Backtest op" in page and "jeugd.geld" in page and 'value="opslaan"' in page
    checked = _rules_form(page)["gecontroleerd"]
    assert (demo / "rules.yaml").read_text(encoding="utf-8") == original  # checking writes nothing
    saved = client.post("/regels/jeugd", data={**fixed, "gecontroleerd": checked, "actie": "opslaan"})
    assert saved.url.path == "/regels/jeugd" and "Opgeslagen in rules.yaml" in saved.text
    text = (demo / "rules.yaml").read_text(encoding="utf-8")
    assert "query: jeugd* AND (tekort* OR budget* OR ravijnjaar OR wachttijden)" in text
    assert text.splitlines()[:7] == original.splitlines()[:7]  # the header comments
    changed = [line for line in difflib_lines(original, text)]
    assert changed == ["-        query: jeugd* AND (tekort* OR budget* OR financi* OR ravijnjaar)", "+        query: jeugd* AND (tekort* OR budget* OR ravijnjaar OR wachttijden)"]
    assert load_config(demo).rules.dossiers["jeugd"].rules[1].query.endswith("wachttijden)")
    store = Store(demo / "monitor.db")
    try:
        log = accounts.rules_log(store.db, "jeugd")
        assert log[0]["user"] == "redactie" and "wachttijden" in log[0]["diff"]
    finally:
        store.close()


def difflib_lines(before: str, after: str) -> list[str]:
    import difflib

    return [line.rstrip("\n") for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_the_rules_editor_will_not_save_unchecked_or_outdated_text(client, demo):
    login(client, "redactie")
    form = _rules_form(client.get("/regels/jeugd").text)
    original = (demo / "rules.yaml").read_text(encoding="utf-8")
    # Saving what was never checked only checks it.
    page = client.post("/regels/jeugd", data={**form, "regel-0-query": "jeugdzorg", "gecontroleerd": "", "actie": "opslaan"}).text
    assert "Backtest op" in page and (demo / "rules.yaml").read_text(encoding="utf-8") == original
    checked = _rules_form(page)["gecontroleerd"]
    (demo / "rules.yaml").write_text(original + "\n# iemand anders was hier\n", encoding="utf-8")
    page = client.post("/regels/jeugd", data={**form, "regel-0-query": "jeugdzorg", "gecontroleerd": checked, "actie": "opslaan"}).text
    assert "intussen door iemand anders gewijzigd" in page
    assert (demo / "rules.yaml").read_text(encoding="utf-8").endswith("# iemand anders was hier\n")


# ---------------------------------------------------------------------------- accounts on the command line and in the schema


def test_users_on_the_command_line(tmp_path, monkeypatch, capsys):
    db = tmp_path / "monitor.db"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("een-goed-wachtwoord\n"))
    assert main(["users", "add", "Anna", "--role", "redacteur", "--email", "anna@gemeente.example", "--db", str(db)]) == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("kort\n"))
    assert main(["users", "add", "bob", "--role", "lezer", "--db", str(db)]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(db)]) == 0
    assert capsys.readouterr().out == "anna\tredacteur\tanna@gemeente.example\n"
    store = Store(db)
    try:
        assert store.db.execute("SELECT password_hash FROM users").fetchone()[0].startswith("$argon2id$")
        assert accounts.authenticate(store.db, "anna", "een-goed-wachtwoord") is not None
        assert accounts.authenticate(store.db, "anna", "fout-wachtwoord") is None
    finally:
        store.close()
    assert main(["users", "remove", "anna", "--db", str(db)]) == 0
    assert main(["users", "remove", "anna", "--db", str(db)]) == 2


def test_schema_6_adds_the_werkplek_tables_and_keeps_the_data(demo):
    store = Store(demo / "monitor.db")
    items = store.count_items()
    for table in ("moment_work", "rules_log", "login_failures", "sessions", "users"):
        store.db.execute(f"DROP TABLE {table}")
    store.db.execute("PRAGMA user_version = 5")  # the version before the werkplek
    store.db.conn.commit()
    store.close()
    store = Store(demo / "monitor.db")
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        assert {"moment_work", "users", "sessions", "rules_log"} <= set(store.db.table_names())
        assert store.count_items() == items
    finally:
        store.close()


def test_the_werkplek_can_run_next_to_the_scheduler(demo):
    import socket

    import httpx

    from monitor.web.app import serve_in_thread

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop = serve_in_thread(demo, demo / "monitor.db", "127.0.0.1", port)
    try:
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, trust_env=False)
                break
            except httpx.ConnectError:
                __import__("time").sleep(0.05)
        assert answer.status_code == 200 and "<h1>Inloggen</h1>" in answer.text
    finally:
        stop()


def test_the_rules_editor_adds_renames_and_removes_rules_keeping_the_rest_of_the_file():
    from monitor.config import parse_rules
    from monitor.web.rules_editor import RuleRow, apply

    original = """\
# onze dossiers
dossiers:
  jeugd:
    title: Jeugd   # de titel
    rules:
      - name: kern
        query: jeugdzorg
        kinds: [zaak]   # alleen zaken
      - name: oud
        query: '"gesloten jeugdzorg" OR jeugdbescherming'
  wmo:
    title: Wmo
    rules:
      - name: kern
        query: Wmo
"""
    rows = [RuleRow("kern-nieuw", "jeugdzorg OR jeugdhulp", "hoog", index=0), RuleRow("oud", "x", remove=True, index=1), RuleRow("pers", '"jeugd in de knel" OR *jeugd*'),
            RuleRow("vervalst", "jeugd", index=0)]  # a forged second claim on rule 0 becomes a rule of its own
    text = apply(original, "jeugd", rows, "voetbal*")
    rules = parse_rules(text, "rules.yaml")
    jeugd = rules.dossiers["jeugd"]
    assert [(r.name, r.query, r.priority, r.kinds) for r in jeugd.rules] == [
        ("kern-nieuw", "jeugdzorg OR jeugdhulp", "hoog", ["zaak"]),
        ("pers", '"jeugd in de knel" OR *jeugd*', None, None),
        ("vervalst", "jeugd", None, None),
    ]
    assert jeugd.exclude == "voetbal*"
    assert "# onze dossiers" in text and "# de titel" in text and "# alleen zaken" in text
    assert text.split("  wmo:")[1] == original.split("  wmo:")[1]  # another dossier untouched, byte for byte


def test_the_page_cache_follows_every_write_a_page_shows(demo):
    from monitor.models import Item
    from monitor.web.cache import PageCache, fingerprint

    store = Store(demo / "monitor.db")
    try:
        cache = PageCache(ttl=300)
        builds = []
        key = lambda: cache.key("vandaag", store.db, "v1", NOW)  # noqa: E731
        assert cache.get(key(), lambda: builds.append(1) or "eerste") == "eerste"
        assert cache.get(key(), lambda: builds.append(1) or "tweede") == "eerste" and len(builds) == 1
        before = fingerprint(store.db)
        store.record_success("tk", "tk", "2026-12-07T09:00:00+01:00", 0, 0)  # a fetch, even one without news
        assert fingerprint(store.db) != before
        assert cache.get(key(), lambda: "na ophalen") == "na ophalen"
        store.upsert_item(Item(source="pers", external_id="x", kind="artikel", title="Nieuw", text="jeugdzorg"), "2026-12-07T09:05:00+01:00")
        assert cache.get(key(), lambda: "nieuw item") == "nieuw item"
        assert cache.key("vandaag", store.db, "v2", NOW) != key()  # another rules version
        later = NOW.replace(hour=9)
        assert cache.key("vandaag", store.db, "v1", later) != key()  # the clock moved on: states may have too
    finally:
        store.close()


def test_the_warmer_builds_vandaag_and_the_dossiers_read_lately(demo):
    from monitor.web import pages

    app = create_app(demo, demo / "monitor.db", clock=clock, secret=b"test-secret")
    werkplek = app.state.werkplek
    with TestClient(app) as client:
        login(client, "lezer")
        assert client.get("/dossier/wmo").status_code == 200
    assert werkplek.recently_viewed() == ["wmo"]
    werkplek.cache.clear()
    built = []
    real = pipeline.briefing
    try:
        pipeline.briefing = lambda *a, **k: built.append(a[3].dossiers if len(a) > 3 else None) or real(*a, **k)
        pages.warm(werkplek)
        assert built == [None, ["wmo"]]  # Vandaag (every dossier), then the dossier read lately
        pages.warm(werkplek)
        assert built == [None, ["wmo"]]  # nothing changed: nothing rebuilt
    finally:
        pipeline.briefing = real


def test_a_rule_blanked_out_in_the_form_is_removed_and_the_others_keep_their_place(client, demo):
    login(client, "redactie")
    form = _rules_form(client.get("/regels/jeugd").text)
    assert form["regel-1-plek"] == "1"
    blanked = {**form, "regel-1-naam": "", "regel-1-query": "", "actie": "controleren"}
    page = client.post("/regels/jeugd", data=blanked).text
    again = _rules_form(page)
    # The row after the blanked one moves up in the form but still names its own rule in the file.
    assert again["regel-1-naam"] == "instellingen" and again["regel-1-plek"] == "2" and again["regel-2-naam"] == ""
    saved = client.post("/regels/jeugd", data={**again, "actie": "opslaan"})
    assert "Opgeslagen" in saved.text
    rules = load_config(demo).rules.dossiers["jeugd"].rules
    assert [r.name for r in rules] == ["kern", "instellingen"] and rules[1].query.startswith("(jeugdzorgaanbieder*")


def test_a_search_the_index_cannot_narrow_checks_the_newest_items_and_says_so(demo_source):
    store = Store(demo_source / "monitor.db")
    try:
        everything = search(store, "*zorg*", Filters(), limit=10_000)
        assert not everything.truncated and everything.hits
        capped = search(store, "*zorg*", Filters(), limit=10_000, max_candidates=5)
        assert capped.truncated and capped.candidates == 5 and len(capped.hits) <= 5
    finally:
        store.close()


def test_a_beheerder_adds_and_removes_users_in_the_browser_pages(client, demo):
    csrf = csrf_of(login(client, "marieke").text)
    short = client.post("/gebruikers", data={"csrf": csrf, "actie": "toevoegen", "naam": "nieuw", "rol": "lezer", "wachtwoord": "kort"})
    assert "minstens 10 tekens" in short.text
    added = client.post("/gebruikers", data={"csrf": csrf, "actie": "toevoegen", "naam": "nieuw", "rol": "redacteur", "email": "nieuw@gemeente.example", "wachtwoord": "lang-genoeg-1"})
    assert "Gebruiker nieuw (redacteur) toegevoegd." in added.text
    assert "U kunt uzelf niet verwijderen." in client.post("/gebruikers", data={"csrf": csrf, "actie": "verwijderen", "naam": "marieke"}).text
    assert client.post("/gebruikers", data={"csrf": csrf, "actie": "verwijderen", "naam": "nieuw"}).url.path == "/gebruikers"
    store = Store(demo / "monitor.db")
    try:
        assert accounts.get_user(store.db, "nieuw") is None and accounts.get_user(store.db, "marieke") is not None
    finally:
        store.close()
