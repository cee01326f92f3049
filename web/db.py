"""One SQLAlchemy session per request; the request owns the transaction."""

from __future__ import annotations

from flask import current_app, g


def get_db():
    if "db" not in g:
        g.db = current_app.extensions["ipt_session_factory"]()
    return g.db


def get_runtime():
    return current_app.extensions["ipt_runtime"]


def close_db(_exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.rollback()  # whatever was not committed explicitly is not kept
        db.close()


def init_app(app):
    app.teardown_appcontext(close_db)
