"""OAuth states (SQLite and PostgreSQL): good once, until they expire."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.installations.lifecycle import purge_due
from bot.installations.state_store import SqlOAuthStateStore
from models.installation import SlackOAuthState


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_state_is_good_once(sessions: async_sessionmaker) -> None:
    store = SqlOAuthStateStore(sessions)
    state = await store.async_issue()
    other = await store.async_issue()
    assert state != other and len(state) >= 40
    assert await store.async_consume(state) is True
    assert await store.async_consume(state) is False
    assert await store.async_consume(other) is True


async def test_an_unknown_or_empty_state_is_refused(sessions: async_sessionmaker) -> None:
    store = SqlOAuthStateStore(sessions)
    await store.async_issue()
    assert await store.async_consume("made-up-state") is False
    assert await store.async_consume("") is False


async def test_an_expired_state_is_refused_and_dropped(sessions: async_sessionmaker) -> None:
    clock = Clock()
    store = SqlOAuthStateStore(sessions, expiration_seconds=600, clock=clock)
    late, in_time = await store.async_issue(), await store.async_issue()
    clock.now += timedelta(seconds=599)
    assert await store.async_consume(in_time) is True
    clock.now += timedelta(seconds=2)
    assert await store.async_consume(late) is False
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SlackOAuthState)) == 0


async def test_two_replicas_consuming_one_state_accept_it_once(
    sessions: async_sessionmaker,
) -> None:
    first, second = SqlOAuthStateStore(sessions), SqlOAuthStateStore(sessions)
    state = await first.async_issue()
    answers = await asyncio.gather(first.async_consume(state), second.async_consume(state))
    assert sorted(answers) == [False, True]


async def test_the_daily_purge_drops_states_nobody_came_back_with(
    sessions: async_sessionmaker,
) -> None:
    clock = Clock()
    store = SqlOAuthStateStore(sessions, expiration_seconds=600, clock=clock)
    await store.async_issue()
    clock.now += timedelta(minutes=5)
    fresh = await store.async_issue()
    await purge_due(sessions, now=clock.now + timedelta(minutes=6), retention_days=30)
    async with sessions() as session:
        left = (await session.scalars(select(SlackOAuthState.state))).all()
    assert left == [fresh]
