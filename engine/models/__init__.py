"""The typed tables. Import from here: `from engine.models import Dossier`."""

from engine.db import Base
from engine.models.audit import AuditEvent, OutboxMessage
from engine.models.auth import ApiToken, LoginThrottle, ParentLink
from engine.models.background import Campaign, ClockSetting, DailyRun, ReminderDigest, Timer
from engine.models.directory import Membership, Organisation, PoleTie, User
from engine.models.documents import Attachment, GeneratedDocument
from engine.models.dossiers import (
    ConcertationMeeting,
    Decision,
    Dossier,
    Guardian,
    PartnerRequest,
    PartySnapshot,
    Prolongation,
    SchoolYearRecord,
    StageContent,
    StopRequest,
)
from engine.models.workflow import HumanTask, ProcessInstance, SpecVersion

__all__ = [
    "Base",
    "AuditEvent",
    "OutboxMessage",
    "Campaign",
    "ClockSetting",
    "DailyRun",
    "ReminderDigest",
    "Timer",
    "ApiToken",
    "LoginThrottle",
    "ParentLink",
    "Attachment",
    "GeneratedDocument",
    "Membership",
    "Organisation",
    "PoleTie",
    "User",
    "ConcertationMeeting",
    "Decision",
    "Dossier",
    "Guardian",
    "PartnerRequest",
    "PartySnapshot",
    "Prolongation",
    "SchoolYearRecord",
    "StageContent",
    "StopRequest",
    "HumanTask",
    "ProcessInstance",
    "SpecVersion",
]
