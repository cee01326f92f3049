"""GET /dossiers/{id}/documents, the annex and attachment downloads, POST an attachment."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from engine.models import Attachment
from tests.engine.documents import files
from tests.engine.driver import Driver


@pytest.fixture
def proposed(app, db):
    drv = Driver(db, app.extensions["ipt_runtime"].settings)
    d = drv.proposition(pupil_cf="CF-API")
    drv.accept_proposition(d)
    return d


def upload(client, d, name, data, **form):
    return client.post(
        f"/api/v1/dossiers/{d.id}/attachments",
        data={"kind": "attestation_orientation", **form, "fichier": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_list_download_and_upload(api, db, proposed):
    es = api("direction.es")
    created = upload(es, proposed, "attestation.pdf", files.pdf_bytes())
    assert created.status_code == 201, created.get_json()
    body = es.get(f"/api/v1/dossiers/{proposed.id}/documents").get_json()
    (annex,) = body["annexes"]
    assert (annex["annex"], annex["version"]) == (1, 1)
    (piece,) = body["attachments"]
    assert (
        piece["filename"] == "attestation.pdf" and piece["sha256"] == created.get_json()["sha256"]
    )
    assert {"key": "annexe_1", "status": "present"}.items() <= body["checklist"][4].items()
    pdf = es.get(annex["download"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert es.get(piece["download"]).data == files.pdf_bytes()


def test_refusals(api, db, proposed):
    es = api("direction.es")
    bad = upload(es, proposed, "x.pdf", files.SCRIPT)
    assert bad.status_code == 422 and "Seuls les documents PDF" in bad.get_json()["message"]
    other = upload(api("direction.eo.secondaire"), proposed, "x.pdf", files.pdf_bytes())
    assert other.status_code == 403
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0
    later = es.get(f"/api/v1/dossiers/{proposed.id}/annexes/5")
    assert later.status_code == 404 and later.get_json()["error"] == "pas_encore_disponible"
    assert es.get(f"/api/v1/dossiers/{proposed.id}/attachments/999").status_code == 404
