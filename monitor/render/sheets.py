"""The briefing as tables: the sheets of `monitor export --format xlsx` and the CSV files.

Four sheets, each one row per thing a team tracks in Excel:

- **Momenten**: every moment (action) of the window by deadline, with its state, the meeting, the
  agenda points that put it on the dossier, the woordvoerders and what changed;
- **Stemmingen**: every motie and amendement on the dossiers at a Stemmingen in the window, with
  indieners, kabinetsappreciatie, its standing and (once voted) the result and seats for/against;
- **Vergaderingen**: every meeting on the dossiers in the window (and those with a deadline in it
  or that changed), with its state, changes and agenda points;
- **Items**: the news: new Kamer zaken and documents, changed ones, and press, per dossier.

Dates and times are real dates (Excel sorts and filters them), Amsterdam time; words are the
report's (`monitor.wording`); source text is cleaned (`layout.clean`) and only http(s) links are
kept (`layout.safe_url`). A cell that would start with `=`, `+`, `-` or `@` is written as text,
never as a formula: a Kamer title must not run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .. import wording
from ..briefing import Briefing, KamerEntry, MeetingEntry, PressEntry
from ..models import Meeting, UpdateKind
from ..timeutil import AMS, to_local
from .layout import clean, safe_url, why

__all__ = ["Column", "Sheet", "SHEETS", "sheets", "to_xlsx", "to_csv"]

SHEETS = ("momenten", "stemmingen", "vergaderingen", "items")  # the keys of wording.SHEET_NAMES, in order
CELL_LIMIT = 2000  # characters of a joined cell (Excel's own limit is 32767)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column: its key in `wording.COLUMN_LABELS` and its width in Excel characters."""

    key: str
    width: int

    @property
    def header(self) -> str:
        return wording.COLUMN_LABELS[self.key]


@dataclass
class Sheet:
    """One table: `rows` hold typed values (str, int, date, aware datetime, or None)."""

    key: str
    columns: list[Column]
    rows: list[list[Any]]

    @property
    def name(self) -> str:
        return wording.SHEET_NAMES[self.key]


def _columns(*spec: tuple[str, int]) -> list[Column]:
    return [Column(key, width) for key, width in spec]


MOMENT_COLUMNS = _columns(
    ("deadline", 12), ("actie", 34), ("wanneer", 30), ("status", 12), ("vergadering", 40), ("waar", 22), ("begin", 17),
    ("dossiers", 30), ("agendapunten", 50), ("woordvoerders", 40), ("wijzigingen", 45), ("link", 40), ("kenmerk", 24),
)
VOTE_COLUMNS = _columns(
    ("datum", 17), ("vergadering", 30), ("nummer", 12), ("soort", 14), ("titel", 60), ("indieners", 40), ("appreciatie", 20),
    ("stand", 45), ("uitslag", 12), ("voor", 9), ("tegen", 9), ("dossiers", 30), ("link", 40),
)
MEETING_COLUMNS = _columns(
    ("begin", 17), ("einde", 17), ("vergadering", 40), ("soort", 22), ("waar", 22), ("locatie", 20), ("status", 16),
    ("wijzigingen", 45), ("agendapunten", 60), ("dossiers", 30), ("nieuw", 7), ("link", 40), ("kenmerk", 30),
)
ITEM_COLUMNS = _columns(
    ("datum", 12), ("dossiers", 30), ("groep", 16), ("titel", 60), ("nummer", 12), ("bron", 16), ("details", 60),
    ("waarom", 45), ("nieuw", 7), ("link", 40), ("kenmerk", 30),
)


# ---------------------------------------------------------------------------- the tables


def sheets(briefing: Briefing) -> list[Sheet]:
    """The four sheets of a briefing, in the order of `SHEETS`."""
    titles = dict(briefing.dossiers)
    return [
        Sheet("momenten", MOMENT_COLUMNS, _moment_rows(briefing, titles)),
        Sheet("stemmingen", VOTE_COLUMNS, _vote_rows(briefing, titles)),
        Sheet("vergaderingen", MEETING_COLUMNS, _meeting_rows(briefing, titles)),
        Sheet("items", ITEM_COLUMNS, _item_rows(briefing, titles)),
    ]


def _moment_rows(briefing: Briefing, titles: dict[str, str]) -> list[list[Any]]:
    found = [(m, a) for a in (*briefing.actions, *briefing.closed) for m in a.moments]
    found.sort(key=lambda pair: (pair[0].deadline is None, pair[0].deadline or date.max, _sort_time(pair[0].meeting), pair[0].id))
    rows = []
    for moment, action in found:
        meeting = action.entry.meeting
        people = moment.woordvoerders or action.woordvoerders
        rows.append([
            moment.deadline,
            wording.moment_label(moment.kind),
            clean(wording.deadline_phrase(moment), 300),
            wording.status_label(moment.status),
            clean(wording.meeting_name(meeting), 300),
            wording.meeting_where(meeting),
            _when(meeting),
            _dossiers(moment.dossiers, titles),
            _joined(moment.triggers),
            _joined(wording.person(p) for p in people),
            _joined(wording.update_phrase(u) for u in action.entry.updates),
            safe_url(meeting.url),
            moment.id,
        ])
    return rows


def _vote_rows(briefing: Briefing, titles: dict[str, str]) -> list[list[Any]]:
    rows = []
    seen: set[tuple[str, str]] = set()
    actions = sorted((*briefing.actions, *briefing.closed), key=lambda a: (_sort_time(a.entry.meeting), a.key))
    for action in actions:
        meeting = action.entry.meeting
        for vote in action.votes:
            zaak = vote.zaak
            if zaak is None or (action.key, vote.key) in seen:
                continue
            seen.add((action.key, vote.key))
            votes = zaak.votes
            rows.append([
                _when(meeting),
                clean(wording.meeting_name(meeting), 300),
                zaak.nummer,
                zaak.soort,
                clean(wording.zaak_title(zaak), 1000),
                _joined(wording.person(p) for p in zaak.indieners),
                clean(zaak.appreciatie, 100) or None,
                clean(wording.vote_at(zaak, meeting.day), 500),
                clean(zaak.uitslag, 60) or None,
                sum(v.zetels for v in votes if v.voor) if votes else None,
                sum(v.zetels for v in votes if v.tegen) if votes else None,
                _dossiers(vote.dossiers, titles),
                safe_url(zaak.url),
            ])
    return rows


def meeting_entries(briefing: Briefing) -> list[MeetingEntry]:
    """Every meeting of the briefing once: the agenda, those with an action, and those that changed; by time."""
    found: dict[str, MeetingEntry] = {}
    for entry in briefing.agenda:
        found.setdefault(entry.key, entry)
    for action in (*briefing.actions, *briefing.closed):
        found.setdefault(action.key, action.entry)
    for changed in briefing.changed:
        if isinstance(changed, MeetingEntry):
            found.setdefault(changed.key, changed)
    return sorted(found.values(), key=lambda e: (_sort_time(e.meeting), e.key))


def _meeting_rows(briefing: Briefing, titles: dict[str, str]) -> list[list[Any]]:
    rows = []
    for entry in meeting_entries(briefing):
        meeting = entry.meeting
        rows.append([
            _when(meeting),
            meeting.end.astimezone(AMS) if meeting.end else None,
            clean(wording.meeting_name(meeting), 300),
            meeting.soort,
            wording.meeting_where(meeting),
            clean(meeting.locatie, 100) or None,
            wording.meeting_state(meeting, entry.deleted),
            _joined(wording.update_phrase(u) for u in entry.updates),
            _joined(p.onderwerp for p in meeting.agenda),
            _dossiers(entry.dossiers, titles),
            wording.yes_no(entry.new),
            safe_url(meeting.url),
            entry.key,
        ])
    return rows


def _item_rows(briefing: Briefing, titles: dict[str, str]) -> list[list[Any]]:
    rows = []
    for news in briefing.news:
        rows += [_kamer_row(e, titles) for e in news.kamer]
        rows += [_press_row(e, titles) for e in news.press]
    rows += [_kamer_row(e, titles) for e in briefing.changed if isinstance(e, KamerEntry)]
    return rows


def _kamer_row(entry: KamerEntry, titles: dict[str, str]) -> list[Any]:
    details: list[str | None] = []
    if entry.zaak is not None:
        zaak = entry.zaak
        title, number = wording.zaak_title(zaak), zaak.nummer
        details += [wording.indieners(zaak), wording.appreciatie(zaak), wording.vote_result(zaak)]
        if entry.question is not None:  # Kamervragen: to whom, and open, postponed, answered or late
            details.append(wording.question_line(zaak, entry.question))
    else:
        assert entry.document is not None
        document = entry.document
        title, number = document.onderwerp or document.titel or document.documentnummer or "", document.documentnummer
    details += [wording.new_document(d) for d in entry.shown_documents]
    # The result is told with its seats above; its 'uitslag: …' update would say it twice.
    told = entry.zaak is not None and wording.vote_result(entry.zaak) is not None
    details += [wording.update_phrase(u) for u in entry.updates if not (told and u.kind is UpdateKind.OUTCOME)]
    return [
        entry.published,
        _dossiers(entry.dossiers, titles),
        entry.group,
        clean(title, 1000),
        number,
        wording.KAMER_SOURCE,
        _joined(d for d in details if d),
        clean(why(entry.reasons), 1000),
        wording.yes_no(entry.new),
        safe_url(entry.url),
        entry.key,
    ]


def _press_row(entry: PressEntry, titles: dict[str, str]) -> list[Any]:
    item = entry.item
    published = item.published_at or entry.first_seen
    return [
        to_local(published).date() if published else None,
        _dossiers(entry.dossiers, titles),
        wording.PRESS_GROUP,
        clean(item.title, 1000),
        None,
        clean(entry.source_label or entry.source, 60),
        None,
        clean(why(entry.reasons), 1000),
        wording.yes_no(True),
        safe_url(item.url),
        entry.key,
    ]


def _when(meeting: Meeting) -> datetime | date | None:
    """A meeting's start (a date alone when the Kamer gave no time)."""
    return meeting.start.astimezone(AMS) if meeting.start else meeting.day


def _sort_time(meeting: Meeting) -> datetime:
    if meeting.start is not None:
        return meeting.start
    return datetime.combine(meeting.day or date.max, datetime.min.time(), AMS)


def _dossiers(ids: list[str], titles: dict[str, str]) -> str:
    return ", ".join(titles.get(d, d) for d in ids)


def _joined(values: Any) -> str | None:
    """Several values in one cell, separated by '; ' (None when there are none)."""
    text = "; ".join(clean(v, 500) for v in values if v)
    return clean(text, CELL_LIMIT) or None


def _as_text(value: str) -> str:
    # A leading quote makes Excel show the text as it is instead of running it (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


# ---------------------------------------------------------------------------- Excel


DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"


def to_xlsx(tables: list[Sheet], *, title: str | None = None, created: datetime | None = None) -> bytes:
    """The sheets as an Excel workbook: bold frozen header row, autofilter, widths, typed dates and links."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "monitor"
    if title:
        book.properties.title = title
    if created is not None:  # the briefing's moment, not the clock: the same briefing gives the same file
        stamp = created.astimezone(AMS).replace(tzinfo=None, microsecond=0)
        book.properties.created = book.properties.modified = stamp
    bold = Font(bold=True)
    for table in tables:
        ws = book.create_sheet(table.name)
        ws.append([c.header for c in table.columns])
        for cell in ws[1]:
            cell.font = bold
        for values in table.rows:
            ws.append([_excel_value(v) for v in values])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = column.width
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, datetime):  # before date: a datetime is a date too
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(cell.value, date):
                    cell.number_format = DATE_FORMAT
                elif isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
                    if column.key == "link":
                        cell.hyperlink = cell.value
                        cell.style = "Hyperlink"
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(ws.max_row, 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(AMS).replace(tzinfo=None)  # Excel has no time zones: Amsterdam wall time
    return value


# ---------------------------------------------------------------------------- CSV


CSV_DELIMITER = ";"  # Dutch Excel's list separator (the comma is the decimal separator there)


def to_csv(table: Sheet) -> bytes:
    """One sheet as CSV for Dutch Excel: UTF-8 with a byte order mark, ';' between fields, CRLF.

    Dates are written 2026-12-17 and times 2026-12-17 13:00 (Amsterdam), which Excel reads as
    dates in every locale; empty cells are empty.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    for values in table.rows:
        writer.writerow([_csv_value(v) for v in values])
    # The BOM tells Excel the file is UTF-8; without it 'ë' and '€' come out garbled.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(AMS).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _as_text(value)
    return str(value)
