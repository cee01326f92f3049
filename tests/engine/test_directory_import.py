"""The directory import: counts, idempotence, and refusals that write nothing."""

import copy
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from engine.auth import verify_password
from engine.directory import DirectoryError, import_directory, load_directory_file
from engine.models import Membership, Organisation, PoleTie, User

DEMO = Path(__file__).resolve().parents[2] / "demo" / "directory.yaml"
TABLES = (Organisation, PoleTie, User, Membership)


def counts(session):
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def cpms_of(session):
    """School FASE → FASE of its CPMS, for the schools that have one."""
    fases = dict(session.execute(select(Organisation.id, Organisation.fase)).all())
    rows = session.scalars(select(Organisation).where(Organisation.cpms_id.is_not(None)))
    return {o.fase: fases[o.cpms_id] for o in rows}


@pytest.fixture
def demo():
    return load_directory_file(DEMO)


def test_import_demo(db_session, demo):
    report = import_directory(db_session, demo)
    assert report.created == {"organisations": 6, "pole_ties": 2, "users": 11, "memberships": 10}
    assert not report.updated and not report.removed
    assert counts(db_session) == {"Organisation": 6, "PoleTie": 2, "User": 11, "Membership": 10}
    user = db_session.scalar(select(User).where(User.email == "direction.es@demo.ipt"))
    assert user.password_hash != "demo-ipt-2026"
    assert verify_password(user.password_hash, "demo-ipt-2026")
    assert [(m.organisation.fase, m.role) for m in user.memberships] == [("1001", "direction")]
    pole = db_session.scalar(select(Organisation).where(Organisation.kind == "pole"))
    ties = db_session.scalars(select(PoleTie)).all()
    assert {t.pole_id for t in ties} == {pole.id} and {t.from_year for t in ties} == {2022}
    assert db_session.scalar(select(User).where(User.email == "admin@demo.ipt")).is_admin
    assert cpms_of(db_session) == {"1001": "4001", "2001": "4002", "2002": "4002"}


def test_reimport_changes_nothing(db_session, demo):
    import_directory(db_session, demo)
    db_session.commit()
    before = counts(db_session)
    hashes = dict(db_session.execute(select(User.email, User.password_hash)).all())
    report = import_directory(db_session, copy.deepcopy(demo))
    db_session.commit()
    assert not report.created and not report.updated and not report.removed
    assert not report.changed
    assert report.unchanged["organisations"] == 6 and report.unchanged["memberships"] == 10
    assert counts(db_session) == before
    assert dict(db_session.execute(select(User.email, User.password_hash)).all()) == hashes


def test_changed_file_updates(db_session, demo, tmp_path):
    import_directory(db_session, demo)
    changed = copy.deepcopy(demo)
    changed["organisations"][1]["name"] = "École communale du Centre-Ville"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    report = import_directory(db_session, load_directory_file(path))
    assert report.updated == {"organisations": 1}
    assert not report.created and not report.removed
    org = db_session.scalar(select(Organisation).where(Organisation.fase == "2001"))
    assert org.name == "École communale du Centre-Ville"


def test_school_cpms_is_set_changed_and_cleared(db_session, demo):
    import_directory(db_session, demo)
    db_session.commit()
    changed = copy.deepcopy(demo)
    changed["organisations"][1]["cpms"] = "cpms:4001"  # qualified reference
    changed["organisations"][1]["name"] = "École communale du Centre-Ville"
    report = import_directory(db_session, changed)
    assert report.updated == {"organisations": 1}  # name and CPMS: one row updated
    assert not report.created and not report.removed
    assert cpms_of(db_session)["2001"] == "4001"
    assert not import_directory(db_session, copy.deepcopy(changed)).changed
    del changed["organisations"][0]["cpms"]  # omitted: the school has no CPMS any more
    report = import_directory(db_session, changed)
    assert report.updated == {"organisations": 1}
    assert cpms_of(db_session) == {"2001": "4001", "2002": "4002"}
    assert not import_directory(db_session, copy.deepcopy(changed)).changed


def test_school_cpms_may_be_in_the_database_only(db_session, demo):
    import_directory(db_session, demo)
    db_session.commit()
    school = _org(kind="ecole_eo", fase="2003", pole="3001", cpms="4002")
    report = import_directory(db_session, {"organisations": [school]})
    assert report.created == {"organisations": 1, "pole_ties": 1}
    assert cpms_of(db_session)["2003"] == "4002"


def test_memberships_and_ties_are_replaced(db_session, demo):
    import_directory(db_session, demo)
    changed = copy.deepcopy(demo)
    changed["organisations"].append({"kind": "pole", "fase": "3002", "name": "Pôle du Plateau"})
    changed["organisations"][1].pop("pole")
    changed["organisations"][1]["poles"] = [
        {"pole": "3001", "from": "2022-2023"},
        {"pole": "3002", "from": "2027-2028"},
    ]
    changed["users"][1]["memberships"] = [{"org": "1001", "role": "delegue"}]
    changed["users"][0]["password"] = "nouveau-mot-de-passe"
    report = import_directory(db_session, changed)
    assert report.created == {"organisations": 1, "pole_ties": 1}
    assert report.removed == {"memberships": 1}
    assert report.updated == {"users": 1}
    user = db_session.scalar(select(User).where(User.email == "direction.es@demo.ipt"))
    assert verify_password(user.password_hash, "nouveau-mot-de-passe")
    del changed["users"][0]["password"]  # omitted: the password is kept
    assert not import_directory(db_session, changed).changed
    assert verify_password(user.password_hash, "nouveau-mot-de-passe")


def test_users_not_in_file_are_left_alone(db_session, demo):
    import_directory(db_session, demo)
    import_directory(db_session, {"users": [{"email": "Nouveau@Demo.ipt", "name": "Léa Simon"}]})
    assert counts(db_session)["User"] == 12
    user = db_session.scalar(select(User).where(User.email == "nouveau@demo.ipt"))
    assert user.password_hash is None


def _org(**kw):
    return {"kind": "ecole_es", "fase": "1001", "name": "ES", "level": "fondamental", **kw}


BAD = {
    "unknown kind": (
        {"organisations": [_org(), _org(kind="lycee", fase="1234")]},
        "organisations[2] (FASE 1234) : type « lycee » inconnu",
    ),
    "EO school without pole": (
        {"organisations": [_org(kind="ecole_eo", fase="2001")]},
        "organisations[1] (FASE 2001) : une école ordinaire a un pôle",
    ),
    "unknown pole": (
        {"organisations": [_org(kind="ecole_eo", fase="2001", pole="9999")]},
        "organisations[1] (FASE 2001) : le pôle « 9999 » n'existe pas",
    ),
    "school without level": (
        {"organisations": [_org(level=None)]},
        "organisations[1] (FASE 1001) : niveau « None » invalide",
    ),
    "duplicate FASE": (
        {"organisations": [_org(), _org(name="Autre")]},
        "organisations[2] (FASE 1001) : FASE « 1001 » en double",
    ),
    "membership to unknown org": (
        {
            "organisations": [_org()],
            "users": [
                {
                    "email": "a@x.be",
                    "name": "A",
                    "memberships": [{"org": "7777", "role": "direction"}],
                }
            ],
        },
        "users[1] (a@x.be) : l'organisation « 7777 » n'existe pas",
    ),
    "unknown role": (
        {
            "organisations": [_org()],
            "users": [
                {"email": "a@x.be", "name": "A", "memberships": [{"org": "1001", "role": "chef"}]}
            ],
        },
        "users[1] (a@x.be) : rôle « chef » inconnu",
    ),
    "role foreign to the kind": (
        {
            "organisations": [_org()],
            "users": [
                {
                    "email": "a@x.be",
                    "name": "A",
                    "memberships": [{"org": "1001", "role": "agent_cpms"}],
                }
            ],
        },
        "users[1] (a@x.be) : le rôle « agent_cpms » n'existe pas",
    ),
    "duplicate email": (
        {"users": [{"email": "a@x.be", "name": "A"}, {"email": "A@X.be", "name": "B"}]},
        "users[2] (a@x.be) : adresse e-mail en double",
    ),
    "ambiguous FASE": (
        {
            "organisations": [_org(), {"kind": "cpms", "fase": "1001", "name": "C"}],
            "users": [
                {
                    "email": "a@x.be",
                    "name": "A",
                    "memberships": [{"org": "1001", "role": "direction"}],
                }
            ],
        },
        "« 1001 » est ambigu, préciser « cpms:1001 », « ecole_es:1001 »",
    ),
    "CPMS for a pôle": (
        {
            "organisations": [
                {"kind": "cpms", "fase": "4001", "name": "C"},
                {"kind": "pole", "fase": "3001", "name": "P", "cpms": "4001"},
            ]
        },
        "organisations[2] (FASE 3001) : seule une école (ecole_es ou ecole_eo) est suivie par un CPMS",
    ),
    "CPMS for a CPMS": (
        {"organisations": [{"kind": "cpms", "fase": "4001", "name": "C", "cpms": "4001"}]},
        "organisations[1] (FASE 4001) : seule une école (ecole_es ou ecole_eo) est suivie",
    ),
    "unknown CPMS": (
        {"organisations": [_org(cpms="4009")]},
        "organisations[1] (FASE 1001) : le CPMS « 4009 » n'existe pas",
    ),
    "CPMS that is a pôle": (
        {"organisations": [_org(cpms="3001"), {"kind": "pole", "fase": "3001", "name": "P"}]},
        "organisations[1] (FASE 1001) : « 3001 » n'est pas un CPMS",
    ),
    "CPMS not a FASE": (
        {"organisations": [_org(cpms=True), {"kind": "cpms", "fase": "4001", "name": "C"}]},
        "organisations[1] (FASE 1001) : « cpms » attend le FASE d'un CPMS",
    ),
    "bad from year": (
        {
            "organisations": [
                {"kind": "pole", "fase": "3001", "name": "P"},
                _org(kind="ecole_eo", fase="2001", poles=[{"pole": "3001", "from": "2026-2028"}]),
            ]
        },
        "organisations[2] (FASE 2001) : Année scolaire « 2026-2028 » invalide",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_writes_nothing(db_session, case):
    data, message = BAD[case]
    good_user = {"email": "ok@x.be", "name": "Valide", "password": "secret"}
    data = {
        **data,
        "users": [*data.get("users", []), good_user],
    }  # valid entries are not written either
    with pytest.raises(DirectoryError) as err:
        import_directory(db_session, data)
    assert message in err.value.message, err.value.message
    assert all(p in err.value.message for p in err.value.problems)
    assert counts(db_session) == dict.fromkeys(counts(db_session), 0)


def test_qualified_reference_resolves_ambiguity(db_session):
    data = {
        "organisations": [_org(), {"kind": "cpms", "fase": "1001", "name": "C"}],
        "users": [
            {
                "email": "a@x.be",
                "name": "A",
                "memberships": [{"org": "cpms:1001", "role": "agent_cpms"}],
            }
        ],
    }
    assert import_directory(db_session, data).created["memberships"] == 1


def test_malformed_files(tmp_path):
    bad = tmp_path / "annuaire.yaml"
    bad.write_text("organisations:\n  - {kind: pole, fase: [\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"annuaire\.yaml : syntaxe invalide"):
        load_directory_file(bad)
    bad_json = tmp_path / "annuaire.json"
    bad_json.write_text("{organisations: }", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"annuaire\.json : syntaxe invalide"):
        load_directory_file(bad_json)
    with pytest.raises(DirectoryError, match="extension inconnue"):
        load_directory_file(tmp_path / "annuaire.txt")
    with pytest.raises(DirectoryError, match="illisible"):
        load_directory_file(tmp_path / "absent.yaml")
    listed = tmp_path / "liste.yaml"
    listed.write_text(yaml.safe_dump([1, 2]), encoding="utf-8")
    with pytest.raises(DirectoryError, match="rubriques"):
        load_directory_file(listed)
