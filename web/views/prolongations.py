"""« Lancer la prolongation » on the dossier page (the pôle, or the administration)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from engine import calendar
from engine.dossiers import prolongations
from engine.errors import RuleViolation
from web.db import get_db, get_runtime
from web.views.auth import staff_required

bp = Blueprint("prolongations", __name__)


@bp.post("/dossiers/<int:dossier_id>/prolongations")
@staff_required
def start(dossier_id):
    db = get_db()
    try:
        year = calendar.parse_label(request.form.get("school_year", ""))
        prolongations.start_prolongation(db, get_runtime(), g.actor, dossier_id, year)
    except RuleViolation as err:
        db.rollback()
        flash(err.message, "error")
    except calendar.CalendarError as err:
        flash(err.message, "error")
    else:
        db.commit()
        flash(f"Prolongation pour {calendar.label(year)} lancée : les avis sont demandés.", "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#annees")
