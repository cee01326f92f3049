"""The daily reminder run: one digest e-mail per person per day, never one mail per task.

On a school day (weekends and holidays wait for the next school day), the run fires every
reminder timer due by that day, groups the open tasks by who they are addressed to (the users of
the addressed organisation holding a role of the lane, else the organisation's address; the
parents through a fresh personal link), escalates late tasks to the coordinators of the dossier's
pôle, writes one digest and one outbox e-mail per recipient, and records each reminder on the
dossier (who, when, which tasks). The whole run is one transaction keyed by its day: a second run
on the same day (a beat restart, a second worker) finds it done and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import audit
from engine.background import timers
from engine.clock import clock
from engine.context import Actor
from engine.dossiers import parent_links
from engine.models import (
    DailyRun,
    Dossier,
    Guardian,
    HumanTask,
    Membership,
    Organisation,
    OutboxMessage,
    ReminderDigest,
    User,
)

SYSTEM = Actor(label="Système (rappels)")
JOB = "rappels"


@dataclass
class Recipient:
    key: str
    email: str | None
    label: str
    guardian: Guardian | None = None
    items: list = field(default_factory=list)  # (kind, task, dossier, point)


def run(session, runtime, day: dt.date | None = None) -> dict:
    """Send the day's digests. Returns a summary; {'skipped': reason} when nothing is due."""
    day = day or clock.today()
    if not runtime.schedule.is_school_day(day):
        return {"skipped": "jour sans école : les rappels partiront le prochain jour d'école"}
    # The day's key is the run's first write: a second run fails here and rolls back whole
    # (no savepoint: on SQLite, pysqlite would commit it on its own).
    marker = DailyRun(job=JOB, day=day, at=clock.now(), summary={})
    session.add(marker)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return {"skipped": "déjà fait aujourd'hui"}
    fired = timers.claim_due(session, day)
    task_ids = {t.human_task_id for t in fired if t.human_task_id}
    tasks = (
        {
            t.id: t
            for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(task_ids)))
            if t.state == "open"
        }
        if task_ids
        else {}
    )
    recipients: dict[str, Recipient] = {}
    no_contact = []
    for timer in fired:
        task = tasks.get(timer.human_task_id)
        if task is None:
            timer.state = "cancelled"  # completed or cancelled since: nothing to remind
            continue
        dossier = session.get(Dossier, task.dossier_id)
        point = timer.payload.get("point")
        found = _addressees(session, task, dossier)
        if not found:
            no_contact.append((task, dossier))
        for rec in found:
            recipients.setdefault(rec.key, rec).items.append(("task", task, dossier, point))
        if timer.kind == "late":
            for rec in _coordinators(session, dossier):
                recipients.setdefault(rec.key, rec).items.append(("late", task, dossier, point))
    sent = 0
    for rec in recipients.values():
        if _digest(session, runtime, rec, day):
            sent += 1
    for task, dossier in no_contact:
        audit.record(
            session,
            SYSTEM,
            "rappel_sans_adresse",
            f"Rappel impossible pour « {task.name} » : aucune adresse de contact "
            "(ni personne ni adresse de l'organisation).",
            dossier.id,
            task_id=task.id,
        )
    summary = {"timers": len(fired), "digests": sent, "sans_adresse": len(no_contact)}
    marker.summary = summary
    return summary


def _addressees(session, task, dossier) -> list[Recipient]:
    if task.party == "parents":
        return [
            Recipient(f"guardian:{g.id}", g.email, g.display_name, guardian=g)
            for g in dossier.guardians
            if g.email
        ]
    if task.organisation_id is None:
        return []
    roles = [r for r in (task.roles or "").split(",") if r]
    users = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == task.organisation_id,
            Membership.role.in_(roles),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.id)
    ).all()
    found = [Recipient(f"user:{u.id}", u.email, u.full_name) for u in users if u.email]
    if found:
        return found
    org = session.get(Organisation, task.organisation_id)
    if org is not None and org.email:
        return [Recipient(f"org:{org.id}", org.email, org.name)]
    return []


def _coordinators(session, dossier) -> list[Recipient]:
    return pole_contacts(session, dossier.pole_id) if dossier.pole_id is not None else []


def pole_contacts(session, pole_id) -> list[Recipient]:
    """The pôle's active coordinators with an address, else the pôle's own address."""
    users = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == pole_id,
            Membership.role == "coordonnateur",
            User.active.is_(True),
        )
        .order_by(User.id)
    ).all()
    found = [Recipient(f"user:{u.id}", u.email, u.full_name) for u in users if u.email]
    if not found:
        pole = session.get(Organisation, pole_id)
        if pole is not None and pole.email:
            found = [Recipient(f"org:{pole.id}", pole.email, pole.name)]
    return found


def _pupil(dossier) -> str:
    return f"{dossier.pupil_first_name} {dossier.pupil_last_name[:1]}."


def _digest(session, runtime, rec: Recipient, day: dt.date) -> bool:
    base = runtime.settings.base_url
    seen = set()
    own, late = [], []
    mine = {task.id for kind, task, _d, _p in rec.items if kind == "task"}
    for kind, task, dossier, point in rec.items:
        if (kind, task.id) in seen or (kind == "late" and task.id in mine):
            continue  # a late task of one's own is listed once, with one's own tasks
        seen.add((kind, task.id))
        (own if kind == "task" else late).append((task, dossier, point))
    links = {}
    if rec.guardian is not None:
        dossier = session.get(Dossier, rec.guardian.dossier_id)
        raw = parent_links.issue(session, runtime, SYSTEM, dossier, rec.guardian, send=False)
        links[dossier.id] = f"{base}/p/{raw}"
    lines = [f"Bonjour {rec.label},", ""]
    if own:
        lines.append("Voici ce que l'on attend de vous dans les dossiers d'intégration (IPT) :")
        for task, dossier, _point in sorted(own, key=lambda x: (x[0].due_date, x[1].id)):
            overdue = task.due_date < day
            when = (
                f"en retard depuis le {task.due_date:%d/%m/%Y}"
                if overdue
                else f"à faire pour le {task.due_date:%d/%m/%Y}"
            )
            if _point == "nouvelle" and not overdue:
                when = f"nouvelle demande, à faire pour le {task.due_date:%d/%m/%Y}"
            link = links.get(dossier.id) or f"{base}/taches/{task.id}"
            lines.append(
                f"- Dossier {dossier.reference} ({_pupil(dossier)}) : {task.name} — {when}."
            )
            lines.append(f"  {link}")
        lines.append("")
    if late:
        lines.append("Tâches en retard dans les dossiers de votre pôle :")
        for task, dossier, _point in sorted(late, key=lambda x: (x[0].due_date, x[1].id)):
            lines.append(
                f"- Dossier {dossier.reference} ({_pupil(dossier)}) : {task.name} — "
                f"attendue le {task.due_date:%d/%m/%Y}."
            )
            lines.append(f"  {base}/dossiers/{dossier.id}")
        lines.append("")
    if rec.guardian is not None:
        lines.append(
            "Ce lien est personnel : ne le transmettez à personne. Il remplace les liens "
            "reçus auparavant, qui ne fonctionnent plus."
        )
    lines.append("Ce message est envoyé au plus une fois par jour. Merci de votre collaboration.")
    count = len(own) + len(late)
    subject = (
        f"IPT — rappel : {count} tâche{'s' if count > 1 else ''} en attente"
        if own
        else f"IPT — {count} tâche{'s' if count > 1 else ''} en retard dans votre pôle"
    )
    msg = OutboxMessage(
        kind="email",
        dossier_id=(own or late)[0][1].id if len({d.id for _, d, _ in own + late}) == 1 else None,
        recipient=rec.email,
        created_at=clock.now(),
        dedupe_key=f"digest:{rec.key}:{day.isoformat()}",
        payload={
            "subject": subject,
            "body": "\n".join(lines),
            "digest": rec.key,
            "dossier_ids": sorted({d.id for _, d, _ in own + late}),
        },
    )
    session.add(msg)
    session.flush()
    session.add(
        ReminderDigest(
            recipient_key=rec.key,
            day=day,
            email=rec.email,
            items=[
                {"kind": k, "task_id": t.id, "dossier_id": d.id, "point": p}
                for k, t, d, p in rec.items
            ],
            outbox_id=msg.id,
            created_at=clock.now(),
        )
    )
    by_dossier = defaultdict(list)
    for task, dossier, point in own:
        by_dossier[dossier.id].append((task, point, "rappel"))
    for task, dossier, point in late:
        by_dossier[dossier.id].append((task, point, "escalade"))
    for dossier_id, entries in by_dossier.items():
        names = "; ".join(
            f"{t.name}{' (en retard)' if kind == 'escalade' or t.due_date < day else ''}"
            for t, _p, kind in entries
        )
        escalated = all(kind == "escalade" for _t, _p, kind in entries)
        audit.record(
            session,
            SYSTEM,
            "escalade_retard" if escalated else "rappel_envoye",
            (
                f"Retard signalé au pôle ({rec.label}) : {names}"
                if escalated
                else f"Rappel envoyé à {rec.label} ({rec.email}) : {names}"
            )[:500],
            dossier_id,
            recipient=rec.key,
            outbox_id=msg.id,
            tasks=[t.id for t, _p, _k in entries],
        )
    return True
