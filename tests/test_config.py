"""Config errors PA staff can fix: file:line, the key, a hint; all problems at once; exit 2."""

from __future__ import annotations

import pytest

from conftest import write_config
from monitor.cli import main
from monitor.config import DEFAULT_LEAD_TIMES, ConfigError, load_config, load_rules, load_sources

GOOD_SOURCES = """\
sources:
  - id: tk
    kind: tk
  - id: skipr
    kind: feed
    url: https://www.skipr.nl/feed/
    every: 1h30m
    label: vakpers
"""


def _problems(tmp_path, sources=GOOD_SOURCES, rules=None) -> list[str]:
    write_config(tmp_path, sources, rules)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    return [str(p) for p in info.value.problems]


def test_good_config_loads_with_defaults(tmp_path):
    config = load_config(write_config(tmp_path, GOOD_SOURCES))
    tk, skipr = config.sources.sources
    assert tk.url == "https://gegevensmagazijn.tweedekamer.nl" and tk.every == 15 * 60 and tk.since_days == 60
    assert skipr.every == 90 * 60 and skipr.label == "vakpers"
    assert set(config.rules.dossiers) == {"jeugd", "wmo", "participatie"}
    assert config.rules.dossiers["jeugd"].lead_times == DEFAULT_LEAD_TIMES


def test_shipped_files_are_valid():
    from conftest import REPO

    config = load_config(REPO)
    assert {"jeugd", "wmo", "participatie", "schulden", "inburgering"} <= set(config.rules.dossiers)
    assert any(s.kind == "tk" for s in config.sources.sources)


@pytest.mark.parametrize(
    "sources, expected",
    [
        ("sources:\n  - id: a\n    kind: feed\n    urll: https://x.example/\n", ["sources.yaml:4: source 'a': unknown key 'urll'", "did you mean 'url'?"]),
        ("sources:\n  - id: a\n    kind: fed\n    url: https://x.example/\n", ["sources.yaml:3: source 'a': unknown kind 'fed'", "did you mean 'feed'?"]),
        ("sources:\n  - id: a\n    kind: feed\n    url: www.x.example/rss\n", ["sources.yaml:4: source 'a': 'www.x.example/rss' is not a web address"]),
        ("sources:\n  - id: a\n    kind: feed\n    url: https://x.example/\n  - id: a\n    kind: feed\n    url: https://y.example/\n", ["sources.yaml:5: source id 'a' is used twice (first on line 2)"]),
        ("sources:\n  - id: a\n    kind: feed\n    url: https://x.example/\n    every: soms\n", ["sources.yaml:5: source 'a': 'every' must be a duration"]),
        ("sources:\n  - id: a\n    kind: feed\n   url: https://x.example/\n", ["sources.yaml:4: YAML syntax error"]),
        ("sources: {}\n", ["sources.yaml:1: 'sources' must be a list"]),
        ("sources:\n  - id: a\n    kind: feed\n", ["sources.yaml:2: source 'a': missing 'url'"]),
        ("sources: []\nemail:\n  from: pa@gemeente.example\n  smtp: {host: smtp.example, password: geheim}\n", ["sources.yaml:4: email.smtp: a password must never be written in a file"]),
    ],
)
def test_sources_errors_name_file_line_and_fix(tmp_path, sources, expected):
    text = "\n".join(_problems(tmp_path, sources=sources))
    for fragment in expected:
        assert fragment in text


def test_all_problems_are_reported_at_once(tmp_path):
    problems = _problems(tmp_path, sources="sources:\n  - id: a\n    kind: fed\n    url: x\n  - id: b\n    kind: feed\n    url: https://ok.example/\n    colour: red\n")
    assert len(problems) == 3


@pytest.mark.parametrize(
    "rules, expected",
    [
        ("dossiers:\n  jeugd:\n    title: J\n    rules:\n      - name: a\n        query: no\n", ["rules.yaml:6: dossier 'jeugd', rule 'a': 'query: no' is read by YAML as a yes/no value", "put it in quotes: query: 'no'"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        query: *jeugd\n", ["rules.yaml:5: YAML syntax error", "must be quoted"]),
        ("dossiers:\n  jeugd:\n    rules: []\n", ["rules.yaml:3: dossier 'jeugd' has no rules"]),
        ("dossiers:\n  wmo:\n    rules:\n      - name: a\n        query: \"beschermd wonen\" OR Wmo\n", ["rules.yaml:5: YAML syntax error", "must be put in single quotes as a whole: query: '\"beschermd wonen\" OR Wmo'"]),
        ("dossiers:\n  wmo:\n    rules:\n      - name: a\n        query: \"beschermd wonen\" OR Wmo'\n", ["rules.yaml:5: YAML syntax error", "must be put in single quotes as a whole: query: '\"beschermd wonen\" OR Wmo'"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        query: x\n      - name: a\n        query: y\n", ["rules.yaml:6: dossier 'jeugd': rule name 'a' is used twice (first on line 4)"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        query: x\n        sources: [skiper]\n", ["there is no source 'skiper' in sources.yaml", "did you mean 'skipr'?"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        query: x\n        kinds: [artikelen]\n", ["unknown item kind 'artikelen'"]),
        ("dossiers:\n  jeugd:\n    lead_times: {brif: 3}\n    rules:\n      - name: a\n        query: x\n", ["rules.yaml:3: dossier 'jeugd'.lead_times: unknown key 'brif'", "did you mean 'brief'?"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        query: ''\n", ["rules.yaml:5: dossier 'jeugd', rule 'a': the query is empty"]),
        ("dossiers:\n  jeugd:\n    rules:\n      - name: a\n        querry: x\n", ["unknown key 'querry'", "missing required key 'query'"]),
        ("dossiers:\n  jeugd:\n    recipients: [jeugd-at-gemeente]\n    rules:\n      - name: a\n        query: x\n", ["'jeugd-at-gemeente' is not an email address"]),
        ("dossiers:\n  jeugd:\n    title: J\n    rules:\n      - name: a\n        query: x\n  jeugd:\n    rules:\n      - name: b\n        query: y\n", ["rules.yaml:7: dossiers: key 'jeugd' appears twice"]),
    ],
)
def test_rules_errors_name_file_line_and_fix(tmp_path, rules, expected):
    text = "\n".join(_problems(tmp_path, rules=rules))
    for fragment in expected:
        assert fragment in text, text


def test_half_quoted_phrase_query_gets_a_hint_without_the_stray_quote(tmp_path):
    rules = "dossiers:\n  wmo:\n    rules:\n      - name: a\n        query: \"beschermd wonen\" OR Wmo'\n"
    text = "\n".join(_problems(tmp_path, rules=rules))
    assert text.endswith("as a whole: query: '\"beschermd wonen\" OR Wmo'"), text


def test_query_syntax_error_shows_caret(tmp_path):
    rules = "dossiers:\n  jeugd:\n    rules:\n      - name: geld\n        query: (jeugd AND tekort\n"
    text = "\n".join(_problems(tmp_path, rules=rules))
    assert "rules.yaml:5: dossier 'jeugd', rule 'geld':" in text
    assert "(jeugd AND tekort\n" in text and "^" in text


def test_lead_times_merge_defaults_and_dossier(tmp_path):
    rules = "defaults:\n  lead_times: {brief: 7}\ndossiers:\n  jeugd:\n    lead_times: {motie: 3}\n    rules:\n      - name: a\n        query: x\n"
    write_config(tmp_path, GOOD_SOURCES, rules)
    config = load_rules(tmp_path / "rules.yaml")
    assert config.dossiers["jeugd"].lead_times["brief"] == 7
    assert config.dossiers["jeugd"].lead_times["motie"] == 3
    assert config.dossiers["jeugd"].lead_times["stemming"] == 1


def test_rules_version_ignores_titles_but_not_queries(tmp_path):
    base = "dossiers:\n  jeugd:\n    title: {title}\n    rules:\n      - name: a\n        query: {query}\n"
    versions = []
    for title, query in (("Jeugd", "jeugdzorg"), ("Jeugdzorg", "jeugdzorg"), ("Jeugd", "jeugdhulp")):
        (tmp_path / "rules.yaml").write_text(base.format(title=title, query=query), encoding="utf-8")
        versions.append(load_rules(tmp_path / "rules.yaml").version)
    assert versions[0] == versions[1] != versions[2]


def test_digest_time_unquoted_is_understood(tmp_path):
    (tmp_path / "sources.yaml").write_text("sources: []\ndigest:\n  time: 07:30\n", encoding="utf-8")
    assert load_sources(tmp_path / "sources.yaml").digest.time == "07:30"


def test_cli_config_error_exit_2_no_traceback_no_database(tmp_path, capsys):
    write_config(tmp_path, "sources:\n  - id: a\n    kind: fed\n    url: https://x.example/\n")
    code = main(["run", "--config", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "sources.yaml:3" in err and "Traceback" not in err
    assert not (tmp_path / "monitor.db").exists()


def test_missing_file_is_explained(tmp_path, capsys):
    code = main(["rules", "check", "--config", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "sources.yaml: file not found" in err
