"""engine.specs.loader and ProcessLibrary: the shipped processes load; every kind of bad diagram is
refused with one SpecError naming the file, the element and the line; versions are stored once per
content hash and an instance started on an old version still loads and runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.errors import SpecError
from engine.models import SpecVersion
from engine.specs import serializer
from engine.specs.loader import build_definitions, load_library, read_files
from engine.specs.registry import ProcessLibrary

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "mise_en_place.bpmn"
BPMN_PATH = f"processes/{BPMN}"
FILES = read_files(PROCESSES)

USER_TASKS = {
    "avis_cc_es", "avis_cpms_es", "avis_parents", "choisir_ecole", "reponse_eo", "rediger_projet",
    "projet_cc_es", "projet_cc_eo", "accord_projet_eo", "accord_projet_pole",
    "accord_projet_parents", "rediger_protocole", "signer_protocole_eo", "signer_protocole_pole",
    "signer_protocole_parents", "declarer_protocole", "attestation_fwb",
    "proposition_autre_communaute", "declarer_changement",
}  # fmt: skip


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of `needle` in `text`."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def variant(old: str, new: str, file: str = BPMN) -> dict[str, str]:
    """The real files with `old` replaced (once, and it must be there) by `new` in `file`."""
    assert FILES[file].count(old) >= 1, f"{old!r} not in {file}"
    files = dict(FILES)
    files[file] = files[file].replace(old, new, 1)
    return files


def refused(files: dict[str, str]) -> SpecError:
    with pytest.raises(SpecError) as info:
        build_definitions(files)
    return info.value


def assert_located(err: SpecError, file: str, element: str, line: int) -> None:
    """The error names file, element and line, both in its context and in its message."""
    assert err.context["file"] == file
    assert err.context["line"] == line
    assert err.context["element"] is not None
    assert err.context["element"].split(" ")[0] == element
    assert file in err.message
    assert f"« {element}" in err.message
    assert f"ligne {line}" in err.message


# --- the shipped processes --------------------------------------------------------------------


def test_shipped_processes_load():
    library = load_library(PROCESSES)
    assert set(library) == {"mise_en_place", "arret_ipt", "prolongation_ipt"}
    definition = library["mise_en_place"]
    assert set(definition.user_tasks) == USER_TASKS
    used = set().union(*(d.files for d in library.values()))
    assert used == set(FILES)  # every shipped file is used by a process
    forms = set().union(*(d.forms.keys() for d in library.values()))
    assert forms == {n.removeprefix("forms/") for n in FILES if "forms/" in n}
    for info in definition.user_tasks.values():
        assert info.lane in definition.lanes
        assert info.form_file in definition.forms
    assert definition.user_tasks["avis_parents"].party == "parents"
    assert definition.user_tasks["avis_cc_es"].roles == ("direction", "delegue")
    assert definition.lines["avis_parents"] == line_of(FILES[BPMN], 'id="avis_parents"')


def test_build_definitions_matches_load_library():
    assert (
        build_definitions(FILES)["mise_en_place"].content_hash
        == load_library(PROCESSES)["mise_en_place"].content_hash
    )


# --- bad diagrams -------------------------------------------------------------------------------


def test_malformed_xml_is_refused_with_file_element_and_line():
    text = FILES[BPMN]
    opening = '<bpmn:userTask id="avis_parents"'
    cut = text.index("\n", text.index(opening))  # the text stops inside that user task
    err = refused({**FILES, BPMN: text[:cut]})
    assert err.context["file"] == BPMN_PATH
    assert err.context["line"] == line_of(text, opening)
    assert BPMN_PATH in err.message
    assert "XML mal formé" in err.message
    # lxml names the unclosed element and its line; the loader has no id to give for broken XML
    assert f"tag userTask line {line_of(text, opening)}" in err.message
    assert f"ligne {line_of(text, opening)}" in err.message


def test_sequence_flow_to_missing_element_is_refused_in_our_words():
    err = refused(variant('targetRef="fork_avis"', 'targetRef="nulle_part"'))
    assert_located(err, BPMN_PATH, "f_eligible", line_of(FILES[BPMN], 'id="f_eligible"'))
    assert "nulle_part" in err.message
    assert "found two items" not in err.message


def test_user_task_with_unknown_form_is_refused():
    err = refused(variant('value="avis_parents.json"', 'value="inconnu.json"'))
    assert_located(err, BPMN_PATH, "avis_parents", line_of(FILES[BPMN], 'id="avis_parents"'))
    assert "inconnu.json" in err.message


def test_user_task_in_lane_missing_from_lanes_yaml_is_refused():
    files = variant("        <bpmn:flowNodeRef>avis_parents</bpmn:flowNodeRef>\n", "")
    files[BPMN] = files[BPMN].replace(
        "    </bpmn:laneSet>",
        '      <bpmn:lane id="Lane_Tuteurs" name="Tuteurs">\n'
        "        <bpmn:flowNodeRef>avis_parents</bpmn:flowNodeRef>\n"
        "      </bpmn:lane>\n"
        "    </bpmn:laneSet>",
        1,
    )
    err = refused(files)
    assert_located(err, BPMN_PATH, "avis_parents", line_of(files[BPMN], 'id="avis_parents"'))
    assert "Tuteurs" in err.message
    assert "lanes.yaml" in err.message


def test_user_task_without_record_property_is_refused():
    old = (
        '<spiffworkflow:property name="record" value="avis" />\n'
        '          <spiffworkflow:property name="party" value="parents" />'
    )
    err = refused(variant(old, '<spiffworkflow:property name="party" value="parents" />'))
    assert_located(err, BPMN_PATH, "avis_parents", line_of(FILES[BPMN], 'id="avis_parents"'))
    assert "« record »" in err.message


def test_script_task_with_import_is_refused_at_load():
    err = refused(variant("<bpmn:script># R-ELIG-1", "<bpmn:script>import os\n# R-ELIG-1"))
    line = line_of(FILES[BPMN], 'id="calculer_eligibilite"')
    assert_located(err, BPMN_PATH, "calculer_eligibilite", line)
    assert "import" in err.message


def test_gateway_condition_with_dunder_import_is_refused():
    err = refused(
        variant(
            "<bpmn:conditionExpression>eligible == True<",
            "<bpmn:conditionExpression>__import__('os').system('id') and eligible == True<",
        )
    )
    assert_located(err, BPMN_PATH, "gw_eligible", line_of(FILES[BPMN], 'id="gw_eligible"'))
    assert "__import__" in err.message


def test_unknown_attribute_is_refused_by_the_xsd_validator():
    err = refused(
        variant(
            '<bpmn:userTask id="avis_parents"', '<bpmn:userTask id="avis_parents" couleur="rouge"'
        )
    )
    assert_located(err, BPMN_PATH, "avis_parents", line_of(FILES[BPMN], 'id="avis_parents"'))
    assert "couleur" in err.message


def test_business_rule_task_with_unknown_decision_is_refused():
    err = refused(
        variant(
            "<spiffworkflow:calledDecisionId>decision_proposition<",
            "<spiffworkflow:calledDecisionId>decision_inconnue<",
        )
    )
    line = line_of(FILES[BPMN], 'id="decider_proposition"')
    assert_located(err, BPMN_PATH, "decider_proposition", line)
    assert "decision_inconnue" in err.message


def test_R_PROP_3_dmn_cell_with_dunder_attribute_is_refused_in_the_dmn_file():
    dmn = "decision_proposition.dmn"
    cell = '<inputEntry id="decision_proposition_r1_i0"><text>"favorable"</text>'
    err = refused(variant(cell, cell.replace('"favorable"', "avis_parents.__class__"), file=dmn))
    line = line_of(FILES[dmn], 'id="decision_proposition_r1_i0"')
    assert_located(err, f"processes/{dmn}", "decision_proposition_r1_i0", line)
    assert "__class__" in err.message
    assert "decider_proposition" in err.message  # and says which task calls the table


# --- content hash and stored versions -----------------------------------------------------------


def test_content_hash_is_stable_for_the_same_files():
    first = build_definitions(dict(FILES))["mise_en_place"].content_hash
    again = build_definitions(dict(FILES))["mise_en_place"].content_hash
    assert first == again
    assert len(first) == 64


def test_content_hash_changes_when_a_form_changes():
    before = build_definitions(FILES)["mise_en_place"].content_hash
    files = variant(
        '"title": "Avis des parents sur la proposition"',
        '"title": "Avis des parents sur la proposition d\'intégration"',
        file="forms/avis_parents.json",
    )
    after = build_definitions(files)["mise_en_place"].content_hash
    assert after != before


def _count_versions(session) -> int:
    return session.scalar(select(func.count()).select_from(SpecVersion))


def test_store_versions_twice_stores_one_row(db_session):
    library = ProcessLibrary(PROCESSES)
    first = library.store_versions(db_session)
    db_session.commit()
    second = library.store_versions(db_session)
    db_session.commit()
    third = ProcessLibrary(PROCESSES).store_versions(db_session)  # a restart, same files
    db_session.commit()
    assert first == second == third
    assert _count_versions(db_session) == 3  # one per process
    row = db_session.get(SpecVersion, first["mise_en_place"])
    assert row.content_hash == library.current["mise_en_place"].content_hash
    assert row.files == library.current["mise_en_place"].files


SEED = {
    "in_es": True,
    "attending_since": "2024-09-02",
    "target_year": 2026,
    "previous_ipt_end": None,
    "changement_partenaire": False,
}
V1_NAME = "Avis des parents sur la proposition"
V2_NAME = "Avis des parents sur la proposition (v2)"


def _ready(workflow) -> dict[str, object]:
    return {t.task_spec.bpmn_id: t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def _give_avis(task, data_key, avis="favorable"):
    task.data[data_key] = {"date_avis": "2026-03-12", "avis": avis}
    task.run()


def test_changed_diagram_is_a_second_version_and_v1_instances_continue(db_session, tmp_path):
    directory = tmp_path / "processes"
    shutil.copytree(PROCESSES, directory)

    v1_library = ProcessLibrary(directory)
    v1 = v1_library.store_versions(db_session)["mise_en_place"]
    db_session.commit()
    v1_definition = v1_library.current["mise_en_place"]

    # an instance starts on v1 and waits for the three avis (R-PROP-2)
    workflow = serializer.new_workflow(v1_definition)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(SEED)
    workflow.do_engine_steps()
    ready = _ready(workflow)
    assert set(ready) == {"avis_cc_es", "avis_cpms_es", "avis_parents"}
    _give_avis(ready["avis_cc_es"], "avis_cc_es")
    workflow.do_engine_steps()
    state = serializer.dumps(workflow)
    assert '"spec"' not in state  # state only: the spec comes from the stored version

    # the diagram changes; the product restarts with v2 current
    bpmn = directory / BPMN
    text = bpmn.read_text(encoding="utf-8")
    assert text.count(f'name="{V1_NAME}"') == 1
    bpmn.write_text(text.replace(f'name="{V1_NAME}"', f'name="{V2_NAME}"'), encoding="utf-8")
    v2_library = ProcessLibrary(directory)
    v2 = v2_library.store_versions(db_session)["mise_en_place"]
    db_session.commit()
    assert v2 != v1
    assert _count_versions(db_session) == 4  # only mise_en_place changed
    assert v2_library.current_version_id("mise_en_place") == v2
    assert v2_library.current["mise_en_place"].user_tasks["avis_parents"].name == V2_NAME

    # v1 is rebuilt from its stored files (not from the directory, not from a cache)
    rebuilt = v2_library.for_version(db_session, v1)
    assert rebuilt is not v1_definition
    assert rebuilt.content_hash == v1_definition.content_hash
    assert rebuilt.user_tasks["avis_parents"].name == V1_NAME
    assert v2_library.for_version(db_session, v1) is rebuilt  # then cached

    # the v1 instance loads on the rebuilt v1 spec and carries on to the next stage
    workflow = serializer.loads(state, rebuilt)
    ready = _ready(workflow)
    assert set(ready) == {"avis_cpms_es", "avis_parents"}
    assert ready["avis_parents"].task_spec.bpmn_name == V1_NAME
    _give_avis(ready["avis_cpms_es"], "avis_cpms_es", "defavorable")
    _give_avis(ready["avis_parents"], "avis_parents")
    workflow.do_engine_steps()
    workflow = serializer.loads(serializer.dumps(workflow), rebuilt)
    assert set(_ready(workflow)) == {"choisir_ecole"}
    done = {t.task_spec.bpmn_id: t for t in workflow.get_tasks(state=TaskState.COMPLETED)}
    assert done["decider_proposition"].data["proposition_acceptee"] is True
    assert done["verifier_eligibilite"].data["eligibility_rule"] == "R-ELIG-1"
