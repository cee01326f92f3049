"""Background work kept in the database (the broker is only a doorbell): timers, reminder
digests, the yearly campaign, once-a-day runs and the product clock of a demo."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Timer(Base):
    """Something due at `fire_at` (a reminder point of an open task): fired once, by whoever
    claims it first (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE elsewhere)."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # reminder | late
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    human_task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    fire_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    # pending | fired | cancelled
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    fired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class ReminderDigest(Base):
    """One e-mail per recipient and day, listing every task reminded that day."""

    __tablename__ = "reminder_digests"
    __table_args__ = (UniqueConstraint("recipient_key", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_key: Mapped[str] = mapped_column(String(80))  # user:1 | org:2 | guardian:3
    day: Mapped[dt.date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(200))
    items: Mapped[list] = mapped_column(JSON, default=list)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Campaign(Base):
    """The yearly prolongation campaign held during `school_year` (for `school_year + 1`)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer, unique=True)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="ouverte")  # ouverte | cloturee
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DailyRun(Base):
    """A once-a-day job done for a product day: beat restarts never run it twice."""

    __tablename__ = "daily_runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class ClockSetting(Base):
    """The product date of a demo, shared by the web and worker processes (only read when
    IPT_CLOCK_ADJUSTABLE is on; production runs on the real date)."""

    __tablename__ = "clock_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    today: Mapped[dt.date | None] = mapped_column(Date)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    set_by: Mapped[str] = mapped_column(String(200))
