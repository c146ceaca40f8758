"""One briefing, one voice: the Kamer replay fortnight through every output.

The scenario is the SyncFeed replay of monitor/demo/data/tk: a jeugd debate moved (10 -> 17 Dec), a
procedurevergadering cancelled, a rondetafelgesprek deleted, a Wmo debate re-created in January,
moties with votes and a changed appreciatie. Every test drives the real CLI (fetch through the
loopback replay server, --now) and reads what a person reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from icalendar import Calendar

from conftest import write_config
from fixtures.tk.replay import SyncFeedReplay
from monitor import wording
from monitor.cli import main
from monitor.models import MomentKind
from monitor.render.as_json import schema
from monitor.store import Store

FIRST = "2026-11-24T08:00"  # after the Kamer published run1
SECOND = "2026-11-30T08:00"  # after run2: moved, cancelled, deleted, re-created
THIRD = "2026-12-07T08:00"  # after run3: jeugd debate cancelled with a Noot, Stemmingen with a late motie, a new letter
FOURTH = "2026-12-09T08:00"  # after run4: the votes, a revised version of the letter

RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    recipients: [jeugd@gemeente.example]
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp OR Jeugdwet OR jeugdbeleid OR "Hervormingsagenda Jeugd"
  wmo:
    title: Wmo, beschermd wonen en maatschappelijke opvang
    recipients: [wmo@gemeente.example]
    rules:
      - name: kern
        query: Wmo OR "beschermd wonen" OR "maatschappelijke opvang"
"""

# What no reader should see: ISO timestamps, JSON, field names of the data.
INTERNALS = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\{\"|\[\{|\b(?:event_at|published_at|first_seen|aanvangstijd|vervangen_vanuit|agendapunten|activiteit_ids|item_id|data\.\w+)\b"
)


@pytest.fixture
def replay():
    """The loopback SyncFeed replay server, with nothing published yet."""
    feed = SyncFeedReplay(page_size=50).start()
    yield feed
    feed.stop()


@pytest.fixture
def kamer(tmp_path, replay):
    """A config directory whose only source is the replay server, fetched twice (run1, then run2)."""
    feed = replay
    feed.publish("run1")
    sources = (
        f"sources:\n  - id: tk\n    kind: tk\n    base_url: {feed.url}\n    label: Tweede Kamer\nhttp:\n  retries: 0\n"
        "email:\n  from: monitor@gemeente.example\n  smtp: {host: 127.0.0.1, port: 9, security: none}\n"
    )
    config = write_config(tmp_path / "cfg", sources, RULES)
    assert cli(config, "run", now=FIRST, out=tmp_path / "first.txt") == 0
    feed.publish("run2")
    assert cli(config, "run", now=SECOND, out=tmp_path / "second.txt") == 0
    return config


@pytest.fixture
def fortnight(kamer, replay, tmp_path):
    """The same directory fetched twice more: a week later (run3) and the day after the vote (run4)."""
    replay.publish("run3")
    assert cli(kamer, "run", now=THIRD, out=tmp_path / "third.txt") == 0
    replay.publish("run4")
    assert cli(kamer, "run", now=FOURTH, out=tmp_path / "fourth.txt") == 0
    return kamer


def cli(config: Path, *args: str, now: str = SECOND, out: Path | None = None) -> int:
    extra = ["--output", str(out)] if out is not None else []
    return main([*args, "--config", str(config), "--now", now, "-q", *extra])


def output(config: Path, tmp_path: Path, *args: str, now: str = SECOND) -> str:
    out = tmp_path / "out"
    assert cli(config, *args, now=now, out=out) == 0
    return out.read_text(encoding="utf-8")


def digest_text(config: Path, capsys, now: str = SECOND) -> dict[str, str]:
    capsys.readouterr()
    assert cli(config, "digest", now=now) == 0
    parts = capsys.readouterr().out.split("==== aan: ")[1:]
    return {part.split(" ", 1)[0]: part for part in parts}


def ics(config: Path, tmp_path: Path, now: str = SECOND) -> list:
    path = tmp_path / "k.ics"
    assert cli(config, "calendar", now=now, out=path) == 0
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


# ---------------------------------------------------------------------------- one voice


def test_a_meeting_appears_at_most_twice_in_a_digest_with_its_changes_folded_in(kamer, capsys):
    digests = digest_text(kamer, capsys)
    jeugd, wmo = digests["jeugd@gemeente.example"], digests["wmo@gemeente.example"]
    # The moved jeugd debate: its action (with the move) and its agenda row, nothing else.
    assert jeugd.count("Commissiedebat Jeugdbeleid") == 2
    assert jeugd.count("verplaatst van do 10 dec 10:00 naar do 17 dec 13:00") == 1
    # The re-created Wmo debate is one meeting, told once as a move to January.
    assert wmo.count("verplaatst van do 3 dec 14:00 naar do 14 jan 14:00") == 1
    assert wmo.count("Commissiedebat Wmo ·") == 1 and "nieuwe datum nog niet bekend" not in wmo
    # The cancelled procedurevergadering: no action any more, one agenda row that says so.
    assert wmo.count("Procedurevergadering VWS") == 1 and "Procedurevergadering VWS [GEANNULEERD]" in wmo
    for text in digests.values():
        names = re.findall(r"^• (?:\S+ \d+ \w+ \d\d:\d\d  )?(.+?)(?: \[|$)", text, re.M)
        assert all(names.count(n) <= 2 for n in names), names


def test_nothing_a_person_reads_contains_internals(kamer, tmp_path, capsys):
    texts = {
        "text": output(kamer, tmp_path, "run", "--no-fetch"),
        "markdown": output(kamer, tmp_path, "run", "--no-fetch", "--format", "markdown"),
        "html": output(kamer, tmp_path, "run", "--no-fetch", "--format", "html"),
        **digest_text(kamer, capsys),
    }
    for event in ics(kamer, tmp_path):
        texts[str(event["UID"])] = "\n".join(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    preview = tmp_path / "preview.html"
    assert cli(kamer, "digest", "--preview", str(preview), "--to", "wmo@gemeente.example") == 0
    texts["preview"] = preview.read_text(encoding="utf-8")
    for name, text in texts.items():
        found = INTERNALS.search(text)
        assert found is None, f"{name}: {found.group(0)!r} in …{text[max(0, found.start() - 80):found.end() + 40]}…"


@pytest.mark.parametrize("kind", list(MomentKind))
def test_a_moment_has_the_same_label_in_report_digest_calendar_and_json(tmp_path, capsys, kind):
    """Each kind of moment, on a meeting of the soort that asks for it, worded once."""
    soort = {
        MomentKind.BRIEF: "Commissiedebat",
        MomentKind.INBRENG: "Inbreng schriftelijk overleg",
        MomentKind.AGENDERING: "Procedurevergadering",
        MomentKind.POSITIONPAPER: "Rondetafelgesprek",
        MomentKind.MOTIE: "Plenair debat (tweeminutendebat)",
        MomentKind.STEMMING: "Stemmingen",
    }[kind]
    from test_moments_data import activity, put

    config = write_config(tmp_path / "cfg", "sources: []\nemail:\n  from: m@gemeente.example\n  smtp: {host: 127.0.0.1, port: 9, security: none}\n", RULES)
    store = Store(config / "monitor.db")
    put(store, activity("m-1", soort, "Jeugdzorg", "2026-12-11T10:00", nummer="2026A09001"), ["jeugd"], seen_at="2026-11-30T08:00:00+01:00")
    store.close()
    label = wording.moment_label(kind)
    report = output(config, tmp_path, "run", "--no-fetch", now="2026-12-01T08:00")
    payload = json.loads(output(config, tmp_path, "run", "--no-fetch", "--format", "json", now="2026-12-01T08:00"))
    jsonschema.validate(payload, schema())
    digest = digest_text(config, capsys, now="2026-12-01T08:00")["jeugd@gemeente.example"]
    summaries = [str(e["SUMMARY"]) for e in ics(config, tmp_path, now="2026-12-01T08:00")]
    [moment] = payload["moments"]
    assert (moment["kind"], moment["label"]) == (kind.value, label)
    assert f"• {label} — {moment['when']}" in report
    assert f"• {label} — {moment['when']}" in digest
    assert f"Deadline: {label} — " in "\n".join(summaries)


def test_a_change_has_the_same_words_in_report_digest_calendar_and_json(kamer, tmp_path, capsys):
    phrase = "verplaatst van do 10 dec 10:00 naar do 17 dec 13:00"
    report = output(kamer, tmp_path, "run", "--no-fetch")
    payload = json.loads(output(kamer, tmp_path, "run", "--no-fetch", "--format", "json"))
    digest = digest_text(kamer, capsys)["jeugd@gemeente.example"]
    calendar = "\n".join(str(e["DESCRIPTION"]) for e in ics(kamer, tmp_path))
    texts = [u["text"] for a in payload["actions"] for u in a["meeting"]["updates"]]
    assert phrase in texts and phrase in report and phrase in digest and phrase in calendar
    cancelled = "geannuleerd"
    closed = [u["text"] for a in payload["closed"] for u in a["meeting"]["updates"]]
    assert cancelled in closed and f"! {cancelled}" in report and f"! {cancelled}" in digest_text(kamer, capsys)["wmo@gemeente.example"]


# ---------------------------------------------------------------------------- as of a moment, and reading writes nothing


def test_now_before_a_change_shows_the_state_before_it(kamer, tmp_path):
    before = output(kamer, tmp_path, "run", "--no-fetch", now=FIRST)
    # The report made at the first run, before the Kamer moved, cancelled and re-created meetings.
    original = (kamer.parent / "first.txt").read_text(encoding="utf-8")
    assert before == original
    assert "verplaatst" not in before and "geannuleerd" not in before.lower()
    assert "Commissiedebat Jeugdbeleid · commissie VWS · do 10 dec 2026 10:00" in before
    payload = json.loads(output(kamer, tmp_path, "run", "--no-fetch", "--format", "json", now=FIRST))
    assert {m["status"] for m in payload["moments"]} <= {"gepland", "te laat"}


def test_read_only_commands_leave_the_database_as_it_was(kamer, tmp_path, capsys):
    store = Store(kamer / "monitor.db")
    before = list(store.db.conn.iterdump())
    store.close()
    commands = [
        ["run", "--no-fetch"],
        ["run", "--no-fetch", "--format", "json"],
        ["digest"],
        ["digest", "--preview", str(tmp_path / "p.html")],
        ["calendar", "--output", str(tmp_path / "k.ics")],
        ["woordvoerders", "jeugd"],
        ["sources"],
    ]
    for now in (SECOND, FIRST):
        for command in commands:
            assert cli(kamer, *command, now=now) == 0, command
    assert cli(kamer, "sources", "--check") in (0, 3)
    store = Store(kamer / "monitor.db")
    after = list(store.db.conn.iterdump())
    store.close()
    assert after == before


def test_moments_are_stored_with_their_status_history(kamer):
    store = Store(kamer / "monitor.db")
    try:
        moments = {r["id"]: r for r in store.db.query("SELECT * FROM moments")}
        brief = next(r for r in moments.values() if r["title"] == "Jeugdbeleid" and r["kind"] == "brief")
        assert (brief["status"], brief["deadline"], brief["label"]) == ("verplaatst", "2026-12-10", "Woordvoerders briefen")
        history = [(h["status"], h["deadline"]) for h in store.moment_history(brief["id"])]
        assert history == [("gepland", "2026-12-03"), ("verplaatst", "2026-12-10")]
        agendering = next(r for r in moments.values() if r["kind"] == "agendering")
        assert [h["status"] for h in store.moment_history(agendering["id"])] == ["gepland", "geannuleerd"]
    finally:
        store.close()


# ---------------------------------------------------------------------------- stemmingen, a late motie, a Noot, a revised letter

LATE_MOTIE = "2026Z21500"
HELD_MOTIE = "2026Z19012"


def test_the_stemmingen_action_names_each_motie_its_indieners_appreciatie_and_standing(fortnight, tmp_path, capsys):
    report = output(fortnight, tmp_path, "run", "--no-fetch", now=THIRD)
    action = report.split("ACTIE NODIG", 1)[1].split("\nGEWIJZIGD", 1)[0]
    stemmingen = action[action.index("• Fracties benaderen voor de stemming — uiterlijk ma 7 dec"):]
    assert "Stemmingen · plenaire vergadering · di 8 dec 2026 15:00" in stemmingen
    assert "plenaire_vergaderingen/details/activiteit?id=2026A05110" in stemmingen
    assert f"Gewijzigde motie van het lid El Idrissi c.s. (t.v.v. 31839-1103) over een landelijk dekkend aanbod van specialistische jeugdhulp ({LATE_MOTIE})" in stemmingen
    assert "ingediend door R. El Idrissi (CDA), mede-indiener A.B. Jansen (GL-PvdA)" in stemmingen
    assert "kabinetsappreciatie: Oordeel Kamer" in stemmingen and "kabinetsappreciatie: Ontraden" in stemmingen
    # Held over on 17 November: not yet voted at this meeting, and the reader sees why it is back.
    assert "nog niet gestemd (eerder aangehouden, di 17 nov)" in stemmingen
    assert "commissie TK" not in report and "commissievergaderingen/details?id=2026A05110" not in report
    payload = json.loads(output(fortnight, tmp_path, "run", "--no-fetch", "--format", "json", now=THIRD))
    jsonschema.validate(payload, schema())
    [vote_action] = [a for a in payload["actions"] if a["meeting"]["soort"] == "Stemmingen"]
    assert vote_action["meeting"]["plenary"] is True and vote_action["meeting"]["where"] == "plenaire vergadering"
    votes = {v["nummer"]: v for v in vote_action["votes"]}
    assert set(votes) == {LATE_MOTIE, HELD_MOTIE}
    assert [(p["naam"], p["fractie"], p["rol"]) for p in votes[LATE_MOTIE]["indieners"]] == [
        ("R. El Idrissi", "CDA", "Indiener"), ("A.B. Jansen", "GL-PvdA", "Medeindiener")]
    assert votes[LATE_MOTIE]["appreciatie"] == "Oordeel Kamer" and votes[LATE_MOTIE]["votes"] is None
    # The same standing as the report, not the zaak's last result out of context.
    assert votes[HELD_MOTIE]["standing"] == "nog niet gestemd (eerder aangehouden, di 17 nov)"
    assert votes[LATE_MOTIE]["standing"] == "nog niet gestemd"
    digest = digest_text(fortnight, capsys, now=THIRD)["jeugd@gemeente.example"]
    assert "• Fracties benaderen voor de stemming — uiterlijk ma 7 dec" in digest
    assert "nog niet gestemd (eerder aangehouden, di 17 nov)" in digest


def test_a_late_motie_is_news_in_its_dossier_and_no_action_of_its_own(fortnight, tmp_path, capsys):
    report = output(fortnight, tmp_path, "run", "--no-fetch", now=THIRD)
    jeugd = report.split("JEUGDZORG EN JEUGDHULP", 1)[1].split("\nWMO,", 1)[0]
    assert "Nieuw in de Kamer — Moties:" in jeugd
    assert f"vr 4 dec · Motie · Kamerstuk 31839 · {LATE_MOTIE}" in jeugd
    # One entry for the zaak, its motie document folded in: not a second entry, not a "nieuw
    # document" line repeating the motie's own text, but the link opens that document.
    assert jeugd.count("• Gewijzigde motie van het lid El Idrissi") == 1
    assert f"moties/detail?id={LATE_MOTIE}&did=2026D43000" in jeugd
    assert "nieuw document" not in jeugd
    actions = report.split("ACTIE NODIG", 1)[1].split("\nGEWIJZIGD", 1)[0].split("\nVervallen of voorbij", 1)[0]
    # The Wmo-tarieven debate and the Stemmingen, nothing "to react to".
    assert re.findall(r"^• (.+?) —", actions, re.M) == ["Woordvoerders briefen", "Fracties benaderen voor de stemming"]
    digest = digest_text(fortnight, capsys, now=THIRD)["jeugd@gemeente.example"]
    assert digest.count("• Gewijzigde motie van het lid El Idrissi") == 1
    assert "El Idrissi" not in digest_text(fortnight, capsys, now=THIRD)["wmo@gemeente.example"]


def test_the_vote_is_told_with_the_fracties_and_their_seats_in_every_output(fortnight, tmp_path, capsys):
    result = "aangenomen — voor 59: GL-PvdA (25), CDA (20), D66 (9), SP (5); tegen 24: VVD (24)"
    report = output(fortnight, tmp_path, "run", "--no-fetch", now=FOURTH)
    assert result in report
    assert "verworpen — voor 24: VVD (24); tegen 59: GL-PvdA (25), CDA (20), D66 (9), SP (5)" in report
    digest = digest_text(fortnight, capsys, now=FOURTH)["jeugd@gemeente.example"]
    assert result in digest
    payload = json.loads(output(fortnight, tmp_path, "run", "--no-fetch", "--format", "json", now=FOURTH))
    jsonschema.validate(payload, schema())
    kamer = [k for n in payload["news"] for k in n["kamer"]] + [c for c in payload["changed"] if c["type"] == "zaak"]
    late = next(k for k in kamer if k["nummer"] == LATE_MOTIE)
    assert late["uitslag"] == "aangenomen" and late["result"] == result
    assert (late["votes"]["voor"], late["votes"]["tegen"]) == (59, 24)
    assert {v["fractie"]: (v["soort"], v["zetels"]) for v in late["votes"]["fracties"]}["VVD"] == ("Tegen", 24)
    # Known only after the vote: the report as of the Monday before shows no result.
    before = output(fortnight, tmp_path, "run", "--no-fetch", now=THIRD)
    assert "aangenomen —" not in before and "voor 59" not in before


def test_a_cancelled_debate_shows_the_kamers_noot_as_plain_text(fortnight, tmp_path, capsys):
    note = "Dit commissiedebat is geannuleerd. De commissie besluit later over een nieuwe datum."
    report = output(fortnight, tmp_path, "run", "--no-fetch", now=THIRD)
    assert f"nieuwe noot: {note}" in report
    digest = digest_text(fortnight, capsys, now=THIRD)["jeugd@gemeente.example"]
    assert note in digest
    calendar = "\n".join(str(e.get("DESCRIPTION", "")) for e in ics(fortnight, tmp_path, now=THIRD))
    assert note in calendar
    assert all(str(e.get("DESCRIPTION", "")).count(note) <= 1 for e in ics(fortnight, tmp_path, now=THIRD))
    payload = json.loads(output(fortnight, tmp_path, "run", "--no-fetch", "--format", "json", now=THIRD))
    meetings = [a["meeting"] for a in payload["closed"]] + payload["agenda"]
    assert {m["noot"] for m in meetings if m["onderwerp"] == "Jeugdbeleid"} == {note}
    for text in (report, digest, calendar):
        assert "<br" not in text and "geannuleerd.<" not in text


def test_a_revised_letter_says_herziene_versie_in_every_output(fortnight, tmp_path, capsys):
    phrase = "herziene versie van Brief regering 2026D42900"
    report = output(fortnight, tmp_path, "run", "--no-fetch", now=FOURTH)
    assert phrase in report
    assert phrase in digest_text(fortnight, capsys, now=FOURTH)["jeugd@gemeente.example"]
    payload = json.loads(output(fortnight, tmp_path, "run", "--no-fetch", "--format", "json", now=FOURTH))
    updates = [u for n in payload["news"] for k in n["kamer"] for u in k["updates"]]
    updates += [u for c in payload["changed"] if c["type"] != "meeting" for u in c["updates"]]
    assert [(u["kind"], u["document"], u["text"]) for u in updates if u["kind"] == "new_version"] == [("new_version", "2026D42900", phrase)]
    # Not yet revised as of the week before.
    assert "herziene versie" not in output(fortnight, tmp_path, "run", "--no-fetch", now=THIRD)


def test_the_whole_fortnight_reads_without_internals(fortnight, tmp_path, capsys):
    for now in (THIRD, FOURTH):
        texts = {"report": output(fortnight, tmp_path, "run", "--no-fetch", now=now), **digest_text(fortnight, capsys, now=now)}
        for event in ics(fortnight, tmp_path, now=now):
            texts[str(event["UID"])] = "\n".join(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION"))
        for name, text in texts.items():
            found = INTERNALS.search(text)
            assert found is None, f"{now} {name}: {found.group(0)!r}"
            assert "<br" not in text and "None" not in text
        for address, text in digest_text(fortnight, capsys, now=now).items():  # a meeting at most twice: action + agenda row
            names = re.findall(r"^• (?:\S+ \d+ \w+ \d\d:\d\d  )?(.+?)(?: \[|$)", text, re.M)
            assert names and all(names.count(n) <= 2 for n in names), (now, address, names)


def test_an_article_matching_three_rules_of_a_dossier_names_the_dossier_once():
    from monitor.briefing import PressEntry, Reason
    from monitor.models import Item
    from monitor.render.layout import press_block

    title = "Wmo, beschermd wonen en maatschappelijke opvang"
    reasons = [
        Reason("wmo", title, "eigen-bijdrage", ['"eigen bijdrage"', "huishoudelijke"], "… «eigen bijdrage» …"),
        Reason("wmo", title, "kern", ["Wmo"]),
        Reason("wmo", title, "thuis", ['"huishoudelijke hulp"']),
        Reason("jeugd", "Jeugdzorg en jeugdhulp", "kern", ["jeugdhulp"]),
    ]
    item = Item(source="vak", external_id="a1", kind="artikel", title="Eigen bijdrage vervalt", url="https://vak.example/a1", published_at="2026-12-02T08:00:00+01:00")
    block = press_block(PressEntry("vak:a1", item, "vak", "vakpers", ["wmo", "jeugd"], reasons, "2026-12-02T08:00:00+01:00"))
    [why] = [line.text for line in block.lines if line.style == "why"]
    assert why == (
        f'Waarom: {title} · regels eigen-bijdrage ("eigen bijdrage", huishoudelijke), kern (Wmo), thuis ("huishoudelijke hulp"); '
        "Jeugdzorg en jeugdhulp · regel kern · termen: jeugdhulp"
    )
