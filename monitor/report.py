"""`monitor run`'s output: the briefing in one of FORMATS, and the woordvoerders list.

Thin on purpose: the briefing (`monitor.briefing`) holds the facts, `monitor.render.layout` says
them in Dutch, and the format modules print them. The JSON shape is the stable interface (see
README, "The report and its JSON", and `monitor/render/report.schema.json`).
"""

from __future__ import annotations

import json
from typing import Any

from . import wording
from .briefing import Briefing
from .models import Woordvoerder
from .render import as_json, layout
from .render.html import to_html
from .render.text import to_markdown, to_text

FORMATS = ("text", "markdown", "html", "json")


def render(briefing: Briefing, fmt: str) -> str:
    """The briefing as a report in one of FORMATS."""
    if fmt == "json":
        return as_json.dumps(briefing)
    document = layout.report(briefing)
    if fmt == "html":
        return to_html(document)
    if fmt == "markdown":
        return to_markdown(document)
    return to_text(document)


def woordvoerders_text(people: list[Woordvoerder], title: str | None = None) -> str:
    """What `monitor woordvoerders DOSSIER` prints: per fractie, each person with the reason."""
    lines: list[str] = []
    if title:
        lines += [wording.woordvoerders_heading(title), ""]
    if not people:
        lines.append(wording.no_woordvoerders())
        return "\n".join(lines) + "\n"
    groups: dict[str, list[Woordvoerder]] = {}
    for person in people:
        groups.setdefault(person.fractie or wording.unknown_fractie(), []).append(person)
    for fractie, members in groups.items():
        lines.append(fractie)
        for person in members:
            lines.append(f"  {person.naam}" + (f" — {person.reden}" if person.reden else ""))
    return "\n".join(lines) + "\n"


def woordvoerders_json(dossier: str, title: str, people: list[Woordvoerder]) -> str:
    """`monitor woordvoerders --format json`."""
    payload: dict[str, Any] = {
        "dossier": dossier,
        "title": title,
        "woordvoerders": [
            {
                "naam": p.naam, "fractie": p.fractie, "reden": p.reden, "persoon_id": p.persoon_id,
                "score": None if p.score == float("inf") else round(p.score, 2),
                "spreektijd_s": p.spreektijd_s, "debatten": list(p.debatten),
            }
            for p in people
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
