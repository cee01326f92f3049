"""`ipt demo` prepares a working demo: migrated database, directory, dossiers at every stage."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, select

from engine.clock import clock
from engine.config import Settings
from engine.demo import prepare_demo
from engine.models import Dossier


def test_demo_dossiers_at_different_stages_and_idempotent(tmp_path):
    clock.set_today(dt.date(2026, 12, 3))
    settings = Settings.from_env({"IPT_INSTANCE_DIR": str(tmp_path), "IPT_SECRET_KEY": "x"})
    logins = prepare_demo(settings)
    assert ("direction.es@demo.ipt" in dict(logins)) and len(logins) == 11
    prepare_demo(settings)  # a second run adds nothing
    eng = create_engine(settings.database_url)
    with eng.connect() as c:
        rows = c.execute(select(Dossier.stage, Dossier.status).order_by(Dossier.id)).all()
    eng.dispose()
    assert [tuple(r) for r in rows] == [
        ("proposition", "en_cours"),
        ("recherche_partenaire", "en_cours"),
        ("ipt", "ipt_en_place"),
        ("proposition", "proposition_refusee"),
        ("projet", "en_cours"),
        ("ipt", "ipt_en_place"),
    ]
