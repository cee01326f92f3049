"""The tick: what beat asks for every few seconds, and what `ipt simulate` runs once per day.

Every step is keyed by the product day in the database (DailyRun, the campaign row, digest keys),
so a tick run twice, by two beats or after a restart, does the day's work once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from engine import calendar
from engine.background import campaigns, outbox, reminders
from engine.clock import clock
from engine.models import DailyRun

BRUSSELS = ZoneInfo("Europe/Brussels")


def local_hour() -> int:
    return clock.now().astimezone(BRUSSELS).hour


def tick(session_factory, runtime, *, any_hour: bool = False) -> dict:
    """Open/close the campaign on its dates, add late-comers to it once a day, send the day's
    reminder digests (from IPT_DIGEST_HOUR on), re-offer abandoned jobs."""
    today = clock.today()
    report = {}
    year = calendar.school_year_of(today)
    opens, _due = runtime.schedule.campaign_dates(year)
    with session_factory() as session:
        campaign = campaigns.get(session, year)
        if campaign is None and opens <= today <= calendar.last_day(year):
            try:
                campaign = campaigns.open_campaign(session, runtime, year, "ouverture automatique")
                session.commit()
                report["campagne_ouverte"] = campaign.total
            except campaigns.CampaignRunning:
                session.rollback()
                campaign = campaigns.get(session, year)
        elif campaign is not None and campaign.state == "ouverte":
            if today >= calendar.last_day(year):
                if _once(session, "campagne_cloture", today):
                    report["sans_decision"] = campaigns.close_campaign(session, runtime, campaign)
                    session.commit()
            elif today > campaign.opened_at.date() and _once(session, "campagne_rattrapage", today):
                added, _ = campaigns.enqueue_missing(
                    session, runtime, campaign, f"rattrapage-{today.isoformat()}"
                )
                report["campagne_ajoutes"] = added
                session.commit()
    if any_hour or local_hour() >= runtime.settings.digest_hour:
        with session_factory() as session:
            summary = reminders.run(session, runtime, today)
            if "skipped" not in summary:
                session.commit()
                report["rappels"] = summary
            else:
                session.rollback()
    with session_factory() as session:
        swept = outbox.sweep(session, runtime.settings.job_claim_timeout)
        session.commit()
        if swept:
            report["travaux_reproposes"] = swept
    return report


def _once(session, job: str, day: dt.date) -> bool:
    """Claim `job` for `day` as the transaction's first write (rolled back whole if taken)."""
    session.add(DailyRun(job=job, day=day, at=clock.now(), summary={}))
    try:
        session.flush()
        return True
    except IntegrityError:
        session.rollback()
        return False


def drain(session_factory, runtime, limit: int = 1_000_000) -> dict:
    """Do every due outbox job in this process, without a broker (simulation, embedded runs)."""
    counts: dict[str, int] = {}
    done = 0
    while done < limit:
        with session_factory() as session:
            batch = outbox.due_for_offer(session, limit=500)
            session.rollback()
        if not batch:
            break
        progressed = False
        for job_id, _kind in batch:
            outcome = outbox.process(session_factory, runtime, job_id)
            counts[outcome] = counts.get(outcome, 0) + 1
            progressed |= outcome in ("done", "failed", "cancelled")
            done += 1
        if not progressed:  # only retries left: they wait for their backoff
            break
    return counts
