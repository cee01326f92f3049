"""Opening a proposition, reading dossiers (audited, partners only), parents' links."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AuditEvent, Decision, Dossier, Organisation, ParentLink
from tests.web.api.conftest import AVIS_PARENTS, task_of


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_open_proposition_201(api, proposition, db):
    response = api("direction.es").post("/api/v1/dossiers", json=proposition())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/dossiers/{body['id']}")
    assert body["reference"].startswith("IPT-2026-")
    assert (body["stage"], body["status"]) == ("proposition", "en_cours")
    assert {t["bpmn_id"] for t in body["open_tasks"]} == {
        "avis_cc_es",
        "avis_cpms_es",
        "avis_parents",
    }
    assert count(db, Dossier) == 1


def test_open_proposition_422_missing_field(api, proposition, db):
    data = proposition()
    del data["pupil_last_name"]
    response = api("direction.es").post("/api/v1/dossiers", json=data)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"pupil_last_name": "Ce champ est obligatoire."}
    assert count(db, Dossier) == 0


def test_open_proposition_422_not_eligible(api, proposition, db):
    """R-ELIG-1: attending the ES only since after 15 October of the current school year."""
    response = api("direction.es").post(
        "/api/v1/dossiers", json=proposition(es_attendance_since="2025-11-03")
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "non_eligible"
    assert "R-ELIG-1" in body["message"]
    assert count(db, Dossier) == 0
    assert count(db, ParentLink) == 0


def test_open_proposition_403_for_another_school(api, proposition, db):
    response = api("direction.eo.secondaire").post("/api/v1/dossiers", json=proposition())
    assert response.status_code == 403
    assert count(db, Dossier) == 0


def test_dossier_detail_and_read_is_audited(api, dossier, db):
    response = api("cpms.es").get(f"/api/v1/dossiers/{dossier['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["pupil"]["birth_date"] == "2016-05-02"
    partners = {p["party"]: p for p in body["partners"]}
    assert partners["es_school"]["fase"] == "1001"
    assert partners["es_school"]["name"] == "École d'enseignement spécialisé Les Tilleuls"
    assert partners["cpms_es"]["fase"] == "4001"
    assert body["guardians"][0]["first_name"] == "Sophie"
    assert not any("token" in key for g in body["guardians"] for key in g)
    assert [h["action"] for h in body["history"]][:2] == ["proposition_ouverte", "lien_parent_emis"]
    assert body["decisions"] == [] and body["partner_requests"] == []
    reads = db.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_consulte")).all()
    assert [(r.dossier_id, r.actor_label) for r in reads] == [(dossier["id"], "Isabelle Dubois")]


def test_dossier_of_another_school_is_403(api, dossier, db):
    other = api("direction.eo.secondaire")
    response = other.get(f"/api/v1/dossiers/{dossier['id']}")
    assert response.status_code == 403
    assert response.get_json()["message"] == "Vous n'êtes pas partenaire de ce dossier."
    assert other.get("/api/v1/dossiers").get_json() == {"dossiers": []}
    assert count(db, AuditEvent.__table__) >= 1
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_consulte")).all()


def test_unknown_dossier_is_404(api):
    assert api("direction.es").get("/api/v1/dossiers/999999").status_code == 404


def test_list_and_search(api, open_dossier, db):
    first = open_dossier()
    second = open_dossier(pupil_last_name="Dubois", pupil_first_name="Tom", pupil_cf="12-345")
    mine = api("direction.es")
    listed = mine.get("/api/v1/dossiers").get_json()["dossiers"]
    assert [d["id"] for d in listed] == [second["id"], first["id"]]
    found = mine.get("/api/v1/dossiers?q=dubo").get_json()["dossiers"]
    assert [d["reference"] for d in found] == [second["reference"]]
    assert mine.get("/api/v1/dossiers?q=12-345").get_json()["dossiers"][0]["id"] == second["id"]
    search = db.scalar(select(AuditEvent).where(AuditEvent.action == "dossiers_recherches"))
    assert search.detail["q"] == "dubo" and search.actor_label == "Anne Dupont"
    assert mine.get("/api/v1/dossiers?q=" + "x" * 101).status_code == 422


def _link(api, dossier, who="direction.es"):
    guardian_id = dossier["guardians"][0]["id"]
    return api(who).post(
        f"/api/v1/dossiers/{dossier['id']}/parent-links", json={"guardian_id": guardian_id}
    )


def test_parent_link_token_is_a_bearer_for_that_dossier_only(api, client, open_dossier, db):
    dossier, other = open_dossier(), open_dossier(pupil_first_name="Noé")
    response = _link(api, dossier)
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"].endswith(f"/p/{body['token']}") and body["expires_at"]
    parent = {"Authorization": f"Bearer {body['token']}"}

    seen = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=parent)
    assert seen.status_code == 200
    assert client.get(f"/api/v1/dossiers/{other['id']}", headers=parent).status_code == 403
    listed = client.get("/api/v1/dossiers", headers=parent).get_json()["dossiers"]
    assert [d["id"] for d in listed] == [dossier["id"]]
    tasks = client.get("/api/v1/tasks", headers=parent).get_json()["tasks"]
    assert [t["bpmn_id"] for t in tasks] == ["avis_parents"]
    other_task = task_of(other, "avis_parents")
    refused = client.post(f"/api/v1/tasks/{other_task}/complete", json=AVIS_PARENTS, headers=parent)
    assert refused.status_code == 403
    assert client.post("/api/v1/dossiers", json={}, headers=parent).status_code in (403, 422)

    done = client.post(
        f"/api/v1/tasks/{tasks[0]['id']}/complete", json=AVIS_PARENTS, headers=parent
    )
    assert done.status_code == 200, done.get_json()
    decision = db.scalar(select(Decision))
    assert (decision.party, decision.person_name, decision.on_paper) == (
        "parents",
        "Sophie Martin",
        False,
    )
    assert decision.capacity == "Responsable légal (mère)"
    read = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "dossier_consulte", AuditEvent.dossier_id == dossier["id"]
        )
    )
    assert read.actor_label == "Sophie Martin (mère)"


def test_reissued_link_replaces_the_previous_one(api, client, dossier):
    first = _link(api, dossier).get_json()["token"]
    second = _link(api, dossier, who="delegue.es").get_json()["token"]
    old = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    assert "remplacé ou révoqué" in old.get_json()["message"]
    new = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {second}"})
    assert new.status_code == 200


def test_parent_link_refusals(api, dossier, open_dossier):
    assert _link(api, dossier, who="cpms.es").status_code == 403
    assert _link(api, dossier, who="direction.eo.secondaire").status_code == 403
    url = f"/api/v1/dossiers/{dossier['id']}/parent-links"
    assert api("direction.es").post(url, json={}).status_code == 422
    assert api("direction.es").post(url, json={"guardian_id": "abc"}).status_code == 422
    assert api("direction.es").post(url, json={"guardian_id": 1.5}).status_code == 422
    other = open_dossier(pupil_first_name="Noé")
    foreign = other["guardians"][0]["id"]
    assert api("direction.es").post(url, json={"guardian_id": foreign}).status_code == 404


def test_partners_keep_the_recorded_name_when_the_directory_changes(api, dossier, db):
    school = db.scalar(select(Organisation).where(Organisation.fase == "1001"))
    recorded = school.name
    school.name = "Nouveau nom"
    db.commit()
    body = api("direction.es").get(f"/api/v1/dossiers/{dossier['id']}").get_json()
    es = next(p for p in body["partners"] if p["party"] == "es_school")
    assert (es["name"], es["current_name"]) == (recorded, "Nouveau nom")
