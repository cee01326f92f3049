"""What each annex says, read from the recorded rows (never from a workflow).

Each builder returns plain JSON (strings, French dates): it is stored as the frozen `facts` of
a document version and rendered by the annex's template. A value that is not known is None and
prints as a visible blank.
"""

from __future__ import annotations

from sqlalchemy import select

from engine import calendar
from engine.clock import clock
from engine.dossiers import stops, years
from engine.models import (
    Decision,
    Guardian,
    HumanTask,
    Organisation,
    PartySnapshot,
    Prolongation,
    StageContent,
    StopRequest,
    User,
)

TYPES_ASKED = {"4", "6", "7"}  # forms ask for the type only for these
VALUE_LABELS = {"favorable": "favorable", "defavorable": "défavorable"}
END_LABELS = {
    **stops.REASONS,
    "retour_es": "Retour dans l'école d'enseignement spécialisé",
    "non_prolongee": "Non prolongée",
}


def date_fr(day) -> str | None:
    return f"{day:%d/%m/%Y}" if day else None


def decision(row: Decision | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "person": row.person_name,
        "capacity": row.capacity,
        "date": date_fr(row.decided_on),
        "value": row.value,
        "value_label": VALUE_LABELS.get(row.value, row.value),
        "justification": row.justification,
        "on_paper": row.on_paper,
        "kind": row.kind,
    }


def current(session, dossier, stage, party, *, kind=None, year=None) -> Decision | None:
    stmt = select(Decision).where(
        Decision.dossier_id == dossier.id,
        Decision.stage == stage,
        Decision.party == party,
        Decision.superseded.is_(False),
    )
    if kind:
        stmt = stmt.where(Decision.kind == kind)
    if year is not None:
        stmt = stmt.where(Decision.school_year == year)
    return session.scalar(stmt.order_by(Decision.id.desc()))


def current_many(session, dossier, stage, parties, *, kind=None) -> list[Decision | None]:
    """`current` for several parties in one query (run after every completed task)."""
    stmt = select(Decision).where(
        Decision.dossier_id == dossier.id,
        Decision.stage == stage,
        Decision.party.in_(parties),
        Decision.superseded.is_(False),
    )
    if kind:
        stmt = stmt.where(Decision.kind == kind)
    latest = {}
    for row in session.scalars(stmt.order_by(Decision.id)):
        latest[row.party] = row
    return [latest.get(p) for p in parties]


def of_instance(session, dossier, instance_id, party) -> Decision | None:
    """The current decision of `party` given in one process instance (a stop's accords)."""
    return session.scalar(
        select(Decision)
        .join(HumanTask, HumanTask.id == Decision.task_id)
        .where(
            Decision.dossier_id == dossier.id,
            HumanTask.instance_id == instance_id,
            Decision.party == party,
            Decision.superseded.is_(False),
        )
        .order_by(Decision.id.desc())
    )


def latest_content(session, dossier, kind, bpmn_id=None) -> StageContent | None:
    stmt = select(StageContent).where(
        StageContent.dossier_id == dossier.id, StageContent.kind == kind
    )
    if bpmn_id:
        stmt = stmt.join(HumanTask, HumanTask.id == StageContent.task_id).where(
            HumanTask.bpmn_id == bpmn_id
        )
    return session.scalar(stmt.order_by(StageContent.id.desc()))


def party_org(session, dossier, party, attr) -> dict:
    """Name and FASE as recorded on the dossier (latest snapshot), else the directory's."""
    snap = session.scalar(
        select(PartySnapshot)
        .where(PartySnapshot.dossier_id == dossier.id, PartySnapshot.party == party)
        .order_by(PartySnapshot.id.desc())
    )
    if snap is not None:
        return {"name": snap.name, "fase": snap.fase}
    org_id = getattr(dossier, attr)
    org = session.get(Organisation, org_id) if org_id else None
    return {"name": org.name if org else None, "fase": org.fase if org else None}


def pupil(dossier) -> dict:
    return {
        "last_name": dossier.pupil_last_name,
        "first_name": dossier.pupil_first_name,
        "full_name": f"{dossier.pupil_last_name.upper()} {dossier.pupil_first_name}",
        "cf": dossier.pupil_cf,
        "birth_date": date_fr(dossier.pupil_birth_date),
        "sex": {"F": "Féminin", "M": "Masculin", "X": "X"}.get(dossier.pupil_sex or "", None),
        "es_enrolment_date": date_fr(dossier.es_enrolment_date),
        "ipt_entry_date": date_fr(dossier.ipt_entry_date or dossier.ipt_start_date),
        "type": (
            dossier.es_type
            if dossier.es_type in TYPES_ASKED
            else (f"Sans objet (type {dossier.es_type})" if dossier.es_type else "Sans objet")
        ),
    }


def guardians(session, dossier) -> list[dict]:
    rows = session.scalars(
        select(Guardian).where(Guardian.dossier_id == dossier.id).order_by(Guardian.position)
    )
    return [{"name": g.display_name, "capacity": g.capacity} for g in rows]


def _base(session, dossier) -> dict:
    return {
        "reference": dossier.reference,
        "pupil": pupil(dossier),
        "guardians": guardians(session, dossier),
        "made_on": date_fr(clock.today()),
    }


def annex_1(session, dossier, occ) -> dict:
    return {
        **_base(session, dossier),
        "es_school": party_org(session, dossier, "es_school", "es_school_id"),
        "cpms_es": party_org(session, dossier, "cpms_es", "cpms_es_id"),
        "cc_es": decision(current(session, dossier, "proposition", "cc_es")),
        "parents": decision(current(session, dossier, "proposition", "parents")),
        "cpms": decision(current(session, dossier, "proposition", "cpms_es")),
    }


def _declaration(session, content: StageContent | None) -> dict | None:
    if content is None:
        return None
    task = session.get(HumanTask, content.task_id) if content.task_id else None
    user = session.get(User, content.recorded_by_id) if content.recorded_by_id else None
    return {
        "person": (task.completed_by_label if task else None) or (user.full_name if user else None),
        "date": date_fr(_day(content.data.get("date_declaration"))),
        "honour": bool(content.data.get("declaration_honneur")),
        "epoles": bool(content.data.get("encodage_epoles")),
    }


def _day(raw):
    import datetime as dt

    return dt.date.fromisoformat(raw) if raw else None


def annex_2(session, dossier, occ) -> dict:
    start = dossier.ipt_start_date
    return {
        **_base(session, dossier),
        "school_year": calendar.label(calendar.school_year_of(start)) if start else None,
        "pole": party_org(session, dossier, "pole", "pole_id"),
        "eo_school": party_org(session, dossier, "eo_school", "eo_school_id"),
        "es_school": party_org(session, dossier, "es_school", "es_school_id"),
        "ipt_start_date": date_fr(start),
        "declaration": _declaration(session, occ.content),
    }


def _year_row(session, dossier, year) -> dict:
    row = years.record(session, dossier, year) if year else None
    if row is None:
        return {"eo_name": None, "eo_fase": None, "pole_name": None, "pole_fase": None}
    return {
        "eo_name": row.eo_school_name,
        "eo_fase": row.eo_school_fase,
        "pole_name": row.pole_name,
        "pole_fase": row.pole_fase,
    }


def _study_years(session, dossier, year) -> dict:
    body = latest_avis_content(session, dossier, year)
    data = body.data if body else {}
    return {
        "current": data.get("annee_etudes_actuelle"),
        "next": data.get("annee_etudes_prevue") or None,
    }


def latest_avis_content(session, dossier, year) -> StageContent | None:
    """The CC/EE prolongation avis form of `year` (kept for its years of study, R-PROL-4)."""
    return session.scalar(
        select(StageContent)
        .join(HumanTask, HumanTask.id == StageContent.task_id)
        .join(Prolongation, Prolongation.instance_id == HumanTask.instance_id)
        .where(
            StageContent.dossier_id == dossier.id,
            StageContent.kind == "avis_prolongation",
            Prolongation.school_year == year,
        )
        .order_by(StageContent.id.desc())
    )


def annex_3(session, dossier, occ) -> dict:
    year = occ.school_year
    now, before = _year_row(session, dossier, year), _year_row(session, dossier, year - 1)
    return {
        **_base(session, dossier),
        "school_year": calendar.label(year),
        "pole": {"name": now["pole_name"], "fase": now["pole_fase"]},
        "previous": before,
        "current": now,
        "ipt_start_date": date_fr(calendar.first_day(year)),
        "year_of_study": _study_years(session, dossier, year)["next"] or dossier.year_of_study,
        "declaration": _declaration(session, occ.content),
    }


def annex_4(session, dossier, occ) -> dict:
    content = occ.content
    return {
        **_base(session, dossier),
        "pole": party_org(session, dossier, "pole", "pole_id"),
        "eo_school": party_org(session, dossier, "eo_school", "eo_school_id"),
        "projet": dict(content.data) if content else {},
        "projet_date": date_fr(_day(content.data.get("date_concertation"))) if content else None,
        "coproposers": {
            "cc_es": decision(current(session, dossier, "projet", "cc_es")),
            "cc_eo": decision(current(session, dossier, "projet", "cc_eo")),
        },
        "eo": decision(current(session, dossier, "projet", "eo_school", kind="accord")),
        "pole_accord": decision(current(session, dossier, "projet", "pole", kind="accord")),
        "parents": decision(current(session, dossier, "projet", "parents", kind="accord")),
    }


def annex_5(session, dossier, occ) -> dict:
    data = dict(occ.content.data) if occ.content else {}
    return {
        **_base(session, dossier),
        "pole": party_org(session, dossier, "pole", "pole_id"),
        "eo_school": party_org(session, dossier, "eo_school", "eo_school_id"),
        "protocole": data,
        "cpms_es": _cpms_attached(data.get("avis_cpms_es")),  # R-PROT-3: attached, not re-asked
        "eo": decision(current(session, dossier, "protocole", "eo_school", kind="accord")),
        "pole_accord": decision(current(session, dossier, "protocole", "pole", kind="accord")),
        "parents": decision(current(session, dossier, "protocole", "parents", kind="accord")),
    }


def _cpms_attached(avis):
    if not avis:
        return None
    return {**avis, "date": date_fr(_day(avis.get("date")))}


def annex_6(session, dossier, occ) -> dict:
    rows = []
    for r in years.history(session, dossier):
        where = ", ".join(x for x in (r.eo_school_name, r.pole_name) if x)
        rows.append(
            {
                "year": calendar.label(r.school_year),
                "ipt": ("Oui — " + where) if r.in_ipt and where else ("Oui" if r.in_ipt else "Non"),
                "end": (
                    f"{END_LABELS.get(r.end_reason, r.end_reason)} (le {date_fr(r.ended_on)})"
                    if r.ended_on
                    else None
                ),
            }
        )
    pole = rows and years.history(session, dossier)[-1]
    return {
        **_base(session, dossier),
        "pole": {"name": pole.pole_name, "fase": pole.pole_fase}
        if pole
        else party_org(session, dossier, "pole", "pole_id"),
        "rows": rows,
    }


def annex_7(session, dossier, occ) -> dict:
    year = occ.school_year
    body = current(session, dossier, "prolongation", "ee_eo", year=year)
    body_party = "ee_eo"
    if body is None:
        body, body_party = current(session, dossier, "prolongation", "cc_eo", year=year), "cc_eo"
    school = _year_row(session, dossier, year - 1)
    return {
        **_base(session, dossier),
        "eo_school": school["eo_name"],
        "pole": {"name": school["pole_name"], "fase": school["pole_fase"]},
        "study": _study_years(session, dossier, year),
        "year": {"label": calendar.label(year), "start": str(year), "end": str(year + 1)},
        "body_party": body_party,
        "body": decision(body),
        "pole_avis": decision(current(session, dossier, "prolongation", "pole", year=year)),
        "cpms_eo": decision(current(session, dossier, "prolongation", "cpms_eo", year=year)),
        "parents": decision(current(session, dossier, "prolongation", "parents", year=year)),
    }


def annex_8(session, dossier, occ) -> dict:
    stop: StopRequest = occ.stop
    end_year = calendar.school_year_of(stop.end_date) if stop.end_date else None
    row = _year_row(session, dossier, end_year)
    return {
        **_base(session, dossier),
        "school_year": calendar.label(end_year) if end_year else None,
        "pole": {"name": row["pole_name"], "fase": row["pole_fase"]},
        "eo_school": {"name": row["eo_name"], "fase": row["eo_fase"]},
        "reasons": [
            {"key": key, "label": label, "checked": key == stop.reason}
            for key, label in stops.REASONS.items()
        ],
        "reason_text": stop.reason_text,
        "motivation": stop.justification,
        "requested_by": stop.requested_by_label,
        "end_date": date_fr(stop.end_date),
        "pole_accord": decision(of_instance(session, dossier, stop.instance_id, "pole")),
        "eo": decision(of_instance(session, dossier, stop.instance_id, "eo_school")),
        "parents": decision(of_instance(session, dossier, stop.instance_id, "parents")),
    }


BUILDERS = {
    1: annex_1,
    2: annex_2,
    3: annex_3,
    4: annex_4,
    5: annex_5,
    6: annex_6,
    7: annex_7,
    8: annex_8,
}
