"""Hindsight's data model. Importing this package registers every table on `Base.metadata`."""

from models.action import (
    ActionItem,
    ActionKind,
    ActionStatus,
    DeliveryKind,
    DigestPost,
    Priority,
    ReminderDelivery,
)
from models.audit import AuditEntry
from models.backfill import BackfillRun, BackfillThread
from models.base import Base, utcnow
from models.incident import (
    EventSource,
    Incident,
    IncidentStatus,
    PostmortemState,
    Severity,
    TimelineEvent,
    TimelineMark,
)
from models.installation import SlackInstallation, SlackOAuthState, SlackTeam
from models.retro import ContributingFactor, FactorCategory, Retrospective
from models.slack import ProcessedEvent, SlackRoster, SlackUser
from models.tracker import TrackerIntent

__all__ = [
    "ActionItem",
    "ActionKind",
    "ActionStatus",
    "AuditEntry",
    "BackfillRun",
    "BackfillThread",
    "Base",
    "ContributingFactor",
    "DeliveryKind",
    "DigestPost",
    "EventSource",
    "FactorCategory",
    "Incident",
    "IncidentStatus",
    "PostmortemState",
    "Priority",
    "ProcessedEvent",
    "ReminderDelivery",
    "Retrospective",
    "Severity",
    "SlackInstallation",
    "SlackOAuthState",
    "SlackRoster",
    "SlackTeam",
    "SlackUser",
    "TimelineEvent",
    "TimelineMark",
    "TrackerIntent",
    "utcnow",
]
