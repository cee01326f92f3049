"""The French web UI: blueprints, security headers and the CSRF error page."""

from __future__ import annotations

from flask import render_template
from flask_wtf.csrf import CSRFError

from web.views import (
    admin,
    auth,
    campaigns,
    documents,
    dossiers,
    evaluation,
    parents,
    prolongations,
    propositions,
    stops,
    tasks,
)

CSP = "default-src 'self'"
CSRF_MESSAGE = "Jeton de sécurité manquant ou expiré : rechargez la page et réessayez."


def register_blueprints(app):
    from web.api import api_bp

    admin.init_app(app)  # the demo clock is read before the actor's checks
    for bp in (
        auth.bp,
        tasks.bp,
        dossiers.bp,
        propositions.bp,
        parents.bp,
        stops.bp,
        evaluation.bp,
        prolongations.bp,
        campaigns.bp,
        admin.bp,
        documents.bp,
    ):
        app.register_blueprint(bp)
    app.register_blueprint(api_bp)

    @app.errorhandler(CSRFError)
    def _csrf_error(_err):
        return render_template("error.html", message=CSRF_MESSAGE, code=400), 400

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.context_processor
    def _nav():
        from flask import g

        from engine.clock import clock
        from web.db import get_db

        actor = g.get("actor")
        settings = app.extensions["ipt_runtime"].settings
        return {
            "may_propose": propositions.may_propose(get_db(), actor) if actor else False,
            "may_follow_campaign": campaigns.may_follow(get_db(), actor),
            "clock_adjustable": settings.clock_adjustable,
            "demo_date": clock.today() if settings.clock_adjustable else None,
            "now": clock.now(),
        }

    from web import labels

    app.jinja_env.filters.update(labels.FILTERS)
