"""Build the runtime once at start-up: settings, clock, database, validated process library."""

from __future__ import annotations

from engine.clock import clock
from engine.config import Settings
from engine.context import Runtime
from engine.db import make_engine, make_session_factory
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
    with session_factory() as session:
        library.store_versions(session)
        session.commit()
    runtime = Runtime(settings=settings, library=library)
    runtime.schedule.check_settings(clock.today())  # campaign dates, deadlines.yaml, holidays
    return runtime, session_factory
