"""The database file: wrong --db paths and a database from a newer monitor get a sentence and exit 2."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import write_config
from monitor.cli import main
from monitor.store import SCHEMA_VERSION, DatabaseError, Store

RULES = """\
dossiers:
  jeugd:
    title: Jeugdzorg
    rules:
      - name: kern
        query: jeugdzorg
"""


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path / "cfg", "sources: []\n", RULES)


def run(config, db, *args: str) -> int:
    return main(["run", "--no-fetch", "--config", str(config), "--db", str(db), "-q", *args])


def test_a_folder_as_database_is_refused_without_creating_anything(config, tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    assert run(config, folder) == 2
    err = capsys.readouterr().err
    assert "is a folder; --db takes a database file" in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


def test_a_database_in_a_missing_folder_is_refused_and_the_folder_not_made(config, tmp_path, capsys):
    target = tmp_path / "nope" / "monitor.db"
    assert run(config, target) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not target.parent.exists()
    # A write command (with the lock) does not make it either.
    assert main(["run", "--config", str(config), "--db", str(target), "-q"]) == 2
    assert not target.parent.exists()


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(config, tmp_path, capsys):
    notes = tmp_path / "notities.txt"
    notes.write_text("geen database\n" * 100, encoding="utf-8")
    before = notes.read_bytes()
    assert run(config, notes) == 2
    assert "is not a database" in capsys.readouterr().err
    assert notes.read_bytes() == before
    assert not (tmp_path / "notities.txt.lock").exists()


def test_a_database_from_a_newer_monitor_is_refused_untouched(config, tmp_path, capsys):
    path = tmp_path / "monitor.db"
    Store(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer than this monitor understands"):
        Store(path)
    assert run(config, path) == 2
    err = capsys.readouterr().err
    assert f"schema version {SCHEMA_VERSION + 1}" in err and "upgrade monitor" in err and "Traceback" not in err
    assert path.read_bytes() == before


def test_an_empty_file_is_a_new_database(config, tmp_path):
    path = tmp_path / "leeg.db"
    path.touch()
    assert run(config, path) == 0
    assert path.stat().st_size > 0
