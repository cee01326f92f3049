"""Run scenario files on the real engine, each on a throw-away SQLite database.

A scenario gives the directory, the clock, a proposition, then steps (who completes which task
with which data, clock moves, closures) and expected outcomes (stage, status, open tasks,
decisions, facts, errors). See docs/scenarios.md for the format.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from engine import calendar
from engine.clock import clock
from engine.config import Settings
from engine.context import Actor, Runtime
from engine.db import Base, make_engine, make_session_factory
from engine.directory import import_directory, load_directory_file
from engine.dossiers import prolongations, stops, years
from engine.dossiers import service as dossiers
from engine.errors import IPTError
from engine.models import Decision, Dossier, Guardian, HumanTask, Organisation, StageContent, User
from engine.tasks import service as tasks

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "demo" / "directory.yaml"


class ScenarioFailure(Exception):
    pass


@dataclass
class Result:
    path: str
    name: str
    ok: bool
    detail: str = ""
    steps: int = 0
    log: list[str] = field(default_factory=list)


def collect(paths) -> list[Path]:
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.yaml") if not x.name.startswith("_"))
        else:
            files.append(p)
    return files


def run_paths(paths, library, out=print) -> tuple[int, int]:
    passed = failed = 0
    for path in collect(paths):
        result = run_file(path, library)
        mark = "OK " if result.ok else "ÉCHEC"
        out(f"{mark} {path}: {result.name} ({result.steps} étapes)")
        if not result.ok:
            out(f"      {result.detail}")
            failed += 1
        else:
            passed += 1
    out(f"{passed} passed, {failed} failed")
    return passed, failed


def run_file(path: Path, library) -> Result:
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        return Result(str(path), Path(path).stem, False, f"fichier illisible : {err}")
    name = spec.get("name") or Path(path).stem
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "IPT_DATABASE_URL": f"sqlite:///{tmp}/scenario.sqlite3",
                "IPT_INSTANCE_DIR": tmp,
                "IPT_SECRET_KEY": "scenario",
            }
        )
        eng = make_engine(settings.database_url)
        Base.metadata.create_all(eng)
        factory = make_session_factory(eng)
        runtime = Runtime(settings=settings, library=library)
        run = _Run(spec, Path(path), runtime, factory)
        try:
            run.execute()
            return Result(str(path), name, True, steps=run.count)
        except ScenarioFailure as err:
            return Result(str(path), name, False, f"étape {run.count} : {err}", steps=run.count)
        finally:
            clock.reset()
            eng.dispose()


class _Run:
    def __init__(self, spec, path, runtime, factory):
        self.spec, self.path, self.runtime, self.factory = spec, path, runtime, factory
        self.count = 0
        self.dossier_id = None

    def execute(self):
        clock.set_today(_date(self.spec.get("today") or dt.date.today()))
        directory = self.spec.get("directory")
        dpath = (self.path.parent / directory) if directory else DEFAULT_DIRECTORY
        with self.factory() as s:
            import_directory(s, load_directory_file(dpath))
            self.runtime.library.store_versions(s)
            s.commit()
        self._open(self.spec.get("dossier") or {})
        for step in self._expanded(self.spec.get("steps") or []):
            self.count += 1
            self._step(step)

    def _expanded(self, steps):
        """`- include: _file.yaml` inlines that file's steps (shared prefixes, e.g. an IPT in place)."""
        for step in steps:
            if isinstance(step, dict) and "include" in step:
                path = self.path.parent / step["include"]
                try:
                    included = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                except (OSError, yaml.YAMLError) as err:
                    raise ScenarioFailure(f"inclusion illisible {path.name} : {err}") from None
                yield from self._expanded(included.get("steps") or [])
            else:
                yield step

    # --- steps -----------------------------------------------------------------------------
    def _open(self, block):
        self.count += 1
        with self.factory() as s:
            data = dict(block.get("data") or {})
            es = _org(s, "ecole_es", data.pop("es_school", None))
            data["es_school_id"] = es.id if es else None
            if "cpms_es" in data:
                cpms = _org(s, "cpms", data.pop("cpms_es"))
                data["cpms_es_id"] = cpms.id if cpms else None
            for key in (
                "previous_ipt_end",
                "es_attendance_since",
                "es_enrolment_date",
                "pupil_birth_date",
            ):
                if isinstance(data.get(key), dt.date):
                    data[key] = data[key].isoformat()
            actor = self._actor(s, block.get("as"))
            err = self._attempt(
                s,
                lambda: dossiers.open_proposition(s, self.runtime, actor, data),
                block.get("expect_error"),
            )
            if err is None:
                self.dossier_id = s.scalar(select(Dossier.id).order_by(Dossier.id.desc()))
        if block.get("expect_error") and self.spec.get("steps"):
            raise ScenarioFailure("une proposition refusée ne peut pas avoir d'étapes suivantes")

    def _step(self, step):
        if "clock" in step:
            clock.set_today(_date(step["clock"]))
        elif "complete" in step:
            self._complete(step)
        elif "reopen" in step:
            self._reopen(step)
        elif "prolongation" in step:
            block = step["prolongation"]
            with self.factory() as s:
                actor = self._actor(s, block.get("as"))
                year = calendar.parse_label(str(block["year"]))
                self._attempt(
                    s,
                    lambda: prolongations.start_prolongation(
                        s, self.runtime, actor, self.dossier_id, year
                    ),
                    block.get("expect_error"),
                )
        elif "stop" in step:
            block = step["stop"]
            with self.factory() as s:
                actor = self._actor(s, block.get("as"))
                data = {
                    k: (v.isoformat() if isinstance(v, dt.date) else v)
                    for k, v in (block.get("data") or {}).items()
                }
                self._attempt(
                    s,
                    lambda: stops.request_stop(s, self.runtime, actor, self.dossier_id, data),
                    block.get("expect_error"),
                )
        elif "close" in step:
            block = step["close"]
            with self.factory() as s:
                actor = self._actor(s, block.get("as"))
                self._attempt(
                    s,
                    lambda: dossiers.close_dossier(
                        s, self.runtime, actor, self.dossier_id, block.get("reason")
                    ),
                    block.get("expect_error"),
                )
        elif "expect" in step:
            with self.factory() as s:
                self._expect(s, step["expect"])
        else:
            raise ScenarioFailure(f"étape inconnue : {sorted(step)}")

    def _complete(self, step):
        with self.factory() as s:
            who = step.get("as")
            actor = self._actor(s, who)
            bpmn_id = step["complete"]
            row = s.scalar(
                select(HumanTask)
                .where(
                    HumanTask.dossier_id == self.dossier_id,
                    HumanTask.bpmn_id == bpmn_id,
                )
                .order_by(HumanTask.state.desc(), HumanTask.created_at.desc())
            )
            if row is None:
                raise ScenarioFailure(f"aucune tâche « {bpmn_id} » dans le dossier")
            data = {
                k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in (step.get("data") or {}).items()
            }
            guardian_id = None
            if str(who).startswith("papier:"):
                pos = int(str(who).rsplit(":", 1)[1])
                guardian_id = s.scalar(
                    select(Guardian.id).where(
                        Guardian.dossier_id == self.dossier_id, Guardian.position == pos
                    )
                )
            self._attempt(
                s,
                lambda: tasks.complete_task(
                    s, self.runtime, actor, row.id, data, guardian_id=guardian_id
                ),
                step.get("expect_error"),
            )

    def _reopen(self, step):
        with self.factory() as s:
            actor = self._actor(s, step.get("as"))
            row = s.scalar(
                select(HumanTask)
                .where(HumanTask.dossier_id == self.dossier_id, HumanTask.bpmn_id == step["reopen"])
                .order_by(HumanTask.created_at.desc())
            )
            if row is None:
                raise ScenarioFailure(f"aucune tâche « {step['reopen']} » dans le dossier")
            self._attempt(
                s,
                lambda: tasks.reopen_task(s, self.runtime, actor, row.id),
                step.get("expect_error"),
            )

    def _attempt(self, s, fn, expect_error):
        try:
            fn()
        except IPTError as err:
            s.rollback()
            if not expect_error:
                extra = f" {err.errors}" if hasattr(err, "errors") else ""
                raise ScenarioFailure(
                    f"erreur inattendue ({err.code}) : {err.message}{extra}"
                ) from None
            _check_error(err, expect_error)
            return err
        if expect_error:
            s.rollback()
            raise ScenarioFailure(
                f"une erreur était attendue ({expect_error}) mais l'action a réussi"
            )
        s.commit()
        return None

    def _actor(self, s, who) -> Actor:
        if who is None:
            raise ScenarioFailure("« as » manquant")
        who = str(who)
        if who.startswith("parent:"):
            pos = int(who.split(":", 1)[1])
            g = s.scalar(
                select(Guardian).where(
                    Guardian.dossier_id == self.dossier_id, Guardian.position == pos
                )
            )
            if g is None:
                raise ScenarioFailure(f"pas de responsable légal n° {pos}")
            return Actor.for_guardian(g)
        email = who.split(":", 1)[1] if who.startswith("papier:") else who
        email = email.rsplit(":", 1)[0] if who.startswith("papier:") else email
        user = s.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise ScenarioFailure(f"utilisateur inconnu : {email}")
        return Actor.for_user(user)

    # --- expectations ----------------------------------------------------------------------
    def _expect(self, s, exp):
        if self.dossier_id is None:
            count = s.scalar(select(Dossier.id))
            if exp.get("no_dossier") and count is None:
                return
            raise ScenarioFailure("aucun dossier")
        d = s.get(Dossier, self.dossier_id)
        problems = []
        for key in ("stage", "status"):
            if key in exp and getattr(d, key) != exp[key]:
                problems.append(f"{key} = {getattr(d, key)!r}, attendu {exp[key]!r}")
        for want in exp.get("years") or []:
            if not _has_year(s, d, want):
                problems.append(f"année absente ou différente : {want}")
        if "open_tasks" in exp:
            open_ = sorted(
                s.scalars(
                    select(HumanTask.bpmn_id).where(
                        HumanTask.dossier_id == d.id, HumanTask.state == "open"
                    )
                )
            )
            if open_ != sorted(exp["open_tasks"]):
                problems.append(f"tâches ouvertes = {open_}, attendu {sorted(exp['open_tasks'])}")
        for want in exp.get("decisions") or []:
            if not _has_decision(s, d, want):
                problems.append(f"décision absente : {want}")
        for key, want in (exp.get("facts") or {}).items():
            got = _fact(s, d, key)
            want = want.isoformat() if isinstance(want, dt.date) else want
            if got != want:
                problems.append(f"{key} = {got!r}, attendu {want!r}")
        if problems:
            raise ScenarioFailure("; ".join(problems))


def _has_decision(s, d, want) -> bool:
    stmt = select(Decision).where(Decision.dossier_id == d.id)
    for key in ("stage", "party", "value", "kind", "on_paper", "superseded"):
        if key in want:
            stmt = stmt.where(getattr(Decision, key) == want[key])
    for row in s.scalars(stmt):
        if "justification_contains" in want and want["justification_contains"] not in (
            row.justification or ""
        ):
            continue
        return True
    return False


def _has_year(s, d, want) -> bool:
    row = years.record(s, d, calendar.parse_label(str(want["year"])))
    if row is None:
        return False
    checks = {
        "in_ipt": row.in_ipt,
        "eo_school": row.eo_school_fase,
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "end_reason": row.end_reason,
    }
    return all(
        checks[k] == (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in want.items()
        if k != "year"
    )


def _fact(s, d, key):
    if key in ("eo_school", "pole", "es_school", "cpms_es", "cpms_eo"):
        org_id = getattr(d, f"{key}_id")
        return s.get(Organisation, org_id).fase if org_id else None
    if "." in key:  # e.g. protocole.avis_cpms_es.avis: the latest content of that kind
        kind, *path = key.split(".")
        row = s.scalar(
            select(StageContent)
            .where(StageContent.dossier_id == d.id, StageContent.kind == kind)
            .order_by(StageContent.id.desc())
        )
        value = row.data if row else None
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value
    if key == "target_year":
        return calendar.label(d.target_year)
    value = getattr(d, key)
    return value.isoformat() if isinstance(value, dt.date) else value


def _check_error(err, want):
    if "code" in want and err.code != want["code"]:
        raise ScenarioFailure(f"erreur {err.code!r} ({err.message}), attendu {want['code']!r}")
    if "message_contains" in want and want["message_contains"] not in err.message:
        raise ScenarioFailure(f"message « {err.message} » sans « {want['message_contains']} »")
    if "field" in want and want["field"] not in (getattr(err, "errors", None) or {}):
        raise ScenarioFailure(
            f"pas d'erreur sur le champ {want['field']!r} : {getattr(err, 'errors', None)}"
        )


def _org(s, kind, fase):
    if fase is None:
        return None
    return s.scalar(
        select(Organisation).where(Organisation.kind == kind, Organisation.fase == str(fase))
    )


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
