"""The yearly prolongation campaign (R-PROL-1…7 for every dossier in IPT).

Held during school year Y for Y+1: it opens on its date (settings; default 8 weeks before the
last day of Y), or by hand (`ipt campaign start Y`, the administration's button). Opening writes
the campaign row and one outbox job per chunk of dossiers, in one transaction; workers take the
chunks and call `prolongations.ensure_prolongation`, idempotent: run twice, or again after a
crash, each dossier has exactly one prolongation. While the campaign is open, a daily catch-up
adds the dossiers that entered IPT since (or whose stop request was not retained). On the last
day of Y, prolongations without a decision are flagged and escalated to the pôle.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from engine import audit, calendar
from engine.background import reminders
from engine.background.outbox import wall_now
from engine.clock import clock
from engine.context import Actor
from engine.dossiers import prolongations
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from engine.models import (
    Campaign,
    Dossier,
    HumanTask,
    Membership,
    Organisation,
    OutboxMessage,
    Prolongation,
    User,
)

_YEAR = re.compile(r"^\s*(\d{4})(?:\s*-\s*(\d{4}))?\s*$")


class CampaignRunning(RuleViolation):
    """The year's campaign is already open: the caller shows its progress instead."""

    code = "campagne_ouverte"

    def __init__(self, message, campaign):
        super().__init__(message)
        self.campaign = campaign


def actor_for(year: int) -> Actor:
    return Actor(label=f"Campagne de prolongation {calendar.label(year)}")


def parse_year(text) -> int:
    """'2026' or '2026-2027' → 2026 (the school year during which the campaign runs)."""
    match = _YEAR.match(str(text))
    if not match or (match[2] and int(match[2]) != int(match[1]) + 1):
        message = (
            f"Année « {text} » invalide : donnez l'année scolaire de la campagne, "
            "par exemple 2026 ou 2026-2027."
        )
        raise ValidationFailed({"year": message}, message)
    return int(match[1])


def current_year() -> int:
    return calendar.school_year_of(clock.today())


def get(session, year: int) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.school_year == year))


def open_campaign(session, runtime, year: int, opened_by: str) -> Campaign:
    """Open the campaign of school year `year` (its prolongations are for `year + 1`)."""
    today = clock.today()
    current = current_year()
    if year < current:
        raise RuleViolation(
            f"La campagne {calendar.label(year)} est passée : l'année scolaire en cours est "
            f"{calendar.label(current)}."
        )
    if year > current or today > calendar.last_day(year):
        raise RuleViolation(
            f"La campagne {calendar.label(year)} ne peut pas encore s'ouvrir : elle se tient "
            f"pendant l'année scolaire {calendar.label(year)}."
        )
    existing = get(session, year)
    if existing is not None:
        raise CampaignRunning(
            f"La campagne {calendar.label(year)} est déjà ouverte depuis le "
            f"{existing.opened_at:%d/%m/%Y} ({existing.opened_by}).",
            existing,
        )
    opens, due = runtime.schedule.campaign_dates(year)
    campaign = Campaign(
        school_year=year,
        opens_on=opens,
        due_on=due,
        opened_at=clock.now(),
        opened_by=opened_by,
        state="ouverte",
    )
    session.add(campaign)
    try:  # the transaction's first write (no savepoint: see reminders.run)
        session.flush()
    except IntegrityError:  # opened at the same moment elsewhere (beat and the button)
        session.rollback()
        raise CampaignRunning(
            f"La campagne {calendar.label(year)} vient d'être ouverte.", get(session, year)
        ) from None
    total, chunks = enqueue_missing(session, runtime, campaign, "ouverture")
    campaign.total = total
    campaign.chunks = chunks
    audit.record(
        session,
        actor_for(year),
        "campagne_ouverte",
        f"Campagne de prolongation {calendar.label(year)} ouverte par {opened_by} : "
        f"{total} dossiers en IPT, avis attendus pour le {due:%d/%m/%Y}.",
    )
    return campaign


def in_ipt(year: int):
    """Dossiers in IPT during school year `year` (not those whose IPT only starts later)."""
    return (Dossier.status == "ipt_en_place") & (Dossier.ipt_start_date <= calendar.last_day(year))


def enqueue_missing(session, runtime, campaign, tag: str) -> tuple[int, int]:
    """One outbox job per chunk of dossiers in IPT that have no prolongation for the next year."""
    year = campaign.school_year
    started = select(Prolongation.dossier_id).where(Prolongation.school_year == year + 1)
    ids = list(
        session.scalars(
            select(Dossier.id).where(in_ipt(year), Dossier.id.not_in(started)).order_by(Dossier.id)
        )
    )
    size = max(runtime.settings.campaign_chunk_size, 1)
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    for n, chunk in enumerate(chunks):
        key = f"campagne:{year}:{tag}:{n}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        session.add(
            OutboxMessage(
                kind="campaign_chunk",
                created_at=clock.now(),
                dedupe_key=key,
                payload={"year": year, "dossier_ids": chunk},
            )
        )
    if tag != "ouverture" and ids:
        campaign.total = (campaign.total or 0) + len(ids)
        campaign.chunks = (campaign.chunks or 0) + len(chunks)
    return len(ids), len(chunks)


def run_chunk(session_factory, runtime, job) -> str:
    """Start the prolongation of each dossier of the chunk, in one transaction with the job's
    completion: a crash rolls the chunk back and the sweeper offers it again."""
    year = job.payload["year"]
    actor = actor_for(year)
    with session_factory() as session:
        # First write of the transaction: on SQLite it opens the real transaction, so the
        # savepoints of ensure_prolongation nest inside it and a crash rolls the chunk back.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == job.id)
            .values(claimed_at=wall_now())
            .execution_options(synchronize_session=False)
        )
        result = prolongations.start_batch(
            session, runtime, actor, job.payload["dossier_ids"], year + 1
        )
        done = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == job.id, OutboxMessage.status == "claimed")
            .values(status="sent", sent_at=wall_now(), payload={**job.payload, "result": result})
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # swept and taken by another worker meanwhile: theirs counts
            session.rollback()
            return "skipped"
        session.commit()
    return "done"


def close_campaign(session, runtime, campaign) -> int:
    """Last day of the school year: prolongations without a decision are flagged and escalated
    to the pôle's coordinators (one mail per coordinator). Returns how many were flagged."""
    year = campaign.school_year
    rows = session.execute(
        select(Prolongation, Dossier)
        .join(Dossier, Dossier.id == Prolongation.dossier_id)
        .where(
            Prolongation.school_year == year + 1,
            Prolongation.decided_at.is_(None),
            Prolongation.status == "en_cours",
            Prolongation.flagged_at.is_(None),
        )
        .order_by(Dossier.pole_id, Dossier.id)
    ).all()
    by_pole = defaultdict(list)
    actor = actor_for(year)
    for prolongation, dossier in rows:
        prolongation.flagged_at = clock.now()
        by_pole[dossier.pole_id].append(dossier)
        audit.record(
            session,
            actor,
            "prolongation_sans_decision",
            f"Aucune décision de prolongation au dernier jour de l'année "
            f"({calendar.last_day(year):%d/%m/%Y}) : dossier signalé au pôle.",
            dossier.id,
        )
    base = runtime.settings.base_url
    for pole_id, dossiers in by_pole.items():
        for contact in reminders.pole_contacts(session, pole_id):
            email, label, key = contact.email, contact.label, contact.key
            lines = [
                f"Bonjour {label},",
                "",
                f"La campagne de prolongation {calendar.label(year)} se termine aujourd'hui. "
                f"Ces {len(dossiers)} dossiers de votre pôle n'ont pas de décision :",
            ]
            lines += [f"- {d.reference} : {base}/dossiers/{d.id}" for d in dossiers]
            lines += ["", f"Suivi de la campagne : {base}/campagnes/{year}"]
            session.add(
                OutboxMessage(
                    kind="email",
                    recipient=email,
                    created_at=clock.now(),
                    dedupe_key=f"campagne:{year}:sans_decision:{key}",
                    payload={
                        "subject": f"IPT — campagne {calendar.label(year)} : "
                        f"{len(dossiers)} dossiers sans décision",
                        "body": "\n".join(lines),
                        "dossier_ids": [d.id for d in dossiers],
                    },
                )
            )
    campaign.state = "cloturee"
    campaign.closed_at = clock.now()
    return len(rows)


# -- progress ----------------------------------------------------------------------------------
POLE_FOLLOWERS = prolongations.STARTERS  # who follows the campaign of their pôle


def visible_poles(session, actor) -> set[int] | None:
    """The pôles whose campaign progress `actor` may follow: None for the administration (all),
    the pôles where they are coordinator or direction; Forbidden for anyone else."""
    if actor.is_admin:
        return None
    ids = {org for org, role in actor.memberships if role in POLE_FOLLOWERS}
    poles = set(
        session.scalars(
            select(Organisation.id).where(Organisation.id.in_(ids), Organisation.kind == "pole")
        )
    )
    if not poles:
        raise Forbidden(
            "Le suivi de la campagne de prolongation est réservé à l'administration et aux pôles "
            "territoriaux."
        )
    return poles


def progress(session, year: int, pole_ids=None) -> dict:
    """Counts overall and per pôle: started, waiting (for whom), favorable, défavorable, late,
    flagged; the chunks done; the dossiers the campaign could not start, and why.
    `pole_ids`: only those pôles' dossiers (a pôle follows its own); None: every pôle."""
    campaign = get(session, year)
    today = clock.today()
    poles = dict(session.execute(select(Organisation.id, Organisation.name)).all())

    def mine(stmt):
        return stmt if pole_ids is None else stmt.where(Dossier.pole_id.in_(pole_ids))

    def blank():
        return Counter(
            started=0, waiting=0, favorable=0, defavorable=0, late=0, flagged=0, eligible=0
        )

    per_pole = defaultdict(blank)
    flagged = []
    for pole_id, status, decided, flagged_at, dossier_id, reference in session.execute(
        mine(
            select(
                Dossier.pole_id,
                Prolongation.status,
                Prolongation.decided_at,
                Prolongation.flagged_at,
                Dossier.id,
                Dossier.reference,
            )
            .join(Dossier, Dossier.id == Prolongation.dossier_id)
            .where(Prolongation.school_year == year + 1)
        ).order_by(Dossier.id)
    ):
        c = per_pole[pole_id]
        c["started"] += 1
        if status in ("favorable", "declaree"):
            c["favorable"] += 1
        elif decided is not None or status == "non_prolongee":
            c["defavorable"] += 1
        elif status == "en_cours":
            c["waiting"] += 1
        if flagged_at is not None:
            c["flagged"] += 1
            flagged.append(
                {"dossier_id": dossier_id, "reference": reference, "pole": poles.get(pole_id)}
            )
    waiting_for = Counter()
    for pole_id, party, due, count in session.execute(
        mine(
            select(Dossier.pole_id, HumanTask.party, HumanTask.due_date, func.count())
            .join(Prolongation, Prolongation.instance_id == HumanTask.instance_id)
            .join(Dossier, Dossier.id == HumanTask.dossier_id)
            .where(Prolongation.school_year == year + 1, HumanTask.state == "open")
        ).group_by(Dossier.pole_id, HumanTask.party, HumanTask.due_date)
    ):
        waiting_for[party] += count
        if due is not None and due < today:
            per_pole[pole_id]["late"] += count
    for pole_id, count in session.execute(
        mine(select(Dossier.pole_id, func.count()).where(in_ipt(year))).group_by(Dossier.pole_id)
    ):
        per_pole[pole_id]["eligible"] += count
    total = blank()
    for c in per_pole.values():
        total.update(c)
    chunks = session.execute(
        select(OutboxMessage.status, OutboxMessage.payload).where(
            OutboxMessage.kind == "campaign_chunk",
            OutboxMessage.dedupe_key.like(f"campagne:{year}:%"),
        )
    ).all()
    latest = {}  # a dossier retried by the daily catch-up: its latest reason only
    for _status, payload in chunks:
        for p in (payload or {}).get("result", {}).get("problems", []):
            latest[p["dossier_id"]] = p
    started_now = (
        set(
            session.scalars(
                select(Prolongation.dossier_id).where(
                    Prolongation.school_year == year + 1, Prolongation.dossier_id.in_(list(latest))
                )
            )
        )
        if latest
        else set()
    )
    problems = [p for d, p in sorted(latest.items()) if d not in started_now]
    if problems:
        refs = dict(
            session.execute(
                mine(
                    select(Dossier.id, Dossier.reference).where(
                        Dossier.id.in_({p["dossier_id"] for p in problems})
                    )
                )
            ).all()
        )
        problems = [
            {**p, "reference": refs.get(p["dossier_id"])}
            for p in problems
            if pole_ids is None or p["dossier_id"] in refs
        ]
    if pole_ids is None:
        expected = (campaign.total if campaign else 0) or 0
    else:  # the pôle's share of the dossiers handed to the chunks
        theirs = set(session.scalars(mine(select(Dossier.id))))
        expected = sum(
            len(theirs.intersection((payload or {}).get("dossier_ids", ())))
            for _status, payload in chunks
        )
    return {
        "year": year,
        "label": calendar.label(year),
        "campaign": campaign,
        "expected": expected,
        "chunks_total": len(chunks),
        "chunks_done": sum(1 for s, _ in chunks if s == "sent"),
        "total": dict(total),
        "per_pole": sorted(
            ((poles.get(pid, "—"), dict(c)) for pid, c in per_pole.items()), key=lambda x: x[0]
        ),
        "waiting_for": dict(waiting_for),
        "problems": problems,
        "no_contact": no_contact_schools(session, year, pole_ids),
        "flagged": flagged,
        "percent": int(100 * min(total["started"], expected) / expected) if expected else 0,
    }


def no_contact_schools(session, year: int, pole_ids=None) -> list[dict]:
    """Dossiers of the campaign whose EO school has no contact address (nobody to remind)."""
    with_email = (
        select(Membership.organisation_id)
        .join(User, User.id == Membership.user_id)
        .where(User.email.is_not(None), User.active.is_(True))
    )
    stmt = (
        select(Dossier.id, Dossier.reference, Organisation.name)
        .join(Prolongation, Prolongation.dossier_id == Dossier.id)
        .join(Organisation, Organisation.id == Dossier.eo_school_id)
        .where(
            Prolongation.school_year == year + 1,
            Organisation.email.is_(None),
            Organisation.id.not_in(with_email),
        )
        .order_by(Dossier.id)
    )
    if pole_ids is not None:
        stmt = stmt.where(Dossier.pole_id.in_(pole_ids))
    rows = session.execute(stmt).all()
    return [{"dossier_id": i, "reference": r, "school": n} for i, r, n in rows]


PARTY_LABELS = {
    "eo_school": "école ordinaire",
    "pole": "pôle",
    "cpms_eo": "CPMS de l'école ordinaire",
    "parents": "parents",
    "es_school": "école spécialisée",
    "cpms_es": "CPMS de l'école spécialisée",
}

CSV_COLUMNS = [
    ("pole", "Pôle"),
    ("eligible", "Dossiers en IPT"),
    ("started", "Prolongations lancées"),
    ("waiting", "En attente"),
    ("favorable", "Favorables"),
    ("defavorable", "Défavorables"),
    ("late", "Tâches en retard"),
    ("flagged", "Sans décision en fin d'année"),
]


def progress_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for name, counts in data["per_pole"]:
        writer.writerow([name] + [counts.get(k, 0) for k, _ in CSV_COLUMNS[1:]])
    writer.writerow(["Total"] + [data["total"].get(k, 0) for k, _ in CSV_COLUMNS[1:]])
    return out.getvalue()
