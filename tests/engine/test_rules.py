"""One test (at least) per rule id of the mise en place, on the real engine and database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.dossiers import facts
from engine.errors import Forbidden, NotEligible, RuleViolation, ValidationFailed
from engine.models import (
    AuditEvent,
    Decision,
    Dossier,
    HumanTask,
    PartnerRequest,
    ProcessInstance,
    StageContent,
)
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def count(s, model):
    return s.scalar(select(func.count()).select_from(model))


def current(s, d, stage, party):
    return facts.current_decision(s, d, stage, party)


def test_R_ELIG_1_attending_es_since_after_15_october_refused_and_nothing_created(drv):
    with pytest.raises(NotEligible) as err:
        drv.proposition(es_enrolment_date="2025-11-03", es_attendance_since="2025-11-03")
    assert "15 octobre" in err.value.message and "R-ELIG-1" in err.value.message
    drv.s.rollback()
    assert count(drv.s, Dossier) == 0 and count(drv.s, ProcessInstance) == 0
    assert count(drv.s, HumanTask) == 0


def test_R_ELIG_1_attending_since_15_october_exactly_is_eligible(drv):
    d = drv.proposition(es_attendance_since="2025-10-15")
    assert d.eligibility_rule == "R-ELIG-1" and d.status == "en_cours"
    assert d.target_year == 2026  # next school year: 2026-2027


def test_R_ELIG_2_resumption_within_a_year_without_es(drv):
    d = drv.proposition(
        in_es=False, es_attendance_since="2025-12-01", previous_ipt_end="2025-12-19"
    )
    assert d.eligibility_rule == "R-ELIG-2"


def test_R_ELIG_2_interruption_over_a_year_falls_back_to_R_ELIG_1(drv):
    with pytest.raises(NotEligible):
        drv.proposition(es_attendance_since="2025-11-03", previous_ipt_end="2025-06-20")
    drv.s.rollback()
    d = drv.proposition(es_attendance_since="2025-09-01", previous_ipt_end="2025-06-20")
    assert d.eligibility_rule == "R-ELIG-1"


def test_R_PROP_1_initiator_recorded_and_only_es_staff_or_cpms_es_may_open(drv):
    d = drv.proposition(initiator="cpms_es", by="cpms.es@demo.ipt")
    assert d.initiator == "cpms_es"
    with pytest.raises(ValidationFailed) as err:
        drv.proposition(initiator="pole")
    assert "initiator" in err.value.errors
    drv.s.rollback()
    with pytest.raises(Forbidden):
        drv.proposition(by="direction.eo.fondamental@demo.ipt")


def test_R_PROP_2_three_avis_with_person_capacity_date(drv):
    d = drv.proposition()
    assert drv.open_tasks(d) == ["avis_cc_es", "avis_cpms_es", "avis_parents"]
    drv.accept_proposition(d)
    cc = current(drv.s, d, "proposition", "cc_es")
    assert (cc.person_name, cc.decided_on) == ("Anne Dupont", dt.date(2026, 1, 15))
    assert cc.capacity.startswith("Direction")
    parents = current(drv.s, d, "proposition", "parents")
    assert parents.person_name == "Claire Lambert" and "mère" in parents.capacity


def test_R_PROP_3_cpms_defavorable_alone_does_not_block(drv):
    d = drv.proposition()
    drv.accept_proposition(d, cpms="defavorable")
    assert (d.stage, d.status) == ("recherche_partenaire", "en_cours")


def test_R_PROP_3_class_council_defavorable_refuses(drv):
    d = drv.proposition()
    drv.do(
        d,
        "avis_cc_es",
        "direction.es@demo.ipt",
        {"date_reunion": "2026-01-15", "avis": "defavorable", "justification": "Pas prêt."},
    )
    drv.do(d, "avis_cpms_es", "cpms.es@demo.ipt", {"date_avis": "2026-01-15", "avis": "favorable"})
    drv.do(d, "avis_parents", drv.parent(d), {"date_avis": "2026-01-16", "avis": "favorable"})
    assert d.status == "proposition_refusee" and drv.open_tasks(d) == []


def test_R_PROP_4_cpms_defavorable_needs_written_motivation_nothing_saved(drv):
    d = drv.proposition()
    with pytest.raises(ValidationFailed) as err:
        drv.do(
            d,
            "avis_cpms_es",
            "cpms.es@demo.ipt",
            {"date_avis": "2026-01-15", "avis": "defavorable"},
        )
    assert "justification" in err.value.errors
    assert count(drv.s, Decision) == 0
    assert "avis_cpms_es" in drv.open_tasks(d)


def test_R_PROP_5_partner_school_needs_the_parents_agreement(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    with pytest.raises(ValidationFailed) as err:
        drv.do(
            d,
            "choisir_ecole",
            "direction.es@demo.ipt",
            {"ecole_eo": "2001", "accord_parents": False, "date_demande": "2026-01-20"},
        )
    assert "accord_parents" in err.value.errors
    assert count(drv.s, PartnerRequest) == 0


def test_R_PROJ_1_projet_by_the_three_co_proposers(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    assert drv.open_tasks(d) == ["rediger_projet"]
    drv.do(
        d,
        "rediger_projet",
        "coordination.pole@demo.ipt",
        {
            "date_concertation": "2026-01-29",
            "besoins_eleve": "B",
            "objectifs": "O",
            "amenagements": "A",
        },
    )
    assert drv.open_tasks(d) == ["projet_cc_eo", "projet_cc_es"]
    assert current(drv.s, d, "projet", "pole").value == "favorable"


def test_R_PROJ_2_a_refusing_partner_sends_back_to_the_search(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.do(
        d,
        "rediger_projet",
        "coordination.pole@demo.ipt",
        {
            "date_concertation": "2026-01-29",
            "besoins_eleve": "B",
            "objectifs": "O",
            "amenagements": "A",
        },
    )
    drv.do(
        d, "projet_cc_es", "direction.es@demo.ipt", {"date_avis": "2026-01-30", "avis": "favorable"}
    )
    drv.do(
        d,
        "projet_cc_eo",
        "titulaire.eo@demo.ipt",
        {"date_avis": "2026-01-30", "avis": "defavorable", "justification": "Classe surchargée."},
    )
    assert drv.open_tasks(d) == ["choisir_ecole"]
    assert d.stage == "recherche_partenaire" and d.eo_school_id is None and d.pole_id is None
    assert current(drv.s, d, "projet", "cc_eo") is None  # superseded with the failed partner
    req = facts.current_partner_request(drv.s, d)
    assert req.answer == "accepte" and "R-PROJ-2" in req.ended_reason
    drv.find_partner(d, "2002", "direction.eo.secondaire@demo.ipt")
    assert d.stage == "projet"


def test_R_PROJ_3_annex_4_accords_of_eo_pole_parents(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.agree_projet(d)
    parties = {
        x.party
        for x in drv.s.scalars(
            select(Decision).where(
                Decision.dossier_id == d.id, Decision.stage == "projet", Decision.kind == "accord"
            )
        )
    }
    assert parties == {"eo_school", "pole", "parents"}
    assert d.stage == "protocole"


def test_R_PROT_1_R_PROT_5_protocol_content_recorded(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.agree_projet(d)
    drv.draft_protocole(d)
    content = drv.s.scalar(select(StageContent).where(StageContent.kind == "protocole"))
    for key in Driver.PROTOCOLE:
        assert content.data[key] == Driver.PROTOCOLE[key]


def test_R_PROT_2_only_eo_pole_parents_sign_and_cpms_cannot(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.agree_projet(d)
    drv.draft_protocole(d)
    assert drv.open_tasks(d) == [
        "signer_protocole_eo",
        "signer_protocole_parents",
        "signer_protocole_pole",
    ]
    for cpms in ("cpms.es@demo.ipt", "cpms.eo@demo.ipt"):
        with pytest.raises(Forbidden):
            drv.do(
                d, "signer_protocole_eo", cpms, {"date_accord": "2026-02-10", "avis": "favorable"}
            )


def test_R_PROT_3_cpms_es_avis_attached_not_asked_again(drv):
    d = drv.proposition()
    drv.accept_proposition(d, cpms="defavorable")
    drv.find_partner(d)
    drv.agree_projet(d)
    drv.draft_protocole(d)
    content = drv.s.scalar(select(StageContent).where(StageContent.kind == "protocole"))
    assert content.data["avis_cpms_es"]["avis"] == "defavorable"
    assert content.data["avis_cpms_es"]["justification"] == "Motivation écrite du CPMS."
    asked = drv.s.scalars(select(HumanTask.bpmn_id).where(HumanTask.party == "cpms_es")).all()
    assert asked == ["avis_cpms_es"]


def test_R_PROT_4_no_protocol_without_the_signed_proposition(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    facts.check_protocol_allowed(drv.s, d)  # holds
    current(drv.s, d, "proposition", "parents").superseded = True
    with pytest.raises(RuleViolation) as err:
        facts.check_protocol_allowed(drv.s, d)
    assert "R-PROT-4" in err.value.message and "parents" in err.value.message


def test_R_PROT_6_signed_protocol_puts_ipt_in_place_and_asks_the_declaration(drv):
    d = drv.in_ipt()
    assert (d.stage, d.status) == ("ipt", "ipt_en_place")
    assert d.ipt_start_date == dt.date(2026, 8, 31)  # first day of 2026-2027
    row = drv.task(d, "declarer_protocole")
    assert row.party == "pole"
    drv.do(
        d,
        "declarer_protocole",
        "coordination.pole@demo.ipt",
        {"date_declaration": "2026-03-01", "declaration_honneur": True},
    )
    assert drv.open_tasks(d) == [] and d.status == "ipt_en_place"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date_reunion": "2099-01-01", "avis": "favorable"}, "futur"),
        ({"date_reunion": "0001-01-01", "avis": "favorable"}, "invraisemblable"),
        (
            {"date_reunion": "2026-01-12", "avis": "defavorable", "justification": "a\x00b"},
            "caractères",
        ),
    ],
)
def test_implausible_dates_and_control_characters_refused_nothing_saved(drv, data, message):
    d = drv.proposition()
    with pytest.raises(ValidationFailed) as err:
        drv.do(d, "avis_cc_es", "direction.es@demo.ipt", data)
    assert any(message in m for m in err.value.errors.values())
    assert count(drv.s, Decision) == 0 and "avis_cc_es" in drv.open_tasks(d)


def _to_acceptance(drv, answered_on):
    d = drv.proposition(enters_first_secondary=True, year_of_study="6e primaire")
    drv.accept_proposition(d)
    drv.do(
        d,
        "choisir_ecole",
        "direction.es@demo.ipt",
        {"ecole_eo": "2002", "accord_parents": True, "date_demande": "2026-02-10"},
    )
    drv.do(
        d,
        "reponse_eo",
        "direction.eo.secondaire@demo.ipt",
        {"reponse": "accepte", "date_reponse": answered_on, "concertation_pole": True},
    )
    return d


def test_R_PROP_6_acceptance_by_the_last_enrolment_day_gives_the_priority(drv):
    d = _to_acceptance(drv, "2026-03-20")  # the last day for 2026-2027 (inscriptions.yaml)
    assert d.enrolment_priority is True and "priorité" in d.enrolment_priority_reason


def test_R_PROP_6_acceptance_after_it_gives_none_and_says_why(drv):
    clock.set_today(dt.date(2026, 3, 25))
    d = _to_acceptance(drv, "2026-03-21")
    assert d.enrolment_priority is False
    assert "après le dernier jour" in d.enrolment_priority_reason
    assert (
        drv.s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "priorite_inscription")
        )
        == 1
    )


def test_R_PROP_6_priority_goes_with_the_school_that_accepted(drv):
    d = _to_acceptance(drv, "2026-03-19")
    drv.do(
        d,
        "rediger_projet",
        "coordination.pole@demo.ipt",
        {
            "date_concertation": "2026-03-19",
            "besoins_eleve": "B",
            "objectifs": "O",
            "amenagements": "A",
        },
    )
    drv.do(
        d, "projet_cc_es", "direction.es@demo.ipt", {"date_avis": "2026-03-19", "avis": "favorable"}
    )
    drv.do(
        d,
        "projet_cc_eo",
        "direction.eo.secondaire@demo.ipt",
        {"date_avis": "2026-03-19", "avis": "defavorable", "justification": "Non."},
    )
    assert d.enrolment_priority is None and d.enrolment_priority_reason is None


def test_R_PROP_6_not_entering_secondary_has_no_priority_question(drv):
    d = drv.proposition()
    drv.accept_proposition(d)
    drv.find_partner(d)
    assert d.enrolment_priority is None and d.enrolment_priority_reason is None


# --- correcting an avis until the stage ends (IPT-RULES, "Stages end") --------------------------


def test_an_avis_can_be_corrected_until_the_stage_ends_and_stays_in_history(drv):
    from engine.tasks import service as tasks

    d = drv.proposition()
    es = drv.user("direction.es@demo.ipt")
    row = drv.do(
        d,
        "avis_cc_es",
        es,
        {"date_reunion": "2026-01-15", "avis": "defavorable", "justification": "Première lecture."},
    )
    assert row.id in tasks.correction_offers(drv.s, es, d)
    assert tasks.correction_offers(drv.s, drv.user("cpms.es@demo.ipt"), d) == set()
    with pytest.raises(Forbidden):
        tasks.reopen_task(drv.s, drv.runtime, drv.user("cpms.es@demo.ipt"), row.id)
    drv.s.rollback()
    tasks.reopen_task(drv.s, drv.runtime, es, row.id)
    drv.s.commit()
    assert "avis_cc_es" in drv.open_tasks(d)
    drv.do(d, "avis_cc_es", es, {"date_reunion": "2026-01-16", "avis": "favorable"})
    drv.do(d, "avis_cpms_es", "cpms.es@demo.ipt", {"date_avis": "2026-01-16", "avis": "favorable"})
    drv.do(d, "avis_parents", drv.parent(d), {"date_avis": "2026-01-17", "avis": "favorable"})
    assert d.stage == "recherche_partenaire"  # the corrected avis is the one that counted
    values = [
        (x.value, x.superseded)
        for x in drv.s.scalars(
            select(Decision).where(Decision.party == "cc_es").order_by(Decision.id)
        )
    ]
    assert values == [("defavorable", True), ("favorable", False)]
    # the stage has ended: no more correction
    assert tasks.correction_offers(drv.s, es, d) == set()
    with pytest.raises(RuleViolation, match="ne peut plus être corrigé"):
        tasks.reopen_task(drv.s, drv.runtime, es, row.id)


def test_an_adult_pupil_is_the_party_himself(drv):
    adult = {
        "pupil_birth_date": "2007-03-01",
        "es_enrolment_date": "2020-09-01",
        "es_attendance_since": "2020-09-01",
    }
    with pytest.raises(ValidationFailed) as err:
        drv.proposition(**adult)  # a mother as party, but the pupil is 19
    assert "majeur" in err.value.errors["guardian1_capacity"]
    drv.s.rollback()
    d = drv.proposition(
        **adult,
        guardians=[{"last_name": "Lambert", "first_name": "Emma", "capacity": "élève majeur"}],
    )
    assert d.guardians[0].capacity == "élève majeur"
    with pytest.raises(ValidationFailed) as err:
        drv.proposition(
            guardians=[{"last_name": "Lambert", "first_name": "Emma", "capacity": "élève majeur"}]
        )
    assert "n'est pas majeur" in err.value.errors["guardian1_capacity"]


def test_R_ELIG_2_a_previous_interrupted_ipt_in_the_product_feeds_the_resumption(drv):
    from engine.models import Dossier as D

    old = drv.proposition(pupil_cf="9-999-999-99")
    old.status, old.ipt_end_date = "ipt_arretee", dt.date(2026, 2, 13)  # stopped last month
    drv.s.commit()
    d = drv.proposition(pupil_cf="9-999-999-99", in_es=False, es_attendance_since="2026-02-16")
    assert d.previous_ipt_end == dt.date(2026, 2, 13) and d.eligibility_rule == "R-ELIG-2"
    assert drv.s.get(D, old.id).status == "ipt_arretee"
