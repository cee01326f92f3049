"""The FWB school year rule and the holiday data (docs: /work/shared/domain/CALENDAR.md)."""

from datetime import date
from pathlib import Path

import pytest

from engine import calendar as cal
from engine.errors import IPTError

HOLIDAYS = Path(__file__).resolve().parents[2] / "processes" / "calendar" / "holidays.yaml"

# Years 2022-2027 are CALENDAR.md's table; the later ones were counted on a calendar.
YEARS = [
    (2022, date(2022, 8, 29), date(2023, 7, 7)),
    (2023, date(2023, 8, 28), date(2024, 7, 5)),
    (2024, date(2024, 8, 26), date(2025, 7, 4)),
    (2025, date(2025, 8, 25), date(2026, 7, 3)),
    (2026, date(2026, 8, 31), date(2027, 7, 2)),
    (2027, date(2027, 8, 30), date(2028, 7, 7)),
    (2028, date(2028, 8, 28), date(2029, 7, 6)),
    (2029, date(2029, 8, 27), date(2030, 7, 5)),
    (2030, date(2030, 8, 26), date(2031, 7, 4)),
]


@pytest.mark.parametrize(("year", "first", "last"), YEARS)
def test_first_and_last_day(year, first, last):
    assert cal.first_day(year) == first
    assert cal.last_day(year) == last
    assert first.weekday() == 0 and last.weekday() == 4


@pytest.mark.parametrize(("year", "first", "last"), YEARS)
def test_school_year_of_at_boundaries(year, first, last):
    one = first - date.resolution
    assert cal.school_year_of(first) == year
    assert cal.school_year_of(one) == year  # the day before the start: still summer, same year
    assert cal.school_year_of(last) == year
    assert (
        cal.school_year_of(last + date.resolution) == year + 1
    )  # summer belongs to the coming year
    assert cal.school_year_of(date(year, 12, 31)) == year
    assert cal.school_year_of(date(year + 1, 1, 1)) == year


def test_summer_and_next_year():
    assert cal.school_year_of(date(2026, 7, 3)) == 2025
    assert cal.school_year_of(date(2026, 7, 4)) == 2026
    assert cal.school_year_of(date(2026, 8, 30)) == 2026
    assert cal.next_school_year(date(2026, 3, 1)) == 2026
    assert cal.next_school_year(date(2026, 7, 20)) == 2027


def test_labels():
    assert cal.label(2026) == "2026-2027"
    assert cal.parse_label("2026-2027") == 2026
    assert cal.parse_label(" 2026 - 2027 ") == 2026
    assert cal.october_15(2026) == date(2026, 10, 15)


@pytest.mark.parametrize(
    "bad", ["2026-2028", "2026-2025", "abc", "", "2026", "26-27", "2026-2027x"]
)
def test_parse_label_refuses(bad):
    with pytest.raises(cal.CalendarError) as err:
        cal.parse_label(bad)
    assert isinstance(err.value, IPTError)
    assert f"« {bad} »" in err.value.message and "2026-2027" in err.value.message


def test_holidays_file():
    holidays = cal.load_holidays(HOLIDAYS)
    assert sorted(holidays) == [2024, 2025, 2026, 2027]
    assert all(p.confirmed for p in holidays[2025])
    assert not any(p.confirmed for p in holidays[2026] + holidays[2027])
    autumn = next(p for p in holidays[2025] if "automne" in p.name)
    assert (autumn.start, autumn.end) == (date(2025, 10, 20), date(2025, 11, 2))
    for year, periods in holidays.items():
        for p in periods:
            assert cal.first_day(year) <= p.start <= p.end <= cal.last_day(year), p


def test_is_school_day():
    holidays = cal.load_holidays(HOLIDAYS)
    assert cal.is_school_day(date(2025, 8, 25), holidays)  # first day
    assert not cal.is_school_day(date(2025, 8, 22), holidays)  # summer (a Friday)
    assert not cal.is_school_day(date(2025, 8, 30), holidays)  # Saturday
    assert not cal.is_school_day(date(2025, 10, 20), holidays)  # autumn
    assert cal.is_school_day(date(2025, 11, 3), holidays)
    assert not cal.is_school_day(date(2025, 11, 11), holidays)
    assert not cal.is_school_day(date(2026, 4, 6), holidays)  # Easter Monday
    assert cal.is_school_day(date(2026, 7, 3), holidays)  # last day
    assert not cal.is_school_day(date(2026, 7, 6), holidays)  # summer (a Monday)
    assert cal.is_school_day(date(2030, 10, 15), holidays)  # no data: only the rule applies


def test_load_holidays_errors(tmp_path):
    bad = tmp_path / "h.yaml"
    bad.write_text('"2026-2028": {periods: []}\n')
    with pytest.raises(cal.CalendarError, match="2026-2028"):
        cal.load_holidays(bad)
    bad.write_text('"2026-2027": {periods: [{name: x, start: 2027-01-10, end: 2027-01-01}]}\n')
    with pytest.raises(cal.CalendarError, match="avant de commencer"):
        cal.load_holidays(bad)
    bad.write_text("a: [\n")
    with pytest.raises(cal.CalendarError, match="illisible"):
        cal.load_holidays(bad)
