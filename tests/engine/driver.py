"""A small driver for engine tests: a runtime on the test database, the demo directory, and
helpers to open a dossier and complete its tasks as a given person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from engine.clock import clock
from engine.context import Actor, Runtime
from engine.directory import import_directory, load_directory_file
from engine.dossiers import service as dossiers
from engine.models import Guardian, HumanTask, Organisation, User
from engine.specs.registry import ProcessLibrary
from engine.tasks import service as tasks

ROOT = Path(__file__).resolve().parents[2]
_LIBRARY = None


def library() -> ProcessLibrary:
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = ProcessLibrary(ROOT / "processes")
    return _LIBRARY


class Driver:
    def __init__(self, session, settings, today=dt.date(2026, 3, 20)):
        self.s = session
        self.runtime = Runtime(settings=settings, library=library())
        clock.set_today(today)
        import_directory(session, load_directory_file(ROOT / "demo" / "directory.yaml"))
        self.runtime.library._version_ids.clear()
        self.runtime.library.store_versions(session)
        session.commit()

    def org(self, kind, fase) -> Organisation:
        return self.s.scalar(
            select(Organisation).where(Organisation.kind == kind, Organisation.fase == fase)
        )

    def user(self, email) -> Actor:
        return Actor.for_user(self.s.scalar(select(User).where(User.email == email)))

    def parent(self, dossier, pos=1) -> Actor:
        return Actor.for_guardian(
            self.s.scalar(
                select(Guardian).where(Guardian.dossier_id == dossier.id, Guardian.position == pos)
            )
        )

    def proposition(self, by="direction.es@demo.ipt", **over):
        data = {
            "pupil_last_name": "Lambert",
            "pupil_first_name": "Emma",
            "pupil_birth_date": "2016-03-14",
            "es_enrolment_date": "2023-09-04",
            "es_attendance_since": "2023-09-04",
            "initiator": "parents",
            "es_school_id": self.org("ecole_es", "1001").id,
            "cpms_es_id": self.org("cpms", "4001").id,
            "guardians": [
                {
                    "last_name": "Lambert",
                    "first_name": "Claire",
                    "capacity": "mère",
                    "email": "claire@example.org",
                }
            ],
        }
        data.update(over)
        d = dossiers.open_proposition(self.s, self.runtime, self.user(by), data)
        self.s.commit()
        return d

    def task(self, dossier, bpmn_id) -> HumanTask:
        row = self.s.scalar(
            select(HumanTask).where(
                HumanTask.dossier_id == dossier.id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        )
        assert row is not None, f"no open task {bpmn_id}: {self.open_tasks(dossier)}"
        return row

    def open_tasks(self, dossier) -> list[str]:
        return sorted(
            self.s.scalars(
                select(HumanTask.bpmn_id).where(
                    HumanTask.dossier_id == dossier.id, HumanTask.state == "open"
                )
            )
        )

    def do(self, dossier, bpmn_id, who, data, guardian_id=None):
        actor = who if isinstance(who, Actor) else self.user(who)
        row = self.task(dossier, bpmn_id)
        try:
            tasks.complete_task(self.s, self.runtime, actor, row.id, data, guardian_id=guardian_id)
        except Exception:
            self.s.rollback()
            raise
        self.s.commit()
        self.s.refresh(dossier)
        return row

    # --- whole stages ------------------------------------------------------------------------
    def accept_proposition(self, d, cpms="favorable"):
        self.do(
            d,
            "avis_cc_es",
            "direction.es@demo.ipt",
            {"date_reunion": "2026-01-15", "avis": "favorable"},
        )
        cp = {"date_avis": "2026-01-15", "avis": cpms}
        if cpms == "defavorable":
            cp["justification"] = "Motivation écrite du CPMS."
        self.do(d, "avis_cpms_es", "cpms.es@demo.ipt", cp)
        self.do(d, "avis_parents", self.parent(d), {"date_avis": "2026-01-16", "avis": "favorable"})

    def find_partner(self, d, fase="2001", who="direction.eo.fondamental@demo.ipt"):
        self.do(
            d,
            "choisir_ecole",
            "direction.es@demo.ipt",
            {"ecole_eo": fase, "accord_parents": True, "date_demande": "2026-01-20"},
        )
        self.do(
            d,
            "reponse_eo",
            who,
            {"reponse": "accepte", "date_reponse": "2026-01-22", "concertation_pole": True},
        )

    def agree_projet(self, d):
        self.do(
            d,
            "rediger_projet",
            "coordination.pole@demo.ipt",
            {
                "date_concertation": "2026-01-29",
                "besoins_eleve": "Besoins.",
                "objectifs": "Objectifs.",
                "amenagements": "Aménagements.",
            },
        )
        self.do(
            d,
            "projet_cc_es",
            "direction.es@demo.ipt",
            {"date_avis": "2026-01-30", "avis": "favorable"},
        )
        self.do(
            d,
            "projet_cc_eo",
            "titulaire.eo@demo.ipt",
            {"date_avis": "2026-01-30", "avis": "favorable"},
        )
        for bpmn_id, who in (
            ("accord_projet_eo", "direction.eo.fondamental@demo.ipt"),
            ("accord_projet_pole", "direction.pole@demo.ipt"),
            ("accord_projet_parents", self.parent(d)),
        ):
            self.do(d, bpmn_id, who, {"date_accord": "2026-02-02", "avis": "favorable"})

    PROTOCOLE = {
        "synthese_dossier": "Synthèse du dossier.",
        "objectifs_integration": "Objectifs.",
        "modalites_concertation": "Concertation mensuelle.",
        "modalites_accompagnement": "Accompagnement.",
        "personnel_accompagnant": "Mme Leroy",
        "modalites_evaluation": "Bilan par période.",
        "regles_frequentation": "Registre de présence.",
        "avis_cpms_eo_requis": True,
    }

    def draft_protocole(self, d):
        self.do(d, "rediger_protocole", "coordination.pole@demo.ipt", self.PROTOCOLE)

    def in_ipt(self, **proposition):
        """A dossier driven through proposition, partner, projet and protocol: IPT in place."""
        d = self.proposition(**proposition)
        self.accept_proposition(d)
        self.find_partner(d)
        self.agree_projet(d)
        self.draft_protocole(d)
        self.sign_protocole(d)
        return d

    def sign_protocole(self, d):
        for bpmn_id, who in (
            ("signer_protocole_eo", "direction.eo.fondamental@demo.ipt"),
            ("signer_protocole_pole", "direction.pole@demo.ipt"),
            ("signer_protocole_parents", self.parent(d)),
        ):
            self.do(d, bpmn_id, who, {"date_accord": "2026-02-10", "avis": "favorable"})
