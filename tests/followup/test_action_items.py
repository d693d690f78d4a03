"""Action items outside the retro: `/postmortem action …`, the "Create action item" shortcut, and
the DM that tells the owner at once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import UserInputError
from bot.followup.items import assign, parse_action_command, parse_due
from bot.followup.notices import send_now
from bot.ids import ActionIds, Shortcut
from bot.installation import NOT_INSTALLED
from models import (
    ActionItem,
    ActionKind,
    AuditEntry,
    DeliveryKind,
    Incident,
    Priority,
    ReminderDelivery,
    utcnow,
)
from tests.conftest import BOT_TOKEN, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.timeline_seed import seed_incident

TEAM_B = "T0TEAM2"
Sessions = async_sessionmaker[AsyncSession]


def paris_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    fake_slack.add_user("U0ALICE", name="alice", tz="Europe/Paris")
    fake_slack.add_user("U0BOB", name="bob", tz="America/New_York")
    fake_slack.add_user("U0ROBOT", name="deploybot", is_bot=True)
    return fake_slack.add_channel("inc-checkout", members=["U0ALICE", "U0BOB"], bot_is_member=True)


async def items_of(sessions: Sessions) -> list[ActionItem]:
    async with sessions() as session:
        return list(await session.scalars(select(ActionItem).order_by(ActionItem.id)))


async def deliveries_of(sessions: Sessions, count: int) -> list[ReminderDelivery]:
    """The delivery log once it holds `count` rows (it is written just after the DM)."""
    for _ in range(250):
        async with sessions() as session:
            rows = list(await session.scalars(select(ReminderDelivery)))
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.02)
    return rows


def dms_to(fake: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    return [c.args for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == user_id]


# ---- the command -------------------------------------------------------------------------------


async def test_the_command_creates_the_item_and_dms_the_owner(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    response = await slack.command(
        "action Alert on checkout p99 &amp; errors <@U0BOB|bob> due 2099-01-15",
        channel_id=channel,
        user_id="U0ALICE",
    )
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "INC-1" in answer["text"] and "2099-01-15" in answer["text"]
    [item] = await items_of(sessions)
    assert (item.incident_id, item.title, item.owner_id, item.due_date) == (
        incident.id,
        "Alert on checkout p99 & errors",
        "U0BOB",
        date(2099, 1, 15),
    )
    assert (item.created_by, item.priority, item.kind, item.source_channel_id) == (
        "U0ALICE",
        Priority.MEDIUM,
        ActionKind.PREVENT,
        channel,
    )
    # Bob (New York) is first nudged two working days before the due date, 09:00 his time.
    assert item.next_reminder_at == datetime(2099, 1, 13, 14, 0, tzinfo=UTC)
    [dm] = await fake_slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0BOB" and "Alert on checkout p99" in dm.args["text"]
    assert "followup.done" in json.dumps(dm.args["blocks"])  # the item's controls, right away
    [published] = await fake_slack.wait_for("views.publish")  # and Bob's App Home lists it
    assert published.args["user_id"] == "U0BOB"
    assert "Alert on checkout p99" in json.dumps(fake_slack.home_views["U0BOB"]["blocks"])
    [delivery] = await deliveries_of(sessions, 1)
    assert (delivery.action_item_id, delivery.recipient_id, delivery.kind) == (
        item.id,
        "U0BOB",
        DeliveryKind.ASSIGNED,
    )
    assert delivery.channel_id and delivery.channel_id.startswith("D") and delivery.error is None
    async with sessions() as session:
        [audit] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "action.create")
        )
    assert (audit.actor_id, audit.incident_id, audit.detail["item"]) == (
        "U0ALICE",
        incident.id,
        item.id,
    )
    fake_slack.assert_no_rejections()


async def test_without_owner_or_due_the_creator_owns_it_for_seven_days_and_gets_no_dm(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    await slack.command("action Write the runbook for db failover", channel_id=channel)
    await slack.command("action Rotate the pager key <@U0BOB> due tomorrow", channel_id=channel)
    await fake_slack.wait_for("chat.postMessage")
    mine, bobs = await items_of(sessions)
    assert (mine.owner_id, mine.due_date) == ("U0ALICE", paris_today() + timedelta(days=7))
    assert (bobs.owner_id, bobs.due_date) == ("U0BOB", paris_today() + timedelta(days=1))
    assert dms_to(fake_slack, "U0ALICE") == [] and len(dms_to(fake_slack, "U0BOB")) == 1
    [delivery] = await deliveries_of(sessions, 1)
    assert delivery.action_item_id == bobs.id


async def test_bad_command_input_is_refused_and_nothing_is_stored(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    await seed_incident(served_bot.runtime.sessions, channel)
    refusals = {
        "action <@U0BOB>": "Give the action item a title",
        "action Fix it <@U0ROBOT>": "is a bot",
        "action Fix it <@U0NOBODY>": "not a user",
        "action Fix it due 2020-01-01": "has passed",
        "action Fix it due someday": "isn't a due date",
        "action": "Give the action item a title",
    }
    for text, reason in refusals.items():
        response = await slack.command(text, channel_id=channel)
        assert response.json()["response_type"] == "ephemeral"
        assert reason in response.json()["text"], (text, response.json()["text"])
    assert await items_of(served_bot.runtime.sessions) == []
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_the_command_outside_an_incident_channel_gets_the_standard_answer(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    await seed_incident(served_bot.runtime.sessions, channel)
    general = await slack.command("action Fix it <@U0BOB>", channel_id="C0GENERAL")
    assert "isn't an incident channel" in general.json()["text"]
    elsewhere = await slack.command("action Fix it", channel_id=channel, team_id=TEAM_B)
    assert elsewhere.text == NOT_INSTALLED  # another workspace: refused before anything runs
    assert await items_of(served_bot.runtime.sessions) == []


def test_the_command_reads_owner_and_due_in_either_order() -> None:
    monday = date(2026, 11, 23)
    parsed = parse_action_command("Fix alerts due friday <@U0BOB|bob>", today=monday)
    assert (parsed.title, parsed.owner_id, parsed.due) == (
        "Fix alerts",
        "U0BOB",
        date(2026, 11, 27),
    )
    parsed = parse_action_command("Fix overdue alerts", today=monday)
    assert (parsed.owner_id, parsed.due) == (None, None)
    assert parse_due("in 10 days", today=monday) == date(2026, 12, 3)
    assert parse_due("monday", today=monday) == date(2026, 11, 30)  # the next one, not today
    with pytest.raises(UserInputError):
        parse_due("2026-02-30", today=monday)


# ---- the message shortcut ----------------------------------------------------------------------


def message_in(fake: FakeSlack, channel: str, text: str, user: str = "U0BOB") -> dict[str, Any]:
    ts = fake.add_message(channel, text=text, user=user)
    found = fake.find_message(channel, ts)
    assert found is not None
    return dict(found)


def the_modal(fake: FakeSlack) -> dict[str, Any]:
    [view] = [v for v in fake.views.values() if v["callback_id"] == ActionIds.CREATE_CALLBACK]
    return view


def answers(
    title: str | None,
    owner: str | None,
    due: str | None = None,
    priority: str = "medium",
    kind: str = "prevent",
) -> dict[str, Any]:
    return {
        ActionIds.CREATE_TITLE: {ActionIds.CREATE_TITLE: state_value("plain_text_input", title)},
        ActionIds.CREATE_OWNER: {ActionIds.CREATE_OWNER: state_value("users_select", owner)},
        ActionIds.CREATE_DUE: {ActionIds.CREATE_DUE: state_value("datepicker", due)},
        ActionIds.CREATE_PRIORITY: {
            ActionIds.CREATE_PRIORITY: state_value("static_select", priority)
        },
        ActionIds.CREATE_KIND: {ActionIds.CREATE_KIND: state_value("static_select", kind)},
    }


async def open_modal(
    slack: SlackRequests, fake: FakeSlack, channel: str, text: str, author: str = "U0BOB"
) -> tuple[dict[str, Any], dict[str, Any]]:
    message = message_in(fake, channel, text, user=author)
    response = await slack.message_action(
        Shortcut.CREATE_ACTION_ITEM, message=message, channel_id=channel, user_id="U0ALICE"
    )
    assert response.status_code == 200
    await fake.wait_for("views.open")
    return message, the_modal(fake)


async def test_the_shortcut_prefills_the_modal_and_creates_an_item_linked_to_the_message(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    long_text = "We should add a canary for <https://example.com/deploys|deploys> " + "x" * 400
    message, modal = await open_modal(slack, fake_slack, channel, long_text)
    assert modal["title"]["text"] == "Create action item"
    assert json.loads(modal["private_metadata"]) == {"channel": channel, "ts": message["ts"]}
    blocks = {block["block_id"]: block for block in modal["blocks"]}
    title = blocks[ActionIds.CREATE_TITLE]["element"]["initial_value"]
    assert title.startswith("We should add a canary for deploys xx") and len(title) == 300
    assert blocks[ActionIds.CREATE_OWNER]["element"]["initial_user"] == "U0ALICE"
    assert blocks[ActionIds.CREATE_PRIORITY]["element"]["initial_option"]["value"] == "medium"
    assert "*bob*" in blocks[ActionIds.CREATE_MESSAGE]["text"]["text"]
    submitted = await slack.view_submission(
        modal,
        answers("Add a deploy canary", "U0BOB", priority="high", kind="detect"),
        user_id="U0ALICE",
    )
    assert submitted.status_code == 200 and submitted.text == ""  # the modal closes
    [item] = await items_of(sessions)
    assert (item.incident_id, item.title, item.owner_id, item.created_by) == (
        incident.id,
        "Add a deploy canary",
        "U0BOB",
        "U0ALICE",
    )
    assert (item.source_channel_id, item.source_ts) == (channel, message["ts"])
    assert (item.priority, item.kind) == (Priority.HIGH, ActionKind.DETECT)
    assert item.due_date == paris_today() + timedelta(days=3)  # the default for high priority
    [dm] = await fake_slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0BOB" and "Add a deploy canary" in dm.args["text"]
    [delivery] = await deliveries_of(sessions, 1)
    assert (delivery.kind, delivery.recipient_id) == (DeliveryKind.ASSIGNED, "U0BOB")
    fake_slack.assert_no_rejections()


async def test_the_modal_shows_problems_inline_and_stores_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    await seed_incident(served_bot.runtime.sessions, channel)
    _, modal = await open_modal(slack, fake_slack, channel, "restart the workers", "U0GHOST")
    assert "*U0GHOST*" in modal["blocks"][0]["text"]["text"]  # an author Slack doesn't know
    yesterday = (paris_today() - timedelta(days=1)).isoformat()
    problems = [
        (answers("   ", "U0BOB"), ActionIds.CREATE_TITLE),
        (answers("Restart", "U0BOB", due=yesterday), ActionIds.CREATE_DUE),
        (answers("Restart", "U0ROBOT"), ActionIds.CREATE_OWNER),
        (answers("Restart", "U0NOBODY"), ActionIds.CREATE_OWNER),
    ]
    for values, block in problems:
        response = await slack.view_submission(modal, values, user_id="U0ALICE")
        assert response.json()["response_action"] == "errors"
        assert list(response.json()["errors"]) == [block]
    assert await items_of(served_bot.runtime.sessions) == []
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_the_shortcut_outside_an_incident_channel_answers_by_response_url(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    general = fake_slack.add_channel("general", members=["U0ALICE"], bot_is_member=True)
    message = message_in(fake_slack, general, "we should fix this")
    await slack.message_action(
        Shortcut.CREATE_ACTION_ITEM, message=message, channel_id=general, user_id="U0ALICE"
    )
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "isn't an incident channel" in answer.args["text"]
    assert fake_slack.calls_to("views.open") == []


async def test_another_workspace_cannot_add_items_to_this_incident(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    message = message_in(fake_slack, channel, "from elsewhere")
    _, modal = await open_modal(slack, fake_slack, channel, "mine")
    fake_slack.clear_calls()
    shortcut = await slack.message_action(
        Shortcut.CREATE_ACTION_ITEM,
        message=message,
        channel_id=channel,
        user_id="U0BOB",
        team_id=TEAM_B,
    )
    assert shortcut.status_code == 200 and shortcut.text == NOT_INSTALLED
    # A forged submission naming team A's channel is refused too, in the modal.
    response = await slack.view_submission(
        modal, answers("Sneaky", "U0BOB"), user_id="U0BOB", team_id=TEAM_B
    )
    assert NOT_INSTALLED in json.dumps(response.json()["view"])
    assert fake_slack.calls == []  # no modal opened, no answer posted with our token
    assert await items_of(sessions) == []


async def test_reassigning_checks_the_new_owner_and_tells_them(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    await slack.command("action Tune the alert <@U0BOB>", channel_id=channel)
    await fake_slack.wait_for("chat.postMessage")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.base_url)
    async with sessions() as session:
        item, _ = await load_item(session)
        with pytest.raises(UserInputError, match="is a bot"):
            await assign(
                session=session,
                client=client,
                item=item,
                owner_id="U0ROBOT",
                actor_id="U0BOB",
                now=utcnow(),
            )
        assert item.owner_id == "U0BOB"
        previous = await assign(
            session=session,
            client=client,
            item=item,
            owner_id="U0ALICE",
            actor_id="U0BOB",
            now=utcnow(),
        )
        await session.commit()
        await send_now(sessions=sessions, client=client, item=item, now=utcnow())
    assert previous == "U0BOB"
    [dm] = dms_to(fake_slack, "U0ALICE")
    assert "Tune the alert" in dm["text"]
    assert {d.recipient_id for d in await deliveries_of(sessions, 2)} == {"U0BOB", "U0ALICE"}
    async with sessions() as session:
        [audit] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "action.assign")
        )
    assert audit.detail == {"item": item.id, "from": "U0BOB", "to": "U0ALICE"}


async def load_item(session: AsyncSession) -> tuple[ActionItem, Incident]:
    item = await session.scalar(select(ActionItem))
    assert item is not None
    incident = await session.get(Incident, item.incident_id)
    assert incident is not None
    return item, incident
