"""« Demander l'arrêt » : a stop request by a partner of the IPT or the CPMS EO (R-ARRET-1…5)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.dossiers import service as dossiers
from engine.dossiers import stops
from engine.errors import RuleViolation, ValidationFailed
from web.db import get_db, get_runtime
from web.views.auth import login_required

bp = Blueprint("stops", __name__)
FIELDS = ("reason", "reason_text", "justification", "at_year_end", "event_date")


@bp.route("/dossiers/<int:dossier_id>/arret", methods=["GET", "POST"])
@login_required
def request_stop(dossier_id):
    db, runtime = get_db(), get_runtime()
    dossier = dossiers.get_dossier(db, g.actor, dossier_id)
    if not stops.may_request(g.actor, dossier):
        abort(403)
    form = {k: request.form.get(k, "") for k in FIELDS}
    errors, problem = {}, None
    if request.method == "POST":
        try:
            stops.request_stop(db, runtime, g.actor, dossier.id, dict(form))
        except ValidationFailed as err:
            db.rollback()
            errors = err.errors
        except RuleViolation as err:
            db.rollback()
            problem = err.message
        else:
            db.commit()
            flash(
                "Demande d'arrêt enregistrée : la direction de l'école ordinaire va concerter "
                "les partenaires.",
                "ok",
            )
            if g.actor.is_parent:
                return redirect(url_for("parents.home"))
            return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    status = 422 if errors or problem else 200
    return render_template(
        "stop.html",
        dossier=dossier,
        form=form,
        errors=errors,
        problem=problem,
        reasons=stops.REASONS,
        pending=stops.pending(db, dossier),
    ), status
