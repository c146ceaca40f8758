"""The rule language parser: the tree it builds and every error PA staff can get, with its position."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_config
from monitor.config import ConfigError, load_rules
from monitor.rules.query import And, Field, Near, Not, Or, QueryError, Term, leaves, parse_query


def _t(text: str, *words: str, lead: bool = False, trail: bool = False, exact: bool = False) -> Term:
    return Term(text, tuple(words) or (text,), lead, trail, exact)


@pytest.mark.parametrize(
    "query, tree",
    [
        ("jeugdzorg", _t("jeugdzorg")),
        ("jeugdzorg OR jeugdhulp", Or((_t("jeugdzorg"), _t("jeugdhulp")))),
        ("jeugdzorg AND tekort", And((_t("jeugdzorg"), _t("tekort")))),
        # Adjacent terms are ANDed; lower-case operators are ordinary words.
        ("jeugdzorg tekort", And((_t("jeugdzorg"), _t("tekort")))),
        ("jeugdzorg or tekort", And((_t("jeugdzorg"), _t("or"), _t("tekort")))),
        # AND binds tighter than OR, NOT tighter than AND.
        ("a OR b c", Or((_t("a"), And((_t("b"), _t("c")))))),
        ("a NOT b", And((_t("a"), Not(_t("b"))))),
        ("a AND NOT b", And((_t("a"), Not(_t("b"))))),
        ("(a OR b) AND c", And((Or((_t("a"), _t("b"))), _t("c")))),
        ("a OR (b OR c)", Or((_t("a"), _t("b"), _t("c")))),
        # NEAR binds tighter than AND; NOT takes a NEAR group whole.
        ("a NEAR/5 b AND c", And((Near(_t("a"), _t("b"), 5), _t("c")))),
        ("a AND NOT b NEAR/3 c", And((_t("a"), Not(Near(_t("b"), _t("c"), 3))))),
        ("a NEAR b", Near(_t("a"), _t("b"), 10)),
        ("jeugd* NEAR/5 (tekort* OR budget*)", Near(_t("jeugd*", "jeugd", trail=True), Or((_t("tekort*", "tekort", trail=True), _t("budget*", "budget", trail=True))), 5)),
        ('"sociaal domein"', _t('"sociaal domein"', "sociaal", "domein", exact=True)),
        ("“sociaal domein”", _t('"sociaal domein"', "sociaal", "domein", exact=True)),
        ("sociaal-domein", _t("sociaal-domein", "sociaal", "domein")),
        ("=motie", _t("=motie", "motie", exact=True)),
        ("*zorg", _t("*zorg", "zorg", lead=True)),
        ("*jeugdzorg*", _t("*jeugdzorg*", "jeugdzorg", lead=True, trail=True)),
        ('"*ciaal domein"', _t('"*ciaal domein"', "ciaal", "domein", lead=True, exact=True)),
        ("Financiële", _t("Financiële", "Financiele")),
        ("titel:Wmo", Field("titel", _t("Wmo"))),
        ("Titel:Wmo", Field("titel", _t("Wmo"))),
        ("titel: Wmo", Field("titel", _t("Wmo"))),
        ("commissie:VWS jeugd*", And((Field("commissie", _t("VWS")), _t("jeugd*", "jeugd", trail=True)))),
        ('titel:(Wmo OR "beschermd wonen")', Field("titel", Or((_t("Wmo"), _t('"beschermd wonen"', "beschermd", "wonen", exact=True))))),
        ("titel:(a NEAR/2 b)", Field("titel", Near(_t("a"), _t("b"), 2))),
        ("10:00", _t("10:00", "10", "00")),
    ],
)
def test_parse_builds_the_tree(query, tree):
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    "query",
    [
        'jeugdzorg OR jeugdhulp OR Jeugdwet OR "Hervormingsagenda Jeugd"',
        '(jeugd* NEAR/5 (tekort* OR budget* OR financi*)) AND NOT "jeugd journaal"',
        "titel:(Wmo OR jeugd*) commissie:VWS NOT soort:Procedurevergadering",
        "a OR b c OR NOT d e",
        "*armoede OR armoede* =motie",
    ],
)
def test_rendering_parses_back_to_the_same_tree(query):
    try:
        tree = parse_query(query)
    except QueryError:
        pytest.skip("not a valid query")
    assert parse_query(str(tree)) == tree


def test_positions_point_into_the_query():
    query = 'jeugdzorg AND NOT "jeugd journaal"'
    tree = parse_query(query)
    term, negated = leaves(tree)[1]
    assert negated and query[term.start : term.end] == '"jeugd journaal"'


def test_case_sensitivity_and_plurals_are_decided_by_how_a_term_is_written():
    assert parse_query("BUIG").case_sensitive and parse_query("ZIN").case_sensitive and parse_query("GALA").case_sensitive
    assert not parse_query("Wmo").case_sensitive and not parse_query("Wsw").case_sensitive
    assert not parse_query("JEUGDZORG").case_sensitive  # more than 5 letters
    assert not parse_query('"rapport ZIN"').case_sensitive  # only single words
    assert parse_query("motie").plurals
    assert not parse_query("=motie").plurals and not parse_query('"motie"').plurals and not parse_query("motie*").plurals
    assert not parse_query("BUIG").plurals


# ---------------------------------------------------------------------------- errors

ERRORS = [
    # (query, message fragment, caret position, hint fragment)
    ("", "the query is empty", 0, "jeugdzorg OR jeugdhulp"),
    ("   ", "the query is empty", 0, "e.g."),
    ("(jeugd AND tekort", "this ( is never closed", 0, "add a )"),
    ("jeugd AND (tekort OR (budget)", "this ( is never closed", 10, "add a )"),
    ("jeugd)", "this ) has no ( before it", 5, "remove it"),
    ("()", "empty parentheses", 0, "put words between"),
    ('"sociaal domein', "this quote is never closed", 0, "quote at both ends"),
    ('jeugd AND "sociaal domein', "this quote is never closed", 10, "quote at both ends"),
    ('""', "empty phrase", 0, "between the quotes"),
    ("jeugd AND", "AND at the end has nothing after it", 6, "add what should follow AND"),
    ("jeugd OR", "OR at the end has nothing after it", 6, "or remove it"),
    ("jeugd NOT", "NOT at the end has nothing after it", 6, None),
    ("jeugd NEAR/5", "NEAR/5 at the end has nothing after it", 6, None),
    ("(jeugd AND)", "AND has nothing after it before the )", 7, None),
    ("AND jeugd", "AND at the start has nothing before it", 0, "put a word before AND"),
    ("OR jeugd", "OR at the start has nothing before it", 0, None),
    ("NEAR/3 jeugd", "NEAR/3 at the start has nothing before it", 0, None),
    ("jeugd AND OR zorg", "OR directly after AND", 10, "two operators in a row"),
    ("jeugd OR AND zorg", "AND directly after OR", 9, None),
    ("titel:", "titel: must be followed by a word", 0, "titel:jeugdzorg"),
    ("titel:NOT jeugd", "titel: must be followed by a word", 0, None),
    ("title:jeugd", "unknown field 'title'", 0, "did you mean 'titel:'?"),
    ("jeugd AND tekts:budget", "unknown field 'tekts'", 10, "did you mean 'tekst:'?"),
    ("Wmo:", "unknown field 'Wmo'", 0, "leave out the ':'"),
    ("titel:(tekst:jeugd)", "a field inside a field", 0, "one field per group"),
    ("NOT voetbal", "only says what must NOT be there", 0, "jeugdzorg AND NOT voetbal"),
    ("NOT voetbal AND NOT sport", "only says what must NOT be there", 0, None),
    ("titel:(NOT voetbal)", "only says what must NOT be there", 7, None),
    ("jeugdzorg OR NOT voetbal", "'NOT voetbal' as one side of OR would match almost every item", 13, "AND NOT voetbal"),
    ("jeugd NEAR/x zorg", "'NEAR/x' needs a number of words after the /", 6, "NEAR/5"),
    ("jeugd near/5 zorg", "must be written in capitals", 6, "NEAR/5"),
    ("a NEAR/2 b NEAR/2 c", "two NEARs in a row", 11, "(a NEAR/5 b) AND (b NEAR/5 c)"),
    ("(a AND b) NEAR/2 c", "NEAR/2 cannot be used with an AND group", 1, "put AND outside"),
    ("a NEAR/2 (b NEAR/2 c)", "cannot be used with another NEAR", 10, None),
    ("titel:a NEAR/2 b", "cannot be used with a field", 0, "titel:(a NEAR/2 b)"),
    ("a NEAR/2 NOT b", "NOT directly after NEAR/2", 9, None),
    ("a NEAR/2 (b OR NOT c)", "cannot be used with NOT", 15, "put NOT outside"),
    ("*", "a * on its own matches nothing", 0, "jeugd*"),
    ("**", "a * on its own matches nothing", 0, None),
    ("jeu*gd", "a * can only stand at the start or the end of a word", 3, "*jeugdzorg*"),
    ("jeugd AND *jeu*gd*", "a * can only stand at the start or the end of a word", 14, None),
    ("ab*", "too short for a wildcard", 0, "at least 3 letters"),
    ("*wm", "too short for a wildcard", 0, None),
    ("=motie*", "cannot be combined", 0, "=motie or motie*"),
    ("=", "'=' must stand directly before a word", 0, "=motie"),
    ('"jeugd* teams"', "a * inside a phrase can only stand at its start or end", 6, "NEAR/0"),
    ("jeugd &", "'&' has no letters or digits", 6, None),
    ('"..."', "this phrase has no letters or digits", 0, None),
]


@pytest.mark.parametrize("query, message, position, hint", ERRORS)
def test_every_error_has_message_position_and_hint(query, message, position, hint):
    with pytest.raises(QueryError) as info:
        parse_query(query)
    error = info.value
    assert message in error.message
    assert error.position == position, f"caret at {error.position}: {query}\n{' ' * error.position}^"
    if hint:
        assert error.hint and hint in error.hint
    assert 0 <= error.position <= len(query)


def test_config_shows_file_line_dossier_rule_caret_and_hint(tmp_path):
    rules = "dossiers:\n  jeugd:\n    rules:\n      - name: kern\n        query: jeugdzorg\n      - name: geld\n        query: jeugd AND OR tekort\n"
    write_config(tmp_path, "sources: []\n", rules)
    with pytest.raises(ConfigError) as info:
        load_rules(tmp_path / "rules.yaml")
    text = str(info.value)
    assert "rules.yaml:7: dossier 'jeugd', rule 'geld': OR directly after AND" in text
    assert "    jeugd AND OR tekort\n              ^\n" in text
    assert "hint: two operators in a row" in text


def test_config_rejects_pure_not_rule_and_exclude(tmp_path):
    rules = "dossiers:\n  jeugd:\n    exclude: NOT jeugd\n    rules:\n      - name: kern\n        query: NOT voetbal\n"
    write_config(tmp_path, "sources: []\n", rules)
    with pytest.raises(ConfigError) as info:
        load_rules(tmp_path / "rules.yaml")
    text = str(info.value)
    assert "rules.yaml:6: dossier 'jeugd', rule 'kern': this query only says what must NOT be there" in text
    assert "rules.yaml:3: dossier 'jeugd', exclude: this query only says what must NOT be there" in text


# ---------------------------------------------------------------------------- robustness

_ALPHABET = st.sampled_from(list('abcé ()"*=:-/') + ["AND ", "OR ", "NOT ", "NEAR/2 ", "titel:", "ZIN "])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=14).map("".join))
def test_any_string_parses_or_raises_a_query_error(query):
    try:
        tree = parse_query(query)
    except QueryError as error:
        assert error.message and 0 <= error.position <= len(query)
        return
    assert parse_query(str(tree)) == tree
