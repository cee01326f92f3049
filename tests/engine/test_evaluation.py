"""Évaluation (R-EVAL-1, R-EVAL-2): concertation minutes, the CPMS EO's optional avis."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.dossiers import evaluation, stops
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from engine.models import ConcertationMeeting, Decision
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


@pytest.fixture
def ipt(drv):
    d = drv.in_ipt()
    clock.set_today(dt.date(2027, 1, 20))
    return d


MEETING = {"held_on": "2027-01-18", "participants": "Titulaire, pôle, CPMS EO", "minutes": "Bilan."}


def test_R_EVAL_1_meetings_any_number_of_times_by_eo_pole_cpms_eo(drv, ipt):
    for who in ("titulaire.eo@demo.ipt", "coordination.pole@demo.ipt", "cpms.eo@demo.ipt"):
        evaluation.record_meeting(drv.s, drv.runtime, drv.user(who), ipt.id, MEETING)
    drv.s.commit()
    rows = evaluation.meetings(drv.s, ipt)
    assert len(rows) == 3 and {r.school_year for r in rows} == {2026}
    assert (
        evaluation.protocol_arrangements(drv.s, ipt)["modalites_concertation"]
        == "Concertation mensuelle."
    )


def test_R_EVAL_1_refused_inputs_change_nothing(drv, ipt):
    for who in ("direction.es@demo.ipt", "cpms.es@demo.ipt"):
        with pytest.raises(Forbidden):
            evaluation.record_meeting(drv.s, drv.runtime, drv.user(who), ipt.id, MEETING)
    for data, field in (
        ({**MEETING, "held_on": "2027-02-30"}, "held_on"),
        ({**MEETING, "held_on": "2027-03-01"}, "held_on"),
        ({**MEETING, "minutes": " "}, "minutes"),
        ({**MEETING, "participants": "x" * 6000}, "participants"),
    ):
        with pytest.raises(ValidationFailed) as err:
            evaluation.record_meeting(
                drv.s, drv.runtime, drv.user("coordination.pole@demo.ipt"), ipt.id, data
            )
        assert field in err.value.errors
    drv.s.rollback()
    assert drv.s.scalar(select(func.count()).select_from(ConcertationMeeting)) == 0


def test_R_EVAL_1_no_minutes_before_the_ipt_is_in_place(drv):
    d = drv.proposition()
    with pytest.raises(Forbidden):
        evaluation.record_meeting(
            drv.s, drv.runtime, drv.user("coordination.pole@demo.ipt"), d.id, MEETING
        )


def test_R_EVAL_1_the_cpms_eo_may_give_a_non_binding_avis(drv, ipt):
    with pytest.raises(Forbidden):
        evaluation.give_cpms_eo_avis(
            drv.s,
            drv.runtime,
            drv.user("coordination.pole@demo.ipt"),
            ipt.id,
            {"date_avis": "2027-01-19", "avis": "favorable"},
        )
    evaluation.give_cpms_eo_avis(
        drv.s,
        drv.runtime,
        drv.user("cpms.eo@demo.ipt"),
        ipt.id,
        {"date_avis": "2027-01-19", "avis": "defavorable", "justification": "Réserves."},
    )
    drv.s.commit()
    row = drv.s.scalar(select(Decision).where(Decision.stage == "evaluation"))
    assert (row.party, row.value) == (
        "cpms_eo",
        "defavorable",
    ) and "non contraignant" in row.capacity
    assert ipt.status == "ipt_en_place"  # consultative: nothing else changes


def test_R_EVAL_2_the_cpms_eo_may_request_the_stop_at_year_end(drv, ipt):
    clock.set_today(dt.date(2027, 6, 15))
    stop = stops.request_stop(
        drv.s,
        drv.runtime,
        drv.user("cpms.eo@demo.ipt"),
        ipt.id,
        {"reason": "eo_sans_accompagnement", "justification": "x", "at_year_end": True},
    )
    assert stop.requested_by_party == "cpms_eo"
    assert ipt.status == "ipt_en_place"  # its avis is consultative: only a request


def test_R_EVAL_1_no_cpms_avis_once_the_ipt_has_ended(drv, ipt):
    ipt.status = "ipt_arretee"
    with pytest.raises(RuleViolation):
        evaluation.give_cpms_eo_avis(
            drv.s,
            drv.runtime,
            drv.user("cpms.eo@demo.ipt"),
            ipt.id,
            {"date_avis": "2027-01-19", "avis": "favorable"},
        )


def test_R_EVAL_1_minutes_are_of_the_ipt_not_before_its_start(drv, ipt):
    with pytest.raises(ValidationFailed) as err:
        evaluation.record_meeting(
            drv.s,
            drv.runtime,
            drv.user("coordination.pole@demo.ipt"),
            ipt.id,
            {**MEETING, "held_on": "2026-06-01"},
        )
    assert "début de l'IPT" in err.value.errors["held_on"]
