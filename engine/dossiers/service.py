"""Opening a proposition, closing a dossier before the protocol, finding dossiers."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import or_, select

from engine import audit, calendar, instances
from engine.clock import clock
from engine.dossiers import access, facts, parent_links
from engine.errors import Forbidden, NotEligible, NotFound, RuleViolation, ValidationFailed
from engine.models import Dossier, Guardian, Organisation, ProcessInstance

PROCESS_ID = "mise_en_place"
INITIATORS = {
    "conseil_de_classe": "Conseil de classe de l'école spécialisée",
    "cpms_es": "CPMS de l'école spécialisée",
    "parents": "Parents",
}
CAPACITIES = ("mère", "père", "tuteur", "tutrice", "autre responsable légal", "élève majeur")
CF_RE = re.compile(r"^[0-9A-Za-z\-./ ]{1,30}$")


def target_year_for(day: dt.date) -> int:
    """The "next school year" an IPT proposed on `day` would start."""
    year = calendar.school_year_of(day)
    return year if day < calendar.first_day(year) else year + 1


def open_proposition(session, runtime, actor, data: dict) -> Dossier:
    """R-PROP-1: a proposition by the ES class council, the CPMS ES or the parents (recorded
    by the ES staff on their behalf). R-ELIG-1/2 decide whether it can be opened at all."""
    clean = _validate_proposition(session, data)
    if clean["previous_ipt_end"] is None and clean["pupil_cf"]:
        clean["previous_ipt_end"] = previous_ipt_end(session, clean["pupil_cf"])
    access.ensure_can_open_for(actor, clean["es_school"].id, clean["cpms_es_id"])
    today = clock.today()
    dossier = Dossier(
        reference="",
        pupil_last_name=clean["pupil_last_name"],
        pupil_first_name=clean["pupil_first_name"],
        pupil_cf=clean["pupil_cf"],
        pupil_birth_date=clean["pupil_birth_date"],
        pupil_sex=clean["pupil_sex"],
        community=clean["community"],
        es_type=clean["es_type"],
        year_of_study=clean["year_of_study"],
        level=clean["es_school"].level,
        in_es=clean["in_es"],
        es_enrolment_date=clean["es_enrolment_date"],
        es_attendance_since=clean["es_attendance_since"],
        previous_ipt_end=clean["previous_ipt_end"],
        enters_first_secondary=clean["enters_first_secondary"],
        initiator=clean["initiator"],
        target_year=target_year_for(today),
        stage="proposition",
        status="en_cours",
        es_school_id=clean["es_school"].id,
        cpms_es_id=clean["cpms_es_id"],
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(dossier)
    for pos, g in enumerate(clean["guardians"], 1):
        dossier.guardians.append(Guardian(position=pos, **g))
    session.flush()
    dossier.reference = f"IPT-{dossier.target_year}-{dossier.id:05d}"
    start_data = {
        "in_es": dossier.in_es,
        "attending_since": _iso(dossier.es_attendance_since),
        "previous_ipt_end": _iso(dossier.previous_ipt_end),
        "target_year": dossier.target_year,
        "enters_first_secondary": dossier.enters_first_secondary,
        "community": dossier.community,
        "changement_partenaire": False,
        "initiator": dossier.initiator,
    }
    instance, workflow, definition = instances.start(
        session, runtime, dossier, PROCESS_ID, start_data
    )
    if "fin_non_eligible" in instances.completed_end_events(workflow):
        reason = (
            _last_data(workflow).get("eligibility_reason")
            or "Conditions d'éligibilité non remplies."
        )
        raise NotEligible(reason)  # the caller rolls back: nothing is created
    dossier.eligibility_rule = _last_data(workflow).get("eligibility_rule")
    instances.save(instance, workflow)
    session.flush()
    opened = instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    facts.snapshot(session, dossier, "proposition", ("es_school", "cpms_es"))
    audit.record(
        session,
        actor,
        "proposition_ouverte",
        f"Proposition introduite (initiative : {INITIATORS[dossier.initiator]}).",
        dossier.id,
        eligibility=dossier.eligibility_rule,
    )
    parent_links.notify(session, runtime, actor, dossier, opened)
    return dossier


PARTNER_CHANGES = ("changement_ecole", "changement_pole")


def previous_ipt_end(session, pupil_cf: str):
    """R-ELIG-2 from the history: the end of this pupil's last interrupted IPT, if any."""
    return session.scalar(
        select(Dossier.ipt_end_date)
        .where(Dossier.pupil_cf == pupil_cf, Dossier.status == "ipt_arretee")
        .order_by(Dossier.ipt_end_date.desc())
        .limit(1)
    )


def restart_partner_search(session, runtime, actor, dossier, reason: str) -> None:
    """R-PROL-5: a change of partner never transfers the IPT. The dossier stays; a new partner
    search, projet and protocol follow for the next school year (declared as a prolongation,
    annex 3), without a new proposition."""
    pole_id = dossier.pole_id
    facts.partner_fell_through(session, dossier, f"Changement de partenaire ({reason})")
    if reason == "changement_ecole":  # within the same pôle: it keeps the file and helps search
        dossier.pole_id = pole_id
    dossier.target_year = calendar.school_year_of(dossier.ipt_end_date) + 1
    dossier.status, dossier.stage, dossier.closed_at = "en_cours", "recherche_partenaire", None
    start_data = {
        "changement_partenaire": True,
        "target_year": dossier.target_year,
        "enters_first_secondary": False,
        "community": dossier.community,
    }
    instance, workflow, definition = instances.start(
        session, runtime, dossier, PROCESS_ID, start_data
    )
    instances.save(instance, workflow)
    session.flush()
    instances.sync_tasks(session, runtime, instance, workflow, definition, dossier)
    audit.record(
        session,
        actor,
        "changement_partenaire",
        f"Changement de partenaire : l'IPT actuelle prend fin le {dossier.ipt_end_date:%d/%m/%Y} ; "
        f"recherche d'une nouvelle école pour {calendar.label(dossier.target_year)}, nouveau projet "
        "et nouveau protocole (R-PROL-5).",
        dossier.id,
    )


def close_dossier(session, runtime, actor, dossier_id: int, reason: str) -> Dossier:
    """Before the protocol, a dossier is closed (not stopped) with a reason."""
    dossier = get_dossier(session, actor, dossier_id)
    if not actor.roles_in(dossier.es_school_id) & {"direction", "delegue"}:
        raise Forbidden("Seule la direction de l'école spécialisée peut clôturer ce dossier.")
    if dossier.status != "en_cours" or dossier.stage == "ipt":
        raise RuleViolation(
            "Ce dossier ne peut plus être clôturé : seul un dossier en cours, avant la signature "
            "du protocole, peut l'être (une IPT en place s'arrête par une demande d'arrêt)."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"motif": "Indiquez le motif de la clôture."})
    if len(reason) > runtime.settings.max_text_length:
        raise ValidationFailed({"motif": "Texte trop long."})
    for instance in session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.dossier_id == dossier.id, ProcessInstance.status == "running")
        .with_for_update()
    ):
        workflow, _definition = instances.load(session, runtime, instance)
        instances.cancel(session, instance, workflow)
    dossier.status, dossier.status_reason, dossier.closed_at = "cloture", reason, clock.now()
    audit.record(session, actor, "dossier_cloture", f"Dossier clôturé : {reason}", dossier.id)
    return dossier


def get_dossier(session, actor, dossier_id) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Ce dossier n'existe pas.")
    access.ensure_can_view(actor, dossier)
    return dossier


def visible_dossiers(session, actor, query: str | None = None, limit=200) -> list[Dossier]:
    """The dossiers an actor may see, optionally searched by pupil name or CF number."""
    stmt = select(Dossier)
    if actor.is_parent:
        stmt = stmt.where(Dossier.id == actor.dossier_scope)
    else:
        orgs = list(actor.org_ids) or [-1]
        stmt = stmt.where(
            or_(
                Dossier.es_school_id.in_(orgs),
                Dossier.cpms_es_id.in_(orgs),
                Dossier.eo_school_id.in_(orgs),
                Dossier.pole_id.in_(orgs),
                Dossier.cpms_eo_id.in_(orgs),
            )
        )
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(
                Dossier.pupil_last_name.ilike(like),
                Dossier.pupil_first_name.ilike(like),
                Dossier.pupil_cf.ilike(like),
                Dossier.reference.ilike(like),
            )
        )
    return list(session.scalars(stmt.order_by(Dossier.id.desc()).limit(limit)))


def _last_data(workflow) -> dict:
    return workflow.last_task.data if workflow.last_task is not None else {}


def _iso(value):
    return value.isoformat() if value else None


def _validate_proposition(session, data: dict) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}

    def text(key, required=True, max_len=100):
        value = (data.get(key) or "").strip() if isinstance(data.get(key, ""), str) else None
        if value is None:
            errors[key] = "Valeur invalide."
        elif not value and required:
            errors[key] = "Ce champ est obligatoire."
        elif len(value) > max_len:
            errors[key] = f"Texte trop long : {max_len} caractères au maximum."
        return value or None

    def day(key, required=False):
        raw = data.get(key)
        if raw in (None, ""):
            if required:
                errors[key] = "Ce champ est obligatoire."
            return None
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            errors[key] = "Date invalide : utilisez le format AAAA-MM-JJ."
            return None

    out["pupil_last_name"] = text("pupil_last_name")
    out["pupil_first_name"] = text("pupil_first_name")
    out["pupil_cf"] = text("pupil_cf", required=False, max_len=30)
    if out["pupil_cf"] and not CF_RE.match(out["pupil_cf"]):
        errors["pupil_cf"] = "Numéro CF invalide."
    out["pupil_birth_date"] = day("pupil_birth_date", required=True)
    sex = data.get("pupil_sex") or None
    if sex not in (None, "F", "M", "X"):
        errors["pupil_sex"] = "Choisissez une des valeurs proposées."
    out["pupil_sex"] = sex
    out["es_type"] = text("es_type", required=False, max_len=10)
    _check_community(data, out, errors)
    out["year_of_study"] = text("year_of_study", required=False, max_len=40)
    out["es_enrolment_date"] = day("es_enrolment_date", required=True)
    out["es_attendance_since"] = day("es_attendance_since", required=True)
    out["previous_ipt_end"] = day("previous_ipt_end")
    out["in_es"] = _yes(data.get("in_es", True))
    out["enters_first_secondary"] = _yes(data.get("enters_first_secondary", False))
    initiator = data.get("initiator")
    if initiator not in INITIATORS:
        errors["initiator"] = "Choisissez une des valeurs proposées."
    out["initiator"] = initiator
    today = clock.today()
    for key in ("pupil_birth_date", "es_enrolment_date", "es_attendance_since", "previous_ipt_end"):
        if out.get(key) and out[key] > today:
            errors[key] = "La date ne peut pas être dans le futur."
    es = _org(session, data.get("es_school_id"), "ecole_es")
    if es is None:
        errors["es_school_id"] = "École d'enseignement spécialisé inconnue."
    out["es_school"] = es
    cpms_raw = data.get("cpms_es_id") or (es.cpms_id if es else None)
    cpms = _org(session, cpms_raw, "cpms") if cpms_raw else None
    if cpms is None:
        errors["cpms_es_id"] = "Centre PMS inconnu : choisissez le CPMS de l'école spécialisée."
    out["cpms_es_id"] = cpms.id if cpms else None
    guardians = data.get("guardians") or []
    if not isinstance(guardians, list) or not 1 <= len(guardians) <= 2:
        errors["guardians"] = "Indiquez un ou deux responsables légaux (ou l'élève majeur)."
        guardians = []
    out["guardians"] = []
    for i, g in enumerate(guardians, 1):
        if not isinstance(g, dict):
            errors[f"guardian{i}_last_name"] = "Valeur invalide."
            continue
        entry = {}
        for key, label_max in (("last_name", 100), ("first_name", 100)):
            value = str(g.get(key) or "").strip()
            if not value:
                errors[f"guardian{i}_{key}"] = "Ce champ est obligatoire."
            elif len(value) > label_max:
                errors[f"guardian{i}_{key}"] = "Texte trop long."
            entry[key] = value
        capacity = g.get("capacity")
        if capacity not in CAPACITIES:
            errors[f"guardian{i}_capacity"] = "Choisissez une des valeurs proposées."
        entry["capacity"] = capacity
        email = str(g.get("email") or "").strip().lower() or None
        if email and (len(email) > 200 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
            errors[f"guardian{i}_email"] = "Adresse e-mail invalide."
        entry["email"] = email
        entry["phone"] = str(g.get("phone") or "").strip()[:40] or None
        out["guardians"].append(entry)
    _check_adult_pupil(out, today, errors)
    if errors:
        raise ValidationFailed(errors)
    return out


COMMUNITIES = {
    "fwb": "Fédération Wallonie-Bruxelles",
    "vl": "Communauté flamande",
    "de": "Communauté germanophone",
}
# R-COMM-2: types do not map one to one; recorded as given. Flemish special education has no
# types 1 and 8 and has a type 9 (autism); the German-speaking Community has no types.
TYPES = {
    "fwb": {str(i) for i in range(1, 9)},
    "vl": {"2", "3", "4", "5", "6", "7", "9"},
    "de": set(),
}


def _check_community(data, out, errors) -> None:
    community = data.get("community") or "fwb"
    if community not in COMMUNITIES:
        errors["community"] = "Choisissez une des valeurs proposées."
        community = "fwb"
    out["community"] = community
    raw = (out.get("es_type") or "").lower().removeprefix("type").strip()
    if not raw:
        return
    if raw not in TYPES[community]:
        allowed = ", ".join(sorted(TYPES[community])) or "aucun (pas de types)"
        errors["es_type"] = f"Type inconnu pour la {COMMUNITIES[community]} : {allowed}."
    else:
        out["es_type"] = raw


def _check_adult_pupil(out, today, errors) -> None:
    """From the 18th birthday the pupil is the party himself (IPT-RULES, "Parents")."""
    birth = out.get("pupil_birth_date")
    if not birth or not out["guardians"]:
        return
    adult = today >= _add_years(birth, 18)
    capacities = [g["capacity"] for g in out["guardians"]]
    if adult and capacities != ["élève majeur"]:
        errors["guardian1_capacity"] = (
            "L'élève est majeur : il est lui-même partie ; indiquez un seul responsable, "
            "l'élève, avec la qualité « élève majeur »."
        )
    elif not adult and "élève majeur" in capacities:
        i = capacities.index("élève majeur") + 1
        errors[f"guardian{i}_capacity"] = (
            "L'élève n'est pas majeur : indiquez un responsable légal."
        )


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _yes(value) -> bool:
    if isinstance(value, str):
        return value in ("oui", "true", "1")
    return bool(value)


def _org(session, raw, kind):
    try:
        org = session.get(Organisation, int(raw))
    except (TypeError, ValueError):
        return None
    return org if org is not None and org.kind == kind else None
