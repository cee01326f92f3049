"""Tokens: issue, refuse, throttle; every other call needs a valid bearer token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.models import ApiToken, LoginThrottle
from tests.web.api.conftest import PASSWORD


def token(client, email, password):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_token_issued_for_right_password(client, db):
    response = token(client, "direction.es@demo.ipt", PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["token"]) > 30
    assert dt.datetime.fromisoformat(body["expires_at"]).tzinfo is not None
    assert db.scalar(select(ApiToken)).token_hash != body["token"]  # only the digest is stored
    tasks = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['token']}"})
    assert tasks.status_code == 200


def test_wrong_password_is_401_in_french_and_counted(client, db):
    response = token(client, "direction.es@demo.ipt", "mauvais")
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "authentification",
        "message": "Adresse e-mail ou mot de passe incorrect.",
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert db.get(LoginThrottle, "direction.es@demo.ipt").failures == 1  # committed


def test_unknown_email_and_missing_fields_are_401(client):
    assert token(client, "personne@demo.ipt", PASSWORD).status_code == 401
    assert client.post("/api/v1/auth/token", json={}).status_code == 401


def test_throttled_after_repeated_failures(client):
    for _ in range(5):
        assert token(client, "cpms.es@demo.ipt", "mauvais").status_code == 401
    response = token(client, "cpms.es@demo.ipt", PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["error"] == "trop_de_tentatives"
    assert "Trop de tentatives" in response.get_json()["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # another address is not affected
    assert token(client, "direction.es@demo.ipt", PASSWORD).status_code == 200


def test_body_that_is_not_a_json_object_is_400(client):
    response = client.post("/api/v1/auth/token", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "requete_invalide"


def test_no_token_is_401(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.get_json()["message"]


def test_invalid_or_non_bearer_token_is_401(client):
    for header in ("Bearer nimportequoi", "Basic ZGVtbzpkZW1v", "Bearer "):
        response = client.get("/api/v1/dossiers", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"] == "authentification"


def test_expired_token_is_401(app, client, db):
    raw = token(client, "direction.es@demo.ipt", PASSWORD).get_json()["token"]
    row = db.scalar(select(ApiToken))
    row.expires_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    db.commit()
    assert (
        client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    )


def test_no_cookie_session_needed_nor_csrf(client):
    """The API is CSRF-exempt: a POST with a bearer token and no CSRF token goes through."""
    raw = token(client, "direction.es@demo.ipt", PASSWORD).get_json()["token"]
    response = client.post("/api/v1/dossiers", json={}, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 422
