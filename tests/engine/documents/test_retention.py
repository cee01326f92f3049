"""The retention setting and `ipt documents purge` (minors' personal data are not kept forever)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from click.testing import CliRunner

from engine.clock import clock
from engine.documents import annexes, attachments, retention
from engine.dossiers import service as dossiers
from engine.errors import NotFound
from tests.engine.documents import files
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def closed_with_files(drv):
    d = drv.proposition(pupil_cf="CF-R")
    drv.accept_proposition(d)  # annex 1 frozen
    attachments.upload(
        drv.s,
        drv.runtime,
        drv.user("direction.es@demo.ipt"),
        d.id,
        {"kind": "attestation_orientation"},
        "a.pdf",
        files.pdf_bytes(),
    )
    dossiers.close_dossier(
        drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d.id, "Les parents renoncent."
    )
    drv.s.commit()
    return d


def test_purge_deletes_files_kept_past_the_retention_period(drv, settings):
    d = closed_with_files(drv)
    (piece,) = attachments.list_for(drv.s, d)
    path = settings.storage_dir / piece.storage_key
    assert path.is_file()
    assert retention.purge(drv.s, settings, dry_run=False) == ["Aucun document à supprimer."]
    clock.set_today(dt.date(2026 + settings.retention_years, 3, 21))
    dry = retention.purge(drv.s, settings, dry_run=True)
    assert dry == [f"{d.reference} : IPT terminée le 20/03/2026 — 2 document(s) à supprimer"]
    assert path.is_file() and piece.purged_at is None
    done = retention.purge(drv.s, settings, dry_run=False)
    drv.s.commit()
    assert done[0].endswith("2 document(s) supprimé(s)") and not path.exists()
    with pytest.raises(NotFound):
        attachments.download(drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d.id, piece.id)
    with pytest.raises(NotFound, match="durée de conservation"):
        annexes.pdf_bytes(drv.s, settings, annexes.find(drv.s, d, 1))
    assert annexes.find(drv.s, d, 1).facts == {}
    assert retention.purge(drv.s, settings, dry_run=False) == ["Aucun document à supprimer."]


def test_a_running_dossier_is_never_purged(drv, settings):
    d = drv.proposition(pupil_cf="CF-S")
    drv.accept_proposition(d)
    clock.set_today(dt.date(2060, 1, 1))
    assert retention.purge(
        drv.s, dataclasses.replace(settings, retention_years=1), dry_run=True
    ) == ["Aucun document à supprimer."]


def test_the_cli_dry_run(drv, settings, monkeypatch):
    from ipt.cli import main

    closed_with_files(drv)
    monkeypatch.setenv("IPT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IPT_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("IPT_TODAY", "2040-01-01")
    result = CliRunner().invoke(main, ["documents", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 document(s) à supprimer" in result.output
