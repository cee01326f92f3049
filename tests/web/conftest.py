"""Web fixtures: `app` (fresh database per test and backend, demo directory imported), `client`,
`as_partner(email)` (a client logged in through the real login form) and form helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.config import ROOT
from engine.directory import import_directory, load_directory_file
from web import create_app

PASSWORD = "demo-ipt-2026"
TODAY = "2026-01-12"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app(
        {
            "IPT_DATABASE_URL": db_url,
            "IPT_INSTANCE_DIR": str(tmp_path / "instance"),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_TODAY": TODAY,
            "IPT_BASE_URL": "http://ipt.test",
            "TESTING": True,
        }
    )
    with app.app_context():
        session = app.extensions["ipt_session_factory"]()
        import_directory(session, load_directory_file(Path(ROOT) / "demo" / "directory.yaml"))
        session.commit()
        session.close()
    yield app
    app.extensions["ipt_session_factory"].kw["bind"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A separate session to look at what the requests committed."""
    session = app.extensions["ipt_session_factory"]()
    yield session
    session.close()


def csrf_of(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """A test client that submits forms the way a browser does (with the page's CSRF token)."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post_form(self, page_url, data, action=None, **kw):
        page = self.client.get(page_url)
        assert page.status_code == 200, page.status_code
        return self.client.post(
            action or page_url, data={**data, "csrf_token": csrf_of(page)}, **kw
        )

    def login(self, email, password=PASSWORD):
        return self.post_form("/connexion", {"email": email, "password": password})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def as_partner(app):
    """as_partner("direction.es@demo.ipt") → a Browser logged in with its own cookie jar."""

    def login(email):
        b = Browser(app.test_client())
        response = b.login(email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return b

    return login


@pytest.fixture
def ipt(app, db):
    """A dossier whose protocol is signed (IPT en place), the clock in its school year."""
    import datetime as dt

    from engine.clock import clock
    from tests.engine.driver import Driver

    drv = Driver(db, app.extensions["ipt_runtime"].settings)
    d = drv.in_ipt()
    clock.set_today(dt.date(2027, 2, 8))
    return d
