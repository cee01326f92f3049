"""« Mes tâches » and the task page: rendering, French field errors, 403/404/409."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import Decision, HumanTask
from tests.web.helpers import FAVORABLE, complete, open_dossier, open_task


@pytest.fixture
def dossier(as_partner, db):
    return open_dossier(as_partner("direction.es@demo.ipt"), db)


def test_inbox_shows_only_my_tasks(as_partner, db, dossier):
    es_page = as_partner("direction.es@demo.ipt").get("/taches").get_data(as_text=True)
    assert "Avis du conseil de classe de l&#39;école spécialisée" in es_page
    assert "Avis du CPMS" not in es_page
    assert dossier.reference in es_page and "Léa" in es_page
    assert "Accords des parents à encoder (signés sur papier)" in es_page
    cpms_page = as_partner("cpms.es@demo.ipt").get("/taches").get_data(as_text=True)
    assert "Avis du CPMS de l&#39;école spécialisée" in cpms_page
    assert "Avis du conseil de classe" not in cpms_page
    assert "signés sur papier" not in cpms_page


def test_task_form_is_rendered_from_its_schema(as_partner, db, dossier):
    task = open_task(db, dossier.id, "avis_cpms_es")
    page = as_partner("cpms.es@demo.ipt").get(f"/taches/{task.id}").get_data(as_text=True)
    assert 'type="date"' in page and 'name="date_avis"' in page
    assert 'type="radio" name="avis" value="defavorable"' in page
    assert '<textarea id="f-justification" name="justification" rows="5" maxlength="5000"  ' in page
    assert "Motivation écrite du désaccord" in page
    assert 'name="csrf_token"' in page


BAD_INPUTS = [
    ({"avis": "favorable"}, "date_reunion", "Ce champ est obligatoire."),
    (
        {"date_reunion": "2026-01-10", "avis": "peut-être"},
        "avis",
        "Choisissez une des valeurs proposées.",
    ),
    (
        {"date_reunion": "10/01/2026", "avis": "favorable"},
        "date_reunion",
        "Date invalide : utilisez le format AAAA-MM-JJ.",
    ),
    (
        {"date_reunion": "2026-01-10", "avis": "favorable", "justification": "x" * 5001},
        "justification",
        "Texte trop long : 5000 caractères au maximum.",
    ),
    (
        {"date_reunion": "2026-01-10", "avis": "defavorable"},
        "justification",
        "Une justification est obligatoire lorsque l&#39;avis est défavorable.",
    ),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_INPUTS)
def test_invalid_form_is_refused_with_french_errors_and_nothing_saved(
    as_partner, db, dossier, data, field, message
):
    es = as_partner("direction.es@demo.ipt")
    task = open_task(db, dossier.id, "avis_cc_es")
    response = es.post_form(f"/taches/{task.id}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="f-{field}-error" role="alert">{message}' in page
    assert "rien n'a été enregistré" in page
    if "avis" in data and data["avis"] in ("favorable", "defavorable"):
        assert f'value="{data["avis"]}" checked' in page  # entered values kept
    db.expire_all()
    assert open_task(db, dossier.id, "avis_cc_es").state == "open"
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_task_of_another_partner_is_forbidden(as_partner, db, dossier):
    task = open_task(db, dossier.id, "avis_cpms_es")
    es = as_partner("direction.es@demo.ipt")
    assert es.get(f"/taches/{task.id}").status_code == 403
    eo = as_partner("direction.eo.fondamental@demo.ipt")
    response = eo.get(f"/taches/{task.id}")
    assert response.status_code == 403
    assert "Cette tâche ne vous est pas adressée." in response.get_data(as_text=True)


def test_unknown_task_is_404(as_partner):
    response = as_partner("direction.es@demo.ipt").get("/taches/pas-une-tache")
    assert response.status_code == 404
    assert "Cette tâche n&#39;existe pas." in response.get_data(as_text=True)


def test_completing_twice_gives_409(as_partner, db, dossier):
    es = as_partner("direction.es@demo.ipt")
    task = open_task(db, dossier.id, "avis_cc_es")
    page = es.get(f"/taches/{task.id}")
    from tests.web.conftest import csrf_of

    token = csrf_of(page)
    data = {"date_reunion": "2026-01-10", "avis": "favorable", "csrf_token": token}
    first = es.client.post(f"/taches/{task.id}", data=data)
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/dossiers/{dossier.id}")
    second = es.client.post(f"/taches/{task.id}", data=data)
    assert second.status_code == 409
    assert "déjà complétée" in second.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Decision)) == 1
    # the page of a completed task says so, without a form
    again = es.get(f"/taches/{task.id}").get_data(as_text=True)
    assert "déjà complétée" in again and 'name="avis"' not in again


def test_cpms_defavorable_needs_its_motivation(as_partner, db, dossier):
    cpms = as_partner("cpms.es@demo.ipt")
    complete(
        cpms,
        db,
        dossier.id,
        "avis_cpms_es",
        {"date_avis": "2026-01-10", "avis": "defavorable"},
        status=422,
    )
    complete(
        cpms,
        db,
        dossier.id,
        "avis_cpms_es",
        {"date_avis": "2026-01-10", "avis": "defavorable", "justification": "Trop tôt (R-PROP-4)."},
    )
    page = cpms.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Trop tôt (R-PROP-4)." in page and "défavorable" in page


def test_staff_record_a_paper_accord_for_a_parent(as_partner, db, dossier):
    es = as_partner("direction.es@demo.ipt")
    task = open_task(db, dossier.id, "avis_parents")
    page = es.get(f"/taches/{task.id}").get_data(as_text=True)
    assert "Accord signé sur papier." in page and 'name="guardian_id"' in page
    # without the signer: refused, with the form errors too
    response = es.post_form(f"/taches/{task.id}", {"avis": "favorable"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert (
        "Indiquez le parent qui a signé sur papier." in text and "Ce champ est obligatoire." in text
    )
    guardian = dossier.guardians[0]
    complete(
        es,
        db,
        dossier.id,
        "avis_parents",
        {"date_avis": "2026-01-09", "avis": "favorable", "guardian_id": str(guardian.id)},
    )
    decision = db.scalar(select(Decision).where(Decision.party == "parents"))
    assert decision.on_paper and decision.guardian_id == guardian.id
    assert "signé sur papier" in es.get(f"/dossiers/{dossier.id}").get_data(as_text=True)


def test_paper_accord_is_not_for_the_cpms(as_partner, db, dossier):
    task = open_task(db, dossier.id, "avis_parents")
    assert as_partner("cpms.es@demo.ipt").get(f"/taches/{task.id}").status_code == 403


def test_favorable_avis_done(as_partner, db, dossier):
    es = as_partner("direction.es@demo.ipt")
    complete(es, db, dossier.id, "avis_cc_es", {"date_reunion": "2026-01-10", **FAVORABLE})


def test_an_avis_is_corrected_from_the_dossier_page_until_the_stage_ends(as_partner, db):
    es = as_partner("direction.es@demo.ipt")
    d = open_dossier(es, db)
    complete(
        es,
        db,
        d.id,
        "avis_cc_es",
        {"date_reunion": "2026-01-12", "avis": "defavorable", "justification": "Première lecture."},
    )
    page = es.get(f"/dossiers/{d.id}").get_data(as_text=True)
    assert "Corriger cet avis" in page
    row = db.scalar(
        select(HumanTask).where(HumanTask.dossier_id == d.id, HumanTask.bpmn_id == "avis_cc_es")
    )
    response = es.post_form(f"/dossiers/{d.id}", {}, action=f"/taches/{row.id}/corriger")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/taches/{row.id}"
    )
    db.expire_all()
    assert db.get(HumanTask, row.id).state == "open"
    complete(es, db, d.id, "avis_cc_es", {"date_reunion": "2026-01-12", "avis": "favorable"})
    page = es.get(f"/dossiers/{d.id}").get_data(as_text=True)
    assert "remplacé" in page and "avis_rouvert" not in page
    assert "rouvert pour correction" in page  # in the history
