"""Prolongation of an IPT for the next school year (R-PROL-1…7): one call per dossier and year.

`start_prolongation` refuses a second start for the same dossier and year; `ensure_prolongation`
(for the yearly campaign) returns the existing one instead, so running it twice, or again after a
crash, leaves exactly one prolongation per dossier and year.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from engine import audit, calendar, instances
from engine.background import timers
from engine.clock import clock
from engine.dossiers import access, parent_links, stops, years
from engine.errors import Forbidden, NotFound, RuleViolation
from engine.models import (
    AuditEvent,
    Dossier,
    HumanTask,
    ProcessInstance,
    Prolongation,
    SchoolYearRecord,
    StageContent,
    StopRequest,
    Timer,
)
from engine.specs import serializer

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
    _check_facts(
        dossier,
        year,
        stop_pending=stops.pending(session, dossier) is not None,
        last_ipt_year=years.current_ipt_year(session, dossier),
    )


def _check_facts(dossier, year, *, stop_pending: bool, last_ipt_year: int | None):
    if dossier.status != "ipt_en_place":
        raise RuleViolation("Seul un dossier dont l'IPT est en place peut être prolongé.")
    if stop_pending:
        raise RuleViolation(
            "Une demande d'arrêt est en cours de concertation : la prolongation attend son issue."
        )
    if year != next_year():
        raise RuleViolation(
            f"Une prolongation se demande pendant l'année scolaire pour l'année suivante : "
            f"{calendar.label(next_year())} (pas {calendar.label(year)})."
        )
    if last_ipt_year is not None and last_ipt_year >= year:
        raise RuleViolation(f"L'IPT est déjà en place pour {calendar.label(year)}.")
    if dossier.ipt_start_date and dossier.ipt_start_date > calendar.last_day(year - 1):
        raise RuleViolation(
            f"L'IPT commence le {dossier.ipt_start_date:%d/%m/%Y} : sa première année n'est pas finie."
        )


def _start_data(dossier, protocol_data, year) -> dict:
    return {
        "niveau": dossier.level or "fondamental",
        "avis_cpms_eo_requis": bool(protocol_data and protocol_data.get("avis_cpms_eo_requis")),
        "current_year": year - 1,
        "next_year": year,
        "ipt_entry_date": (dossier.ipt_entry_date or dossier.ipt_start_date).isoformat(),
    }


def start_batch(session, runtime, actor, dossier_ids, year) -> dict:
    """The campaign's path for a chunk: the same checks, rows and audit as
    `ensure_prolongation`, with the chunk's facts read in five queries and its rows written in
    bulk. A dossier the bulk path does not take (a task for the parents at once, a prolongation
    started meanwhile by someone else) goes through `ensure_prolongation`.
    Returns {'created', 'existing', 'problems': [{dossier_id, message}]}."""
    ids = list(dict.fromkeys(dossier_ids))
    dossiers = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.id.in_(ids)))}
    existing = set(
        session.scalars(
            select(Prolongation.dossier_id).where(
                Prolongation.dossier_id.in_(ids), Prolongation.school_year == year
            )
        )
    )
    stopping = set(
        session.scalars(
            select(StopRequest.dossier_id).where(
                StopRequest.dossier_id.in_(ids), StopRequest.status == "en_cours"
            )
        )
    )
    last_years = dict(
        session.execute(
            select(SchoolYearRecord.dossier_id, func.max(SchoolYearRecord.school_year))
            .where(SchoolYearRecord.dossier_id.in_(ids), SchoolYearRecord.in_ipt.is_(True))
            .group_by(SchoolYearRecord.dossier_id)
        ).all()
    )
    protocols = {}
    for dossier_id, data in session.execute(
        select(StageContent.dossier_id, StageContent.data)
        .where(StageContent.dossier_id.in_(ids), StageContent.kind == "protocole")
        .order_by(StageContent.id)
    ):
        protocols[dossier_id] = data  # the latest version wins
    result = {"created": 0, "existing": 0, "problems": []}
    definition = runtime.library.current[PROCESS_ID]
    version_id = runtime.library.current_version_id(PROCESS_ID)
    built, one_by_one = [], []
    for dossier_id in ids:
        dossier = dossiers.get(dossier_id)
        if dossier is None:
            result["problems"].append(
                {"dossier_id": dossier_id, "message": "Ce dossier n'existe pas."}
            )
            continue
        if dossier_id in existing:
            result["existing"] += 1
            continue
        try:
            _check_facts(
                dossier,
                year,
                stop_pending=dossier_id in stopping,
                last_ipt_year=last_years.get(dossier_id),
            )
        except RuleViolation as err:
            result["problems"].append({"dossier_id": dossier_id, "message": err.message})
            continue
        workflow = serializer.new_workflow(definition)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(
            _start_data(dossier, protocols.get(dossier_id), year)
        )
        instances.run_engine(workflow, dossier, "démarrage")
        ready = instances.ready_user_tasks(workflow)
        if any(definition.user_tasks[t.task_spec.bpmn_id].party == "parents" for t in ready):
            one_by_one.append(dossier_id)  # their personal link is issued on the way
            continue
        built.append((dossier, workflow, ready))
    if built:
        try:
            with session.begin_nested():
                _insert_built(session, runtime, actor, definition, version_id, built, year)
            result["created"] += len(built)
        except IntegrityError:  # a prolongation started meanwhile: take them one by one
            one_by_one += [d.id for d, _w, _r in built]
    for dossier_id in one_by_one:
        try:
            _row, new = ensure_prolongation(session, runtime, actor, dossier_id, year)
        except RuleViolation as err:
            result["problems"].append({"dossier_id": dossier_id, "message": err.message})
            continue
        result["created" if new else "existing"] += 1
    return result


def _insert_built(session, runtime, actor, definition, version_id, built, year):
    now = clock.now()
    instance_ids = session.scalars(
        insert(ProcessInstance).returning(ProcessInstance.id, sort_by_parameter_order=True),
        [
            {
                "dossier_id": dossier.id,
                "process_id": PROCESS_ID,
                "spec_version_id": version_id,
                "state": serializer.dumps(workflow),
                "serializer_version": serializer.SERIALIZER_VERSION,
                "status": "completed" if workflow.completed else "running",
                "revision": 1,
                "updated_at": now,
            }
            for dossier, workflow, _ready in built
        ],
    ).all()
    session.execute(
        insert(Prolongation),
        [
            {
                "dossier_id": dossier.id,
                "school_year": year,
                "instance_id": instance_id,
                "status": "en_cours",
                "started_at": now,
                "started_by_label": actor.label,
            }
            for (dossier, _w, _r), instance_id in zip(built, instance_ids, strict=True)
        ],
    )
    tasks, timer_rows, events = [], [], []
    for (dossier, _workflow, ready), instance_id in zip(built, instance_ids, strict=True):
        for task in ready:
            values = instances.task_values(definition, task, instance_id, dossier)
            values["due_date"], points = timers.plan(
                runtime,
                values["id"],
                dossier.id,
                values["bpmn_id"],
                values["stage"],
                dossier.level,
                values["party"],
            )
            tasks.append(values)
            timer_rows += points
        events.append(
            {
                "dossier_id": dossier.id,
                "at": now,
                "actor_user_id": actor.user_id,
                "actor_label": actor.label,
                "action": "prolongation_lancee",
                "summary": _launched(year, dossier.level or "fondamental"),
                "detail": {},
            }
        )
    session.execute(insert(HumanTask), tasks)
    if timer_rows:
        session.execute(insert(Timer), timer_rows)
    session.execute(insert(AuditEvent), events)


def _launched(year, level) -> str:
    return (
        f"Prolongation pour {calendar.label(year)} lancée : avis de l'"
        f"{'équipe éducative' if level == 'fondamental' else 'conseil de classe'} "
        "élargi au pôle demandé (R-PROL-1)."
    )


def _start(session, runtime, actor, dossier, year) -> Prolongation:
    protocol = session.scalar(
        select(StageContent)
        .where(StageContent.dossier_id == dossier.id, StageContent.kind == "protocole")
        .order_by(StageContent.id.desc())
    )
    start = _start_data(dossier, protocol.data if protocol else None, year)
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
        session, actor, "prolongation_lancee", _launched(year, start["niveau"]), dossier.id
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
