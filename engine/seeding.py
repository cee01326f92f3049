"""Many dossiers already in IPT, written directly as rows (no mise-en-place run): for the
campaign benchmark, the workers' reliability tests and `ipt demo --bulk N`.

Each pôle gets a coordinator and EO schools with a direction; each dossier a guardian with an
e-mail, the current school year in IPT (annex 6) and a protocol saying whether the CPMS EO's avis
is required (every third dossier).
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from engine import calendar
from engine.clock import clock
from engine.models import (
    Dossier,
    Guardian,
    Membership,
    Organisation,
    SchoolYearRecord,
    StageContent,
    User,
)


def seed_in_ipt(
    session,
    n: int,
    *,
    poles: int = 4,
    schools_per_pole: int = 5,
    tag: str = "bulk",
    schools: list | None = None,
    es=None,
    cpms=None,
):
    """Insert `n` dossiers in IPT since the start of the current school year, spread over new
    pôles and EO schools, or over `schools` [(eo, pole)] given. Returns their ids."""
    year = calendar.school_year_of(clock.today())
    start = calendar.first_day(year)
    now = clock.now()
    offset = session.scalar(select(func.count(Organisation.id))) or 0
    es = _org(
        session,
        "ecole_es",
        f"{tag}-es-{offset}",
        f"École spécialisée {tag} {offset}",
        "fondamental",
    )
    cpms = cpms or _org(session, "cpms", f"{tag}-cpms-{offset}", f"CPMS {tag} {offset}", None)
    given = bool(schools)
    schools = list(schools or [])
    for p in range(0 if given else poles):
        pole = _org(session, "pole", f"{tag}-pole-{offset}-{p}", f"Pôle {tag} {p + 1}", None)
        _user(
            session,
            f"coordination.{tag}.{offset}.{p}@bench.ipt",
            f"Coordination {p + 1}",
            pole,
            "coordonnateur",
        )
        for s in range(schools_per_pole):
            level = "secondaire" if s % 2 else "fondamental"
            eo = _org(
                session,
                "ecole_eo",
                f"{tag}-eo-{offset}-{p}-{s}",
                f"École ordinaire {p + 1}.{s + 1}",
                level,
            )
            _user(
                session,
                f"direction.{tag}.{offset}.{p}.{s}@bench.ipt",
                f"Direction {p + 1}.{s + 1}",
                eo,
                "direction",
            )
            schools.append((eo, pole))
    session.flush()
    first = (session.scalar(select(func.max(Dossier.id))) or 0) + 1
    rows = []
    for i in range(n):
        eo, pole = schools[i % len(schools)]
        rows.append(
            {
                "id": first + i,
                "reference": f"{tag.upper()}-{first + i:07d}",
                "pupil_last_name": f"Élève{first + i}",
                "pupil_first_name": "Camille",
                "community": "fwb",
                "es_type": "8",
                "level": eo.level,
                "in_es": True,
                "initiator": "es_school",
                "target_year": year,
                "stage": "ipt",
                "status": "ipt_en_place",
                "es_school_id": es.id,
                "cpms_es_id": cpms.id,
                "eo_school_id": eo.id,
                "pole_id": pole.id,
                "cpms_eo_id": cpms.id,
                "ipt_start_date": start,
                "ipt_entry_date": start,
                "created_at": now,
                "enters_first_secondary": False,
            }
        )
    for batch in _batches(rows):
        session.execute(insert(Dossier), batch)
    ids = [r["id"] for r in rows]
    for batch in _batches(ids):
        session.execute(
            insert(Guardian),
            [
                {
                    "dossier_id": d,
                    "position": 1,
                    "last_name": f"Parent{d}",
                    "first_name": "Alex",
                    "capacity": "mère",
                    "email": f"parent{d}@famille.example",
                }
                for d in batch
            ],
        )
        session.execute(
            insert(SchoolYearRecord),
            [{"dossier_id": d, "school_year": year, "in_ipt": True} for d in batch],
        )
        session.execute(
            insert(StageContent),
            [
                {
                    "dossier_id": d,
                    "kind": "protocole",
                    "data": {"avis_cpms_eo_requis": d % 3 == 0},
                    "recorded_at": now,
                }
                for d in batch
            ],
        )
    return ids


def _batches(rows, size=1000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _org(session, kind, fase, name, level):
    org = Organisation(kind=kind, fase=fase, name=name, level=level, email=f"{fase}@bench.ipt")
    session.add(org)
    session.flush()
    return org


def _user(session, email, name, org, role):
    user = User(email=email, full_name=name, created_at=clock.now())
    user.memberships.append(Membership(organisation_id=org.id, role=role))
    session.add(user)
