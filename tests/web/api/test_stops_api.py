"""POST /api/v1/dossiers/{id}/stop-requests (R-ARRET-1, R-ARRET-2)."""

from __future__ import annotations

from engine.models import Dossier


def test_api_stop_request_201_then_422_for_a_second_one(api, db, ipt):
    eo = api("direction.eo.fondamental")
    data = {"reason": "certificat", "justification": "CEB.", "at_year_end": True}
    response = eo.post(f"/api/v1/dossiers/{ipt.id}/stop-requests", json=data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "en_cours"
    again = api("coordination.pole").post(f"/api/v1/dossiers/{ipt.id}/stop-requests", json=data)
    assert again.status_code == 422 and "déjà en cours" in again.get_json()["message"]
    assert (
        api("cpms.es").post(f"/api/v1/dossiers/{ipt.id}/stop-requests", json=data).status_code
        == 403
    )
    body = eo.get(f"/api/v1/dossiers/{ipt.id}").get_json()
    assert body["stop_requests"][0]["reason"] == "certificat"
    assert db.get(Dossier, ipt.id).status == "ipt_en_place"


def test_api_concertation_minutes_201_422_403(api, ipt):
    url = f"/api/v1/dossiers/{ipt.id}/concertations"
    data = {"held_on": "2027-02-01", "participants": "Pôle, titulaire", "minutes": "Bilan."}
    assert api("direction.es").post(url, json=data).status_code == 403
    bad = api("coordination.pole").post(url, json={**data, "held_on": "2027-13-01"})
    assert bad.status_code == 422 and "held_on" in bad.get_json()["errors"]
    ok = api("coordination.pole").post(url, json=data)
    assert ok.status_code == 201 and ok.get_json()["school_year"] == 2026
    body = api("coordination.pole").get(f"/api/v1/dossiers/{ipt.id}").get_json()
    assert [m["minutes"] for m in body["concertations"]] == ["Bilan."]


def test_api_prolongation_201_then_409_and_422(api, ipt):
    import datetime as dt

    from engine.clock import clock

    clock.set_today(dt.date(2027, 5, 10))
    url = f"/api/v1/dossiers/{ipt.id}/prolongations"
    assert api("coordination.pole").post(url, json={"school_year": "2027"}).status_code == 422
    assert api("coordination.pole").post(url, json={"school_year": "2028-2029"}).status_code == 422
    assert api("direction.es").post(url, json={"school_year": "2027-2028"}).status_code == 403
    first = api("coordination.pole").post(url, json={"school_year": "2027-2028"})
    assert first.status_code == 201 and first.get_json()["status"] == "en_cours"
    second = api("direction.pole").post(url, json={"school_year": "2027-2028"})
    assert second.status_code == 409 and "déjà lancée" in second.get_json()["message"]
    body = api("coordination.pole").get(f"/api/v1/dossiers/{ipt.id}").get_json()
    assert [p["school_year"] for p in body["prolongations"]] == ["2027-2028"]
    assert body["school_years"][0]["school_year"] == "2026-2027"
