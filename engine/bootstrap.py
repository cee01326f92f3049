"""Build the runtime once at start-up: settings, clock, database, validated process library."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.clock import clock
from engine.config import Settings
from engine.context import Runtime
from engine.db import make_engine, make_session_factory
from engine.errors import ConfigError
from engine.specs.registry import ProcessLibrary


def build_runtime(settings: Settings | None = None):
    """(runtime, session_factory). Raises SpecError if a diagram is invalid: start-up stops."""
    settings = settings or Settings.from_env()
    if settings.today:
        clock.set_today(settings.today)
    if settings.database_url.startswith("sqlite"):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    library = ProcessLibrary(settings.processes_dir)
    check_background_settings(settings)
    with session_factory() as session:
        try:
            library.store_versions(session)
        except (OperationalError, ProgrammingError) as exc:
            raise ConfigError(
                "La base de données n'est pas prête (tables absentes ou inaccessibles) : "
                f"lancez « ipt db upgrade ». ({type(exc.orig).__name__})"
            ) from exc
        session.commit()
    runtime = Runtime(settings=settings, library=library)
    runtime.schedule.check_settings(clock.today())  # campaign dates, deadlines.yaml, holidays
    return runtime, session_factory


def check_background_settings(settings: Settings) -> None:
    """Settings of the workers that are wrong whatever the date (ConfigError naming them)."""
    if settings.smtp_url is not None:
        scheme, sep, rest = settings.smtp_url.partition("://")
        if not sep or scheme not in ("smtp", "smtps", "smtp+starttls") or not rest.strip("/"):
            raise ConfigError(
                f"Réglage IPT_SMTP_URL : « {settings.smtp_url} » invalide "
                "(attendu smtp://hôte:port, smtps://… ou smtp+starttls://…)."
            )
    if settings.mail_max_attempts < 1:
        raise ConfigError("Réglage IPT_MAIL_MAX_ATTEMPTS : au moins 1 essai.")
    if not 1 <= settings.campaign_chunk_size <= 5000:
        raise ConfigError("Réglage IPT_CAMPAIGN_CHUNK_SIZE : entre 1 et 5000 dossiers par lot.")
    if settings.job_claim_timeout < 1:
        raise ConfigError("Réglage IPT_JOB_CLAIM_TIMEOUT : au moins 1 seconde.")
