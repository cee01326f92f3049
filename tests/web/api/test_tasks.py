"""Inbox, task form, completion and its refusals (nothing changes when refused)."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AuditEvent, Decision, HumanTask, ProcessInstance
from tests.web.api.conftest import AVIS_CC, task_of


def test_inbox_lists_only_my_tasks(api, dossier):
    body = api("direction.es").get("/api/v1/tasks").get_json()
    assert [t["bpmn_id"] for t in body["tasks"]] == ["avis_cc_es"]
    task = body["tasks"][0]
    assert task["dossier"] == {"id": dossier["id"], "reference": dossier["reference"]}
    assert task["pupil"] == {"last_name": "Martin", "first_name": "Léa"}
    assert task["stage"] == "proposition"
    assert task["lane"] == "École spécialisée"
    assert task["created_at"]
    cpms = api("cpms.es").get("/api/v1/tasks").get_json()["tasks"]
    assert [t["bpmn_id"] for t in cpms] == ["avis_cpms_es"]
    assert api("direction.eo.secondaire").get("/api/v1/tasks").get_json() == {"tasks": []}


def test_task_with_its_form(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    response = api("direction.es").get(f"/api/v1/tasks/{task_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == task_id
    assert body["form"]["type"] == "object"
    assert set(body["form"]["required"]) == {"date_reunion", "avis"}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "dossier_consulte"))
    assert event.dossier_id == dossier["id"] and event.actor_label == "Anne Dupont"


def test_complete_ok(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    response = api("direction.es").post(f"/api/v1/tasks/{task_id}/complete", json=AVIS_CC)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["state"] == "completed"
    assert body["task"]["completed_by"] == "Anne Dupont"
    assert body["dossier"]["stage"] == "proposition"
    assert body["dossier"]["status"] == "en_cours"
    assert {t["bpmn_id"] for t in body["open_tasks"]} == {"avis_cpms_es", "avis_parents"}
    decision = db.scalar(select(Decision))
    assert (decision.party, decision.value, decision.person_name) == (
        "cc_es",
        "favorable",
        "Anne Dupont",
    )
    assert api("direction.es").get("/api/v1/tasks").get_json() == {"tasks": []}


def _state(db, dossier_id):
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Decision)),
        db.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")),
        db.scalar(select(ProcessInstance.revision).where(ProcessInstance.dossier_id == dossier_id)),
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "tache_completee")
        ),
    )


def test_422_per_field_and_nothing_changed(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    before = _state(db, dossier["id"])
    cases = [
        ({"date_reunion": "2026-01-09"}, "avis", "Ce champ est obligatoire."),
        ({**AVIS_CC, "avis": "peut-etre"}, "avis", "Choisissez une des valeurs proposées."),
        ({**AVIS_CC, "date_reunion": "09/01/2026"}, "date_reunion", "Date invalide"),
        ({**AVIS_CC, "justification": "x" * 6000}, "justification", "Texte trop long"),
        ({"date_reunion": "2026-01-09", "avis": "defavorable"}, "justification", "justification"),
        ({**AVIS_CC, "inconnu": "1"}, "inconnu", "Champ inconnu."),
    ]
    for data, field, message in cases:
        response = api("direction.es").post(f"/api/v1/tasks/{task_id}/complete", json=data)
        assert response.status_code == 422, data
        body = response.get_json()
        assert body["error"] == "donnees_invalides"
        assert message in body["errors"][field], body
    assert _state(db, dossier["id"]) == before
    assert db.get(HumanTask, task_id).state == "open"


def test_403_task_of_another_partner(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    for who in ("cpms.es", "direction.eo.secondaire"):
        assert api(who).get(f"/api/v1/tasks/{task_id}").status_code == 403
        response = api(who).post(f"/api/v1/tasks/{task_id}/complete", json=AVIS_CC)
        assert response.status_code == 403
        assert response.get_json()["message"] == "Cette tâche ne vous est pas adressée."
    assert db.get(HumanTask, task_id).state == "open"


def test_404_unknown_task(api):
    assert api("direction.es").get("/api/v1/tasks/nope").status_code == 404
    response = api("direction.es").post("/api/v1/tasks/nope/complete", json=AVIS_CC)
    assert response.status_code == 404
    assert response.get_json()["message"] == "Cette tâche n'existe pas."


def test_409_second_completion(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    assert (
        api("direction.es").post(f"/api/v1/tasks/{task_id}/complete", json=AVIS_CC).status_code
        == 200
    )
    response = api("delegue.es").post(f"/api/v1/tasks/{task_id}/complete", json=AVIS_CC)
    assert response.status_code == 409
    assert "déjà été complétée par Anne Dupont" in response.get_json()["message"]
    assert db.scalar(select(func.count()).select_from(Decision)) == 1


def test_paper_accord_of_a_parent_needs_guardian_id(api, dossier, db):
    task_id = task_of(dossier, "avis_parents")
    data = {"date_avis": "2026-01-10", "avis": "favorable"}
    response = api("direction.es").post(f"/api/v1/tasks/{task_id}/complete", json=data)
    assert response.status_code == 422
    assert "guardian_id" in response.get_json()["errors"]
    guardian_id = dossier["guardians"][0]["id"]
    response = api("direction.es").post(
        f"/api/v1/tasks/{task_id}/complete", json={**data, "guardian_id": guardian_id}
    )
    assert response.status_code == 200, response.get_json()
    decision = db.scalar(select(Decision))
    assert decision.on_paper and decision.guardian_id == guardian_id
    assert decision.person_name == "Sophie Martin"
    assert "signé sur papier" in decision.capacity


def test_reopen_my_avis_for_correction_and_refusals(api, dossier, db):
    task_id = task_of(dossier, "avis_cc_es")
    es = api("direction.es")
    assert es.post(f"/api/v1/tasks/{task_id}/reopen").status_code == 422  # not given yet
    assert es.post(f"/api/v1/tasks/{task_id}/complete", json=AVIS_CC).status_code == 200
    assert api("cpms.es").post(f"/api/v1/tasks/{task_id}/reopen").status_code == 403
    assert es.post("/api/v1/tasks/nope/reopen").status_code == 404
    response = es.post(f"/api/v1/tasks/{task_id}/reopen")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "open"
    assert {t["bpmn_id"] for t in es.get("/api/v1/tasks").get_json()["tasks"]} == {"avis_cc_es"}
    corrected = {**AVIS_CC, "avis": "defavorable", "justification": "Après relecture."}
    assert es.post(f"/api/v1/tasks/{task_id}/complete", json=corrected).status_code == 200
    rows = db.scalars(select(Decision).order_by(Decision.id)).all()
    assert [(d.value, d.superseded) for d in rows] == [("favorable", True), ("defavorable", False)]
