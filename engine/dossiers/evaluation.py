"""Évaluation during the year (R-EVAL-1/2): concertation meetings and their minutes, and the
CPMS EO's optional, non-binding avis."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine import audit, calendar
from engine.clock import clock
from engine.dossiers import access, facts
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from engine.models import ConcertationMeeting, Dossier, StageContent

# Who takes part in the concertation (R-EVAL-1): the EO staff, the pôle, the CPMS EO.
MEMBERS = (
    ("eo_school_id", {"direction", "delegue", "titulaire"}),
    ("pole_id", {"coordonnateur", "direction", "delegue"}),
    ("cpms_eo_id", {"agent_cpms", "direction"}),
)


def may_record(actor, dossier) -> bool:
    """During the IPT: once in place, and until its end date when it has been stopped."""
    running = dossier.status == "ipt_en_place" or (
        dossier.status == "ipt_arretee"
        and dossier.ipt_end_date
        and clock.today() <= dossier.ipt_end_date
    )
    return bool(running) and any(
        actor.roles_in(getattr(dossier, attr)) & roles for attr, roles in MEMBERS
    )


def is_cpms_eo(actor, dossier) -> bool:
    return bool(
        dossier.cpms_eo_id and actor.roles_in(dossier.cpms_eo_id) & {"agent_cpms", "direction"}
    )


def record_meeting(session, runtime, actor, dossier_id: int, data: dict) -> ConcertationMeeting:
    dossier = _dossier(session, actor, dossier_id)
    if not may_record(actor, dossier):
        raise Forbidden(
            "Les comptes rendus de concertation sont encodés par l'école ordinaire, le pôle ou le "
            "CPMS de l'école ordinaire, pendant l'IPT (de la signature du protocole à sa fin)."
        )
    errors = {}
    held_on = _day(data.get("held_on"), "held_on", errors)
    if held_on and dossier.ipt_start_date and held_on < dossier.ipt_start_date:
        errors["held_on"] = (
            f"La concertation suit le début de l'IPT ({dossier.ipt_start_date:%d/%m/%Y}) (R-EVAL-1)."
        )
    participants = _text(data, "participants", runtime, errors)
    minutes = _text(data, "minutes", runtime, errors)
    if errors:
        raise ValidationFailed(errors)
    meeting = ConcertationMeeting(
        dossier_id=dossier.id,
        school_year=calendar.school_year_of(held_on),
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        recorded_by_id=actor.user_id,
        recorded_by_label=actor.label,
        recorded_at=clock.now(),
    )
    session.add(meeting)
    audit.record(
        session,
        actor,
        "concertation",
        f"Compte rendu de la concertation du {held_on:%d/%m/%Y} encodé.",
        dossier.id,
    )
    return meeting


def give_cpms_eo_avis(session, runtime, actor, dossier_id: int, data: dict):
    """R-EVAL-1 / R-PROL-3: the CPMS EO may give an avis on its own initiative (consultative)."""
    dossier = _dossier(session, actor, dossier_id)
    if not is_cpms_eo(actor, dossier):
        raise Forbidden("Seul le CPMS de l'école ordinaire donne cet avis.")
    if dossier.status != "ipt_en_place":
        raise RuleViolation("L'avis du CPMS se donne pendant l'IPT.")
    errors = {}
    day = _day(data.get("date_avis"), "date_avis", errors)
    value = data.get("avis")
    if value not in ("favorable", "defavorable"):
        errors["avis"] = "Choisissez favorable ou défavorable."
    text = (data.get("justification") or "").strip() or None
    if text and len(text) > runtime.settings.max_text_length:
        errors["justification"] = "Texte trop long."
    if errors:
        raise ValidationFailed(errors)
    from engine.tasks.service import Signer

    org = dossier.cpms_eo_id
    info = type("Info", (), {"stage": "evaluation", "record": "avis", "decision_party": "cpms_eo"})
    decision = facts.record_decision(
        session,
        dossier,
        info,
        {"avis": value, "date_avis": day.isoformat(), "justification": text},
        Signer(
            name=actor.label,
            capacity=f"{actor.capacity_in(org)} — CPMS (avis non contraignant)",
            user_id=actor.user_id,
        ),
        None,
    )
    audit.record(
        session,
        actor,
        "avis_cpms_eo",
        f"Avis du CPMS de l'école ordinaire (non contraignant) : {value}.",
        dossier.id,
    )
    return decision


def meetings(session, dossier) -> list[ConcertationMeeting]:
    return list(
        session.scalars(
            select(ConcertationMeeting)
            .where(ConcertationMeeting.dossier_id == dossier.id)
            .order_by(ConcertationMeeting.held_on, ConcertationMeeting.id)
        )
    )


def protocol_arrangements(session, dossier) -> dict:
    """What the protocol says about concertation (shown with the meetings, R-EVAL-1)."""
    row = session.scalar(
        select(StageContent)
        .where(StageContent.dossier_id == dossier.id, StageContent.kind == "protocole")
        .order_by(StageContent.id.desc())
    )
    if row is None:
        return {}
    return {
        "modalites_concertation": row.data.get("modalites_concertation"),
        "modalites_evaluation": row.data.get("modalites_evaluation"),
        "avis_cpms_eo_requis": row.data.get("avis_cpms_eo_requis"),
    }


def _dossier(session, actor, dossier_id) -> Dossier:
    from engine.dossiers.service import get_dossier

    dossier = get_dossier(session, actor, dossier_id)
    access.ensure_can_view(actor, dossier)
    return dossier


def _day(raw, key, errors):
    try:
        day = dt.date.fromisoformat(str(raw))
    except ValueError:
        errors[key] = "Date invalide : utilisez le format AAAA-MM-JJ."
        return None
    if day > clock.today():
        errors[key] = "La date ne peut pas être dans le futur."
    elif day.year < 2000:
        errors[key] = "Date invraisemblable : vérifiez l'année."
    return day


def _text(data, key, runtime, errors):
    value = (data.get(key) or "").strip()
    if not value:
        errors[key] = "Ce champ est obligatoire."
    elif len(value) > runtime.settings.max_text_length:
        errors[key] = f"Texte trop long : {runtime.settings.max_text_length} caractères au maximum."
    return value
