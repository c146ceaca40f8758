"""The README is the manual: its first two commands and its command reference must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S)]


def test_readme_opens_with_the_install_and_run_and_the_test_commands():
    first, second = _code_blocks(README)[:2]
    assert first == "python3 -m venv .venv && . .venv/bin/activate && pip install . && monitor run"
    assert second == "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest -q"
    # Nothing but the title comes before them.
    assert README.index(first) < README.index("\n## ")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest -q" in ci


def test_every_command_has_a_section_with_an_example():
    parser = build_parser()
    commands = next(a for a in parser._subparsers._group_actions if a.choices).choices  # noqa: SLF001 - argparse has no public accessor
    for name in commands:
        heading = f"### monitor {name}"
        assert heading in README, f"README has no section for `monitor {name}`"
        section = README.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert f"monitor {name}" in section.replace(heading, ""), f"README section for `monitor {name}` has no example"


def test_every_configuration_key_is_documented():
    for key in ("base_url", "since_days", "every:", "enabled:", "label:", "max_bytes", "concurrency", "contact",
                "password_env", "security", "reply_to", "unsubscribe", "send_empty", "horizon_days", "serve:",
                "lead_times", "recipients", "exclude:", "priority:", "kinds:", "sources:", "woordvoerders:"):
        assert key in README, key
