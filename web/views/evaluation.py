"""Évaluation on the dossier page: concertation minutes, the CPMS EO's optional avis (R-EVAL-1)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from engine.dossiers import evaluation
from engine.dossiers.service import get_dossier
from engine.errors import RuleViolation, ValidationFailed
from web.db import get_db, get_runtime
from web.views.auth import staff_required
from web.views.dossiers import render_dossier

bp = Blueprint("evaluation", __name__)


@bp.post("/dossiers/<int:dossier_id>/concertations")
@staff_required
def add_meeting(dossier_id):
    data = {k: request.form.get(k, "") for k in ("held_on", "participants", "minutes")}
    return _apply(
        dossier_id, evaluation.record_meeting, data, "Compte rendu enregistré.", "meeting"
    )


@bp.post("/dossiers/<int:dossier_id>/avis-cpms-eo")
@staff_required
def cpms_avis(dossier_id):
    data = {k: request.form.get(k, "") for k in ("date_avis", "avis", "justification")}
    return _apply(
        dossier_id, evaluation.give_cpms_eo_avis, data, "Avis du CPMS enregistré.", "cpms"
    )


def _apply(dossier_id, fn, data, done, form_name):
    db = get_db()
    try:
        fn(db, get_runtime(), g.actor, dossier_id, data)
    except (ValidationFailed, RuleViolation) as err:
        db.rollback()
        errors = getattr(err, "errors", {"__all__": err.message})
        dossier = get_dossier(db, g.actor, dossier_id)
        return render_dossier(
            dossier, eval_form=form_name, eval_errors=errors, eval_values=data, status=422
        )
    db.commit()
    flash(done, "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#evaluation")
