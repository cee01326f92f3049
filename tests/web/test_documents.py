"""The pupil file on the dossier page: checklist, annex PDFs, uploads (CSRF, content checks),
downloads, the ZIP export and the pôle's list of incomplete files."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from engine.models import Attachment, AuditEvent
from tests.engine.documents import files
from tests.web.conftest import csrf_of

POLE = "coordination.pole@demo.ipt"


def post_file(b, dossier_id, name, data, **form):
    """A multipart upload encoded in memory (the test client would spool a big body to a
    temporary file it never closes)."""
    page = b.get(f"/dossiers/{dossier_id}")
    fields = {"csrf_token": csrf_of(page), "kind": "attestation_orientation", **form}
    fields["fichier"] = FileStorage(io.BytesIO(data), filename=name)
    boundary, body = encode_multipart(fields)
    return b.client.post(
        f"/dossiers/{dossier_id}/documents/pieces",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def attachments(db):
    return db.scalar(select(func.count()).select_from(Attachment))


def test_the_dossier_page_shows_the_checklist_and_the_frozen_annexes(as_partner, ipt):
    page = as_partner(POLE).get(f"/dossiers/{ipt.id}").get_data(as_text=True)
    assert 'id="dossier-eleve"' in page and "Incomplet" in page
    assert 'data-key="annexe_2" data-year="" data-status="manquant"' in page
    assert 'data-key="annexe_1" data-year="" data-status="present"' in page
    assert f"/dossiers/{ipt.id}/documents/annexes/1?version=1" in page


def test_annex_download_and_not_yet_available(as_partner, db, ipt):
    b = as_partner("direction.es@demo.ipt")
    pdf = b.get(f"/dossiers/{ipt.id}/documents/annexes/1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and pdf.headers["Cache-Control"] == "no-store"
    later = b.get(f"/dossiers/{ipt.id}/documents/annexes/8")
    assert later.status_code == 404
    assert "pas encore disponible" in later.get_data(as_text=True)
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "document_telecharge")
    )
    assert audited == 1


def test_upload_without_csrf_is_refused(as_partner, db, ipt):
    b = as_partner(POLE)
    response = b.client.post(
        f"/dossiers/{ipt.id}/documents/pieces",
        data={
            "kind": "attestation_orientation",
            "fichier": (io.BytesIO(files.pdf_bytes()), "a.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and attachments(db) == 0


def test_upload_then_download(as_partner, db, ipt):
    b = as_partner(POLE)
    ok = post_file(b, ipt.id, "attestation.pdf", files.pdf_bytes())
    assert ok.status_code == 302
    row = db.scalar(select(Attachment))
    got = b.get(f"/dossiers/{ipt.id}/documents/pieces/{row.id}")
    assert got.status_code == 200 and got.data == files.pdf_bytes()
    assert "filename=attestation.pdf" in got.headers["Content-Disposition"]


def test_bad_uploads_show_a_french_error_and_keep_nothing(as_partner, db, ipt, app):
    b = as_partner(POLE)
    limit = app.extensions["ipt_runtime"].settings.max_upload_mb
    for name, data, message in (
        ("programme.pdf", files.ELF, "Seuls les documents PDF et les images PNG ou JPEG"),
        ("vide.pdf", b"", "Le fichier est vide."),
        ("../x.pdf", files.pdf_bytes(), "séparateur de dossier"),
        ("gros.pdf", files.pdf_bytes() + b"%" * (limit * 1024 * 1024), f"{limit} Mo au maximum"),
    ):
        response = post_file(b, ipt.id, name, data)
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name
    assert attachments(db) == 0


def test_another_schools_dossier_is_neither_writable_nor_readable(as_partner, db, ipt):
    ok = post_file(as_partner(POLE), ipt.id, "a.pdf", files.pdf_bytes())
    assert ok.status_code == 302
    row = db.scalar(select(Attachment))
    other = as_partner("direction.eo.secondaire@demo.ipt")
    page = other.get("/tasks")  # any page, for a CSRF token
    response = other.client.post(
        f"/dossiers/{ipt.id}/documents/pieces",
        data={
            "csrf_token": csrf_of(other.get("/dossiers")),
            "kind": "attestation_orientation",
            "fichier": (io.BytesIO(files.pdf_bytes()), "a.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert page is not None and response.status_code == 403 and attachments(db) == 1
    assert other.get(f"/dossiers/{ipt.id}/documents/pieces/{row.id}").status_code == 403


def test_export_zip_and_the_poles_incomplete_list(as_partner, ipt):
    b = as_partner(POLE)
    post_file(b, ipt.id, "attestation.pdf", files.pdf_bytes())
    response = b.get(f"/dossiers/{ipt.id}/documents/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.data))
    names = z.namelist()
    assert "index.csv" in names and any(n.startswith("pieces/") for n in names)
    assert {n.split("-annexe-")[1][0] for n in names if "-annexe-" in n} == {"1", "4", "5", "6"}
    index = z.read("index.csv").decode("utf-8-sig")
    assert index.splitlines()[0] == "fichier;document;date;version;sha256"
    page = b.get("/pole/dossiers-incomplets").get_data(as_text=True)
    assert ipt.reference in page and "Annexe 2" in page
