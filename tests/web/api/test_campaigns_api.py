"""GET /api/v1/campaigns/{year} and POST /api/v1/campaigns (the yearly prolongation campaign)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from engine.background import daily
from engine.clock import clock
from engine.models import Campaign, Dossier, Organisation
from engine.seeding import seed_in_ipt


@pytest.fixture
def seeded(app, db, orgs):
    """Four dossiers in IPT in May 2027; one of them followed by the demo pôle."""
    clock.set_today(dt.date(2027, 5, 20))
    ids = seed_in_ipt(db, 4, poles=1, schools_per_pole=2, tag="api")
    db.execute(update(Dossier).where(Dossier.id == ids[0]).values(pole_id=orgs["3001"]))
    db.commit()
    return ids


def test_the_administration_opens_the_campaign_and_follows_it(app, api, db, seeded):
    admin = api("admin")
    created = admin.post("/api/v1/campaigns", json={"year": 2026})
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"].endswith("/api/v1/campaigns/2026")
    body = created.get_json()
    assert body["campaign"]["state"] == "ouverte" and body["expected"] == 4
    assert body["chunks"] == {"done": 0, "total": 1}
    daily.drain(app.extensions["ipt_session_factory"], app.extensions["ipt_runtime"])
    body = admin.get("/api/v1/campaigns/2026").get_json()
    assert body["chunks"] == {"done": 1, "total": 1}
    assert body["total"]["started"] == 4 and body["percent"] == 100
    assert body["waiting_for"] == {"eo_school": 4}
    assert sum(p["started"] for p in body["per_pole"]) == 4 and len(body["per_pole"]) == 2
    assert body["problems"] == []


def test_opening_twice_answers_409_with_the_progress(api, db, seeded):
    admin = api("admin")
    assert admin.post("/api/v1/campaigns", json={"year": "2026-2027"}).status_code == 201
    again = admin.post("/api/v1/campaigns", json={"year": 2026})
    assert again.status_code == 409
    body = again.get_json()
    assert body["error"] == "campagne_ouverte" and "déjà ouverte" in body["message"]
    assert body["progress"]["expected"] == 4
    assert db.scalar(select(func.count()).select_from(Campaign)) == 1


@pytest.mark.parametrize("year", ["abc", "2026-2028", "", None, True, 20.5])
def test_a_malformed_year_is_422(api, seeded, year):
    response = api("admin").post("/api/v1/campaigns", json={"year": year})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "donnees_invalides" and "year" in body["errors"]


def test_a_year_other_than_the_current_one_is_422(api, seeded):
    response = api("admin").post("/api/v1/campaigns", json={"year": 2027})
    assert response.status_code == 422
    assert "ne peut pas encore s'ouvrir" in response.get_json()["message"]


def test_a_pole_follows_its_own_dossiers_only(api, db, orgs, seeded):
    assert api("admin").post("/api/v1/campaigns", json={"year": 2026}).status_code == 201
    pole = api("coordination.pole")
    body = pole.get("/api/v1/campaigns/2026").get_json()
    assert body["expected"] == 1 and body["total"]["eligible"] == 1
    assert [p["pole"] for p in body["per_pole"]] == [db.get(Organisation, orgs["3001"]).name]
    assert pole.post("/api/v1/campaigns", json={"year": 2026}).status_code == 403


def test_others_are_refused(api, seeded):
    response = api("direction.es").get("/api/v1/campaigns/2026")
    assert response.status_code == 403 and response.get_json()["error"] == "interdit"
    assert api("direction.es").post("/api/v1/campaigns", json={"year": 2026}).status_code == 403
