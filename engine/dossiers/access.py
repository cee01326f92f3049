"""Authorization per dossier: only its partners (and its parents, through their link) see it."""

from __future__ import annotations

from engine.context import Actor
from engine.errors import Forbidden
from engine.models import Dossier, HumanTask

STAFF_ROLES_FOR_PAPER = {"direction", "delegue", "coordonnateur"}


def partner_org_ids(dossier: Dossier) -> set[int]:
    ids = {
        dossier.es_school_id,
        dossier.cpms_es_id,
        dossier.eo_school_id,
        dossier.pole_id,
        dossier.cpms_eo_id,
    }
    return {i for i in ids if i is not None}


def can_view(actor: Actor, dossier: Dossier) -> bool:
    if actor.is_parent:
        return actor.dossier_scope == dossier.id
    return bool(actor.org_ids & partner_org_ids(dossier))


def ensure_can_view(actor: Actor, dossier: Dossier) -> None:
    if not can_view(actor, dossier):
        raise Forbidden("Vous n'êtes pas partenaire de ce dossier.")


def can_record_for_parents(actor: Actor, dossier: Dossier) -> bool:
    """Staff may record a parent's accord signed on paper (ES school, EO school or pôle)."""
    orgs = {dossier.es_school_id, dossier.eo_school_id, dossier.pole_id} - {None}
    return any(role in STAFF_ROLES_FOR_PAPER for org, role in actor.memberships if org in orgs)


def can_act(actor: Actor, task: HumanTask, dossier: Dossier) -> bool:
    if task.party == "parents":
        if actor.is_parent:
            return actor.dossier_scope == task.dossier_id
        return can_record_for_parents(actor, dossier)
    if actor.is_parent or task.organisation_id is None:
        return False
    roles = set(task.roles.split(",")) if task.roles else set()
    return bool(actor.roles_in(task.organisation_id) & roles)


def is_addressed_to(actor: Actor, task: HumanTask) -> bool:
    """Inbox membership: parents see parents' tasks; staff see their organisations' tasks."""
    if task.party == "parents":
        return actor.is_parent and actor.dossier_scope == task.dossier_id
    roles = set(task.roles.split(",")) if task.roles else set()
    return bool(actor.roles_in(task.organisation_id) & roles)


def ensure_can_open_for(actor: Actor, es_school_id: int, cpms_es_id: int | None) -> None:
    """ "Nouvelle proposition": the ES school's staff, or the CPMS ES."""
    if actor.roles_in(es_school_id) & {"direction", "delegue", "titulaire"}:
        return
    if cpms_es_id and actor.roles_in(cpms_es_id):
        return
    raise Forbidden(
        "Seuls le personnel de l'école d'enseignement spécialisé et son CPMS peuvent "
        "introduire une proposition pour cette école."
    )
