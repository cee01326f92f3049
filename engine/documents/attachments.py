"""Documents the product cannot produce, uploaded into the pupil file (§8).

A file is accepted by what it is, not by its name: a PDF that pypdf opens or a PNG/JPEG that
Pillow verifies, within the size limit (IPT_MAX_UPLOAD_MB). It is stored under an opaque key
with its SHA-256. Health documents (medical report, sensori-motor scales, protocole justificatif)
are special-category data about minors: only the roles that need them may download them.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from sqlalchemy import select

from engine import audit, calendar
from engine.clock import clock
from engine.documents.storage import new_key, storage_for
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.models import Attachment, ConcertationMeeting, Dossier


@dataclass(frozen=True)
class Kind:
    label: str
    health: bool = False
    per_year: bool = False


KINDS = {
    "attestation_orientation": Kind("Attestation d’orientation (type et niveau)"),
    "protocole_justificatif": Kind("Protocole justificatif", health=True),
    "attestation_frequentation_es": Kind(
        "Attestation de fréquentation de l’école d’enseignement spécialisé (périodes)"
    ),
    "attestation_frequentation_eo": Kind(
        "Attestation de fréquentation de l’école d’enseignement ordinaire (avec l’année d’étude)",
        per_year=True,
    ),
    "compte_rendu_concertation": Kind("Compte rendu de réunion de concertation", per_year=True),
    "echelle_besoins": Kind("Échelle de besoins sensori-moteurs", health=True),
    "bilan_medical": Kind("Bilan médical attestant des besoins sensori-moteurs", health=True),
    "bilan_integration": Kind("Bilan d’intégration de l’année scolaire", per_year=True),
    "epoles_annexe_2": Kind("PDF officiel e-pôles – Déclaration du protocole IPT – Première IPT"),
    "epoles_annexe_3": Kind(
        "PDF officiel e-pôles – Déclaration du protocole IPT – Prolongation d’IPT", per_year=True
    ),
    "epoles_annexe_8": Kind("PDF officiel e-pôles – Bilan de l’IPT : PDF d’arrêt", per_year=True),
}
HEALTH_READERS = {"direction", "delegue"}  # directions of any partner organisation
POLE_HEALTH_READERS = {"coordonnateur", "titulaire"}  # coordinator and accompanying staff
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 150


def may_see_health(actor, dossier) -> bool:
    """CPMS (both), the pôle's coordinator and accompanying staff, the partners' directions."""
    if actor.is_parent:
        return False
    if actor.roles_in(dossier.cpms_es_id) or actor.roles_in(dossier.cpms_eo_id):
        return True
    if actor.roles_in(dossier.pole_id) & POLE_HEALTH_READERS:
        return True
    orgs = (dossier.es_school_id, dossier.eo_school_id, dossier.pole_id)
    return any(actor.roles_in(org) & HEALTH_READERS for org in orgs if org)


def may_read(actor, dossier, kind: str) -> bool:
    return not KINDS[kind].health or may_see_health(actor, dossier)


def _dossier_for(session, actor, dossier_id) -> Dossier:
    from engine.dossiers import access

    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas.")
    access.ensure_can_view(actor, dossier)
    return dossier


def check_name(filename) -> str:
    name = (filename or "").strip()
    if not name:
        raise ValidationFailed(
            {"fichier": "Le fichier n'a pas de nom."}, "Le fichier n'a pas de nom."
        )
    if "/" in name or "\\" in name or _CONTROL.search(name) or name in (".", ".."):
        msg = (
            "Nom de fichier refusé : il ne peut contenir ni séparateur de dossier (/ ou \\) "
            "ni caractère de contrôle."
        )
        raise ValidationFailed({"fichier": msg}, msg)
    if len(name) > MAX_NAME:
        msg = f"Nom de fichier trop long : {MAX_NAME} caractères au maximum."
        raise ValidationFailed({"fichier": msg}, msg)
    return name


def sniff(data: bytes) -> str:
    """The content type a file really has (PDF, PNG, JPEG), or a French refusal."""
    refused = (
        "Seuls les documents PDF et les images PNG ou JPEG sont acceptés : le contenu de ce "
        "fichier n'en est pas un (il est vérifié, pas seulement son nom)."
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data.startswith(b"%PDF-"):
            from pypdf import PdfReader

            try:
                if len(PdfReader(io.BytesIO(data)).pages) >= 1:
                    return "application/pdf"
            except Exception:  # noqa: BLE001 — any parser failure means "not a usable PDF"
                pass
            msg = "Ce PDF est illisible ou endommagé : il ne peut pas être joint au dossier."
            raise ValidationFailed({"fichier": msg}, msg)
        if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
            from PIL import Image

            try:
                with Image.open(io.BytesIO(data)) as img:
                    img.verify()
                    if img.format in ("PNG", "JPEG"):
                        return f"image/{img.format.lower()}"
            except Exception:  # noqa: BLE001
                pass
    raise ValidationFailed({"fichier": refused}, refused)


def check_file(settings, filename, data: bytes) -> tuple[str, str]:
    name = check_name(filename)
    if not data:
        raise ValidationFailed({"fichier": "Le fichier est vide."}, "Le fichier est vide.")
    limit = settings.max_upload_mb * 1024 * 1024
    if len(data) > limit:
        msg = f"Fichier trop volumineux : {settings.max_upload_mb} Mo au maximum."
        raise ValidationFailed({"fichier": msg}, msg)
    return name, sniff(data)


def _year(raw, kind: Kind, meeting) -> int | None:
    if raw in (None, ""):
        if meeting is not None:
            return meeting.school_year
        if kind.per_year:
            msg = "Indiquez l'année scolaire de ce document (par ex. 2026-2027)."
            raise ValidationFailed({"school_year": msg}, msg)
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        return calendar.parse_label(str(raw)) if "-" in str(raw) else int(str(raw))
    except Exception:  # noqa: BLE001
        msg = "Année scolaire invalide : écrivez-la comme 2026-2027."
        raise ValidationFailed({"school_year": msg}, msg) from None


def upload(session, runtime, actor, dossier_id, data: dict, filename, content: bytes) -> Attachment:
    """Add a document to the file. `data`: kind, school_year, meeting_id, note, medical_only."""
    dossier = _dossier_for(session, actor, dossier_id)
    if actor.is_parent:
        raise Forbidden("Les documents du dossier sont déposés par les partenaires scolaires.")
    kind_key = data.get("kind")
    if kind_key not in KINDS:
        msg = "Choisissez le type de document parmi ceux du dossier de l'élève (§8)."
        raise ValidationFailed({"kind": msg}, msg)
    kind = KINDS[kind_key]
    if kind.health and not may_see_health(actor, dossier):
        raise Forbidden(
            "Document de santé : seuls les CPMS, le coordonnateur et le personnel accompagnant "
            "du pôle et les directions peuvent le déposer."
        )
    meeting = _meeting(session, dossier, data.get("meeting_id"))
    year = _year(data.get("school_year"), kind, meeting)
    if kind_key == "protocole_justificatif" and dossier.es_type == "5":
        if data.get("medical_only") not in (True, "oui", "on", "true", "1"):
            msg = (
                "Type 5 : le protocole justificatif ne contient que les données médicales (§8). "
                "Confirmez-le avant de le déposer."
            )
            raise ValidationFailed({"medical_only": msg}, msg)
    note = (data.get("note") or "").strip() or None
    if note and len(note) > runtime.settings.max_text_length:
        msg = f"Texte trop long : {runtime.settings.max_text_length} caractères au maximum."
        raise ValidationFailed({"note": msg}, msg)
    name, content_type = check_file(runtime.settings, filename, content)
    key = new_key(dossier.id, "piece")
    storage_for(runtime.settings).put(key, content)
    row = Attachment(
        dossier_id=dossier.id,
        kind=kind_key,
        school_year=year,
        meeting_id=meeting.id if meeting else None,
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=key,
        note=note,
        uploaded_by_id=actor.user_id,
        uploaded_by_label=actor.label,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "piece_deposee",
        f"Document déposé : {kind.label}"
        + (f" ({calendar.label(year)})" if year else "")
        + (f" — « {name} »" if not kind.health else ""),
        dossier.id,
        attachment_id=row.id,
        sha256=row.sha256,
    )
    return row


def _meeting(session, dossier, raw):
    if raw in (None, ""):
        return None
    meeting = session.get(ConcertationMeeting, int(raw)) if str(raw).isdigit() else None
    if meeting is None or meeting.dossier_id != dossier.id:
        msg = "Cette réunion de concertation n'est pas enregistrée dans ce dossier."
        raise ValidationFailed({"meeting_id": msg}, msg)
    return meeting


def download(session, runtime, actor, dossier_id, attachment_id) -> tuple[Attachment, bytes]:
    """The file, for the dossier's partners (health documents: the roles that need them).
    Another dossier's document answers exactly like a missing one."""
    dossier = _dossier_for(session, actor, dossier_id)
    row = session.get(Attachment, attachment_id)
    if row is None or row.dossier_id != dossier.id or row.purged_at is not None:
        raise NotFound("Ce document n'existe pas dans ce dossier.")
    if not may_read(actor, dossier, row.kind):
        raise Forbidden(
            "Document de santé : réservé aux CPMS, au coordonnateur et au personnel "
            "accompagnant du pôle, et aux directions."
        )
    data = storage_for(runtime.settings).get(row.storage_key)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        from engine.documents.annexes import IntegrityFailure

        raise IntegrityFailure("Le fichier stocké ne correspond plus à son empreinte SHA-256.")
    audit.record(
        session,
        actor,
        "document_telecharge",
        f"Document téléchargé : {KINDS[row.kind].label}.",
        dossier.id,
        attachment_id=row.id,
    )
    return row, data


def list_for(session, dossier) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.dossier_id == dossier.id, Attachment.purged_at.is_(None))
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )
