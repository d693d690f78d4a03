"""The reminder sweep (bot/followup/sweep.py) end to end: items in the database, the sweep run
in-process at instants the test chooses (the same function `hindsight remind --once` and the
serve job call), DMs sent to the fake Slack over HTTP.

2026 calendar: 2026-11-23 is a Monday; New York falls back from EDT to EST on Sun 2026-11-01.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.followup import deliver as delivery
from bot.followup import schedule as nudges
from bot.followup import sweep as reminders
from bot.followup.cadence import snooze_until
from bot.followup.sweep import SweepReport, claim_batch, sweep
from bot.ids import FollowUp
from bot.slack import create_web_client
from models import (
    ActionItem,
    ActionStatus,
    DeliveryKind,
    Incident,
    ReminderDelivery,
    Severity,
    SlackUser,
)
from tests.clock import FrozenClock
from tests.conftest import BOT_TOKEN, TEAM_ID, ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests

Sessions = async_sessionmaker[AsyncSession]
OWNER = "U0OWNER"
FACILITATOR = "U0FACIL"
COMMANDER = "U0CMDR"


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def hourly(start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += timedelta(hours=1)


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return make_settings(fake_slack, database_url)


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    fake_slack.add_user(OWNER, name="owner", tz="America/New_York")
    fake_slack.add_user(FACILITATOR, name="facilitator", tz="Europe/Paris")
    fake_slack.add_user(COMMANDER, name="commander", tz="Europe/Paris")
    members = [OWNER, FACILITATOR, COMMANDER]
    return fake_slack.add_channel("inc-checkout", members=members, bot_is_member=True)


async def seed_incident(
    sessions: Sessions, channel_id: str | None, *, number: int = 1, facilitator: str | None = None
) -> Incident:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=number,
            title="Checkout errors",
            severity=Severity.SEV2,
            channel_id=channel_id,
            declared_by=COMMANDER,
            commander_id=COMMANDER,
            facilitator_id=facilitator,
        )
        session.add(incident)
    return incident


async def seed_item(
    sessions: Sessions,
    settings: Settings,
    incident: Incident,
    *,
    owner: str = OWNER,
    due: date,
    assigned_at: datetime,
    tz: str = "America/New_York",
    title: str = "Alert on checkout p99",
) -> int:
    """An item assigned at `assigned_at`, scheduled as an assignment schedules it."""
    async with sessions() as session, session.begin():
        item = ActionItem(
            team_id=TEAM_ID,
            incident_id=incident.id,
            title=title,
            owner_id=owner,
            due_date=due,
            status=ActionStatus.OPEN,  # set before the insert: the schedule reads it
            created_by=COMMANDER,
            overdue_nudges=0,
            reminder_count=0,
            send_failures=0,
        )
        nudges.schedule_after_assignment(
            item,
            now=assigned_at,
            hours=nudges.hours_in_zone(settings.working_hours, tz),
            cadence=settings.cadence,
        )
        session.add(item)
    return item.id


async def cache_user(sessions: Sessions, user_id: str, tz: str) -> None:
    async with sessions() as session, session.begin():
        session.add(SlackUser(team_id=TEAM_ID, user_id=user_id, name=user_id.lower(), tz=tz))


def sent_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """The chat.postMessage calls to `channel` that Slack accepted."""
    return [
        call.args
        for call in fake.calls_to("chat.postMessage")
        if call.args.get("channel") == channel and not call.failed and call.error is None
    ]


def block_ids(args: dict[str, Any]) -> set[str]:
    blocks = args.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {block.get("block_id", "") for block in blocks}


async def load(sessions: Sessions, item_id: int) -> ActionItem:
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
        assert item is not None
        return item


async def deliveries(sessions: Sessions, **where: Any) -> list[ReminderDelivery]:
    async with sessions() as session:
        query = select(ReminderDelivery).order_by(ReminderDelivery.id).filter_by(**where)
        return list(await session.scalars(query))


async def run(
    sessions: Sessions, client: AsyncWebClient, settings: Settings, now: datetime
) -> SweepReport:
    return await sweep(sessions=sessions, client=client, settings=settings, now=now)


# ---- cadence, working hours, time zones ---------------------------------------------------


async def test_cadence_holds_across_dst_and_weekends_and_escalates_once(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    incident = await seed_incident(sessions, channel, facilitator=FACILITATOR)
    # Assigned Monday 26 Oct, 11:00 EDT; due Tuesday 3 Nov, two days after New York falls back.
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 3), assigned_at=utc(10, 26, 15)
    )
    dm_times: list[datetime] = []
    for now in hourly(utc(10, 26, 16), utc(11, 18)):
        before = len(sent_to(fake_slack, OWNER))
        report = await run(sessions, client, settings, now)
        if len(sent_to(fake_slack, OWNER)) > before:
            dm_times.append(now)
            assert report.dms_sent == 1 and report.nudged == 1
    assert dm_times == [
        utc(10, 30, 13),  # Fri, two working days before: 09:00 EDT
        utc(11, 3, 14),  # Tue, the due date: 09:00 EST (the UTC hour moved, not the local one)
        utc(11, 5, 14),  # Thu: overdue, every two working days from here
        utc(11, 9, 14),  # Mon: the weekend doesn't count
        utc(11, 11, 14),  # Wed: third overdue nudge
        utc(11, 13, 14),  # Fri: the next one escalates
        utc(11, 17, 14),
    ]
    new_york = nudges.hours_in_zone(settings.working_hours, "America/New_York").zone
    local = [moment.astimezone(new_york) for moment in dm_times]
    assert all(moment.hour == 9 and moment.weekday() < 5 for moment in local)
    # Escalated once: a DM to the facilitator with the item's controls, a note in the channel.
    asked = sent_to(fake_slack, FACILITATOR)
    notes = sent_to(fake_slack, channel)
    assert len(asked) == 1 and len(notes) == 1
    assert f"{FollowUp.ITEM}.{item_id}.do" in block_ids(asked[0])
    assert "Reassigned" not in json.dumps(asked[0])  # simply someone else's item, not moved
    assert notes[0]["text"] == (
        f"INC-1: 'Alert on checkout p99' (owner <@{OWNER}>) is 8 working days past due; "
        f"<@{FACILITATOR}> has been asked to help find a way forward."
    )
    item = await load(sessions, item_id)
    assert item.escalated_at == utc(11, 13, 14)
    assert item.reminder_count == 7 and item.overdue_nudges == 5
    assert item.reminder_claim is None and item.next_reminder_at == utc(11, 19, 14)
    rows = await deliveries(sessions, action_item_id=item_id)
    assert Counter(row.kind for row in rows) == {
        DeliveryKind.REMINDER: 7,
        DeliveryKind.ESCALATION: 2,
    }
    assert all(row.error is None and row.message_ts for row in rows)
    assert len(fake_slack.calls_to("users.info")) == 1  # the owner's zone, once, then cached


async def test_the_commander_is_asked_when_the_owner_facilitates(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    incident = await seed_incident(sessions, channel, facilitator=OWNER)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 2), assigned_at=utc(10, 26, 15)
    )
    async with sessions() as session, session.begin():
        item = await session.get(ActionItem, item_id)
        assert item is not None
        item.overdue_nudges, item.last_reminded_at = 3, utc(11, 6, 14)
        item.next_reminder_at = utc(11, 10, 14)
    report = await run(sessions, client, settings, utc(11, 10, 14))
    assert report.escalations == 1
    assert len(sent_to(fake_slack, COMMANDER)) == 1 and not sent_to(fake_slack, FACILITATOR)
    assert f"<@{COMMANDER}> has been asked" in sent_to(fake_slack, channel)[0]["text"]


# ---- snooze, closed items ------------------------------------------------------------------


async def test_a_snoozed_item_is_quiet_until_the_snooze_ends_then_returns(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    fake_slack.add_user("U0PARIS", name="paris", tz="Europe/Paris")
    await cache_user(sessions, "U0PARIS", "Europe/Paris")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions,
        settings,
        incident,
        owner="U0PARIS",
        tz="Europe/Paris",
        due=date(2026, 11, 23),
        assigned_at=utc(11, 16, 10),
    )
    paris = nudges.hours_in_zone(settings.working_hours, "Europe/Paris")
    await run(sessions, client, settings, utc(11, 23, 8))  # Mon 09:00 in Paris: the due nudge
    assert len(sent_to(fake_slack, "U0PARIS")) == 1
    async with sessions() as session, session.begin():
        item = await session.get(ActionItem, item_id)
        assert item is not None
        nudges.snooze(item, until=snooze_until(utc(11, 23, 9), days=1, hours=paris))
    dm_times = []
    for now in hourly(utc(11, 23, 9), utc(11, 24, 20)):
        before = len(sent_to(fake_slack, "U0PARIS"))
        await run(sessions, client, settings, now)
        if len(sent_to(fake_slack, "U0PARIS")) > before:
            dm_times.append(now)
    # Back at Tuesday 09:00 in Paris, though the cadence alone would wait for Wednesday.
    assert dm_times == [utc(11, 24, 8)]
    item = await load(sessions, item_id)
    assert item.snoozed_until is None and item.next_reminder_at == utc(11, 26, 8)


async def test_a_snooze_during_a_sweep_outlives_the_sweeps_record(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    now = utc(11, 24, 14)
    until = utc(11, 25, 14)
    slow = fake_slack.hold("chat.postMessage")  # Slack is slow to take the DM
    sweeping = asyncio.create_task(run(sessions, client, settings, now))
    try:
        await fake_slack.wait_held("chat.postMessage")
        # Meanwhile the owner presses "Snooze 1 day" (from an earlier DM) on the claimed item.
        async with sessions() as session, session.begin():
            item = await session.get(ActionItem, item_id)
            assert item is not None and item.reminder_claim is not None
            nudges.snooze(item, until=until)
    finally:
        slow.set()
    report = await sweeping
    assert report.dms_sent == 1
    item = await load(sessions, item_id)
    assert item.snoozed_until == until and item.next_reminder_at == until
    assert item.reminder_claim is None and item.claimed_until is None
    assert item.reminder_count == 0 and item.last_reminded_at == utc(11, 16, 15)
    for moment in hourly(now + timedelta(minutes=1), until):
        await run(sessions, client, settings, moment)
    assert len(sent_to(fake_slack, OWNER)) == 1  # quiet until the snooze ends
    await run(sessions, client, settings, until)
    assert len(sent_to(fake_slack, OWNER)) == 2


async def test_a_closed_item_is_never_reminded_and_leaves_the_dm(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    done_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    open_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    async with sessions() as session, session.begin():
        item = await session.get(ActionItem, done_id)
        assert item is not None
        item.status, item.closed_at, item.closed_by = ActionStatus.DONE, utc(11, 17), OWNER
        nudges.close(item)
    for now in hourly(utc(11, 20), utc(12, 5)):
        await run(sessions, client, settings, now)
    dms = sent_to(fake_slack, OWNER)
    assert len(dms) == 6  # Fri 20 Nov (before), Tue 24 (due), then 26, 30 Nov, 2 and 4 Dec
    assert all(f"{FollowUp.ITEM}.{done_id}" not in block_ids(dm) for dm in dms)
    assert all(f"{FollowUp.ITEM}.{open_id}.do" in block_ids(dm) for dm in dms)
    assert not await deliveries(sessions, action_item_id=done_id)
    assert (await load(sessions, done_id)).next_reminder_at is None


# ---- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "times", "error"), [(429, 4, "ratelimited"), (503, 3, "http_503")]
)
async def test_a_failed_send_keeps_the_item_due_and_the_next_sweep_delivers_once(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
    status: int,
    times: int,
    error: str,
) -> None:
    fake_slack.add_user("U0SECOND", name="second", tz="America/New_York")
    await cache_user(sessions, OWNER, "America/New_York")
    await cache_user(sessions, "U0SECOND", "America/New_York")
    incident = await seed_incident(sessions, channel)
    first = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    second = await seed_item(
        sessions,
        settings,
        incident,
        owner="U0SECOND",
        due=date(2026, 11, 24),
        assigned_at=utc(11, 16, 15),
    )
    now = utc(11, 24, 14)
    # More failures than the client's own retries: the whole send fails in this sweep.
    fake_slack.fail("chat.postMessage", status=status, retry_after=0, times=times)
    report = await run(sessions, client, settings, now)
    assert report.failed >= 1 and not sent_to(fake_slack, OWNER)
    item = await load(sessions, first)
    assert item.next_reminder_at == now + timedelta(seconds=60) and item.send_failures == 1
    assert item.reminder_claim is None and item.last_reminded_at == utc(11, 16, 15)
    [failed] = await deliveries(sessions, action_item_id=first)
    assert failed.error == error and failed.message_ts is None
    if status == 429:  # the workspace is rate limited: nobody else is tried in this sweep
        assert report.rate_limited and not sent_to(fake_slack, "U0SECOND")
        assert (await load(sessions, second)).next_reminder_at == now  # Retry-After: 0
    report = await run(sessions, client, settings, now + timedelta(seconds=30))
    assert not sent_to(fake_slack, OWNER)  # still backing off
    await run(sessions, client, settings, now + timedelta(seconds=60))
    assert len(sent_to(fake_slack, OWNER)) == 1 and len(sent_to(fake_slack, "U0SECOND")) == 1
    item = await load(sessions, first)
    assert item.send_failures == 0 and item.reminder_count == 1
    assert item.next_reminder_at == utc(11, 26, 14)
    for now_ in hourly(now + timedelta(minutes=2), utc(11, 26, 13)):
        await run(sessions, client, settings, now_)
    assert len(sent_to(fake_slack, OWNER)) == 1  # nothing doubled


async def test_a_timed_out_send_keeps_the_item_due_and_is_retried(
    sessions: Sessions, settings: Settings, fake_slack: FakeSlack, channel: str
) -> None:
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    now = utc(11, 24, 14)
    impatient = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    impatient.timeout = 0.2  # Slack answers after the client has given up
    slow = fake_slack.hold("chat.postMessage")
    asyncio.get_running_loop().call_later(1.0, slow.set)
    report = await run(sessions, impatient, settings, now)
    assert (report.dms_sent, report.failed) == (0, 1)
    item = await load(sessions, item_id)
    assert item.next_reminder_at == now + timedelta(seconds=60) and item.send_failures == 1
    assert item.reminder_claim is None and item.reminder_count == 0
    [failed] = await deliveries(sessions, action_item_id=item_id)
    assert failed.error == "TimeoutError" and failed.message_ts is None
    await fake_slack.wait_held("chat.postMessage")
    slow.set()
    report = await run(sessions, impatient, settings, now + timedelta(seconds=60))
    assert report.dms_sent == 1 and (await load(sessions, item_id)).reminder_count == 1


async def test_a_refused_dm_is_recorded_and_not_retried_every_minute(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    fake_slack.fail("chat.postMessage", error="account_inactive")
    now = utc(11, 24, 14)
    report = await run(sessions, client, settings, now)
    assert report.failed == 1 and report.dms_sent == 0
    [row] = await deliveries(sessions, action_item_id=item_id)
    assert row.error == "account_inactive"
    item = await load(sessions, item_id)
    assert item.last_reminded_at == now and item.next_reminder_at == utc(11, 26, 14)
    assert item.reminder_count == 0 and item.send_failures == 0


# ---- two processes, crashes, restarts ------------------------------------------------------


async def test_two_concurrent_sweeps_send_each_reminder_once(
    database_url: str, settings: Settings, fake_slack: FakeSlack, channel: str
) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    first, second = (create_sessionmaker(engine) for engine in engines)
    try:
        incident = await seed_incident(first, channel)
        owners = [f"U0P{n:03d}" for n in range(50)]
        for owner in owners:
            fake_slack.add_user(owner, name=owner.lower(), tz="Europe/Berlin")
            await cache_user(first, owner, "Europe/Berlin")
            for n in range(4):
                await seed_item(
                    first,
                    settings,
                    incident,
                    owner=owner,
                    tz="Europe/Berlin",
                    due=date(2026, 11, 24),
                    assigned_at=utc(11, 16, 10),
                    title=f"Item {n} of {owner}",
                )
        now = utc(11, 24, 8)  # Tuesday 09:00 in Berlin
        clients = [create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN) for _ in "ab"]
        reports = await asyncio.gather(
            *(
                sweep(sessions=sessions, client=client, settings=settings, now=now, batch_size=30)
                for sessions, client in zip((first, second), clients, strict=True)
            )
        )
        assert sum(report.dms_sent for report in reports) == 50
        assert sum(report.claimed for report in reports) == 200
        dms = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
        assert dms == dict.fromkeys(owners, 1)
        async with first() as session:
            per_item = Counter(
                (await session.scalars(select(ReminderDelivery.action_item_id))).all()
            )
            claimed = await session.scalar(
                select(func.count()).where(ActionItem.reminder_claim.is_not(None))
            )
        assert len(per_item) == 200 and set(per_item.values()) == {1}
        assert claimed == 0
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_crash_after_claiming_repeats_at_most_once_and_misses_nothing(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    now = utc(11, 24, 14)
    # A process that claimed, maybe sent, then died: its lease holds the item for ten minutes.
    claimed = await claim_batch(sessions, now=now, claim="a-dead-sweep")
    assert [item.id for item in claimed] == [item_id]
    await run(sessions, client, settings, now + timedelta(minutes=5))
    assert not sent_to(fake_slack, OWNER)
    report = await run(sessions, client, settings, now + reminders.LEASE)
    assert report.dms_sent == 1 and len(sent_to(fake_slack, OWNER)) == 1

    # A sweep that sends, then fails before recording, gives its claim back. Here the fake's
    # message ts are not on the sweep's clock, so the next sweep's look-up for the unrecorded
    # DM cannot find it and sends once more: at most one repeat. With Slack's clock the
    # look-up finds it and nothing is repeated (tests/followup/test_reminder_crash.py).
    item_two = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 26), assigned_at=utc(11, 16, 15)
    )
    later = utc(11, 26, 14)

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "_record", crash)
        with pytest.raises(RuntimeError):
            await run(sessions, client, settings, later)
    assert len(sent_to(fake_slack, OWNER)) == 2
    # Both given back as they were: still due (the second since its first nudge, on Tuesday).
    for released, due_at in ((item_id, later), (item_two, utc(11, 24, 14))):
        item = await load(sessions, released)
        assert item.reminder_claim is None and item.claimed_until is None
        assert item.next_reminder_at == due_at
    await run(sessions, client, settings, later + timedelta(minutes=1))
    await run(sessions, client, settings, later + timedelta(minutes=2))
    assert len(sent_to(fake_slack, OWNER)) == 3  # at most the one repeat, then quiet
    assert (await load(sessions, item_two)).reminder_count == 1


# ---- the serve job -------------------------------------------------------------------------


async def test_serve_runs_the_sweep_on_its_schedule(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions, channel: str
) -> None:
    settings = make_settings(fake_slack, database_url, REMINDER_INTERVAL_SECONDS="1")
    await cache_user(sessions, OWNER, "America/New_York")
    incident = await seed_incident(sessions, channel)
    item_id = await seed_item(
        sessions, settings, incident, due=date(2026, 11, 24), assigned_at=utc(11, 16, 15)
    )
    clock = FrozenClock(utc(11, 24, 14, 30))
    async with serve_app(build_runtime(settings, clock=clock)) as bot:
        [dm] = await fake_slack.wait_for("chat.postMessage")
        assert dm.args["channel"] == OWNER
        jobs = {job.id: job for job in bot.runtime.scheduler.get_jobs()}
        assert jobs["reminders.sweep"].trigger.interval == timedelta(seconds=1)
        for _ in range(100):
            if (await load(sessions, item_id)).reminder_count == 1:
                break
            await asyncio.sleep(0.02)
    item = await load(sessions, item_id)
    assert item.reminder_count == 1 and item.last_reminded_at == clock.now
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


# ---- from the slash command to the reminder ------------------------------------------------


async def test_an_item_made_with_the_command_is_reminded_on_its_schedule(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    client: AsyncWebClient,
    settings: Settings,
    channel: str,
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel, facilitator=FACILITATOR)
    response = await slack.command(
        f"action Add a canary for checkout <@{OWNER}|owner> due 2099-01-15",
        channel_id=channel,
        user_id=COMMANDER,
    )
    assert response.status_code == 200
    await fake_slack.wait_for("chat.postMessage")  # the "assigned to you" DM
    fake_slack.clear_calls()
    # Nothing before the first nudge: Tue 13 Jan 2099, 09:00 in New York (14:00 UTC).
    report = await run(sessions, client, settings, datetime(2099, 1, 13, 13, 59, tzinfo=UTC))
    assert report.claimed == 0 and not fake_slack.calls_to("chat.postMessage")
    report = await run(sessions, client, settings, datetime(2099, 1, 13, 14, tzinfo=UTC))
    assert report.dms_sent == 1
    [dm] = sent_to(fake_slack, OWNER)
    assert "Add a canary for checkout" in dm["text"]
    assert FollowUp.REMINDER_INTRO in block_ids(dm)
    [row] = await deliveries(sessions, kind=DeliveryKind.REMINDER)
    assert row.recipient_id == OWNER and row.message_ts and row.channel_id


async def test_a_sweep_cancelled_at_shutdown_gives_back_what_it_had_not_recorded(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    fake_slack.add_user("U0SECOND", name="second", tz="America/New_York")
    await cache_user(sessions, OWNER, "America/New_York")
    await cache_user(sessions, "U0SECOND", "America/New_York")
    incident = await seed_incident(sessions, channel)
    ids = [
        await seed_item(
            sessions,
            settings,
            incident,
            owner=owner,
            due=date(2026, 11, 24),
            assigned_at=utc(11, 16, 15),
        )
        for owner in (OWNER, "U0SECOND")
    ]
    now = utc(11, 24, 14)
    # Slack slows down after the first DM, and shutdown comes while the second is on its way.
    slow = fake_slack.hold("chat.postMessage", let_through=1)
    task = asyncio.create_task(run(sessions, client, settings, now))
    try:
        await fake_slack.wait_held("chat.postMessage")
        [first_dm] = fake_slack.calls_to("chat.postMessage")
        first_owner = first_dm.args["channel"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        slow.set()
    by_owner = {item.owner_id: item for item in [await load(sessions, i) for i in ids]}
    first, second = by_owner.pop(first_owner), next(iter(by_owner.values()))
    assert first.reminder_count == 1 and first.next_reminder_at == utc(11, 26, 14)
    assert second.reminder_count == 0 and second.reminder_claim is None
    assert second.claimed_until is None  # due again at once: repeated, never missed
    assert second.next_reminder_at == utc(11, 20, 14)  # untouched: its first nudge's time
    await run(sessions, client, settings, now + timedelta(minutes=1))
    assert len(sent_to(fake_slack, first_owner)) == 1
    assert (await load(sessions, second.id)).reminder_count == 1


async def test_a_long_sweep_stops_sending_within_its_lease_and_hands_the_rest_on(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    fake_slack.add_user("U0SECOND", name="second", tz="America/New_York")
    await cache_user(sessions, OWNER, "America/New_York")
    await cache_user(sessions, "U0SECOND", "America/New_York")
    incident = await seed_incident(sessions, channel)
    for owner in (OWNER, "U0SECOND"):
        await seed_item(
            sessions,
            settings,
            incident,
            owner=owner,
            due=date(2026, 11, 24),
            assigned_at=utc(11, 16, 15),
        )
    now = utc(11, 24, 14)
    slow = fake_slack.hold("chat.postMessage")
    asyncio.get_running_loop().call_later(1.5, slow.set)  # the first DM takes 1.5 s
    report = await sweep(
        sessions=sessions,
        client=client,
        settings=settings,
        now=now,
        send_budget=timedelta(seconds=1),  # time to claim and plan, not to send twice
    )
    assert (report.dms_sent, report.out_of_time) == (1, True)
    assert "out of time" in report.summary()
    async with sessions() as session:
        claimed = await session.scalar(
            select(func.count()).where(ActionItem.reminder_claim.is_not(None))
        )
    assert claimed == 0  # the other owner's item went back, due
    again = await run(sessions, client, settings, now + timedelta(minutes=1))
    assert again.dms_sent == 1
    assert {call.args["channel"] for call in fake_slack.calls_to("chat.postMessage")} == {
        OWNER,
        "U0SECOND",
    }
