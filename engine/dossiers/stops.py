"""Stopping an IPT in place (R-ARRET-1…5): the request, and what happens when it takes effect.

A request starts an instance of the `arret_ipt` diagram (concertation, annex-8 accords, end date,
new attestation, re-enrolment). When its end date is decided the stop takes effect: the dossier
ends on that date and every other waiting task of the dossier is cancelled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine import audit, calendar, instances
from engine.clock import clock
from engine.dossiers import access, parent_links, service, years
from engine.errors import Forbidden, NotFound, RuleViolation, ValidationFailed
from engine.models import Dossier, ProcessInstance, Prolongation, StopRequest

PROCESS_ID = "arret_ipt"
REASONS = {  # R-ARRET-2
    "retour_es": "Retour vers l'enseignement spécialisé",
    "certificat": "Obtention d'un certificat (CEB, CESS)",
    "eo_sans_accompagnement": "Inscription dans l'enseignement ordinaire sans accompagnement",
    "changement_ecole": "Changement d'école coopérante au sein du même pôle",
    "changement_pole": "Changement de pôle",
    "autre": "Autre raison",
}
# R-ARRET-1: the partners of an IPT (the three parties to its protocol) and the CPMS EO.
REQUESTERS = (
    ("eo_school", "eo_school_id", {"direction", "delegue"}),
    ("pole", "pole_id", {"coordonnateur", "direction", "delegue"}),
    ("cpms_eo", "cpms_eo_id", {"agent_cpms", "direction"}),
)


def request_stop(session, runtime, actor, dossier_id: int, data: dict) -> StopRequest:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas.")
    access.ensure_can_view(actor, dossier)
    party = requester_party(actor, dossier)
    if dossier.status != "ipt_en_place":
        raise RuleViolation(
            "Seule une IPT en place peut être arrêtée (avant le protocole, un dossier se clôture)."
        )
    if clock.today() < dossier.ipt_start_date:
        raise RuleViolation(
            f"L'IPT commence le {dossier.ipt_start_date:%d/%m/%Y} : une demande d'arrêt est "
            "possible à partir de cette date (une fin ne peut pas précéder le début de l'IPT)."
        )
    if pending(session, dossier) is not None:
        raise RuleViolation("Une demande d'arrêt est déjà en cours pour ce dossier.")
    clean = _validate(runtime, dossier, data)
    now = clock.now()
    stop = StopRequest(
        dossier_id=dossier.id,
        requested_by_party=party,
        requested_by_user_id=actor.user_id,
        requested_by_guardian_id=actor.guardian_id,
        requested_by_label=actor.label,
        requested_at=now,
        status="en_cours",
        **clean,
    )
    session.add(stop)
    session.flush()
    start = {
        "motif": stop.reason,
        "fin_annee": stop.at_year_end,
        "event_date": stop.event_date.isoformat() if stop.event_date else None,
        "current_year": calendar.school_year_of(clock.today()),
        "ipt_entry_date": (dossier.ipt_entry_date or dossier.ipt_start_date).isoformat(),
        "requested_by": party,
    }
    instance, workflow, definition = instances.start(session, runtime, dossier, PROCESS_ID, start)
    instances.save(instance, workflow)
    session.flush()
    stop.instance_id = instance.id
    opened = instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    parent_links.notify(session, runtime, actor, dossier, opened)
    when = "en fin d'année scolaire" if stop.at_year_end else f"au {stop.event_date:%d/%m/%Y}"
    audit.record(
        session,
        actor,
        "arret_demande",
        f"Demande d'arrêt ({REASONS[stop.reason]}{' : ' + stop.reason_text if stop.reason_text else ''}), "
        f"{when}. Motivation : {stop.justification}",
        dossier.id,
        stop_id=stop.id,
    )
    return stop


def requester_party(actor, dossier) -> str:
    if actor.is_parent:
        if actor.dossier_scope == dossier.id:
            return "parents"
    else:
        for party, attr, roles in REQUESTERS:
            if actor.roles_in(getattr(dossier, attr)) & roles:
                return party
    raise Forbidden(
        "Seuls les partenaires de l'IPT (école coopérante, pôle, parents) et le CPMS de l'école "
        "ordinaire peuvent demander l'arrêt (R-ARRET-1)."
    )


def may_request(actor, dossier) -> bool:
    try:
        requester_party(actor, dossier)
    except Forbidden:
        return False
    return dossier.status == "ipt_en_place" and clock.today() >= dossier.ipt_start_date


def pending(session, dossier) -> StopRequest | None:
    return session.scalar(
        select(StopRequest).where(
            StopRequest.dossier_id == dossier.id, StopRequest.status == "en_cours"
        )
    )


def take_effect(session, runtime, actor, dossier, instance, end_date: dt.date) -> None:
    """R-ARRET-3: the stop decided by `instance` ends the IPT on `end_date`."""
    stop = session.scalar(select(StopRequest).where(StopRequest.instance_id == instance.id))
    stop.status, stop.end_date, stop.decided_at = "acceptee", end_date, clock.now()
    end_ipt(session, runtime, actor, dossier, instance, end_date, stop.reason)


def end_ipt(session, runtime, actor, dossier, instance, end_date: dt.date, reason: str) -> None:
    """The IPT ends on `end_date` for `reason`; every other waiting task of the dossier is
    cancelled (a pending stop request or prolongation included) and the year records it."""
    dossier.status, dossier.ipt_end_date, dossier.end_reason = "ipt_arretee", end_date, reason
    dossier.closed_at = clock.now()
    years.close_year(session, dossier, end_date, reason)
    for stop in session.scalars(
        select(StopRequest).where(
            StopRequest.dossier_id == dossier.id,
            StopRequest.status == "en_cours",
            StopRequest.instance_id != instance.id,
        )
    ):
        stop.status, stop.decided_at = "sans_objet", clock.now()
    for prolongation in session.scalars(
        select(Prolongation).where(
            Prolongation.dossier_id == dossier.id,
            Prolongation.status == "en_cours",
            Prolongation.instance_id != instance.id,
        )
    ):
        prolongation.status, prolongation.decided_at = "annulee", clock.now()
    for other in session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.dossier_id == dossier.id,
            ProcessInstance.status == "running",
            ProcessInstance.id != instance.id,
        )
        .with_for_update()
    ):
        workflow, _definition = instances.load(session, runtime, other)
        instances.cancel(session, other, workflow)
    if reason in service.PARTNER_CHANGES:
        service.restart_partner_search(session, runtime, actor, dossier, reason)
    audit.record(
        session,
        actor,
        "ipt_arretee",
        f"IPT arrêtée : fin le {end_date:%d/%m/%Y} ({REASONS.get(reason, reason)}).",
        dossier.id,
    )


def not_retained(session, actor, dossier, instance) -> None:
    """A party refused and the concertation kept the IPT going."""
    stop = session.scalar(select(StopRequest).where(StopRequest.instance_id == instance.id))
    stop.status, stop.decided_at = "refusee", clock.now()
    audit.record(
        session,
        actor,
        "arret_non_retenu",
        "Arrêt non retenu à l'issue de la concertation : l'IPT se poursuit.",
        dossier.id,
        stop_id=stop.id,
    )


def _validate(runtime, dossier, data) -> dict:
    errors = {}
    reason = data.get("reason")
    if reason not in REASONS:
        errors["reason"] = "Choisissez le motif de l'arrêt parmi ceux de la circulaire."
    text = (data.get("reason_text") or "").strip() or None
    if reason == "autre" and not text:
        errors["reason_text"] = "Précisez l'autre raison (déménagement, exclusion…)."
    justification = (data.get("justification") or "").strip()
    if not justification:
        errors["justification"] = "Justifiez brièvement la demande d'arrêt (R-ARRET-2)."
    limit = runtime.settings.max_text_length
    for key, value in (("reason_text", text), ("justification", justification)):
        if value and len(value) > limit:
            errors[key] = f"Texte trop long : {limit} caractères au maximum."
    at_year_end = data.get("at_year_end")
    if isinstance(at_year_end, str):
        at_year_end = {"oui": True, "true": True, "non": False, "false": False}.get(at_year_end)
    if not isinstance(at_year_end, bool):
        errors["at_year_end"] = (
            "Indiquez si l'arrêt vaut en fin d'année ou à la date d'un événement."
        )
    event_date = None
    if at_year_end is False:
        event_date = _event_date(data.get("event_date"), dossier, errors)
    elif at_year_end is True and data.get("event_date"):
        errors["event_date"] = (
            "Un arrêt en fin d'année prend effet le dernier jour de l'année scolaire : "
            "ne donnez pas de date d'événement."
        )
    if errors:
        raise ValidationFailed(errors)
    return {
        "reason": reason,
        "reason_text": text if reason == "autre" else None,
        "justification": justification,
        "at_year_end": at_year_end,
        "event_date": event_date,
    }


def _event_date(raw, dossier, errors):
    try:
        day = dt.date.fromisoformat(str(raw))
    except ValueError:
        errors["event_date"] = "Indiquez la date de l'événement (AAAA-MM-JJ)."
        return None
    year = calendar.school_year_of(clock.today())
    if day < dossier.ipt_start_date:
        errors["event_date"] = (
            f"La date de fin ne peut pas précéder le début de l'IPT ({dossier.ipt_start_date:%d/%m/%Y})."
        )
    elif not calendar.first_day(year) <= day <= calendar.last_day(year):
        errors["event_date"] = (
            f"La date doit tomber pendant l'année scolaire {calendar.label(year)} "
            f"({calendar.first_day(year):%d/%m/%Y} – {calendar.last_day(year):%d/%m/%Y})."
        )
    return day
