"""What a partner does with the pupil file: list it, download an annex, the pôle's list of
incomplete files. Authorization goes through engine.dossiers.access; every download is audited."""

from __future__ import annotations

from sqlalchemy import select

from engine import audit
from engine.documents import annexes, attachments, checklist
from engine.dossiers import access
from engine.errors import NotFound
from engine.models import Dossier


def dossier_for(session, actor, dossier_id) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas.")
    access.ensure_can_view(actor, dossier)
    return dossier


def annex_download(
    session, runtime, actor, dossier_id, annex: int, occurrence=None, version=None
) -> tuple[str, bytes]:
    """(file name, PDF) of an annex: the frozen version asked, or annex 6 made now."""
    dossier = dossier_for(session, actor, dossier_id)
    if annex == 6:
        data, name, what = (
            annexes.synoptic_pdf(session, dossier),
            annexes.filename(dossier, 6, None),
            "établie ce jour",
        )
    else:
        doc = annexes.find(session, dossier, annex, occurrence, version)
        data, name = (
            annexes.pdf_bytes(session, runtime.settings, doc),
            annexes.filename(dossier, annex, doc),
        )
        what = f"version {doc.version}"
    audit.record(
        session,
        actor,
        "document_telecharge",
        f"Annexe {annex} téléchargée ({what}).",
        dossier.id,
        annex=annex,
        occurrence=occurrence,
        version=version,
    )
    return name, data


def listing(session, actor, dossier) -> dict:
    """The file as the dossier page and the API show it."""
    health = attachments.may_see_health(actor, dossier)
    files = []
    for a in attachments.list_for(session, dossier):
        kind = attachments.KINDS[a.kind]
        hidden = kind.health and not health
        files.append(
            {
                "row": a,
                "kind_label": kind.label,
                "health": kind.health,
                "readable": not hidden,
                "filename": "document de santé (accès réservé)" if hidden else a.filename,
            }
        )
    return {
        "annexes": annexes.versions(session, dossier.id),
        "titles": annexes.TITLES,
        "attachments": files,
        "checklist": checklist.rows(session, dossier),
        "kinds": attachments.KINDS,
        "may_upload": not actor.is_parent,
        "may_see_health": health,
    }


def incomplete_for_pole(session, actor) -> list[dict]:
    """Files of the pôles I work for whose §8 checklist has a missing row."""
    poles = [org for org, role in actor.memberships]
    if not poles:
        return []
    out = []
    for dossier in session.scalars(
        select(Dossier)
        .where(
            Dossier.pole_id.in_(poles),
            Dossier.status.in_(("ipt_en_place", "ipt_arretee", "en_cours")),
        )
        .order_by(Dossier.pupil_last_name, Dossier.id)
    ):
        if not access.can_view(actor, dossier) or not actor.roles_in(dossier.pole_id):
            continue
        rows = checklist.rows(session, dossier)
        lacking = checklist.missing(rows)
        if lacking:
            out.append({"dossier": dossier, "missing": lacking})
    return out
