"""Slack users, through a database cache of users.info (names to render, time zones)."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFoundError
from models import SlackUser

CACHE_TTL = timedelta(hours=12)


async def get_user(
    *, session: AsyncSession, client: AsyncWebClient, team_id: str, user_id: str, now: datetime
) -> SlackUser:
    """The cached user, refreshed from users.info when stale at `now` (the runtime's clock);
    NotFoundError for no such user."""
    cached = await session.scalar(
        select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
    )
    if cached is not None and now - cached.fetched_at < CACHE_TTL:
        return cached
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as error:
        if error.response.get("error") in ("user_not_found", "user_not_visible"):
            raise NotFoundError(f"<@{user_id}> is not a user in this workspace.") from None
        raise
    await store_user(session=session, team_id=team_id, user=response["user"], now=now)
    refreshed = await session.scalar(
        select(SlackUser)
        .where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    assert refreshed is not None
    return refreshed


async def store_user(
    *, session: AsyncSession, team_id: str, user: dict[str, object], now: datetime
) -> None:
    """Upsert one users.info `user` object into the cache, fetched at `now`."""
    profile = user.get("profile") or {}
    assert isinstance(profile, dict)
    values = {
        "team_id": team_id,
        "user_id": str(user["id"]),
        "name": str(user.get("name") or ""),
        "real_name": str(user.get("real_name") or profile.get("real_name") or ""),
        "display_name": str(profile.get("display_name") or ""),
        "tz": user.get("tz"),
        "tz_offset": user.get("tz_offset"),
        "is_bot": bool(user.get("is_bot")),
        "deleted": bool(user.get("deleted")),
        "fetched_at": now,
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(SlackUser).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[SlackUser.team_id, SlackUser.user_id],
        set_={key: statement.excluded[key] for key in values if key not in ("team_id", "user_id")},
    )
    await session.execute(statement)


def display_name(user: SlackUser | None, fallback: str) -> str:
    if user is None:
        return fallback
    return user.display_name or user.real_name or user.name or fallback
