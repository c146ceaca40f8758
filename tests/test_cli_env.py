"""What the environment sets for the CLI: $MONITOR_CONFIG, and log lines stamped unless journald stamps them."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import write_config
from monitor.cli import main

RULES = "dossiers:\n  jeugd:\n    title: Jeugdzorg\n    rules:\n      - name: kern\n        query: jeugdzorg\n"


def test_monitor_config_is_the_default_config_directory(tmp_path, monkeypatch):
    config = write_config(tmp_path / "etc", "sources: []\n", RULES)
    elsewhere = tmp_path / "elders"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    monkeypatch.delenv("MONITOR_DB", raising=False)
    assert main(["run", "--no-fetch", "-q", "--now", "2026-12-01T08:00", "--output", str(tmp_path / "r.txt")]) == 0
    assert (config / "monitor.db").exists() and not (elsewhere / "monitor.db").exists()
    assert "JEUGDZORG" in (tmp_path / "r.txt").read_text(encoding="utf-8")
    # --config still wins over the environment.
    other = write_config(tmp_path / "ander", "sources: []\n", RULES)
    assert main(["run", "--no-fetch", "-q", "--config", str(other), "--now", "2026-12-01T08:00", "--output", str(tmp_path / "r2.txt")]) == 0
    assert (other / "monitor.db").exists()


def _log_line(config, journald: bool) -> str:
    script = (
        "import logging, sys\n"
        "from monitor.cli import main\n"
        f"main(['sources', '--config', {str(config)!r}, '-q'])\n"
        "logging.getLogger('monitor.test').warning('hallo')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "JOURNAL_STREAM": "8:12345"} if journald else {"PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    return next(line for line in result.stderr.splitlines() if "hallo" in line)


def test_log_lines_carry_a_time_except_under_journald(tmp_path):
    config = write_config(tmp_path / "cfg", "sources: []\n", RULES)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING monitor\.test: hallo", _log_line(config, journald=False))
    assert _log_line(config, journald=True) == "WARNING monitor.test: hallo"
