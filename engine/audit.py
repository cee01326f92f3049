"""Every read and write of a dossier is attributable to a person."""

from __future__ import annotations

from engine.clock import clock
from engine.models import AuditEvent


def record(session, actor, action: str, summary: str, dossier_id=None, **detail) -> AuditEvent:
    event = AuditEvent(
        dossier_id=dossier_id,
        at=clock.now(),
        actor_user_id=getattr(actor, "user_id", None),
        actor_label=getattr(actor, "label", None) or "système",
        action=action,
        summary=summary[:500],
        detail=detail,
    )
    session.add(event)
    return event
