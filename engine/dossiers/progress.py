"""Where a dossier stands: stage and status from the workflow, and the steps done and to come."""

from __future__ import annotations

from engine import calendar

STAGE_ORDER = ["proposition", "recherche_partenaire", "projet", "protocole", "ipt"]
STAGE_LABELS = {
    "proposition": "Proposition",
    "recherche_partenaire": "Recherche d'une école partenaire",
    "projet": "Projet",
    "protocole": "Protocole",
    "ipt": "Intégration (IPT)",
    "arret": "Arrêt",
    "prolongation": "Prolongation",
    "evaluation": "Évaluation",
}
STATUS_LABELS = {
    "en_cours": "En cours",
    "proposition_refusee": "Proposition refusée",
    "cloture": "Clôturé avant le protocole",
    "ipt_en_place": "IPT en place",
    "ipt_arretee": "IPT arrêtée",
}
# End events of the diagrams → (stage, status). Keep in step with processes/*.bpmn.
END_EVENTS = {
    "fin_proposition_refusee": ("proposition", "proposition_refusee"),
    "fin_ipt_en_place": ("ipt", "ipt_en_place"),
}
STEPS = [
    ("proposition", "Avis des partenaires sur la proposition (annexe 1)"),
    (
        "recherche_partenaire",
        "Accord d'une école ordinaire partenaire, en concertation avec son pôle",
    ),
    ("projet", "Projet d'intégration et accords des parties (annexe 4)"),
    ("protocole", "Protocole et signatures (annexe 5)"),
    ("ipt", "Déclaration du protocole (annexe 2) et début de l'IPT"),
]


def derive(open_stages: list[str], end_events: list[str]) -> tuple[str, str]:
    for end in end_events:
        if end in END_EVENTS:
            return END_EVENTS[end]
    if not open_stages:
        return "proposition", "en_cours"
    stage = max(open_stages, key=STAGE_ORDER.index)
    return stage, "ipt_en_place" if stage == "ipt" else "en_cours"


def apply(dossier, stage: str, status: str) -> bool:
    """Update the dossier; True when the IPT has just been put in place."""
    became_ipt = status == "ipt_en_place" and dossier.status != "ipt_en_place"
    dossier.stage, dossier.status = stage, status
    if became_ipt:
        dossier.ipt_start_date = calendar.first_day(dossier.target_year)
        # "more than 2 years" (R-ARRET-5) counts from the first entry, across partner changes
        dossier.ipt_entry_date = dossier.ipt_entry_date or dossier.ipt_start_date
        dossier.ipt_end_date = dossier.end_reason = None
    return became_ipt


def steps(dossier) -> list[dict]:
    """The steps done, current and to come, for the dossier page."""
    current = STAGE_ORDER.index(dossier.stage)
    in_place = dossier.status in ("ipt_en_place", "ipt_arretee")
    finished = in_place or dossier.status in ("proposition_refusee", "cloture")
    out = []
    for i, (stage, label) in enumerate(STEPS):
        if i < current or dossier.status == "ipt_arretee":
            state = "fait"
        elif i == current:
            state = "arrete" if dossier.status in ("proposition_refusee", "cloture") else "en_cours"
        else:
            state = "abandonne" if finished and not in_place else "a_venir"
        out.append({"stage": stage, "label": label, "state": state})
    return out
