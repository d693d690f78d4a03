"""The "Add to timeline" message shortcut: a small modal marks a message with a kind and a note."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.ids import Shortcut, TimelineIds
from bot.installation import NOT_INSTALLED
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.timeline_seed import events_of, marks_of, seed_incident, seed_message

TEAM_B = "T0TEAM2"


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    fake_slack.add_user("U0ALICE", name="alice", tz="Europe/Paris")
    fake_slack.add_user("U0BOB", name="bob", tz="America/New_York")
    return fake_slack.add_channel("inc-checkout", members=["U0ALICE", "U0BOB"], bot_is_member=True)


def message_in(fake: FakeSlack, channel: str, text: str, user: str = "U0ALICE") -> dict[str, Any]:
    ts = fake.add_message(channel, text=text, user=user)
    found = fake.find_message(channel, ts)
    assert found is not None
    return dict(found)


def the_modal(fake: FakeSlack) -> dict[str, Any]:
    [view] = [v for v in fake.views.values() if v["callback_id"] == TimelineIds.MARK_CALLBACK]
    return view


def choices(kind: tuple[str, str] | str, note: str | None = None) -> dict[str, Any]:
    return {
        TimelineIds.MARK_KIND: {TimelineIds.MARK_KIND: state_value("static_select", kind)},
        TimelineIds.MARK_NOTE: {TimelineIds.MARK_NOTE: state_value("plain_text_input", note)},
    }


async def test_the_shortcut_stores_a_new_message_and_opens_the_modal(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    message = message_in(fake_slack, channel, "db-1 is refusing connections")
    response = await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=message, channel_id=channel, user_id="U0BOB"
    )
    assert response.status_code == 200
    await fake_slack.wait_for("views.open")
    [event] = await events_of(sessions)  # stored before the modal opened
    assert (event.incident_id, event.ts, event.text) == (
        incident.id,
        message["ts"],
        "db-1 is refusing connections",
    )
    view = the_modal(fake_slack)
    assert view["title"]["text"] == "Add to timeline"
    assert json.loads(view["private_metadata"]) == {"channel": channel, "ts": message["ts"]}
    preview, kind, note = view["blocks"]
    assert "*alice*" in preview["text"]["text"] and "db-1 is refusing" in preview["text"]["text"]
    labels = [option["text"]["text"] for option in kind["element"]["options"]]
    assert labels[:6] == ["Key event", "Detection", "Action", "Mitigation", "Resolution", "Lesson"]
    assert kind["element"]["initial_option"]["value"] == "key_event"
    assert note["optional"] is True
    fake_slack.assert_no_rejections()


async def test_submitting_marks_the_event_with_the_kind_and_note(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    message = message_in(fake_slack, channel, "error rate back to normal")
    await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=message, channel_id=channel, user_id="U0BOB"
    )
    await fake_slack.wait_for("views.open")
    submitted = await slack.view_submission(
        the_modal(fake_slack),
        choices(("Resolution", "resolution"), "  confirmed on the dashboard  "),
        user_id="U0BOB",
    )
    assert submitted.status_code == 200 and submitted.text == ""  # the modal closes
    [mark] = await marks_of(sessions)
    assert (mark.kind, mark.marked_by, mark.reaction, mark.note) == (
        "resolution",
        "U0BOB",
        "",
        "confirmed on the dashboard",
    )
    # The mark shows in the timeline, note and all.
    await slack.command("timeline", channel_id=channel, user_id="U0BOB")
    [answer] = await fake_slack.wait_for("response_url")
    shown = json.dumps(answer.args)
    assert "`Resolution`" in shown and "confirmed on the dashboard" in shown


async def test_marking_again_changes_the_kind_and_keeps_one_row_per_person(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    message = message_in(fake_slack, channel, "rolled back deploy 4512")
    await seed_message(sessions, incident, message["ts"], "rolled back deploy 4512 (edited)")
    for n, kind in enumerate(("action", "mitigation"), start=1):
        await slack.message_action(
            Shortcut.ADD_TO_TIMELINE, message=message, channel_id=channel, user_id="U0ALICE"
        )
        await fake_slack.wait_for("views.open", count=n)
        modal = [v for v in fake_slack.views.values() if v["callback_id"]][-1]
        await slack.view_submission(modal, choices(kind), user_id="U0ALICE")
    [event] = await events_of(sessions)
    assert event.text == "rolled back deploy 4512 (edited)"  # what was stored wins
    [mark] = await marks_of(sessions)
    assert (mark.kind, mark.marked_by, mark.note) == ("mitigation", "U0ALICE", None)


async def test_an_unknown_kind_is_refused_inline_and_marks_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    await seed_incident(served_bot.runtime.sessions, channel)
    message = message_in(fake_slack, channel, "hmm")
    await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=message, channel_id=channel, user_id="U0BOB"
    )
    await fake_slack.wait_for("views.open")
    response = await slack.view_submission(
        the_modal(fake_slack), choices(("Blame", "blame")), user_id="U0BOB"
    )
    assert response.json()["response_action"] == "errors"
    assert TimelineIds.MARK_KIND in response.json()["errors"]
    assert await marks_of(served_bot.runtime.sessions) == []
    fake_slack.assert_no_rejections()


async def test_outside_an_incident_channel_it_answers_ephemerally_and_opens_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    general = fake_slack.add_channel("general", members=["U0BOB"], bot_is_member=True)
    message = message_in(fake_slack, general, "lunch?")
    response = await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=message, channel_id=general, user_id="U0BOB"
    )
    assert response.status_code == 200
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "isn't an incident channel" in answer.args["text"]
    assert fake_slack.calls_to("views.open") == []
    assert await events_of(served_bot.runtime.sessions) == []


async def test_another_workspace_cannot_mark_this_incidents_messages(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    message = message_in(fake_slack, channel, "from elsewhere")
    fake_slack.clear_calls()
    response = await slack.message_action(
        Shortcut.ADD_TO_TIMELINE,
        message=message,
        channel_id=channel,
        user_id="U0BOB",
        team_id=TEAM_B,
    )
    assert response.status_code == 200 and response.text == NOT_INSTALLED
    assert [call.method for call in fake_slack.calls] == ["auth.test"]  # no modal, no answer
    assert await events_of(sessions) == [] and await events_of(sessions, TEAM_B) == []


async def test_hindsights_own_messages_cannot_be_added(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    await seed_incident(served_bot.runtime.sessions, channel)
    ts = fake_slack.add_message(
        channel, text="INC-1 header", user=fake_slack.bot_user_id, bot_id=fake_slack.bot_id
    )
    message = fake_slack.find_message(channel, ts)
    assert message is not None
    await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=dict(message), channel_id=channel, user_id="U0BOB"
    )
    [answer] = await fake_slack.wait_for("response_url")
    assert "can't be added" in answer.args["text"]
    assert fake_slack.calls_to("views.open") == []
    assert await events_of(served_bot.runtime.sessions) == []
