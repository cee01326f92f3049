"""The §8 checklist: at each stage and year, exactly the right rows present / missing / not
applicable / not yet."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.clock import clock
from engine.documents import attachments, checklist
from tests.engine.documents import files, full
from tests.engine.driver import Driver


@pytest.fixture
def drv(db_session, settings):
    return Driver(db_session, settings)


def table(drv, d) -> dict:
    return {(r.key, r.year): r.status for r in checklist.rows(drv.s, d)}


def upload(drv, d, kind, year=None, who="coordination.pole@demo.ipt"):
    attachments.upload(
        drv.s,
        drv.runtime,
        drv.user(who),
        d.id,
        {"kind": kind, "school_year": year, "medical_only": "oui"},
        f"{kind}.pdf",
        files.pdf_bytes(),
    )
    drv.s.commit()


P, M, NA, L = "present", "manquant", "sans_objet", "a_venir"


def test_at_the_proposition_nothing_is_due_yet(drv):
    d = drv.proposition(**full.PUPIL)
    assert table(drv, d) == {
        ("annexe_4", None): L,
        ("annexe_5", None): L,
        ("annexe_2", None): L,
        ("annexe_6", None): L,
        ("annexe_1", None): L,
        ("annexe_8", None): NA,
        ("attestation_frequentation_es", None): L,
        ("echelle_besoins", None): L,  # type 6: relevant, not yet due
        ("bilan_medical", None): L,
        ("attestation_orientation", None): L,
        ("protocole_justificatif", None): L,
    }
    drv.accept_proposition(d)
    assert table(drv, d)[("annexe_1", None)] == P


def test_first_year_in_place(drv):
    d = full.mise_en_place(drv)  # signed in March 2026 for 2026-2027
    assert table(drv, d) == {
        ("annexe_4", None): P,
        ("annexe_5", None): P,
        ("annexe_2", None): M,  # the official e-pôles PDF is what the file needs
        ("annexe_6", None): P,
        ("annexe_1", None): P,
        ("annexe_8", None): NA,
        ("attestation_frequentation_es", None): M,
        ("compte_rendu_concertation", 2026): L,  # the year has not started
        ("attestation_frequentation_eo", 2026): L,
        ("echelle_besoins", None): M,
        ("bilan_medical", None): M,
        ("attestation_orientation", None): M,
        ("protocole_justificatif", None): M,
    }


def test_not_relevant_scales_for_types_other_than_4_6_7(drv):
    d = full.mise_en_place(drv, es_type="3")
    t = table(drv, d)
    assert t[("echelle_besoins", None)] == NA and t[("bilan_medical", None)] == NA


def test_prolongation_year_and_stop(drv):
    d = full.full(drv)  # prolonged into 2027-2028, stopped on 8 February 2028
    assert table(drv, d) == {
        ("annexe_4", None): P,
        ("annexe_5", None): P,
        ("annexe_2", None): M,
        ("annexe_6", None): P,
        ("annexe_1", None): P,
        ("annexe_3", 2027): M,
        ("annexe_7", 2027): P,
        ("bilan_integration", 2026): M,
        ("annexe_8", 2027): M,
        ("attestation_frequentation_es", None): M,
        ("compte_rendu_concertation", 2026): M,
        ("attestation_frequentation_eo", 2026): M,
        ("compte_rendu_concertation", 2027): M,
        ("attestation_frequentation_eo", 2027): NA,  # current year: 3rd degree only
        ("echelle_besoins", None): M,
        ("bilan_medical", None): M,
        ("attestation_orientation", None): M,
        ("protocole_justificatif", None): M,
    }
    for kind, year in (
        ("epoles_annexe_2", None),
        ("epoles_annexe_3", "2027-2028"),
        ("epoles_annexe_8", "2027-2028"),
        ("bilan_integration", "2026-2027"),
        ("attestation_frequentation_es", None),
        ("compte_rendu_concertation", "2026-2027"),
        ("attestation_frequentation_eo", "2026-2027"),
        ("compte_rendu_concertation", "2027-2028"),
        ("echelle_besoins", None),
        ("bilan_medical", None),
        ("attestation_orientation", None),
        ("protocole_justificatif", None),
    ):
        upload(drv, d, kind, year)
    rows = checklist.rows(drv.s, d)
    assert checklist.missing(rows) == [] and checklist.complete(rows)
    prepared = next(r for r in rows if r.key == "annexe_3")
    assert [link.get("label") for link in prepared.links] == [
        "epoles_annexe_3.pdf",
        "version préparée",
    ]


def test_third_degree_pupils_need_the_current_years_attendance_certificate(drv):
    d = full.mise_en_place(drv)
    d.level, d.year_of_study = "secondaire", "5e secondaire"
    drv.s.commit()
    clock.set_today(dt.date(2026, 10, 1))  # during 2026-2027
    t = table(drv, d)
    assert t[("attestation_frequentation_eo", 2026)] == M
    assert t[("compte_rendu_concertation", 2026)] == M
