"""The workers' reliability on real Celery processes, Redis and PostgreSQL (issue 4):
a worker killed halfway through the campaign, Redis unreachable, beat restarted twice on the
same day, two workers polling timers at the same moment."""

from __future__ import annotations

import datetime as dt

import pytest
from kombu.exceptions import OperationalError
from sqlalchemy import func, select

from engine.background import campaigns, daily, timers
from engine.bootstrap import build_runtime
from engine.clock import clock
from engine.models import (
    Campaign,
    OutboxMessage,
    ProcessInstance,
    Prolongation,
    ReminderDigest,
    Timer,
)
from engine.seeding import seed_in_ipt
from tests.smtp import SMTPServer, free_port
from tests.workers.conftest import settings_for, wait_for
from workers.app import make_celery
from workers.tasks import relay_with

OPENS = dt.date(2027, 5, 18)
J7 = dt.date(2027, 6, 11)  # 7 days before the avis are due (18 June)


def count(factory, query):
    with factory() as s:
        return s.scalar(query)


def chunks_left(factory):
    return count(
        factory,
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "campaign_chunk", OutboxMessage.status != "sent"
        ),
    )


def runtime_for(url, instance, **env):
    runtime, factory = build_runtime(settings_for(url, instance, **env))
    factory.kw["bind"].dispose()
    return runtime


def publisher(broker_url, instance):
    app = make_celery(settings_for("sqlite://", instance, IPT_BROKER_URL=broker_url))
    return app, lambda job_id: app.send_task("ipt.deliver", (job_id,), retry=False)


def test_a_worker_killed_halfway_through_the_campaign_loses_and_duplicates_nothing(
    pg, broker_url, processes, tmp_path
):
    url, factory = pg
    clock.set_today(OPENS)
    runtime = runtime_for(url, tmp_path, IPT_CAMPAIGN_CHUNK_SIZE="25")
    with factory() as s:
        ids = seed_in_ipt(s, 600)
        s.commit()
        campaigns.open_campaign(s, runtime, 2026, "test")
        s.commit()
    app, send = publisher(broker_url, tmp_path)
    assert relay_with(factory, send) == 24
    first = processes.start("worker", "--pool", "solo", IPT_TODAY=OPENS)
    wait_for(
        lambda: count(factory, select(func.count(Prolongation.id))) >= 100,
        what="the first worker to start prolongations",
    )
    processes.kill(first)  # SIGKILL, halfway through
    killed_at = count(factory, select(func.count(Prolongation.id)))
    assert killed_at < 600, "the worker must be killed before the end"
    processes.start("worker", "--pool", "solo", IPT_TODAY=OPENS, IPT_JOB_CLAIM_TIMEOUT=1)
    processes.start(
        "beat", IPT_TODAY=OPENS
    )  # its tick sweeps the abandoned chunk, its relay offers it

    wait_for(lambda: chunks_left(factory) == 0, timeout=120, what="every chunk done")
    assert count(factory, select(func.count(Prolongation.id))) == 600
    assert count(factory, select(func.count(func.distinct(Prolongation.dossier_id)))) == 600
    assert (
        count(
            factory,
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_id == "prolongation_ipt"
            ),
        )
        == 600
    )
    with factory() as s:
        assert set(s.scalars(select(Prolongation.dossier_id))) == set(ids)
    app.close()


def test_redis_unreachable_the_web_keeps_working_and_the_jobs_run_when_it_is_back(
    pg, broker_url, processes, tmp_path
):
    from tests.web.conftest import Browser
    from tests.web.helpers import open_dossier
    from web import create_app

    url, factory = pg
    dead = f"redis://127.0.0.1:{free_port()}/0"
    web = create_app(
        {
            "IPT_DATABASE_URL": url,
            "IPT_INSTANCE_DIR": str(tmp_path / "web"),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_TODAY": "2026-01-12",
            "IPT_BROKER_URL": dead,
            "TESTING": True,
        }
    )
    from engine.config import ROOT
    from engine.directory import import_directory, load_directory_file

    with factory() as s:
        import_directory(s, load_directory_file(ROOT / "demo" / "directory.yaml"))
        s.commit()
    browser = Browser(web.test_client())
    assert browser.login("direction.es@demo.ipt").status_code == 302
    with factory() as s:
        dossier = open_dossier(browser, s)  # a proposition: its mails wait in the outbox
    with factory() as s:
        pending = {
            m.id: m.recipient
            for m in s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dossier_id == dossier.id, OutboxMessage.status == "pending"
                )
            )
        }
    assert pending
    # the relay cannot reach Redis: nothing is lost, nothing is marked offered
    app_dead, send_dead = publisher(dead, tmp_path)
    app_dead.conf.broker_connection_timeout = 1
    with pytest.raises(OperationalError):
        relay_with(factory, send_dead)
    app_dead.close()
    assert (
        count(
            factory,
            select(func.count(OutboxMessage.id)).where(OutboxMessage.offered_at.is_not(None)),
        )
        == 0
    )
    # Redis is back: the beat's relay offers them, a worker sends them through SMTP
    with SMTPServer() as smtp:
        env = {"IPT_TODAY": "2026-01-12", "IPT_SMTP_URL": smtp.url}
        processes.start("worker", "--pool", "solo", **env)
        processes.start("beat", **env)
        wait_for(
            lambda: (
                count(
                    factory,
                    select(func.count(OutboxMessage.id)).where(
                        OutboxMessage.id.in_(list(pending)), OutboxMessage.status == "sent"
                    ),
                )
                == len(pending)
            ),
            what="the pending mails sent",
        )
        for recipient in pending.values():
            assert len(smtp.recorder.to(recipient)) == 1
    web.extensions["ipt_session_factory"].kw["bind"].dispose()


def test_beat_restarted_twice_the_same_day_opens_the_campaign_once_and_sends_each_digest_once(
    pg, broker_url, processes, tmp_path
):
    url, factory = pg
    clock.set_today(OPENS - dt.timedelta(days=1))
    runtime_for(url, tmp_path)  # stores the process versions
    with factory() as s:
        seed_in_ipt(s, 40, poles=2, schools_per_pole=2)
        s.commit()
    with SMTPServer() as smtp:
        env = {"IPT_TODAY": OPENS, "IPT_SMTP_URL": smtp.url}
        processes.start("worker", "--pool", "solo", **env)
        for _ in range(3):  # started, restarted, restarted again: the same day
            beat = processes.start("beat", **env)
            wait_for(lambda: count(factory, select(func.count(Campaign.id))) == 1, what="campaign")
            processes.kill(beat)
        wait_for(lambda: chunks_left(factory) == 0, what="every chunk done")
        assert count(factory, select(func.count(Campaign.id))) == 1
        assert count(factory, select(func.count(Prolongation.id))) == 40

        # the day of the J-7 reminders (a new day for every process): beat restarted twice
        processes.stop_all()
        env = {"IPT_TODAY": J7, "IPT_SMTP_URL": smtp.url}
        processes.start("worker", "--pool", "solo", **env)
        for _ in range(3):
            beat = processes.start("beat", **env)
            wait_for(
                lambda: (
                    count(
                        factory,
                        select(func.count(ReminderDigest.id)).where(ReminderDigest.day == J7),
                    )
                    > 0
                ),
                what="the day's digests",
            )
            processes.kill(beat)
        digests = count(
            factory, select(func.count(ReminderDigest.id)).where(ReminderDigest.day == J7)
        )
        # the four EO directions: the new tasks are announced (they opened after the opening
        # day's run) and, for the two fondamental schools, their J-7 reminder — one mail each
        assert digests == 4
        beat = processes.start("beat", **env)  # the relay sends them
        wait_for(lambda: len(smtp.recorder.messages) >= digests, what="digests sent")
        with factory() as s:
            sent = s.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.dedupe_key.like(f"digest:%:{J7.isoformat()}"),
                    OutboxMessage.status == "sent",
                )
            )
        assert sent == digests
        per_day = {}
        for r, m in smtp.recorder.messages:
            key = (tuple(r), "nouvelle demande" in m.get_content())
            per_day[key] = per_day.get(key, 0) + 1
        assert all(n == 1 for n in per_day.values()), per_day  # each digest once


def test_two_workers_polling_timers_at_the_same_moment_fire_each_timer_once(
    pg, broker_url, processes, tmp_path
):
    url, factory = pg
    clock.set_today(OPENS)
    runtime = runtime_for(url, tmp_path)
    with factory() as s:
        seed_in_ipt(s, 30, poles=1, schools_per_pole=3)
        s.commit()
        campaigns.open_campaign(s, runtime, 2026, "test")
        s.commit()
    daily.drain(factory, runtime)
    due = count(
        factory,
        select(func.count(Timer.id)).where(
            Timer.state == "pending", Timer.fire_at < timers.midnight(J7 + dt.timedelta(days=1))
        ),
    )
    assert due == 50  # 30 announcements + the J-7 points of the two fondamental schools
    app, _send = publisher(broker_url, tmp_path)
    for _ in range(2):
        processes.start("worker", "--pool", "solo", IPT_TODAY=J7)
    wait_for(lambda: len(app.control.ping(timeout=0.5)) == 2, what="two workers up")
    for _ in range(10):  # ten ticks at once, shared by the two workers
        app.send_task("ipt.tick", retry=False)
    wait_for(
        lambda: count(factory, select(func.count(ReminderDigest.id))) == 3,
        what="the day's digests",
    )
    with factory() as s:
        fired = s.scalars(select(Timer).where(Timer.state == "fired")).all()
        assert len(fired) == due  # each once: a timer fires one time or not at all
        assert s.scalar(select(func.count(ReminderDigest.id))) == 3  # one per direction
    app.close()
