"""Dutch working days, for counting lobby deadlines back from a Kamer meeting.

A working day is Monday to Friday minus the Dutch public holidays. We take the holidays from the
`holidays` package (country "NL") and then settle the two days on which Dutch practice — and
versions of that package — differ, so deadlines do not shift when the package is upgraded:

- **Bevrijdingsdag (5 May) is never a working day.** The Algemene termijnenwet, the law Dutch
  deadlines are counted by, lists 5 May every year, and the cao's of Rijk and gemeenten give it
  off every year. Newer `holidays` releases list it only in lustrum years (2025, 2030, ...).
- **Goede Vrijdag is a working day.** It is not in the Algemene termijnenwet and ministries,
  municipalities and the Kamer's staff work on it. Some `holidays` releases list it as public.

Everything else (Nieuwjaarsdag, Tweede Paasdag, Koningsdag — moved to the Saturday when 27 April
is a Sunday —, Hemelvaartsdag, Tweede Pinksterdag, both Kerstdagen) comes from the package.
The Kamer's recesses are not holidays: PA staff work then, and deadlines still run.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

LIBERATION_DAY = "Bevrijdingsdag"


@lru_cache(maxsize=64)
def nl_holidays(year: int) -> dict[date, str]:
    """The non-working public holidays of one year, with their Dutch names."""
    found = holidays.country_holidays("NL", years=year, language="nl")
    days = {day: str(name) for day, name in found.items() if day.year == year}
    days.pop(easter(year) - timedelta(days=2), None)  # Goede Vrijdag: a working day (see module doc)
    days[date(year, 5, 5)] = LIBERATION_DAY
    return days


def holiday_name(day: date) -> str | None:
    """The Dutch name of the public holiday on `day`, or None when it is not one."""
    return nl_holidays(day.year).get(day)


def is_workday(day: date) -> bool:
    """True on Monday to Friday when it is not a Dutch public holiday."""
    return day.weekday() < 5 and day not in nl_holidays(day.year)


def subtract_workdays(day: date, count: int) -> date:
    """The date `count` working days before `day`, `day` itself not counted.

    A commissiedebat on Thursday 10 December 2026 with a lead time of 5 gives Thursday 3
    December. With `count` 0 the answer is `day` itself (act on the day of the meeting).
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    current = day
    remaining = count
    while remaining:
        current -= timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def add_workdays(day: date, count: int) -> date:
    """The date `count` working days after `day`, `day` itself not counted."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    current = day
    remaining = count
    while remaining:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier).

    "Nog 2 werkdagen" on Tuesday for a Thursday deadline: Wednesday and Thursday.
    """
    if end < start:
        return -workdays_between(end, start)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current):
            count += 1
    return count
