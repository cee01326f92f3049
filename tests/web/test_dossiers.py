"""Dossier list, dossier page, new proposition, closing, parent links."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.models import AuditEvent, Dossier, Organisation, OutboxMessage
from tests.web.helpers import open_dossier, open_task, proposition_form


@pytest.fixture
def es(as_partner):
    return as_partner("direction.es@demo.ipt")


@pytest.fixture
def dossier(es, db):
    return open_dossier(es, db)


def _link_url(db, dossier):
    db.expire_all()
    msg = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier.id)
        .order_by(OutboxMessage.id.desc())
    )
    return msg.payload["url"].replace("http://ipt.test", "")


def test_new_proposition_page_and_dossier_page(es, db, dossier):
    page = es.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert dossier.reference in page
    assert "Léa" in page and "CF-123456" in page and "Sophie" in page
    assert "École d&#39;enseignement spécialisé Les Tilleuls" in page and "FASE 1001" in page
    assert "R-ELIG-1" in page
    assert "Proposition" in page and "En cours" in page
    assert "Attend : " in page  # open tasks and who they wait for
    assert "Proposition introduite" in page  # history
    assert "http://ipt.test/p/" in page  # pending link, until the workers send it
    assert "Émettre un nouveau lien" in page and "Révoquer" in page
    assert "Clôturer le dossier" in page


def test_dossier_list_and_search(es, db, dossier):
    assert dossier.reference in es.get("/dossiers").get_data(as_text=True)
    assert dossier.reference in es.get("/dossiers?q=mart").get_data(as_text=True)
    assert dossier.reference in es.get("/dossiers?q=CF-123").get_data(as_text=True)
    assert dossier.reference not in es.get("/dossiers?q=Dupuis").get_data(as_text=True)


def test_dossier_of_another_school_is_forbidden(as_partner, db, dossier):
    eo = as_partner("direction.eo.fondamental@demo.ipt")
    response = eo.get(f"/dossiers/{dossier.id}")
    assert response.status_code == 403
    assert "Vous n&#39;êtes pas partenaire de ce dossier." in response.get_data(as_text=True)
    assert dossier.reference not in eo.get("/dossiers").get_data(as_text=True)


def test_not_eligible_shows_the_reason_and_keeps_the_form(es, db):
    data = proposition_form(db, es_attendance_since="2025-11-03", pupil_last_name="Tardif")
    response = es.post_form("/propositions/nouvelle", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "depuis le 15 octobre" in page
    assert 'value="Tardif"' in page
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_proposition_field_errors(es, db):
    data = proposition_form(db, pupil_last_name="", pupil_birth_date="02/05/2016", initiator="")
    response = es.post_form("/propositions/nouvelle", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in page
    assert "Date invalide : utilisez le format AAAA-MM-JJ." in page
    assert "Choisissez une des valeurs proposées." in page
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_cpms_member_may_propose_for_any_es_school(as_partner, db):
    cpms = as_partner("cpms.es@demo.ipt")
    page = cpms.get("/propositions/nouvelle").get_data(as_text=True)
    assert "Les Tilleuls" in page and "Nouvelle proposition" in page
    eo = as_partner("direction.eo.fondamental@demo.ipt")
    assert "Nouvelle proposition" not in eo.get("/taches").get_data(as_text=True)
    assert eo.get("/propositions/nouvelle").status_code == 403


def test_close_needs_a_reason_then_closes(es, db, dossier):
    url = f"/dossiers/{dossier.id}"
    response = es.post_form(url, {"motif": "  "}, action=f"{url}/cloturer")
    assert response.status_code == 422
    assert "Indiquez le motif de la clôture." in response.get_data(as_text=True)
    response = es.post_form(url, {"motif": "Les parents renoncent."}, action=f"{url}/cloturer")
    assert response.status_code == 302
    page = es.get(url).get_data(as_text=True)
    assert "Clôturé avant le protocole" in page and "Les parents renoncent." in page
    db.expire_all()
    assert open_task_count(db, dossier.id) == 0


def open_task_count(db, dossier_id):
    from engine.models import HumanTask

    return db.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
    )


def test_only_the_es_direction_closes(as_partner, db, dossier):
    cpms = as_partner("cpms.es@demo.ipt")
    url = f"/dossiers/{dossier.id}"
    assert "Clôturer le dossier" not in cpms.get(url).get_data(as_text=True)
    response = cpms.post_form(url, {"motif": "x"}, action=f"{url}/cloturer")
    assert response.status_code == 403


def test_parent_link_opens_the_parent_page_and_parent_gives_avis(app, es, db, dossier):
    parent = app.test_client()
    response = parent.get(_link_url(db, dossier))
    assert response.status_code == 302 and response.headers["Location"].endswith("/parent")
    page = parent.get("/parent").get_data(as_text=True)
    assert "Intégration de Léa Martin" in page
    assert "Avis des parents sur la proposition" in page
    assert 'name="viewport"' in page
    reads = db.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_consulte")).all()
    assert any(r.actor_label.startswith("Sophie") and r.dossier_id == dossier.id for r in reads)
    from tests.web.conftest import Browser

    b = Browser(parent)
    response = b.post_form(
        "/parent",
        {"date_avis": "2026-01-11", "avis": "favorable"},
        action=f"/taches/{open_task(db, dossier.id, 'avis_parents').id}",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/parent")
    db.expire_all()
    assert open_task_count(db, dossier.id) == 2
    assert "Vos avis et accords" in parent.get("/parent").get_data(as_text=True)
    # a parent cannot browse the staff pages or other dossiers
    assert parent.get("/taches").status_code == 302
    assert parent.get(f"/dossiers/{dossier.id + 1}").status_code in (403, 404)


def test_tampered_link_is_refused(client, db, dossier):
    url = _link_url(db, dossier)
    response = client.get(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"))
    assert response.status_code == 403
    assert "Ce lien n&#39;est pas valide." in response.get_data(as_text=True)
    assert client.get("/parent").status_code == 403


def test_expired_link_is_refused(app, client, db, dossier):
    url = _link_url(db, dossier)
    days = app.extensions["ipt_runtime"].settings.parent_link_days
    clock.set_today(dt.date(2026, 1, 12) + dt.timedelta(days=days + 1))
    response = client.get(url)
    assert response.status_code == 403
    assert "Ce lien a expiré." in response.get_data(as_text=True)


def test_reissue_and_revoke_links(app, es, db, dossier):
    old = _link_url(db, dossier)
    guardian = dossier.guardians[0]
    base = f"/dossiers/{dossier.id}"
    assert es.post_form(base, {}, action=f"{base}/parents/{guardian.id}/lien").status_code == 302
    new = _link_url(db, dossier)
    assert new != old
    page = es.get(base).get_data(as_text=True)
    assert new in page.replace("http://ipt.test", "") and old not in page.replace(
        "http://ipt.test", ""
    )
    assert "remplacé ou révoqué" in app.test_client().get(old).get_data(as_text=True)
    # an open parent session ends when its link is revoked
    parent = app.test_client()
    parent.get(new)
    assert parent.get("/parent").status_code == 200
    assert (
        es.post_form(base, {}, action=f"{base}/parents/{guardian.id}/revoquer").status_code == 302
    )
    assert parent.get("/parent").status_code == 403
    assert app.test_client().get(new).status_code == 403


def test_links_are_managed_by_the_es_direction_only(as_partner, db, dossier):
    cpms = as_partner("cpms.es@demo.ipt")
    base = f"/dossiers/{dossier.id}"
    guardian = dossier.guardians[0]
    assert cpms.post_form(base, {}, action=f"{base}/parents/{guardian.id}/lien").status_code == 403
    assert "http://ipt.test/p/" not in cpms.get(base).get_data(as_text=True)


def test_organisations_exist(db):
    assert db.scalar(select(func.count()).select_from(Organisation)) == 6


def test_R_PROP_6_entry_into_first_secondary_recorded_from_the_form(es, db):
    d = open_dossier(es, db, enters_first_secondary="oui")
    assert d.enters_first_secondary is True
    page = es.get(f"/dossiers/{d.id}").get_data(as_text=True)
    assert "Entrée en 1re secondaire" in page and "Priorité à déterminer" in page


def test_dossier_keeps_the_names_as_they_were_when_the_directory_changes(es, db, dossier):
    school = db.scalar(select(Organisation).where(Organisation.fase == "1001"))
    school.name = "École spécialisée Les Tilleuls (nouveau nom)"
    db.commit()
    page = es.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "<strong>École d&#39;enseignement spécialisé Les Tilleuls</strong>" in page
    assert "aujourd'hui dans l'annuaire : École spécialisée Les Tilleuls (nouveau nom)" in page


def test_R_COMM_1_community_chosen_in_the_proposition_form(es, db):
    d = open_dossier(es, db, community="vl", es_type="9")
    assert (d.community, d.es_type) == ("vl", "9")
