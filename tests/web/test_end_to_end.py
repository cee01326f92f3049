"""Case c of the issue, through HTTP only, one user per partner: proposition by the parents,
CPMS ES against (not binding, R-PROP-3/4), a first EO school declines (R-PROJ-2), a second
accepts, projet, annex-4 accords, protocole, signatures → « IPT en place »."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import OutboxMessage
from tests.web.conftest import Browser
from tests.web.helpers import complete, open_dossier

DAY = "2026-01-12"
YES = {"avis": "favorable"}


def _parent(app, db, dossier) -> Browser:
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.dossier_id == dossier.id))
    parent = Browser(app.test_client())
    assert parent.get(msg.payload["url"].replace("http://ipt.test", "")).status_code == 302
    return parent


def test_case_c_through_http(app, as_partner, db):
    es = as_partner("direction.es@demo.ipt")
    cpms_es = as_partner("cpms.es@demo.ipt")
    eo_fond = as_partner("direction.eo.fondamental@demo.ipt")
    eo_sec = as_partner("direction.eo.secondaire@demo.ipt")
    coord = as_partner("coordination.pole@demo.ipt")
    pole = as_partner("direction.pole@demo.ipt")

    dossier = open_dossier(es, db, initiator="parents")
    d = dossier.id
    parent = _parent(app, db, dossier)

    # Proposition (annex 1)
    complete(es, db, d, "avis_cc_es", {"date_reunion": DAY, **YES})
    complete(
        cpms_es,
        db,
        d,
        "avis_cpms_es",
        {
            "date_avis": DAY,
            "avis": "defavorable",
            "justification": "Le CPMS estime l'intégration prématurée (R-PROP-4).",
        },
    )
    complete(parent, db, d, "avis_parents", {"date_avis": DAY, **YES})
    assert "Recherche d&#39;une école partenaire" in es.get(f"/dossiers/{d}").get_data(as_text=True)

    # Partner search: 2001 declines, 2002 accepts (R-PROP-5, R-PROJ-2)
    choice = {"accord_parents": "oui", "date_demande": DAY}
    complete(es, db, d, "choisir_ecole", {"ecole_eo": "2001", **choice})
    complete(
        eo_fond,
        db,
        d,
        "reponse_eo",
        {
            "reponse": "refuse",
            "date_reponse": DAY,
            "concertation_pole": "oui",
            "motif": "Classe complète.",
        },
    )
    complete(es, db, d, "choisir_ecole", {"ecole_eo": "2002", **choice})
    complete(
        eo_sec,
        db,
        d,
        "reponse_eo",
        {"reponse": "accepte", "date_reponse": DAY, "concertation_pole": "oui"},
    )

    # Projet: drafted by the pôle, co-proposers agree, then annex-4 accords
    complete(
        coord,
        db,
        d,
        "rediger_projet",
        {
            "date_concertation": DAY,
            "besoins_eleve": "Soutien en lecture.",
            "objectifs": "Suivre le programme de la classe.",
            "amenagements": "Temps supplémentaire.",
        },
    )
    complete(es, db, d, "projet_cc_es", {"date_avis": DAY, **YES})
    complete(eo_sec, db, d, "projet_cc_eo", {"date_avis": DAY, **YES})
    complete(eo_sec, db, d, "accord_projet_eo", {"date_accord": DAY, **YES})
    complete(pole, db, d, "accord_projet_pole", {"date_accord": DAY, **YES})
    complete(parent, db, d, "accord_projet_parents", {"date_accord": DAY, **YES})

    # Protocole: drafted, then signed by EO, pôle, parents; declared by the pôle
    text = "À préciser avec l'équipe."
    complete(
        coord,
        db,
        d,
        "rediger_protocole",
        {
            "synthese_dossier": text,
            "objectifs_integration": text,
            "modalites_concertation": text,
            "modalites_accompagnement": text,
            "personnel_accompagnant": "M. Wauters, logopède",
            "modalites_evaluation": text,
            "regles_frequentation": text,
            "avis_cpms_eo_requis": "non",
        },
    )
    complete(eo_sec, db, d, "signer_protocole_eo", {"date_accord": DAY, **YES})
    complete(pole, db, d, "signer_protocole_pole", {"date_accord": DAY, **YES})
    complete(parent, db, d, "signer_protocole_parents", {"date_accord": DAY, **YES})
    complete(
        coord, db, d, "declarer_protocole", {"date_declaration": DAY, "declaration_honneur": "oui"}
    )

    page = es.get(f"/dossiers/{d}").get_data(as_text=True)
    assert "IPT en place" in page
    assert "<strong>31/08/2026</strong>" in page  # first day of the next school year (2026-2027)
    assert "Athénée royal de la Vallée" in page and "Pôle territorial de la Vallée" in page
    assert "Classe complète." in page  # the declined request, with its reason
    assert "R-PROT-3" in page and "prématurée (R-PROP-4)" in page  # CPMS ES avis attached
    assert "Aucune tâche en attente." in page
    parent_page = parent.get("/parent").get_data(as_text=True)
    assert "31/08/2026" in parent_page
