"""The pupil file on the dossier page: annex PDFs, attachments (upload/download), the ZIP
export, and the pôle's list of incomplete files. Every download is audited by the engine."""

from __future__ import annotations

import io

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for

from engine.documents import attachments, export
from engine.documents import service as documents
from engine.dossiers.service import get_dossier
from engine.errors import ValidationFailed
from web.db import get_db, get_runtime
from web.views.auth import login_required, staff_required
from web.views.dossiers import render_dossier

bp = Blueprint("documents", __name__)
UPLOAD_FIELDS = ("kind", "school_year", "meeting_id", "note", "medical_only")


UPLOAD_ENDPOINTS = ("documents.upload", "api.upload_attachment")


def upload_limit():
    """Uploads may be larger than the other requests (IPT_MAX_UPLOAD_MB + 1 Mo of form). An
    app-level hook registered before CSRF protection, which reads the form first."""
    if request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = (get_runtime().settings.max_upload_mb + 1) * 1024 * 1024


def _send(name: str, data: bytes, mimetype: str):
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"  # minors' personal data
    return response


@bp.get("/dossiers/<int:dossier_id>/documents/annexes/<int:annex>")
@login_required
def annex(dossier_id, annex):
    db = get_db()
    version = request.args.get("version", type=int)
    occurrence = request.args.get("occurrence") or None
    name, data = documents.annex_download(
        db, get_runtime(), g.actor, dossier_id, annex, occurrence, version
    )
    db.commit()  # the download's audit event (and a deferred rendering) are kept
    return _send(name, data, "application/pdf")


@bp.get("/dossiers/<int:dossier_id>/documents/pieces/<int:attachment_id>")
@login_required
def attachment(dossier_id, attachment_id):
    db = get_db()
    row, data = attachments.download(db, get_runtime(), g.actor, dossier_id, attachment_id)
    db.commit()
    return _send(row.filename, data, row.content_type)


@bp.post("/dossiers/<int:dossier_id>/documents/pieces")
@staff_required
def upload(dossier_id):
    db = get_db()
    data = {k: request.form.get(k, "") for k in UPLOAD_FIELDS}
    file = request.files.get("fichier")
    content = file.read() if file else b""
    try:
        attachments.upload(
            db, get_runtime(), g.actor, dossier_id, data, file.filename if file else "", content
        )
    except ValidationFailed as err:
        db.rollback()
        dossier = get_dossier(db, g.actor, dossier_id)
        return render_dossier(dossier, doc_error=err.message, doc_values=data, status=422)
    db.commit()
    flash("Document déposé dans le dossier de l'élève.", "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#dossier-eleve")


@bp.get("/dossiers/<int:dossier_id>/documents/export")
@staff_required
def export_zip(dossier_id):
    db = get_db()
    name, data = export.export_zip(db, get_runtime(), g.actor, dossier_id)
    db.commit()
    return _send(name, data, "application/zip")


@bp.get("/pole/dossiers-incomplets")
@staff_required
def incomplete():
    rows = documents.incomplete_for_pole(get_db(), g.actor)
    return render_template("documents_incomplete.html", rows=rows)
