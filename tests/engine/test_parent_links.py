"""Parents' personal links: scoped, expiring, reissuable, revocable; tampered ones refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.clock import clock
from engine.dossiers import parent_links
from engine.errors import AuthError
from engine.models import OutboxMessage, ParentLink
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def test_link_issued_to_outbox_and_resolves_to_the_guardian(drv):
    d = drv.proposition()
    msg = drv.s.scalar(select(OutboxMessage))
    raw = msg.payload["url"].rsplit("/", 1)[1]
    link, guardian = parent_links.resolve(drv.s, raw)
    assert (link.dossier_id, guardian.dossier_id) == (d.id, d.id)
    stored = drv.s.scalar(select(ParentLink))
    assert raw not in stored.token_hash and len(stored.token_hash) == 64


def test_tampered_expired_reissued_and_revoked_links_refused(drv):
    d = drv.proposition()
    raw = drv.s.scalar(select(OutboxMessage)).payload["url"].rsplit("/", 1)[1]
    with pytest.raises(AuthError, match="pas valide"):
        parent_links.resolve(drv.s, raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    clock.set_today(clock.today() + dt.timedelta(days=drv.runtime.settings.parent_link_days + 1))
    with pytest.raises(AuthError, match="expiré"):
        parent_links.resolve(drv.s, raw)
    clock.set_today(dt.date(2026, 1, 12))
    new = parent_links.reissue(
        drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d, d.guardians[0].id
    )
    with pytest.raises(AuthError, match="remplacé ou révoqué"):
        parent_links.resolve(drv.s, raw)
    parent_links.resolve(drv.s, new)
    parent_links.revoke(drv.s, drv.user("direction.es@demo.ipt"), d, d.guardians[0].id)
    with pytest.raises(AuthError):
        parent_links.resolve(drv.s, new)


def test_only_the_es_direction_manages_links(drv):
    from engine.errors import Forbidden

    d = drv.proposition()
    for who in ("cpms.es@demo.ipt", "direction.pole@demo.ipt"):
        with pytest.raises(Forbidden):
            parent_links.reissue(drv.s, drv.runtime, drv.user(who), d, d.guardians[0].id)
        with pytest.raises(Forbidden):
            parent_links.revoke(drv.s, drv.user(who), d, d.guardians[0].id)


def test_reissue_cancels_the_unsent_mail_of_the_old_link(drv):
    d = drv.proposition()
    es = drv.user("direction.es@demo.ipt")
    first = parent_links.pending_links(drv.s, d)[d.guardians[0].id]
    parent_links.reissue(drv.s, drv.runtime, es, d, d.guardians[0].id)
    second = parent_links.pending_links(drv.s, d)[d.guardians[0].id]
    assert second != first
    statuses = sorted(m.status for m in drv.s.scalars(select(OutboxMessage)))
    assert statuses == ["cancelled", "pending"]
    parent_links.revoke(drv.s, es, d, d.guardians[0].id)
    assert parent_links.pending_links(drv.s, d) == {}
    assert {m.status for m in drv.s.scalars(select(OutboxMessage))} == {"cancelled"}
