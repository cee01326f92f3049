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


def relay_with(factory, send) -> int:
    """Hand the due outbox rows to `send(job_id)`; they are marked offered only once the broker
    took them all (if it is down, `send` raises, nothing is marked, the next relay tries again)."""
    with factory() as session:
        due = outbox.due_for_offer(session)
        sent = []
        try:
            for job_id, _kind in due:
                send(job_id)
                sent.append(job_id)
        finally:
            outbox.mark_offered(session, sent)
            session.commit()
    return len(sent)


@app.task(name="ipt.relay", ignore_result=True)
def relay() -> int:
    _runtime, factory = runtime_and_factory()
    return relay_with(factory, lambda job_id: deliver.apply_async((job_id,), retry=False))


@app.task(name="ipt.deliver", ignore_result=True)
def deliver(job_id: int) -> str:
    runtime, factory = runtime_and_factory()
    return outbox.process(factory, runtime, job_id)


@app.task(name="ipt.tick", ignore_result=True)
def tick() -> dict:
    runtime, factory = runtime_and_factory()
    report = daily.tick(factory, runtime)
    if report:
        from engine.clock import clock

        log.warning("tick du %s : %s", clock.today().isoformat(), report)
    return report
