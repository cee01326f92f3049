"""Load, validate and build every process definition; one clear message per invalid file.

A definition is built from a mapping of relative path → text (the files of processes/), so the
same code builds the current files at start-up and an old version read back from the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask, UserTask

from engine.errors import ScriptError, SpecError
from engine.specs import conventions
from engine.specs.scripting import compile_eval, compile_exec
from engine.tasks.forms import check_form_schema

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LANES_FILE = "lanes.yaml"


@dataclass(frozen=True)
class Lane:
    name: str
    party: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str
    party: str
    roles: tuple[str, ...]
    form_file: str
    data_key: str
    record: str
    stage: str
    decision_party: str | None


@dataclass
class ProcessDefinition:
    process_id: str
    name: str
    files: dict[str, str]
    content_hash: str
    spec: object
    subprocess_specs: dict
    forms: dict[str, dict]
    user_tasks: dict[str, UserTaskInfo]
    lanes: dict[str, Lane]
    lines: dict[str, int] = field(default_factory=dict)  # element id → line


def read_files(directory: Path) -> dict[str, str]:
    """Every file a definition may use: *.bpmn, *.dmn, lanes.yaml, forms/*.json."""
    files = {}
    for pattern in ("*.bpmn", "*.dmn", LANES_FILE, "forms/*.json"):
        for path in sorted(directory.glob(pattern)):
            files[path.relative_to(directory).as_posix()] = path.read_text(encoding="utf-8")
    return files


def load_library(directory: Path) -> dict[str, ProcessDefinition]:
    """Validate and build every executable process found in `directory` (raises SpecError)."""
    if not directory.is_dir():
        raise SpecError("dossier des processus introuvable", file=str(directory))
    files = read_files(directory)
    return build_definitions(files, prefix=directory.name)


def build_definitions(files: dict[str, str], prefix="processes") -> dict[str, ProcessDefinition]:
    lanes = _parse_lanes(files, prefix)
    trees = {}
    for name, text in files.items():
        if name.endswith((".bpmn", ".dmn")):
            trees[name] = _parse_xml(text, f"{prefix}/{name}")
    forms = {}
    for name, text in files.items():
        if name.startswith("forms/"):
            try:
                schema = json.loads(text)
            except json.JSONDecodeError as err:
                raise SpecError(
                    f"JSON mal formé : {err.msg}", file=f"{prefix}/{name}", line=err.lineno
                ) from None
            check_form_schema(schema, f"{prefix}/{name}")
            forms[name.removeprefix("forms/")] = schema

    parser = SpiffBpmnParser(validator=VALIDATOR)
    process_files: dict[str, str] = {}
    lines: dict[str, tuple[str, int]] = {}
    for name, tree in trees.items():
        path = f"{prefix}/{name}"
        for el in tree.iter():
            if isinstance(el.tag, str) and el.get("id"):
                lines.setdefault(el.get("id"), (path, el.sourceline))
        with _spiff_errors(path, lines):
            if name.endswith(".dmn"):
                parser.add_dmn_xml(tree, filename=path)
            else:
                _check_flows(tree, path)
                parser.add_bpmn_xml(tree, filename=path)
                for proc in tree.iter(f"{{{BPMN_NS}}}process"):
                    if proc.get("isExecutable") == "true":
                        process_files[proc.get("id")] = name

    definitions = {}
    for pid, bpmn_name in process_files.items():
        path = f"{prefix}/{bpmn_name}"
        with _spiff_errors(path, lines):
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
        user_tasks = {}
        for sp in [spec, *subprocess_specs.values()]:
            for ts in sp.task_specs.values():
                info = _check_task_spec(ts, lanes, forms, lines, path)
                if info:
                    user_tasks[info.bpmn_id] = info
        used = {bpmn_name, LANES_FILE} | {n for n in files if n.endswith(".dmn")}
        used |= {f"forms/{u.form_file}" for u in user_tasks.values()}
        bundle = {n: files[n] for n in sorted(used) if n in files}
        digest = hashlib.sha256(json.dumps(bundle, sort_keys=True).encode()).hexdigest()
        definitions[pid] = ProcessDefinition(
            process_id=pid,
            name=spec.description or pid,
            files=bundle,
            content_hash=digest,
            spec=spec,
            subprocess_specs=subprocess_specs,
            forms={u.form_file: forms[u.form_file] for u in user_tasks.values()},
            user_tasks=user_tasks,
            lanes=lanes,
            lines={k: v[1] for k, v in lines.items() if v[0] == path},
        )
    if not definitions:
        raise SpecError('aucun processus exécutable (isExecutable="true")', file=prefix)
    return definitions


def _parse_lanes(files, prefix) -> dict[str, Lane]:
    path = f"{prefix}/{LANES_FILE}"
    if LANES_FILE not in files:
        raise SpecError("table des couloirs absente", file=path)
    try:
        data = yaml.safe_load(files[LANES_FILE]) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        raise SpecError(f"YAML mal formé : {err}", file=path, line=line and line + 1) from None
    lanes = {}
    for name, entry in (data.get("lanes") or {}).items():
        if not isinstance(entry, dict) or "party" not in entry:
            raise SpecError("chaque couloir doit indiquer « party »", file=path, element=name)
        lanes[name] = Lane(name, entry["party"], tuple(entry.get("roles") or ()))
    return lanes


def _parse_xml(text: str, path: str):
    try:
        return etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as err:
        raise SpecError(f"XML mal formé : {err.msg}", file=path, line=err.lineno) from None


def _check_flows(tree, path):
    """Sequence flows must join existing elements (the library's own message misleads)."""
    for proc in tree.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        ids = {el.get("id") for el in proc.iter() if isinstance(el.tag, str) and el.get("id")}
        for flow in proc.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            for attr, word in (("sourceRef", "source"), ("targetRef", "cible")):
                ref = flow.get(attr)
                if ref not in ids:
                    raise SpecError(
                        f"le flux de séquence a pour {word} « {ref} », qui n'existe pas dans le processus",
                        file=path,
                        element=flow.get("id"),
                        line=flow.sourceline,
                    )


class _spiff_errors:
    """Turn the library's errors into one SpecError naming file, element and line."""

    def __init__(self, path, lines):
        self.path, self.lines = path, lines

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, SpecError):
            return False
        if isinstance(exc, ValidationException):
            element = exc.id or exc.name or exc.tag or None
            line = exc.line_number or self.lines.get(exc.id, (None, None))[1]
            if element is None and line:  # the XSD validator names neither id nor tag
                element = next(
                    (i for i, (p, n) in self.lines.items() if p == self.path and n == line), None
                )
            raise SpecError(
                _french(str(exc)), file=exc.file_name or self.path, element=element, line=line
            ) from None
        if isinstance(exc, SpiffWorkflowException | KeyError | ValueError):
            raise SpecError(_french(str(exc)), file=self.path) from None
        return False


def _french(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else message
    return f"diagramme refusé par le moteur : {first}"


def _check_task_spec(ts, lanes, forms, lines, path) -> UserTaskInfo | None:
    def err(problem):
        return SpecError(
            problem,
            file=path,
            element=f"{ts.bpmn_id} ({ts.bpmn_name})",
            line=lines.get(ts.bpmn_id, (None, None))[1],
        )

    for attr in ("prescript", "postscript"):
        if getattr(ts, attr, None):
            _compile(compile_exec, getattr(ts, attr), err)
    if isinstance(ts, ScriptTask):
        _compile(compile_exec, ts.script, err)
    if isinstance(ts, ExclusiveGateway | InclusiveGateway):
        for condition, _target in ts.cond_task_specs:
            if condition is not None:
                _compile(compile_eval, condition.args[0], err)
    if isinstance(ts, BusinessRuleTask):
        _check_decision_table(ts, err, lines)
    if not isinstance(ts, UserTask):
        return None
    if ts.lane not in lanes:
        raise err(f"couloir « {ts.lane} » absent de {LANES_FILE}")
    props = ts.extensions.get("properties", {})
    for key in conventions.REQUIRED_PROPERTIES:
        if not props.get(key):
            raise err(f"propriété « {key} » manquante sur la tâche utilisateur")
    form = props["formJsonSchemaFilename"]
    if form not in forms:
        raise err(f"formulaire inconnu « {form} » (processes/forms/{form} introuvable)")
    if props["record"] not in conventions.RECORDS:
        raise err(f"valeur « record » inconnue : « {props['record']} »")
    if props["stage"] not in conventions.STAGES:
        raise err(f"étape « {props['stage']} » inconnue")
    party = props.get("party")
    if props["record"] in ("avis", "accord") and party not in conventions.PARTIES_FOR_DECISIONS:
        raise err(f"propriété « party » absente ou inconnue : « {party} »")
    lane = lanes[ts.lane]
    roles = (
        tuple(r.strip() for r in props["roles"].split(",")) if props.get("roles") else lane.roles
    )
    return UserTaskInfo(
        bpmn_id=ts.bpmn_id,
        name=ts.bpmn_name or ts.bpmn_id,
        lane=ts.lane,
        party=lane.party,
        roles=roles,
        form_file=form,
        data_key=props["dataKey"],
        record=props["record"],
        stage=props["stage"],
        decision_party=party,
    )


def _compile(fn, source, err):
    try:
        fn(source)
    except ScriptError as exc:
        raise err(f"script refusé : {exc.message}") from None


def _check_decision_table(ts, err, lines):
    def at(item):
        """Errors in a table cell name the DMN file and the cell, not the calling task."""
        path, line = lines.get(item.id, (None, None))
        if path is None or not path.endswith(".dmn"):
            return err
        return lambda problem: SpecError(
            f"{problem} (table appelée par la tâche « {ts.bpmn_id} »)",
            file=path,
            element=item.id,
            line=line,
        )

    table = ts.dmnEngine.decision_table
    for inp in table.inputs:
        _compile(compile_eval, inp.expression, at(inp))
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs is not None:
                    _compile(compile_eval, _dmn_match_expr(entry.input.expression, lhs), at(entry))
        for out in rule.outputEntries:
            if out.text:
                _compile(compile_eval, out.text, at(out))


def _dmn_match_expr(input_expr, lhs):
    if "?" in lhs:
        return lhs.replace("?", "dmninputexpr")
    try:
        compile(lhs, "<dmn>", "eval")
        return f"({input_expr}) == ({lhs})"
    except SyntaxError:
        return f"({input_expr}) {lhs}"
