"""The one error handler: typed errors reach the person as a clear answer, never a 500.

The listeners here are test-only additions to the real app (the real handlers raise the same
errors once the features that need them exist); everything else is the production path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncAck

from bot.app import build_runtime
from bot.errors import NotInIncidentChannelError, UserInputError
from handlers.errors import UNEXPECTED
from tests.conftest import SIGNING_SECRET, TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests, state_value

FORM = {
    "type": "modal",
    "callback_id": "test.form",
    "title": {"type": "plain_text", "text": "Test form"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "test.title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


@pytest.fixture
async def failing_slack(fake_slack: FakeSlack, database_url: str) -> AsyncIterator[SlackRequests]:
    runtime = build_runtime(make_settings(fake_slack, database_url))
    app = runtime.app

    @app.command("/refuse")
    async def refuse(ack: AsyncAck) -> None:
        raise NotInIncidentChannelError("This is not an incident channel.")

    @app.command("/crash")
    async def crash(ack: AsyncAck) -> None:
        raise RuntimeError("xoxb-should-never-be-shown")

    @app.command("/late")
    async def late(ack: AsyncAck) -> None:
        await ack()
        # Work after the ack (Slack calls) takes a moment; Bolt drops an ack whose listener
        # raises before its 10 ms poll has seen it, so handlers validate before they ack.
        await asyncio.sleep(0.05)
        raise UserInputError("That time is not valid: use HH:MM.")

    @app.view("test.form")
    async def submit(ack: AsyncAck) -> None:
        raise UserInputError("A title is required.", field="test.title")

    async with serve_app(runtime) as bot:
        yield SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )


async def test_typed_error_before_ack_is_an_ephemeral_answer(failing_slack: SlackRequests) -> None:
    response = await failing_slack.command("", command="/refuse")
    assert response.status_code == 200
    assert response.json() == {
        "response_type": "ephemeral",
        "text": "This is not an incident channel.",
    }


async def test_unexpected_error_is_apologised_for_without_details(
    failing_slack: SlackRequests,
) -> None:
    response = await failing_slack.command("", command="/crash")
    assert response.status_code == 200
    assert response.json()["text"] == UNEXPECTED
    assert "xoxb" not in response.text


async def test_error_after_ack_goes_to_the_response_url(
    failing_slack: SlackRequests, fake_slack: FakeSlack
) -> None:
    response = await failing_slack.command("10:61 db failover", command="/late")
    assert response.status_code == 200
    [call] = await fake_slack.wait_for("response_url")
    assert call.args["text"] == "That time is not valid: use HH:MM."
    assert call.args["response_type"] == "ephemeral"


async def test_input_error_on_a_modal_is_shown_inline_on_its_field(
    failing_slack: SlackRequests, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", name="alice")
    trigger = fake_slack.issue_trigger_id(user_id="U0ALICE")
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-test-token", base_url=fake_slack.base_url)
    opened = await client.views_open(trigger_id=trigger, view=FORM)
    view = fake_slack.views[opened["view"]["id"]]
    response = await failing_slack.view_submission(
        view, {"test.title": {"value": state_value("plain_text_input", "")}}, user_id="U0ALICE"
    )
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {"test.title": "A title is required."},
    }
    fake_slack.assert_no_rejections()  # Slack accepts that errors key: it is an input block
