"""Run Alembic migrations from code (`ipt db upgrade`), and check models against them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def drift(url: str) -> list:
    """Differences between the models and a database migrated to head (empty = none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.db import make_engine
    from engine.models import Base

    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        eng.dispose()
