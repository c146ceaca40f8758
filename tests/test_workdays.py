"""Dutch working days: weekends, public holidays, and our choices on Goede Vrijdag and 5 May."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.workdays import add_workdays, holiday_name, is_workday, subtract_workdays, workdays_between


def test_issue_example_brief_five_days_before_thursday_10_december_2026():
    assert subtract_workdays(date(2026, 12, 10), 5) == date(2026, 12, 3)


def test_meeting_day_itself_is_not_counted_and_zero_means_the_day_itself():
    assert subtract_workdays(date(2026, 12, 10), 1) == date(2026, 12, 9)
    assert subtract_workdays(date(2026, 12, 10), 0) == date(2026, 12, 10)


def test_weekend_is_skipped():
    # Monday 7 Dec minus 1 working day is Friday 4 Dec.
    assert subtract_workdays(date(2026, 12, 7), 1) == date(2026, 12, 4)


def test_christmas_and_new_year_are_not_working_days():
    assert holiday_name(date(2026, 12, 25)) is not None
    assert holiday_name(date(2026, 12, 26)) is not None
    assert not is_workday(date(2026, 12, 25))  # a Friday
    assert not is_workday(date(2027, 1, 1))  # a Friday
    # Tuesday 5 Jan 2027, 5 working days back: 4 Jan, (1 Jan off), 31, 30, 29, 28 Dec.
    assert subtract_workdays(date(2027, 1, 5), 5) == date(2026, 12, 28)
    # Tuesday 29 Dec 2026, 3 back: 28 Dec, (25 Dec off, weekend), 24, 23 Dec.
    assert subtract_workdays(date(2026, 12, 29), 3) == date(2026, 12, 23)


def test_christmas_eve_and_new_years_eve_are_working_days():
    assert is_workday(date(2026, 12, 24))
    assert is_workday(date(2026, 12, 31))


def test_goede_vrijdag_is_a_working_day():
    # Good Friday 2026 is 3 April, 2027 is 26 March; the Algemene termijnenwet does not list it.
    assert is_workday(date(2026, 4, 3))
    assert is_workday(date(2027, 3, 26))
    assert holiday_name(date(2026, 4, 3)) is None


def test_bevrijdingsdag_is_a_holiday_every_year():
    for year in (2026, 2027, 2029, 2030):
        assert holiday_name(date(year, 5, 5)) == "Bevrijdingsdag"
    assert not is_workday(date(2026, 5, 5))  # a Tuesday, not a lustrum year


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 6),  # Tweede Paasdag
        date(2026, 4, 27),  # Koningsdag (Monday)
        date(2026, 5, 14),  # Hemelvaartsdag
        date(2026, 5, 25),  # Tweede Pinksterdag
    ],
)
def test_other_public_holidays(day):
    assert not is_workday(day)


def test_spring_holidays_in_a_count():
    # Friday 15 May 2026 minus 2: Thursday 14 May is Hemelvaartsdag -> 13, 12 May.
    assert subtract_workdays(date(2026, 5, 15), 2) == date(2026, 5, 12)
    # Wednesday 6 May 2026 minus 1: Tuesday 5 May is Bevrijdingsdag -> Monday 4 May.
    assert subtract_workdays(date(2026, 5, 6), 1) == date(2026, 5, 4)


def test_add_and_between():
    assert add_workdays(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert workdays_between(date(2026, 12, 1), date(2026, 12, 3)) == 2
    assert workdays_between(date(2026, 12, 3), date(2026, 12, 1)) == -2
    assert workdays_between(date(2026, 12, 24), date(2026, 12, 28)) == 1


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        subtract_workdays(date(2026, 12, 10), -1)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=0, max_value=40))
def test_subtract_then_count_round_trips(day, count):
    earlier = subtract_workdays(day, count)
    assert earlier <= day
    if count == 0:
        assert earlier == day
        return
    # `earlier` is the count-th working day before `day`: count-1 working days lie strictly
    # between them, plus `day` itself when it is one.
    assert is_workday(earlier)
    assert workdays_between(earlier, day) == count - 1 + int(is_workday(day))
    if is_workday(day):
        assert add_workdays(earlier, count) == day


def test_no_weekend_is_a_working_day():
    start = date(2026, 1, 1)
    for offset in range(730):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            assert not is_workday(day)
