"""A simulated Slack workspace, served in-process on loopback, for trying Hindsight (and
testing it) without Slack.

``SimSlack`` is a stateful Slack Web API over real HTTP on ``127.0.0.1``: users, channels,
messages and threads, pins, reactions, bookmarks, views (modals and App Home), files and
canvases. It answers in Slack's envelope, checks Block Kit's limits the way Slack does
(``limits``) and records every call. Point the bot at it with ``SLACK_API_URL =
SimSlack.base_url``. ``SignedRequests`` plays the people: it sends Slack's signed requests
(slash commands, events, block actions, view submissions, shortcuts) to the bot's request URL,
their payloads built from small templates shaped like Slack's (``templates``).

    with SimSlack() as slack:
        slack.add_user("U0ALICE", name="alice")
        people = SignedRequests(bot_url, signing_secret=secret, workspace=slack)
        await people.command("help", user_id="U0ALICE", channel_id=channel)

The tests' fake (``tests/fakeslack``) is this package plus what only tests need: Slack's
OpenAPI required-argument checks, real captured payloads, injected failures and held calls.
It imports nothing else of ours, and the bot itself never imports it.
"""

from .limits import validate_blocks, validate_message_blocks, validate_view, view_too_large
from .payloads import EventBuilders, option, state_value
from .records import Call, Channel, Rejection, StoredFile, Trigger
from .server import SimSlack
from .signed import SignedRequests

__all__ = [
    "Call",
    "Channel",
    "EventBuilders",
    "Rejection",
    "SignedRequests",
    "SimSlack",
    "StoredFile",
    "Trigger",
    "option",
    "state_value",
    "validate_blocks",
    "validate_message_blocks",
    "validate_view",
    "view_too_large",
]
