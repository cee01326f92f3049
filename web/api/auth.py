"""Tokens: `POST /auth/token` for staff, and bearer authentication of every other API call.

A bearer token is first looked up as a staff API token, then as a parent's personal-link token
(which acts as that guardian, scoped to the one dossier of the link).
"""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from engine.auth import authenticate, issue_api_token, token_digest, user_for_api_token
from engine.context import Actor
from engine.dossiers import parent_links
from engine.errors import AuthError, Throttled
from engine.models import ParentLink
from web.api import api_bp
from web.api.common import iso, json_body
from web.db import get_db, get_runtime
from web.errors import error_payload

PUBLIC_ENDPOINTS = {"api.issue_token", "api.openapi_document"}
MSG_NO_TOKEN = "Authentification requise : envoyez « Authorization: Bearer <jeton> »."
MSG_BAD_TOKEN = "Jeton d'accès invalide ou expiré : demandez-en un nouveau."


def unauthorized(err: AuthError):
    response = jsonify(error_payload(err))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="ipt"'
    return response


@api_bp.before_request
def _authenticate():
    """Set g.api_actor from the bearer token, or answer 401 (JSON) before any view runs."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        return unauthorized(AuthError(MSG_NO_TOKEN))
    try:
        g.api_actor = actor_for_token(get_db(), raw)
    except AuthError as err:
        return unauthorized(err)
    return None


def actor_for_token(session, raw: str) -> Actor:
    user = user_for_api_token(session, raw)
    if user is not None:
        return Actor.for_user(user)
    exists = session.scalar(select(ParentLink.id).where(ParentLink.token_hash == token_digest(raw)))
    if exists is None:
        raise AuthError(MSG_BAD_TOKEN)
    _link, guardian = parent_links.resolve(session, raw)  # AuthError if revoked or expired
    return Actor.for_guardian(guardian)


def current_actor() -> Actor:
    return g.api_actor


@api_bp.post("/auth/token")
def issue_token():
    data = json_body()
    session = get_db()
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        return unauthorized(AuthError("Adresse e-mail ou mot de passe incorrect."))
    settings = get_runtime().settings
    try:
        user = authenticate(session, email, password, settings)
    except Throttled as err:
        response = jsonify(error_payload(err))
        response.status_code = 429
        response.headers["Retry-After"] = str(err.retry_after)
        return response
    except AuthError as err:
        session.commit()  # the failure count must survive the 401
        return unauthorized(err)
    raw, row = issue_api_token(session, user, settings)
    session.commit()
    return jsonify({"token": raw, "token_type": "Bearer", "expires_at": iso(row.expires_at)})
