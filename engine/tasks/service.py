"""The inbox and completing a task: one transaction, optimistic concurrency.

Completing is: verify the row → claim it (a conditional UPDATE: the second of two concurrent
completions finds it taken) → load the instance → validate the form → run the engine → write
facts, task rows, instance state and an audit event. The caller commits (or rolls back on error).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, instances
from engine.clock import as_utc, clock
from engine.documents import annexes
from engine.dossiers import access, facts, parent_links, progress, prolongations, stops, years
from engine.dossiers.facts import Signer
from engine.errors import (
    AlreadyCompleted,
    Forbidden,
    IPTError,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from engine.models import (
    Decision,
    Dossier,
    Guardian,
    HumanTask,
    Organisation,
    ProcessInstance,
    StopRequest,
)
from engine.specs import conventions
from engine.tasks.forms import resolve_schema, validate_form


class Conflict(IPTError):
    code = "conflit"


def inbox(session, actor) -> list[HumanTask]:
    """Only the open tasks addressed to my organisations and roles (or, for parents, mine)."""
    stmt = select(HumanTask).where(HumanTask.state == "open")
    if actor.is_parent:
        stmt = stmt.where(HumanTask.party == "parents", HumanTask.dossier_id == actor.dossier_scope)
    else:
        stmt = stmt.where(HumanTask.organisation_id.in_(list(actor.org_ids) or [-1]))
    rows = session.scalars(stmt.order_by(HumanTask.created_at, HumanTask.id)).all()
    return [r for r in rows if access.is_addressed_to(actor, r)]


def paper_tasks(session, actor) -> list[HumanTask]:
    """Parents' open tasks of dossiers where I may record a paper accord."""
    orgs = list(actor.org_ids) or [-1]
    rows = session.scalars(
        select(HumanTask)
        .join(Dossier, Dossier.id == HumanTask.dossier_id)
        .where(
            HumanTask.state == "open",
            HumanTask.party == "parents",
            (Dossier.es_school_id.in_(orgs))
            | (Dossier.eo_school_id.in_(orgs))
            | (Dossier.pole_id.in_(orgs)),
        )
    ).all()
    return [
        r for r in rows if access.can_record_for_parents(actor, session.get(Dossier, r.dossier_id))
    ]


def get_task(session, actor, task_id: str) -> tuple[HumanTask, Dossier]:
    row = session.get(HumanTask, str(task_id))
    if row is None:
        raise NotFound("Cette tâche n'existe pas.")
    dossier = session.get(Dossier, row.dossier_id)
    if not (
        access.can_act(actor, row, dossier)
        or (row.state != "open" and access.can_view(actor, dossier))
    ):
        raise Forbidden("Cette tâche ne vous est pas adressée.")
    return row, dossier


def form_for(session, runtime, task: HumanTask, dossier: Dossier) -> dict:
    instance = session.get(ProcessInstance, task.instance_id)
    definition = runtime.library.for_version(session, instance.spec_version_id)
    return resolve_schema(definition.forms[task.form], choices(session, dossier))


def choices(session, dossier) -> dict[str, list[tuple[str, str]]]:
    """Run-time choice lists a form may name with x-ipt-choices."""
    schools = session.scalars(
        select(Organisation)
        .where(Organisation.kind == "ecole_eo", Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    return {
        "eo_schools": [(o.fase, f"{o.name} (FASE {o.fase}, {o.level or '—'})") for o in schools]
    }


def complete_task(
    session, runtime, actor, task_id: str, data: dict, *, guardian_id=None
) -> HumanTask:
    row, dossier = get_task(session, actor, task_id)
    if not access.can_act(actor, row, dossier):
        raise Forbidden("Cette tâche ne vous est pas adressée.")
    if row.state != "open":
        raise AlreadyCompleted(done_message(row))
    schema = form_for(session, runtime, row, dossier)
    errors: dict[str, str] = {}
    try:
        signer = _signer(session, actor, row, dossier, guardian_id)
    except ValidationFailed as err:
        errors.update(err.errors)
    try:
        clean = validate_form(schema, data, max_text_length=runtime.settings.max_text_length)
        _check_values(schema, clean, _earliest(session, row, dossier))
    except ValidationFailed as err:
        errors.update(err.errors)
    if errors:  # every problem at once: signer and form
        raise ValidationFailed(errors)

    claimed = session.execute(
        update(HumanTask)
        .where(HumanTask.id == row.id, HumanTask.state == "open")
        .values(
            state="completed",
            completed_at=clock.now(),
            completed_by_id=actor.user_id,
            completed_by_label=signer.name,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.expire(row)
        raise AlreadyCompleted(done_message(row))
    session.refresh(row)
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == row.instance_id).with_for_update()
    )
    session.refresh(dossier)
    workflow, definition = instances.load(session, runtime, instance)
    spiff_task = instances.find_task(workflow, row.id)
    if spiff_task is None or spiff_task not in instances.ready_user_tasks(workflow):
        raise AlreadyCompleted("Cette tâche n'est plus attendue.")
    info = definition.user_tasks[row.bpmn_id]
    spiff_task.data[info.data_key] = clean
    before = instances.completed_ids(workflow)
    spiff_task.run()
    instances.run_engine(workflow, dossier, info.name)
    decided = instances.decisions_since(workflow, before)
    _copy_diagram_facts(session, actor, decided, dossier)

    facts.RECORDERS[info.record](session, dossier, info, clean, signer, row.id)
    _after_step(session, runtime, actor, instance, workflow, definition, dossier)
    _lifecycle_effects(session, runtime, actor, instance, workflow, decided, dossier)
    annexes.freeze_completed(session, runtime, actor, dossier, info.stage)  # §8 pupil file
    audit.record(
        session,
        actor,
        "tache_completee",
        f"{info.name} — {_summary(clean)}",
        dossier.id,
        task_id=row.id,
        bpmn_id=row.bpmn_id,
        on_paper=signer.on_paper,
    )
    _flush_or_conflict(session)
    return row


EARLIEST_DATE = dt.date(2000, 1, 1)
BRUSSELS = ZoneInfo("Europe/Brussels")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _earliest(session, row, dossier) -> tuple[dt.date, str] | None:
    """The earliest date a task's dates may carry, and why: a stop's concertation and accords
    come after its request."""
    if row.stage == "arret":
        stop = session.scalar(select(StopRequest).where(StopRequest.instance_id == row.instance_id))
        if stop is not None:
            day = as_utc(stop.requested_at).astimezone(BRUSSELS).date()
            return day, f"La date ne peut pas précéder la demande d'arrêt ({day:%d/%m/%Y})."
    return None


def _check_values(schema, clean, earliest=None):
    """What a schema cannot say: no date in the future or absurdly old (or before `earliest`);
    no control characters."""
    errors = {}
    today = clock.today()
    for name, value in clean.items():
        prop = schema.get("properties", {}).get(name, {})
        if not isinstance(value, str):
            continue
        if _CONTROL.search(value):
            errors[name] = "Ce texte contient des caractères non autorisés."
        elif prop.get("format") == "date":
            day = dt.date.fromisoformat(value)
            if day > today:
                errors[name] = "La date ne peut pas être dans le futur."
            elif day < EARLIEST_DATE:
                errors[name] = "Date invraisemblable : vérifiez l'année."
            elif earliest and day < earliest[0]:
                errors[name] = earliest[1]
    if errors:
        raise ValidationFailed(errors)


CORRECTABLE_RECORDS = ("avis", "accord")


def correctable(workflow, row: HumanTask, info) -> bool:
    """An avis/accord can be corrected until its stage moves on: the task is completed and
    nothing after it has completed yet (e.g. the parallel join still waits for other avis)."""
    if row.state != "completed" or info.record not in CORRECTABLE_RECORDS:
        return False
    task = instances.find_task(workflow, row.id)
    if task is None or not task.has_state(TaskState.COMPLETED):
        return False
    return not any(t is not task and t.has_state(TaskState.FINISHED_MASK) for t in task)


def correction_offers(session, actor, dossier) -> set[str]:
    """Task ids whose avis/accord `actor` may still correct, read from the rows only (no workflow
    load): completed, still current, and nothing opened since in the dossier. reopen_task checks
    precisely against the workflow."""
    if dossier.status != "en_cours":
        return set()
    rows = session.scalars(select(HumanTask).where(HumanTask.dossier_id == dossier.id)).all()
    latest = max((r.created_at for r in rows), default=None)
    current = {
        d.task_id
        for d in session.scalars(
            select(Decision).where(
                Decision.dossier_id == dossier.id, Decision.superseded.is_(False)
            )
        )
    }
    return {
        r.id
        for r in rows
        if r.state == "completed"
        and r.id in current
        and r.completed_at is not None
        and as_utc(r.completed_at) >= as_utc(latest)
        and access.can_act(actor, r, dossier)
    }


def reopen_task(session, runtime, actor, task_id: str) -> HumanTask:
    """Reopen a completed avis/accord for correction (the first one stays in the history)."""
    row, dossier = get_task(session, actor, task_id)
    if not access.can_act(actor, row, dossier):
        raise Forbidden("Seule la partie qui a donné cet avis peut le corriger.")
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == row.instance_id).with_for_update()
    )
    session.refresh(row)
    workflow, definition = instances.load(session, runtime, instance)
    info = definition.user_tasks[row.bpmn_id]
    if not correctable(workflow, row, info):
        raise RuleViolation(
            "Cet avis ne peut plus être corrigé : l'étape suivante a déjà commencé "
            "(un avis se corrige tant que l'étape n'est pas terminée)."
        )
    reopened = session.execute(
        update(HumanTask)
        .where(HumanTask.id == row.id, HumanTask.state == "completed")
        .values(state="open", completed_at=None, completed_by_id=None, completed_by_label=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if reopened != 1:
        raise AlreadyCompleted("Cet avis vient d'être rouvert ou modifié par quelqu'un d'autre.")
    workflow.reset_from_task_id(instances.find_task(workflow, row.id).id)
    session.refresh(row)
    instances.save(instance, workflow)
    instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    audit.record(
        session,
        actor,
        "avis_rouvert",
        f"{info.name} — rouvert pour correction",
        dossier.id,
        task_id=row.id,
    )
    _flush_or_conflict(session)
    return row


def _flush_or_conflict(session) -> None:
    """The optimistic revision check: someone else saved the instance first → Conflict."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Le dossier a été modifié en même temps par quelqu'un d'autre ; réessayez."
        ) from None


def _copy_diagram_facts(session, actor, decision_tasks, dossier):
    """Facts a DMN table decided in this step become dossier fields (conventions.DIAGRAM_FACTS)."""
    for task in decision_tasks:
        outputs = instances.decided_outputs(task)
        for variable, attr in conventions.DIAGRAM_FACTS.items():
            if variable in outputs:
                setattr(dossier, attr, outputs[variable] if outputs[variable] != "" else None)
        if outputs.get("priorite_motif"):
            audit.record(
                session, actor, "priorite_inscription", outputs["priorite_motif"], dossier.id
            )


def _lifecycle_effects(session, runtime, actor, instance, workflow, decided, dossier):
    """What the arrêt and prolongation diagrams decide becomes true of the dossier."""
    ends = instances.completed_end_events(workflow)
    for task in decided:
        outputs = instances.decided_outputs(task)
        if instance.process_id == prolongations.PROCESS_ID and "prolongation" in outputs:
            prolongations.decided(session, actor, dossier, instance, outputs["prolongation"])
        if outputs.get("ipt_end_date"):
            end = dt.date.fromisoformat(str(outputs["ipt_end_date"])[:10])
            if instance.process_id == stops.PROCESS_ID:
                stops.take_effect(session, runtime, actor, dossier, instance, end)
            else:  # R-PROL-7: the concertation's decision ends the IPT at the end of the year
                prolongations.for_instance(session, instance).status = "non_prolongee"
                stops.end_ipt(session, runtime, actor, dossier, instance, end, task.data["motif"])
    if instance.process_id == stops.PROCESS_ID and "fin_arret_non_retenu" in ends:
        stops.not_retained(session, actor, dossier, instance)
    if instance.process_id == prolongations.PROCESS_ID:
        for end in ends:
            prolongations.finished(session, actor, dossier, instance, end)


def _after_step(session, runtime, actor, instance, workflow, definition, dossier):
    instances.save(instance, workflow)
    opened = instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    parent_links.notify(session, runtime, actor, dossier, opened)
    if instance.process_id != "mise_en_place":
        return  # the stage and status of the mise en place come from its own diagram
    for task in opened:
        if (
            task.bpmn_id
            and definition.user_tasks[task.bpmn_id].record == "partner_request"
            and dossier.eo_school_id is not None
        ):
            facts.partner_fell_through(
                session, dossier, "Refus d'une partie au stade du projet ou du protocole (R-PROJ-2)"
            )
            audit.record(
                session,
                actor,
                "recherche_partenaire",
                "Un partenaire pressenti a refusé : recherche d'une autre école partenaire (R-PROJ-2).",
                dossier.id,
            )
    session.flush()
    open_stages = [
        t.stage
        for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
        )
    ]
    stage, status = progress.derive(open_stages, instances.completed_end_events(workflow))
    if progress.apply(dossier, stage, status):
        years.open_year(session, dossier, dossier.target_year)
        facts.snapshot(
            session, dossier, "protocole", ("es_school", "eo_school", "pole", "cpms_es", "cpms_eo")
        )
        audit.record(
            session,
            actor,
            "ipt_en_place",
            f"Protocole signé : IPT en place à partir du {dossier.ipt_start_date:%d/%m/%Y}.",
            dossier.id,
        )
    if status == "proposition_refusee":
        audit.record(
            session,
            actor,
            "proposition_refusee",
            "Proposition refusée (R-PROP-3) : pas de recherche d'école partenaire.",
            dossier.id,
        )


def _signer(session, actor, row, dossier, guardian_id) -> Signer:
    if row.party == "parents":
        if actor.is_parent:
            g = session.get(Guardian, actor.guardian_id)
            return Signer(name=g.display_name, capacity=_guardian_capacity(g), guardian_id=g.id)
        g = session.get(Guardian, guardian_id) if guardian_id else None
        if g is None or g.dossier_id != dossier.id:
            raise ValidationFailed({"guardian_id": "Indiquez le parent qui a signé sur papier."})
        return Signer(
            name=g.display_name,
            capacity=f"{_guardian_capacity(g)} — signé sur papier, encodé par {actor.label}",
            user_id=actor.user_id,
            guardian_id=g.id,
            on_paper=True,
        )
    org = session.get(Organisation, row.organisation_id)
    return Signer(
        name=actor.label,
        capacity=f"{actor.capacity_in(row.organisation_id)} — {org.name}",
        user_id=actor.user_id,
    )


def _guardian_capacity(g) -> str:
    return "Élève majeur" if g.capacity == "élève majeur" else f"Responsable légal ({g.capacity})"


def done_message(row) -> str:
    """Why a task can no longer be completed (French, with who and when)."""
    who = f" par {row.completed_by_label}" if row.completed_by_label else ""
    when = ""
    if row.completed_at:
        at = as_utc(row.completed_at).astimezone(BRUSSELS)
        when = f" le {at:%d/%m/%Y à %H:%M}"
    if row.state == "cancelled":
        return "Cette tâche a été annulée : elle n'est plus attendue."
    return f"Cette tâche a déjà été complétée{who}{when}."


def _summary(clean: dict) -> str:
    if "avis" in clean:
        return {"favorable": "favorable", "defavorable": "défavorable"}.get(
            clean["avis"], clean["avis"]
        )
    if "reponse" in clean:
        return {"accepte": "acceptée", "refuse": "refusée"}.get(clean["reponse"], clean["reponse"])
    return "complétée"
