"""Dossiers: the list I may see (with search), the dossier page and the ES direction's actions."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine import audit
from engine.dossiers import parent_links
from engine.dossiers import service as dossiers
from engine.errors import Forbidden, ValidationFailed
from web.db import get_db, get_runtime
from web.views import dossier_page
from web.views.auth import login_required, staff_required

bp = Blueprint("dossiers", __name__)


@bp.get("/dossiers")
@staff_required
def index():
    q = (request.args.get("q") or "").strip()[:100]
    rows = dossiers.visible_dossiers(get_db(), g.actor, q or None)
    return render_template("dossiers.html", rows=rows, q=q)


@bp.get("/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id):
    db = get_db()
    dossier = dossiers.get_dossier(db, g.actor, dossier_id)
    audit.record(db, g.actor, "dossier_consulte", "Dossier consulté.", dossier.id)
    db.commit()  # every read of a dossier is attributable (DESIGN: personal data of minors)
    return _render(dossier)


def render_dossier(dossier, *, close_error=None, reason="", status=200, **extra):
    ctx = dossier_page.context(get_db(), get_runtime(), g.actor, dossier)
    extra.setdefault("eval_form", None)
    extra.setdefault("eval_errors", {})
    extra.setdefault("eval_values", {})
    page = render_template("dossier.html", close_error=close_error, reason=reason, **ctx, **extra)
    return page, status


_render = render_dossier


@bp.post("/dossiers/<int:dossier_id>/cloturer")
@staff_required
def close(dossier_id):
    db = get_db()
    reason = request.form.get("motif", "")
    try:
        dossiers.close_dossier(db, get_runtime(), g.actor, dossier_id, reason)
    except ValidationFailed as err:
        db.rollback()
        dossier = dossiers.get_dossier(db, g.actor, dossier_id)
        return _render(
            dossier, close_error=err.errors.get("motif"), reason=reason[:6000], status=422
        )
    db.commit()
    flash("Le dossier est clôturé.", "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id))


@bp.post("/dossiers/<int:dossier_id>/parents/<int:guardian_id>/lien")
@staff_required
def reissue_link(dossier_id, guardian_id):
    db = get_db()
    dossier = _for_es_direction(dossier_id)
    parent_links.reissue(db, get_runtime(), g.actor, dossier, guardian_id)
    db.commit()
    flash("Un nouveau lien personnel a été émis ; l'ancien ne fonctionne plus.", "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, _anchor="parents"))


@bp.post("/dossiers/<int:dossier_id>/parents/<int:guardian_id>/revoquer")
@staff_required
def revoke_link(dossier_id, guardian_id):
    db = get_db()
    dossier = _for_es_direction(dossier_id)
    count = parent_links.revoke(db, g.actor, dossier, guardian_id)
    db.commit()
    flash("Lien révoqué." if count else "Aucun lien actif à révoquer.", "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, _anchor="parents"))


def _for_es_direction(dossier_id):
    dossier = dossiers.get_dossier(get_db(), g.actor, dossier_id)
    if not dossier_page.is_es_direction(g.actor, dossier):
        raise Forbidden("Seule la direction de l'école spécialisée gère les liens des parents.")
    return dossier
