"""Prolongation for the next school year (R-PROL-1…7), one call per dossier and year."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.dossiers import prolongations, years
from engine.errors import Forbidden, RuleViolation
from engine.models import Decision, OutboxMessage, Prolongation, StageContent
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


@pytest.fixture
def ipt(drv):
    d = drv.in_ipt()  # the protocol asks for the CPMS EO's avis (avis_cpms_eo_requis)
    clock.set_today(dt.date(2027, 5, 10))
    return d


def start(drv, d, who="coordination.pole@demo.ipt", year=2027):
    row = prolongations.start_prolongation(drv.s, drv.runtime, drv.user(who), d.id, year)
    drv.s.commit()
    return row


def body(drv, d, avis="favorable", bpmn_id="avis_equipe_educative"):
    data = {
        "date_avis": "2027-05-05",
        "annee_etudes_actuelle": "3e",
        "annee_etudes_prevue": "4e",
        "avis": avis,
    }
    if avis == "defavorable":
        data["justification"] = "Pas prêt."
    drv.do(d, bpmn_id, "direction.eo.fondamental@demo.ipt", data)


def others(drv, d, pole="favorable", parents="favorable", cpms=True):
    pole_data = {"date_avis": "2027-05-06", "avis": pole}
    if pole == "defavorable":
        pole_data["justification"] = "Non."
    drv.do(d, "avis_pole_prolongation", "coordination.pole@demo.ipt", pole_data)
    if cpms:
        drv.do(
            d,
            "avis_cpms_eo_prolongation",
            "cpms.eo@demo.ipt",
            {"date_avis": "2027-05-06", "avis": "favorable"},
        )
    sign = {"date_accord": "2027-05-07", "avis": parents}
    if parents == "defavorable":
        sign["justification"] = "Non."
    drv.do(d, "signature_parents_annexe7", drv.parent(d), sign)


def test_R_PROL_1_the_body_of_fondamental_widened_to_the_pole(drv, ipt):
    row = start(drv, ipt)
    assert row.school_year == 2027 and drv.open_tasks(ipt) == [
        "avis_equipe_educative",
        "declarer_protocole",
    ]
    body(drv, ipt)
    others(drv, ipt)
    assert drv.s.get(Prolongation, row.id).status == "favorable"
    assert years.record(drv.s, ipt, 2027).in_ipt


def test_R_PROL_1_one_prolongation_per_dossier_and_year_and_only_in_ipt(drv, ipt):
    start(drv, ipt)
    with pytest.raises(prolongations.AlreadyStarted):
        start(drv, ipt)
    drv.s.rollback()
    again, created = prolongations.ensure_prolongation(
        drv.s, drv.runtime, drv.user("admin@demo.ipt"), ipt.id, 2027
    )
    assert not created and drv.s.scalar(select(func.count()).select_from(Prolongation)) == 1
    with pytest.raises(RuleViolation, match="2027-2028"):
        start(drv, ipt, year=2028)
    drv.s.rollback()
    with pytest.raises(Forbidden):
        start(drv, ipt, who="direction.es@demo.ipt")
    drv.s.rollback()
    other = drv.proposition(pupil_last_name="Autre")
    with pytest.raises(RuleViolation, match="en place"):
        start(drv, other, who="admin@demo.ipt")


def test_R_PROL_2_secondary_without_an_ad_hoc_council(drv, ipt):
    ipt.level = "secondaire"
    drv.s.commit()
    start(drv, ipt)
    assert "avis_conseil_classe_eo" in drv.open_tasks(ipt)


def test_R_PROL_3_the_cpms_eo_is_informed_and_asked_only_if_the_protocol_says_so(drv, ipt):
    start(drv, ipt)
    body(drv, ipt)
    mails = drv.s.scalars(
        select(OutboxMessage).where(OutboxMessage.payload["to_organisation_id"].isnot(None))
    ).all()
    assert any("avis de prolongation communiqué au CPMS" in m.payload["subject"] for m in mails)
    assert "avis_cpms_eo_prolongation" in drv.open_tasks(ipt)  # the protocol asked for it


def test_R_PROL_3_no_cpms_avis_asked_when_the_protocol_does_not_say_so(drv, ipt):
    content = drv.s.scalar(select(StageContent).where(StageContent.kind == "protocole"))
    content.data = {**content.data, "avis_cpms_eo_requis": False}
    drv.s.commit()
    start(drv, ipt)
    body(drv, ipt)
    assert drv.open_tasks(ipt) == ["avis_pole_prolongation", "declarer_protocole"]


def test_R_PROL_4_the_parents_sign_annex_7(drv, ipt):
    start(drv, ipt)
    body(drv, ipt)
    others(drv, ipt)
    sign = drv.s.scalar(
        select(Decision).where(Decision.stage == "prolongation", Decision.party == "parents")
    )
    assert (sign.kind, sign.value, sign.school_year) == ("accord", "favorable", 2027)


def test_R_PROL_5_a_change_of_school_ends_this_ipt_nothing_carried_over(drv, ipt):
    start(drv, ipt)
    body(drv, ipt, avis="defavorable")
    others(drv, ipt)
    drv.do(
        ipt,
        "concertation_prolongation",
        "direction.eo.fondamental@demo.ipt",
        {
            "date_decision": "2027-05-10",
            "decision": "changement_ecole",
            "positions": "Changement d'école.",
        },
    )
    assert (ipt.end_reason, ipt.ipt_end_date) == ("changement_ecole", dt.date(2027, 7, 2))
    assert years.record(drv.s, ipt, 2026).end_reason == "changement_ecole"
    assert years.record(drv.s, ipt, 2027) is None  # not carried over to 2027-2028


def test_R_PROL_6_a_favorable_prolongation_is_declared_by_the_pole(drv, ipt):
    start(drv, ipt)
    body(drv, ipt)
    others(drv, ipt)
    assert "declarer_prolongation" in drv.open_tasks(ipt)
    drv.do(
        ipt,
        "declarer_prolongation",
        "coordination.pole@demo.ipt",
        {"date_declaration": "2027-05-10", "declaration_honneur": True},
    )
    assert drv.s.scalar(select(Prolongation)).status == "declaree"


@pytest.mark.parametrize("who", ["body", "pole", "parents"])
def test_R_PROL_7_any_defavorable_avis_leads_to_the_eo_directions_concertation(drv, ipt, who):
    start(drv, ipt)
    body(drv, ipt, avis="defavorable" if who == "body" else "favorable")
    others(
        drv,
        ipt,
        pole="defavorable" if who == "pole" else "favorable",
        parents="defavorable" if who == "parents" else "favorable",
    )
    assert "concertation_prolongation" in drv.open_tasks(ipt)
    assert ipt.status == "ipt_en_place"  # no automatic prolongation, no automatic end


def test_R_PROL_1_no_prolongation_while_a_stop_request_is_pending(drv, ipt):
    from engine.dossiers import stops

    stops.request_stop(
        drv.s,
        drv.runtime,
        drv.parent(ipt),
        ipt.id,
        {"reason": "certificat", "justification": "x", "at_year_end": True},
    )
    drv.s.commit()
    with pytest.raises(RuleViolation, match="demande d'arrêt"):
        start(drv, ipt)


def test_R_PROL_5_a_change_of_school_restarts_the_partner_search_without_a_proposition(drv, ipt):
    start(drv, ipt)
    body(drv, ipt, avis="defavorable")
    others(drv, ipt)
    drv.do(
        ipt,
        "concertation_prolongation",
        "direction.eo.fondamental@demo.ipt",
        {
            "date_decision": "2027-05-10",
            "decision": "changement_ecole",
            "positions": "Autre école.",
        },
    )
    assert (ipt.status, ipt.stage, ipt.eo_school_id) == ("en_cours", "recherche_partenaire", None)
    assert drv.open_tasks(ipt) == ["choisir_ecole"]
    assert ipt.target_year == 2027 and ipt.ipt_entry_date == dt.date(2026, 8, 31)


def test_R_PROL_5_a_change_of_pole_hands_the_file_over(drv, ipt):
    from engine.dossiers import access

    start(drv, ipt)
    body(drv, ipt, avis="defavorable")
    others(drv, ipt)
    old_pole = drv.user("coordination.pole@demo.ipt")
    assert access.can_view(old_pole, ipt)
    drv.do(
        ipt,
        "concertation_prolongation",
        "direction.eo.fondamental@demo.ipt",
        {
            "date_decision": "2027-05-10",
            "decision": "changement_pole",
            "positions": "Déménagement.",
        },
    )
    assert ipt.pole_id is None and not access.can_view(old_pole, ipt)  # the old pôle loses access
