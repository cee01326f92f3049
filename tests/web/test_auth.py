"""Login, throttling, CSRF and security headers."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import Dossier
from tests.web.conftest import PASSWORD
from tests.web.helpers import proposition_form


def test_login_page_is_french_and_has_security_headers(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    assert 'lang="fr"' in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_login_success_shows_name_and_organisation(browser):
    response = browser.login("direction.es@demo.ipt")
    assert response.status_code == 302
    page = browser.get("/taches").get_data(as_text=True)
    assert "Anne Dupont" in page
    assert "Les Tilleuls" in page
    assert "Se déconnecter" in page


def test_wrong_password_is_refused_in_french(browser):
    response = browser.login("direction.es@demo.ipt", "mauvais")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert browser.get("/taches").status_code == 302  # still anonymous


def test_lock_after_five_failures_even_with_the_right_password(browser):
    for _ in range(5):
        assert browser.login("direction.es@demo.ipt", "mauvais").status_code == 401
    response = browser.login("direction.es@demo.ipt", PASSWORD)
    assert response.status_code == 401
    assert "Trop de tentatives échouées" in response.get_data(as_text=True)


def test_pages_need_a_login(client):
    response = client.get("/dossiers")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_post_without_csrf_token_is_refused_and_changes_nothing(as_partner, db):
    es = as_partner("direction.es@demo.ipt")
    response = es.client.post("/propositions/nouvelle", data=proposition_form(db))
    assert response.status_code == 400
    assert "Jeton de sécurité manquant ou expiré" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_logout(as_partner):
    es = as_partner("direction.es@demo.ipt")
    es.post_form("/taches", {}, action="/deconnexion")
    assert es.get("/taches").status_code == 302


def test_login_does_not_redirect_elsewhere(client):
    from tests.web.conftest import csrf_of

    page = client.get("/connexion?next=//evil.example")
    response = client.post(
        "/connexion?next=//evil.example",
        data={"email": "direction.es@demo.ipt", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert response.headers["Location"] == "/taches"
