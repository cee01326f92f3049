"""Celery tasks. Each is a thin call into engine.background; idempotent by the database."""

from __future__ import annotations

import logging

from celery.signals import task_prerun, worker_process_init

from engine.background import daily, outbox
from workers.app import app

log = logging.getLogger(__name__)
_state: dict = {}


def runtime_and_factory():
    """Built once per worker process (after the fork: never share a connection pool)."""
    if "runtime" not in _state:
        from engine.bootstrap import build_runtime

        _state["runtime"], _state["factory"] = build_runtime()
    return _state["runtime"], _state["factory"]


@worker_process_init.connect
def _reset_after_fork(**_kw):
    _state.clear()


@task_prerun.connect
def _sync_clock(**_kw):
    runtime, factory = runtime_and_factory()
    if runtime.settings.clock_adjustable:
        from engine.background import clockstore

        with factory() as session:
            clockstore.sync(session)


@app.task(name="ipt.relay", ignore_result=True)
def relay() -> int:
    """Hand the due outbox rows to the workers (marked offered only once the broker took them)."""
    runtime, factory = runtime_and_factory()
    with factory() as session:
        due = outbox.due_for_offer(session)
        sent = []
        for job_id, _kind in due:
            deliver.apply_async((job_id,), retry=False)
            sent.append(job_id)
        outbox.mark_offered(session, sent)
        session.commit()
    return len(sent)


@app.task(name="ipt.deliver", ignore_result=True)
def deliver(job_id: int) -> str:
    runtime, factory = runtime_and_factory()
    return outbox.process(factory, runtime, job_id)


@app.task(name="ipt.tick", ignore_result=True)
def tick() -> dict:
    runtime, factory = runtime_and_factory()
    report = daily.tick(factory, runtime)
    if report:
        log.warning("tick : %s", report)
    return report
