"""Shared steps of the web tests: open a proposition, find and complete tasks over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Dossier, HumanTask, Organisation


def org_id(db, fase, kind=None):
    stmt = select(Organisation).where(Organisation.fase == fase)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    return db.scalar(stmt).id


def proposition_form(db, **over):
    data = {
        "pupil_last_name": "Martin",
        "pupil_first_name": "Léa",
        "pupil_cf": "CF-123456",
        "pupil_birth_date": "2016-05-02",
        "pupil_sex": "F",
        "year_of_study": "4e primaire",
        "es_school_id": str(org_id(db, "1001")),
        "cpms_es_id": str(org_id(db, "4001")),
        "es_enrolment_date": "2024-09-02",
        "es_attendance_since": "2024-09-02",
        "in_es": "oui",
        "initiator": "parents",
        "guardian1_last_name": "Martin",
        "guardian1_first_name": "Sophie",
        "guardian1_capacity": "mère",
        "guardian1_email": "sophie@example.org",
        "guardian1_phone": "0470 00 00 00",
    }
    data.update(over)
    return data


def open_dossier(browser, db, **over) -> Dossier:
    response = browser.post_form("/propositions/nouvelle", proposition_form(db, **over))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    return db.scalar(select(Dossier).order_by(Dossier.id.desc()))


def open_task(db, dossier_id, bpmn_id) -> HumanTask:
    db.expire_all()
    task = db.scalar(
        select(HumanTask).where(
            HumanTask.dossier_id == dossier_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.state == "open",
        )
    )
    assert task is not None, f"no open task {bpmn_id}"
    return task


def complete(browser, db, dossier_id, bpmn_id, data, status=302):
    task = open_task(db, dossier_id, bpmn_id)
    response = browser.post_form(f"/taches/{task.id}", data)
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


FAVORABLE = {"avis": "favorable"}
