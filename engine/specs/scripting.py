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
import sys
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


# Bounds on the work a script may do: RestrictedPython has none (SPIFFWORKFLOW-NOTES).
MAX_STEPS = 100_000  # traced line/call events per evaluation
MAX_SIZE = 100_000  # characters or elements of a sequence built by repetition
MAX_INT_BITS = 60
_SEQUENCES = (str, bytes, list, tuple)
_WIDE_STR_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


def _too_big():
    return ScriptError("calcul trop grand pour un diagramme (nombre ou texte démesuré).")


def _mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, _SEQUENCES) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_SIZE:
            raise _too_big()
    if isinstance(a, int) and isinstance(b, int) and a and b:
        if abs(a).bit_length() + abs(b).bit_length() > MAX_INT_BITS:
            raise _too_big()
    return a * b


def _pow(a, b):
    if isinstance(a, int) and isinstance(b, int) and abs(a) > 1:
        if b > MAX_INT_BITS or b * abs(a).bit_length() > MAX_INT_BITS:
            raise _too_big()
    return a**b


def _lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and abs(a).bit_length() + b > MAX_INT_BITS:
        raise _too_big()
    return a << b


def _getattr(obj, name, default=None, getattr=getattr):  # noqa: A002 — RestrictedPython's API
    if name in _WIDE_STR_METHODS and isinstance(obj, str | bytes):
        raise ScriptError(f"la méthode « {name} » n'est pas autorisée dans les diagrammes.")
    return safer_getattr(obj, name, default, getattr)


class _GuardArithmetic(ast.NodeTransformer):
    """`a * b`, `a ** b`, `a << b` (and their augmented forms) become bounded calls."""

    CALLS = {ast.Mult: "ipt_mul", ast.Pow: "ipt_pow", ast.LShift: "ipt_lshift"}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        name = self.CALLS.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(ast.Name(name, ast.Load()), [node.left, node.right], [])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        name = self.CALLS.get(type(node.op))
        if name is None or not isinstance(node.target, ast.Name):
            return node
        value = ast.Call(
            ast.Name(name, ast.Load()), [ast.Name(node.target.id, ast.Load()), node.value], []
        )
        return ast.copy_location(ast.Assign([node.target], value), node)


def _guarded_tree(source: str, mode: str):
    tree = _GuardArithmetic().visit(ast.parse(source, mode=mode))
    return ast.fix_missing_locations(tree)


def _run_bounded(fn):
    """Run restricted code with a step budget (no unbounded loops, whatever the nesting)."""
    steps = 0

    def tracer(frame, event, arg):
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise ScriptError(f"script trop long : plus de {MAX_STEPS} étapes.")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn()
    finally:
        sys.settrace(previous)


_INPLACE_OPS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": _mul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": _pow,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
    "<<=": _lshift,
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
    "date_fr": lambda d: _date(d).strftime("%d/%m/%Y"),
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
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "ipt_mul": _mul,
    "ipt_pow": _pow,
    "ipt_lshift": _lshift,
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
    result = compile_restricted_eval(_guarded_tree(expression, "eval"))
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=1024)
def compile_exec(script: str):
    check_source(script, "exec")
    result = compile_restricted_exec(_guarded_tree(script, "exec"))
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
        code = compile_eval(expression)
        return _run_bounded(lambda: eval(code, my_globals))  # noqa: S307 — restricted code

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = compile_exec(script)
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        try:
            _run_bounded(lambda: exec(code, context))  # noqa: S102 — restricted code
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def make_script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())
