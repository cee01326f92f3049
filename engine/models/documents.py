"""The pupil file kept at the pôle (§8): frozen annexes and uploaded attachments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class GeneratedDocument(Base):
    """One version of an annex, frozen when its stage's facts completed.

    `facts` is what the document says, captured in the transaction that completed the stage;
    the PDF made from it is stored once (`storage_key`, `sha256`) and never rewritten. A later
    correction of the source rows (`sources` is their digest) makes a new version; both stay.
    """

    __tablename__ = "generated_documents"
    __table_args__ = (UniqueConstraint("dossier_id", "annex", "occurrence", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    annex: Mapped[int] = mapped_column(Integer)
    occurrence: Mapped[str] = mapped_column(String(40))  # "" | a school year | "arret-<id>"
    school_year: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    sources: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict] = mapped_column(JSON)
    facts_sha256: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    rendered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    """A document the product cannot produce, uploaded for a dossier (and a school year)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    school_year: Mapped[int | None] = mapped_column(Integer)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("concertation_meetings.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_label: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
