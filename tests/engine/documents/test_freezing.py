"""A stage's document is frozen when its accords are complete, and never changes afterwards
(§8); a correction makes a new version, both kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.documents import annexes
from engine.models import AuditEvent
from tests.engine.documents import full


def _frozen(drv, d):
    return {(x.annex, x.occurrence, x.version): x.sha256 for x in annexes.versions(drv.s, d.id)}


def test_completing_later_stages_does_not_change_an_earlier_frozen_pdf(drv_now):
    drv = drv_now
    d = drv.proposition(**full.PUPIL)
    assert annexes.versions(drv.s, d.id) == []
    drv.accept_proposition(d)
    (one,) = annexes.versions(drv.s, d.id)
    assert (one.annex, one.version) == (1, 1) and len(one.sha256) == 64
    drv.find_partner(d)
    drv.agree_projet(d)
    drv.draft_protocole(d)
    drv.sign_protocole(d)
    before = _frozen(drv, d)
    assert sorted(before) == [(1, "", 1), (4, "", 1), (5, "", 1)]
    assert all(len(sha) == 64 for sha in before.values())
    stored = {
        k: annexes.pdf_bytes(drv.s, drv.runtime.settings, doc)
        for k, doc in ((x.annex, x) for x in annexes.versions(drv.s, d.id))
    }
    full.declare_first(drv, d)
    full.prolong(drv, d)
    full.stop(drv, d)
    after = _frozen(drv, d)
    assert {k: after[k] for k in before} == before  # same versions, same SHA-256
    for annex, data in stored.items():
        doc = annexes.find(drv.s, d, annex)
        assert doc.version == 1 and annexes.pdf_bytes(drv.s, drv.runtime.settings, doc) == data
    assert sorted(k[0] for k in after) == [1, 2, 3, 4, 5, 7, 8]
    events = drv.s.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document_fige")
    )
    assert events == 7  # each frozen once


def test_a_correction_makes_a_new_version_and_both_are_kept(drv_now):
    """The source rows of a frozen annex change (a corrected avis supersedes the first one, as
    a partner change does for the projet, R-PROL-5): a version 2; version 1 is kept as it was."""
    from engine.documents import content

    drv = drv_now
    d = drv.proposition(**full.PUPIL)
    drv.accept_proposition(d)
    v1 = annexes.find(drv.s, d, 1)
    old = content.current(drv.s, d, "proposition", "cc_es")
    old.superseded = True
    columns = [c.name for c in old.__table__.columns if c.name not in ("id", "superseded")]
    new = type(old)(**{c: getattr(old, c) for c in columns}, superseded=False)
    new.justification = "Avis corrigé."
    drv.s.add(new)
    drv.s.flush()
    made = annexes.freeze_completed(drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d)
    drv.s.commit()
    assert [(m.annex, m.version) for m in made] == [(1, 2)]
    kept = annexes.versions(drv.s, d.id, 1)
    assert [k.version for k in kept] == [1, 2] and kept[0].sha256 == v1.sha256
    assert (
        kept[1].sha256 != v1.sha256 and kept[1].facts["cc_es"]["justification"] == "Avis corrigé."
    )
    assert annexes.find(drv.s, d, 1).version == 2
    assert annexes.find(drv.s, d, 1, version=1).sha256 == v1.sha256
    # nothing changed since: freezing again makes nothing
    assert annexes.freeze_completed(drv.s, drv.runtime, drv.user("direction.es@demo.ipt"), d) == []


def test_an_annex_whose_stage_has_not_happened_is_not_yet_available(drv_now):
    drv = drv_now
    d = drv.proposition(**full.PUPIL)
    for annex in (1, 2, 3, 4, 5, 6, 7, 8):
        with pytest.raises(annexes.NotYetAvailable, match="pas encore disponible"):
            if annex == 6:
                annexes.synoptic_pdf(drv.s, d)
            else:
                annexes.find(drv.s, d, annex)
    with pytest.raises(annexes.NotFound, match="annexes 1 à 8"):
        annexes.find(drv.s, d, 9)


def test_deferred_rendering_renders_once_on_first_use(db_session, settings):
    """IPT_DOCUMENTS_RENDER=deferred (the seam for a worker): facts frozen now, PDF on first use."""
    from tests.engine.driver import Driver

    drv = Driver(db_session, settings)
    assert settings.documents_render == "deferred"
    d = drv.proposition(**full.PUPIL)
    drv.accept_proposition(d)
    doc = annexes.find(drv.s, d, 1)
    assert doc.storage_key is None and doc.facts["pupil"]["cf"] == "CF-2016-0042"
    first = annexes.pdf_bytes(drv.s, settings, doc)
    key, digest = doc.storage_key, doc.sha256
    assert annexes.pdf_bytes(drv.s, settings, doc) == first and (doc.storage_key, doc.sha256) == (
        key,
        digest,
    )
