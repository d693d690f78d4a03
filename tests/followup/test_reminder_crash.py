"""A reminder sweep that dies between its DM and the DM's record (bot/followup/pending.py):
the next sweep finds the DM in Slack by its metadata and records it, instead of sending it
again; a DM that never reached Slack is sent once. Through the real sweep and the fake Slack.

A kill -9 is played by cancelling the sweep while the fake holds Slack's answer (the DM has
landed, the process never hears so) with the sweep's last act, giving its claims back,
skipped: what was committed stays, nothing after that point runs, the lease holds the items.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.followup import deliver as delivery
from bot.followup import pending, schedule
from bot.followup import sweep as reminders
from models import ActionItem, DeliveryKind, ReminderDelivery
from tests.conftest import TEAM_ID
from tests.fakeslack import FakeSlack
from tests.followup.test_reminders import (
    OWNER,
    Sessions,
    cache_user,
    channel,
    client,
    load,
    run,
    seed_incident,
    seed_item,
    sent_to,
    settings,
    utc,
)
from tests.followup.test_reminders import (
    deliveries as reminder_log,
)

__all__ = ["channel", "client", "settings"]  # fixtures from test_reminders

SECOND = "U0SECOND"
NOW = utc(11, 24, 14)  # a Tuesday, 09:00 in New York: both items' first nudge


@pytest.fixture
async def items(
    sessions: Sessions, settings: Settings, fake_slack: FakeSlack, channel: str
) -> list[int]:
    """Two items of the owner due at NOW (one DM names both), and one of another owner."""
    fake_slack.real_clock_ts = True  # Slack's ts is its clock: the look-up reads from the mark
    fake_slack.add_user(SECOND, name="second", tz="America/New_York")
    await cache_user(sessions, OWNER, "America/New_York")
    await cache_user(sessions, SECOND, "America/New_York")
    incident = await seed_incident(sessions, channel)
    made = []
    for owner, title in ((OWNER, "Alert on p99"), (OWNER, "Runbook"), (SECOND, "Dashboards")):
        made.append(
            await seed_item(
                sessions,
                settings,
                incident,
                owner=owner,
                title=title,
                due=date(2026, 11, 24),
                assigned_at=utc(11, 16, 15),
            )
        )
    async with sessions() as session, session.begin():
        for owner in (OWNER, SECOND):  # each was told of their item: the bot's DM is known
            session.add(
                ReminderDelivery(
                    team_id=TEAM_ID,
                    action_item_id=made[0 if owner == OWNER else 2],
                    recipient_id=owner,
                    kind=DeliveryKind.ASSIGNED,
                    channel_id=fake_slack.open_dm([owner]).id,
                    message_ts="1700000000.000100",
                    sent_at=utc(11, 16, 15),
                )
            )
    return made


async def kill_during_send(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    *,
    landed: bool,
) -> str:
    """A sweep at NOW killed while its first DM is on its way: landed in Slack but unanswered
    (the fake holds the answer), or not landed (held before Slack does it, then refused with
    a 503 nobody hears). Returns the user that DM was for."""
    if landed:
        gate = fake_slack.hold_answer("chat.postMessage")
    else:
        gate = fake_slack.hold("chat.postMessage")
        fake_slack.fail("chat.postMessage", status=503, times=1)

    async def dead(*args: object, **kwargs: object) -> None:
        return None  # a killed process gives nothing back: the lease holds its items

    with monkeypatch.context() as patch:
        patch.setattr(reminders, "_release_all", dead)
        task = asyncio.create_task(run(sessions, client, settings, NOW))
        if landed:
            await fake_slack.wait_answer_held("chat.postMessage")
        else:
            await fake_slack.wait_held("chat.postMessage")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    gate.set()
    await fake_slack.wait_until(
        lambda: len(fake_slack.calls_to("chat.postMessage")) == 1,
        timeout=5,
        what="the held DM done in the fake",
    )
    [dm] = fake_slack.calls_to("chat.postMessage")
    return str(dm.args["channel"])


def metadata_of(message: dict[str, Any]) -> dict[str, Any]:
    metadata = message["metadata"]
    return json.loads(metadata) if isinstance(metadata, str) else dict(metadata)


def named_deliveries(message: dict[str, Any]) -> set[int]:
    meta = metadata_of(message)
    assert meta["event_type"] == pending.REMINDER_EVENT
    return {int(part) for part in meta["event_payload"]["deliveries"].split(",")}


async def pending_rows(sessions: Sessions) -> list[ReminderDelivery]:
    return [row for row in await deliveries(sessions) if row.error == pending.PENDING]


async def deliveries(sessions: Sessions, **where: Any) -> list[ReminderDelivery]:
    """The reminder rows (the seeded "assigned" notices left out)."""
    rows = await reminder_log(sessions, **where)
    return [row for row in rows if row.kind is not DeliveryKind.ASSIGNED]


def owned_by(user: str, items: list[int]) -> list[int]:
    return items[:2] if user == OWNER else items[2:]


async def assert_nudged_once_by(
    sessions: Sessions,
    fake_slack: FakeSlack,
    item_ids: list[int],
    at: datetime,
    *,
    sent_at: datetime | None = None,
    failed_before: int = 0,
) -> str:
    """Each item nudged once, at `at`, its one delivery row (marked at `sent_at`, by default
    `at`) naming the message that did it (which names the row in its metadata); returns that
    message's ts."""
    stamps = set()
    for item_id in item_ids:
        item = await load(sessions, item_id)
        assert item.reminder_count == 1 and item.last_reminded_at == at
        assert item.reminder_claim is None and item.next_reminder_at == utc(11, 26, 14)
        rows = await deliveries(sessions, action_item_id=item_id)
        assert [row.error is None for row in rows] == [False] * failed_before + [True]
        row = rows[-1]
        assert row.kind is DeliveryKind.REMINDER
        assert row.channel_id and row.message_ts and row.sent_at == (sent_at or at)
        message = fake_slack.find_message(row.channel_id, row.message_ts)
        assert message is not None and row.id in named_deliveries(message)
        stamps.add(row.message_ts)
    [ts] = stamps
    return ts


@pytest.mark.parametrize("how", ["killed", "record-failed"])
async def test_a_dm_sent_but_not_recorded_is_not_sent_again(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    items: list[int],
    how: str,
) -> None:
    if how == "killed":
        crashed_to = await kill_during_send(
            sessions, client, settings, fake_slack, monkeypatch, landed=True
        )
        await run(sessions, client, settings, NOW + timedelta(minutes=5))  # the lease holds
        assert len(fake_slack.calls_to("chat.postMessage")) == 1
        later = NOW + reminders.LEASE
    else:

        async def crash(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the database went away")

        with monkeypatch.context() as patch:
            patch.setattr(delivery, "_record", crash)
            with pytest.raises(RuntimeError):
                await run(sessions, client, settings, NOW)
        [dm] = fake_slack.calls_to("chat.postMessage")
        crashed_to = str(dm.args["channel"])
        later = NOW + timedelta(minutes=1)  # the claim was given back: due at once
    crashed_items = owned_by(crashed_to, items)
    marked = await pending_rows(sessions)
    assert sorted(row.action_item_id for row in marked) == crashed_items
    assert all(row.message_ts is None and row.sent_at == NOW for row in marked)

    report = await run(sessions, client, settings, later)

    assert len(sent_to(fake_slack, OWNER)) == len(sent_to(fake_slack, SECOND)) == 1
    assert (report.dms_sent, report.nudged, report.failed) == (1, 3, 0)  # the other owner's
    assert not await pending_rows(sessions)
    ts = await assert_nudged_once_by(sessions, fake_slack, crashed_items, later, sent_at=NOW)
    [row] = await deliveries(sessions, action_item_id=crashed_items[0])
    [message] = fake_slack.messages(str(row.channel_id))  # the crashed sweep's DM, alone
    assert message["ts"] == ts
    for now in (later + timedelta(minutes=1), utc(11, 26, 13)):
        await run(sessions, client, settings, now)
    assert len(sent_to(fake_slack, OWNER)) == len(sent_to(fake_slack, SECOND)) == 1
    fake_slack.assert_no_rejections()


async def test_a_dm_that_never_reached_slack_is_sent_once(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    items: list[int],
) -> None:
    crashed_to = await kill_during_send(
        sessions, client, settings, fake_slack, monkeypatch, landed=False
    )
    crashed_items = owned_by(crashed_to, items)
    assert len(await pending_rows(sessions)) == len(crashed_items)
    assert not sent_to(fake_slack, OWNER) and not sent_to(fake_slack, SECOND)

    later = NOW + reminders.LEASE
    report = await run(sessions, client, settings, later)

    assert len(sent_to(fake_slack, OWNER)) == len(sent_to(fake_slack, SECOND)) == 1
    assert (report.dms_sent, report.nudged, report.failed) == (2, 3, 0)
    assert fake_slack.calls_to("conversations.history")  # looked before sending again
    assert not await pending_rows(sessions)
    await assert_nudged_once_by(sessions, fake_slack, crashed_items, later)
    await run(sessions, client, settings, later + timedelta(minutes=1))
    assert len(sent_to(fake_slack, OWNER)) == len(sent_to(fake_slack, SECOND)) == 1
    fake_slack.assert_no_rejections()


async def test_a_failed_look_up_waits_and_loses_nothing(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    items: list[int],
) -> None:
    crashed_to = await kill_during_send(
        sessions, client, settings, fake_slack, monkeypatch, landed=True
    )
    crashed_items = owned_by(crashed_to, items)
    later = NOW + reminders.LEASE
    # More 503s than the client's own retries: Slack can't say whether the DM is there.
    fake_slack.fail("conversations.history", status=503, times=3)

    report = await run(sessions, client, settings, later)

    assert len(sent_to(fake_slack, crashed_to)) == 1  # nothing sent on a guess
    assert report.failed == len(crashed_items)
    for item_id in crashed_items:
        item = await load(sessions, item_id)
        assert item.reminder_count == 0 and item.send_failures == 1
        assert item.next_reminder_at == later + timedelta(seconds=60)
    assert sorted(row.action_item_id for row in await pending_rows(sessions)) == crashed_items

    await run(sessions, client, settings, later + timedelta(seconds=60))

    assert len(sent_to(fake_slack, OWNER)) == len(sent_to(fake_slack, SECOND)) == 1
    assert not await pending_rows(sessions)
    await assert_nudged_once_by(
        sessions, fake_slack, crashed_items, later + timedelta(seconds=60), sent_at=NOW
    )
    fake_slack.assert_no_rejections()


async def test_every_reminder_dm_names_its_delivery_rows(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    items: list[int],
) -> None:
    report = await run(sessions, client, settings, NOW)
    assert (report.dms_sent, report.nudged) == (2, 3)
    assert not fake_slack.calls_to("conversations.history")  # nothing pending: no look-up
    assert not await pending_rows(sessions)
    for user in (OWNER, SECOND):
        await assert_nudged_once_by(sessions, fake_slack, owned_by(user, items), NOW)


async def test_an_item_snoozed_after_the_lost_dm_is_nudged_when_the_snooze_ends(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    items: list[int],
) -> None:
    """The owner snoozed the item from the DM the killed sweep never recorded: that DM is not
    the nudge due when the snooze ends (a new one is)."""
    crashed_to = await kill_during_send(
        sessions, client, settings, fake_slack, monkeypatch, landed=True
    )
    [snoozed, *_] = owned_by(crashed_to, items)
    back = NOW + timedelta(minutes=30)
    async with sessions() as session, session.begin():
        item = await session.get(ActionItem, snoozed)
        assert item is not None
        schedule.snooze(item, until=back)  # what the DM's Snooze button writes

    await run(sessions, client, settings, back)

    assert len(sent_to(fake_slack, crashed_to)) == 2
    item = await load(sessions, snoozed)
    assert item.reminder_count == 1 and item.last_reminded_at == back
    assert item.snoozed_until is None
    [row] = await deliveries(sessions, action_item_id=snoozed)  # the old mark dropped
    assert row.error is None and row.sent_at == back
    fake_slack.assert_no_rejections()


async def test_a_sweep_stopped_by_a_rate_limit_leaves_no_pending_rows(
    sessions: Sessions,
    settings: Settings,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    items: list[int],
) -> None:
    """The next owner's rows are written with the last owner's record; a sweep that stops
    there (rate limited) drops them, so the next sweep sends without looking in Slack."""
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=4)
    report = await run(sessions, client, settings, NOW)
    assert report.rate_limited and report.owners == 1
    assert not await pending_rows(sessions)

    report = await run(sessions, client, settings, NOW + timedelta(minutes=1))

    assert (report.dms_sent, report.nudged) == (2, 3)
    assert not fake_slack.calls_to("conversations.history")
    [refused] = [call.args["channel"] for call in fake_slack.calls_to("chat.postMessage")][:1]
    for user in (OWNER, SECOND):
        await assert_nudged_once_by(
            sessions,
            fake_slack,
            owned_by(user, items),
            NOW + timedelta(minutes=1),
            failed_before=int(user == refused),  # its rate-limited attempt, logged
        )
