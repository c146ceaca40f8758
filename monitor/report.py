"""Render a pipeline Report as Dutch text, Markdown, HTML or JSON (`monitor run --format`).

The JSON shape is a documented, stable interface (see README "JSON output"); the human formats
follow the lobby memo: action first, then the agenda, then per dossier what is new, then sources.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .models import KIND_ARTICLE, Match, Moment
from .pipeline import Report, ReportItem
from .timeutil import format_nl, iso

FORMATS = ("text", "markdown", "html", "json")
_KIND_LABEL = {"artikel": "artikel", "activiteit": "vergadering", "zaak": "zaak", "document": "document"}


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS."""
    if fmt == "json":
        return json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return _html(report)
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


# ---------------------------------------------------------------------------- JSON


def to_json(report: Report) -> dict[str, Any]:
    """The stable JSON shape of a report."""
    items = [_item_json(entry, "agenda") for entry in report.agenda] + [_item_json(entry, "nieuws") for entry in report.news]
    return {
        "generated_at": iso(report.generated_at),
        "window": {
            "from": report.window.start.isoformat(),
            "to": report.window.end.isoformat(),
            "news_from": report.window.news_from.isoformat(),
            "news_to": report.window.news_to.isoformat(),
        },
        "items": items,
        "moments": [_moment_json(m) for m in report.moments],
        "sources": [
            {
                "id": h.id,
                "kind": h.kind,
                "label": h.label,
                "ok": h.ok,
                "last_success": h.last_success,
                "last_error": h.last_error,
                "consecutive_failures": h.consecutive_failures,
                "new": h.new,
                "changed": h.changed,
            }
            for h in report.sources
        ],
    }


def _item_json(entry: ReportItem, section: str) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.id,
        "source": item.source,
        "kind": item.kind,
        "section": section,
        "title": item.title,
        "url": item.url,
        "published_at": item.published_at,
        "event_at": item.event_at,
        "first_seen": entry.first_seen,
        "dossiers": [{"dossier": m.dossier, "rule": m.rule, "terms": m.terms, "snippet": m.snippet} for m in entry.matches],
        "changes": [{"field": c.field, "old": c.old, "new": c.new, "seen_at": c.seen_at} for c in entry.changes],
        "data": {k: v for k, v in item.data.items() if k in ("soort", "status", "commissie", "nummer", "label")},
    }


def _moment_json(moment: Moment) -> dict[str, Any]:
    from . import moments

    return moments.moment_to_json(moment)


# ---------------------------------------------------------------------------- shared view model


def _dossier_title(report: Report, dossier: str) -> str:
    config = report.config.rules.dossiers.get(dossier)
    return config.title if config else dossier


def _reason(match: Match) -> str:
    terms = ", ".join(match.terms) if match.terms else "—"
    return f"dossier {match.dossier}, regel '{match.rule}', termen: {terms}"


def _by_dossier(report: Report) -> list[tuple[str, str, list[ReportItem], list[ReportItem]]]:
    """Per dossier (in rules.yaml order): Kamer items and press items of the news window."""
    out = []
    for dossier_id, dossier in report.config.rules.dossiers.items():
        kamer = [e for e in report.news if e.item.kind != KIND_ARTICLE and any(m.dossier == dossier_id for m in e.matches)]
        media = [e for e in report.news if e.item.kind == KIND_ARTICLE and any(m.dossier == dossier_id for m in e.matches)]
        out.append((dossier_id, dossier.title, kamer, media))
    return out


def _source_line(report: Report, health: Any) -> str:
    name = f"{health.id} ({health.label})" if health.label else health.id
    if health.ok:
        when = format_nl(health.last_success) if health.last_success else "nooit"
        return f"✓ {name}: {health.new} nieuw, {health.changed} gewijzigd · laatst gelukt {when}"
    if not health.last_attempt:
        return f"– {name}: nog niet opgehaald"
    last = format_nl(health.last_success) if health.last_success else "nog nooit"
    return f"✗ {name}: {health.last_error} ({health.consecutive_failures}× achter elkaar mislukt; laatst gelukt: {last})"


def _item_meta(entry: ReportItem) -> str:
    item = entry.item
    parts = [item.source]
    soort = item.data.get("soort")
    if soort:
        parts.append(str(soort))
    if item.kind == "activiteit":
        commissie = item.data.get("commissie") or {}
        if isinstance(commissie, dict) and commissie.get("afkorting"):
            parts.append(str(commissie["afkorting"]))
        if item.data.get("status"):
            parts.append(str(item.data["status"]).lower())
        parts.append(format_nl(item.event_at))
    else:
        parts.append(format_nl(item.published_at, with_time=False) if item.published_at else f"datum onbekend (gezien {format_nl(entry.first_seen, with_time=False)})")
    if item.kind == "zaak":
        parts += _zaak_details(item.data)
    return " · ".join(parts)


def _zaak_details(data: dict[str, Any]) -> list[str]:
    """Indieners, kabinetsappreciatie and outcome of a motie/amendement, as PA staff want them."""
    details = []
    if data.get("nummer"):
        details.append(str(data["nummer"]))
    indieners = [
        f"{p.get('naam')}" + (f" ({p['fractie']})" if p.get("fractie") else "")
        for p in data.get("indieners") or []
        if p.get("naam")
    ]
    if indieners:
        details.append("ingediend door " + ", ".join(indieners))
    if data.get("kabinetsappreciatie"):
        details.append(f"appreciatie: {data['kabinetsappreciatie']}")
    if data.get("uitslag"):
        details.append(str(data["uitslag"]))
    return details


def _change_lines(entry: ReportItem) -> list[str]:
    lines = []
    for change in entry.changes:
        if change.field == "verwijderd":
            lines.append("verwijderd door de bron" if change.new == "ja" else "teruggekomen bij de bron")
        elif change.field in ("text", "raw"):
            continue
        else:
            lines.append(f"{change.field} gewijzigd: {_short(change.old)} → {_short(change.new)}")
    return lines


def _short(value: str | None, limit: int = 80) -> str:
    if value is None or value == "":
        return "(leeg)"
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _moments_text(report: Report, markdown: bool) -> str:
    try:
        from . import moments
    except ImportError:
        return ""
    formatter: Callable[[list[Moment]], str] = moments.format_moments_markdown if markdown else moments.format_moments_text
    return formatter(report.moments)


def _moment_views(report: Report) -> list[dict[str, Any]]:
    from .moments import dossier_titles, moment_view

    titles = dossier_titles(report.config.rules)
    return [moment_view(m, titles) for m in report.moments]


def _header(report: Report) -> list[str]:
    w = report.window
    return [
        f"Gegenereerd {format_nl(report.generated_at, with_year=True)}",
        f"Agenda {format_nl(w.start, with_year=True)} t/m {format_nl(w.end, with_year=True)} · "
        f"nieuws {format_nl(w.news_from)} t/m {format_nl(w.news_to, with_year=True)}",
    ]


# ---------------------------------------------------------------------------- text


def _text(report: Report) -> str:
    out: list[str] = ["MONITOR — lobbyrapport", *_header(report), ""]
    out += ["ACTIE NODIG", "-----------"]
    moments_text = _moments_text(report, markdown=False).strip()
    out += [moments_text or "Geen momenten met een deadline in dit venster.", ""]
    out += ["AGENDA", "------"]
    if not report.agenda:
        out.append("Geen vergaderingen over uw dossiers in dit venster.")
    for entry in report.agenda:
        out += _text_item(entry)
    out.append("")
    for dossier_id, title, kamer, media in _by_dossier(report):
        heading = f"{title.upper()} ({dossier_id})"
        out += [heading, "-" * len(heading)]
        if not kamer and not media:
            out += ["Niets nieuws.", ""]
            continue
        for label, entries in (("Nieuw in de Kamer", kamer), ("In de media", media)):
            if entries:
                out.append(f"{label}:")
                for entry in entries:
                    out += _text_item(entry, dossier_id)
        out.append("")
    out += ["BRONNEN", "-------"]
    out += [_source_line(report, h) for h in report.sources] or ["Geen bronnen ingesteld."]
    return "\n".join(out).rstrip() + "\n"


def _text_item(entry: ReportItem, dossier: str | None = None) -> list[str]:
    lines = [f"• {entry.item.title}", f"  {_item_meta(entry)}"]
    if entry.item.url:
        lines.append(f"  {entry.item.url}")
    for match in entry.matches:
        if dossier is None or match.dossier == dossier:
            lines.append(f"  waarom: {_reason(match)}")
            if match.snippet:
                lines.append(f"    “{match.snippet}”")
    lines += [f"  ! {line}" for line in _change_lines(entry)]
    return lines


# ---------------------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _markdown(report: Report) -> str:
    out: list[str] = ["# Lobbyrapport", "", *[f"_{line}_  " for line in _header(report)], ""]
    out += ["## Actie nodig", ""]
    out += [_moments_text(report, markdown=True).strip() or "Geen momenten met een deadline in dit venster.", ""]
    out += ["## Agenda", ""]
    if not report.agenda:
        out.append("Geen vergaderingen over uw dossiers in dit venster.")
    for entry in report.agenda:
        out += _md_item(entry)
    out.append("")
    for dossier_id, title, kamer, media in _by_dossier(report):
        out += [f"## {_md_escape(title)} (`{dossier_id}`)", ""]
        if not kamer and not media:
            out += ["Niets nieuws.", ""]
            continue
        for label, entries in (("Nieuw in de Kamer", kamer), ("In de media", media)):
            if entries:
                out += [f"### {label}", ""]
                for entry in entries:
                    out += _md_item(entry, dossier_id)
                out.append("")
    out += ["## Bronnen", ""]
    out += [f"- {_md_escape(_source_line(report, h))}" for h in report.sources]
    return "\n".join(out).rstrip() + "\n"


def _md_item(entry: ReportItem, dossier: str | None = None) -> list[str]:
    title = _md_escape(entry.item.title)
    head = f"- **[{title}]({entry.item.url})**" if entry.item.url else f"- **{title}**"
    lines = [head, f"  {_md_escape(_item_meta(entry))}"]
    for match in entry.matches:
        if dossier is None or match.dossier == dossier:
            lines.append(f"  - waarom: {_md_escape(_reason(match))}")
            if match.snippet:
                lines.append(f"    > {_md_escape(match.snippet)}")
    lines += [f"  - ⚠ {_md_escape(line)}" for line in _change_lines(entry)]
    return lines


# ---------------------------------------------------------------------------- HTML

_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _html(report: Report) -> str:
    template = _env.get_template("report.html.j2")
    return template.render(
        report=report,
        header=_header(report),
        agenda=report.agenda,
        dossiers=_by_dossier(report),
        sources=[(h.ok, _source_line(report, h)) for h in report.sources],
        moments=_moment_views(report),
        meta=_item_meta,
        reason=_reason,
        changes=_change_lines,
        format_nl=format_nl,
    )
