"""The demo: migrate the SQLite database, import the demo directory, seed a few dossiers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from engine import calendar
from engine.bootstrap import build_runtime
from engine.clock import clock
from engine.context import Actor
from engine.directory import import_directory, load_directory_file
from engine.dossiers import service as dossiers
from engine.migrate import upgrade
from engine.models import Dossier, Guardian, HumanTask, Organisation, User
from engine.tasks import service as tasks

DIRECTORY = Path(__file__).resolve().parent.parent / "demo" / "directory.yaml"


def prepare_demo(settings, bulk: int = 0) -> list[tuple[str, str]]:
    if settings.database_url.startswith("sqlite"):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    runtime, factory = build_runtime(settings)
    with factory() as s:
        import_directory(s, load_directory_file(DIRECTORY))
        s.commit()
        if not s.scalar(select(func.count(Dossier.id))):
            _Seeder(s, runtime).seed()
            if bulk:
                _bulk(s, bulk)
                s.commit()
        users = s.scalars(select(User).order_by(User.id)).all()
        return [(u.email, _describe(u)) for u in users]


def _bulk(session, n: int) -> None:
    """More dossiers in IPT in the demo's schools, so the campaign has something to do."""
    from engine.seeding import seed_in_ipt

    orgs = {o.fase: o for o in session.scalars(select(Organisation))}
    pole = orgs["3001"]
    schools = [(orgs["2001"], pole), (orgs["2002"], pole)]
    seed_in_ipt(session, n, schools=schools, es=orgs["1001"], cpms=orgs["4002"], tag="demo")


def _describe(user) -> str:
    parts = [f"{m.role} — {m.organisation.name}" for m in user.memberships]
    if user.is_admin:
        parts.append("administration")
    if user.is_analyst:
        parts.append("analyste")
    return f"{user.full_name} ({'; '.join(parts)})"


class _Seeder:
    def __init__(self, session, runtime):
        self.s, self.rt = session, runtime
        self.today = clock.today()

    def day(self, back: int) -> str:
        return (self.today - dt.timedelta(days=back)).isoformat()

    def actor(self, email):
        return Actor.for_user(self.s.scalar(select(User).where(User.email == email)))

    def parent(self, dossier, pos=1):
        return Actor.for_guardian(
            self.s.scalar(
                select(Guardian).where(Guardian.dossier_id == dossier.id, Guardian.position == pos)
            )
        )

    def open(self, last, first, initiator, guardians, by="direction.es@demo.ipt", **extra):
        def org(kind, fase):
            return self.s.scalar(
                select(Organisation).where(  # noqa: E731
                    Organisation.kind == kind, Organisation.fase == fase
                )
            ).id

        since = dt.date(self.today.year - 2, 9, 1).isoformat()
        d = dossiers.open_proposition(
            self.s,
            self.rt,
            self.actor(by),
            {
                "pupil_last_name": last,
                "pupil_first_name": first,
                "pupil_birth_date": "2015-05-12",
                "pupil_cf": f"9-{sum(map(ord, last)) % 1000:03d}-{len(first):03d}-00",
                "es_enrolment_date": since,
                "es_attendance_since": since,
                "initiator": initiator,
                "es_school_id": org("ecole_es", "1001"),
                "cpms_es_id": org("cpms", "4001"),
                "guardians": guardians,
                **extra,
            },
        )
        self.s.commit()
        return d

    def do(self, dossier, bpmn_id, who, data, guardian_id=None):
        row = self.s.scalar(
            select(HumanTask).where(
                HumanTask.dossier_id == dossier.id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        )
        tasks.complete_task(self.s, self.rt, who, row.id, data, guardian_id=guardian_id)
        self.s.commit()

    def proposition_ok(self, d):
        self.do(
            d,
            "avis_cc_es",
            self.actor("direction.es@demo.ipt"),
            {"date_reunion": self.day(20), "avis": "favorable"},
        )
        self.do(
            d,
            "avis_cpms_es",
            self.actor("cpms.es@demo.ipt"),
            {"date_avis": self.day(19), "avis": "favorable"},
        )
        self.do(d, "avis_parents", self.parent(d), {"date_avis": self.day(18), "avis": "favorable"})

    def to_ipt(self, d):
        """From an open proposition to a signed protocol (IPT en place)."""
        self.proposition_ok(d)
        eo, pole, coord = (
            self.actor("direction.eo.fondamental@demo.ipt"),
            self.actor("direction.pole@demo.ipt"),
            self.actor("coordination.pole@demo.ipt"),
        )
        self.do(
            d,
            "choisir_ecole",
            self.actor("direction.es@demo.ipt"),
            {"ecole_eo": "2001", "accord_parents": True, "date_demande": self.day(15)},
        )
        self.do(
            d,
            "reponse_eo",
            eo,
            {"reponse": "accepte", "date_reponse": self.day(14), "concertation_pole": True},
        )
        self.do(
            d,
            "rediger_projet",
            coord,
            {
                "date_concertation": self.day(12),
                "besoins_eleve": "Soutien en lecture.",
                "objectifs": "Suivre le programme de la classe.",
                "amenagements": "Consignes reformulées.",
            },
        )
        self.do(
            d,
            "projet_cc_es",
            self.actor("direction.es@demo.ipt"),
            {"date_avis": self.day(11), "avis": "favorable"},
        )
        self.do(
            d,
            "projet_cc_eo",
            self.actor("titulaire.eo@demo.ipt"),
            {"date_avis": self.day(11), "avis": "favorable"},
        )
        for bpmn_id, who in (
            ("accord_projet_eo", eo),
            ("accord_projet_pole", pole),
            ("accord_projet_parents", self.parent(d)),
        ):
            self.do(d, bpmn_id, who, {"date_accord": self.day(9), "avis": "favorable"})
        self.do(
            d,
            "rediger_protocole",
            coord,
            {
                "synthese_dossier": "Élève suivi en ES depuis deux ans ; progrès réguliers.",
                "objectifs_integration": "Autonomie et socialisation.",
                "modalites_concertation": "Réunion mensuelle.",
                "modalites_accompagnement": "Deux périodes par semaine.",
                "personnel_accompagnant": "Mme Leroy",
                "modalites_evaluation": "Bilan par période.",
                "regles_frequentation": "Registre tenu par l'école.",
                "avis_cpms_eo_requis": False,
            },
        )
        for bpmn_id, who in (
            ("signer_protocole_eo", eo),
            ("signer_protocole_pole", pole),
            ("signer_protocole_parents", self.parent(d)),
        ):
            self.do(d, bpmn_id, who, {"date_accord": self.day(5), "avis": "favorable"})

    def seed(self):
        g = lambda last, first, cap="mère", email=None: {  # noqa: E731
            "last_name": last,
            "first_name": first,
            "capacity": cap,
            "email": email,
        }
        # 1. waiting for the CPMS ES and the parents
        d1 = self.open(
            "Lambert",
            "Emma",
            "parents",
            [g("Lambert", "Claire", email="claire.lambert@example.org")],
        )
        self.do(
            d1,
            "avis_cc_es",
            self.actor("direction.es@demo.ipt"),
            {"date_reunion": self.day(2), "avis": "favorable"},
        )
        # 2. looking for a partner school: the EO school must answer
        d2 = self.open(
            "Peeters",
            "Lucas",
            "conseil_de_classe",
            [
                g("Peeters", "Julie", email="julie.peeters@example.org"),
                g("Peeters", "Thomas", "père"),
            ],
        )
        self.proposition_ok(d2)
        self.do(
            d2,
            "choisir_ecole",
            self.actor("direction.es@demo.ipt"),
            {"ecole_eo": "2001", "accord_parents": True, "date_demande": self.day(10)},
        )
        # 3. protocol signed: IPT en place, declaration due
        d3 = self.open(
            "Wouters",
            "Léon",
            "cpms_es",
            [g("Wouters", "Anne", email="anne.wouters@example.org")],
            by="cpms.es@demo.ipt",
        )
        self.to_ipt(d3)
        # 4. refused by the parents (signed on paper, recorded by the ES direction)
        d4 = self.open("Dubois", "Noah", "conseil_de_classe", [g("Dubois", "Marc", "père")])
        self.do(
            d4,
            "avis_cc_es",
            self.actor("direction.es@demo.ipt"),
            {"date_reunion": self.day(30), "avis": "favorable"},
        )
        self.do(
            d4,
            "avis_cpms_es",
            self.actor("cpms.es@demo.ipt"),
            {"date_avis": self.day(29), "avis": "favorable"},
        )
        self.do(
            d4,
            "avis_parents",
            self.actor("direction.es@demo.ipt"),
            {
                "date_avis": self.day(28),
                "avis": "defavorable",
                "commentaire": "Les parents préfèrent attendre un an.",
            },
            guardian_id=d4.guardians[0].id,
        )
        # 5. entering 1st secondary (R-PROP-6): the secondary school accepted, priority decided
        d5 = self.open(
            "Hermans",
            "Louis",
            "parents",
            [g("Hermans", "Lisa", email="lisa.hermans@example.org")],
            enters_first_secondary=True,
            year_of_study="6e primaire",
        )
        self.proposition_ok(d5)
        self.do(
            d5,
            "choisir_ecole",
            self.actor("direction.es@demo.ipt"),
            {"ecole_eo": "2002", "accord_parents": True, "date_demande": self.day(8)},
        )
        self.do(
            d5,
            "reponse_eo",
            self.actor("direction.eo.secondaire@demo.ipt"),
            {"reponse": "accepte", "date_reponse": self.day(6), "concertation_pole": True},
        )
        # 6. an IPT running since the start of this school year (proposed last year): it can be
        # prolonged or stopped now
        real_today = self.today
        self.today = calendar.first_day(calendar.school_year_of(real_today)) - dt.timedelta(
            days=120
        )
        clock.set_today(self.today)
        d6 = self.open(
            "Lemaire",
            "Hugo",
            "conseil_de_classe",
            [g("Lemaire", "Julie", email="julie.lemaire@example.org")],
        )
        self.to_ipt(d6)
        self.today = real_today
        clock.set_today(real_today)
