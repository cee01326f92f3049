"""Facts written from completed tasks, in the transaction of the workflow step that made them.

One recorder per `record` property of a user task (see engine/specs/conventions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from engine.clock import clock
from engine.errors import RuleViolation, ValidationFailed
from engine.models import (
    AuditEvent,
    Decision,
    HumanTask,
    Organisation,
    OutboxMessage,
    PartnerRequest,
    PartySnapshot,
    PoleTie,
    Prolongation,
    StageContent,
)

DATE_FIELDS = (
    "date_reunion",
    "date_decision",
    "date_attestation",
    "date_reinscription",
    "date_avis",
    "date_accord",
    "date_reponse",
    "date_demande",
    "date_concertation",
    "date_declaration",
)


def _first_date(data) -> dt.date:
    for key in DATE_FIELDS:
        if data.get(key):
            return dt.date.fromisoformat(data[key])
    return clock.today()


def record_decision(session, dossier, info, data, signer, task_id):
    """R-PROP-2, R-PROJ-3, R-PROT-2: an avis/accord with person, capacity, date and text."""
    year = _prolongation_year(session, task_id) if info.stage == "prolongation" else None
    for old in session.scalars(
        select(Decision).where(
            Decision.dossier_id == dossier.id,
            Decision.stage == info.stage,
            Decision.party == info.decision_party,
            Decision.school_year.is_(year) if year is None else Decision.school_year == year,
            Decision.superseded.is_(False),
        )
    ):
        old.superseded = True
    decision = Decision(
        dossier_id=dossier.id,
        stage=info.stage,
        kind="accord" if info.record == "accord" else "avis",
        party=info.decision_party,
        value=data["avis"],
        decided_on=_first_date(data),
        justification=data.get("justification") or data.get("commentaire"),
        person_name=signer.name,
        capacity=signer.capacity,
        person_user_id=signer.user_id,
        guardian_id=signer.guardian_id,
        on_paper=signer.on_paper,
        task_id=task_id,
        school_year=year,
        recorded_at=clock.now(),
    )
    session.add(decision)
    if info.stage == "prolongation" and info.decision_party in ("ee_eo", "cc_eo"):
        inform_cpms_eo(session, dossier, decision)
        # annex 7 prints the years of study given with this avis (R-PROL-4)
        _content(session, dossier, "avis_prolongation", data, signer, task_id)
    return decision


def inform_cpms_eo(session, dossier, decision) -> None:
    """R-PROL-3: the school communicates the prolongation avis to the CPMS EO (an outbox mail)."""
    cpms = session.get(Organisation, dossier.cpms_eo_id) if dossier.cpms_eo_id else None
    if cpms is None:
        return
    value = "favorable" if decision.value == "favorable" else "défavorable"
    session.add(
        OutboxMessage(
            kind="email",
            dossier_id=dossier.id,
            recipient=cpms.email,
            created_at=clock.now(),
            payload={
                "subject": f"IPT {dossier.reference} : avis de prolongation communiqué au CPMS",
                "body": (
                    f"Avis {value} du {decision.decided_on:%d/%m/%Y} sur la prolongation de l'IPT de "
                    f"{dossier.pupil_first_name} {dossier.pupil_last_name} "
                    f"(encodé par {decision.person_name}).\n"
                    f"Justification : {decision.justification or '—'}\n"
                    "Le CPMS peut donner un avis consultatif (R-PROL-3)."
                ),
                "to_organisation_id": cpms.id,
            },
        )
    )
    session.add(
        AuditEvent(
            dossier_id=dossier.id,
            at=clock.now(),
            actor_user_id=None,
            actor_label="système",
            action="avis_communique_cpms",
            summary=f"Avis de prolongation communiqué au {cpms.name} (R-PROL-3).",
            detail={},
        )
    )


def _prolongation_year(session, task_id):
    row = session.get(HumanTask, task_id) if task_id else None
    if row is None:
        return None
    return session.scalar(
        select(Prolongation.school_year).where(Prolongation.instance_id == row.instance_id)
    )


def record_partner_request(session, dossier, info, data, signer, task_id):
    """R-PROP-5: the ES direction asks an EO school, with the parents' agreement."""
    eo = session.scalar(
        select(Organisation).where(
            Organisation.kind == "ecole_eo", Organisation.fase == data["ecole_eo"]
        )
    )
    if eo is None:
        raise ValidationFailed({"ecole_eo": "Choisissez une des valeurs proposées."})
    pole_id = pole_of(session, eo.id, dossier.target_year)
    session.add(
        PartnerRequest(
            dossier_id=dossier.id,
            eo_school_id=eo.id,
            pole_id=pole_id,
            requested_on=_first_date(data),
            requested_by_id=signer.user_id,
            parents_agree=bool(data.get("accord_parents")),
            reason=data.get("remarques"),
        )
    )
    dossier.eo_school_id = eo.id
    dossier.pole_id = pole_id
    dossier.cpms_eo_id = eo.cpms_id
    dossier.level = eo.level or dossier.level
    snapshot(session, dossier, "recherche_partenaire", ("eo_school", "pole", "cpms_eo"))


def record_partner_answer(session, dossier, info, data, signer, task_id):
    request = current_partner_request(session, dossier)
    request.answer = data["reponse"]
    request.answered_on = _first_date(data)
    request.answered_by_id = signer.user_id
    if data["reponse"] == "refuse":
        request.ended_reason = data.get("motif") or "Refus de l'école ordinaire"
        clear_partner(dossier)
    else:
        dossier.eo_acceptance_date = request.answered_on


def record_projet(session, dossier, info, data, signer, task_id):
    """R-PROJ-1: the projet drafted with the co-proposers; the pôle's own agreement."""
    _content(session, dossier, "projet", data, signer, task_id)
    record_decision(
        session,
        dossier,
        DecisionInfo("projet", "avis", "pole"),
        {
            "avis": "favorable",
            "date_avis": data.get("date_concertation"),
            "justification": "Projet rédigé par le pôle, co-proposant (R-PROJ-1).",
        },
        signer,
        task_id,
    )


def record_protocole(session, dossier, info, data, signer, task_id):
    """R-PROT-4: no protocol without the signed proposition; R-PROT-3: the CPMS ES avis given
    at proposition time is attached, not asked again."""
    check_protocol_allowed(session, dossier)
    cpms = current_decision(session, dossier, "proposition", "cpms_es")
    data = dict(data)
    data["avis_cpms_es"] = (
        {
            "avis": cpms.value,
            "date": cpms.decided_on.isoformat(),
            "par": cpms.person_name,
            "justification": cpms.justification,
        }
        if cpms
        else None
    )
    _content(session, dossier, "protocole", data, signer, task_id)


def record_declaration(session, dossier, info, data, signer, task_id):
    _content(session, dossier, "declaration", data, signer, task_id)


def _content_recorder(kind):
    def record(session, dossier, info, data, signer, task_id):
        _content(session, dossier, kind, data, signer, task_id)

    return record


# record → StageContent kind, for the tasks whose form is kept as it is
CONTENT_RECORDS = {
    "content_concertation_arret": "concertation_arret",
    "content_issue_concertation": "issue_concertation",
    "content_attestation": "attestation",
    "content_reinscription": "reinscription_es",
    "content_declaration_prolongation": "declaration_prol",
    "content_attestation_fwb": "attestation_fwb",
    "content_proposition_autre": "proposition_autre",
    "content_concertation_prolongation": "concertation_prol",
}
CONTENT_KINDS = (
    "projet",
    "protocole",
    "declaration",
    "avis_prolongation",
    *CONTENT_RECORDS.values(),
)

RECORDERS = {
    **{record: _content_recorder(kind) for record, kind in CONTENT_RECORDS.items()},
    "avis": record_decision,
    "accord": record_decision,
    "partner_request": record_partner_request,
    "partner_answer": record_partner_answer,
    "content_projet": record_projet,
    "content_protocole": record_protocole,
    "declaration": record_declaration,
}


@dataclass(frozen=True)
class DecisionInfo:
    """What record_decision needs of a task (a UserTaskInfo has the same attributes)."""

    stage: str
    record: str
    decision_party: str


@dataclass(frozen=True)
class Signer:
    """Who gives an avis or accord, in which capacity (a parent's may be encoded on paper)."""

    name: str
    capacity: str
    user_id: int | None = None
    guardian_id: int | None = None
    on_paper: bool = False


def check_protocol_allowed(session, dossier) -> None:
    """R-PROT-4: the pôle holds the proposition signed by the ES class council and the parents;
    R-COMM-2/3: for a pupil of another Community, also that school's signed proposition and an
    FWB attestation d'orientation."""
    if dossier.community != "fwb":
        for kind, what in (
            (
                "proposition_autre",
                "la proposition signée de l'école de l'autre Communauté (R-COMM-3)",
            ),
            ("attestation_fwb", "l'attestation d'orientation vers un type FWB (R-COMM-2)"),
        ):
            if (
                session.scalar(
                    select(StageContent.id).where(
                        StageContent.dossier_id == dossier.id, StageContent.kind == kind
                    )
                )
                is None
            ):
                raise RuleViolation(f"Pas de protocole sans {what} au dossier (R-PROT-4).")
    for party, label in (
        ("cc_es", "le conseil de classe de l'école spécialisée"),
        ("parents", "les parents"),
    ):
        decision = current_decision(session, dossier, "proposition", party)
        if decision is None or decision.value != "favorable":
            raise RuleViolation(
                f"Pas de protocole sans la proposition signée par {label} (R-PROT-4)."
            )


def current_decision(session, dossier, stage, party) -> Decision | None:
    return session.scalar(
        select(Decision)
        .where(
            Decision.dossier_id == dossier.id,
            Decision.stage == stage,
            Decision.party == party,
            Decision.superseded.is_(False),
        )
        .order_by(Decision.id.desc())
    )


def current_partner_request(session, dossier) -> PartnerRequest | None:
    return session.scalar(
        select(PartnerRequest)
        .where(PartnerRequest.dossier_id == dossier.id)
        .order_by(PartnerRequest.id.desc())
    )


def partner_fell_through(session, dossier, reason: str) -> None:
    """Back to the partner search (R-PROJ-2): the current partner's stage decisions end."""
    request = current_partner_request(session, dossier)
    if request is not None and request.ended_reason is None:
        request.ended_reason = reason
    for d in session.scalars(
        select(Decision).where(
            Decision.dossier_id == dossier.id,
            Decision.stage.in_(("projet", "protocole")),
            Decision.superseded.is_(False),
        )
    ):
        d.superseded = True
    clear_partner(dossier)


def clear_partner(dossier) -> None:
    dossier.enrolment_priority = None  # R-PROP-6: it came with this school's acceptance
    dossier.enrolment_priority_reason = None
    dossier.eo_school_id = None
    dossier.pole_id = None
    dossier.cpms_eo_id = None
    dossier.eo_acceptance_date = None


def pole_of(session, eo_school_id: int, school_year: int) -> int | None:
    """The pôle an EO school cooperates with in a school year (the tie is dated)."""
    tie = session.scalar(
        select(PoleTie)
        .where(PoleTie.eo_school_id == eo_school_id, PoleTie.from_year <= school_year)
        .order_by(PoleTie.from_year.desc())
    )
    return tie.pole_id if tie else None


def snapshot(session, dossier, stage, parties) -> None:
    """Keep names and FASE numbers as they are now (the directory changes; history doesn't)."""
    from engine.tasks.assignment import organisation_for

    for party in parties:
        org_id = organisation_for(party, dossier)
        if org_id is None:
            continue
        org = session.get(Organisation, org_id)
        session.add(
            PartySnapshot(
                dossier_id=dossier.id,
                stage=stage,
                party=party,
                organisation_id=org.id,
                name=org.name,
                fase=org.fase,
                recorded_at=clock.now(),
            )
        )


def _content(session, dossier, kind, data, signer, task_id):
    session.add(
        StageContent(
            dossier_id=dossier.id,
            kind=kind,
            data=data,
            recorded_by_id=signer.user_id,
            recorded_at=clock.now(),
            task_id=task_id,
        )
    )


def partners_as_recorded(session, dossier) -> list[dict]:
    """Each current partner with its name and FASE as recorded on the dossier (the latest
    snapshot), and the directory's organisation (`current`) to show a later change."""
    from engine.tasks.assignment import PARTY_ATTR

    snaps = {}
    for snap in session.scalars(
        select(PartySnapshot)
        .where(PartySnapshot.dossier_id == dossier.id)
        .order_by(PartySnapshot.id)
    ):
        snaps[(snap.party, snap.organisation_id)] = snap
    out = []
    for party, attr in PARTY_ATTR.items():
        org_id = getattr(dossier, attr)
        org = session.get(Organisation, org_id) if org_id else None
        snap = snaps.get((party, org_id))
        out.append(
            {
                "party": party,
                "organisation": org,
                "name": snap.name if snap else (org.name if org else None),
                "fase": snap.fase if snap else (org.fase if org else None),
                "changed": bool(snap and org and (snap.name, snap.fase) != (org.name, org.fase)),
            }
        )
    return out
