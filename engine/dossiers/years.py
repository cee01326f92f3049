"""The dossier's school years (annex 6): one row per year, kept as the IPT starts, is prolonged
and ends. Interruptions are what R-ELIG-2 reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine import calendar
from engine.models import Organisation, SchoolYearRecord


def open_year(session, dossier, year: int) -> SchoolYearRecord:
    """The pupil is in IPT in `year`, with the dossier's current EO school and pôle."""
    row = record(session, dossier, year)
    if row is None:
        row = SchoolYearRecord(dossier_id=dossier.id, school_year=year)
        session.add(row)
    eo = session.get(Organisation, dossier.eo_school_id) if dossier.eo_school_id else None
    pole = session.get(Organisation, dossier.pole_id) if dossier.pole_id else None
    row.in_ipt = True
    row.eo_school_name, row.eo_school_fase = (eo.name, eo.fase) if eo else (None, None)
    row.pole_name, row.pole_fase = (pole.name, pole.fase) if pole else (None, None)
    row.ended_on, row.end_reason = None, None
    return row


def close_year(session, dossier, end_date: dt.date, reason: str) -> SchoolYearRecord:
    """The IPT ends on `end_date` (in the school year of that date)."""
    year = calendar.school_year_of(end_date)
    row = record(session, dossier, year) or open_year(session, dossier, year)
    row.ended_on, row.end_reason = end_date, reason
    return row


def record(session, dossier, year) -> SchoolYearRecord | None:
    return session.scalar(
        select(SchoolYearRecord).where(
            SchoolYearRecord.dossier_id == dossier.id, SchoolYearRecord.school_year == year
        )
    )


def history(session, dossier) -> list[SchoolYearRecord]:
    return list(
        session.scalars(
            select(SchoolYearRecord)
            .where(SchoolYearRecord.dossier_id == dossier.id)
            .order_by(SchoolYearRecord.school_year)
        )
    )


def current_ipt_year(session, dossier) -> int | None:
    """The latest school year the pupil is (or was) in IPT."""
    rows = [r for r in history(session, dossier) if r.in_ipt]
    return rows[-1].school_year if rows else None
