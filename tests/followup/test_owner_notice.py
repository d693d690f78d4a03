"""The owner's "assigned" DM is never lost (bot/followup/notices.py): marked due with the
assignment, sent after the commit, and sent by the reminder sweep when that failed or the
process died first; once, however many processes sweep; never to an owner the item has left.

The served bot's clock stands still on a Saturday night: the DM goes whatever the owner's hours.
Sweeps run in-process at instants the test chooses (the function `serve` and `hindsight remind
--once` run).
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import create_engine, create_sessionmaker
from bot.followup.sweep import SweepReport, sweep
from bot.ids import FollowUp
from bot.retro import flow as retro_flow
from bot.slack import create_web_client
from bot.ui.item import controls_block_id
from bot.ui.retro_read import read_meta, read_step
from models import ActionItem, DeliveryKind, ReminderDelivery
from tests.clock import FrozenClock
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, ServedBot, make_settings
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.retro import test_retro as retro
from tests.test_cli import HINDSIGHT, base_env, free_port
from tests.timeline_seed import seed_incident

Sessions = async_sessionmaker[AsyncSession]
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
# Saturday 28 November 2026, 18:00 in New York (Bob's zone): outside anyone's working hours.
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(SATURDAY_NIGHT)


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    fake_slack.add_user(ALICE, name="alice", tz="Europe/Paris")
    fake_slack.add_user(BOB, name="bob", tz="America/New_York")
    fake_slack.add_user(CAROL, name="carol", tz="Asia/Tokyo")
    members = [ALICE, BOB, CAROL]
    return fake_slack.add_channel("inc-checkout", members=members, bot_is_member=True)


async def create_item(slack: SlackRequests, channel: str, title: str, owner: str = BOB) -> None:
    """Alice gives `owner` an item with the command."""
    response = await slack.command(f"action {title} <@{owner}>", channel_id=channel, user_id=ALICE)
    assert response.status_code == 200 and "INC-1" in response.json()["text"]


async def sweep_at(bot: ServedBot, moment: datetime) -> SweepReport:
    runtime = bot.runtime
    return await sweep(
        sessions=runtime.sessions, client=runtime.app.client, settings=runtime.settings, now=moment
    )


def dms_to(fake: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    """The chat.postMessage calls to `user_id` that Slack accepted."""
    return [
        call.args
        for call in fake.calls_to("chat.postMessage")
        if call.args.get("channel") == user_id and not call.failed and call.error is None
    ]


def tried_to(fake: FakeSlack, user_id: str) -> int:
    """Every chat.postMessage call to `user_id`, accepted or not."""
    return sum(call.args.get("channel") == user_id for call in fake.calls_to("chat.postMessage"))


async def item_titled(sessions: Sessions, title: str) -> ActionItem:
    async with sessions() as session:
        item = await session.scalar(select(ActionItem).where(ActionItem.title == title))
    assert item is not None
    return item


async def notices(sessions: Sessions, count: int = 0, **where: Any) -> list[ReminderDelivery]:
    """The ASSIGNED delivery rows, once there are `count` of them (written just after a DM)."""
    query = select(ReminderDelivery).filter_by(kind=DeliveryKind.ASSIGNED, **where)
    for _ in range(250):
        async with sessions() as session:
            rows = list(await session.scalars(query.order_by(ReminderDelivery.id)))
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} assigned notice(s), found {len(rows)}")


# ---- (1) a failed send is retried by the sweep, once -------------------------------------------


@pytest.mark.parametrize(
    ("status", "times", "error"), [(503, 3, "http_503"), (429, 4, "ratelimited")]
)
async def test_a_failed_assigned_dm_stays_due_and_the_next_sweep_sends_it_once(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    channel: str,
    status: int,
    times: int,
    error: str,
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    # More failures than the client's own retries: the DM fails within the request.
    fake_slack.fail("chat.postMessage", status=status, retry_after=0, times=times)
    await create_item(slack, channel, "Tune the checkout alert")
    [failed] = await notices(sessions, 1)
    assert (failed.recipient_id, failed.error, failed.message_ts) == (BOB, error, None)
    item = await item_titled(sessions, "Tune the checkout alert")
    assert item.owner_id == BOB and not dms_to(fake_slack, BOB)  # stored, not told yet
    assert item.notice_due_at == SATURDAY_NIGHT + MINUTE and item.notice_failures == 1

    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE / 2)
    assert report.notices_sent == 0 and not dms_to(fake_slack, BOB)  # backing off
    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE)
    assert report.notices_sent == 1
    [dm] = dms_to(fake_slack, BOB)  # on a Saturday evening: a one-off the owner expects now
    assert dm["text"].startswith(f"<@{ALICE}> gave you an action item from INC-1")
    assert f"{FollowUp.ITEM}.{item.id}.do" in json.dumps(dm["blocks"])  # with its controls
    item = await item_titled(sessions, "Tune the checkout alert")
    assert (item.notice_due_at, item.notice_failures) == (None, 0)
    rows = await notices(sessions, 2)
    assert [row.error for row in rows] == [error, None] and rows[1].message_ts

    for moment in (SATURDAY_NIGHT + 2 * MINUTE, SATURDAY_NIGHT + timedelta(hours=3)):
        report = await sweep_at(served_bot, moment)
        assert report.notices_sent == report.notices_failed == 0
    assert len(dms_to(fake_slack, BOB)) == 1 and len(await notices(sessions)) == 2


# ---- (2) a crash between the commit and the send -------------------------------------------------


async def test_a_dm_in_flight_when_the_process_is_killed_is_sent_by_the_next_sweep_once(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions, channel: str, tmp_path: Path
) -> None:
    """A real `hindsight serve` process is SIGKILLed while its "assigned" DM waits on Slack
    (the fake holds the call before handling it, so Slack never took it). The item is stored;
    the dead process's claim on the notice holds for the lease (it might have sent it), then
    the sweep of a surviving process sends it once."""
    await seed_incident(sessions, channel)
    port = free_port()
    env = base_env() | {
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    stuck = fake_slack.hold("chat.postMessage")  # never set: this call dies with the process
    process = await asyncio.create_subprocess_exec(
        *HINDSIGHT,
        "serve",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await until_healthy(port)
        slack = SlackRequests(
            f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SIGNING_SECRET,
            fake=fake_slack,
            team_id=TEAM_ID,
        )
        await create_item(slack, channel, "Add a canary")
        await fake_slack.wait_held("chat.postMessage")
        assert fake_slack.held.get("chat.postMessage") == 1
    finally:
        process.kill()  # SIGKILL: no shutdown code runs
        output, _ = await process.communicate()
    assert process.returncode == -signal.SIGKILL, output.decode()
    assert not stuck.is_set()
    fake_slack.hold("chat.postMessage", let_through=1_000)  # Slack is quick again for the rest
    item = await item_titled(sessions, "Add a canary")
    assert item.owner_id == BOB and item.notice_due_at is not None  # stored, and still due
    assert await notices(sessions) == [] and not dms_to(fake_slack, BOB)
    lease_over = item.notice_due_at

    settings = make_settings(fake_slack, database_url)
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)

    async def sweep_at_(moment: datetime) -> SweepReport:
        return await sweep(sessions=sessions, client=client, settings=settings, now=moment)

    report = await sweep_at_(lease_over - timedelta(seconds=1))
    assert report.notices_sent == 0 and not dms_to(fake_slack, BOB)
    report = await sweep_at_(lease_over)
    assert report.notices_sent == 1 and len(dms_to(fake_slack, BOB)) == 1
    await sweep_at_(lease_over + MINUTE)
    assert len(dms_to(fake_slack, BOB)) == 1
    [row] = await notices(sessions)
    assert row.recipient_id == BOB and row.error is None and row.message_ts
    assert (await item_titled(sessions, "Add a canary")).notice_due_at is None


async def until_healthy(port: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(400):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz", timeout=1)).is_success:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("hindsight serve did not answer /healthz within 20 s")


# ---- (3) two processes sweeping at once --------------------------------------------------------


async def test_two_concurrent_sweeps_send_each_due_notice_once(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    channel: str,
    database_url: str,
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    owners = [f"U0OWNER{n}" for n in range(6)]
    for owner in owners:
        fake_slack.add_user(owner, name=owner.lower(), tz="Europe/Berlin")
    fake_slack.fail("chat.postMessage", error="internal_error", times=None)  # Slack is down
    for n, owner in enumerate(owners):
        await create_item(slack, channel, f"Item {n}", owner=owner)
    await notices(sessions, len(owners))
    fake_slack.clear_failures()
    fake_slack.clear_calls()
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        clients = [create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN) for _ in "ab"]
        slow = fake_slack.hold("chat.postMessage")  # both sweeps are mid-send at once
        asyncio.get_running_loop().call_later(0.5, slow.set)
        reports = await asyncio.gather(
            *(
                sweep(
                    sessions=create_sessionmaker(engine),
                    client=client,
                    settings=served_bot.runtime.settings,
                    now=SATURDAY_NIGHT + MINUTE,
                )
                for engine, client in zip(engines, clients, strict=True)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    sent = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
    assert sent == dict.fromkeys(owners, 1)
    assert sum(report.notices_sent for report in reports) == len(owners)
    delivered = [row for row in await notices(sessions) if row.error is None]
    assert Counter(row.recipient_id for row in delivered) == dict.fromkeys(owners, 1)


# ---- (4) reassigned before the notice went -----------------------------------------------------


async def test_an_item_reassigned_before_its_notice_went_tells_only_the_new_owner(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel, commander_id=ALICE)
    fake_slack.fail("chat.postMessage", error="internal_error")
    await create_item(slack, channel, "Rotate the keys")
    await notices(sessions, 1, recipient_id=BOB)
    item = await item_titled(sessions, "Rotate the keys")
    assert item.notice_due_at == SATURDAY_NIGHT + MINUTE  # Bob's notice waits for the sweep

    # Alice, the commander, gives it to Carol; Carol's DM fails too.
    response = await slack.block_action(
        FollowUp.REASSIGN,
        value=str(item.id),
        block_id=controls_block_id(item.id),
        channel_id=channel,
        user_id=ALICE,
    )
    assert response.status_code == 200
    await fake_slack.wait_for("views.open")
    [modal] = [
        v for v in fake_slack.views.values() if v["callback_id"] == FollowUp.REASSIGN_CALLBACK
    ]
    fake_slack.fail("chat.postMessage", error="internal_error")
    picked = {
        FollowUp.REASSIGN_OWNER: {FollowUp.REASSIGN_OWNER: state_value("users_select", CAROL)}
    }
    response = await slack.view_submission(modal, picked, user_id=ALICE)
    assert response.status_code == 200
    await notices(sessions, 1, recipient_id=CAROL)
    item = await item_titled(sessions, "Rotate the keys")
    assert item.owner_id == CAROL and item.notice_due_at == SATURDAY_NIGHT + MINUTE

    for moment in (SATURDAY_NIGHT + MINUTE, SATURDAY_NIGHT + 2 * MINUTE):
        await sweep_at(served_bot, moment)
    assert tried_to(fake_slack, BOB) == 1  # the failed first try only: Bob isn't told now
    [dm] = dms_to(fake_slack, CAROL)
    assert dm["text"].startswith(f"<@{ALICE}> gave you an action item") and "Rotate" in dm["text"]
    assert (await item_titled(sessions, "Rotate the keys")).notice_due_at is None


async def test_an_item_closed_before_its_notice_went_tells_nobody(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel, commander_id=ALICE)
    fake_slack.fail("chat.postMessage", error="internal_error")
    await create_item(slack, channel, "Drop the old queue")
    await notices(sessions, 1)
    item = await item_titled(sessions, "Drop the old queue")
    response = await slack.block_action(
        FollowUp.DONE,
        value=str(item.id),
        block_id=controls_block_id(item.id),
        channel_id=channel,
        user_id=ALICE,
    )
    assert response.status_code == 200
    assert (await item_titled(sessions, "Drop the old queue")).notice_due_at is None
    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE)
    assert report.notices_sent == 0 and tried_to(fake_slack, BOB) == 1


# ---- (5) an error that waiting can't fix --------------------------------------------------------


async def test_a_refused_notice_is_recorded_and_not_retried_every_minute(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    fake_slack.fail("chat.postMessage", error="internal_error")
    await create_item(slack, channel, "Page the right team")
    await notices(sessions, 1)
    fake_slack.fail("chat.postMessage", error="account_inactive")  # Bob left meanwhile
    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE)
    rows = await notices(sessions, 2)
    assert [row.error for row in rows] == ["internal_error", "account_inactive"]
    assert (report.notices_sent, report.notices_failed) == (0, 1)
    item = await item_titled(sessions, "Page the right team")
    assert (item.notice_due_at, item.notice_failures) == (None, 0)
    for minutes in (2, 3, 60, 24 * 60):
        await sweep_at(served_bot, SATURDAY_NIGHT + minutes * MINUTE)
    assert tried_to(fake_slack, BOB) == 2 and len(await notices(sessions)) == 2


# ---- the retrospective's items -----------------------------------------------------------------


async def test_an_owner_given_an_item_in_the_retro_is_told_by_the_sweep_when_the_dm_failed(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    sessions = served_bot.runtime.sessions
    await retro.seed_retro_incident(fake_slack, sessions)
    view = await retro.open_retro(slack, fake_slack)
    _, view = await retro.submit(slack, fake_slack, view, retro.summary_values())
    _, view = await retro.submit(slack, fake_slack, view, {})
    factors = retro.factor_values(view, retro.GOOD_FACTORS[:1], keep_wording=False)
    _, view = await retro.submit(slack, fake_slack, view, factors)
    _, view = await retro.submit(slack, fake_slack, view, retro.lesson_values("a", "b", "c"))
    fake_slack.fail("chat.postMessage", error="internal_error")
    rows = [("Alert on pool saturation", CAROL, retro.future(20), "high", "detect")]
    await retro.submit(slack, fake_slack, view, retro.action_values(view, rows))
    [failed] = await notices(sessions, 1)
    assert (failed.recipient_id, failed.error) == (CAROL, "internal_error")
    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE)
    assert report.notices_sent == 1
    [dm] = dms_to(fake_slack, CAROL)
    assert dm["text"].startswith(f"<@{ALICE}> gave you an action item from INC-1")
    await sweep_at(served_bot, SATURDAY_NIGHT + 2 * MINUTE)
    assert len(dms_to(fake_slack, CAROL)) == 1


async def test_a_crash_between_the_retro_save_and_settling_still_tells_and_reminds_the_owner(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    """The action-items step commits the items, then settles them (schedule, notice) in a
    second transaction. A process that dies between the two must not leave the new owner
    untold and never reminded: the save itself marks the notice due and the reminder due."""
    sessions = served_bot.runtime.sessions
    await retro.seed_retro_incident(fake_slack, sessions)
    view = await retro.open_retro(slack, fake_slack)
    _, view = await retro.submit(slack, fake_slack, view, retro.summary_values())
    _, view = await retro.submit(slack, fake_slack, view, {})
    factors = retro.factor_values(view, retro.GOOD_FACTORS[:1], keep_wording=False)
    _, view = await retro.submit(slack, fake_slack, view, factors)
    _, view = await retro.submit(slack, fake_slack, view, retro.lesson_values("a", "b", "c"))
    rows = [("Alert on pool saturation", CAROL, retro.future(20), "high", "detect")]
    submitted = {**view, "state": {"values": retro.action_values(view, rows)}}
    meta = read_meta(submitted)
    assert meta is not None
    # What the handler does before settling, and nothing after: the save is committed, then
    # the process is gone (settling, the ack and the DM never happen).
    outcome = await retro_flow.submit(
        sessions=sessions,
        client=served_bot.runtime.app.client,
        team_id=TEAM_ID,
        user_id=ALICE,
        incident_id=meta.incident_id,
        version=meta.version,
        form=read_step(submitted, meta),
        first_field=None,
        now=SATURDAY_NIGHT,
    )
    assert not outcome.problems and not outcome.conflict
    item = await item_titled(sessions, "Alert on pool saturation")
    assert item.owner_id == CAROL and item.notice_due_at == SATURDAY_NIGHT
    assert not dms_to(fake_slack, CAROL)

    report = await sweep_at(served_bot, SATURDAY_NIGHT + MINUTE)
    assert report.notices_sent == 1
    [dm] = dms_to(fake_slack, CAROL)
    assert dm["text"].startswith(f"<@{ALICE}> gave you an action item from INC-1")
    await sweep_at(served_bot, SATURDAY_NIGHT + 2 * MINUTE)
    assert len(dms_to(fake_slack, CAROL)) == 1
    # And the sweep plans her reminders: due at once after the grace, then in her hours.
    async with sessions() as session:
        planned = await session.get(ActionItem, item.id)
    assert planned is not None and planned.next_reminder_at is not None
    await sweep_at(served_bot, SATURDAY_NIGHT + timedelta(minutes=11))
    async with sessions() as session:
        replanned = await session.get(ActionItem, item.id)
    assert replanned is not None and replanned.next_reminder_at is not None
    assert replanned.next_reminder_at > SATURDAY_NIGHT + timedelta(minutes=11)
