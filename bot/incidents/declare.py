"""Declaring an incident: check the form, then create things so that nothing is half-created.

New channel: the channel is created first (Slack can refuse it, and then nothing else exists);
then the incident row goes in, in one short transaction; if that fails, the channel is
archived again. Reviewing an existing channel: the bot joins it, the row goes in, and the
channel's history is backfilled in the background (a run kept in the database, resumed after a
restart: bot/timeline/backfill.py). Either way the declarer and the roles are
invited and the header message is posted and pinned; then, in the background too, similar past
incidents of the team are posted in the channel (bot/insights/similar_load.py), if any.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import HindsightError, SlackCallError, UserInputError
from bot.ids import Declare
from bot.incidents import channels
from bot.incidents import lifecycle as incidents
from bot.incidents.forms import Declaration, DeclareForm
from bot.insights.similar_load import start_similar
from bot.tasks import TaskSet
from bot.timeline import backfill
from models import Incident

logger = logging.getLogger(__name__)

MAX_TITLE = 150
MAX_SERVICES = 20
MAX_SERVICE_NAME = 60
CHECK_SECONDS = 2.0  # the form's checks run before the ack, which Slack wants within 3 s
RECENT_CHANNEL = timedelta(days=30)  # a reviewed channel this young dates the incident's start

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Declared:
    incident: Incident
    channel_created: bool
    invite_failures: dict[str, str] = field(default_factory=dict)
    header_problem: str | None = None


async def validate(
    *, session: AsyncSession, client: AsyncWebClient, form: DeclareForm, now: datetime
) -> tuple[Declaration | None, dict[str, str]]:
    """The form as a Declaration, or every problem with it by the block id to show it on."""
    problems: dict[str, str] = {}
    title = _checked(problems, Declare.TITLE, clean_title, form.title)
    services = _checked(problems, Declare.SERVICES, parse_services, form.services)
    severity = _checked(problems, Declare.SEVERITY, incidents.parse_severity, form.severity or "")
    if not form.commander_id:
        problems[Declare.COMMANDER] = "Pick the incident's commander."
    people = {Declare.COMMANDER: form.commander_id, Declare.FACILITATOR: form.facilitator_id}
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await _check_people(session, client, form.team_id, people, problems, now)
            await _check_review(session, form, problems)
    except TimeoutError:
        problems.setdefault(
            Declare.COMMANDER, "Slack took too long to confirm the people you picked; try again."
        )
    if problems or title is None or severity is None or not form.commander_id:
        return None, problems
    return Declaration(
        team_id=form.team_id,
        declared_by=form.declared_by,
        title=title,
        severity=severity,
        commander_id=form.commander_id,
        summary=form.summary,
        facilitator_id=form.facilitator_id,
        services=services or [],
        review_channel_id=form.review_channel_id,
    ), problems


async def check_form(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    form: DeclareForm,
    now: datetime,
) -> tuple[Declaration | None, dict[str, str]]:
    """`validate` in a short session of its own; nothing in it is committed."""
    async with sessions() as session:
        return await validate(session=session, client=client, form=form, now=now)


def clean_title(text: str) -> str:
    """A title as typed in the form, checked: required, at most 150 characters."""
    title = " ".join(text.split())
    if not title:
        raise UserInputError("Give the incident a title.")
    if len(title) > MAX_TITLE:
        raise UserInputError(f"Keep the title within {MAX_TITLE} characters ({len(title)} now).")
    return title


def parse_services(text: str) -> list[str]:
    """`api, payments , api` → ["api", "payments"]."""
    services = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if len(services) > MAX_SERVICES:
        raise UserInputError(f"List at most {MAX_SERVICES} services or tags.")
    if any(len(service) > MAX_SERVICE_NAME for service in services):
        raise UserInputError(f"Keep each service or tag within {MAX_SERVICE_NAME} characters.")
    return services


def _checked(
    problems: dict[str, str], block_id: str, parse: Callable[[str], T], value: str
) -> T | None:
    try:
        return parse(value)
    except UserInputError as error:
        problems[block_id] = error.message
        return None


async def _check_people(
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    people: dict[str, str | None],
    problems: dict[str, str],
    now: datetime,
) -> None:
    for block_id, user_id in people.items():
        if not user_id:
            continue
        try:
            await incidents.require_person(
                session=session, client=client, team_id=team_id, user_id=user_id, now=now
            )
        except UserInputError as error:
            problems[block_id] = error.message


async def _check_review(session: AsyncSession, form: DeclareForm, problems: dict[str, str]) -> None:
    if form.review_channel_id is None:
        return
    taken = await incidents.find_by_channel(
        session=session, team_id=form.team_id, channel_id=form.review_channel_id
    )
    if taken is not None:
        problems[Declare.CHANNEL] = (
            f"This channel is already the channel of {taken.ref}: declare with a new channel "
            "instead."
        )


async def declare_incident(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    declaration: Declaration,
    channel_prefix: str,
    bot_user_id: str | None,
    bot_id: str | None,
    now: datetime,
    backfills: TaskSet,
) -> Declared:
    """Create (or adopt) the channel and the incident; SlackCallError / UserInputError say why
    not, and then nothing was left behind. A reviewed channel's history is read, and similar
    past incidents are posted, by tasks in `backfills` (the runtime's), after the answer."""
    review = declaration.review_channel_id
    if review is None:
        incident = await _declare_in_new_channel(sessions, client, declaration, channel_prefix, now)
    else:
        incident = await _declare_in_review_channel(sessions, client, declaration, review, now)
    assert incident.channel_id is not None
    people = [declaration.declared_by, declaration.commander_id, declaration.facilitator_id]
    failures = await channels.invite(
        client=client,
        channel_id=incident.channel_id,
        user_ids=[user for user in people if user and user != bot_user_id],
    )
    header_problem = None
    try:
        header_ts = await channels.post_header(client=client, incident=incident)
    except SlackCallError as error:
        header_problem = error.message
    else:
        await incidents.set_header_ts(sessions=sessions, incident=incident, header_ts=header_ts)
    if review is not None:
        await backfill.start_backfill(
            backfills,
            name=f"backfill {incident.team_id} {incident.ref}",
            client=client,
            sessions=sessions,
            team_id=incident.team_id,
            incident_id=incident.id,
            channel_id=review,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
        )
    start_similar(backfills, sessions=sessions, client=client, incident=incident)
    return Declared(incident, review is None, failures, header_problem)


async def _declare_in_review_channel(
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    declaration: Declaration,
    channel_id: str,
    now: datetime,
) -> Incident:
    created = await channels.join_channel(client=client, channel_id=channel_id)
    started = datetime.fromtimestamp(created, UTC) if created else now
    return await incidents.insert_incident(
        sessions=sessions,
        declaration=declaration,
        channel_id=channel_id,
        started_at=started if now - started <= RECENT_CHANNEL else now,
        now=now,
    )


async def _declare_in_new_channel(
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    declaration: Declaration,
    channel_prefix: str,
    now: datetime,
) -> Incident:
    name = channels.channel_name(
        prefix=channel_prefix, declared_on=now.astimezone(UTC).date(), title=declaration.title
    )
    channel = await channels.create_channel(client=client, name=name)
    try:
        return await incidents.insert_incident(
            sessions=sessions,
            declaration=declaration,
            channel_id=channel.id,
            started_at=now,
            now=now,
        )
    except Exception as error:
        logger.error("declaring failed after creating #%s; archiving it", channel.name)
        archived = await channels.archive_channel(client=client, channel_id=channel.id)
        where = "archived" if archived else "left behind (archive it by hand)"
        raise HindsightError(
            f"I couldn't save the incident, so nothing was declared; the channel "
            f"#{channel.name} I had created was {where}. Please try again."
        ) from error
