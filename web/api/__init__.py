"""JSON API under /api/v1: bearer tokens (staff API tokens or parents' link tokens), JSON errors
in French, a hand-written OpenAPI document at /api/v1/openapi.json.

The API never uses cookies, so it is exempt from the UI's CSRF protection.
"""

from flask import Blueprint

from web import csrf

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)

from web.api import auth, campaigns, documents, dossiers, openapi, tasks  # noqa: E402,F401  (routes on api_bp)
