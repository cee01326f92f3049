"""A stage's document is frozen when its accords are complete, and never changes afterwards
(§8); a correction makes a new version, both kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.clock import clock
from engine.documents import annexes
from engine.dossiers import prolongations
from engine.models import AuditEvent
from tests.engine.documents import full
from tests.engine.driver import Driver


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


def test_R_PROL_5_a_change_of_school_gives_new_versions_and_an_annex_3(db_session, settings):
    """A prolongation's concertation decides a change of school: the new projet and protocol are
    new versions of annexes 4 and 5 (the first ones kept); annex 7 of the défavorable avis is
    frozen once the year is decided; the new partner is declared as a prolongation (annex 3)."""
    drv = Driver(db_session, settings)
    d = full.mise_en_place(drv)
    full.declare_first(drv, d)
    first_4, first_5 = annexes.find(drv.s, d, 4), annexes.find(drv.s, d, 5)
    clock.set_today(dt.date(2027, 5, 20))
    prolongations.start_prolongation(
        drv.s, drv.runtime, drv.user("coordination.pole@demo.ipt"), d.id, 2027
    )
    drv.s.commit()
    eo1, eo2, day = (
        "direction.eo.fondamental@demo.ipt",
        "direction.eo.secondaire@demo.ipt",
        "2027-05-20",
    )
    drv.do(
        d,
        "avis_equipe_educative",
        eo1,
        {
            "date_avis": day,
            "annee_etudes_actuelle": "6e primaire",
            "annee_etudes_prevue": "1re secondaire",
            "avis": "defavorable",
            "justification": "Non.",
        },
    )
    drv.do(
        d,
        "avis_pole_prolongation",
        "coordination.pole@demo.ipt",
        {"date_avis": day, "avis": "favorable"},
    )
    drv.do(
        d, "avis_cpms_eo_prolongation", "cpms.eo@demo.ipt", {"date_avis": day, "avis": "favorable"}
    )
    drv.do(d, "signature_parents_annexe7", drv.parent(d), {"date_accord": day, "avis": "favorable"})
    assert annexes.find(drv.s, d, 7).facts["body"]["value"] == "defavorable"
    drv.do(
        d,
        "concertation_prolongation",
        eo1,
        {"date_decision": day, "decision": "changement_ecole", "positions": "Autre école du pôle."},
    )
    drv.do(
        d,
        "choisir_ecole",
        "direction.es@demo.ipt",
        {"ecole_eo": "2002", "accord_parents": True, "date_demande": day},
    )
    drv.do(
        d, "reponse_eo", eo2, {"reponse": "accepte", "date_reponse": day, "concertation_pole": True}
    )
    drv.do(
        d,
        "rediger_projet",
        "coordination.pole@demo.ipt",
        {"date_concertation": day, "besoins_eleve": "B.", "objectifs": "O.", "amenagements": "A."},
    )
    drv.do(d, "projet_cc_es", "direction.es@demo.ipt", {"date_avis": day, "avis": "favorable"})
    drv.do(d, "projet_cc_eo", eo2, {"date_avis": day, "avis": "favorable"})
    for bpmn_id, who in (
        ("accord_projet_eo", eo2),
        ("accord_projet_pole", "direction.pole@demo.ipt"),
        ("accord_projet_parents", drv.parent(d)),
    ):
        drv.do(d, bpmn_id, who, {"date_accord": day, "avis": "favorable"})
    drv.do(
        d,
        "rediger_protocole",
        "coordination.pole@demo.ipt",
        {**drv.PROTOCOLE, "avis_cpms_eo_requis": False},
    )
    for bpmn_id, who in (
        ("signer_protocole_eo", eo2),
        ("signer_protocole_pole", "direction.pole@demo.ipt"),
        ("signer_protocole_parents", drv.parent(d)),
    ):
        drv.do(d, bpmn_id, who, {"date_accord": day, "avis": "favorable"})
    drv.do(
        d,
        "declarer_changement",
        "coordination.pole@demo.ipt",
        {"date_declaration": day, "declaration_honneur": True},
    )
    v4, v5 = annexes.versions(drv.s, d.id, 4), annexes.versions(drv.s, d.id, 5)
    assert [v.version for v in v4] == [1, 2] and [v.version for v in v5] == [1, 2]
    assert (v4[0].facts_sha256, v5[0].facts_sha256) == (first_4.facts_sha256, first_5.facts_sha256)
    assert v4[0].facts["eo_school"]["fase"] == "2001" and v4[1].facts["eo_school"]["fase"] == "2002"
    (three,) = annexes.versions(drv.s, d.id, 3)
    assert three.school_year == 2027 and three.occurrence.startswith("changement-")
    assert (three.facts["previous"]["eo_name"], three.facts["current"]["eo_fase"]) == (
        "École communale du Centre",
        "2002",
    )
    assert [v.version for v in annexes.versions(drv.s, d.id, 2)] == [1]  # first IPT only
