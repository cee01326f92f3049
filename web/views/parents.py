"""Parents: a personal link opens a session scoped to one dossier and one guardian."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, session, url_for

from engine import audit
from engine.dossiers import parent_links, progress, stops
from engine.dossiers import service as dossiers
from engine.errors import AuthError
from engine.tasks import service as tasks
from web import forms_render
from web.db import get_db, get_runtime
from web.views.tasks import _defaults

bp = Blueprint("parents", __name__)


@bp.get("/p/<token>")
def follow_link(token):
    db = get_db()
    try:
        link, guardian = parent_links.resolve(db, token[:200])
    except AuthError as err:
        return render_template("parent_link_error.html", message=err.message), 403
    db.commit()  # last_used_at
    session.clear()
    session["parent_link_id"] = link.id
    session["guardian_id"] = guardian.id
    return redirect(url_for("parents.home"))


@bp.get("/parent")
def home():
    if g.actor is None or not g.actor.is_parent:
        return render_template(
            "parent_link_error.html",
            message="Votre session a expiré. Ouvrez à nouveau le lien personnel reçu de l'école.",
        ), 403
    db, runtime = get_db(), get_runtime()
    dossier = dossiers.get_dossier(db, g.actor, g.actor.dossier_scope)
    forms = []
    for task in tasks.inbox(db, g.actor):
        schema = tasks.form_for(db, runtime, task, dossier)
        forms.append(
            {
                "task": task,
                "schema": schema,
                "fields": forms_render.build_fields(schema, _defaults(schema)),
            }
        )
    audit.record(db, g.actor, "dossier_consulte", "Dossier consulté par le parent.", dossier.id)
    db.commit()
    return render_template(
        "parent.html",
        dossier=dossier,
        task_forms=forms,
        steps=progress.steps(dossier),
        may_stop=stops.may_request(g.actor, dossier) and stops.pending(db, dossier) is None,
        decisions=[d for d in dossier.decisions if d.party == "parents" and not d.superseded],
    )
