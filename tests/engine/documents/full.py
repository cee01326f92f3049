"""A realistic dossier for the documents tests: proposition → prolongation → stop."""

from __future__ import annotations

import datetime as dt

from engine.clock import clock
from engine.dossiers import prolongations, stops
from tests.engine.driver import Driver

PUPIL = {
    "pupil_last_name": "Lambert",
    "pupil_first_name": "Emma",
    "pupil_cf": "CF-2016-0042",
    "pupil_sex": "F",
    "es_type": "6",
    "year_of_study": "3e primaire",
}


def mise_en_place(drv: Driver, **over):
    d = drv.proposition(**{**PUPIL, **over})
    drv.accept_proposition(d)
    drv.find_partner(d)
    drv.agree_projet(d)
    drv.draft_protocole(d)
    drv.sign_protocole(d)
    return d


def declare_first(drv: Driver, d):
    drv.do(
        d,
        "declarer_protocole",
        "coordination.pole@demo.ipt",
        {"date_declaration": "2026-02-12", "declaration_honneur": True, "encodage_epoles": True},
    )


def prolong(drv: Driver, d, year=2027):
    clock.set_today(dt.date(year, 5, 10))
    prolongations.start_prolongation(
        drv.s, drv.runtime, drv.user("coordination.pole@demo.ipt"), d.id, year
    )
    drv.s.commit()
    drv.do(
        d,
        "avis_equipe_educative",
        "direction.eo.fondamental@demo.ipt",
        {
            "date_avis": f"{year}-05-05",
            "annee_etudes_actuelle": "4e primaire",
            "annee_etudes_prevue": "5e primaire",
            "avis": "favorable",
            "justification": "Progrès constants en lecture.",
        },
    )
    drv.do(
        d,
        "avis_pole_prolongation",
        "coordination.pole@demo.ipt",
        {
            "date_avis": f"{year}-05-06",
            "avis": "favorable",
            "justification": "Accompagnement utile.",
        },
    )
    drv.do(
        d,
        "avis_cpms_eo_prolongation",
        "cpms.eo@demo.ipt",
        {"date_avis": f"{year}-05-06", "avis": "favorable"},
    )
    drv.do(
        d,
        "signature_parents_annexe7",
        drv.parent(d),
        {"date_accord": f"{year}-05-07", "avis": "favorable"},
    )
    drv.do(
        d,
        "declarer_prolongation",
        "coordination.pole@demo.ipt",
        {"date_declaration": f"{year}-05-09", "declaration_honneur": True},
    )


def stop(drv: Driver, d, day=dt.date(2028, 2, 8)):
    clock.set_today(day)
    stops.request_stop(
        drv.s,
        drv.runtime,
        drv.parent(d),
        d.id,
        {
            "reason": "autre",
            "reason_text": "Déménagement à Namur",
            "justification": "La famille déménage en cours d'année.",
            "at_year_end": False,
            "event_date": day.isoformat(),
        },
    )
    drv.s.commit()
    iso = day.isoformat()
    drv.do(
        d,
        "concerter_arret",
        "direction.eo.fondamental@demo.ipt",
        {"date_concertation": iso, "participants": "Tous", "compte_rendu": "Concertation."},
    )
    for bpmn_id, who in (
        ("accord_arret_pole", "direction.pole@demo.ipt"),
        ("accord_arret_eo", "direction.eo.fondamental@demo.ipt"),
    ):
        drv.do(d, bpmn_id, who, {"date_accord": iso, "avis": "favorable", "justification": "Oui."})
    drv.do(
        d,
        "accord_arret_parents",
        drv.parent(d),
        {"date_accord": iso, "avis": "favorable", "justification": "Nous déménageons."},
    )


def full(drv: Driver, **over):
    d = mise_en_place(drv, **over)
    declare_first(drv, d)
    prolong(drv, d)
    stop(drv, d)
    return d
