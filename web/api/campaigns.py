"""The yearly prolongation campaign: its progress (administration, or a pôle for its own
dossiers) and opening it by hand (administration)."""

from __future__ import annotations

from flask import jsonify, url_for

from engine.background import campaigns
from engine.errors import Forbidden
from web.api import api_bp
from web.api.auth import current_actor
from web.api.common import iso, json_body
from web.db import get_db, get_runtime
from web.errors import error_payload


@api_bp.get("/campaigns/<int:year>")
def get_campaign(year: int):
    session = get_db()
    poles = campaigns.visible_poles(session, current_actor())
    return jsonify(progress_json(campaigns.progress(session, year, poles)))


@api_bp.post("/campaigns")
def open_campaign():
    """201 with the progress; 409 `campagne_ouverte` with the progress if already open."""
    session, actor = get_db(), current_actor()
    if not actor.is_admin:
        raise Forbidden("Seule l'administration ouvre la campagne de prolongation.")
    year = campaigns.parse_year(json_body().get("year", ""))  # 422 if malformed
    try:
        campaigns.open_campaign(session, get_runtime(), year, actor.label)
    except campaigns.CampaignRunning as err:
        session.rollback()
        body = {**error_payload(err), "progress": progress_json(campaigns.progress(session, year))}
        return jsonify(body), 409
    session.commit()
    response = jsonify(progress_json(campaigns.progress(session, year)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_campaign", year=year)
    return response


def progress_json(data: dict) -> dict:
    campaign = data["campaign"]
    return {
        "year": data["year"],
        "label": data["label"],
        "campaign": None
        if campaign is None
        else {
            "state": campaign.state,
            "opened_at": iso(campaign.opened_at),
            "opened_by": campaign.opened_by,
            "opens_on": iso(campaign.opens_on),
            "due_on": iso(campaign.due_on),
            "closed_at": iso(campaign.closed_at),
        },
        "expected": data["expected"],
        "percent": data["percent"],
        "total": data["total"],
        "per_pole": [{"pole": name, **counts} for name, counts in data["per_pole"]],
        "waiting_for": data["waiting_for"],
        "chunks": {"done": data["chunks_done"], "total": data["chunks_total"]},
        "problems": [
            {
                "dossier_id": p["dossier_id"],
                "reference": p.get("reference"),
                "message": p["message"],
            }
            for p in data["problems"]
        ],
        "no_contact": data["no_contact"],
        "flagged": data["flagged"],
    }
