"""Every event manifest.json subscribes to has a listener: none is answered 404, which Slack
counts as a failed delivery and retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.fakeslack.fixtures import load_fixture

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.json"
BOT_EVENTS: list[str] = json.loads(MANIFEST.read_text())["settings"]["event_subscriptions"][
    "bot_events"
]

Build = Callable[[SlackRequests, FakeSlack], dict[str, Any]]


def message_in(private: bool = False, dm: bool = False) -> Build:
    def build(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
        fake.add_user("U0ALICE", name="alice")
        channel = (
            fake.open_dm(["U0ALICE"]).id
            if dm
            else fake.add_channel("general", is_private=private, bot_is_member=True)
        )
        return slack.message_event(channel, "hello", user="U0ALICE")

    return build


def reaction(added: bool) -> Build:
    def build(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
        channel = fake.add_channel("general", bot_is_member=True)
        return slack.reaction_event(added, "pushpin", user="U0ALICE", channel=channel, ts="1.2")

    return build


def member_joined(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
    channel = fake.add_channel("inc-db", bot_is_member=True)
    event = load_fixture("events/member_joined_channel.docs.json")["event"]
    event.update(user="U0BOB", channel=channel, team=slack.team_id, inviter="U0ALICE")
    event.pop("enterprise", None)
    return event


def app_uninstalled(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
    return {"type": "app_uninstalled"}


def tokens_revoked(slack: SlackRequests, fake: FakeSlack) -> dict[str, Any]:
    return {"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"], "bot": []}}


# One way to build each event a manifest may subscribe to, from the real payloads in
# fixtures/events; a subscribed event missing here fails the test below.
BUILDERS: dict[str, Build] = {
    "message.channels": message_in(),
    "message.groups": message_in(private=True),
    "message.im": message_in(dm=True),
    "reaction_added": reaction(added=True),
    "reaction_removed": reaction(added=False),
    "app_home_opened": lambda slack, fake: slack.app_home_opened_event("U0ALICE"),
    "member_joined_channel": member_joined,
    "app_uninstalled": app_uninstalled,
    "tokens_revoked": tokens_revoked,
}


def test_every_subscribed_event_can_be_built() -> None:
    assert set(BOT_EVENTS) <= set(BUILDERS), "add a builder for the newly subscribed event"


@pytest.mark.parametrize("name", BOT_EVENTS)
async def test_every_subscribed_event_has_a_listener(
    name: str, slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    response = await slack.event(BUILDERS[name](slack, fake_slack))
    assert response.status_code == 200, f"{name}: {response.status_code} {response.text}"
