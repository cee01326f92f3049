"""Stopping an IPT in place (R-ARRET-1…5, R-EVAL-2), on the real engine and database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.dossiers import stops
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from engine.models import Decision, HumanTask, StopRequest
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


@pytest.fixture
def ipt(drv):
    d = drv.in_ipt()
    assert d.status == "ipt_en_place" and d.ipt_start_date == dt.date(2026, 8, 31)
    return d


def request(drv, d, who, **data):
    actor = who if not isinstance(who, str) else drv.user(who)
    stop = stops.request_stop(drv.s, drv.runtime, actor, d.id, data)
    drv.s.commit()
    return stop


def agree(drv, d, parents="favorable", day=None):
    day = day or clock.today().isoformat()
    drv.do(
        d,
        "concerter_arret",
        "direction.eo.fondamental@demo.ipt",
        {"date_concertation": day, "participants": "Tous", "compte_rendu": "Concertation."},
    )
    for bpmn_id, who in (
        ("accord_arret_pole", "direction.pole@demo.ipt"),
        ("accord_arret_eo", "direction.eo.fondamental@demo.ipt"),
    ):
        drv.do(d, bpmn_id, who, {"date_accord": day, "avis": "favorable", "justification": "Oui."})
    drv.do(
        d,
        "accord_arret_parents",
        drv.parent(d),
        {"date_accord": day, "avis": parents, "justification": "Position des parents."},
    )


def test_R_ARRET_1_partners_and_the_cpms_eo_may_ask_not_the_es_side(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    for who in ("direction.es@demo.ipt", "cpms.es@demo.ipt", "direction.eo.secondaire@demo.ipt"):
        with pytest.raises(Forbidden):
            request(drv, ipt, who, reason="certificat", justification="x", at_year_end=True)
        drv.s.rollback()
    for who in (
        "direction.eo.fondamental@demo.ipt",
        "coordination.pole@demo.ipt",
        "cpms.eo@demo.ipt",
    ):
        assert stops.may_request(drv.user(who), ipt)
    assert stops.may_request(drv.parent(ipt), ipt)
    stop = request(
        drv, ipt, drv.parent(ipt), reason="certificat", justification="x", at_year_end=True
    )
    assert stop.requested_by_party == "parents"


def test_R_ARRET_1_only_once_the_ipt_is_in_place(drv):
    d = drv.proposition()
    with pytest.raises(RuleViolation, match="clôture"):
        request(drv, d, drv.parent(d), reason="certificat", justification="x", at_year_end=True)


def test_R_ARRET_2_reason_text_and_justification_required_one_request_at_a_time(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    cases = [
        ({"justification": "x", "at_year_end": True}, "reason"),
        ({"reason": "autre", "justification": "x", "at_year_end": True}, "reason_text"),
        ({"reason": "certificat", "justification": "  ", "at_year_end": True}, "justification"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationFailed) as err:
            request(drv, ipt, drv.parent(ipt), **data)
        assert field in err.value.errors
        drv.s.rollback()
    assert drv.s.scalar(select(func.count()).select_from(StopRequest)) == 0
    request(
        drv,
        ipt,
        drv.parent(ipt),
        reason="autre",
        reason_text="Déménagement",
        justification="x",
        at_year_end=True,
    )
    with pytest.raises(RuleViolation, match="déjà en cours"):
        request(
            drv,
            ipt,
            "coordination.pole@demo.ipt",
            reason="certificat",
            justification="x",
            at_year_end=True,
        )


def test_R_ARRET_3_during_the_year_the_event_date_outside_refused(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    for day in ("2026-08-01", "2027-07-15", "demain"):
        with pytest.raises(ValidationFailed) as err:
            request(
                drv,
                ipt,
                drv.parent(ipt),
                reason="certificat",
                justification="x",
                at_year_end=False,
                event_date=day,
            )
        assert "event_date" in err.value.errors
        drv.s.rollback()
    request(
        drv,
        ipt,
        drv.parent(ipt),
        reason="autre",
        reason_text="Départ",
        justification="x",
        at_year_end=False,
        event_date="2027-02-12",
    )
    agree(drv, ipt)
    assert (ipt.status, ipt.ipt_end_date) == ("ipt_arretee", dt.date(2027, 2, 12))


def test_R_ARRET_3_at_year_end_the_last_day_and_waiting_tasks_cancelled(drv, ipt):
    clock.set_today(dt.date(2027, 6, 10))
    assert drv.open_tasks(ipt) == ["declarer_protocole"]
    request(
        drv,
        ipt,
        "cpms.eo@demo.ipt",
        reason="eo_sans_accompagnement",
        justification="x",
        at_year_end=True,
    )  # R-EVAL-2: the CPMS EO asks at the end of the year
    assert ipt.status == "ipt_en_place"  # only a request until the accords are in
    agree(drv, ipt)
    assert (ipt.status, ipt.ipt_end_date) == ("ipt_arretee", dt.date(2027, 7, 2))
    assert drv.open_tasks(ipt) == []
    states = dict(drv.s.execute(select(HumanTask.bpmn_id, HumanTask.state)).all())
    assert states["declarer_protocole"] == "cancelled"


def test_R_ARRET_4_annex_8_accords_of_pole_school_parents(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    request(drv, ipt, drv.parent(ipt), reason="certificat", justification="x", at_year_end=True)
    agree(drv, ipt)
    parties = {x.party for x in drv.s.scalars(select(Decision).where(Decision.stage == "arret"))}
    assert parties == {"pole", "eo_school", "parents"}


def test_R_ARRET_4_a_refusal_goes_to_the_eo_directions_concertation(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    stop = request(
        drv,
        ipt,
        "coordination.pole@demo.ipt",
        reason="eo_sans_accompagnement",
        justification="x",
        at_year_end=True,
    )
    agree(drv, ipt, parents="defavorable")
    assert drv.open_tasks(ipt) == ["declarer_protocole", "issue_concertation"]
    drv.do(
        ipt,
        "issue_concertation",
        "direction.eo.fondamental@demo.ipt",
        {"date_decision": "2027-02-08", "decision": "arret_maintenu", "positions": "Positions."},
    )
    drv.s.refresh(stop)
    assert (ipt.status, stop.status) == ("ipt_arretee", "acceptee")


@pytest.mark.parametrize(("event_date", "expected"), [("2028-11-30", True), ("2028-06-30", False)])
def test_R_ARRET_5_new_attestation_only_after_more_than_two_years(drv, ipt, event_date, expected):
    clock.set_today(dt.date.fromisoformat(event_date) - dt.timedelta(days=10))
    request(
        drv,
        ipt,
        "coordination.pole@demo.ipt",
        reason="retour_es",
        justification="x",
        at_year_end=False,
        event_date=event_date,
    )
    agree(drv, ipt, day=(clock.today()).isoformat())
    tasks_open = drv.open_tasks(ipt)
    assert ("rediger_attestation" in tasks_open) is expected
    assert tasks_open == (["rediger_attestation"] if expected else ["reinscrire_es"])


def test_R_ARRET_3_no_stop_before_the_ipt_has_started(drv, ipt):
    clock.set_today(dt.date(2026, 6, 15))  # protocol signed, the IPT starts on 2026-08-31
    assert not stops.may_request(drv.parent(ipt), ipt)
    with pytest.raises(RuleViolation, match="commence le 31/08/2026"):
        request(drv, ipt, drv.parent(ipt), reason="certificat", justification="x", at_year_end=True)


def test_R_ARRET_1_another_dossiers_parent_may_not_ask(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    other = drv.proposition(
        pupil_last_name="Autre",
        guardians=[
            {
                "last_name": "Autre",
                "first_name": "Mia",
                "capacity": "mère",
                "email": "mia@example.org",
            }
        ],
    )
    with pytest.raises(Forbidden):
        request(
            drv, ipt, drv.parent(other), reason="certificat", justification="x", at_year_end=True
        )
    drv.s.rollback()
    assert drv.s.scalar(select(func.count()).select_from(StopRequest)) == 0


def test_R_ARRET_2_dates_after_the_request_and_no_event_date_at_year_end(drv, ipt):
    clock.set_today(dt.date(2027, 2, 8))
    with pytest.raises(ValidationFailed) as err:
        request(
            drv,
            ipt,
            drv.parent(ipt),
            reason="certificat",
            justification="x",
            at_year_end=True,
            event_date="2027-03-01",
        )
    assert "event_date" in err.value.errors
    drv.s.rollback()
    request(drv, ipt, drv.parent(ipt), reason="certificat", justification="x", at_year_end=True)
    with pytest.raises(ValidationFailed) as err:
        drv.do(
            ipt,
            "concerter_arret",
            "direction.eo.fondamental@demo.ipt",
            {"date_concertation": "2027-01-15", "participants": "Tous", "compte_rendu": "x"},
        )
    assert "précéder la demande d'arrêt" in err.value.errors["date_concertation"]


def test_the_parents_get_a_fresh_link_when_their_accord_is_asked(drv, ipt):
    from engine.models import OutboxMessage

    clock.set_today(dt.date(2027, 2, 8))  # the link sent at the proposition has long expired
    before = drv.s.scalar(select(func.count()).select_from(OutboxMessage))
    request(
        drv,
        ipt,
        "coordination.pole@demo.ipt",
        reason="certificat",
        justification="x",
        at_year_end=True,
    )
    drv.do(
        ipt,
        "concerter_arret",
        "direction.eo.fondamental@demo.ipt",
        {"date_concertation": "2027-02-08", "participants": "Tous", "compte_rendu": "x"},
    )
    mails = drv.s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    parents = [m for m in mails if m.recipient == "claire@example.org"]
    assert len(parents) == 1
    assert "Accord des parents sur l'arrêt" in parents[0].payload["body"]
    assert "/p/" in parents[0].payload["url"]
