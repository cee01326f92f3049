"""Form schemas of processes/forms and engine.tasks.forms: checking, choices, coercion, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import SpecError, ValidationFailed
from engine.tasks.forms import (
    check_form_schema,
    coerce_form_input,
    load_form,
    resolve_schema,
    validate_form,
)

FORMS_DIR = Path(__file__).resolve().parents[2] / "processes" / "forms"
FORM_FILES = sorted(p.name for p in FORMS_DIR.glob("*.json"))
BPMN = Path(__file__).resolve().parents[2] / "processes" / "mise_en_place.bpmn"

DAY = "2026-03-12"
LONG_TEXT = "x" * 5001

# One valid submission per form.
VALID = {
    "avis_conseil_classe_es.json": {"date_reunion": DAY, "avis": "favorable"},
    "avis_cpms_es.json": {"date_avis": DAY, "avis": "favorable"},
    "avis_parents.json": {"date_avis": DAY, "avis": "defavorable"},
    "choix_ecole_partenaire.json": {
        "ecole_eo": "eo-1",
        "accord_parents": True,
        "date_demande": DAY,
    },
    "reponse_ecole_ordinaire.json": {
        "reponse": "accepte",
        "date_reponse": DAY,
        "concertation_pole": True,
    },
    "projet.json": {
        "date_concertation": DAY,
        "besoins_eleve": "Besoins.",
        "objectifs": "Objectifs.",
        "amenagements": "Aménagements.",
    },
    "accord_coproposant.json": {"date_avis": DAY, "avis": "favorable"},
    "accord.json": {"date_accord": DAY, "avis": "favorable"},
    "accord_parents.json": {"date_accord": DAY, "avis": "favorable"},
    "protocole.json": {
        "synthese_dossier": "Synthèse.",
        "objectifs_integration": "Objectifs.",
        "modalites_concertation": "Concertation mensuelle.",
        "modalites_accompagnement": "Accompagnement.",
        "personnel_accompagnant": "Mme Dupont, logopède",
        "modalites_evaluation": "Évaluation trimestrielle.",
        "regles_frequentation": "Registre tenu par l'école ordinaire.",
        "avis_cpms_eo_requis": False,
    },
    "declaration_protocole.json": {"date_declaration": DAY, "declaration_honneur": True},
    "concertation_arret.json": {
        "date_concertation": DAY,
        "participants": "Direction, pôle, parents",
        "compte_rendu": "Compte rendu.",
    },
    "accord_arret.json": {"date_accord": DAY, "avis": "favorable", "justification": "Oui."},
    "accord_arret_parents.json": {
        "date_accord": DAY,
        "avis": "defavorable",
        "justification": "Non.",
    },
    "issue_concertation_arret.json": {
        "date_decision": DAY,
        "decision": "ipt_poursuivie",
        "positions": "Positions.",
    },
    "attestation_orientation.json": {
        "date_attestation": DAY,
        "type_enseignement": "type 8",
        "niveau": "primaire",
    },
    "reinscription_es.json": {"date_reinscription": DAY},
    "avis_equipe_educative.json": {
        "date_avis": DAY,
        "annee_etudes_actuelle": "3e primaire",
        "annee_etudes_prevue": "4e primaire",
        "avis": "favorable",
    },
    "avis_conseil_classe_eo.json": {
        "date_avis": DAY,
        "mode": "reunion",
        "annee_etudes_actuelle": "1re commune",
        "annee_etudes_prevue": "2e commune",
        "avis": "favorable",
    },
    "avis_pole_prolongation.json": {"date_avis": DAY, "avis": "favorable"},
    "attestation_fwb.json": {"date_attestation": DAY, "type_fwb": "2", "etabli_par": "CPMS"},
    "proposition_autre_communaute.json": {
        "ecole": "De Regenboog",
        "date_proposition": DAY,
        "conseil_classe_favorable": True,
        "parents_favorables": True,
    },
    "avis_cpms_eo_prolongation.json": {"date_avis": DAY, "avis": "defavorable"},
    "signature_parents_annexe7.json": {"date_accord": DAY, "avis": "favorable"},
    "declaration_prolongation.json": {"date_declaration": DAY, "declaration_honneur": True},
    "concertation_prolongation.json": {
        "date_decision": DAY,
        "decision": "retour_es",
        "positions": "Positions.",
    },
}

# (form, date field, choice field, long text field) for the generic bad-input tests.
DATE_FIELDS = {
    "avis_conseil_classe_es.json": "date_reunion",
    "avis_cpms_es.json": "date_avis",
    "avis_parents.json": "date_avis",
    "choix_ecole_partenaire.json": "date_demande",
    "reponse_ecole_ordinaire.json": "date_reponse",
    "projet.json": "date_concertation",
    "accord_coproposant.json": "date_avis",
    "accord.json": "date_accord",
    "accord_parents.json": "date_accord",
    "declaration_protocole.json": "date_declaration",
    "concertation_arret.json": "date_concertation",
    "accord_arret.json": "date_accord",
    "accord_arret_parents.json": "date_accord",
    "issue_concertation_arret.json": "date_decision",
    "attestation_orientation.json": "date_attestation",
    "reinscription_es.json": "date_reinscription",
    "avis_equipe_educative.json": "date_avis",
    "avis_conseil_classe_eo.json": "date_avis",
    "avis_pole_prolongation.json": "date_avis",
    "signature_parents_annexe7.json": "date_accord",
    "concertation_prolongation.json": "date_decision",
}
CHOICE_FIELDS = {
    "avis_conseil_classe_es.json": "avis",
    "avis_cpms_es.json": "avis",
    "avis_parents.json": "avis",
    "reponse_ecole_ordinaire.json": "reponse",
    "accord_coproposant.json": "avis",
    "accord.json": "avis",
    "accord_parents.json": "avis",
    "accord_arret.json": "avis",
    "accord_arret_parents.json": "avis",
    "issue_concertation_arret.json": "decision",
    "attestation_orientation.json": "niveau",
    "avis_conseil_classe_eo.json": "mode",
    "concertation_prolongation.json": "decision",
}
TEXT_FIELDS = {
    "avis_conseil_classe_es.json": "justification",
    "avis_cpms_es.json": "justification",
    "avis_parents.json": "commentaire",
    "choix_ecole_partenaire.json": "remarques",
    "reponse_ecole_ordinaire.json": "motif",
    "projet.json": "besoins_eleve",
    "accord_coproposant.json": "justification",
    "accord.json": "justification",
    "accord_parents.json": "justification",
    "protocole.json": "synthese_dossier",
    "concertation_arret.json": "compte_rendu",
    "accord_arret.json": "justification",
    "issue_concertation_arret.json": "positions",
    "reinscription_es.json": "remarques",
}
JUSTIFIED = {  # form → (date field) for the avis/justification forms
    "avis_conseil_classe_es.json": "date_reunion",
    "accord_coproposant.json": "date_avis",
    "accord.json": "date_accord",
    "accord_parents.json": "date_accord",
}


def form(name):
    return load_form(FORMS_DIR / name)


def errors_of(schema, data, **kw):
    with pytest.raises(ValidationFailed) as info:
        validate_form(schema, data, **kw)
    return info.value.errors


def walk_properties(schema):
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
        yield from walk_properties(prop)


# --------------------------------------------------------------------------- the form files


def test_every_form_of_the_diagram_exists():
    referenced = {
        line.split('value="')[1].split('"')[0]
        for line in BPMN.read_text(encoding="utf-8").splitlines()
        if "formJsonSchemaFilename" in line
    }
    assert referenced <= set(FORM_FILES)
    assert set(VALID) == set(FORM_FILES)


@pytest.mark.parametrize("name", FORM_FILES)
def test_form_file_passes_check(name):
    schema = form(name)
    check_form_schema(schema, name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    for prop_name, prop in walk_properties(schema):
        assert prop.get("title"), prop_name
        if prop.get("type") == "string":
            assert prop["maxLength"] in (10, 200, 5000), prop_name
        if prop.get("x-widget") == "textarea":
            assert prop["maxLength"] == 5000, prop_name


@pytest.mark.parametrize("name", FORM_FILES)
def test_valid_data_passes_and_is_returned_cleaned(name):
    schema = form(name)
    data = dict(VALID[name])
    assert validate_form(schema, data) == data


@pytest.mark.parametrize("name", FORM_FILES)
def test_missing_required_field(name):
    schema = form(name)
    for field in schema["required"]:
        data = dict(VALID[name])
        del data[field]
        errors = errors_of(schema, data)
        expected = (
            "Cette case doit être cochée."
            if schema["properties"][field].get("const") is True
            else "Ce champ est obligatoire."
        )
        assert errors == {field: expected}


@pytest.mark.parametrize("name", sorted(CHOICE_FIELDS))
def test_value_outside_choices(name):
    field = CHOICE_FIELDS[name]
    errors = errors_of(form(name), {**VALID[name], field: "peut-etre"})
    assert errors == {field: "Choisissez une des valeurs proposées."}


@pytest.mark.parametrize("bad_date", ["2026-02-30", "03/12/2026", "12/03/2026", "20260312"])
@pytest.mark.parametrize("name", sorted(DATE_FIELDS))
def test_malformed_date(name, bad_date):
    field = DATE_FIELDS[name]
    errors = errors_of(form(name), {**VALID[name], field: bad_date})
    assert errors == {field: "Date invalide : utilisez le format AAAA-MM-JJ."}


def test_leap_day_is_a_valid_date():
    schema = form("accord.json")
    assert validate_form(schema, {**VALID["accord.json"], "date_accord": "2028-02-29"})
    errors = errors_of(schema, {**VALID["accord.json"], "date_accord": "2027-02-29"})
    assert errors == {"date_accord": "Date invalide : utilisez le format AAAA-MM-JJ."}


@pytest.mark.parametrize("name", sorted(TEXT_FIELDS))
def test_oversized_text(name):
    field = TEXT_FIELDS[name]
    errors = errors_of(form(name), {**VALID[name], field: LONG_TEXT})
    assert errors == {field: "Texte trop long : 5000 caractères au maximum."}


def test_text_of_exactly_the_limit_passes():
    data = {**VALID["projet.json"], "objectifs": "é" * 5000}
    assert validate_form(form("projet.json"), data)["objectifs"] == "é" * 5000


def test_short_text_limit_is_the_schema_one():
    data = {**VALID["protocole.json"], "personnel_accompagnant": "x" * 201}
    errors = errors_of(form("protocole.json"), data)
    assert errors == {"personnel_accompagnant": "Texte trop long : 200 caractères au maximum."}


def test_max_text_length_applies_even_if_the_schema_allows_more():
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"texte": {"type": "string", "maxLength": 100000}},
    }
    errors = errors_of(schema, {"texte": "x" * 51}, max_text_length=50)
    assert errors == {"texte": "Texte trop long : 50 caractères au maximum."}


@pytest.mark.parametrize("name", FORM_FILES)
def test_unknown_field_is_refused(name):
    errors = errors_of(form(name), {**VALID[name], "pirate": "x"})
    assert errors == {"pirate": "Champ inconnu."}


def test_unknown_field_is_refused_even_without_additional_properties_false():
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}}
    assert errors_of(schema, {"a": "x", "b": "y"}) == {"b": "Champ inconnu."}


@pytest.mark.parametrize("name", sorted(JUSTIFIED))
def test_justification_required_when_defavorable(name):
    schema = form(name)
    data = {**VALID[name], "avis": "defavorable"}
    errors = errors_of(schema, data)
    assert errors == {
        "justification": "Une justification est obligatoire lorsque l'avis est défavorable."
    }
    assert validate_form(schema, {**data, "justification": "Parce que."})["justification"]


def test_R_PROP_4_cpms_es_must_motivate_a_defavorable_avis():
    schema = form("avis_cpms_es.json")
    assert "R-PROP-4" in schema["properties"]["justification"]["description"]
    assert "(avis non contraignant)" in schema["properties"]["avis"]["description"]
    data = {"date_avis": DAY, "avis": "defavorable"}
    assert errors_of(schema, data) == {
        "justification": "Une justification est obligatoire lorsque l'avis est défavorable."
    }
    # a blank justification counts as absent
    assert errors_of(schema, {**data, "justification": "   "}) == {
        "justification": "Une justification est obligatoire lorsque l'avis est défavorable."
    }
    ok = validate_form(schema, {**data, "justification": "  Élève pas prêt.  "})
    assert ok == {**data, "justification": "Élève pas prêt."}


def test_justification_is_optional_when_favorable():
    schema = form("avis_cpms_es.json")
    assert validate_form(schema, {"date_avis": DAY, "avis": "favorable"})


def test_parents_commentaire_is_optional_even_when_defavorable():
    assert validate_form(form("avis_parents.json"), {"date_avis": DAY, "avis": "defavorable"})


def test_motif_required_when_the_eo_school_refuses():
    schema = form("reponse_ecole_ordinaire.json")
    data = {**VALID["reponse_ecole_ordinaire.json"], "reponse": "refuse"}
    assert errors_of(schema, data) == {"motif": "Un motif est obligatoire en cas de refus."}
    assert validate_form(schema, {**data, "motif": "Classe complète."})["motif"]


def test_conditional_requirement_on_another_field_has_the_generic_message():
    schema = {
        "type": "object",
        "properties": {
            "transport": {"type": "boolean"},
            "trajet": {"type": "string", "maxLength": 200},
        },
        "allOf": [
            {
                "if": {"properties": {"transport": {"const": True}}, "required": ["transport"]},
                "then": {"required": ["trajet"]},
            }
        ],
    }
    assert errors_of(schema, {"transport": True}) == {
        "trajet": "Ce champ est obligatoire dans ce cas."
    }


def test_R_PROP_5_parents_must_agree_with_the_partner_school():
    schema = form("choix_ecole_partenaire.json")
    assert "R-PROP-5" in schema["properties"]["accord_parents"]["title"]
    data = {**VALID["choix_ecole_partenaire.json"], "accord_parents": False}
    assert errors_of(schema, data) == {"accord_parents": "Cette case doit être cochée."}


def test_declaration_on_honour_must_be_ticked():
    schema = form("declaration_protocole.json")
    data = {**VALID["declaration_protocole.json"], "declaration_honneur": False}
    assert errors_of(schema, data) == {"declaration_honneur": "Cette case doit être cochée."}
    assert validate_form(schema, {**VALID["declaration_protocole.json"], "encodage_epoles": True})


def test_boolean_given_as_text_is_refused():
    schema = form("reponse_ecole_ordinaire.json")
    data = {**VALID["reponse_ecole_ordinaire.json"], "concertation_pole": "peut-être"}
    assert errors_of(schema, data) == {"concertation_pole": "Répondez par oui ou par non."}


def test_protocole_optional_fields_and_r_prol_3_flag():
    schema = form("protocole.json")
    assert "R-PROL-3" in schema["properties"]["avis_cpms_eo_requis"]["title"]
    assert set(schema["required"]) == set(schema["properties"]) - {
        "materiel_specifique",
        "besoins_transport",
    }


def test_one_message_per_field_and_several_fields_at_once():
    schema = form("avis_cpms_es.json")
    errors = errors_of(schema, {"date_avis": "x" * 300, "avis": "x" * 300, "autre": 1})
    assert errors == {
        "date_avis": "Date invalide : utilisez le format AAAA-MM-JJ.",
        "avis": "Choisissez une des valeurs proposées.",
        "autre": "Champ inconnu.",
    }


def test_validation_failed_is_french():
    with pytest.raises(ValidationFailed) as info:
        validate_form(form("accord.json"), {})
    assert info.value.message == "Le formulaire contient des erreurs."


# --------------------------------------------------------------------------- choices


CHOICES = {"eo_schools": [("eo-1", "École communale de Jambes"), ("eo-2", "Athénée royal")]}


def test_resolve_schema_injects_choices_without_touching_the_original():
    schema = form("choix_ecole_partenaire.json")
    resolved = resolve_schema(schema, CHOICES)
    assert resolved["properties"]["ecole_eo"]["oneOf"] == [
        {"const": "eo-1", "title": "École communale de Jambes"},
        {"const": "eo-2", "title": "Athénée royal"},
    ]
    assert "oneOf" not in schema["properties"]["ecole_eo"]
    assert validate_form(resolved, VALID["choix_ecole_partenaire.json"])["ecole_eo"] == "eo-1"


def test_value_not_in_injected_choices_is_refused():
    resolved = resolve_schema(form("choix_ecole_partenaire.json"), CHOICES)
    data = {**VALID["choix_ecole_partenaire.json"], "ecole_eo": "eo-999"}
    assert errors_of(resolved, data) == {"ecole_eo": "Choisissez une des valeurs proposées."}


def test_missing_choice_list_accepts_nothing():
    resolved = resolve_schema(form("choix_ecole_partenaire.json"), {})
    assert resolved["properties"]["ecole_eo"]["oneOf"] == []
    errors = errors_of(resolved, VALID["choix_ecole_partenaire.json"])
    assert errors == {"ecole_eo": "Choisissez une des valeurs proposées."}


# --------------------------------------------------------------------------- HTML coercion


def test_coerce_form_input_conversions():
    schema = {
        "type": "object",
        "properties": {
            "oui_non": {"type": "boolean"},
            "vrai": {"type": "boolean"},
            "faux": {"type": "boolean"},
            "flou": {"type": "boolean"},
            "nombre": {"type": "integer"},
            "pas_nombre": {"type": "integer"},
            "texte": {"type": "string", "maxLength": 200},
            "vide": {"type": "string", "maxLength": 200},
            "blanc": {"type": "string", "maxLength": 200},
            "absent": {"type": "string", "maxLength": 200},
        },
    }
    formdata = {
        "oui_non": "Oui",
        "vrai": "true",
        "faux": "non",
        "flou": "peut-être",
        "nombre": " 42 ",
        "pas_nombre": "4,2",
        "texte": "  ligne 1\r\nligne 2  ",
        "vide": "",
        "blanc": "   ",
        "hors_schema": "x",
        "csrf_token": "abc",
    }
    assert coerce_form_input(schema, formdata) == {
        "oui_non": True,
        "vrai": True,
        "faux": False,
        "flou": "peut-être",
        "nombre": 42,
        "pas_nombre": "4,2",
        "texte": "ligne 1\nligne 2",
    }


def test_coerce_form_input_reads_a_multidict():
    from werkzeug.datastructures import MultiDict

    schema = form("reponse_ecole_ordinaire.json")
    formdata = MultiDict(
        [
            ("reponse", "refuse"),
            ("date_reponse", DAY),
            ("concertation_pole", "oui"),
            ("motif", ""),
        ]
    )
    data = coerce_form_input(schema, formdata)
    assert data == {"reponse": "refuse", "date_reponse": DAY, "concertation_pole": True}
    assert errors_of(schema, data) == {"motif": "Un motif est obligatoire en cas de refus."}


def test_coerced_unknown_boolean_fails_validation():
    schema = form("choix_ecole_partenaire.json")
    formdata = {"ecole_eo": "eo-1", "accord_parents": "d'accord", "date_demande": DAY}
    errors = errors_of(schema, coerce_form_input(schema, formdata))
    assert errors == {"accord_parents": "Répondez par oui ou par non."}


def test_coerced_non_is_refused_for_r_prop_5():
    schema = form("choix_ecole_partenaire.json")
    formdata = {"ecole_eo": "eo-1", "accord_parents": "non", "date_demande": DAY}
    errors = errors_of(schema, coerce_form_input(schema, formdata))
    assert errors == {"accord_parents": "Cette case doit être cochée."}


# --------------------------------------------------------------------------- bad form files


def test_malformed_json_is_a_spec_error_naming_the_file(tmp_path):
    bad = tmp_path / "casse.json"
    bad.write_text('{"type": "object", "properties": {', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_form(bad)
    assert "casse.json" in info.value.message
    assert "JSON mal formé" in info.value.message


def test_duplicate_key_is_refused(tmp_path):
    bad = tmp_path / "double.json"
    bad.write_text('{"type": "object", "type": "object", "properties": {}}', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_form(bad)
    assert "double.json" in info.value.message and "en double" in info.value.message


def test_invalid_schema_is_a_spec_error_naming_the_file(tmp_path):
    bad = tmp_path / "invalide.json"
    schema = {"type": "object", "properties": {"a": {"type": "chaine", "maxLength": 5}}}
    bad.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_form(bad)
    assert "invalide.json" in info.value.message
    assert "schéma JSON invalide" in info.value.message


def test_check_form_schema_names_the_file():
    with pytest.raises(SpecError) as info:
        check_form_schema({"type": "object", "properties": {"a": {"maxLength": -1}}}, "x.json")
    assert info.value.message.startswith("x.json : ")
    assert info.value.context["file"] == "x.json"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"nom": {"type": "string"}}},
        {"type": "object", "properties": {"nom": {"type": ["string", "null"]}}},
        {
            "type": "object",
            "properties": {
                "adresse": {"type": "object", "properties": {"rue": {"type": "string"}}}
            },
        },
    ],
)
def test_string_without_max_length_is_refused(schema):
    with pytest.raises(SpecError) as info:
        check_form_schema(schema, "sans_limite.json")
    assert "maxLength" in info.value.message and "sans_limite.json" in info.value.message


def test_form_must_be_an_object_schema():
    with pytest.raises(SpecError):
        check_form_schema([], "liste.json")
    with pytest.raises(SpecError):
        check_form_schema({"type": "string", "maxLength": 3}, "texte.json")
