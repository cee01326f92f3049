"""Reminder timers of open tasks: rows written with the task, fired once by the daily run.

Each open task gets its due date (Schedule.due_date) and one timer per reminder point: N days
before (settings IPT_REMINDER_DAYS, default 7 and 2) and the day after the due date ("late",
escalated to the pôle). A point already past when the task opens is not written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from engine.clock import clock
from engine.db import is_postgres
from engine.models import Timer


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


def schedule_task(session, runtime, row, level: str | None) -> None:
    """Set `row.due_date` and write its reminder timers (called as the task row is created)."""
    row.due_date, points = plan(
        runtime, row.id, row.dossier_id, row.bpmn_id, row.stage, level, row.party
    )
    for values in points:
        session.add(Timer(**values))


def plan(
    runtime, task_id, dossier_id, bpmn_id, stage, level, party=None
) -> tuple[dt.date, list[dict]]:
    """(due date, the timer rows) of a task opening today: announced in the next daily digest
    ("nouvelle"; the parents get their personal link at once instead), reminded N days before
    its due date, and late the day after."""
    today = clock.today()
    due = runtime.schedule.due_date(bpmn_id, stage, level, today)
    points = [
        (f"J-{d}", "reminder", due - dt.timedelta(days=d)) for d in runtime.settings.reminder_days
    ]
    points.append(("retard", "late", due + dt.timedelta(days=1)))
    announce = []
    if party != "parents":
        announce.append(
            {
                "key": f"task:{task_id}:nouvelle",
                "kind": "new",
                "dossier_id": dossier_id,
                "human_task_id": task_id,
                "fire_at": midnight(today),
                "state": "pending",
                "payload": {"point": "nouvelle", "due_date": due.isoformat()},
            }
        )
    return due, announce + [
        {
            "key": f"task:{task_id}:{label}",
            "kind": kind,
            "dossier_id": dossier_id,
            "human_task_id": task_id,
            "fire_at": midnight(day),
            "state": "pending",
            "payload": {"point": label, "due_date": due.isoformat()},
        }
        for label, kind, day in points
        if day > today
    ]


def claim_due(session, day: dt.date, limit: int | None = None) -> list[Timer]:
    """Pending timers due by the end of `day`, locked for this transaction (others skip them)."""
    query = (
        select(Timer)
        .where(Timer.state == "pending", Timer.fire_at < midnight(day + dt.timedelta(days=1)))
        .order_by(Timer.fire_at, Timer.id)
    )
    if limit:
        query = query.limit(limit)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    timers = list(session.scalars(query))
    fired = []
    for timer in timers:
        # the conditional UPDATE decides on SQLite (one writer at a time) and re-checks on PG
        done = session.execute(
            update(Timer)
            .where(Timer.id == timer.id, Timer.state == "pending")
            .values(state="fired", fired_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:
            fired.append(timer)
    return fired
