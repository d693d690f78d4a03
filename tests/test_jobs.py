"""The serve process's scheduled jobs end cleanly: a sweep cut short by shutdown gives its
claims back while the database is still open, so the next process starts from them at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from models import ActionItem, ActionStatus, SlackUser
from tests.clock import FrozenClock
from tests.conftest import TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack
from tests.timeline_seed import seed_incident

Sessions = async_sessionmaker[AsyncSession]
OWNER = "U0OWNER"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon, in working hours (UTC)


async def seed_due_item(sessions: Sessions, channel: str) -> int:
    incident = await seed_incident(sessions, channel)
    async with sessions() as session, session.begin():
        session.add(SlackUser(team_id=TEAM_ID, user_id=OWNER, name="owner", tz="UTC"))
        item = ActionItem(
            team_id=TEAM_ID,
            incident_id=incident.id,
            title="Alert on checkout p99",
            owner_id=OWNER,
            due_date=NOW.date(),
            status=ActionStatus.OPEN,
            created_by="U0ALICE",
            next_reminder_at=NOW - timedelta(minutes=1),
        )
        session.add(item)
    return item.id


async def test_shutdown_during_a_sweep_gives_its_claims_back(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> None:
    fake_slack.add_user(OWNER, name="owner", tz="UTC")
    channel = fake_slack.add_channel("inc-checkout", bot_is_member=True)
    item_id = await seed_due_item(sessions, channel)
    slow = fake_slack.hold("chat.postMessage")
    try:
        runtime = build_runtime(make_settings(fake_slack, database_url), clock=FrozenClock(NOW))
        async with serve_app(runtime):
            await fake_slack.wait_held("chat.postMessage")  # the sweep claimed the item
            assert fake_slack.held.get("chat.postMessage") == 1
            async with sessions() as session:
                claimed = await session.get(ActionItem, item_id)
                assert claimed is not None and claimed.reminder_claim is not None
        # The server stopped (the runtime closed) while the DM was still on its way.
    finally:
        slow.set()
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
    assert item is not None
    assert (item.reminder_claim, item.claimed_until, item.reminder_count) == (None, None, 0)
    assert item.next_reminder_at is not None and item.next_reminder_at <= NOW  # due at once


async def test_the_runs_in_flight_belong_to_their_runtime(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> None:
    """A runtime keeps its own job runs: closing another runtime in the same process (a test's,
    a CLI command's) leaves this one's sweep alone."""
    fake_slack.add_user(OWNER, name="owner", tz="UTC")
    channel = fake_slack.add_channel("inc-checkout", bot_is_member=True)
    item_id = await seed_due_item(sessions, channel)
    slow = fake_slack.hold("chat.postMessage")
    settings = make_settings(fake_slack, database_url)
    try:
        runtime = build_runtime(settings, clock=FrozenClock(NOW))
        async with serve_app(runtime):
            await fake_slack.wait_held("chat.postMessage")
            (sweep,) = runtime.running_jobs.running()  # the sweep, waiting on Slack
            await build_runtime(settings, clock=FrozenClock(NOW)).close()
            assert not sweep.done()  # not the other runtime's to stop
            slow.set()
            await sweep
            assert runtime.running_jobs.running() == set()
    finally:
        slow.set()
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
    assert item is not None and item.reminder_count == 1  # the reminder went out, once
