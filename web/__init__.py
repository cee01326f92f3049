"""Flask app factory: the French web UI and the JSON API over the engine."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from engine.bootstrap import build_runtime
from engine.config import Settings

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """test_config: environment-style settings (IPT_DATABASE_URL…) overriding os.environ."""
    app = Flask(__name__, instance_relative_config=False)
    env = None
    if test_config is not None:
        import os

        env = {**os.environ, **test_config}
    settings = Settings.from_env(env)
    runtime, session_factory = build_runtime(settings)
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TESTING=bool(test_config and test_config.get("TESTING")),
    )
    app.extensions["ipt_runtime"] = runtime
    app.extensions["ipt_session_factory"] = session_factory
    from web.views.documents import upload_limit

    app.before_request(upload_limit)  # before CSRF, which parses the form
    csrf.init_app(app)

    from web import db, errors

    db.init_app(app)
    errors.init_app(app)

    from web.views import register_blueprints

    register_blueprints(app)
    return app
