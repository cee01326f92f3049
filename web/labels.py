"""French labels and date formats for templates (one place, registered as Jinja filters)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.dossiers.progress import STAGE_LABELS, STATUS_LABELS
from engine.dossiers.service import INITIATORS

BRUSSELS = ZoneInfo("Europe/Brussels")

PARTY_LABELS = {
    "cc_es": "Conseil de classe de l'école spécialisée",
    "cpms_es": "CPMS de l'école spécialisée",
    "parents": "Parents",
    "es_school": "École spécialisée",
    "eo_school": "École ordinaire",
    "cc_eo": "Titulaire ou conseil de classe de l'école ordinaire",
    "ee_eo": "Équipe éducative de l'école ordinaire",
    "pole": "Pôle territorial",
    "cpms_eo": "CPMS de l'école ordinaire",
}
VALUE_LABELS = {"favorable": "favorable", "defavorable": "défavorable"}
ANSWER_LABELS = {"accepte": "acceptée", "refuse": "refusée", None: "en attente"}
SEX_LABELS = {"F": "Fille", "M": "Garçon", "X": "Autre / non précisé"}
ELIGIBILITY_LABELS = {
    "R-ELIG-1": "R-ELIG-1 : inscrit dans l'enseignement spécialisé et fréquentation régulière "
    "depuis le 15 octobre",
    "R-ELIG-2": "R-ELIG-2 : reprise après une IPT interrompue depuis un an au plus",
}
STATUS_BADGES = {
    "en_cours": "badge-info",
    "ipt_en_place": "badge-ok",
    "proposition_refusee": "badge-ko",
    "cloture": "badge-muted",
    "ipt_arretee": "badge-muted",
}
PROLONGATION_LABELS = {
    "en_cours": "en cours : avis demandés",
    "favorable": "favorable : déclaration à faire (annexe 3)",
    "declaree": "prolongée et déclarée",
    "non_prolongee": "non prolongée",
    "annulee": "sans objet (IPT arrêtée)",
}


CAMPAIGN_STATES = {"ouverte": "ouverte", "cloturee": "clôturée"}
MAIL_BADGES = {
    "sent": "badge-ok",
    "failed": "badge-ko",
    "pending": "badge-info",
    "claimed": "badge-info",
}


def capitalize_first(value) -> str:
    """« école ordinaire » → « École ordinaire » (str.capitalize would lower the rest: CPMS)."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def date_fr(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return value.strftime("%d/%m/%Y")


def datetime_fr(value) -> str:
    if not value:
        return "—"
    return _local(value).strftime("%d/%m/%Y à %H:%M")


def _local(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(BRUSSELS)


def school_year(year: int | None) -> str:
    return f"{year}-{year + 1}" if year else "—"


from engine.french import de  # noqa: E402

FILTERS = {
    "de": de,
    "date_fr": date_fr,
    "datetime_fr": datetime_fr,
    "school_year": school_year,
    "stage_label": lambda v: STAGE_LABELS.get(v, v or "—"),
    "status_label": lambda v: STATUS_LABELS.get(v, v or "—"),
    "status_badge": lambda v: STATUS_BADGES.get(v, "badge-muted"),
    "party_label": lambda v: PARTY_LABELS.get(v, v or "—"),
    "value_label": lambda v: VALUE_LABELS.get(v, v or "—"),
    "answer_label": lambda v: ANSWER_LABELS.get(v, v),
    "sex_label": lambda v: SEX_LABELS.get(v, "—"),
    "initiator_label": lambda v: INITIATORS.get(v, v or "—"),
    "eligibility_label": lambda v: ELIGIBILITY_LABELS.get(v, v or "—"),
    "prolongation_label": lambda v: PROLONGATION_LABELS.get(v, v or "—"),
    "campaign_state": lambda v: CAMPAIGN_STATES.get(v, v or "—"),
    "mail_badge": lambda v: MAIL_BADGES.get(v, "badge-muted"),
    "capitalize_first": capitalize_first,
}
