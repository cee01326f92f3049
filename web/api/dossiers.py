"""Dossiers: open a proposition, list and search, read one (audited), issue a parent's link."""

from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy import select

from engine import audit, calendar
from engine.auth import token_digest
from engine.dossiers import evaluation, parent_links, prolongations, stops
from engine.dossiers import service as dossiers
from engine.errors import Forbidden, ValidationFailed
from engine.models import ParentLink
from web.api import api_bp, serialize
from web.api.auth import current_actor
from web.api.common import int_field, iso, json_body
from web.db import get_db, get_runtime

MAX_QUERY = 100


@api_bp.post("/dossiers")
def create_dossier():
    session, actor = get_db(), current_actor()
    dossier = dossiers.open_proposition(session, get_runtime(), actor, json_body())
    body = serialize.dossier_detail(session, dossier)
    session.commit()
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_dossier", dossier_id=dossier.id)
    return response


@api_bp.get("/dossiers")
def list_dossiers():
    session, actor = get_db(), current_actor()
    query = (request.args.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise ValidationFailed({"q": f"Texte trop long : {MAX_QUERY} caractères au maximum."})
    rows = dossiers.visible_dossiers(session, actor, query or None)
    if query:
        # A search by name or CF number is itself a read of personal data: keep who searched.
        audit.record(
            session,
            actor,
            "dossiers_recherches",
            f"Recherche par l'API : « {query} ».",
            None,
            via="api",
            q=query,
            dossier_ids=[d.id for d in rows],
        )
    session.commit()
    return jsonify({"dossiers": [serialize.dossier_summary(d) for d in rows]})


@api_bp.get("/dossiers/<int:dossier_id>")
def get_dossier(dossier_id: int):
    session, actor = get_db(), current_actor()
    dossier = dossiers.get_dossier(session, actor, dossier_id)
    audit.record(
        session, actor, "dossier_consulte", "Dossier consulté par l'API.", dossier.id, via="api"
    )
    body = serialize.dossier_detail(session, dossier)
    session.commit()
    return jsonify(body)


@api_bp.post("/dossiers/<int:dossier_id>/parent-links")
def issue_parent_link(dossier_id: int):
    """A new personal link for one guardian (the previous one stops working). The raw token is
    returned once: it is the parent's credential, also usable as a bearer token."""
    session, actor, runtime = get_db(), current_actor(), get_runtime()
    dossier = dossiers.get_dossier(session, actor, dossier_id)
    if not actor.roles_in(dossier.es_school_id) & {"direction", "delegue"}:
        raise Forbidden(
            "Seule la direction de l'école spécialisée (ou son délégué) peut émettre un lien "
            "personnel pour un parent."
        )
    guardian_id = int_field(json_body().get("guardian_id"), "guardian_id")
    raw = parent_links.reissue(session, runtime, actor, dossier, guardian_id)
    link = session.scalar(select(ParentLink).where(ParentLink.token_hash == token_digest(raw)))
    session.commit()
    response = jsonify(
        {
            "url": f"{runtime.settings.base_url}/p/{raw}",
            "token": raw,
            "expires_at": iso(link.expires_at),
            "guardian_id": guardian_id,
        }
    )
    response.status_code = 201
    return response


@api_bp.post("/dossiers/<int:dossier_id>/stop-requests")
def request_stop(dossier_id: int):
    """R-ARRET-1…3: a stop request by a partner of the IPT (or the CPMS EO); 201, 422, 403."""
    session, actor, runtime = get_db(), current_actor(), get_runtime()
    stop = stops.request_stop(session, runtime, actor, dossier_id, dict(json_body()))
    body = serialize.stop_request(stop)
    session.commit()
    response = jsonify(body)
    response.status_code = 201
    return response


@api_bp.post("/dossiers/<int:dossier_id>/concertations")
def record_meeting(dossier_id: int):
    """R-EVAL-1: minutes of a concertation meeting (EO school, pôle or CPMS EO); 201 or 422."""
    session = get_db()
    meeting = evaluation.record_meeting(
        session, get_runtime(), current_actor(), dossier_id, dict(json_body())
    )
    session.flush()
    body = serialize.meeting(meeting)
    session.commit()
    response = jsonify(body)
    response.status_code = 201
    return response


@api_bp.post("/dossiers/<int:dossier_id>/prolongations")
def start_prolongation(dossier_id: int):
    """R-PROL-1: start the prolongation for `school_year` ("2027-2028"); 201, 409 if started."""
    session = get_db()
    raw = json_body().get("school_year")
    try:
        year = calendar.parse_label(str(raw or ""))
    except calendar.CalendarError as err:
        raise ValidationFailed({"school_year": err.message}) from None
    row = prolongations.start_prolongation(
        session, get_runtime(), current_actor(), dossier_id, year
    )
    body = serialize.prolongation(row)
    session.commit()
    response = jsonify(body)
    response.status_code = 201
    return response
