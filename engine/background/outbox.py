"""The outbox: work to do after commit (e-mails, campaign chunks). A row is written in the same
transaction as the change that caused it; the relay offers due rows to the workers (Celery is
only the doorbell); a worker claims a row with a conditional UPDATE, does the work and marks it
done; the sweeper offers again rows claimed too long ago (a killed worker).

Leases (offered_at, claimed_at) use the wall clock, not the product clock: a demo moving the date
by a month must not make a running job look abandoned.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from sqlalchemy import or_, select, update

from engine import audit
from engine.background import mail
from engine.context import Actor
from engine.models import OutboxMessage

log = logging.getLogger(__name__)

SYSTEM = Actor(label="Système (envoi des courriels)")
REOFFER_AFTER = dt.timedelta(seconds=60)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def wall_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def due_for_offer(session, limit: int = 500) -> list[tuple[int, str]]:
    """(id, kind) of pending rows to hand to the workers; marks them offered (commit after the
    broker accepted them: if it is down, nothing is marked and the next relay tries again)."""
    now = wall_now()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.kind)
        .where(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.available_at.is_(None), OutboxMessage.available_at <= now),
            or_(
                OutboxMessage.offered_at.is_(None), OutboxMessage.offered_at <= now - REOFFER_AFTER
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return [(r.id, r.kind) for r in rows]


def mark_offered(session, ids) -> None:
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)))
            .values(offered_at=wall_now())
            .execution_options(synchronize_session=False)
        )


def claim(session, job_id: int, worker: str = WORKER) -> OutboxMessage | None:
    """Take the row if still pending and due; None if someone else has it or it is done."""
    now = wall_now()
    done = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == job_id,
            OutboxMessage.status == "pending",
            or_(OutboxMessage.available_at.is_(None), OutboxMessage.available_at <= now),
        )
        .values(
            status="claimed",
            claimed_at=now,
            claimed_by=worker,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return None
    return session.get(OutboxMessage, job_id, populate_existing=True)


def sweep(session, timeout_seconds: int) -> int:
    """Rows claimed longer than the timeout go back to pending (the worker died)."""
    limit = wall_now() - dt.timedelta(seconds=timeout_seconds)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "claimed", OutboxMessage.claimed_at < limit)
        .values(status="pending", claimed_by=None, offered_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def process(session_factory, runtime, job_id: int, worker: str = WORKER) -> str:
    """Do one outbox row: 'done', 'retry', 'failed' or 'skipped' (not ours / already done)."""
    with session_factory() as session:
        job = claim(session, job_id, worker)
        session.commit()
    if job is None:
        return "skipped"
    if job.kind == "email":
        return _deliver_email(session_factory, runtime, job)
    if job.kind == "campaign_chunk":
        from engine.background import campaigns

        return campaigns.run_chunk(session_factory, runtime, job)
    with session_factory() as session:
        _fail(session, job.id, f"type de travail inconnu : {job.kind}")
        session.commit()
    return "failed"


def _deliver_email(session_factory, runtime, job) -> str:
    settings = runtime.settings
    payload = job.payload or {}
    if not job.recipient:
        with session_factory() as session:
            _fail(session, job.id, "aucune adresse de destination")
            _record(
                session,
                job,
                "courriel_sans_adresse",
                "Courriel non envoyé : aucune adresse de contact.",
            )
            session.commit()
        return "failed"
    msg = mail.build(
        settings, job.id, job.recipient, payload.get("subject", "IPT"), payload.get("body", "")
    )
    try:
        mail.send(settings, msg)
    except mail.RecipientRefused as err:
        with session_factory() as session:
            _fail(session, job.id, str(err))
            _record(
                session,
                job,
                "courriel_refuse",
                f"Courriel refusé par le serveur pour {job.recipient} : {err}"[:480],
            )
            session.commit()
        return "failed"
    except mail.TransientMailError as err:
        with session_factory() as session:
            outcome = _retry(session, job, str(err), settings.mail_max_attempts)
            if outcome == "failed":
                _record(
                    session,
                    job,
                    "courriel_echec",
                    f"Courriel pour {job.recipient} non envoyé après {job.attempts} essais : {err}"[
                        :480
                    ],
                )
            session.commit()
        return outcome
    with session_factory() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == job.id)
            .values(status="sent", sent_at=wall_now(), last_error=None)
        )
        session.commit()
    return "done"


def _link_is_dead(session_factory, link_id) -> bool:
    from engine.clock import as_utc, clock
    from engine.models import ParentLink

    with session_factory() as session:
        link = session.get(ParentLink, link_id)
        return link is None or link.revoked_at is not None or as_utc(link.expires_at) <= clock.now()


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _retry(session, job, error: str, max_attempts: int) -> str:
    if job.attempts >= max_attempts:
        _fail(session, job.id, error)
        return "failed"
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == job.id)
        .values(
            status="pending",
            available_at=wall_now() + backoff(job.attempts),
            offered_at=None,
            last_error=error[:500],
        )
    )
    return "retry"


def _fail(session, job_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == job_id)
        .values(status="failed", last_error=error[:500])
    )


def _record(session, job, action: str, summary: str) -> None:
    """On the dossier the mail was about (each dossier of a digest)."""
    ids = [job.dossier_id] if job.dossier_id else (job.payload or {}).get("dossier_ids") or []
    for dossier_id in ids:
        audit.record(session, SYSTEM, action, summary, dossier_id, outbox_id=job.id)
    if not ids:
        log.warning("%s (outbox %s)", summary, job.id)
