"""Prolongation of an IPT for the next school year (R-PROL-1…7): one call per dossier and year.

`start_prolongation` refuses a second start for the same dossier and year; `ensure_prolongation`
(for the yearly campaign) returns the existing one instead, so running it twice, or again after a
crash, leaves exactly one prolongation per dossier and year.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import audit, calendar, instances
from engine.clock import clock
from engine.dossiers import access, parent_links, stops, years
from engine.errors import Forbidden, NotFound, RuleViolation
from engine.models import Dossier, Prolongation, StageContent

PROCESS_ID = "prolongation_ipt"
STARTERS = {"coordonnateur", "direction", "delegue"}  # the dossier's pôle (or the administration)


class AlreadyStarted(RuleViolation):
    code = "deja_demarree"


def start_prolongation(session, runtime, actor, dossier_id: int, year: int) -> Prolongation:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas.")
    if not actor.is_admin:
        access.ensure_can_view(actor, dossier)
        if not actor.roles_in(dossier.pole_id) & STARTERS:
            raise Forbidden(
                "La prolongation est lancée par le pôle du dossier (ou l'administration)."
            )
    existing = find(session, dossier.id, year)
    if existing is not None:
        raise AlreadyStarted(
            f"La prolongation pour {calendar.label(year)} est déjà lancée pour ce dossier "
            f"(le {existing.started_at:%d/%m/%Y})."
        )
    _check(session, dossier, year)
    try:
        with session.begin_nested():
            return _start(session, runtime, actor, dossier, year)
    except IntegrityError:  # someone started it at the same moment: the unique key decided
        raise AlreadyStarted(
            f"La prolongation pour {calendar.label(year)} vient d'être lancée pour ce dossier."
        ) from None


def ensure_prolongation(
    session, runtime, actor, dossier_id: int, year: int
) -> tuple[Prolongation, bool]:
    """Idempotent start for the campaign: (the prolongation, whether it was created now)."""
    dossier = session.get(Dossier, dossier_id)
    existing = find(session, dossier_id, year)
    if existing is not None:
        return existing, False
    _check(session, dossier, year)
    try:
        with session.begin_nested():
            return _start(session, runtime, actor, dossier, year), True
    except IntegrityError:  # another worker started it at the same moment
        return find(session, dossier_id, year), False


def offer(session, actor, dossier) -> int | None:
    """The school year `actor` may start a prolongation for now, if any (for a button)."""
    if not (actor.is_admin or actor.roles_in(dossier.pole_id) & STARTERS):
        return None
    year = next_year()
    if find(session, dossier.id, year) is not None:
        return None
    try:
        _check(session, dossier, year)
    except RuleViolation:
        return None
    return year


def next_year() -> int:
    """The school year a prolongation asked today is for."""
    current = calendar.school_year_of(clock.today())
    if clock.today() < calendar.first_day(current):  # summer: the year about to start
        current -= 1
    return current + 1


def list_for(session, dossier) -> list[Prolongation]:
    return list(
        session.scalars(
            select(Prolongation)
            .where(Prolongation.dossier_id == dossier.id)
            .order_by(Prolongation.school_year)
        )
    )


def find(session, dossier_id, year) -> Prolongation | None:
    return session.scalar(
        select(Prolongation).where(
            Prolongation.dossier_id == dossier_id, Prolongation.school_year == year
        )
    )


def _check(session, dossier, year):
    if dossier.status != "ipt_en_place":
        raise RuleViolation("Seul un dossier dont l'IPT est en place peut être prolongé.")
    if stops.pending(session, dossier) is not None:
        raise RuleViolation(
            "Une demande d'arrêt est en cours de concertation : la prolongation attend son issue."
        )
    if year != next_year():
        raise RuleViolation(
            f"Une prolongation se demande pendant l'année scolaire pour l'année suivante : "
            f"{calendar.label(next_year())} (pas {calendar.label(year)})."
        )
    last = years.current_ipt_year(session, dossier)
    if last is not None and last >= year:
        raise RuleViolation(f"L'IPT est déjà en place pour {calendar.label(year)}.")
    if dossier.ipt_start_date and dossier.ipt_start_date > calendar.last_day(year - 1):
        raise RuleViolation(
            f"L'IPT commence le {dossier.ipt_start_date:%d/%m/%Y} : sa première année n'est pas finie."
        )


def _start(session, runtime, actor, dossier, year) -> Prolongation:
    protocol = session.scalar(
        select(StageContent)
        .where(StageContent.dossier_id == dossier.id, StageContent.kind == "protocole")
        .order_by(StageContent.id.desc())
    )
    start = {
        "niveau": dossier.level or "fondamental",
        "avis_cpms_eo_requis": bool(protocol and protocol.data.get("avis_cpms_eo_requis")),
        "current_year": year - 1,
        "next_year": year,
        "ipt_entry_date": (dossier.ipt_entry_date or dossier.ipt_start_date).isoformat(),
    }
    row = Prolongation(
        dossier_id=dossier.id,
        school_year=year,
        status="en_cours",
        started_at=clock.now(),
        started_by_label=actor.label,
    )
    session.add(row)
    session.flush()  # the unique (dossier, year) constraint holds here
    instance, workflow, definition = instances.start(session, runtime, dossier, PROCESS_ID, start)
    instances.save(instance, workflow)
    session.flush()
    row.instance_id = instance.id
    opened = instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    parent_links.notify(session, runtime, actor, dossier, opened)
    audit.record(
        session,
        actor,
        "prolongation_lancee",
        f"Prolongation pour {calendar.label(year)} lancée : avis de l'"
        f"{'équipe éducative' if start['niveau'] == 'fondamental' else 'conseil de classe'} "
        "élargi au pôle demandé (R-PROL-1).",
        dossier.id,
    )
    return row


def for_instance(session, instance) -> Prolongation | None:
    return session.scalar(select(Prolongation).where(Prolongation.instance_id == instance.id))


def decided(session, actor, dossier, instance, outcome: str) -> None:
    """The DMN decided: favorable → the IPT continues into the year; défavorable → concertation."""
    row = for_instance(session, instance)
    row.decided_at = clock.now()
    if outcome == "favorable":
        row.status = "favorable"
        years.open_year(session, dossier, row.school_year)
        audit.record(
            session,
            actor,
            "prolongation_favorable",
            f"Prolongation favorable : l'IPT continue en {calendar.label(row.school_year)} ; "
            "le pôle la déclare (annexe 3).",
            dossier.id,
        )
    else:
        audit.record(
            session,
            actor,
            "prolongation_defavorable",
            "Avis défavorable : la direction de l'école ordinaire concerte tous les partenaires (R-PROL-7).",
            dossier.id,
        )


def finished(session, actor, dossier, instance, end_event: str) -> None:
    row = for_instance(session, instance)
    if end_event == "fin_prolongee":
        row.status = "declaree"
    elif end_event == "fin_non_prolongee" and row.status != "non_prolongee":
        row.status = "non_prolongee"
