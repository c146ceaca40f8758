"""Time in one place: Europe/Amsterdam, the `--now` override, and ISO formatting.

Everything user-facing is Amsterdam time. Stored item dates (`published_at`, `event_at`) are
ISO 8601 in Amsterdam time with their offset, so the first ten characters are the Dutch calendar
day and string comparison orders them; bookkeeping timestamps are the same format.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

AMS = ZoneInfo("Europe/Amsterdam")


class BadTime(ValueError):
    """A date or time given by the user that cannot be read."""


def parse_instant(text: str) -> datetime:
    """Read an ISO 8601 date or date-time; a naive value is taken as Amsterdam time."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0, 0))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadTime(
            f"cannot read {text!r} as a date or time; use ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=AMS)
    return parsed.astimezone(AMS)


def now(override: str | None = None) -> datetime:
    """The current moment in Amsterdam, or the `--now` / MONITOR_NOW override if given."""
    value = override or os.environ.get("MONITOR_NOW")
    if value:
        return parse_instant(value)
    return datetime.now(AMS)


def iso(moment: datetime | None) -> str | None:
    """Amsterdam ISO 8601 with offset, to the second (the format stored everywhere)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMS)
    return moment.astimezone(AMS).isoformat(timespec="seconds")


def to_local(value: str | None) -> datetime | None:
    """Parse a stored ISO string back into an aware Amsterdam datetime (None stays None)."""
    if not value:
        return None
    return parse_instant(value)


_DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def format_nl(value: datetime | date | str | None, with_time: bool = True, with_year: bool = False) -> str:
    """Short Dutch date as PA staff write it: 'do 3 dec 13:00' (time left out at midnight or on request)."""
    if value is None or value == "":
        return "datum onbekend"
    if isinstance(value, str):
        value = parse_instant(value)
    if isinstance(value, datetime):
        moment = value.astimezone(AMS) if value.tzinfo else value
        day = moment.date()
        show_time = with_time and (moment.hour, moment.minute) != (0, 0)
    else:
        day, moment, show_time = value, None, False
    text = f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    if with_year:
        text += f" {day.year}"
    if show_time and moment is not None:
        text += f" {moment:%H:%M}"
    return text
