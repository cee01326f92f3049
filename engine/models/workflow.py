"""Spec versions, process instances and the one open-task table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class SpecVersion(Base):
    """A process definition version: its files, stored once, keyed by content hash."""

    __tablename__ = "spec_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    files: Mapped[dict] = mapped_column(JSON)  # relative path → text
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ProcessInstance(Base):
    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    spec_version_id: Mapped[int] = mapped_column(ForeignKey("spec_versions.id"))
    state: Mapped[str] = mapped_column(Text)  # serializer output, state only (no specs)
    serializer_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": revision}


class HumanTask(Base):
    """One row per user task waiting for (or done by) a partner: the inbox is one query."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_org_state", "organisation_id", "state"),
        Index("ix_human_tasks_dossier_state", "dossier_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(100))
    party: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated Role values
    form: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(30))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_by_label: Mapped[str | None] = mapped_column(String(200))
