"""The §8 completeness checklist of the pupil file kept at the pôle.

Each row is present / manquant / sans_objet (not applicable) / a_venir (its stage has not come
yet), with links to what is there. A file is complete when no row is `manquant`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from engine import calendar
from engine.clock import clock
from engine.documents import annexes, content
from engine.documents.attachments import KINDS
from engine.dossiers import years
from engine.models import Attachment, ConcertationMeeting, StopRequest

PRESENT, MISSING, NA, LATER = "present", "manquant", "sans_objet", "a_venir"
STATUS_LABELS = {
    PRESENT: "présent",
    MISSING: "manquant",
    NA: "sans objet",
    LATER: "pas encore à ce stade",
}
SENSORI_MOTOR_TYPES = {"4", "6", "7"}  # the types whose needs are measured on the scales


@dataclass
class Row:
    key: str
    label: str
    status: str
    year: int | None = None
    note: str | None = None
    links: list[dict] = field(
        default_factory=list
    )  # {"annex", "occurrence", "version"} or {"attachment"}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def third_degree(dossier, study: str | None) -> bool:
    """A pupil of the 3rd degree of secondary (5th, 6th or 7th year), from the year of study."""
    text = " ".join(x for x in (study, dossier.year_of_study) if x).lower()
    if "3e degré" in text or "3ème degré" in text:
        return True
    return dossier.level == "secondaire" and bool(re.search(r"\b[5-7]\s*(e|è|ème|eme)\b", text))


class _Facts:
    """Everything the rows read, loaded once."""

    def __init__(self, session, dossier):
        self.dossier = dossier
        self.docs = annexes.versions(session, dossier.id)
        self.files = list(
            session.scalars(
                select(Attachment).where(
                    Attachment.dossier_id == dossier.id, Attachment.purged_at.is_(None)
                )
            )
        )
        self.meetings = list(
            session.scalars(
                select(ConcertationMeeting).where(ConcertationMeeting.dossier_id == dossier.id)
            )
        )
        self.years = [r for r in years.history(session, dossier) if r.in_ipt]
        self.stops = list(
            session.scalars(
                select(StopRequest).where(
                    StopRequest.dossier_id == dossier.id, StopRequest.status == "acceptee"
                )
            )
        )
        self.in_place = dossier.status in ("ipt_en_place", "ipt_arretee") or bool(self.years)

    def doc(self, annex, year=None, occurrence=None):
        rows = [
            d
            for d in self.docs
            if d.annex == annex
            and (year is None or d.school_year == year)
            and (occurrence is None or d.occurrence == occurrence)
        ]
        return rows[-1] if rows else None

    def file_links(self, kind, year=None):
        return [
            {"attachment": f.id, "label": f.filename}
            for f in self.files
            if f.kind == kind and (year is None or f.school_year == year)
        ]


def _annex_link(doc):
    return {"annex": doc.annex, "occurrence": doc.occurrence, "version": doc.version}


def _frozen(f, key, annex, label, due, year=None, occurrence=None):
    doc = f.doc(annex, year, occurrence)
    if doc:
        return Row(key, label, PRESENT, year, links=[_annex_link(doc)])
    return Row(key, label, MISSING if due else LATER, year)


def _official(f, key, annex, label, due, year=None, occurrence=None):
    """Annexes 2, 3, 8: the official e-pôles PDF is what counts; the prepared version is linked."""
    links = f.file_links(f"epoles_annexe_{annex}", year)
    prepared = f.doc(annex, year, occurrence)
    if prepared:
        links.append({**_annex_link(prepared), "label": "version préparée"})
    status = (
        PRESENT if f.file_links(f"epoles_annexe_{annex}", year) else (MISSING if due else LATER)
    )
    return Row(key, label, status, year, links=links)


def _upload(f, kind, due, year=None, label=None, note=None):
    links = f.file_links(kind, year)
    status = PRESENT if links else (MISSING if due else LATER)
    return Row(kind, label or KINDS[kind].label, status, year, note, links)


def rows(session, dossier) -> list[Row]:
    f = _Facts(session, dossier)
    out = [
        _frozen(f, "annexe_4", 4, "Annexe 4 – Projet de première IPT", f.in_place),
        _frozen(f, "annexe_5", 5, "Annexe 5 – Protocole de première IPT", f.in_place),
        _official(
            f,
            "annexe_2",
            2,
            "Annexe 2 – Déclaration du protocole IPT – Première IPT (PDF e-pôles)",
            f.in_place,
        ),
        Row(
            "annexe_6",
            "Annexe 6 – Tableau synoptique de l’évolution de l’IPT",
            PRESENT if f.years else LATER,
            links=[{"annex": 6, "occurrence": "", "version": None}] if f.years else [],
            note="établi à la demande à partir de l’historique" if f.years else None,
        ),
        _frozen(f, "annexe_1", 1, "Annexe 1 – Avis des partenaires sur la proposition", True)
        if f.doc(1) or f.in_place
        else Row("annexe_1", "Annexe 1 – Avis des partenaires sur la proposition", LATER),
    ]
    out += _prolongation_rows(f)
    out += _stop_rows(f)
    out += _yearly_rows(session, f)
    out += _health_rows(f)
    return out


def _prolongation_rows(f) -> list[Row]:
    out = []
    for record in f.years[1:]:  # §8: for each prolongation year
        y, label = record.school_year, calendar.label(record.school_year)
        out.append(
            _official(
                f,
                "annexe_3",
                3,
                f"Annexe 3 – Déclaration – Prolongation d’IPT {label} (PDF e-pôles)",
                True,
                y,
            )
        )
        out.append(
            _frozen(f, "annexe_7", 7, f"Annexe 7 – Avis CC/EE sur la prolongation {label}", True, y)
        )
        out.append(
            _upload(
                f,
                "bilan_integration",
                True,
                y - 1,
                f"Bilan d’intégration {calendar.label(y - 1)} (année antérieure)",
            )
        )
    return out


def _stop_rows(f) -> list[Row]:
    label = "Annexe 8 – Bilan de l’IPT : PDF d’arrêt (PDF e-pôles, signé par tous les partenaires)"
    if not f.stops and f.dossier.status != "ipt_arretee":
        return [Row("annexe_8", label, NA, note="l’IPT n’a pas été arrêtée")]
    if not f.stops:  # ended by a prolongation's concertation (R-PROL-7)
        year = calendar.school_year_of(f.dossier.ipt_end_date) if f.dossier.ipt_end_date else None
        return [_official(f, "annexe_8", 8, label, True, year)]
    return [
        _official(
            f, "annexe_8", 8, label, True, calendar.school_year_of(s.end_date), f"arret-{s.id}"
        )
        for s in f.stops
    ]


def _yearly_rows(session, f) -> list[Row]:
    out = []
    current = calendar.school_year_of(clock.today())
    for record in f.years:
        y, label = record.school_year, calendar.label(record.school_year)
        minutes = [m for m in f.meetings if m.school_year == y]
        links = f.file_links("compte_rendu_concertation", y)
        started = clock.today() >= calendar.first_day(y)
        out.append(
            Row(
                "compte_rendu_concertation",
                f"Comptes rendus de concertation {label}",
                PRESENT if minutes or links else (MISSING if started else LATER),
                y,
                f"{len(minutes)} encodé(s) dans l’application" if minutes else None,
                links,
            )
        )
        study = content._study_years(session, f.dossier, y + 1)["current"]
        if y < current:
            out.append(
                _upload(
                    f,
                    "attestation_frequentation_eo",
                    True,
                    y,
                    f"Attestation de fréquentation de l’école ordinaire {label}",
                )
            )
        elif y == current and third_degree(f.dossier, study):
            out.append(
                _upload(
                    f,
                    "attestation_frequentation_eo",
                    True,
                    y,
                    f"Attestation de fréquentation {label} avec l’année d’étude (3e degré)",
                )
            )
        else:
            out.append(
                Row(
                    "attestation_frequentation_eo",
                    f"Attestation de fréquentation de l’école ordinaire {label}",
                    NA if y == current else LATER,
                    y,
                    "année en cours : demandée seulement pour les élèves du 3e degré"
                    if y == current
                    else None,
                    f.file_links("attestation_frequentation_eo", y),
                )
            )
    out.insert(0, _upload(f, "attestation_frequentation_es", f.in_place))
    return out


def _health_rows(f) -> list[Row]:
    d = f.dossier
    relevant = d.es_type in SENSORI_MOTOR_TYPES
    out = []
    for kind in ("echelle_besoins", "bilan_medical"):
        if relevant or f.file_links(kind):
            out.append(_upload(f, kind, f.in_place, note="types 4, 6 et 7"))
        else:
            out.append(Row(kind, KINDS[kind].label, NA, note="le cas échéant (types 4, 6 et 7)"))
    out.append(_upload(f, "attestation_orientation", f.in_place))
    note = (
        "type 5 : données médicales uniquement"
        if d.es_type == "5"
        else (
            "données médicales, psychologiques, pédagogiques et socio-familiales, synthèse et conclusions"
        )
    )
    out.append(_upload(f, "protocole_justificatif", f.in_place, note=note))
    return out


def complete(rows_: list[Row]) -> bool:
    return not any(r.status == MISSING for r in rows_)


def missing(rows_: list[Row]) -> list[Row]:
    return [r for r in rows_ if r.status == MISSING]
