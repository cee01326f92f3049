"""Fixtures: `settings`, `db_engine` (SQLite always; PostgreSQL when IPT_TEST_DATABASE_URL is set),
`db_session`. Every test that takes `db_session` runs once per configured database."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("IPT_PASSWORD_HASH", "fast")  # before engine.auth is imported
# Annex PDFs are frozen as facts at once but rendered on first use (~0.3 s each otherwise, in
# every test that drives a dossier); tests/engine/documents render them immediately.
os.environ.setdefault("IPT_DOCUMENTS_RENDER", "deferred")

import pytest
from sqlalchemy import create_engine, text

from engine.clock import clock
from engine.config import Settings
from engine.db import Base, make_engine, make_session_factory

PG_URL = os.environ.get("IPT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("IPT_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
BROWSER = os.environ.get("IPT_BROWSER") or "/usr/bin/chromium"
collect_ignore = [] if os.path.exists(BROWSER) else ["browser"]
if not (PG_URL and REDIS_URL):
    collect_ignore.append("workers")


def pytest_report_header(config):
    lines = [
        f"IPT: databases = SQLite + PostgreSQL ({PG_URL.rsplit('@', 1)[-1]})"
        if PG_URL
        else "IPT: PostgreSQL group left out (IPT_TEST_DATABASE_URL not set); SQLite only."
    ]
    if "browser" in collect_ignore:
        lines.append(f"IPT: browser group left out ({BROWSER} not found).")
    if "workers" in collect_ignore:
        lines.append(
            "IPT: workers group (real Celery on Redis + PostgreSQL) left out "
            "(IPT_TEST_DATABASE_URL and IPT_TEST_REDIS_URL not both set)."
        )
    return lines


@pytest.fixture(scope="session")
def _pg_database():
    """A fresh PostgreSQL database for the run, dropped at the end."""
    if not PG_URL:
        yield None
        return
    name = f"ipt_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    yield url
    eng.dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, _pg_database):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        eng = make_engine(url)
        Base.metadata.create_all(eng)
        eng.dispose()
        yield url
    else:
        eng = make_engine(_pg_database)
        with eng.begin() as c:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        eng.dispose()
        yield _pg_database


@pytest.fixture
def settings(tmp_path, db_url):
    return Settings.from_env(
        {
            "IPT_DATABASE_URL": db_url,
            "IPT_INSTANCE_DIR": str(tmp_path / "instance"),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_DOCUMENTS_RENDER": os.environ["IPT_DOCUMENTS_RENDER"],
        }
    )


@pytest.fixture
def db_engine(settings):
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(db_engine):
    return make_session_factory(db_engine)


@pytest.fixture
def db_session(session_factory):
    with session_factory() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()
