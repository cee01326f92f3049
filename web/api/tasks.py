"""My inbox, one task with its form, and completing a task."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from engine import audit
from engine.models import Dossier
from engine.tasks import service as tasks
from web.api import api_bp, serialize
from web.api.auth import current_actor
from web.api.common import int_field, json_body
from web.db import get_db, get_runtime


@api_bp.get("/tasks")
def list_tasks():
    session, actor = get_db(), current_actor()
    rows = tasks.inbox(session, actor)
    ids = {r.dossier_id for r in rows}
    dossiers = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.id.in_(ids)))}
    session.commit()
    return jsonify({"tasks": [serialize.task(r, dossiers[r.dossier_id]) for r in rows]})


@api_bp.get("/tasks/<task_id>")
def get_task(task_id: str):
    session, actor = get_db(), current_actor()
    row, dossier = tasks.get_task(session, actor, task_id)
    body = serialize.task(row, dossier)
    body["form"] = tasks.form_for(session, get_runtime(), row, dossier) if row.form else None
    audit.record(
        session,
        actor,
        "dossier_consulte",
        f"Tâche consultée par l'API : {row.name}.",
        dossier.id,
        via="api",
        task_id=row.id,
    )
    session.commit()
    return jsonify(body)


@api_bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str):
    """The body is the form data; `guardian_id` (body or query) names the parent whose paper
    accord a staff member records — it is not a form field."""
    session, actor = get_db(), current_actor()
    data = dict(json_body())
    raw_guardian = data.pop("guardian_id", None)
    if raw_guardian is None:
        raw_guardian = request.args.get("guardian_id")
    guardian_id = int_field(raw_guardian, "guardian_id", required=False)
    row = tasks.complete_task(session, get_runtime(), actor, task_id, data, guardian_id=guardian_id)
    dossier = session.get(Dossier, row.dossier_id)
    body = {
        "task": serialize.task(row, dossier),
        "dossier": serialize.dossier_summary(dossier),
        "open_tasks": [serialize.task(t, dossier) for t in serialize.open_tasks(session, dossier)],
    }
    session.commit()
    return jsonify(body)


@api_bp.post("/tasks/<task_id>/reopen")
def reopen_task(task_id: str):
    """Reopen my avis/accord for correction while its stage has not ended (422 after)."""
    session = get_db()
    row = tasks.reopen_task(session, get_runtime(), current_actor(), task_id)
    dossier = session.get(Dossier, row.dossier_id)
    body = serialize.task(row, dossier)
    session.commit()
    return jsonify(body)
