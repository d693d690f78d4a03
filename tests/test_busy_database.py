"""A locked SQLite database: every request is answered inside Slack's 3 s, /healthz says the
database cannot take writes, and the event Slack delivers again is stored exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import create_engine
from tests.conftest import ServedBot, database_name
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline.test_capture import events_of, seed_channel, seed_incident

# Slack gives up on an answer after 3 s; a little room for a busy test machine.
SLACK_PATIENCE = 2.9


@asynccontextmanager
async def write_lock(database_url: str) -> AsyncIterator[None]:
    """Another process's write transaction, held open (as a backup tool or a stuck job would).
    Taken without waiting inside SQLite (that would block this event loop, and with it the
    served bot's own transaction that holds the lock: the start-up sweep may be writing)."""
    holder = sqlite3.connect(make_url(database_url).database or "", timeout=0)
    try:
        for _ in range(500):
            try:
                holder.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError:
                await asyncio.sleep(0.01)
        else:
            raise AssertionError("could not take the write lock within 5 s")
        yield
    finally:
        holder.rollback()
        holder.close()


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def health(served_bot: ServedBot) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{served_bot.url}/healthz")


@pytest.mark.parametrize("backend", ["sqlite"])  # the lock is SQLite's
async def test_a_locked_database_is_answered_within_slacks_three_seconds(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, database_url: str
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    message = slack.message_event(channel, "db-1 is refusing connections", user="U0ALICE")
    async with write_lock(database_url):
        (event, event_took), (command, command_took), (healthz, health_took) = await asyncio.gather(
            timed(slack.event(message, event_id="Ev0LOCKED")),
            timed(slack.command("event 10:00 Failover started", channel_id=channel)),
            timed(health(served_bot)),
        )
    assert event.status_code == 500  # not stored: Slack must deliver it again
    assert command.status_code == 200
    assert command.json()["response_type"] == "ephemeral"
    assert "database is busy" in command.json()["text"]
    assert healthz.status_code == 503
    assert (
        healthz.json()["database"] == "locked" and "cannot take writes" in healthz.json()["reason"]
    )
    assert max(event_took, command_took, health_took) < SLACK_PATIENCE
    assert await events_of(sessions) == []

    retry = await slack.event(message, event_id="Ev0LOCKED", retry_num=1)
    assert retry.status_code == 200
    assert [e.text for e in await events_of(sessions)] == ["db-1 is refusing connections"]
    assert (await health(served_bot)).status_code == 200


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def test_a_read_only_postgresql_fails_the_health_check(
    served_bot: ServedBot, database_url: str
) -> None:
    """A replica that was promoted back, or a database set read-only: it answers SELECT 1, but
    the bot could store nothing, so the load balancer must not send it Slack's requests."""
    assert (await health(served_bot)).status_code == 200
    name = database_name(database_url)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            )
        await served_bot.runtime.engine.dispose()  # new connections get the setting
        healthz = await health(served_bot)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text("SET default_transaction_read_only = off"))
            await connection.execute(
                text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            )
        await admin.dispose()
        await served_bot.runtime.engine.dispose()
    assert healthz.status_code == 503
    assert (
        healthz.json()["database"] == "read-only"
        and "cannot take writes" in healthz.json()["reason"]
    )
    assert (await health(served_bot)).status_code == 200
