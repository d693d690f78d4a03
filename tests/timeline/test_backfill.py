"""Backfill: an existing channel's history and threads become the incident's timeline, paged and
paced, without duplicating what live capture stores too."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import SlackCallError
from bot.slack import create_web_client
from bot.timeline.backfill import backfill_channel
from bot.timeline.backfill_reader import RATE_LIMIT_RETRIES
from tests.conftest import BOT_TOKEN, TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline.test_capture import events_of, seed_channel, seed_incident


def seed_history(fake_slack: FakeSlack, channel: str, *, messages: int, replies: int) -> str:
    """`messages` top-level messages, a thread of `replies` on the first, plus noise; returns
    the thread's ts."""
    parent = fake_slack.add_message(channel, text="db-1 alarms firing", user="U0ALICE")
    for n in range(replies):
        fake_slack.add_message(channel, text=f"reply {n}", user="U0BOB", thread_ts=parent)
    for n in range(messages - 1):
        fake_slack.add_message(channel, text=f"update {n}", user="U0ALICE")
    fake_slack.add_message(
        channel, text="<@U0BOB> has joined", user="U0BOB", subtype="channel_join"
    )
    fake_slack.add_message(channel, text="INC-1 header", user="U0BOT", bot_id=fake_slack.bot_id)
    return parent


async def backfill(
    fake_slack: FakeSlack,
    sessions: async_sessionmaker[AsyncSession],
    incident_id: int,
    channel: str,
    pause: float = 0,
) -> int:
    return await backfill_channel(
        client=create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN),
        sessions=sessions,
        team_id=TEAM_ID,
        incident_id=incident_id,
        channel_id=channel,
        bot_user_id=fake_slack.bot_user_id,
        bot_id=fake_slack.bot_id,
        pause=pause,
    )


async def test_backfill_joins_and_pages_history_and_threads(
    fake_slack: FakeSlack, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel = seed_channel(fake_slack)
    fake_slack.channels[channel].members.discard(fake_slack.bot_user_id)  # not a member yet
    incident_id = await seed_incident(sessions, channel)
    parent = seed_history(fake_slack, channel, messages=450, replies=250)
    assert await backfill(fake_slack, sessions, incident_id, channel) == 450 + 250
    assert fake_slack.bot_user_id in fake_slack.channels[channel].members
    history = fake_slack.calls_to("conversations.history")
    replies = fake_slack.calls_to("conversations.replies")
    assert len(history) == 3 and len(replies) == 2  # 452 top-level / 200, 251 in thread / 200
    assert all(int(call.args["limit"]) == 200 for call in [*history, *replies])
    assert [bool(call.args.get("cursor")) for call in history] == [False, True, True]
    stored = await events_of(sessions)
    assert len({e.ts for e in stored}) == len(stored) == 700
    assert sum(1 for e in stored if e.thread_ts == parent) == 250
    assert all(e.incident_id == incident_id for e in stored)


async def test_backfill_overlapping_live_capture_stores_each_message_once(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    seed_history(fake_slack, channel, messages=5, replies=2)
    live = slack.message_event(channel, "rolled back", user="U0BOB")
    fake_slack.add_message(channel, text="rolled back", user="U0BOB", ts=live["ts"])
    await slack.event(live)
    edit = slack.message_changed_event(channel, ts=live["ts"], text="rolled back v42", user="U0BOB")
    await slack.event(edit)
    assert await backfill(fake_slack, sessions, incident_id, channel) == 5 + 2
    assert await backfill(fake_slack, sessions, incident_id, channel) == 0  # again: nothing new
    stored = await events_of(sessions)
    assert len(stored) == 8 and len({e.ts for e in stored}) == 8
    assert next(e for e in stored if e.ts == live["ts"]).text == "rolled back v42"


async def test_backfill_waits_out_a_429_and_paces_its_calls(
    fake_slack: FakeSlack, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    seed_history(fake_slack, channel, messages=3, replies=1)
    fake_slack.fail("conversations.history", status=429, retry_after=0, times=1)
    assert await backfill(fake_slack, sessions, incident_id, channel, pause=0.05) == 4
    calls = [c for c in fake_slack.calls if c.method.startswith("conversations.")]
    methods = [c.method for c in calls]
    assert methods == [
        "conversations.join",
        *["conversations.history"] * 2,
        "conversations.replies",
    ]
    reads = [c for c in calls if not c.failed and c.method != "conversations.join"]
    assert reads[1].at - reads[0].at >= 0.05


async def test_backfill_that_keeps_failing_is_logged_and_raised(
    fake_slack: FakeSlack,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    seed_history(fake_slack, channel, messages=3, replies=0)
    fake_slack.fail("conversations.history", status=429, retry_after=0, times=None)
    with (
        caplog.at_level(logging.ERROR, logger="bot.timeline.backfill"),
        pytest.raises(SlackCallError),
    ):
        await backfill(fake_slack, sessions, incident_id, channel)
    assert "conversations.history failed (ratelimited, HTTP 429)" in caplog.text
    # The first try and 10 more, each after the Retry-After asked (the reader's own retries).
    assert len(fake_slack.calls_to("conversations.history")) == 1 + RATE_LIMIT_RETRIES == 11
    assert await events_of(sessions) == []
