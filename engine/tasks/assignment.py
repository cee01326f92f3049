"""Lane → role → organisation: which organisation of the dossier a party names."""

from __future__ import annotations

PARTY_ATTR = {
    "es_school": "es_school_id",
    "cpms_es": "cpms_es_id",
    "eo_school": "eo_school_id",
    "pole": "pole_id",
    "cpms_eo": "cpms_eo_id",
}


def organisation_for(party: str, dossier) -> int | None:
    """None for the parents (addressed through their personal link)."""
    attr = PARTY_ATTR.get(party)
    return getattr(dossier, attr) if attr else None
