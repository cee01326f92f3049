"""The FWB school year: last Monday of August → first Friday of July (2022 reform).

A school year is named by its start year (2026 means "2026-2027"). The start/end rule lives here;
holiday periods are data per school year (`processes/calendar/holidays.yaml`), because the
government fixes them ahead of time and the product cannot fetch them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.errors import IPTError

# PoleTie.from_year and other "since forever" defaults: the first year under the 2022 calendar.
EARLIEST_YEAR = 2022

_LABEL = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


class CalendarError(IPTError):
    code = "calendrier"


@dataclass(frozen=True)
class Period:
    """A holiday or a day off, both ends included."""

    name: str
    start: dt.date
    end: dt.date
    confirmed: bool = True

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def first_day(year: int) -> dt.date:
    """Last Monday of August of `year`."""
    last = dt.date(year, 8, 31)
    return last - dt.timedelta(days=last.weekday())


def last_day(year: int) -> dt.date:
    """First Friday of July of `year + 1`."""
    first = dt.date(year + 1, 7, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7)


def school_year_of(day: dt.date) -> int:
    """The school year `day` belongs to; summer holidays belong to the coming year."""
    year = day.year if day >= first_day(day.year) else day.year - 1
    return year + 1 if day > last_day(year) else year


def next_school_year(day: dt.date) -> int:
    return school_year_of(day) + 1


def label(year: int) -> str:
    return f"{year}-{year + 1}"


def parse_label(text: str) -> int:
    """ "2026-2027" → 2026. Raises CalendarError on anything else."""
    match = _LABEL.match(str(text))
    if not match or int(match[2]) != int(match[1]) + 1:
        raise CalendarError(
            f"Année scolaire « {text} » invalide : attendu deux années consécutives, "
            "par exemple « 2026-2027 »."
        )
    return int(match[1])


def october_15(year: int) -> dt.date:
    return dt.date(year, 10, 15)


def load_holidays(path: str | Path) -> dict[int, list[Period]]:
    """Read the holiday file: school-year label → {confirmed, periods: [{name, start, end}]}."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"{path} : fichier des congés illisible ({exc}).") from exc
    if not isinstance(data, dict):
        raise CalendarError(f"{path} : attendu une année scolaire par clé (« 2026-2027: »).")
    result: dict[int, list[Period]] = {}
    for key, entry in data.items():
        year = parse_label(key)
        if not isinstance(entry, dict):
            raise CalendarError(f"{path} : {key} : attendu « confirmed » et « periods ».")
        confirmed = bool(entry.get("confirmed", True))
        periods = []
        for i, item in enumerate(entry.get("periods") or [], start=1):
            try:
                start = _as_date(item["start"])
                end = _as_date(item.get("end", item["start"]))
                name = str(item["name"])
            except (KeyError, TypeError, ValueError) as exc:
                raise CalendarError(
                    f"{path} : {key}, période {i} invalide (attendu name, start, end)."
                ) from exc
            if end < start:
                raise CalendarError(f"{path} : {key}, « {name} » se termine avant de commencer.")
            periods.append(Period(name, start, end, confirmed))
        result[year] = periods
    return result


def is_school_day(day: dt.date, holidays: dict[int, list[Period]]) -> bool:
    """Not a weekend, not in summer holidays, not in a holiday period of its school year."""
    if day.weekday() >= 5:
        return False
    year = school_year_of(day)
    if day < first_day(year):
        return False
    return not any(day in period for period in holidays.get(year, ()))


def _as_date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_enrolment_ends(path: str | Path) -> dict[int, dt.date]:
    """R-PROP-6: school year of entry → last day of the 1st-secondary enrolment period."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path} : YAML mal formé ({exc}).") from None
    ends = {}
    for key, entry in data.items():
        where = f"{path} : « {key} »"
        year = parse_label(str(key))
        try:
            end = _as_date((entry or {}).get("end"))
        except (TypeError, ValueError, AttributeError):
            raise CalendarError(f"{where} : « end » doit être une date AAAA-MM-JJ.") from None
        if not first_day(year - 1) <= end <= last_day(year - 1):
            raise CalendarError(
                f"{where} : la fin de la période d'inscription ({end}) doit tomber pendant "
                f"l'année scolaire {label(year - 1)}."
            )
        ends[year] = end
    return ends
