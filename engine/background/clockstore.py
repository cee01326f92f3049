"""The demo's product date, shared by web, worker and beat processes through the database.

Only with IPT_CLOCK_ADJUSTABLE (the demo, `ipt simulate`): each request and each job starts by
reading it. In production the setting is off: the product runs on the real date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.clock import clock
from engine.models import ClockSetting


def sync(session) -> None:
    row = session.scalar(select(ClockSetting).order_by(ClockSetting.id.desc()).limit(1))
    if row is not None and row.today is not None and row.today != clock.today():
        clock.set_today(row.today)


def store(session, day: dt.date, by: str) -> None:
    row = session.scalar(select(ClockSetting).order_by(ClockSetting.id.desc()).limit(1))
    if row is None:
        row = ClockSetting()
        session.add(row)
    row.today, row.set_at, row.set_by = day, dt.datetime.now(dt.UTC), by
    clock.set_today(day)
