"""The restricted environment every diagram script, condition and DMN cell runs in.

Diagrams are code written by analysts: untrusted input. Every expression and script is compiled
with RestrictedPython (guarded attribute, item and iteration access), after a static check that
refuses imports, function/class definitions and `while` loops (no unbounded work: `range` is
capped too). Compiled code is cached per source text. Only the helpers below are exposed.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import operator
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine import calendar
from engine.clock import clock
from engine.errors import ScriptError

MAX_RANGE = 1000
_FORBIDDEN = {
    ast.Import: "les imports sont interdits",
    ast.ImportFrom: "les imports sont interdits",
    ast.FunctionDef: "les définitions de fonctions sont interdites",
    ast.AsyncFunctionDef: "les définitions de fonctions sont interdites",
    ast.Lambda: "les fonctions lambda sont interdites",
    ast.ClassDef: "les définitions de classes sont interdites",
    ast.While: "les boucles « while » sont interdites",
    ast.Global: "« global » est interdit",
    ast.Nonlocal: "« nonlocal » est interdit",
}


def _capped_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ScriptError(f"range() limité à {MAX_RANGE} éléments dans les diagrammes.")
    return r


def _date(value):
    """ISO text (or date) → date; None stays None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _today_iso():
    return clock.today().isoformat()


def _add_years(day, years):
    day = _date(day)
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_INPLACE_OPS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
}


def _inplacevar(op, x, y):
    """RestrictedPython compiles `x += y` (names only) to `x = _inplacevar_("+=", x, y)`."""
    try:
        fn = _INPLACE_OPS[op]
    except KeyError:
        raise ScriptError(f"opérateur « {op} » non autorisé dans les diagrammes.") from None
    return fn(x, y)


def _apply(fn, *args, **kwargs):
    """RestrictedPython compiles `f(*a, **k)` to `_apply_(f, *a, **k)`."""
    return fn(*args, **kwargs)


# R-PROP-6: school year of entry → last day of the 1st-secondary enrolment period, loaded with the
# process library from processes/calendar/inscriptions.yaml.
ENROLMENT_ENDS: dict[int, dt.date] = {}


def _enrolment_period_end(year):
    end = ENROLMENT_ENDS.get(int(year))
    return end.isoformat() if end else None


HELPERS = {
    "enrolment_period_end": _enrolment_period_end,
    "today": _today_iso,
    "date": _date,
    "add_years": _add_years,
    "school_year_of": lambda d: calendar.school_year_of(_date(d)),
    "first_day_of_school_year": lambda y: calendar.first_day(int(y)).isoformat(),
    "last_day_of_school_year": lambda y: calendar.last_day(int(y)).isoformat(),
    "october_15": lambda y: calendar.october_15(int(y)).isoformat(),
    "school_year_label": lambda y: calendar.label(int(y)),
}

_BUILTINS = dict(safe_builtins)
_BUILTINS.update(
    {
        "range": _capped_range,
        "len": len,
        "min": min,
        "max": max,
        "sum": sum,
        "any": any,
        "all": all,
        "sorted": sorted,
        "list": list,
        "dict": dict,
        "set": set,
        "tuple": tuple,
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "abs": abs,
        "round": round,
    }
)
RESTRICTED_GLOBALS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    **HELPERS,
}


def check_source(source: str, mode: str) -> None:
    """Refuse what the sandbox does not allow, with a French reason. mode: 'eval' | 'exec'."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ScriptError(f"erreur de syntaxe ligne {err.lineno} : {err.msg}") from None
    for node in ast.walk(tree):
        for kind, reason in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise ScriptError(f"{reason} (ligne {getattr(node, 'lineno', '?')})")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptError(f"nom interdit « {node.id} » (ligne {node.lineno})")


@lru_cache(maxsize=4096)
def compile_eval(expression: str):
    check_source(expression, "eval")
    result = compile_restricted_eval(expression)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=1024)
def compile_exec(script: str):
    check_source(script, "exec")
    result = compile_restricted_exec(script)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment whose eval/exec run RestrictedPython-compiled, cached code."""

    def __init__(self):
        super().__init__(RESTRICTED_GLOBALS)

    def evaluate(self, expression, context, external_context=None):
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        return eval(compile_eval(expression), my_globals)  # noqa: S307 — restricted code

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = compile_exec(script)
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        try:
            exec(code, context)  # noqa: S102 — restricted code
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def make_script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())
