"""Background work in the database (engine.background): due dates, reminder timers and daily
digests, the campaign (idempotent, crash-safe), the outbox through a real SMTP server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from engine import calendar
from engine.background import campaigns, daily, outbox, reminders, timers
from engine.clock import clock
from engine.config import Settings
from engine.context import Runtime
from engine.errors import ConfigError, RuleViolation, ValidationFailed
from engine.models import (
    AuditEvent,
    Campaign,
    DailyRun,
    HumanTask,
    Membership,
    Organisation,
    OutboxMessage,
    ProcessInstance,
    Prolongation,
    ReminderDigest,
    Timer,
    User,
)
from engine.seeding import seed_in_ipt
from tests.engine.driver import Driver, library
from tests.smtp import SMTPServer

OPENS = dt.date(2027, 5, 18)  # 8 weeks before 2 July 2027, moved past the spring holidays
DUE = dt.date(2027, 6, 18)  # 2 weeks before the last day


def runtime_with(settings, **over) -> Runtime:
    return Runtime(settings=dataclasses.replace(settings, **over), library=library())


@pytest.fixture
def rt(db_session, settings):
    Driver(db_session, settings, today=dt.date(2027, 4, 20))
    return runtime_with(settings, campaign_chunk_size=5)


@pytest.fixture
def seeded(db_session, rt):
    """12 dossiers in IPT in one fondamental EO school of one pôle."""
    ids = seed_in_ipt(db_session, 12, poles=1, schools_per_pole=1)
    db_session.commit()
    return ids


def open_and_run(session_factory, rt, day=OPENS):
    """Open the campaign on `day`, run its chunks and the day's digests (the new tasks are
    announced the day they open)."""
    clock.set_today(day)
    with session_factory() as s:
        campaign = campaigns.open_campaign(s, rt, 2026, "test")
        s.commit()
    daily.drain(session_factory, rt)
    if rt.schedule.is_school_day(day):
        with session_factory() as s:
            reminders.run(s, rt, day)
            s.commit()
    return campaign


def emails(session, include_opening_day=False):
    """The e-mails queued, without the opening day's announcements unless asked."""
    from engine.clock import as_utc

    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)
    ).all()
    return [m for m in rows if include_opening_day or as_utc(m.created_at).date() != OPENS]


# -- due dates --------------------------------------------------------------------------------
def test_due_dates_follow_deadlines_yaml_by_stage_level_and_campaign(rt):
    sch = rt.schedule
    # stage rule, moved off the weekend: 1 March + 20 days = Sunday 21 → Monday 22
    assert sch.due_date("x", "projet", "fondamental", dt.date(2027, 3, 1)) == dt.date(2027, 3, 22)
    # prolongation avis: the campaign's due date
    assert sch.due_date("avis_pole_prolongation", "prolongation", None, OPENS) == DUE
    # R-PROL-2: secondary class councils: 5 days before the last day (a Sunday → Monday 28)
    assert sch.due_date("avis_conseil_classe_eo", "prolongation", "secondaire", OPENS) == dt.date(
        2027, 6, 28
    )
    assert sch.due_date("avis_conseil_classe_eo", "prolongation", "fondamental", OPENS) == DUE
    # a task opened after the campaign's due date gets the default delay, not a past date
    late = sch.due_date("avis_pole_prolongation", "prolongation", None, dt.date(2027, 6, 17))
    assert late == dt.date(2027, 7, 2)


def test_a_due_date_never_falls_on_a_holiday_or_weekend(rt):
    day = dt.date(2026, 9, 1)
    while day < dt.date(2027, 6, 1):
        due = rt.schedule.due_date("x", "arret", None, day)
        assert rt.schedule.is_school_day(due), (day, due)
        day += dt.timedelta(days=1)


def test_bad_deadlines_file_is_refused_naming_the_rule(tmp_path, settings):
    from engine.background.schedule import load_deadlines

    path = tmp_path / "deadlines.yaml"
    path.write_text("default: {days: 15}\nstages:\n  projet: {weeks: 2}\n")
    with pytest.raises(ConfigError, match="stages.projet"):
        load_deadlines(path)
    path.write_text("default: {days: 15}\ntasks:\n  avis_x: {maternelle: {days: 3}}\n")
    with pytest.raises(ConfigError, match="maternelle"):
        load_deadlines(path)


def test_each_open_task_has_a_due_date_and_its_reminder_timers(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    rows = db_session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
    assert len(rows) == 12 and all(r.due_date == DUE for r in rows)
    keys = set(db_session.scalars(select(Timer.key)))
    for r in rows:  # 7 and 2 days before, and the day after (late)
        assert {f"task:{r.id}:J-7", f"task:{r.id}:J-2", f"task:{r.id}:retard"} <= keys


# -- reminders --------------------------------------------------------------------------------
def test_one_digest_per_person_per_day_never_one_mail_per_task(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    clock.set_today(DUE - dt.timedelta(days=7))
    with session_factory() as s:
        summary = reminders.run(s, rt)
        s.commit()
    assert summary["digests"] == 1 and summary["timers"] == 12
    mails = emails(db_session)
    assert len(mails) == 1
    body = mails[0].payload["body"]
    assert mails[0].recipient.startswith("direction.bulk")
    assert body.count("à faire pour le 18/06/2027") == 12
    assert "/taches/" in body
    # recorded on each dossier: who, when, which task
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rappel_envoye")
    ).all()
    assert {e.dossier_id for e in events} == set(seeded)
    assert all("Rappel envoyé à Direction" in e.summary for e in events)
    # a second run the same day (beat restarted, another worker) sends nothing more
    with session_factory() as s:
        assert reminders.run(s, rt) == {"skipped": "déjà fait aujourd'hui"}
    assert len(emails(db_session)) == 1


def test_no_reminder_on_a_weekend_it_goes_out_the_next_school_day(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    clock.set_today(dt.date(2027, 6, 12))  # Saturday after the J-7 point (Friday 11)
    with session_factory() as s:
        assert "skipped" in reminders.run(s, rt)
        s.rollback()
    assert emails(db_session) == []
    clock.set_today(dt.date(2027, 6, 14))  # Monday
    with session_factory() as s:
        assert reminders.run(s, rt)["digests"] == 1
        s.commit()
    assert len(emails(db_session)) == 1


def test_reminders_wait_for_the_end_of_a_holiday(db_session, session_factory, rt):
    """A J-7 point falling in the spring holidays (3–14 May 2027) goes out on Tuesday 18 May
    (Monday 17 is Whit Monday)."""
    ids = seed_in_ipt(db_session, 1, poles=1, schools_per_pole=1)
    db_session.commit()
    open_and_run(session_factory, rt, day=dt.date(2027, 4, 26))
    with session_factory() as s:  # make its due date fall so that J-7 is in the holidays
        task = s.scalar(select(HumanTask).where(HumanTask.dossier_id == ids[0]))
        s.execute(
            update(Timer)
            .where(Timer.human_task_id == task.id, Timer.key.like("%J-7"))
            .values(fire_at=timers.midnight(dt.date(2027, 5, 5)))
        )
        s.commit()
    for day in (dt.date(2027, 5, 5), dt.date(2027, 5, 12), dt.date(2027, 5, 17)):
        clock.set_today(day)
        with session_factory() as s:
            assert "skipped" in reminders.run(s, rt)
    clock.set_today(dt.date(2027, 5, 18))
    with session_factory() as s:
        assert reminders.run(s, rt)["digests"] == 1
        s.commit()


def test_late_tasks_are_escalated_to_the_poles_coordinator(db_session, session_factory, rt, seeded):
    open_and_run(session_factory, rt)
    clock.set_today(dt.date(2027, 6, 21))  # the day after the due date is a Saturday
    with session_factory() as s:
        reminders.run(s, rt)
        s.commit()
    by_to = {m.recipient: m.payload for m in emails(db_session)}
    coord = next(k for k in by_to if k.startswith("coordination.bulk"))
    direction = next(k for k in by_to if k.startswith("direction.bulk"))
    assert "en retard dans votre pôle" in by_to[coord]["subject"]
    assert by_to[coord]["body"].count("attendue le 18/06/2027") == 12
    assert by_to[direction]["body"].count("en retard depuis le 18/06/2027") == 12
    assert (
        db_session.scalar(select(func.count()).where(AuditEvent.action == "escalade_retard")) == 12
    )


def test_completed_tasks_are_not_reminded(db_session, session_factory, rt, seeded):
    open_and_run(session_factory, rt)
    db_session.execute(update(HumanTask).values(state="completed"))
    db_session.commit()
    clock.set_today(DUE - dt.timedelta(days=7))
    with session_factory() as s:
        assert reminders.run(s, rt)["digests"] == 0
        s.commit()
    assert emails(db_session) == []
    assert db_session.scalar(select(func.count()).where(Timer.state == "cancelled")) == 12


def test_parents_are_reminded_with_a_fresh_personal_link(db_session, session_factory, settings):
    drv = Driver(db_session, settings, today=dt.date(2026, 3, 20))
    rt = drv.runtime
    d = drv.proposition()
    parents = [t for t in db_session.scalars(select(HumanTask)) if t.party == "parents"]
    assert parents, "the proposition asks the parents"
    due = parents[0].due_date
    clock.set_today(due - dt.timedelta(days=2))
    while not rt.schedule.is_school_day(clock.today()):
        clock.advance(1)
    with session_factory() as s:
        reminders.run(s, rt)
        s.commit()
    guardian_mails = [
        m for m in emails(db_session) if m.payload.get("digest", "").startswith("guardian:")
    ]
    assert guardian_mails
    body = guardian_mails[-1].payload["body"]
    assert "/p/" in body and "/taches/" not in body
    raw = body.split("/p/")[1].split()[0]
    from engine.dossiers import parent_links

    link, guardian = parent_links.resolve(db_session, raw)
    assert link.dossier_id == d.id


def test_an_organisation_without_any_contact_is_recorded_not_a_crash(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    eo = db_session.scalar(select(Organisation).where(Organisation.fase.like("bulk-eo%")))
    eo.email = None
    for m in db_session.scalars(select(Membership).where(Membership.organisation_id == eo.id)):
        db_session.delete(m)
    db_session.commit()
    clock.set_today(DUE - dt.timedelta(days=7))
    with session_factory() as s:
        summary = reminders.run(s, rt)
        s.commit()
    assert summary["sans_adresse"] == 12
    assert (
        db_session.scalar(select(func.count()).where(AuditEvent.action == "rappel_sans_adresse"))
        == 12
    )
    with session_factory() as s:
        data = campaigns.progress(s, 2026)
    assert {p["dossier_id"] for p in data["no_contact"]} == set(seeded)


def test_two_workers_polling_timers_at_the_same_moment_fire_each_once(session_factory, rt, seeded):
    open_and_run(session_factory, rt)
    clock.set_today(DUE - dt.timedelta(days=7))
    barrier = threading.Barrier(2)
    fired, errors = [], []

    def poll():
        try:
            with session_factory() as s:
                barrier.wait()
                got = timers.claim_due(s, clock.today())
                s.commit()
                fired.extend(t.key for t in got)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(fired) == len(set(fired)) == 12  # the 12 J-7 points, each once


def test_two_daily_runs_at_the_same_moment_send_one_digest(session_factory, rt, seeded):
    open_and_run(session_factory, rt)
    clock.set_today(DUE - dt.timedelta(days=7))
    barrier = threading.Barrier(2)
    results = []

    def run():
        with session_factory() as s:
            barrier.wait()
            try:
                results.append(reminders.run(s, rt))
                s.commit()
            except Exception as exc:  # noqa: BLE001 — the loser may fail on the unique day key
                s.rollback()
                results.append({"error": type(exc).__name__})

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_factory() as s:
        day = DUE - dt.timedelta(days=7)
        assert s.scalar(select(func.count(ReminderDigest.id)).where(ReminderDigest.day == day)) == 1
        assert (
            s.scalar(
                select(func.count(DailyRun.id)).where(
                    DailyRun.job == "rappels", DailyRun.day == day
                )
            )
            == 1
        )
        assert (
            s.scalar(
                select(func.count(Timer.id)).where(Timer.state == "fired", Timer.key.like("%:J-7"))
            )
            == 12
        )


def test_new_tasks_are_announced_in_the_digest_of_the_day_they_open(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    opening = emails(db_session, include_opening_day=True)
    assert len(opening) == 1  # one direction, 12 new tasks, one mail
    assert opening[0].payload["body"].count("nouvelle demande, à faire pour le 18/06/2027") == 12


# -- the outbox through a real SMTP server ----------------------------------------------------
@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


def queue(session, to, dossier_id=None, subject="Objet"):
    msg = OutboxMessage(
        kind="email",
        recipient=to,
        dossier_id=dossier_id,
        created_at=clock.now(),
        payload={"subject": subject, "body": "Bonjour,\nun message de test."},
    )
    session.add(msg)
    session.commit()
    return msg.id


def test_mail_goes_through_smtp_once(db_session, session_factory, settings, smtp):
    rt = runtime_with(settings, smtp_url=smtp.url)
    job = queue(db_session, "direction@ecole.example", subject="IPT — rappel : 2 tâches")
    assert outbox.process(session_factory, rt, job) == "done"
    assert outbox.process(session_factory, rt, job) == "skipped"  # never sent twice
    got = smtp.recorder.to("direction@ecole.example")
    assert len(got) == 1
    assert got[0]["Subject"] == "IPT — rappel : 2 tâches"
    assert got[0]["Message-ID"] == f"<outbox-{job}@ipt.fwb>"
    db_session.expire_all()
    assert db_session.get(OutboxMessage, job).status == "sent"


def test_a_refused_recipient_is_recorded_on_the_dossier_and_the_others_still_sent(
    db_session, session_factory, settings, smtp, seeded
):
    rt = runtime_with(settings, smtp_url=smtp.url)
    bad = queue(db_session, "refuse@ecole.example", dossier_id=seeded[0])
    good = queue(db_session, "ok@ecole.example", dossier_id=seeded[1])
    assert daily.drain(session_factory, rt) == {"failed": 1, "done": 1}
    db_session.expire_all()
    assert db_session.get(OutboxMessage, bad).status == "failed"
    assert "550" in db_session.get(OutboxMessage, bad).last_error
    assert db_session.get(OutboxMessage, good).status == "sent"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "courriel_refuse"))
    assert event.dossier_id == seeded[0] and "refuse@ecole.example" in event.summary
    assert len(smtp.recorder.to("ok@ecole.example")) == 1


def test_a_failed_send_is_retried_never_lost(db_session, session_factory, settings, smtp):
    from tests.smtp import free_port

    down = runtime_with(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    job = queue(db_session, "direction@ecole.example")
    assert outbox.process(session_factory, down, job) == "retry"
    db_session.expire_all()
    row = db_session.get(OutboxMessage, job)
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert outbox.process(session_factory, down, job) == "skipped"  # waits for its backoff
    db_session.execute(update(OutboxMessage).values(available_at=None))  # the backoff has passed
    db_session.commit()
    up = runtime_with(settings, smtp_url=smtp.url)
    assert outbox.process(session_factory, up, job) == "done"
    assert len(smtp.recorder.to("direction@ecole.example")) == 1


def test_after_the_last_attempt_a_mail_is_failed_and_shown(
    db_session, session_factory, settings, seeded
):
    from tests.smtp import free_port

    down = runtime_with(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}", mail_max_attempts=2)
    job = queue(db_session, "direction@ecole.example", dossier_id=seeded[0])
    assert outbox.process(session_factory, down, job) == "retry"
    db_session.execute(update(OutboxMessage).values(available_at=None))
    db_session.commit()
    assert outbox.process(session_factory, down, job) == "failed"
    db_session.expire_all()
    assert db_session.get(OutboxMessage, job).status == "failed"
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "courriel_echec"))


def test_the_embedded_default_writes_the_mail_to_the_smtp_log(
    db_session, session_factory, settings
):
    rt = runtime_with(settings, smtp_url=None)
    job = queue(db_session, "direction@ecole.example", subject="IPT — rappel")
    assert outbox.process(session_factory, rt, job) == "done"
    folder = settings.instance_dir / "mail"
    assert "direction@ecole.example : IPT — rappel" in (folder / "smtp.log").read_text()
    assert len(list(folder.glob("*.eml"))) == 1


# -- the campaign -----------------------------------------------------------------------------
def test_the_campaign_starts_one_prolongation_per_dossier_even_run_twice(
    db_session, session_factory, rt, seeded
):
    campaign = open_and_run(session_factory, rt)
    assert (campaign.total, campaign.chunks) == (12, 3)
    with session_factory() as s:
        with pytest.raises(campaigns.CampaignRunning):
            campaigns.open_campaign(s, rt, 2026, "encore")
    # every chunk offered and done again (a duplicated message): still one each
    db_session.execute(update(OutboxMessage).values(status="pending"))
    db_session.commit()
    daily.drain(session_factory, rt)
    assert db_session.scalar(select(func.count(Prolongation.id))) == 12
    assert (
        db_session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_id == "prolongation_ipt"
            )
        )
        == 12
    )
    assert db_session.scalar(select(func.count(Campaign.id))) == 1


def test_a_crash_halfway_through_a_chunk_loses_and_duplicates_nothing(
    db_session, session_factory, rt, seeded, monkeypatch
):
    from engine.dossiers import prolongations

    real = prolongations._insert_built
    calls = {"n": 0}

    def crashing(*a, **kw):
        calls["n"] += 1
        real(*a, **kw)
        if calls["n"] == 2:  # the second chunk's rows are written, not yet committed
            raise SystemExit("worker killed")

    monkeypatch.setattr(prolongations, "_insert_built", crashing)
    clock.set_today(OPENS)
    with session_factory() as s:
        campaigns.open_campaign(s, rt, 2026, "test")
        s.commit()
    with pytest.raises(SystemExit):
        daily.drain(session_factory, rt)
    assert db_session.scalar(select(func.count(Prolongation.id))) == 5  # chunk 2 rolled back
    monkeypatch.setattr(prolongations, "_insert_built", real)
    with session_factory() as s:
        assert outbox.sweep(s, timeout_seconds=0) == 1  # the abandoned chunk is offered again
        s.commit()
    daily.drain(session_factory, rt)
    assert db_session.scalar(select(func.count(Prolongation.id))) == 12
    assert db_session.scalar(select(func.count(func.distinct(Prolongation.dossier_id)))) == 12


@pytest.mark.parametrize(
    "year, message",
    [("20x6", "invalide"), ("2026-2028", "invalide"), ("", "invalide")],
)
def test_campaign_year_malformed(year, message):
    with pytest.raises(ValidationFailed, match=message):
        campaigns.parse_year(year)


def test_campaign_for_a_past_or_future_year_is_refused(db_session, rt):
    clock.set_today(OPENS)
    with pytest.raises(RuleViolation, match="passée"):
        campaigns.open_campaign(db_session, rt, 2025, "test")
    with pytest.raises(RuleViolation, match="pas encore"):
        campaigns.open_campaign(db_session, rt, 2027, "test")
    assert db_session.scalar(select(func.count(Campaign.id))) == 0


def test_campaign_date_settings_are_checked_at_start_up(settings):
    with pytest.raises(ConfigError, match="IPT_CAMPAIGN_OPEN_DATE"):
        Settings.from_env({"IPT_CAMPAIGN_OPEN_DATE": "demain"})
    rt = runtime_with(settings, campaign_due_date=dt.date(2027, 8, 15))
    with pytest.raises(ConfigError, match="IPT_CAMPAIGN_DUE_DATE"):
        rt.schedule.check_settings(dt.date(2027, 3, 1))
    rt = runtime_with(
        settings,
        campaign_open_date=dt.date(2027, 6, 1),
        campaign_due_date=dt.date(2027, 5, 20),
    )
    with pytest.raises(ConfigError, match="doit suivre"):
        rt.schedule.check_settings(dt.date(2027, 3, 1))
    with pytest.raises(ConfigError, match="IPT_REMINDER_DAYS"):
        Settings.from_env({"IPT_REMINDER_DAYS": "7,deux"})


def test_the_tick_opens_the_campaign_on_its_date_once(db_session, session_factory, rt, seeded):
    clock.set_today(OPENS - dt.timedelta(days=1))
    assert "campagne_ouverte" not in daily.tick(session_factory, rt, any_hour=True)
    clock.set_today(OPENS)
    assert daily.tick(session_factory, rt, any_hour=True)["campagne_ouverte"] == 12
    for _restart in range(2):  # beat restarted twice the same day
        assert "campagne_ouverte" not in daily.tick(session_factory, rt, any_hour=True)
    assert db_session.scalar(select(func.count(Campaign.id))) == 1


def test_late_comers_join_the_open_campaign_the_next_day(db_session, session_factory, rt, seeded):
    open_and_run(session_factory, rt)
    more = seed_in_ipt(db_session, 3, poles=1, schools_per_pole=1, tag="tard")
    db_session.commit()
    clock.set_today(OPENS + dt.timedelta(days=1))
    assert daily.tick(session_factory, rt, any_hour=True)["campagne_ajoutes"] == 3
    daily.drain(session_factory, rt)
    got = set(db_session.scalars(select(Prolongation.dossier_id)))
    assert set(more) <= got and len(got) == 15


def test_at_the_last_day_undecided_dossiers_are_flagged_and_escalated(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    last = calendar.last_day(2026)
    clock.set_today(last)
    assert daily.tick(session_factory, rt, any_hour=True)["sans_decision"] == 12
    assert "sans_decision" not in daily.tick(session_factory, rt, any_hour=True)
    flagged = db_session.scalars(select(Prolongation).where(Prolongation.flagged_at.is_not(None)))
    assert len(flagged.all()) == 12
    mail = [m for m in emails(db_session) if "sans décision" in m.payload["subject"]]
    assert len(mail) == 1 and mail[0].recipient.startswith("coordination.bulk")
    with session_factory() as s:
        data = campaigns.progress(s, 2026)
    assert data["total"]["flagged"] == 12 and data["campaign"].state == "cloturee"


def test_progress_counts_per_pole(db_session, session_factory, rt):
    seed_in_ipt(db_session, 10, poles=2, schools_per_pole=1)
    db_session.commit()
    open_and_run(session_factory, rt)
    with session_factory() as s:
        data = campaigns.progress(s, 2026)
    assert data["expected"] == 10 and data["percent"] == 100
    assert data["chunks_done"] == data["chunks_total"] == 2
    assert [c["started"] for _name, c in data["per_pole"]] == [5, 5]
    assert data["total"]["waiting"] == 10
    assert sum(data["waiting_for"].values()) == 10
    csv_text = campaigns.progress_csv(data)
    assert csv_text.splitlines()[0].startswith("Pôle;Dossiers en IPT")
    assert csv_text.splitlines()[-1].startswith("Total;10;10")


def test_users_without_email_are_skipped_for_the_organisation_address(
    db_session, session_factory, rt, seeded
):
    open_and_run(session_factory, rt)
    for u in db_session.scalars(select(User).where(User.email.like("direction.bulk%"))):
        u.active = False
    db_session.commit()
    clock.set_today(DUE - dt.timedelta(days=7))
    with session_factory() as s:
        reminders.run(s, rt)
        s.commit()
    assert [m.recipient for m in emails(db_session)] == [
        db_session.scalar(select(Organisation.email).where(Organisation.fase.like("bulk-eo%")))
    ]
