"""« Mes tâches » and the task page: the form drawn from its JSON Schema, validated by the engine."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.clock import clock
from engine.dossiers import access
from engine.errors import AlreadyCompleted, RuleViolation, ValidationFailed
from engine.models import Dossier
from engine.tasks import service as tasks
from engine.tasks.forms import coerce_form_input
from web import forms_render
from web.db import get_db, get_runtime
from web.views.auth import login_required, staff_required

bp = Blueprint("tasks", __name__)

DATE_DEFAULTS = True  # prefill empty date fields with today's date (the product clock)


@bp.get("/taches")
@staff_required
def inbox():
    db = get_db()
    rows = [(t, db.get(Dossier, t.dossier_id)) for t in tasks.inbox(db, g.actor)]
    paper = [(t, db.get(Dossier, t.dossier_id)) for t in tasks.paper_tasks(db, g.actor)]
    return render_template("tasks.html", rows=rows, paper=paper)


@bp.route("/taches/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id):
    db, runtime = get_db(), get_runtime()
    row, dossier = tasks.get_task(db, g.actor, task_id)
    if request.method == "GET":
        if row.state != "open":
            return _render(row, dossier, None, {}, {}, done=tasks.done_message(row))
        schema = tasks.form_for(db, runtime, row, dossier)
        return _render(row, dossier, schema, _defaults(schema), {})

    schema = tasks.form_for(db, runtime, row, dossier)
    values = {k: request.form.get(k, "") for k in (schema.get("properties") or {})}
    data = coerce_form_input(schema, request.form)
    guardian_id = _guardian_choice() if _records_on_paper(row) else None
    try:
        tasks.complete_task(db, runtime, g.actor, task_id, data, guardian_id=guardian_id)
    except AlreadyCompleted as err:
        db.rollback()
        row, dossier = tasks.get_task(db, g.actor, task_id)
        return _render(row, dossier, None, {}, {}, done=err.message, status=409)
    except ValidationFailed as err:
        db.rollback()  # nothing is kept
        errors = dict(err.errors)
        row, dossier = tasks.get_task(db, g.actor, task_id)
        values["guardian_id"] = request.form.get("guardian_id", "")
        return _render(row, dossier, schema, values, errors, status=422)
    db.commit()
    flash(f"« {row.name} » : c'est enregistré. Merci.", "ok")
    if g.actor.is_parent:
        return redirect(url_for("parents.home"))
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


@bp.post("/taches/<task_id>/corriger")
@login_required
def reopen(task_id):
    """Reopen my avis/accord for correction while its stage has not ended."""
    db, runtime = get_db(), get_runtime()
    try:
        row = tasks.reopen_task(db, runtime, g.actor, task_id)
    except RuleViolation as err:
        db.rollback()
        _row, dossier = tasks.get_task(db, g.actor, task_id)
        flash(err.message, "error")
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    db.commit()
    flash(f"« {row.name} » est rouvert : corrigez puis enregistrez.", "ok")
    return redirect(url_for("tasks.task", task_id=task_id))


def _records_on_paper(row) -> bool:
    return row.party == "parents" and not g.actor.is_parent


def _guardian_choice():
    raw = request.form.get("guardian_id", "")
    return int(raw) if raw.isdigit() else None


def _defaults(schema) -> dict:
    if not DATE_DEFAULTS:
        return {}
    today = clock.today().isoformat()
    props = schema.get("properties") or {}
    return {name: today for name, prop in props.items() if prop.get("format") == "date"}


def _render(row, dossier, schema, values, errors, *, done=None, status=200):
    fields = forms_render.build_fields(schema, values, errors) if schema else []
    on_paper = row.state == "open" and _records_on_paper(row)
    if on_paper and not access.can_record_for_parents(g.actor, dossier):
        abort(403)
    html = render_template(
        "task.html",
        task=row,
        dossier=dossier,
        schema=schema or {},
        fields=fields,
        other_errors=forms_render.other_errors(
            fields, {k: v for k, v in errors.items() if k != "guardian_id"}
        ),
        errors=errors,
        on_paper=on_paper,
        guardian_value=values.get("guardian_id", ""),
        done=done,
    )
    return html, status
