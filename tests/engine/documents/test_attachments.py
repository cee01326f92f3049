"""Attachments of the pupil file (§8): accepted by their content, size-limited, stored with a
checksum outside the web root, downloads only for partners and health documents only for the
roles that need them; each refusal a clear French error with nothing changed."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from engine.documents import attachments
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.models import Attachment, AuditEvent
from tests.engine.documents import files
from tests.engine.driver import Driver

POLE = "coordination.pole@demo.ipt"


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


@pytest.fixture
def dossier(drv):
    return drv.proposition(pupil_cf="CF-1")


def up(
    drv, d, who=POLE, kind="attestation_orientation", name="attestation.pdf", data=None, **extra
):
    actor = who if not isinstance(who, str) else drv.user(who)
    row = attachments.upload(
        drv.s,
        drv.runtime,
        actor,
        d.id,
        {"kind": kind, **extra},
        name,
        files.pdf_bytes() if data is None else data,
    )
    drv.s.commit()
    return row


def count(drv, model=Attachment):
    return drv.s.scalar(select(func.count()).select_from(model))


def test_upload_stores_outside_the_web_root_with_its_checksum(drv, dossier, settings):
    row = up(drv, dossier, who="direction.es@demo.ipt")
    data = files.pdf_bytes()
    assert row.content_type == "application/pdf" and row.sha256 == hashlib.sha256(data).hexdigest()
    path = settings.storage_dir / row.storage_key
    assert path.is_file() and settings.instance_dir in path.parents
    assert "attestation" not in row.storage_key  # never the user's file name on disk
    png = up(drv, dossier, who="direction.es@demo.ipt", name="scan.png", data=files.png_bytes())
    assert png.content_type == "image/png"
    got, content = attachments.download(
        drv.s, drv.runtime, drv.user("cpms.es@demo.ipt"), dossier.id, row.id
    )
    drv.s.commit()
    assert content == data
    assert (
        drv.s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "document_telecharge")
        )
        == 1
    )
    assert (
        drv.s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "piece_deposee")
        )
        == 2
    )


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("programme.pdf", files.ELF, "Seuls les documents PDF et les images"),
        ("script.pdf", files.SCRIPT, "Seuls les documents PDF et les images"),
        ("faux.pdf", files.FAKE_PDF, "PDF est illisible"),
        ("vide.pdf", b"", "Le fichier est vide."),
        ("../../etc/passwd.pdf", None, "séparateur de dossier"),
        ("dossier\\fichier.pdf", None, "séparateur de dossier"),
        ("bad\x07name.pdf", None, "caractère de contrôle"),
        ("nom\nligne.pdf", None, "caractère de contrôle"),
    ],
)
def test_bad_uploads_are_refused_in_french_and_nothing_is_kept(
    drv, dossier, settings, name, data, message
):
    with pytest.raises(ValidationFailed, match=message):
        up(drv, dossier, who="direction.es@demo.ipt", name=name, data=data)
    drv.s.rollback()
    assert count(drv) == 0
    assert not (settings.storage_dir.exists() and any(settings.storage_dir.rglob("*-*")))


def test_an_upload_over_the_size_limit_is_refused(drv, dossier, settings):
    big = files.pdf_bytes() + b"%" * (settings.max_upload_mb * 1024 * 1024)
    with pytest.raises(ValidationFailed, match=f"{settings.max_upload_mb} Mo au maximum"):
        up(drv, dossier, who="direction.es@demo.ipt", name="gros.pdf", data=big)
    drv.s.rollback()
    assert count(drv) == 0


def test_an_upload_to_another_schools_dossier_is_refused(drv, dossier):
    with pytest.raises(Forbidden, match="pas partenaire de ce dossier"):
        up(drv, dossier, who="direction.eo.secondaire@demo.ipt")
    drv.s.rollback()
    assert count(drv) == 0


def test_another_dossiers_document_answers_like_a_missing_one(drv, dossier):
    other = drv.proposition(pupil_last_name="Autre", pupil_cf="CF-2")
    row = up(drv, other, who="direction.es@demo.ipt")
    me = drv.user("direction.es@demo.ipt")
    with pytest.raises(NotFound) as guessed:
        attachments.download(drv.s, drv.runtime, me, dossier.id, row.id)
    with pytest.raises(NotFound) as missing:
        attachments.download(drv.s, drv.runtime, me, dossier.id, row.id + 1000)
    assert (
        guessed.value.message
        == missing.value.message
        == "Ce document n'existe pas dans ce dossier."
    )


def test_health_documents_only_for_the_roles_that_need_them(drv, dossier):
    drv.accept_proposition(dossier)
    drv.find_partner(dossier)
    row = up(drv, dossier, who="cpms.es@demo.ipt", kind="bilan_medical", name="bilan.pdf")
    for who in (
        "cpms.es@demo.ipt",
        "direction.es@demo.ipt",
        POLE,
        "direction.eo.fondamental@demo.ipt",
    ):
        attachments.download(drv.s, drv.runtime, drv.user(who), dossier.id, row.id)
    for who in ("titulaire.eo@demo.ipt", drv.parent(dossier)):
        actor = who if not isinstance(who, str) else drv.user(who)
        with pytest.raises(Forbidden, match="Document de santé"):
            attachments.download(drv.s, drv.runtime, actor, dossier.id, row.id)
    with pytest.raises(Forbidden, match="Document de santé"):
        up(drv, dossier, who="titulaire.eo@demo.ipt", kind="protocole_justificatif")


def test_type_5_protocole_justificatif_holds_medical_data_only(drv):
    d = drv.proposition(es_type="5", pupil_cf="CF-5")
    with pytest.raises(
        ValidationFailed, match="Type 5 : le protocole justificatif ne contient que"
    ):
        up(drv, d, who="cpms.es@demo.ipt", kind="protocole_justificatif")
    drv.s.rollback()
    assert count(drv) == 0
    assert up(drv, d, who="cpms.es@demo.ipt", kind="protocole_justificatif", medical_only="oui").id


def test_minutes_link_to_a_recorded_meeting_of_this_dossier_only(drv, dossier):
    from engine.clock import clock
    from engine.models import ConcertationMeeting

    meeting = ConcertationMeeting(
        dossier_id=dossier.id,
        school_year=2026,
        held_on=clock.today(),
        participants="Tous",
        minutes="…",
        recorded_by_label="x",
        recorded_at=clock.now(),
    )
    drv.s.add(meeting)
    drv.s.commit()
    row = up(
        drv,
        dossier,
        who="direction.es@demo.ipt",
        kind="compte_rendu_concertation",
        meeting_id=str(meeting.id),
    )
    assert (row.meeting_id, row.school_year) == (meeting.id, 2026)
    other = drv.proposition(pupil_last_name="Autre", pupil_cf="CF-3")
    with pytest.raises(ValidationFailed, match="pas enregistrée dans ce dossier"):
        up(
            drv,
            other,
            who="direction.es@demo.ipt",
            kind="compte_rendu_concertation",
            meeting_id=str(meeting.id),
        )
    drv.s.rollback()
    with pytest.raises(ValidationFailed, match="année scolaire"):
        up(drv, dossier, who="direction.es@demo.ipt", kind="bilan_integration")
