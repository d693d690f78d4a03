"""Slack users, through a database cache (names to render, time zones, the names the
blameless-wording check treats as persons): one person at a time from users.info, and the whole
workspace (its roster) from users.list, in the background, when the roster is empty or stale."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFoundError
from bot.locks import KeyedLocks
from bot.tasks import TaskSet
from models import SlackRoster, SlackUser

logger = logging.getLogger(__name__)

CACHE_TTL = timedelta(hours=12)
# A day: people join, leave and rename themselves far less often than that, and a big
# workspace's list costs many pages of a Tier 2 method (about 20 a minute); someone who joined
# today is still recognised by a mention, or by the CLI's capitalised-name rule.
ROSTER_TTL = timedelta(hours=24)
ROSTER_PAGE = 200  # what Slack recommends asking for at a time


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
    *, session: AsyncSession, team_id: str, user: Mapping[str, Any], now: datetime
) -> None:
    """Upsert one users.info `user` object into the cache, fetched at `now`."""
    await store_users(session=session, team_id=team_id, users=[user], now=now)


async def store_users(
    *, session: AsyncSession, team_id: str, users: Iterable[Mapping[str, Any]], now: datetime
) -> None:
    """Upsert user objects (users.info's or users.list's) into the cache in one statement."""
    rows = {str(user["id"]): _cached(team_id, user, now) for user in users}  # one row per id
    if not rows:
        return
    statement = _insert(session)(SlackUser).values(list(rows.values()))
    statement = statement.on_conflict_do_update(
        index_elements=[SlackUser.team_id, SlackUser.user_id],
        set_={key: statement.excluded[key] for key in (*_USER_FIELDS, "fetched_at")},
    )
    await session.execute(statement)


_USER_FIELDS = (
    "name",
    "real_name",
    "display_name",
    "email",
    "tz",
    "tz_offset",
    "is_bot",
    "deleted",
)


def _cached(team_id: str, user: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    profile = user.get("profile") or {}
    assert isinstance(profile, dict)
    return {
        "team_id": team_id,
        "user_id": str(user["id"]),
        "name": str(user.get("name") or ""),
        "real_name": str(user.get("real_name") or profile.get("real_name") or ""),
        "display_name": str(profile.get("display_name") or ""),
        # Only with users:read.email; how an owner is found in GitHub or Jira.
        "email": profile.get("email") or None,
        "tz": user.get("tz"),
        "tz_offset": user.get("tz_offset"),
        "is_bot": bool(user.get("is_bot")),
        "deleted": bool(user.get("deleted")),
        "fetched_at": now,
    }


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def display_name(user: SlackUser | None, fallback: str) -> str:
    if user is None:
        return fallback
    return user.display_name or user.real_name or user.name or fallback


# ---- the workspace's roster (users.list) --------------------------------------------------------


async def roster_is_stale(*, session: AsyncSession, team_id: str, now: datetime) -> bool:
    """Whether the team's member list was never stored whole, or not within ROSTER_TTL."""
    filled_at = await session.scalar(
        select(SlackRoster.filled_at).where(SlackRoster.team_id == team_id)
    )
    return filled_at is None or now - filled_at >= ROSTER_TTL


async def fill_roster(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    now: datetime,
) -> int:
    """Every member users.list gives (ROSTER_PAGE at a time, by cursor, through `client`'s
    retries) stored in the cache, a short transaction per page; then the roster is marked
    filled at `now`. Returns how many were stored. A page Slack still refuses after the retries
    raises SlackApiError: what earlier pages stored stays, the roster stays stale, and nothing
    already cached is removed (users.list only ever adds or updates)."""
    stored = 0
    async for page in await client.users_list(limit=ROSTER_PAGE):
        members = [member for member in page.get("members") or [] if isinstance(member, dict)]
        async with sessions() as session:
            await store_users(session=session, team_id=team_id, users=members, now=now)
            await session.commit()
        stored += len(members)
    async with sessions() as session:
        statement = _insert(session)(SlackRoster).values(team_id=team_id, filled_at=now)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[SlackRoster.team_id], set_={"filled_at": now}
            )
        )
        await session.commit()
    return stored


async def refresh_roster(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    locks: KeyedLocks[str],
    team_id: str,
    now: datetime,
) -> int | None:
    """Fill the team's roster if it is empty or stale, one fill per team at a time (a caller
    that waited finds it fresh and does nothing). The members stored, or None when it was
    fresh."""
    async with locks.hold(team_id):
        async with sessions() as session:
            if not await roster_is_stale(session=session, team_id=team_id, now=now):
                return None
        return await fill_roster(sessions=sessions, client=client, team_id=team_id, now=now)


@dataclass(slots=True)
class Rosters:
    """The runtime's roster fills: background tasks (never in a request's ack), one per team at
    a time; shutdown cancels what still runs, keeping the pages already stored."""

    tasks: TaskSet = field(default_factory=TaskSet)
    locks: KeyedLocks[str] = field(default_factory=KeyedLocks)

    def refresh(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        client: AsyncWebClient,
        team_id: str,
        now: datetime,
    ) -> asyncio.Task[int | None]:
        """Start filling the team's roster if it is empty or stale (the task checks)."""
        task = self.tasks.start(
            refresh_roster(
                sessions=sessions, client=client, locks=self.locks, team_id=team_id, now=now
            ),
            name=f"roster {team_id}",
        )
        task.add_done_callback(_roster_done)
        return task


def _roster_done(task: asyncio.Task[int | None]) -> None:
    if task.cancelled():
        logger.warning("%s was cancelled; the pages stored so far are kept", task.get_name())
    elif isinstance(error := task.exception(), SlackApiError):
        data = error.response.data  # Slack's error code only: never the request or its token
        logger.warning(
            "%s: users.list failed (%s, HTTP %s) after the client's retries; the cached users "
            "are kept and the roster stays stale",
            task.get_name(),
            data.get("error") if isinstance(data, dict) else "no error code",
            error.response.status_code,
        )
    elif error is not None:
        logger.error("%s failed; the cached users are kept", task.get_name(), exc_info=error)
    elif (stored := task.result()) is not None:
        logger.info("%s filled: %d members", task.get_name(), stored)
