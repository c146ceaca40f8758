"""The starter configuration shipped with the package: `monitor init` writes it, `monitor demo` runs on it."""

from __future__ import annotations

from pathlib import Path


def starter_file(name: str) -> str:
    """The text of a starter configuration file ('sources.yaml', 'rules.yaml')."""
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
