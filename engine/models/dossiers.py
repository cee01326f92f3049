"""A dossier: one pupil's IPT with one set of partners, and every fact recorded about it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    # pupil
    pupil_last_name: Mapped[str] = mapped_column(String(100), index=True)
    pupil_first_name: Mapped[str] = mapped_column(String(100))
    pupil_cf: Mapped[str | None] = mapped_column(String(30), index=True)
    pupil_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    pupil_sex: Mapped[str | None] = mapped_column(String(1))
    community: Mapped[str] = mapped_column(String(3), default="fwb")
    es_type: Mapped[str | None] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(20))  # level aimed at in EO
    year_of_study: Mapped[str | None] = mapped_column(String(40))
    # eligibility facts (R-ELIG-1/2)
    in_es: Mapped[bool] = mapped_column(Boolean, default=True)
    es_enrolment_date: Mapped[dt.date | None] = mapped_column(Date)
    es_attendance_since: Mapped[dt.date | None] = mapped_column(Date)
    previous_ipt_end: Mapped[dt.date | None] = mapped_column(Date)
    eligibility_rule: Mapped[str | None] = mapped_column(String(20))
    # the case
    initiator: Mapped[str] = mapped_column(String(20))
    target_year: Mapped[int] = mapped_column(Integer)  # school year of the IPT (2027 = 2027-2028)
    stage: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    es_school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cpms_es_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    eo_school_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    pole_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    cpms_eo_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    eo_acceptance_date: Mapped[dt.date | None] = mapped_column(Date)
    # R-PROP-6: entry into the 1st common secondary year, and the enrolment priority it may give
    enters_first_secondary: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolment_priority: Mapped[bool | None] = mapped_column(Boolean)
    enrolment_priority_reason: Mapped[str | None] = mapped_column(Text)
    ipt_start_date: Mapped[dt.date | None] = mapped_column(Date)
    ipt_entry_date: Mapped[dt.date | None] = mapped_column(Date)  # first entry into IPT
    ipt_end_date: Mapped[dt.date | None] = mapped_column(Date)  # R-ARRET-3
    end_reason: Mapped[str | None] = mapped_column(String(30))  # a StopRequest reason
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="dossier", order_by="Guardian.position", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="dossier", order_by="Decision.id", cascade="all, delete-orphan"
    )


class Guardian(Base):
    """A legal guardian (up to two) or the adult pupil himself."""

    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[str] = mapped_column(String(40))  # mère, père, tuteur, élève majeur…
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))

    dossier: Mapped[Dossier] = relationship(back_populates="guardians")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PartySnapshot(Base):
    """The name and FASE of a partner organisation as they were at a stage."""

    __tablename__ = "party_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    party: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    fase: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Decision(Base):
    """An avis or an accord: who (person, capacity), for which party, when, what, why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10))  # avis | accord
    party: Mapped[str] = mapped_column(String(20))  # cc_es, cpms_es, parents, eo_school, pole, …
    value: Mapped[str] = mapped_column(String(20))  # favorable | defavorable
    decided_on: Mapped[dt.date] = mapped_column(Date)
    justification: Mapped[str | None] = mapped_column(Text)
    person_name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(100))
    person_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id"))
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    task_id: Mapped[str | None] = mapped_column(String(36))
    school_year: Mapped[int | None] = mapped_column(Integer)  # prolongation avis: the year asked
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    dossier: Mapped[Dossier] = relationship(back_populates="decisions")


class PartnerRequest(Base):
    """A request to an EO school to be the partner (R-PROP-5, R-PROJ-2)."""

    __tablename__ = "partner_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    eo_school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    pole_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    parents_agree: Mapped[bool] = mapped_column(Boolean)
    answer: Mapped[str | None] = mapped_column(String(20))  # accepte | refuse
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    ended_reason: Mapped[str | None] = mapped_column(Text)  # why this partner fell through later


class StageContent(Base):
    """The text of a projet (annex 4) or protocol (annex 5), one row per version."""

    __tablename__ = "stage_contents"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # projet | protocole
    data: Mapped[dict] = mapped_column(JSON)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    task_id: Mapped[str | None] = mapped_column(String(36))


class StopRequest(Base):
    """A request to stop an IPT in place (R-ARRET-1/2), and what became of it."""

    __tablename__ = "stop_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    requested_by_party: Mapped[str] = mapped_column(String(20))  # eo_school, pole, parents, cpms_eo
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by_guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id"))
    requested_by_label: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(30))
    reason_text: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    at_year_end: Mapped[bool] = mapped_column(Boolean)
    event_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="en_cours")  # en_cours|acceptee|refusee
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ConcertationMeeting(Base):
    """A concertation meeting during the year and its minutes (R-EVAL-1, §8 pupil file)."""

    __tablename__ = "concertation_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    school_year: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_label: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Prolongation(Base):
    """The prolongation of a dossier's IPT into one school year: one per dossier and year."""

    __tablename__ = "prolongations"
    __table_args__ = (UniqueConstraint("dossier_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    school_year: Mapped[int] = mapped_column(Integer)  # the year the IPT would continue into
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    # en_cours | favorable | declaree | non_prolongee | annulee
    status: Mapped[str] = mapped_column(String(20), default="en_cours", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_by_label: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # no decision on the last day of the school year: flagged on the campaign page, escalated
    flagged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SchoolYearRecord(Base):
    """One row per school year of the dossier (annex 6): where the pupil was, IPT or not, how
    it ended. Kept by the engine as the IPT starts, is prolonged and ends."""

    __tablename__ = "school_year_records"
    __table_args__ = (UniqueConstraint("dossier_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    school_year: Mapped[int] = mapped_column(Integer)
    in_ipt: Mapped[bool] = mapped_column(Boolean, default=True)
    eo_school_name: Mapped[str | None] = mapped_column(String(200))
    eo_school_fase: Mapped[str | None] = mapped_column(String(20))
    pole_name: Mapped[str | None] = mapped_column(String(200))
    pole_fase: Mapped[str | None] = mapped_column(String(20))
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(30))
