"""Closing a dossier before the protocol: a reason, waiting tasks cancelled; not after."""

from __future__ import annotations

import pytest

from engine.dossiers import service
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def test_close_needs_a_reason_and_cancels_waiting_tasks(drv):
    d = drv.proposition()
    es = drv.user("direction.es@demo.ipt")
    with pytest.raises(ValidationFailed):
        service.close_dossier(drv.s, drv.runtime, es, d.id, "  ")
    drv.s.rollback()
    with pytest.raises(Forbidden):
        service.close_dossier(drv.s, drv.runtime, drv.user("cpms.es@demo.ipt"), d.id, "Retrait")
    drv.s.rollback()
    service.close_dossier(drv.s, drv.runtime, es, d.id, "Les parents retirent leur demande.")
    drv.s.commit()
    assert d.status == "cloture" and drv.open_tasks(d) == []


def test_no_closing_once_the_ipt_is_in_place(drv):
    d = drv.in_ipt()
    with pytest.raises(RuleViolation, match="demande d'arrêt"):
        service.close_dossier(drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d.id, "x")
