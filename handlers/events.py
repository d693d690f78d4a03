"""Bolt listeners for events: capture messages and reactions into the incident timeline.

Bolt acknowledges events by itself before a listener's body runs, so the writes happen in
middleware, which Bolt runs (and awaits) before the ack: the 200 goes out only once the change
is committed. If the write fails the request is answered with a 500, and Slack delivers the
event again (every write is idempotent).

Message events (every message of every channel the bot is in: the hot path) are stored by a
global middleware that answers them itself, after Bolt's own middleware (signature, workspace,
self events) and ours (CleanText, Provide) have run: Bolt's listener dispatch (matching every
listener, building its keyword arguments, a task for the listener) cost more than storing the
message. No listener sees a `message` event; reactions and joins go through listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.internals import extract_team_id
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.text_clean import clean_strings, json_is_storable
from bot.timeline.messages import change_from_slack
from bot.timeline.reactions import Reaction, mark_by_reaction, unmark_by_reaction
from bot.timeline.writer import CaptureWriter

logger = logging.getLogger(__name__)

Next = Callable[[], Awaitable[None]]
NextResponse = Callable[[], Awaitable[BoltResponse]]


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.use(CaptureMessage())  # after the app's own middleware (create_app adds it first)
    app.event("reaction_added", middleware=[mark_reaction])(acknowledged)
    app.event("reaction_removed", middleware=[unmark_reaction])(acknowledged)
    # Joins are not timeline content (capture skips channel_join messages too); acked so Slack
    # does not retry it as undelivered.
    app.event("member_joined_channel")(acknowledged)


class CaptureMessage(AsyncMiddleware):
    """Answers a `message` event itself once its change is committed (200; 500 to be retried
    when it could not be stored); passes every other request on.

    A middleware class rather than a function: Bolt then builds no keyword arguments for it on
    each request, and every message in every channel the bot is in passes through here.
    """

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: NextResponse
    ) -> BoltResponse | None:
        event = req.body.get("event")
        if req.body.get("type") != "event_callback" or not isinstance(event, dict):
            return await next()
        if event.get("type") != "message":
            return await next()
        context = req.context
        return await store_message(
            context["capture"],
            event,
            team_id=context.team_id or "",
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            now=context["clock"](),
        )


async def store_message(
    capture: CaptureWriter,
    event: dict[str, Any],
    *,
    team_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    now: datetime,
) -> BoltResponse:
    """The answer to a message event: 200 once its change is committed (or when it is not
    timeline content), 500 to be delivered again when it could not be stored."""
    change = change_from_slack(
        event, team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id, now=now
    )
    if change is not None:
        try:
            await capture.record(change)
        except Exception:
            logger.exception("message %s not stored; answering 500 to be retried", event.get("ts"))
            return retry_later()
    return BoltResponse(status=200, body="")


class BotFinder(Protocol):
    """Who the bot is for a signed payload, as Bolt's authorize would say (None: not ours)."""

    async def bot_for(self, payload: dict[str, Any]) -> AuthorizeResult | None: ...


class DirectCapture:
    """Message events answered before Bolt's dispatch, over HTTP: the hot path.

    It makes the checks Bolt's middleware would make on the way to CaptureMessage (the
    signature and its age, the workspace authorized, the bot's own messages left out, the text
    made storable) and stores the change the same way. Anything else, or anything that is not
    plainly fine (a bad signature, a workspace not ours, an authorize that fails), returns None
    and goes through Bolt as every other request does, which answers it as before. Bolt's
    request, context and middleware chain cost as much as storing the message.
    """

    def __init__(
        self,
        *,
        signing_secret: str,
        bots: BotFinder,
        capture: CaptureWriter,
        clock: Callable[[], datetime],
    ) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.bots = bots
        self.capture = capture
        self.clock = clock

    async def answer(
        self, body: str, headers: dict[str, Any], payload: dict[str, Any]
    ) -> BoltResponse | None:
        event = payload.get("event")
        if payload.get("type") != "event_callback" or not isinstance(event, dict):
            return None
        if event.get("type") != "message" or not self.verifier.is_valid_request(body, headers):
            return None
        try:
            bot = await self.bots.bot_for(payload)
        except Exception:  # Bolt's own path logs and answers it
            return None
        if bot is None:
            return None
        if not json_is_storable(body):
            clean_strings(payload)
        return await store_message(
            self.capture,
            event,
            team_id=extract_team_id(payload) or "",
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            now=self.clock(),
        )


async def mark_reaction(
    context: AsyncBoltContext, client: AsyncWebClient, event: dict[str, Any], next: Next
) -> BoltResponse | None:
    reaction = reaction_from_slack(event, team_id=context.team_id or "")
    if reaction is not None:
        marked = mark_by_reaction(
            sessions=context["sessions"],
            client=client,
            capture=context["capture"],
            reaction=reaction,
            kinds=context["settings"].timeline_reactions,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
        )
        if not await stored(marked, f"mark by :{reaction.reaction}:"):
            return retry_later()
    await next()
    return None


async def unmark_reaction(
    context: AsyncBoltContext, event: dict[str, Any], next: Next
) -> BoltResponse | None:
    reaction = reaction_from_slack(event, team_id=context.team_id or "")
    if reaction is not None:
        kinds = context["settings"].timeline_reactions
        unmarked = unmark_by_reaction(sessions=context["sessions"], reaction=reaction, kinds=kinds)
        if not await stored(unmarked, f"unmark by :{reaction.reaction}:"):
            return retry_later()
    await next()
    return None


async def stored(write: Awaitable[object], what: str) -> bool:
    """Awaits a write made before the ack; False (logged) when it failed, to answer 500."""
    try:
        await write
    except Exception:
        logger.exception("%s not stored; answering 500", what)
        return False
    return True


async def acknowledged() -> None:
    """The work was done (and committed) by the listener's middleware; Bolt acks."""


def reaction_from_slack(event: dict[str, Any], *, team_id: str) -> Reaction | None:
    """A reaction on a message (not a file), its skin tone dropped: `+1::skin-tone-2` → `+1`."""
    item = event.get("item") or {}
    fields = (item.get("channel"), item.get("ts"), event.get("reaction"), event.get("user"))
    if item.get("type") != "message" or not all(isinstance(f, str) for f in fields):
        return None
    channel_id, ts, name, user_id = fields
    return Reaction(team_id, channel_id, ts, name.split("::")[0], user_id)


def retry_later() -> BoltResponse:
    return BoltResponse(status=500, body='{"error": "not stored, please retry"}')
