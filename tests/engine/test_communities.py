"""Pupils from the Flemish or German-speaking Community (R-COMM-1…3)."""

from __future__ import annotations

import pytest

from engine.dossiers import facts
from engine.errors import RuleViolation, ValidationFailed
from engine.models import StageContent
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def test_R_COMM_1_same_conditions_and_type_recorded_as_given(drv):
    d = drv.proposition(community="vl", es_type="type 9")
    assert (d.community, d.es_type, d.status) == ("vl", "9", "en_cours")


@pytest.mark.parametrize(
    ("community", "es_type"), [("vl", "1"), ("vl", "8"), ("de", "4"), ("fwb", "9"), ("xx", "")]
)
def test_R_COMM_2_types_that_do_not_exist_there_are_refused(drv, community, es_type):
    with pytest.raises(ValidationFailed) as err:
        drv.proposition(community=community, es_type=es_type)
    assert set(err.value.errors) & {"es_type", "community"}


def test_R_COMM_2_R_COMM_3_no_protocol_without_the_other_proposition_and_the_attestation(drv):
    d = drv.proposition(community="de")
    drv.accept_proposition(d)
    with pytest.raises(RuleViolation, match="R-COMM-3"):
        facts.check_protocol_allowed(drv.s, d)
    drv.s.add(
        StageContent(dossier_id=d.id, kind="proposition_autre", data={}, recorded_at=d.created_at)
    )
    with pytest.raises(RuleViolation, match="R-COMM-2"):
        facts.check_protocol_allowed(drv.s, d)
    drv.s.add(
        StageContent(dossier_id=d.id, kind="attestation_fwb", data={}, recorded_at=d.created_at)
    )
    facts.check_protocol_allowed(drv.s, d)  # both in the file: allowed


def test_R_COMM_3_the_diagram_asks_for_both_pieces_before_the_protocol(drv):
    d = drv.proposition(community="vl", es_type="9")
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.agree_projet(d)
    assert drv.open_tasks(d) == ["attestation_fwb", "proposition_autre_communaute"]
