"""The DMN tables, exhaustively: for every combination of input values exactly one rule matches,
and its outputs are the rule's (R-ELIG-1, R-ELIG-2, R-PROP-3).

SpiffWorkflow's UNIQUE hit policy behaves like FIRST (it stops at the first match and never
reports an overlap) and a table with no matching rule gives no output and no error: both are
checked here. Each rule is tested with the library's own per-rule check (`DMNEngine`'s private
`__check_rule`) running in our restricted script environment, as at run time."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.specs.loader import build_definitions, read_files
from engine.specs.scripting import make_script_engine

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FILES = read_files(PROCESSES)
SCRIPT_ENGINE = make_script_engine()
AVIS = ("favorable", "defavorable")


def _decision_engine(files: dict[str, str], task_id: str) -> DMNEngine:
    """Parsed by the loader (SpiffBpmnParser + XSD validator): the business-rule task's engine."""
    spec = build_definitions(files)["mise_en_place"].spec
    return spec.task_specs[task_id].dmnEngine


def _task(data: dict) -> SimpleNamespace:
    """What DMNEngine reads of a task: its data and the workflow's script engine."""
    return SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))


def matching_rules(engine: DMNEngine, data: dict) -> list:
    task = _task(data)
    return [r for r in engine.decision_table.rules if engine._DMNEngine__check_rule(r, task)]


def decide(engine: DMNEngine, data: dict) -> dict:
    """The one matching rule's outputs; fails on no match or on an overlap."""
    rules = matching_rules(engine, data)
    assert len(rules) == 1, f"{data}: rules {[r.id for r in rules]} match (exactly one expected)"
    outputs = dict(rules[0].output_as_dict(_task(data)))
    assert outputs == engine.result(_task(data))  # what the library itself returns at run time
    return outputs


# --- R-ELIG-1, R-ELIG-2 -------------------------------------------------------------------------

ELIGIBILITY = _decision_engine(FILES, "verifier_eligibilite")
ELIG_COMBINATIONS = list(itertools.product((True, False), (True, False, None), (True, False)))


def test_eligibility_table_shape():
    table = ELIGIBILITY.decision_table
    assert table.id == "Table_eligibilite_ipt"
    assert table.hit_policy == "UNIQUE"
    assert [i.expression for i in table.inputs] == [
        "interruption_within_year",
        "bool(in_es)",
        "attending_since_oct15",
    ]
    assert [o.name for o in table.outputs] == ["eligible", "eligibility_rule", "eligibility_reason"]


@pytest.mark.parametrize(("reprise", "in_es", "since_oct15"), ELIG_COMBINATIONS)
def test_R_ELIG_1_R_ELIG_2_exactly_one_rule_and_expected_outcome(reprise, in_es, since_oct15):
    data = {
        "interruption_within_year": reprise,
        "in_es": in_es,
        "attending_since_oct15": since_oct15,
    }
    out = decide(ELIGIBILITY, data)
    if reprise:  # R-ELIG-2: resuming an IPT interrupted for at most a year
        assert out["eligible"] is True
        assert out["eligibility_rule"] == "R-ELIG-2"
    else:  # R-ELIG-1: enrolled in special education and attending since 15 October
        assert out["eligible"] is (bool(in_es) and since_oct15)
        assert out["eligibility_rule"] == "R-ELIG-1"
    assert out["eligibility_reason"].endswith(").")
    assert out["eligibility_rule"] in out["eligibility_reason"]


def test_R_ELIG_1_every_rule_is_reachable():
    hit = set()
    for reprise, in_es, since_oct15 in ELIG_COMBINATIONS:
        data = {
            "interruption_within_year": reprise,
            "in_es": in_es,
            "attending_since_oct15": since_oct15,
        }
        hit |= {r.id for r in matching_rules(ELIGIBILITY, data)}
    assert hit == {r.id for r in ELIGIBILITY.decision_table.rules}


# --- R-PROP-3 -----------------------------------------------------------------------------------

PROPOSITION = _decision_engine(FILES, "decider_proposition")
PROP_COMBINATIONS = list(itertools.product(AVIS, AVIS, AVIS))


def test_proposition_table_shape():
    table = PROPOSITION.decision_table
    assert table.hit_policy == "UNIQUE"
    assert [i.expression for i in table.inputs] == [
        'avis_cc_es["avis"]',
        'avis_parents["avis"]',
        'avis_cpms_es["avis"]',
    ]
    assert [o.name for o in table.outputs] == ["proposition_acceptee"]


@pytest.mark.parametrize(("cc_es", "parents", "cpms_es"), PROP_COMBINATIONS)
def test_R_PROP_3_accepted_iff_class_council_and_parents_favorable(cc_es, parents, cpms_es):
    data = {
        "avis_cc_es": {"avis": cc_es},
        "avis_parents": {"avis": parents},
        "avis_cpms_es": {"avis": cpms_es},
    }
    out = decide(PROPOSITION, data)
    assert out == {"proposition_acceptee": cc_es == parents == "favorable"}


@pytest.mark.parametrize(("cc_es", "parents"), list(itertools.product(AVIS, AVIS)))
def test_R_PROP_3_cpms_avis_is_not_binding(cc_es, parents):
    outcomes = {
        decide(
            PROPOSITION,
            {
                "avis_cc_es": {"avis": cc_es},
                "avis_parents": {"avis": parents},
                "avis_cpms_es": {"avis": cpms},
            },
        )["proposition_acceptee"]
        for cpms in AVIS
    }
    assert len(outcomes) == 1


def test_R_PROP_3_every_rule_is_reachable():
    hit = set()
    for cc_es, parents, cpms_es in PROP_COMBINATIONS:
        data = {
            "avis_cc_es": {"avis": cc_es},
            "avis_parents": {"avis": parents},
            "avis_cpms_es": {"avis": cpms_es},
        }
        hit |= {r.id for r in matching_rules(PROPOSITION, data)}
    assert hit == {r.id for r in PROPOSITION.decision_table.rules}


# --- R-PROP-6 -----------------------------------------------------------------------------------

PRIORITY = _decision_engine(FILES, "decider_priorite")
PRIO_COMBINATIONS = list(itertools.product((True, False), ("2026-03-20", None), (True, False)))


@pytest.mark.parametrize(("entering", "end", "in_time"), PRIO_COMBINATIONS)
def test_R_PROP_6_exactly_one_rule_and_expected_priority(entering, end, in_time):
    data = {"enters_first_secondary": entering, "enrolment_end": end, "accepted_in_time": in_time}
    out = decide(PRIORITY, data)
    if not entering:
        assert out["priorite_ipt"] is None and out["priorite_motif"] == ""
    elif end is None:
        assert out["priorite_ipt"] is None and "non configurée" in out["priorite_motif"]
    else:
        assert out["priorite_ipt"] is in_time
        assert "20/03/2026" in out["priorite_motif"] and "R-PROP-6" in out["priorite_motif"]


def test_R_PROP_6_every_rule_is_reachable():
    hit = set()
    for entering, end, in_time in PRIO_COMBINATIONS:
        data = {
            "enters_first_secondary": entering,
            "enrolment_end": end,
            "accepted_in_time": in_time,
        }
        hit |= {r.id for r in matching_rules(PRIORITY, data)}
    assert hit == {r.id for r in PRIORITY.decision_table.rules}


# --- the check itself is not vacuous ------------------------------------------------------------


def test_an_overlapping_table_is_caught_though_the_library_says_nothing():
    # r2 "conseil de classe défavorable" widened to any avis: it now overlaps r1
    dmn = "decision_proposition.dmn"
    cell = '<inputEntry id="decision_proposition_r2_i0"><text>"defavorable"</text>'
    assert FILES[dmn].count(cell) == 1
    files = {**FILES, dmn: FILES[dmn].replace(cell, cell.replace('"defavorable"', "-"))}
    engine = _decision_engine(files, "decider_proposition")
    data = {
        "avis_cc_es": {"avis": "favorable"},
        "avis_parents": {"avis": "favorable"},
        "avis_cpms_es": {"avis": "favorable"},
    }
    assert [r.id for r in matching_rules(engine, data)] == [
        "decision_proposition_r1",
        "decision_proposition_r2",
    ]
    assert engine.result(_task(data)) == {"proposition_acceptee": True}  # first wins, silently
    with pytest.raises(AssertionError, match="exactly one expected"):
        decide(engine, data)


def test_a_gap_in_a_table_is_caught_though_the_library_says_nothing():
    # without r3 ("parents défavorables") nothing matches a favorable council + unfavorable parents
    dmn = "decision_proposition.dmn"
    start = FILES[dmn].index('<rule id="decision_proposition_r3">')
    end = FILES[dmn].index("</rule>", start) + len("</rule>")
    engine = _decision_engine(
        {**FILES, dmn: FILES[dmn][:start] + FILES[dmn][end:]}, "decider_proposition"
    )
    data = {
        "avis_cc_es": {"avis": "favorable"},
        "avis_parents": {"avis": "defavorable"},
        "avis_cpms_es": {"avis": "favorable"},
    }
    assert matching_rules(engine, data) == []
    assert engine.result(_task(data)) == {}  # no output, no error
    with pytest.raises(AssertionError, match="exactly one expected"):
        decide(engine, data)
