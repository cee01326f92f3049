"""Annexes 1–8 generated for a realistic dossier: every field of ANNEXES.md with its value,
the official titles verbatim, the electronic accords beside the signature lines (§8)."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import zipfile

import pytest

from engine.documents import annexes, attachments, checklist, export
from tests.engine.documents import files


def has(text: str, *pieces: str) -> None:
    for piece in pieces:
        assert piece in text, f"« {piece} » missing from:\n{text}"


def test_each_annex_carries_its_official_title(full_file):
    assert sorted(full_file.texts) == [1, 2, 3, 4, 5, 6, 7, 8]
    for n, title in annexes.TITLES.items():
        has(full_file.texts[n], f"Annexe {n} — {title}")
    has(
        full_file.texts[1], "INTEGRATION PERMANENTE TOTALE Proposition d’IPT : Avis des partenaires"
    )
    has(full_file.texts[2], "Déclaration du protocole IPT – PREMIERE IPT")
    has(full_file.texts[3], "Déclaration du protocole IPT – PROLONGATION D’IPT")
    has(full_file.texts[4], "Projet de première intégration permanente totale - IPT")
    has(full_file.texts[5], "Protocole de 1ère IPT")
    has(full_file.texts[6], "Tableau synoptique de l’évolution de l’IPT")
    has(full_file.texts[7], "Avis du CC/équipe éducative quant à la prolongation de l’IPT")
    has(full_file.texts[8], "Bilan de l’IPT : PDF d’arrêt")


def test_annex_1_the_partners_avis_on_the_proposition_R_PROP_2(full_file):
    t = full_file.texts[1]
    has(
        t,
        "NOM et prénom de l’élève concerné LAMBERT Emma",
        "Numéro CF de l’élève concerné CF-2016-0042",
        "FASE de l’école 1001",
        "concernée par la proposition d’IPT 04/09/2023",
        # the ES class council, the parents (name, capacity), the CPMS ES (its direction)
        "Anne Dupont, Direction — École d'enseignement spécialisé Les Tilleuls, le 15/01/2026 — avis favorable",
        "Claire Lambert — mère",
        "Claire Lambert, Responsable légal (mère), le 16/01/2026 — avis favorable",
        "La direction : Isabelle Dubois",
        "Date : 15/01/2026 Signature :",
        "Cachet :",
        "AVIS FAVORABLE (avis non contraignant) – AVIS DÉFAVORABLE (avis non contraignant)",
        "(biffer la mention inutile)",
    )


def test_annex_2_declaration_first_ipt_R_PROT_6(full_file):
    t = full_file.texts[2]
    has(
        t,
        "Année scolaire 2026-2027",
        "FASE du Pôle territorial en charge de l’accompagnement 3001",
        "Nom du Pôle territorial en charge de l’accompagnement Pôle territorial de la Vallée",
        "FASE de l’école ordinaire où est inscrit l’élève 2001",
        "Numéro CF CF-2016-0042",
        "Nom Lambert",
        "Prénom Emma",
        "FASE de l’école d’enseignement spécialisé dont est issu l’élève 1001",
        "Nom de l’école d’enseignement spécialisé dont est issu l’élève École d'enseignement spécialisé Les Tilleuls",
        "Date d’inscription dans l’enseignement spécialisé 04/09/2023",
        "Date d’entrée en IPT 31/08/2026",
        "Type d’enseignement spécialisé (si type 4, 6 ou 7) 6",
        "pour l’année scolaire en cours 31/08/2026",
        "Je soussigné(e), Thomas Wauters en qualité de direction de l’école siège",
        "déclare sur l’honneur que l’ensemble des partenaires ont signé le protocole d’intégration",
        "Signature : Date : 12/02/2026",
        "Version préparée par l’application IPT",
        "e-pôles",
    )


def test_annex_3_declaration_of_the_prolongation_R_PROL_6(full_file):
    t = full_file.texts[3]
    has(
        t,
        "Année scolaire 2027-2028",
        "FASE du Pôle territorial en charge de l’accompagnement 3001",
        "Nom du Pôle territorial en charge de l’accompagnement Pôle territorial de la Vallée",
        "Numéro CF CF-2016-0042",
        "Nom Lambert",
        "Prénom Emma",
        "l’année scolaire précédente 3001 – Pôle territorial de la Vallée",
        "où était inscrit l’élève l’année précédente École communale du Centre",
        "Date d’inscription dans l’enseignement spécialisé 04/09/2023",
        "Date d’entrée en intégration permanente totale 31/08/2026",
        "Type d’enseignement spécialisé (si type 4, 6, ou 7) 6",
        "pour l’année en cours 30/08/2027",
        "où l’élève est régulièrement inscrit 2001",
        "où l’élève est régulièrement inscrit École communale du Centre",
        "Année d’étude 5e primaire",
        "déclare sur l’honneur",
        "Date : 09/05/2027",
    )


def test_annex_4_projet_accords_R_PROJ_3(full_file):
    t = full_file.texts[4]
    has(
        t,
        "NOM et prénom de l’élève concerné LAMBERT Emma",
        "Numéro CF de l’élève concerné CF-2016-0042",
        "Pôle territorial en charge de l’IPT Pôle territorial de la Vallée",
        "LES PARTENAIRES SUIVANTS MARQUENT LEUR ACCORD SUR LE PROJET",
        "Pour l’école d’enseignement ordinaire, le pouvoir organisateur ou la direction de l’école",
        "Philippe Jacobs, Direction — École communale du Centre, le 02/02/2026 — accord favorable",
        "Pour le pôle territorial, le pouvoir organisateur ou la direction de l’école",
        "Bernard Collignon, Direction — Pôle territorial de la Vallée, le 02/02/2026 — accord favorable",
        "Le responsable de l’élève (nom, prénom et qualité) ou l’élève s’il est majeur",
        "Claire Lambert, Responsable légal (mère), le 02/02/2026 — accord favorable",
        "Date : 02/02/2026 Signature :",
        "Cachet :",
        "Besoins.",
    )


def test_annex_5_protocol_content_R_PROT_5(full_file):
    t = full_file.texts[5]
    has(
        t,
        "NOM et prénom de l’élève concerné LAMBERT Emma",
        "Pôle territorial en charge de l’IPT Pôle territorial de la Vallée",
        "SYNTHÈSE DU DOSSIER DE L’ÉLÈVE Synthèse du dossier.",
        "QUE LE FAIT D’INTÉGRER L’ÉLÈVE DANS L’ENSEIGNEMENT ORDINAIRE) Objectifs.",
        "ÉQUIPEMENTS SPÉCIFIQUES NÉCESSAIRES À L’INTÉGRATION",
        "BESOINS EN MATIÈRE DE TRANSPORT, LE CAS ÉCHÉANT",
        "AVEC LES ÉQUIPES PMS Concertation mensuelle.",
        "SOUS LA SUPERVISION DU COORDONNATEUR DU PÔLE ET LA SEULE AUTORITÉ DE LA DIRECTION DE "
        "L’ÉCOLE SIÈGE DU PÔLE DONT IL RELÈVE) Accompagnement. Personnel accompagnant : Mme Leroy",
        "MODALITÉS D’ÉVALUATION INTERNE Bilan par période.",
        "RÈGLES DE PRÉSENCE ET REGISTRE Registre de présence.",
        "Avis favorable (avis non contraignant) du 15/01/2026, par Isabelle Dubois",  # R-PROT-3
        "le 10/02/2026 — accord favorable",
    )


def test_annex_6_synoptic_table_from_the_history(full_file):
    t = full_file.texts[6]
    has(
        t,
        "Ce document doit être inséré au protocole d’intégration.",
        "Pôle territorial en charge de l’IPT Pôle territorial de la Vallée",
        "NOM et Prénom de l’élève concerné LAMBERT Emma",
        "Date de naissance 14/03/2016",
        "Sexe Féminin",
        "Date d’inscription dans l’enseignement spécialisé 04/09/2023",
        "2026-2027 Oui — École communale du Centre, Pôle territorial de la Vallée",
        "2027-2028 Oui — École communale du Centre, Pôle territorial de la Vallée Autre raison (le 08/02/2028)",
    )


def test_annex_7_prolongation_avis_with_the_parents_block_R_PROL_4(full_file):
    t = full_file.texts[7]
    has(
        t,
        "Ecole coopérante concernée École communale du Centre",
        "Pôle concerné Pôle territorial de la Vallée",
        "N° FASE Pôle 3001",
        "Nom et prénom de l’élève LAMBERT Emma",
        "N° CF de l’élève CF-2016-0042",
        "Date de naissance 14/03/2016",
        "Année d’étude en cours 4e primaire",
        "Année d’étude prévue pour la rentrée prochaine 5e primaire",
        "En date du 05/05/2027",
        "en concertation avec le pôle territorial",
        "☒ un avis favorable ☐ un avis défavorable",
        "pour l’année scolaire 2027/2028",
        "Progrès constants en lecture.",
        "La Direction ou son représentant : signature, date et cachet de l’école",
        "Philippe Jacobs, Direction — École communale du Centre, le 05/05/2027 — avis favorable",
        "En date du 06/05/2027",
        "Accompagnement utile.",
        "Le coordonnateur ou son délégué : signature, date",
        "Thomas Wauters, Coordonnateur(trice) du pôle — Pôle territorial de la Vallée, le 06/05/2027",
        "COMPLÉTÉ ET SIGNÉ PAR LES PARENTS",
        "Claire Lambert, Responsable légal (mère), le 07/05/2027 — accord favorable",
    )


def test_annex_8_stop_record_R_ARRET_4(full_file):
    t = full_file.texts[8]
    has(
        t,
        "Année scolaire 2027-2028",
        "FASE du Pôle territorial en charge de l’accompagnement 3001",
        "Nom du Pôle territorial en charge de l’accompagnement Pôle territorial de la Vallée",
        "Numéro CF CF-2016-0042",
        "Nom Lambert",
        "Prénom Emma",
        "☐ Retour vers l'enseignement spécialisé",
        "☐ Obtention d'un certificat (CEB, CESS)",
        "☐ Inscription dans l'enseignement ordinaire sans accompagnement",
        "☐ Changement d'école coopérante au sein du même pôle",
        "☐ Changement de pôle",
        "☒ Autre raison (indication) : Déménagement à Namur",
        "MOTIVATION DE L’ARRÊT DE L’INTÉGRATION La famille déménage en cours d'année.",
        "LES PARTENAIRES MARQUENT LEUR ACCORD",
        "Le pôle territorial Pôle territorial de la Vallée — FASE : 3001 La Direction",
        "Bernard Collignon, Direction — Pôle territorial de la Vallée, le 08/02/2028 — accord favorable",
        "Ecole coopérante École communale du Centre — FASE : 2001 La Direction",
        "Philippe Jacobs, Direction — École communale du Centre, le 08/02/2028 — accord favorable",
        "Le responsable de l’élève (Nom, Prénom et Qualité) ou l’élève s’il est majeur",
        "Claire Lambert, Responsable légal (mère), le 08/02/2028 — accord favorable",
        "Justification : Nous déménageons.",
    )


def test_a_field_not_recorded_prints_as_a_visible_blank(full_file):
    """The protocol left 'matériel spécifique' and transport empty: blank lines, never 'None'."""
    from engine.documents import render

    doc = annexes.find(full_file.drv.s, full_file.dossier, 5)
    assert "materiel_specifique" not in doc.facts["protocole"]
    html = render.html(5, doc.facts, annexes.meta_for(doc, 5))
    section = html.split("Équipements spécifiques nécessaires")[1].split("</div>")[0]
    assert 'class="blank"' in section and "None" not in html


@pytest.mark.parametrize("annex", range(1, 9))
def test_page_one_renders_to_png(full_file, annex):
    """Only checks rendering succeeds (the page images were looked at by a person)."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is required: .ci/run installs it"
    src = full_file.tmp / f"annexe-{annex}.pdf"
    src.write_bytes(full_file.pdfs[annex])
    subprocess.run(
        [
            pdftoppm,
            "-r",
            "50",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(src),
            str(src.with_suffix("")),
        ],
        check=True,
        timeout=60,
    )
    png = src.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_done_the_file_complete_once_attachments_are_in_and_the_zip_holds_everything(full_file):
    """Proposition → prolongation → stop: eight annexes; once the attachments are uploaded the
    §8 checklist is complete; the inspection ZIP holds every PDF and attachment, indexed."""

    drv, d = full_file.drv, full_file.dossier
    pole = drv.user("coordination.pole@demo.ipt")
    assert not checklist.complete(checklist.rows(drv.s, d))
    uploads = [
        ("epoles_annexe_2", None),
        ("epoles_annexe_3", "2027-2028"),
        ("epoles_annexe_8", "2027-2028"),
        ("bilan_integration", "2026-2027"),
        ("attestation_frequentation_es", None),
        ("attestation_frequentation_eo", "2026-2027"),
        ("compte_rendu_concertation", "2026-2027"),
        ("compte_rendu_concertation", "2027-2028"),
        ("echelle_besoins", None),
        ("bilan_medical", None),
        ("attestation_orientation", None),
        ("protocole_justificatif", None),
    ]
    for kind, year in uploads:
        attachments.upload(
            drv.s,
            drv.runtime,
            pole,
            d.id,
            {"kind": kind, "school_year": year},
            f"{kind}.pdf",
            files.pdf_bytes(),
        )
    drv.s.commit()
    assert checklist.complete(checklist.rows(drv.s, d))
    name, data = export.export_zip(drv.s, drv.runtime, pole, d.id)
    drv.s.commit()
    z = zipfile.ZipFile(io.BytesIO(data))
    index = list(csv.reader(io.StringIO(z.read("index.csv").decode("utf-8-sig")), delimiter=";"))
    assert index[0] == ["fichier", "document", "date", "version", "sha256"]
    listed = {row[0]: row for row in index[1:]}
    annex_files = sorted(p for p in listed if p.startswith("annexes/"))
    assert [p.split("-annexe-")[1][0] for p in annex_files] == list("12345678")
    assert len([p for p in listed if p.startswith("pieces/")]) == len(uploads)
    for path, row in listed.items():
        assert hashlib.sha256(z.read(path)).hexdigest() == row[4]
    frozen = {doc.annex: doc.sha256 for doc in annexes.versions(drv.s, d.id)}
    for path in annex_files:
        n = int(path.split("-annexe-")[1][0])
        if n != 6:
            assert listed[path][4] == frozen[n]  # the ZIP holds the frozen PDFs themselves
    assert name == f"{d.reference}-dossier-eleve.zip"
