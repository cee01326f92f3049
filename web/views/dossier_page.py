"""Everything the dossier page shows, gathered in one place (the view stays thin)."""

from __future__ import annotations

from sqlalchemy import select

from engine.documents import service as documents
from engine.dossiers import evaluation, facts, parent_links, progress, prolongations, stops, years
from engine.models import (
    AuditEvent,
    HumanTask,
    Organisation,
    PartnerRequest,
    StageContent,
    StopRequest,
)
from engine.tasks import service as tasks

PARTNERS = (
    ("es_school_id", "École d'enseignement spécialisé"),
    ("cpms_es_id", "CPMS de l'école spécialisée"),
    ("eo_school_id", "École d'enseignement ordinaire partenaire"),
    ("pole_id", "Pôle territorial"),
    ("cpms_eo_id", "CPMS de l'école ordinaire"),
)
CONTENT_TITLES = {
    "projet": "Projet d'intégration (annexe 4)",
    "protocole": "Protocole (annexe 5)",
    "declaration": "Déclaration du protocole (annexe 2)",
    "concertation_arret": "Concertation sur la demande d'arrêt",
    "issue_concertation": "Issue de la concertation sur l'arrêt",
    "attestation": "Nouvelle attestation d'orientation (R-ARRET-5)",
    "reinscription_es": "Réinscription dans l'école spécialisée",
    "declaration_prol": "Déclaration de la prolongation d'IPT (annexe 3, la plus récente)",
    "avis_prolongation": "Avis de prolongation de l'équipe éducative / du conseil de classe (annexe 7, le plus récent)",
    "concertation_prol": "Concertation après un avis défavorable de prolongation (R-PROL-7)",
    "attestation_fwb": "Attestation d'orientation vers un type FWB (R-COMM-2)",
    "proposition_autre": "Proposition de l'école de l'autre Communauté (R-COMM-3)",
}
HIDDEN_ACTIONS = {"dossier_consulte"}  # reads are audited, but not listed as history


def is_es_direction(actor, dossier) -> bool:
    return bool(actor.roles_in(dossier.es_school_id) & {"direction", "delegue"})


def partners(db, dossier) -> list[dict]:
    labels = {attr.removesuffix("_id"): label for attr, label in PARTNERS}
    return [
        {
            "label": labels[p["party"]],
            "org": p if p["organisation"] else None,
            "now": p["organisation"] if p["changed"] else None,
        }
        for p in facts.partners_as_recorded(db, dossier)
    ]


def partner_requests(db, dossier) -> list[dict]:
    rows = db.scalars(
        select(PartnerRequest)
        .where(PartnerRequest.dossier_id == dossier.id)
        .order_by(PartnerRequest.id)
    )
    return [
        {
            "row": r,
            "school": db.get(Organisation, r.eo_school_id),
            "pole": db.get(Organisation, r.pole_id) if r.pole_id else None,
        }
        for r in rows
    ]


def contents(db, runtime, dossier) -> list[dict]:
    """The latest version of each kind (projet, protocole, déclaration), with field titles."""
    latest: dict[str, StageContent] = {}
    for row in db.scalars(
        select(StageContent).where(StageContent.dossier_id == dossier.id).order_by(StageContent.id)
    ):
        latest[row.kind] = row
    out = []
    for kind, row in latest.items():
        titles = _titles(db, runtime, dossier, row.task_id)
        items = [
            (titles.get(key, key), value)
            for key, value in row.data.items()
            if key != "avis_cpms_es"
        ]
        out.append(
            {
                "kind": kind,
                "title": CONTENT_TITLES.get(kind, kind),
                "entries": items,
                "cpms": row.data.get("avis_cpms_es") if kind == "protocole" else None,
                "row": row,
            }
        )
    return out


def _titles(db, runtime, dossier, task_id) -> dict[str, str]:
    task = db.get(HumanTask, task_id) if task_id else None
    if task is None or not task.form:
        return {}
    schema = tasks.form_for(db, runtime, task, dossier)
    return {k: p.get("title", k) for k, p in (schema.get("properties") or {}).items()}


def open_tasks(db, dossier) -> list[dict]:
    rows = db.scalars(
        select(HumanTask)
        .where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
        .order_by(HumanTask.created_at, HumanTask.id)
    )
    out = []
    for t in rows:
        org = db.get(Organisation, t.organisation_id) if t.organisation_id else None
        waits_for = (
            "Les parents (par leur lien personnel)"
            if t.party == "parents"
            else (f"{t.lane} — {org.name}" if org else t.lane)
        )
        out.append({"task": t, "waits_for": waits_for})
    return out


def history(db, dossier) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.dossier_id == dossier.id, AuditEvent.action.not_in(HIDDEN_ACTIONS))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def context(db, runtime, actor, dossier) -> dict:
    es_direction = is_es_direction(actor, dossier)
    return {
        "dossier": dossier,
        "partners": partners(db, dossier),
        "steps": progress.steps(dossier),
        "decisions": dossier.decisions,
        "correctable": tasks.correction_offers(db, actor, dossier),
        "requests": partner_requests(db, dossier),
        "contents": contents(db, runtime, dossier),
        "open_tasks": open_tasks(db, dossier),
        "history": history(db, dossier),
        "es_direction": es_direction,
        "links": parent_links.pending_links(db, dossier) if es_direction else {},
        "stop_requests": db.scalars(
            select(StopRequest).where(StopRequest.dossier_id == dossier.id).order_by(StopRequest.id)
        ).all(),
        "stop_reasons": stops.REASONS,
        "meetings": evaluation.meetings(db, dossier),
        "years": years.history(db, dossier),
        "prolongations": prolongations.list_for(db, dossier),
        "prolongation_offer": prolongations.offer(db, actor, dossier),
        "arrangements": evaluation.protocol_arrangements(db, dossier),
        "may_record_meeting": evaluation.may_record(actor, dossier),
        "is_cpms_eo": evaluation.is_cpms_eo(actor, dossier) and dossier.status == "ipt_en_place",
        "may_stop": stops.may_request(actor, dossier) and stops.pending(db, dossier) is None,
        "documents": documents.listing(db, actor, dossier),
        "can_close": es_direction and dossier.status == "en_cours" and dossier.stage != "ipt",
    }
