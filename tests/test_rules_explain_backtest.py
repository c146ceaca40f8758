"""`monitor rules test` (explain) and `monitor rules backtest` on a real temporary Store."""

from __future__ import annotations

import pytest

from conftest import write_config
from monitor.cli import main
from monitor.config import load_rules
from monitor.models import Item, Match
from monitor.pipeline import match_pending, rules_version
from monitor.rules.backtest import backtest, format_backtest
from monitor.rules.explain import explain
from monitor.store import Store

RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg en jeugdhulp
    rules:
      - name: kern
        query: jeugdzorg OR jeugdhulp OR Jeugdwet
      - name: geld
        query: '(jeugd* NEAR/3 (tekort* OR budget*)) AND NOT "jeugd journaal"'
        priority: hoog
      - name: kamer
        query: Hervormingsagenda
        kinds: [activiteit, zaak]
      - name: tk
        query: Hervormingsagenda
        sources: [tk]
      - name: slordig
        query: jeugdzorg and wachtlijst
    exclude: sportjeugd OR voetbal*
  participatie:
    title: Participatiewet
    rules:
      - name: kern
        query: Participatiewet OR BUIG
"""

SOURCES = "sources:\n  - id: tk\n    kind: tk\n"


@pytest.fixture
def rules(tmp_path):
    write_config(tmp_path, "sources: []\n", RULES)
    return load_rules(tmp_path / "rules.yaml")


def _item(text: str, title: str = "", kind: str = "artikel", source: str = "vakblad", external_id: str = "a1", published_at: str | None = "2026-11-20T10:00:00+01:00") -> Item:
    return Item(source=source, external_id=external_id, kind=kind, title=title, text=text, published_at=published_at)


# ---------------------------------------------------------------------------- explain


def test_explain_shows_match_terms_where_and_snippet(rules):
    out = explain(rules, "jeugd", "kern", _item("De tekorten in de jeugdzorg lopen op.", "Noodklok"))
    assert out.splitlines()[0] == "Dossier jeugd (Jeugdzorg en jeugdhulp) — item vakblad:a1 (artikel, source vakblad)"
    assert "MATCH     jeugd.kern\n  query:   jeugdzorg OR jeugdhulp OR Jeugdwet\n  terms:   jeugdzorg\n" in out
    assert '           jeugdzorg → "jeugdzorg" (in tekst)' in out
    assert "  snippet: De tekorten in de «jeugdzorg» lopen op." in out
    assert "exclude: sportjeugd OR voetbal* — not found, vetoes nothing" in out
    assert "jeugd.geld" not in out  # one rule asked for


def test_explain_says_which_terms_are_missing(rules):
    out = explain(rules, "jeugd", "kern", _item("Over de Wmo."))
    assert "no match  jeugd.kern" in out
    assert "why not: none of these found in titel or tekst: jeugdzorg, jeugdhulp, Jeugdwet" in out


def test_explain_near_too_far_and_missing_side(rules):
    far = explain(rules, "jeugd", "geld", _item("De jeugdzorg in de regio kampt al jaren met tekorten."))
    assert "no match  jeugd.geld  (priority hoog)" in far
    assert 'jeugd* ("jeugdzorg") and tekort* ("tekorten") occur, but never within 3 words (closest: 7 words in between)' in far
    missing = explain(rules, "jeugd", "geld", _item("De jeugdzorg in de regio."))
    assert "needs both sides, but" in missing
    assert "none of these found in titel or tekst: tekort*, budget*" in missing


def test_explain_not_in_the_rule_and_exclude_of_the_dossier(rules):
    negated = explain(rules, "jeugd", "geld", _item("Jeugdzorg tekort, zegt het Jeugdjournaal."))
    assert 'why not: NOT "jeugd journaal" — but it is there: "jeugd journaal" ("Jeugdjournaal")' in negated
    vetoed = explain(rules, "jeugd", None, _item("Jeugdzorg bij de voetbalclub."))
    assert "exclude: sportjeugd OR voetbal*\n  FOUND voetbal* (\"voetbalclub\") — this vetoes every rule of the dossier for this item" in vetoed
    assert "no match  jeugd.kern" in vetoed
    assert "why not: the query matches, but the dossier's exclude vetoes it (see above)" in vetoed


def test_explain_kind_and_source_filters(rules):
    out = explain(rules, "jeugd", None, _item("De Hervormingsagenda Jeugd"))
    assert "no match  jeugd.kamer\n  query:   Hervormingsagenda\n  why not: this rule only looks at activiteit, zaak; this item is a(n) artikel" in out
    assert "why not: this rule only looks at sources tk; this item comes from vakblad" in out
    zaak = explain(rules, "jeugd", "kamer", _item("De Hervormingsagenda Jeugd", kind="zaak"))
    assert "MATCH     jeugd.kamer" in zaak


def test_explain_capitals_and_lower_case_operators(rules):
    out = explain(rules, "participatie", "kern", _item("Buig niet."))
    assert "BUIG is written in capitals, so only 'BUIG' counts" in out
    sloppy = explain(rules, "jeugd", "slordig", _item("jeugdzorg wachtlijst"))
    assert "no match  jeugd.slordig" in sloppy
    assert "and not found in titel or tekst" in sloppy
    assert "note:    'and' is searched as a word; operators are written in capitals (AND)" in sloppy


def test_cli_rules_test_prints_the_explanation(tmp_path, capsys):
    write_config(tmp_path, SOURCES, RULES)
    code = main(["rules", "test", "jeugd.kern", "--config", str(tmp_path), "--text", "tekort in de jeugdhulp"])
    out = capsys.readouterr().out
    assert code == 0 and "MATCH     jeugd.kern" in out and "«jeugdhulp»" in out


def test_cli_rules_check_warns_about_lower_case_operators_outside_phrases(tmp_path, capsys):
    rules = """\
dossiers:
  jeugd:
    rules:
      - name: kern
        query: jeugdzorg or jeugdhulp
      - name: zin
        query: '"in or uit" AND Wmo'
    exclude: sport and voetbal
"""
    write_config(tmp_path, SOURCES, rules)
    code = main(["rules", "check", "--config", str(tmp_path)])
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert code == 0  # valid rules: a warning, not an error
    assert warnings == [
        f"warning: {tmp_path / 'rules.yaml'}:4: dossier 'jeugd', rule 'kern': 'or' is searched as a word; operators are written in capitals (OR)",
        f"warning: {tmp_path / 'rules.yaml'}: dossier 'jeugd', exclude: 'and' is searched as a word; operators are written in capitals (AND)",
    ]


# ---------------------------------------------------------------------------- backtest

OLD = "2026-11-01T08:00:00+01:00"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "m.db")
    yield store
    store.close()


def _fill(store: Store) -> dict[str, Item]:
    items = {
        "zorg": _item("Tekort in de jeugdzorg.", "Jeugdzorg in nood", external_id="zorg"),
        "hulp": _item("Wachtlijst jeugdhulp groeit.", "Wachtlijsten", external_id="hulp", published_at="2026-09-01T10:00:00+02:00"),
        "bijstand": _item("De Participatiewet wordt herzien.", "Participatiewet", external_id="bijstand"),
        "sport": _item("Jeugdzorg bij de voetbalclub.", "Sport", external_id="sport"),
        "oud": _item("Jeugdwet geëvalueerd.", "Evaluatie", external_id="oud", published_at=None),
        "weg": _item("jeugdzorg", "Verwijderd", external_id="weg"),
    }
    for it in items.values():
        store.upsert_item(it, OLD)
    store.mark_deleted(items["weg"].id, OLD)
    # What an earlier rules version stored: 'bijstand' matched participatie via a removed rule,
    # 'hulp' did not match jeugd.kern, and 'sport' matched before the exclude existed.
    old = [
        ("zorg", [("jeugd", "kern")]),
        ("hulp", []),
        ("bijstand", [("participatie", "oud")]),
        ("sport", [("jeugd", "kern")]),
        ("weg", [("jeugd", "kern")]),
    ]
    for key, pairs in old:
        it = items[key]
        store.replace_matches(it, [Match(it.id, d, r, ["x"], "«x»") for d, r in pairs], "oldversion/1", OLD)
    return items


def test_backtest_counts_gained_and_lost_per_rule(store, rules):
    _fill(store)
    before = list(store.db.query("SELECT * FROM matches ORDER BY item_id, dossier, rule"))
    result = backtest(store, rules)
    assert list(store.db.query("SELECT * FROM matches ORDER BY item_id, dossier, rule")) == before  # nothing written
    rows = {row.label: row for row in result.rows}
    assert result.items == 5  # the deleted item is left out
    assert result.stored_versions == {"oldversion/1": 4} and result.never_matched == 1  # 'oud' was never matched
    assert rows["jeugd.kern"].now == {"vakblad:zorg", "vakblad:hulp", "vakblad:oud"}
    assert rows["jeugd.kern"].gained == ["vakblad:hulp", "vakblad:oud"]
    assert rows["jeugd.kern"].lost == ["vakblad:sport"]  # vetoed by the exclude now
    assert rows["participatie.kern"].gained == ["vakblad:bijstand"]
    assert rows["participatie.oud"].removed and rows["participatie.oud"].lost == ["vakblad:bijstand"]
    assert len(rows["jeugd"].now) == 3 and len(rows["jeugd"].before) == 2
    assert result.changed


def test_format_backtest_table_and_samples(store, rules):
    _fill(store)
    text = format_backtest(backtest(store, rules), samples=1)
    lines = text.splitlines()
    assert lines[0].startswith(f"Backtest of rules version {rules.version}/") and "(all dossiers) on 5 stored items." in lines[0]
    assert "Stored matches were made under rules version oldversion/1 (4 items)." in text
    assert "1 item was never matched yet" in text
    table = """\
dossier / rule                          now  before  gained    lost
jeugd                                     3       2      +2      -1
  kern                                    3       2      +2      -1
  geld                                    1       0      +1       .
  kamer                                   0       0       .       .
  tk                                      0       0       .       .
  slordig                                 0       0       .       .
participatie                              1       1       .       .
  kern                                    1       0      +1       .
  oud  (not in rules.yaml any more)       0       1       .      -1
"""
    assert table in text
    assert "jeugd.kern gained 2 items:\n  + Wachtlijsten  [vakblad:hulp]\n    … and 1 more" in text
    assert "jeugd.kern lost 1 item:\n  - Sport  [vakblad:sport]" in text
    assert "participatie.oud lost 1 item:" in text


def test_backtest_since_and_dossier_filters(store, rules):
    _fill(store)
    result = backtest(store, rules, since="2026-10-01", dossier="jeugd")
    assert {row.dossier for row in result.rows} == {"jeugd"}
    rows = {row.label: row for row in result.rows}
    # 'hulp' was published in September; 'oud' has no date and counts from when it was first seen.
    assert rows["jeugd.kern"].now == {"vakblad:zorg", "vakblad:oud"}
    assert "dossier jeugd" in format_backtest(result) and "since 2026-10-01" in format_backtest(result)


def test_backtest_after_a_run_with_the_same_rules_shows_no_differences(store, rules):
    _fill(store)
    match_pending(store, rules, __import__("datetime").datetime(2026, 11, 23, 8, 0))
    result = backtest(store, rules)
    assert not result.changed and result.stored_versions == {rules_version(rules): 5}
    assert format_backtest(result).endswith("No differences with the stored matches.")


def test_a_run_and_a_backtest_in_one_process_compile_the_rules_once(store, rules, monkeypatch):
    from collections import OrderedDict

    from monitor import pipeline
    from monitor.rules import engine

    compiled = []
    real = engine.compile_rules
    monkeypatch.setattr(engine, "compile_rules", lambda dossiers: compiled.append(1) or real(dossiers))
    monkeypatch.setattr(engine, "_COMPILED", OrderedDict())
    monkeypatch.setattr(pipeline, "_COMPILED", {})
    _fill(store)
    match_pending(store, rules, __import__("datetime").datetime(2026, 11, 23, 8, 0))
    backtest(store, rules)
    assert len(compiled) == 1
    backtest(store, rules, dossier="jeugd")  # another rule set: compiled for itself
    backtest(store, load_rules_again(rules))  # the same rules read again: no new compile
    assert len(compiled) == 2


def load_rules_again(rules):
    return load_rules(rules.path)


def test_cli_rules_backtest(tmp_path, capsys):
    config = write_config(tmp_path / "cfg", SOURCES, RULES)
    store = Store(config / "monitor.db")
    _fill(store)
    store.close()
    code = main(["rules", "backtest", "--config", str(config), "--db", str(config / "monitor.db"), "--since", "2026-10-01", "jeugd"])
    out = capsys.readouterr().out
    assert code == 0 and "jeugd.kern lost 1 item:" in out
