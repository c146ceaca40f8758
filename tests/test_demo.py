"""`monitor demo` and `monitor init`: the first hour, offline and without configuration."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from icalendar import Calendar

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def offline(monkeypatch):
    """Any connection that is not to loopback fails, as on a machine without network."""
    real_connect = socket.socket.connect

    def connect(self, address):  # noqa: ANN001
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"no network in this test (tried {address})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def test_the_demo_runs_offline_and_writes_report_digests_and_calendar(tmp_path, monkeypatch, capsys, offline):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("MONITOR_DB", str(home / "mijn.db"))  # the user's own database: must stay untouched
    out = tmp_path / "demo"
    assert main(["demo", "--output", str(out)]) == 0
    captured = capsys.readouterr()
    report = captured.out
    # Moments with deadlines, woordvoerders, the agenda and news: what the product does.
    assert "ACTIE NODIG" in report
    assert "• Fracties benaderen voor de stemming — uiterlijk ma 7 dec" in report
    assert "Woordvoerders:" in report and "K. de Vries (VVD) — " in report
    assert "Gewijzigde motie van het lid El Idrissi" in report
    assert "Regio's vrezen gat in specialistische jeugdhulp na 2027" in report  # the vakpers feed
    assert "✓ tk (Tweede Kamer (demo))" in report or "tk (Tweede Kamer (demo)): werkt" in report
    names = sorted(p.name for p in out.iterdir())
    assert names == ["digest-inburgering.html", "digest-jeugd.html", "digest-werk.html", "digest-wmo.html", "lobbykalender.ics", "report.html"]
    assert "Fracties benaderen voor de stemming" in (out / "digest-jeugd.html").read_text(encoding="utf-8")
    assert "<html" in (out / "report.html").read_text(encoding="utf-8").lower()
    events = list(Calendar.from_ical((out / "lobbykalender.ics").read_bytes()).walk("VEVENT"))
    assert any(str(e["SUMMARY"]).startswith("Deadline: ") for e in events)
    assert "written: " in captured.err and "monitor init" in captured.err
    assert list(home.iterdir()) == []  # nothing of the user's touched or created


def test_the_demo_refuses_now_and_a_file_as_output(tmp_path, capsys):
    assert main(["demo", "--now", "2026-12-01T08:00"]) == 2
    target = tmp_path / "bestand"
    target.write_text("x", encoding="utf-8")
    assert main(["demo", "--output", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "x"


def test_init_writes_starter_files_that_check_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "pa"
    assert main(["init", str(target)]) == 0
    assert main(["rules", "check", "--config", str(target)]) == 0
    assert "5 dossiers" in capsys.readouterr().out
    mine = "# mijn eigen dossiers\n" + (target / "rules.yaml").read_text(encoding="utf-8")
    (target / "rules.yaml").write_text(mine, encoding="utf-8")
    assert main(["init", str(target)]) == 0
    assert (target / "rules.yaml").read_text(encoding="utf-8") == mine
    assert "never overwrites" in capsys.readouterr().err


def test_the_starter_files_are_the_repositorys_files():
    # `monitor init` ships copies inside the package (a pip install has no repository); they must not drift.
    for name in ("sources.yaml", "rules.yaml"):
        assert (ROOT / "monitor" / "starter" / name).read_text(encoding="utf-8") == (ROOT / name).read_text(encoding="utf-8"), name
