"""Incidents: finding them, numbering them per team, declaring them, and changing their status,
severity and roles.

Every function takes the session (or, where it needs several short transactions, the
sessionmaker) keyword-only and filters on the team id. Every change writes a system timeline
event and an audit entry in the same transaction.
"""

from __future__ import annotations

import asyncio
import enum
import re
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit as audit_log
from bot.errors import NotFoundError, NotInIncidentChannelError, UserInputError
from bot.incidents.forms import Declaration
from bot.timeline.events import add_event
from bot.ui.text import inert  # what a person typed, echoed back: shown, not live
from bot.users import get_user
from models import EventSource, Incident, IncidentStatus, Severity, SlackUser

REF_PATTERN = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
MENTION_PATTERN = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
NUMBER_ATTEMPTS = 20  # declarations racing for a number: each round one wins, the rest go on
USER_CHECK_SECONDS = 2.0  # users.info inside a request Slack wants acknowledged within 3 s
SETTABLE_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
)
ALREADY_AN_INCIDENT = "This channel is already the channel of {ref}."


class Field(enum.StrEnum):
    """What a lifecycle change changes (the roles are the last two)."""

    STATUS = "status"
    SEVERITY = "severity"
    COMMANDER = "commander"
    FACILITATOR = "facilitator"


ROLES = (Field.COMMANDER, Field.FACILITATOR)


@dataclass(frozen=True, slots=True)
class Change:
    incident_id: int
    ref: str
    field: Field
    old: str | None
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def describe(self) -> str:
        shown = f"<@{self.new}>" if self.field in ROLES else f"*{self.new}*"
        label = self.field.value.capitalize()
        if not self.changed:
            return f"{label} of {self.ref} is already {shown}."
        return f"{label} of {self.ref} is now {shown}. The header is updated."


# ---- lookups -----------------------------------------------------------------------------------


async def find_by_channel(
    *, session: AsyncSession, team_id: str, channel_id: str
) -> Incident | None:
    return await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.channel_id == channel_id)
    )


async def require_by_channel(*, session: AsyncSession, team_id: str, channel_id: str) -> Incident:
    """The incident this channel belongs to, or an error that tells the person how to declare."""
    incident = await find_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    if incident is None:
        raise NotInIncidentChannelError(
            "This isn't an incident channel. Run `/postmortem declare [title]` to declare an "
            "incident (with a new channel, or to review this one)."
        )
    return incident


async def find_by_ref(*, session: AsyncSession, team_id: str, ref: str) -> Incident:
    """`INC-<n>` or the incident channel's id."""
    match = REF_PATTERN.match(ref.strip())
    condition = (
        Incident.number == int(match.group(1)) if match else Incident.channel_id == ref.strip()
    )
    incident = await session.scalar(select(Incident).where(Incident.team_id == team_id, condition))
    if incident is None:
        raise NotFoundError(f"No incident {ref} in this workspace.")
    return incident


async def next_number(*, session: AsyncSession, team_id: str) -> int:
    """The next INC number for the team; the (team_id, number) unique key settles races."""
    highest = await session.scalar(
        select(func.max(Incident.number)).where(Incident.team_id == team_id)
    )
    return (highest or 0) + 1


# ---- what people type --------------------------------------------------------------------------


def parse_status(text: str) -> IncidentStatus:
    value = text.strip().lower()
    for status in SETTABLE_STATUSES:
        if value == status.value:
            return status
    choices = "|".join(status.value for status in SETTABLE_STATUSES)
    shown = f"`{inert(text.strip())}`" if text.strip() else "no status"
    raise UserInputError(f"Unknown status: {shown}. Use `/postmortem status <{choices}>`.")


def parse_severity(text: str) -> Severity:
    value = text.strip().upper()
    for severity in Severity:
        if value in (severity.value, severity.value.removeprefix("SEV")):
            return severity
    shown = f"`{inert(text.strip())}`" if text.strip() else "no severity"
    raise UserInputError(f"Unknown severity: {shown}. Use `/postmortem severity <SEV1-SEV4>`.")


def parse_role_command(text: str) -> tuple[Field, str]:
    """`commander <@U123|alex>` → (Field.COMMANDER, "U123"); slash commands escape mentions."""
    usage = "Use `/postmortem role <commander|facilitator> @person`."
    parts = text.split()
    if len(parts) != 2:
        raise UserInputError(usage)
    role_text, mention = parts[0].lower(), parts[1]
    role = next((role for role in ROLES if role.value == role_text), None)
    if role is None:
        raise UserInputError(f"Unknown role: `{inert(parts[0])}`. {usage}")
    match = MENTION_PATTERN.match(mention)
    if match is None:
        raise UserInputError(f"Mention the person with @, like `@alex`. {usage}")
    return role, match.group(1)


async def require_person(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    now: datetime,
    field: str | None = None,
) -> SlackUser:
    """A real, active person in this workspace (not a bot, not deactivated)."""
    try:
        async with asyncio.timeout(USER_CHECK_SECONDS):
            user = await get_user(
                session=session, client=client, team_id=team_id, user_id=user_id, now=now
            )
    except NotFoundError as error:
        raise UserInputError(error.message, field=field) from None
    except TimeoutError:
        raise UserInputError(
            f"Slack took too long to confirm <@{user_id}>. Please try again.", field=field
        ) from None
    if user.is_bot:
        raise UserInputError(f"<@{user_id}> is a bot; pick a person.", field=field)
    if user.deleted:
        raise UserInputError(f"<@{user_id}> has been deactivated; pick someone else.", field=field)
    return user


# ---- declaring ---------------------------------------------------------------------------------


async def insert_incident(
    *,
    sessions: async_sessionmaker[AsyncSession],
    declaration: Declaration,
    channel_id: str,
    started_at: datetime,
    now: datetime,
) -> Incident:
    """The incident row, its "declared" timeline event and audit entry, in one short transaction.

    Two declarations can read the same next number; the unique key refuses the second, which
    tries again with the next number. A channel that became an incident channel meanwhile is
    refused; any other failure is raised.
    """
    team_id = declaration.team_id
    for _ in range(NUMBER_ATTEMPTS):
        async with sessions() as session:
            number = await next_number(session=session, team_id=team_id)
            try:
                incident = await _insert(session, declaration, number, channel_id, started_at, now)
                await session.commit()
                return incident
            except IntegrityError:
                await session.rollback()
                taken = await find_by_channel(
                    session=session, team_id=team_id, channel_id=channel_id
                )
                if taken is not None:
                    raise UserInputError(ALREADY_AN_INCIDENT.format(ref=taken.ref)) from None
                if not await _number_taken(session, team_id, number):
                    raise
    raise RuntimeError(f"no free incident number after {NUMBER_ATTEMPTS} attempts")


async def _insert(
    session: AsyncSession,
    declaration: Declaration,
    number: int,
    channel_id: str,
    started_at: datetime,
    now: datetime,
) -> Incident:
    incident = Incident(
        team_id=declaration.team_id,
        number=number,
        title=declaration.title,
        summary=declaration.summary,
        severity=declaration.severity,
        status=IncidentStatus.INVESTIGATING,
        channel_id=channel_id,
        declared_by=declaration.declared_by,
        commander_id=declaration.commander_id,
        facilitator_id=declaration.facilitator_id,
        services=list(declaration.services),
        started_at=started_at,
    )
    session.add(incident)
    await session.flush()
    actor = declaration.declared_by
    await add_event(
        session=session,
        incident=incident,
        source=EventSource.SYSTEM,
        text=f"{incident.ref} declared by <@{actor}>",
        occurred_at=now,
        author_id=actor,
    )
    detail = {
        "number": number,
        "title": declaration.title,
        "severity": declaration.severity.value,
        "channel_id": channel_id,
        "review": declaration.review_channel_id is not None,
        "commander_id": declaration.commander_id,
        "facilitator_id": declaration.facilitator_id,
    }
    audit(session, incident, actor, "incident.declare", detail, now)
    await session.flush()
    return incident


async def _number_taken(session: AsyncSession, team_id: str, number: int) -> bool:
    found = await session.scalar(
        select(Incident.id).where(Incident.team_id == team_id, Incident.number == number)
    )
    return found is not None


async def set_header_ts(
    *, sessions: async_sessionmaker[AsyncSession], incident: Incident, header_ts: str
) -> None:
    async with sessions() as session, session.begin():
        stored = await session.scalar(
            select(Incident).where(Incident.team_id == incident.team_id, Incident.id == incident.id)
        )
        if stored is not None:
            stored.header_ts = header_ts
    incident.header_ts = header_ts


# ---- lifecycle ---------------------------------------------------------------------------------


async def apply_change(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    incident: Incident,
    actor_id: str,
    field: Field,
    value: str,
    now: datetime,
) -> Change:
    """Change the incident's status, severity or a role (the commands and the header's controls
    both come here). `value` is a status or severity as typed, or a user id."""
    if field is Field.STATUS:
        new = parse_status(value).value
        old = _set_status(incident, IncidentStatus(new), now)
    elif field is Field.SEVERITY:
        new, old = parse_severity(value).value, incident.severity.value
        incident.severity = Severity(new)
    else:
        await require_person(
            session=session, client=client, team_id=incident.team_id, user_id=value, now=now
        )
        new, old = value, _set_role(incident, field, value)
    change = Change(incident_id=incident.id, ref=incident.ref, field=field, old=old, new=new)
    if change.changed:
        await add_event(
            session=session,
            incident=incident,
            source=EventSource.SYSTEM,
            text=_event_text(change, actor_id),
            occurred_at=now,
            author_id=actor_id,
        )
        detail = {"from": old, "to": new}
        audit(session, incident, actor_id, f"incident.{field.value}", detail, now)
    return change


def _set_status(incident: Incident, status: IncidentStatus, now: datetime) -> str:
    old = incident.status
    if status == old:
        return old.value
    incident.status = status
    if status in (IncidentStatus.MONITORING, IncidentStatus.RESOLVED):
        incident.mitigated_at = incident.mitigated_at or now
    if status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
    elif old in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        incident.resolved_at = None  # reopened
    return old.value


def _set_role(incident: Incident, role: Field, user_id: str) -> str | None:
    if role is Field.COMMANDER:
        old, incident.commander_id = incident.commander_id, user_id
    else:
        old, incident.facilitator_id = incident.facilitator_id, user_id
    return old


def _event_text(change: Change, actor_id: str) -> str:
    if change.field in ROLES:
        return f"{change.field.value.capitalize()} set to <@{change.new}> by <@{actor_id}>"
    return f"{change.field.value.capitalize()} changed to {change.new} by <@{actor_id}>"


def audit(
    session: AsyncSession,
    incident: Incident,
    actor_id: str | None,
    action: str,
    detail: dict[str, object],
    now: datetime,
) -> None:
    audit_log.record(
        session,
        team_id=incident.team_id,
        incident_id=incident.id,
        actor_id=actor_id,
        action=action,
        detail=detail,
        at=now,
    )
