"""Match semantics of the compiled engine, table-driven, and agreement with the reference evaluator."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import DossierConfig, RuleConfig
from monitor.models import Item, Match
from monitor.rules.engine import ENGINE_VERSION, _anchors_suffice, compile_rules
from monitor.rules.evaluate import analyse_item, describe, evaluate, term_spans
from monitor.rules.query import QueryError, parse_query
from monitor.rules.text import _collapse, analyse, fold, plural_forms, snippet, words_of


def rule(name: str, query: str, **kw) -> RuleConfig:
    return RuleConfig(name, query, parse_query(query), **kw)


def dossier(*rules: RuleConfig, id: str = "d", exclude: str | None = None) -> DossierConfig:
    return DossierConfig(id, id, list(rules), exclude, parse_query(exclude) if exclude else None)


def item(text: str = "", title: str = "", kind: str = "artikel", source: str = "vakblad", **data) -> Item:
    return Item(source=source, external_id="x", kind=kind, title=title, text=text, data=data)


def matches(query: str, text: str = "", title: str = "", **data) -> bool:
    """Engine verdict, checked against the reference evaluator on the way."""
    it = item(text, title, **data)
    ast = parse_query(query)
    fast = bool(compile_rules([dossier(rule("r", query))]).match(it))
    slow = evaluate(ast, analyse_item(it.fields()))
    assert fast == slow, f"engine says {fast}, reference says {slow}"
    return fast


SEMANTICS = [
    # plain terms: whole words, case-insensitive, no substrings
    ("jeugdzorg", "De jeugdzorg kraakt.", True),
    ("Jeugdzorg", "JEUGDZORG IN NOOD", True),
    ("jeugdzorg", "De jeugdzorgaanbieders", False),
    ("wmo", "Hij was rouwmoedig.", False),
    ("armoede", "Onderzoek naar baarmoederhalskanker", False),
    ("armoede", "Armoede neemt toe", True),
    # abbreviations: mixed case is case-insensitive, short capitals are case-sensitive
    ("Wmo", "De WMO en de wmo", True),
    ("Wmo", "de Wmo-consulent belt", True),
    ("Wsw", "de WSW-bedrijven", True),
    ("BUIG", "de BUIG-middelen", True),
    ("BUIG", "buig niet voor de druk", False),
    ("BUIG", "Buig", False),
    ("ZIN", "het advies van ZIN over", True),
    ("ZIN", "in deze zin staat", False),
    ("ZIN", "Zin in de zomer", False),
    ("GALA", "het GALA-akkoord", True),
    ("GALA", "een gala voor vrijwilligers", False),
    ("=BUIG", "BUIG", True),
    ("WMO", "de Wmo", False),
    ("JEUGDZORG", "jeugdzorg", True),  # more than 5 letters: case-insensitive again
    # diacritics fold both ways
    ("financiele", "Financiële zorgen", True),
    ("financiële", "financiele zorgen", True),
    ("ideeën", "nieuwe ideeen", True),
    ("coöperatie", "De Cooperatie", True),
    ("Oekraïne", "uit Oekraine", True),
    # hyphens and slashes separate words, and the joined form counts too
    ('"sociaal domein"', "het sociaal-domein", True),
    ('"sociaal domein"', "het sociaaldomein", True),
    ('"sociaal domein"', "het Sociaal   Domein", True),
    ('"sociaal domein"', "het domein van het sociaal", False),
    ('"sociaal domein"', "sociaal, domein", True),  # punctuation between is a word break
    ("sociaal-domein", "sociaal domein", True),
    ("sociaal-domein", "sociaaldomein", True),
    ("sociaaldomein", "sociaal-domein", True),
    ("sociaaldomein", "sociaal domein", False),  # a glued term does not split itself
    ("wmoconsulent", "de Wmo-consulent", True),
    ("jeugdzorg", "de jeugd-\nzorg in de regio", True),  # a word broken at a line end
    ("jeugdzorg", "Wmo/jeugd/zorg", True),
    ('"jeugd journaal"', "het Jeugdjournaal", True),
    ("re-integratie", "reintegratie", True),
    ("auto", "twee auto's", True),
    ("pgb", "de pgb's", True),
    # plurals: regular forms only, =exact turns them off, quotes too
    ("motie", "twee moties", True),
    ("motie", "Motie", True),
    ("motie", "motievorming", False),
    ("=motie", "twee moties", False),
    ("=motie", "de Motie", True),
    ('"motie"', "twee moties", False),
    ("moties", "een motie", False),
    ("gemeente", "alle gemeenten", True),
    ("gemeente", "veel gemeentes", True),
    ("wijkteam", "de wijkteams", True),
    ("wet", "twee wetten", True),
    ("wet", "we weten het", False),
    ("recht", "naar rechts", False),
    ("recht", "de rechten", True),
    ("taak", "nieuwe taken", True),
    ("straat", "de straten", True),
    ("kat", "katten", True),
    ("uitkering", "uitkeringen", True),
    ("overheid", "overheden", True),
    ("maatregel", "maatregelen", True),
    ("wethouder", "wethouders", True),
    ("categorie", "categorieën", True),
    ("huis", "huizen", True),
    ("kind", "kinderen", False),  # irregular plurals are not generated
    # wildcards are explicit, also on compounds
    ("jeugdzorg*", "jeugdzorgaanbieders", True),
    ("jeugdzorg*", "jeugdzorg", True),
    ("jeugdzorg*", "jeugdhulp", False),
    ("*armoede", "kinderarmoede", True),
    ("*armoede", "armoede", True),
    ("*armoede", "armoedebeleid", False),
    ("*jeugdzorg*", "jeugdzorgaanbieders", True),
    ("*jeugdzorg*", "residentiëlejeugdzorg", True),
    ("*jeugdzorg*", "residentielejeugdzorgaanbod", True),
    ("*jeugdzorg*", "jeugd zorg", False),
    ("*zorg", "de jeugd-zorg", True),
    ("jeugd*", "Jeugd-ggz", True),
    ('"sociaal dom*"', "sociaal domeinbreed", True),
    ('"*ciaal domein"', "asociaal domein", True),
    ('"sociaal dom*"', "sociaaldomeinbreed", True),
    # operators
    ("jeugdzorg AND tekort", "tekort in de jeugdzorg", True),
    ("jeugdzorg AND tekort", "jeugdzorg", False),
    ("jeugdzorg tekort", "tekort in de jeugdzorg", True),
    ("jeugdzorg tekort", "jeugdzorg", False),
    ("jeugdzorg OR jeugdhulp", "jeugdhulp", True),
    ("jeugdzorg OR jeugdhulp", "jeugd", False),
    ("jeugdzorg NOT voetbal", "jeugdzorg en voetbal", False),
    ("jeugdzorg AND NOT voetbal", "jeugdzorg", True),
    ("jeugdzorg or jeugdhulp", "jeugdzorg", False),  # lower-case or is a word to find
    ("jeugdzorg or jeugdhulp", "jeugdzorg or jeugdhulp", True),
    ("(jeugdzorg OR jeugdhulp) AND tekort*", "jeugdhulp kent tekorten", True),
    ("(jeugdzorg OR jeugdhulp) AND tekort*", "jeugdhulp", False),
    ("jeugdzorg AND NOT (voetbal OR sport)", "jeugdzorg sport", False),
    ("NOT voetbal jeugdzorg", "jeugdzorg", True),
    # NEAR/n: at most n words in between, either order, one field
    ("jeugd* NEAR/3 tekort*", "jeugdzorg kampt met grote tekorten", True),
    ("jeugd* NEAR/2 tekort*", "jeugdzorg kampt met grote tekorten", False),
    ("jeugd* NEAR/3 tekort*", "tekorten kampt met grote jeugdzorg", True),
    ("jeugd* NEAR/0 tekort*", "tekorten jeugdzorg", True),
    ("jeugd* NEAR/0 tekort*", "tekorten in jeugdzorg", False),
    ("jeugd* NEAR/0 *zorg", "jeugdzorg", True),  # one word hit by both sides
    ('"sociaal domein" NEAR/1 tekort', "het tekort op het sociaal-domein", False),
    ('"sociaal domein" NEAR/2 tekort', "het tekort op het sociaal-domein", True),
    ('"sociaal domein" NEAR/1 tekort', "tekort sociaaldomein", True),
    ("jeugd* NEAR/5 (tekort* OR budget* OR financi*)", "jeugdhulp en de financiële positie", True),
    ("jeugd* NEAR tekort", "jeugd " + "x " * 10 + "tekort", True),  # NEAR alone is NEAR/10
    ("jeugd* NEAR tekort", "jeugd " + "x " * 11 + "tekort", False),
    ("(jeugd* NEAR/2 tekort*) AND NOT \"jeugd journaal\"", "jeugdzorg tekorten in het jeugdjournaal", False),
]


@pytest.mark.parametrize("query, text, expected", SEMANTICS)
def test_semantics(query, text, expected):
    assert matches(query, text) is expected


FIELD_CASES = [
    # query, title, text, data, expected
    ("Wmo", "Wmo in de Kamer", "", {}, True),  # bare terms search title and text
    ("Wmo", "", "over de Wmo", {}, True),
    ("titel:Wmo", "Wmo in de Kamer", "", {}, True),
    ("titel:Wmo", "Kamerbrief", "over de Wmo", {}, False),
    ("tekst:Wmo", "Wmo in de Kamer", "", {}, False),
    ("titel:(Wmo OR jeugd*) AND tekst:tekort*", "Jeugdhulp", "grote tekorten", {}, True),
    ("soort:Commissiedebat", "", "", {"soort": "Commissiedebat"}, True),
    ("Commissiedebat", "", "", {"soort": "Commissiedebat"}, False),  # soort is only searched when asked
    ("commissie:VWS", "", "", {"commissie": {"afkorting": "VWS", "naam": "Volksgezondheid, Welzijn en Sport"}}, True),
    ("commissie:Volksgezondheid", "", "", {"commissie": {"afkorting": "VWS", "naam": "Volksgezondheid, Welzijn en Sport"}}, True),
    ("commissie:VWS", "", "", {"commissie": "SZW"}, False),
    ("commissie:VWS jeugd*", "Jeugdzorg", "", {"commissie": "VWS"}, True),
    ("jeugd* NEAR/50 tekort*", "Jeugdzorg", "tekort", {}, False),  # NEAR never spans two fields
    ("jeugd* AND tekort*", "Jeugdzorg", "tekort", {}, True),
    ('"jeugdzorg tekort"', "Jeugdzorg", "tekort", {}, False),  # nor does a phrase
]


@pytest.mark.parametrize("query, title, text, data, expected", FIELD_CASES)
def test_field_scoping(query, title, text, data, expected):
    assert matches(query, text, title, **data) is expected


def test_match_records_dossier_rule_terms_snippet_and_priority():
    d = dossier(rule("kern", "jeugdzorg OR jeugdhulp OR Jeugdwet"), rule("geld", "jeugd* NEAR/5 tekort*", priority="hoog"), id="jeugd")
    text = "Gemeenten luiden de noodklok. De tekorten in de jeugdzorg lopen op, zegt de VNG over de Jeugdwet."
    found = compile_rules([d]).match(item(text, "Noodklok"))
    assert [(m.dossier, m.rule, m.priority) for m in found] == [("jeugd", "kern", None), ("jeugd", "geld", "hoog")]
    kern, geld = found
    assert kern.item_id == "vakblad:x"
    assert kern.terms == ["jeugdzorg", "Jeugdwet"]  # as written in the query, in query order
    assert kern.snippet == "Gemeenten luiden de noodklok. De tekorten in de «jeugdzorg» lopen op, zegt de VNG over de «Jeugdwet»."
    assert geld.terms == ["jeugd*", "tekort*"]
    assert "«tekorten» in de «jeugdzorg»" in geld.snippet


def test_negated_terms_are_not_reported():
    d = dossier(rule("r", "jeugdzorg AND NOT (voetbal AND hockey)"))
    (found,) = compile_rules([d]).match(item("jeugdzorg en voetbal"))
    assert found.terms == ["jeugdzorg"] and "«voetbal»" not in found.snippet


def test_snippet_is_cut_around_the_first_hit_with_ellipses():
    before = "Aanloop " * 40
    after = " Nawoord" * 40
    text = before + "de  jeugdzorg\n\tin   Dordrecht en jeugdzorg elders" + after
    (found,) = compile_rules([dossier(rule("r", "jeugdzorg"))]).match(item(text))
    s = found.snippet
    assert s.startswith("…") and s.endswith("…")
    assert "de «jeugdzorg» in Dordrecht en «jeugdzorg» elders" in s
    assert 150 <= len(s) <= 240 and "  " not in s
    assert s.index("«") > 40  # context before the hit


def test_snippet_marks_hyphenated_and_wildcard_hits_and_neutralises_guillemets():
    text = "«Citaat» over het sociaal-domein en kinderarmoede."
    (found,) = compile_rules([dossier(rule("r", '"sociaal domein" OR *armoede'))]).match(item(text))
    assert found.snippet == '"Citaat" over het «sociaal-domein» en «kinderarmoede».'


def test_snippet_prefers_the_body_and_falls_back_to_the_title():
    d = dossier(rule("r", "Wmo"))
    (in_body,) = compile_rules([d]).match(item("over de Wmo", "Wmo nieuws"))
    assert in_body.snippet == "over de «Wmo»"
    (in_title,) = compile_rules([d]).match(item("geen treffer", "Wmo nieuws"))
    assert in_title.snippet == "«Wmo» nieuws"


def test_snippet_offsets_survive_characters_that_change_length():
    text = "Het ﬁnanciële ĳkpunt\u00ad voor de jeugd\u00adzorg."
    (found,) = compile_rules([dossier(rule("r", "jeugdzorg"))]).match(item(text))
    assert found.snippet == "Het ﬁnanciële ĳkpunt\u00ad voor de «jeugd\u00adzorg»."


def test_exclude_vetoes_every_rule_of_its_dossier_only():
    jeugd = dossier(rule("kern", "jeugdzorg"), rule("geld", "tekort*"), id="jeugd", exclude="sportjeugd OR voetbal*")
    other = dossier(rule("kern", "jeugdzorg"), id="ander")
    matcher = compile_rules([jeugd, other])
    assert [(m.dossier, m.rule) for m in matcher.match(item("jeugdzorg tekort"))] == [("jeugd", "kern"), ("jeugd", "geld"), ("ander", "kern")]
    assert [(m.dossier, m.rule) for m in matcher.match(item("jeugdzorg tekort bij de voetbalclub"))] == [("ander", "kern")]


def test_kinds_and_sources_filter_rules():
    d = dossier(
        rule("alles", "Hervormingsagenda"),
        rule("kamer", "Hervormingsagenda", kinds=["activiteit", "zaak"]),
        rule("tk", "Hervormingsagenda", sources=["tk"]),
    )
    matcher = compile_rules([d])
    names = lambda it: [m.rule for m in matcher.match(it)]  # noqa: E731
    assert names(item("de Hervormingsagenda", kind="artikel", source="vakblad")) == ["alles"]
    assert names(item("de Hervormingsagenda", kind="zaak", source="vakblad")) == ["alles", "kamer"]
    assert names(item("de Hervormingsagenda", kind="activiteit", source="tk")) == ["alles", "kamer", "tk"]


def test_no_rules_and_empty_items():
    assert compile_rules([]).match(item("jeugdzorg")) == []
    assert compile_rules([dossier(rule("r", "jeugdzorg"))]).match(item("")) == []


def test_queries_are_parsed_when_the_config_has_no_ast():
    d = DossierConfig("d", "d", [RuleConfig("r", "jeugd*", None)], "voetbal", None)
    matcher = compile_rules([d])
    assert [m.rule for m in matcher.match(item("jeugdzorg"))] == ["r"]
    assert matcher.match(item("jeugdzorg voetbal")) == []


def test_engine_version_is_a_short_string():
    assert isinstance(ENGINE_VERSION, str) and 0 < len(ENGINE_VERSION) <= 8


# ---------------------------------------------------------------------------- text helpers


def test_plural_forms_are_exactly_the_documented_ones():
    assert plural_forms("motie") == ["moties", "motieen"]
    assert plural_forms("gemeente") == ["gemeentes", "gemeenten"]
    assert plural_forms("wijkteam") == ["wijkteams", "wijkteamen"]
    assert plural_forms("wet") == ["wetten"]
    assert plural_forms("taak") == ["taaks", "taken"]
    assert plural_forms("brief") == ["briefs", "briefen", "brieven"]
    assert plural_forms("overheid") == ["overheden"]
    assert plural_forms("partij") == ["partijen"]
    assert plural_forms("recht") == ["rechten"]
    assert plural_forms("werf") == ["werfs", "werfen", "werven"]
    assert plural_forms("wmo") == ["wmos"]
    assert plural_forms("ab") == [] and plural_forms("g40") == [] and plural_forms("Motie") == []


def test_fold_and_analyse():
    assert fold("Financiële Ideeën, Coöperatie, Straße, ĳs") == "financiele ideeen, cooperatie, strasse, ijs"
    a = analyse("Het sociaal-domein: Wmo/Jeugdwet™ en auto's")
    assert a.words() == ["het", "sociaal", "domein", "wmo", "jeugdwet", "en", "auto", "s"]
    assert [w for w, _, _ in a.joined()] == ["sociaaldomein", "wmojeugdwet"]
    assert a.words(cased=True)[3] == "Wmo"
    start, end = a.char_span(1, 2)
    assert a.text[start:end] == "sociaal-domein"


_WORD_CHARS = re.compile(r"[^\W_]+")
_GLUE = re.compile(r"[-/]|-[ \t]*\r?\n[ \t]*")


def _joined_forms(text: str) -> list[tuple[str, int, int]]:
    """The joined forms of a text, worked out plainly from its words and what lies between them."""
    folded = fold(text)
    words = [(m.start(), m.end()) for m in _WORD_CHARS.finditer(folded)]
    chains: list[list[int]] = []
    for index in range(1, len(words)):
        if _GLUE.fullmatch(folded[words[index - 1][1] : words[index][0]]):
            if chains and chains[-1][-1] == index - 1:
                chains[-1].append(index)
            else:
                chains.append([index - 1, index])
    out = []
    for chain in chains:
        first, last = chain[0], chain[-1]
        if len(chain) <= 4:
            runs = [(a, b) for a in range(first, last) for b in range(a + 1, last + 1)]
        else:
            runs = [(a, a + 1) for a in range(first, last)] + [(first, last)]
        out += [("".join(folded[s:e] for s, e in words[a : b + 1]), a, b) for a, b in runs]
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("abZ9 -/_\n\t\r.") + ["é", "ĳ", "\u00ad", "’", "İ", "-\n", " -", "x-y"]), max_size=40).map("".join))
def test_analysis_words_and_joined_forms_follow_the_text(text):
    # The buffers are built up front without word positions; the positions and the words behind
    # each joined form are worked out later, on first use. Both must describe the same text.
    a = analyse(text)
    assert a.joined() == _joined_forms(text)
    assert a.words() == [w.lower() for w in words_of(text)]
    assert len(a) == len(a.words())
    if a._marks is None:  # (offsets inside a character that folds to two, ĳ → ij, are approximate)
        for index, word in enumerate(a.words()):
            start, end = a.char_span(index, index)
            assert fold(text[start:end]).replace(" ", "") == word


def test_snippet_of_no_spans_is_the_start_of_the_text():
    assert snippet(analyse("kort  stuk\ntekst"), []) == "kort stuk tekst"


@given(st.text(alphabet=st.one_of(st.sampled_from("ab« \n\t\r\xa0\u2028\u3000\x1c\x85\x00\xadé"), st.characters()), max_size=30))
def test_collapse_shortcut_equals_split_and_join(text):
    # The snippet's whitespace collapsing skips split/join when it would change nothing.
    assert _collapse(text) == " ".join(text.split())


@pytest.mark.parametrize(
    ("query", "suffices"),
    [
        ("jeugdzorg", True),
        ("jeugd* OR *zorg OR \"sociaal domein\"", True),
        ("titel:Wmo OR (tekst:motie OR amendement)", True),
        ("BUIG OR bijstand", False),  # case-sensitive: the case-insensitive hit needs checking
        ("jeugdzorg AND tekort", False),
        ("jeugdzorg AND NOT voetbal", False),
        ("jeugdzorg NEAR/3 tekort", False),
        ("Wmo OR (jeugdzorg tekort)", False),
    ],
)
def test_rules_that_hold_whenever_they_are_candidates(query, suffices):
    assert _anchors_suffice(parse_query(query)) is suffices
    # Skipping the check never changes the verdict.
    for text in ("jeugdzorg tekort", "Wmo en de motie", "buig voetbal", "het sociaal domein", ""):
        matches(query, text, title=text.upper())


@pytest.mark.parametrize(
    ("query", "by_sets"),
    [
        ("jeugdzorg AND tekort", True),
        ("(jeugd* OR *zorg) AND NOT (voetbal OR \"sociaal domein\")", True),
        ("titel:(Wmo motie)", True),
        ("jeugdzorg tekort NOT motie", True),
        ("jeugdzorg AND NOT BUIG", False),  # case-sensitive: the hit needs checking
        ("titel:Wmo AND motie", False),  # two field scopes
        ("jeugdzorg NEAR/3 tekort", False),
        ("jeugdzorg AND (tekort OR (motie AND Wmo))", False),
    ],
)
def test_rules_verified_by_set_tests(query, by_sets):
    (compiled,) = compile_rules([dossier(rule("r", query))])._rules
    assert (compiled.sets is not None) is by_sets
    for text in ("jeugdzorg tekort", "Wmo en de motie", "jeugdzorg tekort voetbal", "het sociaal domein en jeugdzorg", "BUIG jeugdzorg", ""):
        for title in ("", "Wmo motie", text.upper()):
            matches(query, text, title=title)


# ---------------------------------------------------------------------------- engine = reference

_VOCAB = [
    "jeugd", "zorg", "jeugdzorg", "jeugdzorgaanbieder", "motie", "moties", "motievorming", "wet", "wetten", "weten",
    "BUIG", "buig", "Wmo", "WMO", "sociaal", "domein", "sociaaldomein", "tekort", "tekorten", "financiële",
    "ideeën", "armoede", "kinderarmoede", "baarmoeder", "gemeente", "gemeenten", "ZIN", "zin", "de", "het",
]
_SEPARATORS = [" ", " ", " ", "-", "/", ", ", ". ", "\n", "-\n"]
_TERMS = [
    "jeugd*", "*zorg", "*eugdzo*", "motie", "=motie", "moties", "BUIG", "Wmo", "WMO", '"sociaal domein"', "sociaal-domein",
    "sociaaldomein", "tekort*", "financiele", "wet", "zin", "ZIN", "armoede", "*armoede", "gemeente", '"jeugd zorg"',
    "jeugdzorg", '"*ciaal domein"', '"sociaal dom*"', "de", '"het sociaal domein"', "*moeder*",
]
_FIELDS = ["", "", "", "titel:", "tekst:"]

_word = st.sampled_from(_VOCAB).flatmap(lambda w: st.sampled_from([w, w.upper(), w.capitalize(), w.lower()]))
_text = st.lists(st.tuples(_word, st.sampled_from(_SEPARATORS)), max_size=14).map(lambda pairs: "".join(w + s for w, s in pairs))
_term = st.tuples(st.sampled_from(_FIELDS), st.sampled_from(_TERMS)).map("".join)
_group = st.one_of(_term, st.lists(st.sampled_from(_TERMS), min_size=2, max_size=3).map(lambda ts: "(" + " OR ".join(ts) + ")"))
_near = st.tuples(_group, st.integers(0, 4), _group).map(lambda t: f"{t[0]} NEAR/{t[1]} {t[2]}")
_query = st.recursive(
    st.one_of(_term, _near),
    lambda sub: st.one_of(
        st.tuples(sub, sub).map(lambda t: f"({t[0]} AND {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"({t[0]} OR {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"({t[0]} NOT {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"{t[0]} {t[1]}"),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(
    queries=st.lists(_query, min_size=1, max_size=8),
    title=_text,
    text=_text,
    exclude=st.one_of(st.none(), _query),
    order=st.sampled_from(["terms first", "snippet first", "last match first"]),
)
def test_engine_agrees_with_reference_evaluator(queries, title, text, exclude, order):
    rules = []
    for index, query in enumerate(queries):
        try:
            rules.append(rule(f"r{index}", query))
        except QueryError:
            continue
    try:
        d = dossier(*rules, exclude=exclude)
    except QueryError:
        d = dossier(*rules)
    it = item(text, title)
    analysed = analyse_item(it.fields())
    vetoed = d.exclude_ast is not None and evaluate(d.exclude_ast, analysed)
    expected = [] if vetoed else [r.name for r in rules if evaluate(r.ast, analysed)]
    found = compile_rules([d]).match(it)
    assert [m.rule for m in found] == expected
    # Terms and snippets are made lazily from the item's shared scan (with caches shared between
    # its matches), so whatever order they are read in, each must be what the reference says.
    by_name = {r.name: r for r in rules}
    read = found[::-1] if order == "last match first" else found
    for m in read:
        if order == "snippet first":
            got = (m.snippet, m.terms)[::-1]
        else:
            got = (m.terms, m.snippet)
        assert got == describe(by_name[m.rule].ast, analysed), m.rule
        assert m.terms and "«" in m.snippet and "»" in m.snippet


def test_engine_agrees_with_reference_on_a_large_random_rule_set():
    # Many rules sharing terms exercise the candidate index (anchors under the rarest term).
    rng = random.Random(7)
    queries = []
    for _ in range(600):
        a, b, c = (rng.choice(_TERMS) for _ in range(3))
        queries.append(rng.choice([a, f"{a} OR {b}", f"{a} AND {b}", f"{a} NEAR/{rng.randint(0, 3)} {b}", f"({a} OR {b}) AND NOT {c}", f"{a} {b} {c}"]))
    rules = []
    for index, query in enumerate(queries):
        try:
            rules.append(rule(f"r{index}", query))
        except QueryError:
            pass
    matcher = compile_rules([dossier(*rules)])
    for _ in range(60):
        words = [rng.choice(_VOCAB) + rng.choice(_SEPARATORS) for _ in range(rng.randint(0, 40))]
        it = item("".join(words))
        analysed = analyse_item(it.fields())
        expected = [r.name for r in rules if evaluate(r.ast, analysed)]
        found = matcher.match(it)
        assert [m.rule for m in found] == expected
        # Many matches share one scan and its snippet cache: each still shows its own terms and snippet.
        by_name = {r.name: r for r in rules}
        for m in found[::-1]:
            assert (m.terms, m.snippet) == describe(by_name[m.rule].ast, analysed), m.rule


def test_a_rule_set_is_compiled_once_per_process(monkeypatch):
    from collections import OrderedDict

    from monitor.rules import engine

    compiled = []
    real = engine.compile_rules
    monkeypatch.setattr(engine, "compile_rules", lambda dossiers: compiled.append(1) or real(dossiers))
    monkeypatch.setattr(engine, "_COMPILED", OrderedDict())
    jeugd = lambda query="jeugdzorg": dossier(rule("r", query), id="jeugd")  # noqa: E731
    first = engine.matcher_for([jeugd(), dossier(rule("r", "Wmo"), id="wmo")])
    assert engine.matcher_for([jeugd(), dossier(rule("r", "Wmo"), id="wmo")]) is first  # equal rules, new objects
    assert len(compiled) == 1
    # Another query, or the dossiers in another order (matches come in rules.yaml order): compiled anew.
    assert engine.matcher_for([jeugd("jeugdzorg OR jeugdhulp"), dossier(rule("r", "Wmo"), id="wmo")]) is not first
    swapped = engine.matcher_for([dossier(rule("r", "Wmo"), id="wmo"), jeugd()])
    assert [m.dossier for m in swapped.match(item("jeugdzorg en Wmo"))] == ["wmo", "jeugd"]
    assert len(compiled) == 3
    # Two rule sets are kept: the most recently used survive.
    assert engine.matcher_for([dossier(rule("r", "Wmo"), id="wmo"), jeugd()]) is swapped
    assert engine.matcher_for([jeugd(), dossier(rule("r", "Wmo"), id="wmo")]) is not first  # evicted
    assert len(compiled) == 4


def test_a_match_makes_terms_and_snippet_once_then_lets_the_scan_go():
    matcher = compile_rules([dossier(rule("kern", "jeugdzorg OR tekort*"), rule("geld", "tekort* NEAR/3 jeugdzorg"))])
    it = item("Het tekort in de jeugdzorg groeit; de tekorten ook.", "Jeugdzorg")
    kern, geld = matcher.match(it)
    assert kern._evidence is not None and kern._evidence is geld._evidence  # one scan per item
    assert kern.terms == ["jeugdzorg", "tekort*"]
    assert kern._evidence is not None  # the snippet is still to be made
    assert kern.snippet == "Het «tekort» in de «jeugdzorg» groeit; de «tekorten» ook."
    assert kern._evidence is None and geld._evidence is not None
    assert geld.snippet == kern.snippet and geld.terms == ["tekort*", "jeugdzorg"]
    assert kern == Match(it.id, "d", "kern", ["jeugdzorg", "tekort*"], kern.snippet)
    assert kern != geld
    with pytest.raises(TypeError):
        Match(it.id, "d", "kern", ["jeugdzorg"])  # neither a snippet nor evidence to make one


def test_engine_agrees_with_reference_on_long_texts():
    # Fields above ~12,000 characters index word positions in one pass instead of str.find.
    rng = random.Random(11)
    rules = []
    for index in range(120):
        a, b, c = (rng.choice(_TERMS) for _ in range(3))
        query = rng.choice([a, f"{a} OR {b}", f"{a} NEAR/{rng.randint(0, 3)} {b}", f"({a} OR {b}) AND NOT {c}"])
        try:
            rules.append(rule(f"r{index}", query))
        except QueryError:
            pass
    matcher = compile_rules([dossier(*rules)])
    for _ in range(2):
        words = [rng.choice([w, w.upper(), w.capitalize()]) + rng.choice(_SEPARATORS) for w in rng.choices(_VOCAB, k=2500)]
        it = item("".join(words))
        assert len(it.text) > 15_000
        analysed = analyse_item(it.fields())
        expected = [r.name for r in rules if evaluate(r.ast, analysed)]
        found = matcher.match(it)
        assert [m.rule for m in found] == expected
        assert all("«" in m.snippet for m in found)
        # Word positions (used by NEAR and snippets) agree term by term.
        scan = matcher.scan(it.fields())
        for prim in matcher._prims.values():
            assert scan.spans(prim, "tekst") == term_spans(prim.term, analysed["tekst"]), prim.term.text
