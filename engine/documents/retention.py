"""How long the pupil file's documents are kept after the IPT ends (IPT_DOCUMENT_RETENTION_YEARS),
and the purge that applies it. The rows stay (with `purged_at`) so the history says what was
there; the files are deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine import audit
from engine.clock import as_utc, clock
from engine.documents.storage import storage_for
from engine.models import Attachment, Dossier, GeneratedDocument

ENDED = ("ipt_arretee", "cloture", "proposition_refusee")


def ended_on(dossier) -> dt.date | None:
    if dossier.status not in ENDED:
        return None
    if dossier.ipt_end_date:
        return dossier.ipt_end_date
    return as_utc(dossier.closed_at).date() if dossier.closed_at else None


def _limit(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def due(session, settings) -> list[tuple[Dossier, list]]:
    today = clock.today()
    out = []
    for dossier in session.scalars(
        select(Dossier).where(Dossier.status.in_(ENDED)).order_by(Dossier.id)
    ):
        end = ended_on(dossier)
        if end is None or _limit(end, settings.retention_years) > today:
            continue
        rows = list(
            session.scalars(
                select(Attachment).where(
                    Attachment.dossier_id == dossier.id, Attachment.purged_at.is_(None)
                )
            )
        ) + list(
            session.scalars(
                select(GeneratedDocument).where(
                    GeneratedDocument.dossier_id == dossier.id,
                    GeneratedDocument.purged_at.is_(None),
                )
            )
        )
        if rows:
            out.append((dossier, rows))
    return out


def purge(session, settings, *, dry_run: bool) -> list[str]:
    """Delete the files kept past the retention period; report one French line per dossier."""
    storage = storage_for(settings)
    lines = []
    for dossier, rows in due(session, settings):
        end = ended_on(dossier)
        lines.append(
            f"{dossier.reference} : IPT terminée le {end:%d/%m/%Y} — {len(rows)} document(s) "
            + ("à supprimer" if dry_run else "supprimé(s)")
        )
        if dry_run:
            continue
        for row in rows:
            if row.storage_key:
                storage.delete(row.storage_key)
            row.purged_at = clock.now()
            if isinstance(row, GeneratedDocument):
                row.facts = {}  # the frozen facts are personal data too
        audit.record(
            session,
            None,
            "documents_purges",
            f"{len(rows)} document(s) supprimé(s) : durée de conservation de "
            f"{settings.retention_years} ans après la fin de l'IPT écoulée.",
            dossier.id,
        )
    if not lines:
        lines.append("Aucun document à supprimer.")
    return lines
