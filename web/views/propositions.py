"""« Nouvelle proposition » (R-PROP-1): the ES staff or the CPMS ES open a dossier."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.dossiers import service as dossiers
from engine.errors import Forbidden, NotEligible, ValidationFailed
from engine.models import Organisation
from web.db import get_db, get_runtime
from web.views.auth import staff_required

bp = Blueprint("propositions", __name__)

ES_STAFF = {"direction", "delegue", "titulaire"}
FIELDS = (
    "pupil_last_name",
    "pupil_first_name",
    "pupil_cf",
    "pupil_birth_date",
    "pupil_sex",
    "es_type",
    "year_of_study",
    "es_school_id",
    "cpms_es_id",
    "es_enrolment_date",
    "es_attendance_since",
    "in_es",
    "previous_ipt_end",
    "enters_first_secondary",
    "community",
    "initiator",
)
GUARDIAN_FIELDS = ("last_name", "first_name", "capacity", "email", "phone")


def es_schools_for(db, actor) -> list[Organisation]:
    """The ES schools the actor may open a proposition for (all of them for a CPMS member)."""
    schools = db.scalars(
        select(Organisation)
        .where(Organisation.kind == "ecole_es", Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    cpms_member = any(
        (org := db.get(Organisation, org_id)) is not None and org.kind == "cpms"
        for org_id in actor.org_ids
    )
    if cpms_member:
        return list(schools)
    return [s for s in schools if actor.roles_in(s.id) & ES_STAFF]


def may_propose(db, actor) -> bool:
    return actor is not None and not actor.is_parent and bool(es_schools_for(db, actor))


@bp.route("/propositions/nouvelle", methods=["GET", "POST"])
@staff_required
def new():
    db = get_db()
    schools = es_schools_for(db, g.actor)
    if not schools:
        raise Forbidden(
            "Seuls le personnel d'une école d'enseignement spécialisé et les CPMS peuvent "
            "introduire une proposition."
        )
    cpms = db.scalars(
        select(Organisation)
        .where(Organisation.kind == "cpms", Organisation.active.is_(True))
        .order_by(Organisation.name)
    ).all()
    form = {k: request.form.get(k, "") for k in FIELDS}
    guardians = [
        {k: request.form.get(f"guardian{i}_{k}", "") for k in GUARDIAN_FIELDS} for i in (1, 2)
    ]
    errors, not_eligible = {}, None
    if request.method == "GET":
        form["in_es"] = "oui"
        form["enters_first_secondary"] = "non"
        form["community"] = "fwb"
        form["es_school_id"] = str(schools[0].id) if len(schools) == 1 else ""
        form["cpms_es_id"] = str(schools[0].cpms_id or "") if len(schools) == 1 else ""
    else:
        data = {**form, "guardians": [g_ for g_ in guardians if any(g_.values())]}
        try:
            dossier = dossiers.open_proposition(db, get_runtime(), g.actor, data)
        except ValidationFailed as err:
            db.rollback()
            errors = err.errors
        except NotEligible as err:
            db.rollback()
            not_eligible = err.message
        else:
            db.commit()
            flash(
                f"Proposition {dossier.reference} introduite. Les avis des partenaires sont demandés.",
                "ok",
            )
            return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    status = 422 if (errors or not_eligible) else 200
    return render_template(
        "proposition.html",
        form=form,
        guardians=guardians,
        errors=errors,
        not_eligible=not_eligible,
        schools=[(s.id, f"{s.name} (FASE {s.fase})") for s in schools],
        cpms=[(c.id, f"{c.name} (FASE {c.fase})") for c in cpms],
        initiators=dossiers.INITIATORS,
        capacities=[(c, c) for c in dossiers.CAPACITIES],
    ), status
