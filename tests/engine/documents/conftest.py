"""Fixtures of the documents tests.

`full_file`: one realistic dossier (proposition → prolongation → stop) on a module-scoped SQLite
database, its eight annexes generated once and their text extracted with pypdf — for the text
checks, which do not depend on the backend. `drv_now`: a driver on the per-backend test database
that renders PDFs at once (IPT_DOCUMENTS_RENDER=now), for the database-behaviour tests.
"""

from __future__ import annotations

import dataclasses
import io
import re
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

import engine.models  # noqa: F401  (the tables)
from engine.clock import clock
from engine.config import Settings
from engine.db import Base, make_engine, make_session_factory
from engine.documents import annexes
from tests.engine.documents import full
from tests.engine.driver import Driver


def text_of(pdf: bytes) -> str:
    """The PDF's text with whitespace collapsed (labels wrap over lines in table cells)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


@pytest.fixture(scope="module")
def full_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("documents")
    settings = Settings.from_env(
        {
            "IPT_DATABASE_URL": f"sqlite:///{tmp / 'file.sqlite3'}",
            "IPT_INSTANCE_DIR": str(tmp / "instance"),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_DOCUMENTS_RENDER": "now",
        }
    )
    eng = make_engine(settings.database_url)
    Base.metadata.create_all(eng)
    session = make_session_factory(eng)()
    drv = Driver(session, settings)
    dossier = full.full(drv)
    pdfs = {}
    for doc in annexes.versions(session, dossier.id):
        pdfs[doc.annex] = annexes.pdf_bytes(session, settings, doc)
    pdfs[6] = annexes.synoptic_pdf(session, dossier)
    session.commit()
    yield SimpleNamespace(
        drv=drv,
        dossier=dossier,
        settings=settings,
        pdfs=pdfs,
        texts={n: text_of(b) for n, b in pdfs.items()},
        tmp=tmp,
    )
    clock.reset()
    session.close()
    eng.dispose()


@pytest.fixture
def drv_now(db_session, settings):
    return Driver(db_session, dataclasses.replace(settings, documents_render="now"))
