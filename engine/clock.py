"""The one product clock: every "today" and "now" in the product comes from here.

Set at start with IPT_TODAY=YYYY-MM-DD (the date is fixed, the time of day runs); tests, scenarios
and the demo move it with `clock.set_today()`.
"""

from __future__ import annotations

import datetime as dt
import threading


class Clock:
    def __init__(self, today: dt.date | None = None):
        self._lock = threading.Lock()
        self._offset = dt.timedelta(0)
        if today:
            self.set_today(today)

    def now(self) -> dt.datetime:
        """Aware UTC datetime."""
        return dt.datetime.now(dt.UTC) + self._offset

    def today(self) -> dt.date:
        return self.now().date()

    def set_today(self, day: dt.date) -> None:
        with self._lock:
            real = dt.datetime.now(dt.UTC)
            self._offset = dt.datetime.combine(day, real.time(), dt.UTC) - real

    def advance(self, days: int = 1) -> None:
        with self._lock:
            self._offset += dt.timedelta(days=days)

    def reset(self) -> None:
        with self._lock:
            self._offset = dt.timedelta(0)


clock = Clock()


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes: they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
