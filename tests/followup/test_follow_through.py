"""Follow-through end to end, on a clock the test moves: an item made with `/postmortem action`,
reminded by the sweep in its owner's working hours, then snoozed and closed with the buttons of
the reminder DM itself (signed HTTP), and never reminded again once it is done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.sweep import SweepReport, sweep
from bot.ids import FollowUp
from bot.ui.item import controls_block_id, item_block_id
from models import ActionItem, ActionStatus
from tests.clock import FrozenClock
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline_seed import seed_incident

Sessions = async_sessionmaker[AsyncSession]
OWNER = "U0OWEN"  # in Tokyo: nine hours ahead of UTC, no DST
CREATED = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CREATED)


async def sweep_at(bot: ServedBot, clock: FrozenClock, moment: datetime) -> SweepReport:
    """The sweep the serve job runs, at `moment` (the job's own schedule is real time)."""
    clock.set(moment)
    runtime = bot.runtime
    return await sweep(
        sessions=runtime.sessions, client=runtime.app.client, settings=runtime.settings, now=moment
    )


async def press(
    slack: SlackRequests, fake: FakeSlack, action_id: str, message: dict[str, Any], item_id: int
) -> None:
    [dm] = [c for c in fake.channels.values() if c.is_im and OWNER in c.members]
    response = await slack.block_action(
        action_id,
        value=str(item_id),
        block_id=controls_block_id(item_id),
        message=message,
        channel_id=dm.id,
        user_id=OWNER,
    )
    assert response.status_code == 200, response.text


async def the_item(sessions: Sessions) -> ActionItem:
    async with sessions() as session:
        [item] = await session.scalars(select(ActionItem))
    return item


async def test_an_item_is_reminded_in_working_hours_snoozed_and_closed_from_its_dm(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, clock: FrozenClock
) -> None:
    sessions = served_bot.runtime.sessions
    fake_slack.add_user("U0ALICE", name="alice", tz="Europe/Paris")
    fake_slack.add_user(OWNER, name="owen", tz="Asia/Tokyo")
    channel = fake_slack.add_channel("inc-checkout", members=["U0ALICE"], bot_is_member=True)
    await seed_incident(sessions, channel)

    # Monday: Alice gives Owen an item due Friday 27 November.
    response = await slack.command(
        f"action Alert on checkout p99 <@{OWNER}|owen> due 2026-11-27",
        channel_id=channel,
        user_id="U0ALICE",
    )
    assert response.status_code == 200
    await fake_slack.wait_for("chat.postMessage")  # the assignment DM
    item = await the_item(sessions)
    # First nudge two working days before: Wednesday 09:00 in Tokyo (00:00 UTC).
    wednesday = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert item.next_reminder_at == wednesday

    # Nothing before that, nor at night in Tokyo.
    for moment in (CREATED + timedelta(hours=5), wednesday - timedelta(minutes=1)):
        assert (await sweep_at(served_bot, clock, moment)).dms_sent == 0
    assert (await sweep_at(served_bot, clock, wednesday)).dms_sent == 1
    [reminder] = [
        m
        for c in fake_slack.channels.values()
        if c.is_im and OWNER in c.members
        for m in c.messages
        if any(b.get("block_id") == FollowUp.REMINDER_INTRO for b in m.get("blocks") or [])
    ]

    # Owen snoozes it for a day, from the reminder itself, at 10:00 his time.
    clock.set(wednesday + timedelta(hours=1))
    await press(slack, fake_slack, FollowUp.SNOOZE_DAY, reminder, item.id)
    item = await the_item(sessions)
    thursday = wednesday + timedelta(days=1)
    assert item.snoozed_until == thursday and item.next_reminder_at == thursday
    assert (await sweep_at(served_bot, clock, thursday - timedelta(minutes=1))).dms_sent == 0
    assert (await sweep_at(served_bot, clock, thursday)).dms_sent == 1  # back when it ends

    # Friday, the due date: Owen closes it from the same first reminder.
    friday = thursday + timedelta(days=1)
    clock.set(friday + timedelta(hours=2))
    await press(slack, fake_slack, FollowUp.DONE, reminder, item.id)
    item = await the_item(sessions)
    assert (item.status, item.closed_by, item.next_reminder_at) == (
        ActionStatus.DONE,
        OWNER,
        None,
    )
    dms_so_far = len(fake_slack.calls_to("chat.postMessage"))
    # Never again: every working morning for three weeks, and every hour of the weekend.
    moment = friday + timedelta(hours=3)
    while moment < friday + timedelta(days=21):
        assert (await sweep_at(served_bot, clock, moment)).claimed == 0
        moment += timedelta(hours=6)
    assert len(fake_slack.calls_to("chat.postMessage")) == dms_so_far
    # The reminder it was closed from now says so, in place.
    [block] = [
        b
        for c in fake_slack.channels.values()
        if c.is_im and OWNER in c.members
        for m in c.messages
        if m["ts"] == reminder["ts"]
        for b in m["blocks"]
        if b.get("block_id") == item_block_id(item.id)
    ]
    assert "Done" in block["text"]["text"]
    [intro] = [
        b
        for c in fake_slack.channels.values()
        if c.is_im and OWNER in c.members
        for m in c.messages
        if m["ts"] == reminder["ts"]
        for b in m["blocks"]
        if b.get("block_id") == FollowUp.REMINDER_INTRO
    ]
    assert intro["text"]["text"].startswith("All done here")
