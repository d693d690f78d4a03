"""Creating an action item outside the retro, one service per way of asking:
`/postmortem action …` and the "Create action item" modal (and what prefills it).

Each checks and stores in one transaction of its own (given the session factory, it commits);
the owner is told after that commit (bot/followup/show.py `tell_owner`).
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup.items import (
    Fields,
    NewItem,
    author_name,
    create_action_item,
    parse_action_command,
    today_for,
)
from bot.incidents.lifecycle import require_by_channel
from models import ActionItem, Incident

Sessions = async_sessionmaker[AsyncSession]


async def create_from_command(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    user_id: str,
    args: str,
    now: datetime,
    settings: Settings,
) -> tuple[ActionItem, Incident]:
    """`<title> [@owner] [due <date>]` typed in an incident channel; the owner is the person
    typing unless one is named. Dates are read in their own time zone."""
    async with sessions() as session:
        # Outside an incident channel that is the answer, whatever the arguments say.
        await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
        today = await today_for(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
        parsed = parse_action_command(args, today=today)
        new = NewItem(title=parsed.title, owner_id=parsed.owner_id or user_id, due=parsed.due)
        created = await create_action_item(
            session=session,
            client=client,
            team_id=team_id,
            channel_id=channel_id,
            created_by=user_id,
            new=new,
            today=today,
            now=now,
            settings=settings,
        )
        await session.commit()
    return created


async def create_item(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    created_by: str,
    new: NewItem,
    now: datetime,
    settings: Settings,
    fields: Fields | None = None,
) -> tuple[ActionItem, Incident]:
    """An item from the modal (problems marked on its `fields`)."""
    async with sessions() as session:
        today = await today_for(
            session=session, client=client, team_id=team_id, user_id=created_by, now=now
        )
        created = await create_action_item(
            session=session,
            client=client,
            team_id=team_id,
            channel_id=channel_id,
            created_by=created_by,
            new=new,
            today=today,
            now=now,
            settings=settings,
            fields=fields,
        )
        await session.commit()
    return created


async def prefill(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    author_id: str | None,
    app_name: str | None,
    now: datetime,
) -> tuple[Incident, str]:
    """What the modal opened from a message shows: the channel's incident (refused outside
    one) and the message's author, by name."""
    async with sessions() as session:
        incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
        author = await author_name(
            session=session,
            client=client,
            team_id=team_id,
            user_id=author_id,
            app_name=app_name,
            now=now,
        )
        await session.commit()  # users.info answers are cached
    return incident, author
