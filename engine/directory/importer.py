"""`ipt directory import FILE`: organisations, pôle ties, users and memberships from YAML or JSON.

The whole file is checked before anything is written, so a bad file changes nothing. Importing the
same file twice changes nothing: rows are compared field by field and passwords are rehashed only
when the stored hash does not verify the given one. Rows absent from the file are left alone,
except a listed user's memberships and a listed EO school's pôle ties, which the file replaces.
A listed school's CPMS is set, or cleared when the file gives none. The caller commits.
Format: docs/directory.md.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from engine import calendar
from engine.auth import hash_password, verify_password
from engine.clock import clock
from engine.errors import IPTError
from engine.models import Membership, Organisation, PoleTie, User
from engine.models.enums import Level, OrgKind, Role

ORG_KEYS = {"kind", "fase", "name", "level", "email", "address", "pole", "poles", "cpms"}
USER_KEYS = {"email", "name", "password", "admin", "analyst", "memberships"}
# Which roles make sense in which kind of organisation.
ROLES_BY_KIND = {
    OrgKind.ES_SCHOOL: {Role.DIRECTION, Role.DELEGUE, Role.TITULAIRE},
    OrgKind.EO_SCHOOL: {Role.DIRECTION, Role.DELEGUE, Role.TITULAIRE},
    OrgKind.POLE: {Role.DIRECTION, Role.DELEGUE, Role.COORDONNATEUR},
    OrgKind.CPMS: {Role.DIRECTION, Role.DELEGUE, Role.AGENT_CPMS},
}
_A_KIND = {OrgKind.POLE: "un pôle", OrgKind.CPMS: "un CPMS"}  # « 4001 » n'est pas un CPMS
_LABELS = {
    "organisations": "organisations",
    "pole_ties": "liens école–pôle",
    "users": "comptes",
    "memberships": "appartenances",
}


class DirectoryError(IPTError):
    """A directory file refused; `problems` lists every entry at fault (French)."""

    code = "annuaire_invalide"

    def __init__(self, message: str, problems: list[str] | None = None, **ctx):
        super().__init__(message, problems=problems or [message], **ctx)
        self.problems = problems or [message]


@dataclass
class ImportReport:
    """Counts per kind of row: organisations, pole_ties, users, memberships."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any((self.created + self.updated + self.removed).values())

    def lines(self) -> list[str]:
        """A French summary, one line per kind."""
        return [
            f"{label} : {self.created[key]} créé(s), {self.updated[key]} modifié(s), "
            f"{self.unchanged[key]} inchangé(s), {self.removed[key]} retiré(s)"
            for key, label in _LABELS.items()
        ]


@dataclass
class _Org:
    where: str
    kind: str
    fase: str
    fields: dict  # name, level, email, address
    ties: list[tuple[int, str]]  # (from_year, pôle reference)
    cpms: str | None  # CPMS reference, schools only


@dataclass
class _User:
    where: str
    email: str
    fields: dict  # full_name, is_admin, is_analyst
    password: str | None
    memberships: list[tuple[str, str]]  # (organisation reference, role)


def load_directory_file(path: str | Path) -> dict:
    """Read a .yaml/.yml or .json directory file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json"}:
        raise DirectoryError(f"{path} : extension inconnue (attendu .yaml, .yml ou .json).")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise DirectoryError(f"{path} : fichier illisible ({exc.strerror}).") from exc
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryError(f"{path} : syntaxe invalide ({exc}).") from exc
    if not isinstance(data, dict):
        raise DirectoryError(f"{path} : attendu les rubriques « organisations » et « users ».")
    return data


def import_directory(session, data: dict) -> ImportReport:
    """Check `data` whole, then create or update its rows. Raises DirectoryError, writing nothing."""
    orgs, users = _validate(session, data)
    report = ImportReport()
    by_key = _write_orgs(session, orgs, report)
    _write_ties(session, orgs, by_key, report)
    _write_users(session, users, by_key, report)
    session.flush()
    return report


# --- validation -------------------------------------------------------------------------------


def _validate(session, data) -> tuple[list[_Org], list[_User]]:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise DirectoryError("Attendu les rubriques « organisations » et « users ».")
    for key in sorted(set(data) - {"organisations", "users"}):
        problems.append(f"rubrique « {key} » inconnue (attendu « organisations », « users »)")
    orgs = [_parse_org(i, e, problems) for i, e in _entries(data, "organisations", problems)]
    users = [_parse_user(i, e, problems) for i, e in _entries(data, "users", problems)]
    orgs = [o for o in orgs if o]
    users = [u for u in users if u]

    known = {
        (o.kind, o.fase) for o in session.execute(select(Organisation.kind, Organisation.fase))
    }
    seen: set[tuple[str, str]] = set()
    for org in orgs:
        if (org.kind, org.fase) in seen:
            problems.append(f"{org.where} : FASE « {org.fase} » en double pour « {org.kind} »")
        seen.add((org.kind, org.fase))
    known |= seen
    for org in orgs:
        for _, ref in org.ties:
            _resolve(ref, known, org.where, "le pôle", problems, kind=OrgKind.POLE)
        if org.cpms:
            _resolve(org.cpms, known, org.where, "le CPMS", problems, kind=OrgKind.CPMS)
    emails: set[str] = set()
    for user in users:
        if user.email in emails:
            problems.append(f"{user.where} : adresse e-mail en double")
        emails.add(user.email)
        for ref, role in user.memberships:
            key = _resolve(ref, known, user.where, "l'organisation", problems)
            if key and role not in ROLES_BY_KIND[OrgKind(key[0])]:
                problems.append(
                    f"{user.where} : le rôle « {role} » n'existe pas dans une organisation "
                    f"« {key[0]} » ({ref})"
                )
    if problems:
        head = f"L'annuaire contient {len(problems)} erreur(s), rien n'a été importé :"
        raise DirectoryError("\n".join([head, *(f"- {p}" for p in problems)]), problems)
    return orgs, users


def _entries(data, key, problems):
    items = data.get(key) or []
    if not isinstance(items, list):
        problems.append(f"« {key} » doit être une liste")
        return []
    return list(enumerate(items, start=1))


def _parse_org(i, entry, problems) -> _Org | None:
    where = f"organisations[{i}]"
    if not isinstance(entry, dict):
        problems.append(f"{where} : attendu un objet (kind, fase, name…)")
        return None
    fase = _ident(entry.get("fase"))
    where += f" (FASE {fase})" if fase else ""
    before = len(problems)
    _unknown_keys(entry, ORG_KEYS, where, problems)
    kind = entry.get("kind")
    if not _is(kind, OrgKind):
        problems.append(f"{where} : type « {kind} » inconnu (attendu {_choices(OrgKind)})")
    if not fase:
        problems.append(f"{where} : « fase » manquant")
    fields = {
        "name": _text(entry, "name", where, problems, required=True),
        "email": _text(entry, "email", where, problems),
        "address": _text(entry, "address", where, problems),
        "level": entry.get("level"),
    }
    school = kind in (OrgKind.ES_SCHOOL, OrgKind.EO_SCHOOL)
    if school and not _is(fields["level"], Level):
        problems.append(
            f"{where} : niveau « {fields['level']} » invalide (attendu {_choices(Level)})"
        )
    elif not school and fields["level"] is not None:
        problems.append(f"{where} : « level » n'a de sens que pour une école")
    ties = _parse_ties(entry, kind, where, problems)
    cpms = entry.get("cpms")
    if cpms is not None and not school:
        problems.append(f"{where} : seule une école (ecole_es ou ecole_eo) est suivie par un CPMS")
    elif cpms is not None and not _ident(cpms):
        problems.append(f"{where} : « cpms » attend le FASE d'un CPMS")
    if len(problems) > before:
        return None
    return _Org(where, kind, fase, fields, ties, _ident(cpms))


def _parse_ties(entry, kind, where, problems) -> list[tuple[int, str]]:
    pole, poles = entry.get("pole"), entry.get("poles")
    if kind != OrgKind.EO_SCHOOL:
        if pole is not None or poles is not None:
            problems.append(f"{where} : seule une école ordinaire (ecole_eo) a un pôle")
        return []
    if (pole is None) == (poles is None):
        problems.append(f"{where} : une école ordinaire a un pôle (« pole » ou « poles »)")
        return []
    if pole is not None:
        return [(calendar.EARLIEST_YEAR, _ident(pole))]
    ties: list[tuple[int, str]] = []
    for item in poles if isinstance(poles, list) else [None]:
        if not isinstance(item, dict) or not item.get("pole") or not item.get("from"):
            problems.append(f"{where} : « poles » attend des éléments {{pole, from}}")
            continue
        try:
            year = calendar.parse_label(item["from"])
        except calendar.CalendarError as exc:
            problems.append(f"{where} : {exc.message}")
            continue
        if year in {y for y, _ in ties}:
            problems.append(f"{where} : deux pôles à partir de {calendar.label(year)}")
        ties.append((year, _ident(item["pole"])))
    return ties


def _parse_user(i, entry, problems) -> _User | None:
    where = f"users[{i}]"
    if not isinstance(entry, dict):
        problems.append(f"{where} : attendu un objet (email, name…)")
        return None
    email = (_ident(entry.get("email")) or "").lower()
    where += f" ({email})" if email else ""
    before = len(problems)
    _unknown_keys(entry, USER_KEYS, where, problems)
    if "@" not in email or any(c.isspace() for c in email):
        problems.append(f"{where} : adresse e-mail manquante ou invalide")
    fields = {"full_name": _text(entry, "name", where, problems, required=True)}
    for key, column in (("admin", "is_admin"), ("analyst", "is_analyst")):
        value = entry.get(key, False)
        if not isinstance(value, bool):
            problems.append(f"{where} : « {key} » doit valoir true ou false")
        fields[column] = value
    password = entry.get("password")
    if password is not None and (not isinstance(password, str) or not password):
        problems.append(f"{where} : « password » doit être un texte non vide")
    memberships = []
    items = entry.get("memberships") or []
    for item in items if isinstance(items, list) else [None]:
        if not isinstance(item, dict) or not item.get("org") or not item.get("role"):
            problems.append(f"{where} : « memberships » attend des éléments {{org, role}}")
        elif not _is(item["role"], Role):
            problems.append(f"{where} : rôle « {item['role']} » inconnu (attendu {_choices(Role)})")
        elif (pair := (_ident(item["org"]), item["role"])) in memberships:
            problems.append(f"{where} : appartenance {pair[0]} / {pair[1]} en double")
        else:
            memberships.append(pair)
    if len(problems) > before:
        return None
    return _User(where, email, fields, password, memberships)


def _resolve(ref, known, where, what, problems, kind=None) -> tuple[str, str] | None:
    """ "1001" or "ecole_es:1001" → (kind, fase) among known organisations."""
    ref_kind, _, fase = ref.rpartition(":")
    matches = [k for k in known if k[1] == fase and (not ref_kind or k[0] == ref_kind)]
    if kind and matches and all(k[0] != kind for k in matches):
        problems.append(f"{where} : « {ref} » n'est pas {_A_KIND[kind]}")
        return None
    if kind:
        matches = [k for k in matches if k[0] == kind]
    if not matches:
        problems.append(f"{where} : {what} « {ref} » n'existe pas")
        return None
    if len(matches) > 1:
        choices = ", ".join(sorted(f"« {k}:{fase} »" for k, _ in matches))
        problems.append(f"{where} : « {ref} » est ambigu, préciser {choices}")
        return None
    return matches[0]


def _unknown_keys(entry, allowed, where, problems):
    for key in sorted(set(entry) - allowed, key=str):
        problems.append(f"{where} : champ « {key} » inconnu")


def _text(entry, key, where, problems, required=False) -> str | None:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where} : « {key} » manquant")
        return None
    if not isinstance(value, str):
        problems.append(f"{where} : « {key} » doit être un texte")
        return None
    return value.strip()


def _ident(value) -> str | None:
    """A FASE or e-mail; YAML reads an unquoted 1001 as a number."""
    if isinstance(value, bool) or value is None:
        return None
    return str(value).strip() or None


def _is(value, enum) -> bool:
    return isinstance(value, str) and value in set(enum)


def _choices(enum) -> str:
    return ", ".join(e.value for e in enum)


# --- writing ----------------------------------------------------------------------------------


def _apply(row, fields: dict) -> bool:
    """Set the fields that differ; True when any did."""
    changed = False
    for name, value in fields.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _write_orgs(session, orgs, report) -> dict[tuple[str, str], Organisation]:
    by_key = {(o.kind, o.fase): o for o in session.scalars(select(Organisation))}
    created, updated = set(), set()
    for spec in orgs:
        key = (spec.kind, spec.fase)
        row = by_key.get(key)
        if row is None:
            row = Organisation(kind=spec.kind, fase=spec.fase, **spec.fields)
            session.add(row)
            by_key[key] = row
            created.add(key)
        elif _apply(row, spec.fields):
            updated.add(key)
    session.flush()
    # A school's CPMS may have been created just above: its id is known only now.
    for spec in orgs:
        key = (spec.kind, spec.fase)
        cpms = by_key[(OrgKind.CPMS.value, spec.cpms.rpartition(":")[2])] if spec.cpms else None
        if _apply(by_key[key], {"cpms_id": cpms.id if cpms else None}):
            updated.add(key)
        if key in created:
            report.created["organisations"] += 1
        elif key in updated:
            report.updated["organisations"] += 1
        else:
            report.unchanged["organisations"] += 1
    session.flush()
    return by_key


def _write_ties(session, orgs, by_key, report) -> None:
    for spec in orgs:
        if spec.kind != OrgKind.EO_SCHOOL:
            continue
        school = by_key[(spec.kind, spec.fase)]
        poles = {
            year: by_key[(OrgKind.POLE.value, ref.rpartition(":")[2])] for year, ref in spec.ties
        }
        wanted = {year: pole.id for year, pole in poles.items()}
        existing = session.scalars(select(PoleTie).where(PoleTie.eo_school_id == school.id))
        for tie in existing:
            if tie.from_year not in wanted:
                session.delete(tie)
                report.removed["pole_ties"] += 1
            elif _apply(tie, {"pole_id": wanted.pop(tie.from_year)}):
                report.updated["pole_ties"] += 1
            else:
                report.unchanged["pole_ties"] += 1
        for year, pole_id in wanted.items():
            session.add(PoleTie(eo_school_id=school.id, pole_id=pole_id, from_year=year))
            report.created["pole_ties"] += 1


def _write_users(session, users, by_key, report) -> None:
    fases = {}
    for kind, fase in by_key:
        fases.setdefault(fase, []).append(kind)
    for spec in users:
        row = session.scalar(select(User).where(User.email == spec.email))
        if row is None:
            row = User(email=spec.email, created_at=clock.now(), **spec.fields)
            row.password_hash = hash_password(spec.password) if spec.password else None
            session.add(row)
            report.created["users"] += 1
        else:
            changed = _apply(row, spec.fields)
            if spec.password and not verify_password(row.password_hash, spec.password):
                row.password_hash = hash_password(spec.password)
                changed = True
            (report.updated if changed else report.unchanged)["users"] += 1
        _write_memberships(session, row, spec, by_key, fases, report)


def _write_memberships(session, user, spec, by_key, fases, report) -> None:
    wanted = {}  # dict: keeps the file's order
    for ref, role in spec.memberships:
        kind, _, fase = ref.rpartition(":")
        wanted[(by_key[(kind or fases[fase][0], fase)], role)] = None
    for membership in list(user.memberships):
        key = (membership.organisation, membership.role)
        if key in wanted:
            del wanted[key]
            report.unchanged["memberships"] += 1
        else:
            user.memberships.remove(membership)
            report.removed["memberships"] += 1
    for org, role in wanted:
        user.memberships.append(Membership(organisation=org, role=role))
        report.created["memberships"] += 1
