"""Who follows the campaign (`visible_poles`) and the pôle filter of `progress`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.background import campaigns
from engine.clock import clock
from engine.context import Actor
from engine.errors import Forbidden
from engine.models import Dossier, Membership, Organisation
from engine.seeding import seed_in_ipt


@pytest.fixture
def seeded(db_session):
    clock.set_today(dt.date(2027, 5, 20))
    ids = seed_in_ipt(db_session, 5, poles=2, schools_per_pole=1, tag="prog")
    db_session.commit()
    return ids


def actor_of(session, role, kind):
    membership = session.scalar(
        select(Membership)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.role == role, Organisation.kind == kind)
        .order_by(Membership.id)
    )
    return Actor(label="x", memberships=frozenset({(membership.organisation_id, role)}))


def test_who_follows_the_campaign(db_session, seeded):
    assert campaigns.visible_poles(db_session, Actor(label="a", is_admin=True)) is None
    coordinator = actor_of(db_session, "coordonnateur", "pole")
    assert campaigns.visible_poles(db_session, coordinator) == coordinator.org_ids
    with pytest.raises(Forbidden):  # a direction, but of a school
        campaigns.visible_poles(db_session, actor_of(db_session, "direction", "ecole_eo"))
    with pytest.raises(Forbidden):
        campaigns.visible_poles(db_session, Actor(label="nobody"))


def test_progress_of_one_pole(db_session, seeded):
    pole = db_session.get(Dossier, seeded[0]).pole_id
    everyone = campaigns.progress(db_session, 2026)
    theirs = campaigns.progress(db_session, 2026, {pole})
    assert everyone["total"]["eligible"] == 5 and len(everyone["per_pole"]) == 2
    assert theirs["total"]["eligible"] == 3  # dossiers 0, 2 and 4 are in the first pôle
    assert [name for name, _ in theirs["per_pole"]] == [db_session.get(Organisation, pole).name]
    assert theirs["expected"] == 0 and theirs["campaign"] is None  # not opened yet
