"""« Demander l'arrêt » in the UI and POST /api/v1/dossiers/{id}/stop-requests (R-ARRET-1…3)."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import StopRequest


def test_a_partner_asks_for_the_stop_from_the_dossier_page(as_partner, db, ipt):
    pole = as_partner("coordination.pole@demo.ipt")
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "Demander l&#39;arrêt" in page or "Demander l'arrêt" in page
    url = f"/dossiers/{ipt.id}/arret"
    bad = pole.post_form(url, {"reason": "autre", "justification": "x", "at_year_end": "oui"})
    assert bad.status_code == 422
    assert "Précisez l&#39;autre raison" in bad.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(StopRequest)) == 0
    ok = pole.post_form(
        url,
        {
            "reason": "autre",
            "reason_text": "Déménagement",
            "justification": "La famille part.",
            "at_year_end": "non",
            "event_date": "2027-02-12",
        },
    )
    assert ok.status_code == 302
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "en cours de concertation" in page and "Déménagement" in page
    assert "Concerter tous les partenaires" in page  # the waiting task


def test_the_es_school_is_not_offered_the_stop(as_partner, ipt):
    es = as_partner("direction.es@demo.ipt")
    assert "Demander l&#39;arrêt" not in es.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert es.get(f"/dossiers/{ipt.id}/arret").status_code == 403


def test_concertation_minutes_from_the_dossier_page_and_the_api(as_partner, db, ipt):
    pole = as_partner("coordination.pole@demo.ipt")
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "Modalités de concertation prévues par le protocole" in page
    url = f"/dossiers/{ipt.id}/concertations"
    bad = pole.post_form(
        f"/dossiers/{ipt.id}", {"held_on": "2027-02-01", "participants": "x"}, action=url
    )
    assert bad.status_code == 422 and "Ce champ est obligatoire." in bad.get_data(as_text=True)
    ok = pole.post_form(
        f"/dossiers/{ipt.id}",
        {
            "held_on": "2027-02-01",
            "participants": "Pôle, titulaire",
            "minutes": "Progrès en lecture.",
        },
        action=url,
    )
    assert ok.status_code == 302
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "Concertation du 01/02/2027" in page and "Progrès en lecture." in page


def test_the_pole_starts_the_prolongation_from_the_dossier_page(as_partner, db, ipt):
    import datetime as dt

    from engine.clock import clock

    clock.set_today(dt.date(2027, 5, 10))
    pole = as_partner("coordination.pole@demo.ipt")
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "Années scolaires (annexe 6)" in page and "Lancer la prolongation pour 2027-2028" in page
    response = pole.post_form(
        f"/dossiers/{ipt.id}",
        {"school_year": "2027-2028"},
        action=f"/dossiers/{ipt.id}/prolongations",
    )
    assert response.status_code == 302
    page = pole.get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert "Prolongation pour 2027-2028" in page and "en cours : avis demandés" in page
    assert "Lancer la prolongation" not in page


def test_every_content_kind_has_a_french_title():
    from engine.dossiers.facts import CONTENT_KINDS
    from web.views.dossier_page import CONTENT_TITLES

    assert set(CONTENT_KINDS) <= set(CONTENT_TITLES)
