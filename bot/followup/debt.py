"""Postmortem debt: a resolved incident whose postmortem is still unpublished POSTMORTEM_DUE_DAYS
working days after its resolution is owed. Who is asked, when it is due, and when the next nudge
goes: pure policy, no I/O, like the action items' cadence (bot/followup/cadence.py), whose
working hours, working days and cadence it reuses.

- Owner: the facilitator, else the commander, else whoever declared it.
- Due: the owner's working day `POSTMORTEM_DUE_DAYS` working days after the (local) day it was
  resolved (resolved Friday with 5: the next Friday). The first nudge goes at the start of that
  day, in the owner's hours; then one every `REMINDER_OVERDUE_EVERY_DAYS` working days, never two
  on one local day. The nudge after `REMINDER_ESCALATE_AFTER` nudges also asks for help, once.
- A reopened and resolved again incident starts a new round: nudges sent before its latest
  resolution don't count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from bot.followup.cadence import (
    Cadence,
    WorkingHours,
    add_working_days,
    day_start,
    next_working_moment,
)
from models import Incident, IncidentStatus, PostmortemState, Severity


class ClaimedDebt(NamedTuple):
    """What the sweep reads of an owed incident it claimed (the names are Incident's columns)."""

    id: int
    team_id: str
    number: int
    title: str
    severity: Severity
    status: IncidentStatus
    postmortem_state: PostmortemState
    channel_id: str | None
    declared_by: str
    commander_id: str | None
    facilitator_id: str | None
    resolved_at: datetime
    debt_nudges: int
    debt_last_nudged_at: datetime | None
    debt_escalated_at: datetime | None
    debt_send_failures: int

    @property
    def owner_id(self) -> str:
        return owner_of(self)

    def as_incident(self) -> Incident:
        """A detached Incident with these fields, for the message builders."""
        return Incident(**self._asdict())


@dataclass(frozen=True, slots=True)
class Round:
    """The nudges of the current round: those sent since the incident's latest resolution."""

    nudges: int
    last_sent: datetime | None
    escalated: bool


@dataclass(frozen=True, slots=True)
class DebtNudge:
    """The next nudge: `at` (UTC, never before `now`), the moment the postmortem is due (the
    start of the owner's working day), and whether this nudge also asks for help."""

    at: datetime
    due_at: datetime
    escalate: bool


def owner_of(incident: Incident | ClaimedDebt) -> str:
    """Who is asked to get the postmortem written: facilitator, else commander, else declarer."""
    return incident.facilitator_id or incident.commander_id or incident.declared_by


def helper_of(incident: Incident | ClaimedDebt) -> str | None:
    """Who an escalation goes to by DM: the commander, unless they are the owner (then the
    escalation goes to POSTMORTEM_CHANNEL)."""
    commander = incident.commander_id
    return commander if commander and commander != owner_of(incident) else None


def current_round(debt: ClaimedDebt) -> Round:
    last = debt.debt_last_nudged_at
    if last is None or last < debt.resolved_at:
        return Round(nudges=0, last_sent=None, escalated=False)
    escalated = debt.debt_escalated_at is not None and debt.debt_escalated_at >= debt.resolved_at
    return Round(nudges=debt.debt_nudges, last_sent=last, escalated=escalated)


def due_day(resolved_at: datetime, due_days: int, hours: WorkingHours) -> date:
    """The owner's working day the postmortem is due: `due_days` working days after the day
    (in their zone) it was resolved; that day itself doesn't count."""
    return add_working_days(resolved_at.astimezone(hours.zone).date(), due_days, hours)


def next_debt_nudge(
    *,
    resolved_at: datetime,
    due_days: int,
    done: Round,
    now: datetime,
    hours: WorkingHours,
    cadence: Cadence,
) -> DebtNudge:
    """The next nudge after the round `done` so far: on the due day, then every
    `cadence.overdue_every_days` working days after the last one; a slot missed while the bot
    was down goes out once, at the next working moment."""
    due = due_day(resolved_at, due_days, hours)
    day = due
    if done.last_sent is not None:
        last_day = done.last_sent.astimezone(hours.zone).date()
        day = add_working_days(max(last_day, due), cadence.overdue_every_days, hours)
    at = next_working_moment(max(day_start(day, hours), now), hours)
    escalate = not done.escalated and done.nudges >= cadence.escalate_after_overdue_nudges
    return DebtNudge(at=at, due_at=day_start(due, hours), escalate=escalate)
