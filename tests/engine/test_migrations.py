"""Alembic migrations build the schema from nothing, and the models do not drift from them."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from engine.migrate import drift, upgrade


def _pg_url():
    base = os.environ.get("IPT_TEST_DATABASE_URL")
    return base


@pytest.fixture(params=["sqlite"] + (["postgresql"] if _pg_url() else []))
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.sqlite3'}"
        return
    name = f"ipt_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url().rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_then_no_drift(empty_db):
    upgrade(empty_db)
    assert drift(empty_db) == []
    upgrade(empty_db)  # idempotent
