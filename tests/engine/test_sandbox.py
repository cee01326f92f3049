"""engine.specs.scripting: diagram scripts, conditions and DMN cells run in a RestrictedPython
sandbox. Escapes are refused at compile time (ScriptError) or at run time; the helpers we expose
work; compiled code is cached; a script's variables reach task data, the helpers do not."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.clock import clock
from engine.errors import ScriptError, SpecError
from engine.specs import serializer
from engine.specs.loader import build_definitions
from engine.specs.scripting import (
    HELPERS,
    MAX_RANGE,
    RestrictedEnvironment,
    check_source,
    compile_eval,
    compile_exec,
)


@pytest.fixture
def env():
    return RestrictedEnvironment()


# --- escapes ------------------------------------------------------------------------------------

COMPILE_TIME_EXPRESSIONS = {
    "dunder_import": "__import__('os')",
    "subclasses_walk": "().__class__.__base__.__subclasses__()",
    "dunder_attribute": "x.__globals__",
    "lambda": "lambda: 1",
    "eval": "eval('1')",
    "exec": "exec('x=1')",
}


@pytest.mark.parametrize(
    "expression", COMPILE_TIME_EXPRESSIONS.values(), ids=COMPILE_TIME_EXPRESSIONS
)
def test_expression_refused_at_compile_time(env, expression):
    with pytest.raises(ScriptError):
        compile_eval(expression)
    with pytest.raises(ScriptError):
        env.evaluate(expression, {"x": 1})


COMPILE_TIME_SCRIPTS = {
    "import": "import os",
    "from_import": "from os import system",
    "while": "while True: pass",
    "def": "def f(): ...",
    "lambda": "f = lambda: 1",
    "class": "class A: pass",
    "dunder_import": "m = __import__('os')",
    "eval": "y = eval('1')",
    "exec": "exec('x=1')",
    "traceback": "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__",
}


@pytest.mark.parametrize("script", COMPILE_TIME_SCRIPTS.values(), ids=COMPILE_TIME_SCRIPTS)
def test_script_refused_at_compile_time(env, script):
    with pytest.raises(ScriptError):
        compile_exec(script)
    context = {}
    with pytest.raises(ScriptError):
        env.execute(script, context)
    assert context == {}


def test_check_source_gives_a_french_reason():
    with pytest.raises(ScriptError, match="imports sont interdits"):
        check_source("import os", "exec")
    with pytest.raises(ScriptError, match="while"):
        check_source("while True: pass", "exec")
    with pytest.raises(ScriptError, match="fonctions lambda"):
        check_source("lambda: 1", "eval")
    with pytest.raises(ScriptError, match="nom interdit « __import__ »"):
        check_source("__import__('os')", "eval")
    with pytest.raises(ScriptError, match="syntaxe"):
        check_source("x = ", "exec")


# Not in the sandbox's builtins: compiles, fails when run.
@pytest.mark.parametrize(
    "expression",
    ["open('/etc/passwd')", "getattr(x, '__globals__')", "globals()", "vars()", "type(x)"],
)
def test_unavailable_builtin_refused_at_run_time(env, expression):
    compile_eval(expression)
    with pytest.raises(NameError):
        env.evaluate(expression, {"x": lambda: 0})


def test_format_string_attribute_access_refused(env):
    with pytest.raises(NotImplementedError):
        env.evaluate("'{0.__class__}'.format(1)", {})
    with pytest.raises(NotImplementedError):
        env.evaluate("'{0.__class__.__base__}'.format_map({})", {})


def test_range_is_capped(env):
    with pytest.raises(ScriptError, match="range"):
        env.evaluate("range(10**9)", {})
    with pytest.raises(ScriptError, match="range"):
        env.execute(f"for i in range({MAX_RANGE + 1}): pass", {})
    assert env.evaluate(f"len(range({MAX_RANGE}))", {}) == MAX_RANGE


def test_module_objects_are_unreachable_from_helpers(env):
    # helpers are plain functions: their globals (which hold modules) are behind `__globals__`
    with pytest.raises(ScriptError):
        env.evaluate("today.__globals__", {})
    with pytest.raises(NameError):
        env.evaluate("getattr(today, '__globals__')", {})


# --- what is allowed ----------------------------------------------------------------------------


def test_today_is_the_product_clock(env):
    clock.set_today(dt.date(2026, 1, 12))
    assert env.evaluate("today()", {}) == "2026-01-12"


def test_date_helpers(env):
    assert env.evaluate("date('2026-01-12')", {}) == dt.date(2026, 1, 12)
    assert env.evaluate("date('2026-01-12T10:00:00')", {}) == dt.date(2026, 1, 12)
    assert env.evaluate("date(None)", {}) is None
    assert env.evaluate("october_15(2025)", {}) == "2025-10-15"
    assert env.evaluate("add_years('2024-02-29', 1)", {}) == dt.date(2025, 2, 28)
    assert env.evaluate("add_years('2024-03-01', 1)", {}) == dt.date(2025, 3, 1)
    assert env.evaluate("first_day_of_school_year(2025)", {}) == "2025-08-25"
    assert env.evaluate("school_year_of('2026-01-12')", {}) == 2025


def test_plain_python_works(env):
    context = {"avis": {"avis": "favorable"}, "items": [3, 1, 2]}
    assert env.evaluate('avis["avis"] == "favorable"', context) is True
    assert env.evaluate("sorted(items)[0] + max(items)", context) == 4
    assert env.evaluate("f'{len(items)} avis'", context) == "3 avis"
    env.execute("total = 0\nfor i in items:\n    total += i\na, b = items[:2]", context)
    assert (context["total"], context["a"], context["b"]) == (6, 3, 1)


def test_augmented_assignment_and_star_arguments_run(env):
    # RestrictedPython compiles these to `_inplacevar_` / `_apply_` calls: the sandbox provides them
    context = {"items": [3, 1, 2], "opts": {"default": 0}}
    env.execute(
        "n = 10\nn -= 4\nn *= 2\nn //= 5\nword = 'a'\nword += 'b'\n"
        "top = max(*items)\nnothing = max([], **opts)",
        context,
    )
    assert (context["n"], context["word"]) == (2, "ab")
    assert (context["top"], context["nothing"]) == (3, 0)
    with pytest.raises(ScriptError):
        compile_exec("items[0] += 1")  # augmented assignment of items stays refused


# --- caching ------------------------------------------------------------------------------------


def test_compiled_code_is_cached():
    expression = "cache_probe_a + 1"
    assert compile_eval(expression) is compile_eval(expression)
    script = "cache_probe_b = 1"
    assert compile_exec(script) is compile_exec(script)
    assert compile_eval("cache_probe_a + 2") is not compile_eval(expression)


def test_environment_uses_the_cache(env):
    expression = "cache_probe_c * 2"
    env.evaluate(expression, {"cache_probe_c": 1})
    hits = compile_eval.cache_info().hits
    assert env.evaluate(expression, {"cache_probe_c": 21}) == 42
    assert compile_eval.cache_info().hits == hits + 1


# --- task data ----------------------------------------------------------------------------------


def test_execute_keeps_variables_and_drops_helpers(env):
    context = {"a": 2}
    env.execute("b = a * 3\nlabel = school_year_label(2025)\nday = october_15(2025)", context)
    assert context == {"a": 2, "b": 6, "label": context["label"], "day": "2025-10-15"}
    assert isinstance(context["label"], str) and "2025" in context["label"]
    for name in [*HELPERS, "__builtins__", "_getattr_", "_getitem_", "_write_", "_inplacevar_"]:
        assert name not in context


def _tiny_bpmn(script: str) -> str:
    script = script.replace("&", "&amp;").replace("<", "&lt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_tiny" targetNamespace="http://ipt.fwb.be/bpmn">
  <bpmn:process id="tiny" name="Tiny" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute" name="Compute">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _tiny_files(script: str) -> dict[str, str]:
    return {"lanes.yaml": "lanes: {}\n", "tiny.bpmn": _tiny_bpmn(script)}


def test_script_task_variables_land_in_task_data_helpers_do_not():
    clock.set_today(dt.date(2026, 1, 12))
    definition = build_definitions(_tiny_files(
        "total = a + b\n"
        "asked_on = today()\n"
        "deadline = add_years(asked_on, 1).isoformat()\n"
        "late = date(asked_on) > date(october_15(2025))"
    ))["tiny"]  # fmt: skip
    workflow = serializer.new_workflow(definition)
    workflow.get_tasks(state=TaskState.READY)[0].data.update({"a": 1, "b": 2})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    compute = workflow.get_tasks(spec_name="compute")[0]
    assert compute.data == {
        "a": 1, "b": 2, "total": 3, "asked_on": "2026-01-12", "deadline": "2027-01-12",
        "late": True,
    }  # fmt: skip
    # nothing un-serializable leaked into the data: the instance round-trips
    restored = serializer.loads(serializer.dumps(workflow), definition)
    assert restored.get_tasks(spec_name="compute")[0].data == compute.data


def test_script_task_import_refused_at_load():
    with pytest.raises(SpecError, match="imports sont interdits") as info:
        build_definitions(_tiny_files("import os\nx = os.getcwd()"))
    assert info.value.context["element"].startswith("compute")


@pytest.mark.parametrize(
    "script",
    ["import os", "x = ().__class__.__base__.__subclasses__()", "x = open('/etc/passwd')"],
    ids=["import", "subclasses", "open"],
)
def test_script_task_escape_refused_at_run_time_even_without_the_loader(script):
    """A spec that never went through the loader still runs in the sandbox."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(etree.fromstring(_tiny_bpmn(script).encode()), filename="tiny.bpmn")
    spec = parser.get_spec("tiny")

    class Definition:
        pass

    definition = Definition()
    definition.spec, definition.subprocess_specs = spec, {}
    workflow = serializer.new_workflow(definition)
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert info.value.error_type in {"ScriptError", "NameError"}
    assert not workflow.is_completed()


# --- bounded work: RestrictedPython itself has no CPU or memory limit ---------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "10 ** 10 ** 10",
        "'x' * 10 ** 10",
        "'x' * 1000 * 1000",
        "[0] * 1000 * 1000",
        "1 << 100000",
        "123456789 * 123456789 * 123456789 * 123456789",
        "'x'.ljust(1000000000)",
        "'7'.zfill(1000000000)",
        "sum(1 for a in range(1000) for b in range(1000))",
    ],
)
def test_runaway_expressions_are_stopped_quickly(expression):
    env = RestrictedEnvironment()
    with pytest.raises(ScriptError):
        env.evaluate(expression, {})


def test_nested_loops_in_a_script_stop_at_the_step_budget():
    env = RestrictedEnvironment()
    script = "n = 0\nfor a in range(1000):\n    for b in range(1000):\n        n += 1"
    with pytest.raises(ScriptError, match="trop long"):
        env.execute(script, {})


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("3 * 4", 12),
        ("2 ** 10", 1024),
        ("'ab' * 3", "ababab"),
        ("1 << 4", 16),
        ("[0] * 3", [0, 0, 0]),
    ],
)
def test_ordinary_arithmetic_still_works(expression, value):
    assert RestrictedEnvironment().evaluate(expression, {}) == value


def test_augmented_multiplication_is_bounded_too():
    env = RestrictedEnvironment()
    context = {"x": 3}
    env.execute("x *= 5", context)
    assert context["x"] == 15
    with pytest.raises(ScriptError):
        env.execute("s = 'x'\ns *= 10000000", {})
