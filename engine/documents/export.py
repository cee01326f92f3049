"""The dossier's file for inspection: one ZIP with every PDF and attachment, and an index."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

from engine import audit, calendar
from engine.clock import clock
from engine.documents import annexes, attachments, content
from engine.documents.service import dossier_for
from engine.documents.storage import storage_for


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip()
    return keep or "document"


def export_zip(session, runtime, actor, dossier_id) -> tuple[str, bytes]:
    """Every frozen annex version, annex 6 as of today, every attachment the actor may read."""
    dossier = dossier_for(session, actor, dossier_id)
    entries = []  # (path, data, label, date, version)
    for doc in annexes.versions(session, dossier.id):
        if doc.purged_at is not None:
            continue
        data = annexes.pdf_bytes(session, runtime.settings, doc)
        entries.append(
            (
                f"annexes/{annexes.filename(dossier, doc.annex, doc)}",
                data,
                f"Annexe {doc.annex} – {annexes.TITLES[doc.annex]}",
                content.date_fr(doc.frozen_at),
                str(doc.version),
            )
        )
    if any(True for _ in _years(session, dossier)):
        entries.append(
            (
                f"annexes/{annexes.filename(dossier, 6, None)}",
                annexes.synoptic_pdf(session, dossier),
                f"Annexe 6 – {annexes.TITLES[6]} (établie à partir de l’historique)",
                content.date_fr(clock.today()),
                "—",
            )
        )
    storage = storage_for(runtime.settings)
    left_out = 0
    for a in attachments.list_for(session, dossier):
        if not attachments.may_read(actor, dossier, a.kind):
            left_out += 1
            continue
        kind = attachments.KINDS[a.kind]
        year = f" {calendar.label(a.school_year)}" if a.school_year else ""
        entries.append(
            (
                f"pieces/{a.id:05d}-{_safe(a.filename)}",
                storage.get(a.storage_key),
                f"{kind.label}{year}",
                content.date_fr(a.uploaded_at),
                "1",
            )
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        index = io.StringIO()
        w = csv.writer(index, delimiter=";")
        w.writerow(["fichier", "document", "date", "version", "sha256"])
        for path, data, label, day, version in entries:
            z.writestr(path, data)
            w.writerow([path, label, day, version, hashlib.sha256(data).hexdigest()])
        if left_out:
            w.writerow(
                ["", f"{left_out} document(s) de santé non inclus (accès réservé)", "", "", ""]
            )
        z.writestr("index.csv", "\ufeff" + index.getvalue())
    audit.record(
        session,
        actor,
        "dossier_exporte",
        f"Dossier de l'élève exporté pour inspection ({len(entries)} documents).",
        dossier.id,
    )
    return f"{dossier.reference}-dossier-eleve.zip", buf.getvalue()


def _years(session, dossier):
    from engine.dossiers import years

    return years.history(session, dossier)
