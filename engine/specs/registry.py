"""The process library of a running product: current definitions and stored versions."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from engine import calendar
from engine.clock import clock
from engine.errors import IPTError, SpecError
from engine.models import SpecVersion
from engine.specs import scripting
from engine.specs.loader import ProcessDefinition, build_definitions, load_library


class ProcessLibrary:
    """Built once at start-up (an invalid diagram stops it); old versions built on demand."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.current: dict[str, ProcessDefinition] = load_library(directory)
        try:
            ends = calendar.load_enrolment_ends(directory / "calendar" / "inscriptions.yaml")
        except IPTError as err:
            raise SpecError(
                err.message, file=f"{directory.name}/calendar/inscriptions.yaml"
            ) from None
        scripting.ENROLMENT_ENDS.clear()
        scripting.ENROLMENT_ENDS.update(ends)
        self._by_version: dict[int, ProcessDefinition] = {}
        self._version_ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def store_versions(self, session) -> dict[str, int]:
        """Store each current definition once, by content hash (the caller commits)."""
        for process_id, definition in self.current.items():
            row = session.scalar(
                select(SpecVersion).where(SpecVersion.content_hash == definition.content_hash)
            )
            if row is None:
                row = SpecVersion(
                    process_id=process_id,
                    content_hash=definition.content_hash,
                    files=definition.files,
                    created_at=clock.now(),
                )
                session.add(row)
                session.flush()
            with self._lock:
                self._by_version[row.id] = definition
                self._version_ids[process_id] = row.id
        return dict(self._version_ids)

    def current_version_id(self, process_id: str) -> int:
        try:
            return self._version_ids[process_id]
        except KeyError:
            raise RuntimeError("store_versions() must run at start-up") from None

    def for_version(self, session, version_id: int) -> ProcessDefinition:
        with self._lock:
            cached = self._by_version.get(version_id)
        if cached is not None:
            return cached
        row = session.get(SpecVersion, version_id)
        definition = build_definitions(row.files)[row.process_id]
        with self._lock:
            self._by_version[version_id] = definition
        return definition
