"""Enumerations stored by value (French-neutral identifiers; labels live in `labels`)."""

from enum import StrEnum


class OrgKind(StrEnum):
    ES_SCHOOL = "ecole_es"
    EO_SCHOOL = "ecole_eo"
    POLE = "pole"
    CPMS = "cpms"


class Level(StrEnum):
    FONDAMENTAL = "fondamental"
    SECONDAIRE = "secondaire"


class Role(StrEnum):
    DIRECTION = "direction"
    DELEGUE = "delegue"
    TITULAIRE = "titulaire"
    COORDONNATEUR = "coordonnateur"
    AGENT_CPMS = "agent_cpms"


class Party(StrEnum):
    """Which organisation of a dossier a lane addresses."""

    ES_SCHOOL = "es_school"
    CPMS_ES = "cpms_es"
    PARENTS = "parents"
    EO_SCHOOL = "eo_school"
    POLE = "pole"
    CPMS_EO = "cpms_eo"


class Initiator(StrEnum):
    CONSEIL_DE_CLASSE = "conseil_de_classe"
    CPMS_ES = "cpms_es"
    PARENTS = "parents"


class Stage(StrEnum):
    PROPOSITION = "proposition"
    RECHERCHE = "recherche_partenaire"
    PROJET = "projet"
    PROTOCOLE = "protocole"
    IPT = "ipt"


class Status(StrEnum):
    EN_COURS = "en_cours"
    PROPOSITION_REFUSEE = "proposition_refusee"
    CLOTURE = "cloture"
    IPT_EN_PLACE = "ipt_en_place"


class TaskState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Community(StrEnum):
    FWB = "fwb"
    FLEMISH = "vl"
    GERMAN = "de"
