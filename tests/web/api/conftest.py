"""API fixtures: `app` (create_app on a fresh database with the demo directory, once per
configured backend), `client`, `api` (log in as a demo account → a client sending its bearer
token), `orgs` (FASE → organisation id), `proposition` (a valid proposition payload) and
`dossier` (one opened through the API by the ES direction).

The PostgreSQL-only concurrency module is collected only when IPT_TEST_DATABASE_URL is set
(the run's header already says when the PostgreSQL group is left out).
"""

from __future__ import annotations

import os

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

import engine.auth
from engine.directory import import_directory, load_directory_file
from engine.models import Organisation
from web import create_app

PASSWORD = "demo-ipt-2026"
TODAY = "2026-01-12"
collect_ignore = [] if os.environ.get("IPT_TEST_DATABASE_URL") else ["test_concurrency.py"]


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Argon2 at its production cost makes each demo import take ~1.6 s; verification reads
    the cost from the stored hash, so cheap hashes keep the same code path."""
    monkeypatch.setattr(
        engine.auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def make_app(db_url, instance_dir, **extra):
    app = create_app(
        {
            "IPT_DATABASE_URL": db_url,
            "IPT_INSTANCE_DIR": str(instance_dir),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_TODAY": TODAY,
            "TESTING": True,
            **extra,
        }
    )
    with app.extensions["ipt_session_factory"]() as session:
        import_directory(session, load_directory_file("demo/directory.yaml"))
        session.commit()
    return app


@pytest.fixture
def app(db_url, tmp_path):
    """db_url (tests/conftest.py) gives an empty database with its tables, per backend."""
    app = make_app(db_url, tmp_path / "instance")
    yield app
    app.extensions["ipt_session_factory"].kw["bind"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A session on the app's database, for checking what the API wrote."""
    with app.extensions["ipt_session_factory"]() as session:
        yield session


class ApiClient:
    """A test client that sends one bearer token and returns (status, json)."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token

    def _call(self, method, url, **kw):
        response = getattr(self.client, method)(url, headers=self.headers, **kw)
        return response

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, json=None, **kw):
        return self._call("post", url, json=json, **kw)


def get_token(client, email, password=PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


@pytest.fixture
def api(client):
    """api("direction.es") → an ApiClient logged in as that demo account."""
    cache = {}

    def login(who: str) -> ApiClient:
        email = who if "@" in who else f"{who}@demo.ipt"
        if email not in cache:
            cache[email] = ApiClient(client, get_token(client, email))
        return cache[email]

    return login


@pytest.fixture
def orgs(app, db):
    return {o.fase: o.id for o in db.scalars(select(Organisation))}


@pytest.fixture
def proposition(orgs):
    def make(**overrides) -> dict:
        data = {
            "pupil_last_name": "Martin",
            "pupil_first_name": "Léa",
            "pupil_birth_date": "2016-05-02",
            "pupil_sex": "F",
            "es_type": "8",
            "year_of_study": "4e primaire",
            "es_enrolment_date": "2024-09-02",
            "es_attendance_since": "2024-09-02",
            "in_es": True,
            "initiator": "parents",
            "es_school_id": orgs["1001"],
            "cpms_es_id": orgs["4001"],
            "guardians": [
                {
                    "last_name": "Martin",
                    "first_name": "Sophie",
                    "capacity": "mère",
                    "email": "sophie.martin@example.org",
                }
            ],
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def open_dossier(api, proposition):
    def make(**overrides) -> dict:
        response = api("direction.es").post("/api/v1/dossiers", json=proposition(**overrides))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def dossier(open_dossier):
    return open_dossier()


def task_of(dossier: dict, bpmn_id: str) -> str:
    return next(t["id"] for t in dossier["open_tasks"] if t["bpmn_id"] == bpmn_id)


AVIS_CC = {"date_reunion": "2026-01-09", "avis": "favorable"}
AVIS_PARENTS = {"date_avis": "2026-01-10", "avis": "favorable", "commentaire": "D'accord."}
