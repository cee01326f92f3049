"""Rows → JSON-ready dicts. Read facts only (rows), never workflows."""

from __future__ import annotations

from sqlalchemy import select

from engine import calendar
from engine.dossiers import evaluation, facts, progress, prolongations, years
from engine.models import (
    AuditEvent,
    Dossier,
    HumanTask,
    Organisation,
    PartnerRequest,
    StopRequest,
)
from web.api.common import iso

# Reads are audited but are not part of what happened to the dossier.
HISTORY_HIDDEN = {"dossier_consulte"}


def task(row: HumanTask, dossier: Dossier) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "bpmn_id": row.bpmn_id,
        "lane": row.lane,
        "party": row.party,
        "stage": row.stage,
        "state": row.state,
        "due_date": iso(row.due_date),
        "created_at": iso(row.created_at),
        "completed_at": iso(row.completed_at),
        "completed_by": row.completed_by_label,
        "dossier": {"id": dossier.id, "reference": dossier.reference},
        "pupil": {"last_name": dossier.pupil_last_name, "first_name": dossier.pupil_first_name},
    }


def dossier_summary(d: Dossier) -> dict:
    return {
        "id": d.id,
        "reference": d.reference,
        "pupil": {"last_name": d.pupil_last_name, "first_name": d.pupil_first_name},
        "stage": d.stage,
        "stage_label": progress.STAGE_LABELS.get(d.stage, d.stage),
        "status": d.status,
        "status_label": progress.STATUS_LABELS.get(d.status, d.status),
        "target_year": d.target_year,
        "created_at": iso(d.created_at),
    }


def dossier_detail(session, d: Dossier) -> dict:
    out = dossier_summary(d)
    out["pupil"] = {
        "last_name": d.pupil_last_name,
        "first_name": d.pupil_first_name,
        "cf": d.pupil_cf,
        "birth_date": iso(d.pupil_birth_date),
        "sex": d.pupil_sex,
        "es_type": d.es_type,
        "year_of_study": d.year_of_study,
        "level": d.level,
        "in_es": d.in_es,
        "es_enrolment_date": iso(d.es_enrolment_date),
        "es_attendance_since": iso(d.es_attendance_since),
        "previous_ipt_end": iso(d.previous_ipt_end),
        "enters_first_secondary": d.enters_first_secondary,
        "community": d.community,
    }
    out.update(
        initiator=d.initiator,
        eligibility_rule=d.eligibility_rule,
        status_reason=d.status_reason,
        eo_acceptance_date=iso(d.eo_acceptance_date),
        enrolment_priority=d.enrolment_priority,
        enrolment_priority_reason=d.enrolment_priority_reason,
        ipt_start_date=iso(d.ipt_start_date),
        ipt_end_date=iso(d.ipt_end_date),
        end_reason=d.end_reason,
        concertations=[meeting(m) for m in evaluation.meetings(session, d)],
        school_years=[school_year(y) for y in years.history(session, d)],
        prolongations=[prolongation(p) for p in prolongations.list_for(session, d)],
        stop_requests=[
            stop_request(x)
            for x in session.scalars(
                select(StopRequest).where(StopRequest.dossier_id == d.id).order_by(StopRequest.id)
            )
        ],
        closed_at=iso(d.closed_at),
        steps=progress.steps(d),
        partners=_partners(session, d),
        guardians=[_guardian(g) for g in d.guardians],
        decisions=[_decision(x) for x in d.decisions],
        partner_requests=_partner_requests(session, d),
        open_tasks=[task(t, d) for t in open_tasks(session, d)],
        history=_history(session, d),
    )
    return out


def _org(org: Organisation | None) -> dict | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "fase": org.fase, "kind": org.kind}


def _partners(session, d: Dossier) -> list[dict]:
    """Names and FASE as recorded on the dossier; `current_name` when the directory changed."""
    out = []
    for p in facts.partners_as_recorded(session, d):
        org = p["organisation"]
        if org is None:
            continue
        row = {
            "party": p["party"],
            "id": org.id,
            "name": p["name"],
            "fase": p["fase"],
            "kind": org.kind,
        }
        if p["changed"]:
            row.update(current_name=org.name, current_fase=org.fase)
        out.append(row)
    return out


def _guardian(g) -> dict:
    # Never the link tokens: they are credentials.
    return {
        "id": g.id,
        "position": g.position,
        "last_name": g.last_name,
        "first_name": g.first_name,
        "capacity": g.capacity,
        "email": g.email,
        "phone": g.phone,
    }


def _decision(x) -> dict:
    return {
        "id": x.id,
        "stage": x.stage,
        "kind": x.kind,
        "party": x.party,
        "value": x.value,
        "decided_on": iso(x.decided_on),
        "justification": x.justification,
        "person_name": x.person_name,
        "capacity": x.capacity,
        "on_paper": x.on_paper,
        "superseded": x.superseded,
        "recorded_at": iso(x.recorded_at),
        "task_id": x.task_id,
    }


def _partner_requests(session, d: Dossier) -> list[dict]:
    rows = session.scalars(
        select(PartnerRequest).where(PartnerRequest.dossier_id == d.id).order_by(PartnerRequest.id)
    )
    return [
        {
            "id": r.id,
            "eo_school": _org(session.get(Organisation, r.eo_school_id)),
            "pole": _org(session.get(Organisation, r.pole_id)) if r.pole_id else None,
            "requested_on": iso(r.requested_on),
            "parents_agree": r.parents_agree,
            "answer": r.answer,
            "answered_on": iso(r.answered_on),
            "reason": r.reason,
            "ended_reason": r.ended_reason,
        }
        for r in rows
    ]


def open_tasks(session, d: Dossier) -> list[HumanTask]:
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.dossier_id == d.id, HumanTask.state == "open")
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )


def _history(session, d: Dossier) -> list[dict]:
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.dossier_id == d.id, AuditEvent.action.not_in(HISTORY_HIDDEN))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {"at": iso(e.at), "actor": e.actor_label, "action": e.action, "summary": e.summary}
        for e in rows
    ]


def stop_request(st) -> dict:
    return {
        "id": st.id,
        "dossier_id": st.dossier_id,
        "requested_by_party": st.requested_by_party,
        "requested_by": st.requested_by_label,
        "requested_at": iso(st.requested_at),
        "reason": st.reason,
        "reason_text": st.reason_text,
        "justification": st.justification,
        "at_year_end": st.at_year_end,
        "event_date": iso(st.event_date),
        "status": st.status,
        "end_date": iso(st.end_date),
    }


def meeting(m) -> dict:
    return {
        "id": m.id,
        "school_year": m.school_year,
        "held_on": iso(m.held_on),
        "participants": m.participants,
        "minutes": m.minutes,
        "recorded_by": m.recorded_by_label,
        "recorded_at": iso(m.recorded_at),
    }


def prolongation(p) -> dict:
    return {
        "id": p.id,
        "dossier_id": p.dossier_id,
        "school_year": calendar.label(p.school_year),
        "status": p.status,
        "started_at": iso(p.started_at),
        "started_by": p.started_by_label,
        "decided_at": iso(p.decided_at),
    }


def school_year(y) -> dict:
    return {
        "school_year": calendar.label(y.school_year),
        "in_ipt": y.in_ipt,
        "eo_school": {"name": y.eo_school_name, "fase": y.eo_school_fase},
        "pole": {"name": y.pole_name, "fase": y.pole_fase},
        "ended_on": iso(y.ended_on),
        "end_reason": y.end_reason,
    }
