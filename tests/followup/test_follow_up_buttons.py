"""The buttons under an action item, end to end: Done, Snooze, Reassign, Won't do, pressed in a
DM (redrawn in place) or on App Home, with who may press them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.cadence import WorkingHours
from bot.ids import FollowUp
from bot.ui.item import controls_block_id, item_block_id, item_blocks
from bot.ui.reminder import reminder_message
from models import ActionItem, ActionStatus, AuditEntry, Incident, ReminderDelivery
from tests.clock import FrozenClock
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.timeline_seed import seed_incident

Sessions = async_sessionmaker[AsyncSession]
OWNER, FACILITATOR, COMMANDER = "U0OWEN", "U0FAY", "U0CARL"
NEWCOMER, STRANGER, ROBOT, GONE = "U0NINA", "U0EVE", "U0ROBOT", "U0GONE"
# Friday 27 November 2026, 15:00 in Paris (the owner's zone).
FRIDAY_AFTERNOON = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FRIDAY_AFTERNOON)


@pytest.fixture
def people(fake_slack: FakeSlack) -> str:
    """The people, and the incident channel (returned)."""
    fake_slack.add_user(OWNER, name="owen", tz="Europe/Paris")
    fake_slack.add_user(FACILITATOR, name="fay", tz="Europe/London")
    fake_slack.add_user(COMMANDER, name="carl", tz="America/New_York")
    fake_slack.add_user(NEWCOMER, name="nina", tz="America/New_York")
    fake_slack.add_user(STRANGER, name="eve", tz="Europe/Paris")
    fake_slack.add_user(ROBOT, name="deploybot", is_bot=True)
    fake_slack.add_user(GONE, name="gone", deleted=True)
    return fake_slack.add_channel("inc-checkout", members=[OWNER], bot_is_member=True)


async def seed_items(sessions: Sessions, channel: str, *titles: str) -> list[int]:
    """An incident (commander Carl, facilitator Fay) with Owen's open items."""
    incident = await seed_incident(sessions, channel, commander_id=COMMANDER)
    async with sessions() as session, session.begin():
        stored = await session.get(Incident, incident.id)
        assert stored is not None
        stored.facilitator_id = FACILITATOR
        items = [
            ActionItem(
                team_id=incident.team_id,
                incident_id=incident.id,
                title=title,
                owner_id=OWNER,
                due_date=date(2026, 11, 30),
                created_by=FACILITATOR,
                next_reminder_at=FRIDAY_AFTERNOON,
            )
            for title in titles
        ]
        session.add_all(items)
        await session.flush()
        return [item.id for item in items]


async def loaded(sessions: Sessions, item_id: int) -> tuple[ActionItem, Incident]:
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
        assert item is not None
        incident = await session.get(Incident, item.incident_id)
        assert incident is not None
        return item, incident


async def send_reminder(bot: ServedBot, fake: FakeSlack, *item_ids: int) -> dict[str, Any]:
    """Owen's reminder DM about these items, sent through the real client as the sweep does;
    returns the message as Slack stores it (and sends back in a button's payload)."""
    entries = [await loaded(bot.runtime.sessions, item_id) for item_id in item_ids]
    text, blocks = reminder_message(
        recipient_id=OWNER,
        entries=entries,
        today=date(2026, 11, 27),
        now=FRIDAY_AFTERNOON,
        hours=WorkingHours(tz="Europe/Paris"),
    )
    return await post_dm(bot, fake, OWNER, text, blocks)


async def post_dm(
    bot: ServedBot, fake: FakeSlack, user_id: str, text: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    sent = await bot.runtime.app.client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    message = fake.find_message(sent["channel"], sent["ts"])
    assert message is not None
    return dict(message, channel=sent["channel"])


async def press(
    slack: SlackRequests, action_id: str, message: dict[str, Any], item_id: int, user_id: str
) -> None:
    response = await slack.block_action(
        action_id,
        value=str(item_id),
        block_id=controls_block_id(item_id),
        message=message,
        channel_id=message["channel"],
        user_id=user_id,
    )
    assert response.status_code == 200


def block(message: dict[str, Any] | None, block_id: str) -> dict[str, Any] | None:
    assert message is not None
    return next((b for b in message["blocks"] if b.get("block_id") == block_id), None)


def item_section(message: dict[str, Any] | None, item_id: int) -> str:
    section = block(message, item_block_id(item_id))
    assert section is not None
    return str(section["text"]["text"])


async def audits(sessions: Sessions, action: str) -> list[AuditEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def updated_message(
    fake: FakeSlack, message: dict[str, Any], count: int = 1
) -> dict[str, Any]:
    """The message after our chat.update calls on it."""
    calls = await fake.wait_for("chat.update", count)
    assert all(call.args["ts"] == message["ts"] for call in calls)
    found = fake.find_message(message["channel"], message["ts"])
    assert found is not None
    return dict(found, channel=message["channel"])


# ---- Done --------------------------------------------------------------------------------------


async def test_done_closes_the_item_and_redraws_the_dm_in_place_once(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    first, second = await seed_items(sessions, people, "Alert on p99", "Write the runbook")
    message = await send_reminder(served_bot, fake_slack, first, second)
    await press(slack, FollowUp.DONE, message, first, OWNER)
    shown = await updated_message(fake_slack, message)
    item, _ = await loaded(sessions, first)
    assert (item.status, item.closed_by, item.closed_at) == (
        ActionStatus.DONE,
        OWNER,
        FRIDAY_AFTERNOON,
    )
    assert item.next_reminder_at is None
    [audit] = await audits(sessions, "action.done")
    assert (audit.actor_id, audit.detail) == (OWNER, {"item": first})
    assert "Done" in item_section(shown, first) and "Alert on p99" in item_section(shown, first)
    assert block(shown, controls_block_id(first)) is None
    assert block(shown, controls_block_id(second)) is not None  # the other item is untouched
    assert block(shown, FollowUp.REMINDER_FOOTER) is not None
    intro = block(shown, FollowUp.REMINDER_INTRO)
    assert intro is not None and "1 of these 2 action items still need a look" in str(intro)
    # The owner's App Home is redrawn: the closed item is gone from it, the other one stays.
    home = await home_of(fake_slack, OWNER, without="Alert on p99")
    assert "Write the runbook" in json.dumps(home["blocks"])

    # The same button again, from a stale copy of the message: nothing is written twice.
    await press(slack, FollowUp.DONE, message, first, OWNER)
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["replace_original"] is False
    assert "already marked done" in answer.args["text"]
    assert len(await audits(sessions, "action.done")) == 1
    again, _ = await loaded(sessions, first)
    assert (again.status, again.closed_at, again.updated_at) == (
        ActionStatus.DONE,
        item.closed_at,
        item.updated_at,
    )
    fake_slack.assert_no_rejections()


async def test_two_done_presses_at_once_close_the_item_once(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    [item_id] = await seed_items(sessions, people, "Alert on p99")
    message = await send_reminder(served_bot, fake_slack, item_id)
    await asyncio.gather(
        press(slack, FollowUp.DONE, message, item_id, OWNER),
        press(slack, FollowUp.DONE, message, item_id, FACILITATOR),
    )
    [audit] = await audits(sessions, "action.done")
    [answer] = await fake_slack.wait_for("response_url")
    assert "already marked done" in answer.args["text"]
    item, _ = await loaded(sessions, item_id)
    assert item.closed_by == audit.actor_id


# ---- Snooze ------------------------------------------------------------------------------------


async def test_snooze_brings_the_item_back_at_the_start_of_the_owners_working_day(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    day, week = await seed_items(sessions, people, "Alert on p99", "Write the runbook")
    message = await send_reminder(served_bot, fake_slack, day, week)
    await press(slack, FollowUp.SNOOZE_DAY, message, day, OWNER)
    shown = await updated_message(fake_slack, message)
    monday_nine_paris = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # not Saturday: a working day
    item, _ = await loaded(sessions, day)
    assert (item.status, item.snoozed_until, item.next_reminder_at) == (
        ActionStatus.OPEN,
        monday_nine_paris,
        monday_nine_paris,
    )
    assert "Snoozed until" in item_section(shown, day)
    assert block(shown, controls_block_id(day)) is not None  # it can still be closed

    await press(slack, FollowUp.SNOOZE_WEEK, shown, week, OWNER)
    shown = await updated_message(fake_slack, message, 2)
    next_friday_nine_paris = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    item, _ = await loaded(sessions, week)
    assert (item.snoozed_until, item.next_reminder_at) == (
        next_friday_nine_paris,
        next_friday_nine_paris,
    )
    assert "Snoozed until" in item_section(shown, week)
    assert "Snoozed until" in item_section(shown, day)  # the earlier redraw is kept
    snoozes = await audits(sessions, "action.snooze")
    assert [(a.detail["item"], a.detail["days"]) for a in snoozes] == [(day, 1), (week, 7)]


# ---- Reassign ----------------------------------------------------------------------------------


def the_modal(fake: FakeSlack, callback_id: str) -> dict[str, Any]:
    [view] = [v for v in fake.views.values() if v["callback_id"] == callback_id]
    return view


def owner_picked(user_id: str | None) -> dict[str, Any]:
    return {
        FollowUp.REASSIGN_OWNER: {FollowUp.REASSIGN_OWNER: state_value("users_select", user_id)}
    }


async def test_reassign_checks_the_new_owner_then_hands_the_item_over(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    [item_id] = await seed_items(sessions, people, "Alert on p99")
    message = await send_reminder(served_bot, fake_slack, item_id)
    await press(slack, FollowUp.REASSIGN, message, item_id, OWNER)
    await fake_slack.wait_for("views.open")
    modal = the_modal(fake_slack, FollowUp.REASSIGN_CALLBACK)
    assert "Alert on p99" in modal["blocks"][0]["text"]["text"]

    for wrong, reason in ((ROBOT, "is a bot"), (GONE, "deactivated"), (OWNER, "already owns")):
        response = await slack.view_submission(modal, owner_picked(wrong), user_id=OWNER)
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert reason in answer["errors"][FollowUp.REASSIGN_OWNER]
    unchanged, _ = await loaded(sessions, item_id)
    assert unchanged.owner_id == OWNER and await audits(sessions, "action.assign") == []
    assert fake_slack.calls_to("chat.update") == []

    response = await slack.view_submission(modal, owner_picked(NEWCOMER), user_id=OWNER)
    assert response.status_code == 200 and response.text == ""  # the modal closes
    shown = await updated_message(fake_slack, message)
    assert f"Reassigned to <@{NEWCOMER}>" in item_section(shown, item_id)
    assert block(shown, controls_block_id(item_id)) is None
    item, _ = await loaded(sessions, item_id)
    assert item.owner_id == NEWCOMER
    # A fresh cadence in Nina's hours: the assignment counts as today's word.
    assert item.last_reminded_at == FRIDAY_AFTERNOON
    assert item.next_reminder_at is not None and item.next_reminder_at > FRIDAY_AFTERNOON
    [audit] = await audits(sessions, "action.assign")
    assert audit.detail == {"item": item_id, "from": OWNER, "to": NEWCOMER}
    # The new owner's DM goes out after the ack: wait for it, not for a count of posts.
    await fake_slack.wait_until(
        lambda: any(c.args["channel"] == NEWCOMER for c in fake_slack.calls_to("chat.postMessage")),
        timeout=3,
        what=f"a DM to {NEWCOMER}",
    )
    [dm] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == NEWCOMER]
    assert "Alert on p99" in dm.args["text"]
    await until_delivered(sessions, NEWCOMER)
    # Both Homes follow: the item left the old owner's list and joined the new owner's.
    await home_of(fake_slack, OWNER, without="Alert on p99")
    assert "Alert on p99" in json.dumps((await home_of(fake_slack, NEWCOMER))["blocks"])
    fake_slack.assert_no_rejections()


async def home_of(fake: FakeSlack, user_id: str, *, without: str | None = None) -> dict[str, Any]:
    """The user's App Home once it has been published (and no longer shows `without`)."""

    def published() -> bool:
        home = fake.home_views.get(user_id)
        return home is not None and (without is None or without not in json.dumps(home["blocks"]))

    await fake.wait_until(published, timeout=3, what=f"Home of {user_id} (re)published")
    return fake.home_views[user_id]


async def until_delivered(sessions: Sessions, recipient_id: str) -> ReminderDelivery:
    """The delivery row, written just after the DM."""
    for _ in range(100):
        async with sessions() as session:
            row = await session.scalar(
                select(ReminderDelivery).where(ReminderDelivery.recipient_id == recipient_id)
            )
        if row is not None:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"no delivery to {recipient_id}")


# ---- Won't do ----------------------------------------------------------------------------------


def reason_typed(text: str | None) -> dict[str, Any]:
    return {
        FollowUp.WONT_DO_REASON: {FollowUp.WONT_DO_REASON: state_value("plain_text_input", text)}
    }


async def test_wont_do_needs_a_reason_and_closes_the_item(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    [item_id] = await seed_items(sessions, people, "Alert on p99")
    message = await send_reminder(served_bot, fake_slack, item_id)
    await press(slack, FollowUp.WONT_DO, message, item_id, OWNER)
    await fake_slack.wait_for("views.open")
    modal = the_modal(fake_slack, FollowUp.WONT_DO_CALLBACK)
    response = await slack.view_submission(modal, reason_typed("   "), user_id=OWNER)
    assert list(response.json()["errors"]) == [FollowUp.WONT_DO_REASON]
    item, _ = await loaded(sessions, item_id)
    assert item.status is ActionStatus.OPEN

    reason = "  Superseded by the <new> alerting stack  "
    response = await slack.view_submission(modal, reason_typed(reason), user_id=OWNER)
    assert response.status_code == 200 and response.text == ""
    shown = await updated_message(fake_slack, message)
    item, _ = await loaded(sessions, item_id)
    assert (item.status, item.wont_do_reason, item.closed_by, item.next_reminder_at) == (
        ActionStatus.WONT_DO,
        "Superseded by the <new> alerting stack",
        OWNER,
        None,
    )
    assert "Won't do: _Superseded by the &lt;new&gt; alerting stack_" in item_section(
        shown, item_id
    )
    assert block(shown, controls_block_id(item_id)) is None
    [audit] = await audits(sessions, "action.wont_do")
    assert audit.detail["reason"] == "Superseded by the <new> alerting stack"
    # Reassign on the closed item now: a polite no, and no modal.
    await press(slack, FollowUp.REASSIGN, message, item_id, OWNER)
    [answer] = await fake_slack.wait_for("response_url")
    assert "already closed as won't do" in answer.args["text"]
    assert len(fake_slack.calls_to("views.open")) == 1


# ---- who may press -----------------------------------------------------------------------------


async def test_only_owner_facilitator_or_commander_may_change_an_item(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    [item_id] = await seed_items(sessions, people, "Alert on p99")
    message = await send_reminder(served_bot, fake_slack, item_id)
    for action_id in (FollowUp.DONE, FollowUp.REASSIGN):
        await press(slack, action_id, message, item_id, STRANGER)
    answers = await fake_slack.wait_for("response_url", 2)
    for answer in answers:
        assert answer.args["response_type"] == "ephemeral"
        assert (
            f"only <@{OWNER}> (the owner), <@{FACILITATOR}> (facilitator) or <@{COMMANDER}> "
            "(commander) can change this action item"
        ) in answer.args["text"]
    item, _ = await loaded(sessions, item_id)
    assert item.status is ActionStatus.OPEN and item.closed_by is None
    assert fake_slack.calls_to("chat.update") == [] and fake_slack.calls_to("views.open") == []

    # The facilitator may: from the escalation DM they were sent, where the owner is named.
    item, incident = await loaded(sessions, item_id)
    blocks = item_blocks(
        item,
        incident,
        today=date(2026, 11, 27),
        now=FRIDAY_AFTERNOON,
        viewer_id=None,
        controls=True,
    )
    escalation = await post_dm(
        served_bot, fake_slack, FACILITATOR, "Could you help?", [b.to_dict() for b in blocks]
    )
    await press(slack, FollowUp.DONE, escalation, item_id, FACILITATOR)
    shown = await updated_message(fake_slack, escalation)
    item, _ = await loaded(sessions, item_id)
    assert (item.status, item.closed_by) == (ActionStatus.DONE, FACILITATOR)
    assert f"Done by <@{FACILITATOR}>" in item_section(shown, item_id)
    assert f"owner <@{OWNER}>" in item_section(shown, item_id)


# ---- App Home ----------------------------------------------------------------------------------


async def test_buttons_on_app_home_act_and_refusals_get_a_small_modal(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: str
) -> None:
    sessions = served_bot.runtime.sessions
    [item_id] = await seed_items(sessions, people, "Alert on p99")
    item, incident = await loaded(sessions, item_id)
    blocks = item_blocks(
        item,
        incident,
        today=date(2026, 11, 27),
        now=FRIDAY_AFTERNOON,
        viewer_id=None,
        controls=True,
    )
    client = served_bot.runtime.app.client
    published = await client.views_publish(
        user_id=STRANGER, view={"type": "home", "blocks": [b.to_dict() for b in blocks]}
    )
    home = published["view"]
    await slack.block_action(FollowUp.DONE, value=str(item_id), view=home, user_id=STRANGER)
    [opened] = await fake_slack.wait_for("views.open")
    assert "can change this action item" in opened.args["view"]["blocks"][0]["text"]["text"]
    item, _ = await loaded(sessions, item_id)
    assert item.status is ActionStatus.OPEN

    published = await client.views_publish(
        user_id=OWNER, view={"type": "home", "blocks": [b.to_dict() for b in blocks]}
    )
    await slack.block_action(
        FollowUp.SNOOZE_WEEK, value=str(item_id), view=published["view"], user_id=OWNER
    )
    item, _ = await loaded(sessions, item_id)  # saved before the ack
    assert item.snoozed_until == datetime(2026, 12, 4, 8, 0, tzinfo=UTC)

    await slack.block_action(
        FollowUp.WONT_DO, value=str(item_id), view=published["view"], user_id=OWNER
    )
    await fake_slack.wait_for("views.open", 2)
    modal = the_modal(fake_slack, FollowUp.WONT_DO_CALLBACK)
    response = await slack.view_submission(modal, reason_typed("Not needed"), user_id=OWNER)
    assert response.status_code == 200 and response.text == ""
    item, _ = await loaded(sessions, item_id)
    assert (item.status, item.wont_do_reason) == (ActionStatus.WONT_DO, "Not needed")
    # Home has no message to redraw: the Home itself is published again, without the item.
    await home_of(fake_slack, OWNER, without="Alert on p99")
    assert fake_slack.calls_to("chat.update") == []
    assert fake_slack.calls_to("conversations.history") == []
    fake_slack.assert_no_rejections()
