"""Bolt listeners for shortcuts: "Add to timeline" and the modal it opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotFoundError
from bot.ids import Shortcut, TimelineIds
from bot.timeline.events import mark_event
from bot.timeline.marking import mark_kinds, mark_target
from bot.timeline.messages import StoreMessage
from bot.timeline.writer import CaptureWriter
from bot.ui.mark import MarkForm, mark_modal


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.shortcut(Shortcut.ADD_TO_TIMELINE)(add_to_timeline)
    app.view(TimelineIds.MARK_CALLBACK)(submit_mark)


@dataclass(frozen=True, slots=True)
class ShortcutTarget:
    """A message shortcut's payload, as plain values."""

    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    message: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ShortcutTarget:
        return cls(
            team_id=(body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", ""),
            user_id=body["user"]["id"],
            channel_id=body["channel"]["id"],
            trigger_id=body["trigger_id"],
            message=body.get("message") or {},
        )


async def add_to_timeline(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Store the message if it is new, then open the modal to mark it (within the trigger's 3 s:
    the store is one row through the group-commit writer)."""
    shortcut = ShortcutTarget.from_body(body)
    async with context["sessions"]() as session:  # a refusal is answered by response_url
        target = await mark_target(
            session=session,
            client=client,
            team_id=shortcut.team_id,
            channel_id=shortcut.channel_id,
            message=shortcut.message,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
        )
    await ack()
    capture: CaptureWriter = context["capture"]
    await capture.submit(target.incident.id, StoreMessage(target.message))  # stored once, ever
    view = mark_modal(
        incident=target.incident,
        channel_id=target.message.channel_id,
        ts=target.message.ts,
        author=target.author,
        text=target.message.text,
        kinds=mark_kinds(context["settings"].timeline_reactions),
    )
    await client.views_open(trigger_id=shortcut.trigger_id, view=view)


async def submit_mark(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Mark the message with the chosen kind and note; the modal closes once it is stored."""
    form = MarkForm.from_view(view, kinds=mark_kinds(context["settings"].timeline_reactions))
    team_id = (body.get("team") or {}).get("id") or view.get("team_id", "")
    async with context["sessions"]() as session, session.begin():
        event = await mark_event(
            session=session,
            team_id=team_id,
            channel_id=form.channel_id,
            ts=form.ts,
            kind=form.kind,
            marked_by=body["user"]["id"],
            reaction="",
            note=form.note,
        )
        if event is None:
            raise NotFoundError(
                "That message isn't in an incident timeline any more, so it couldn't be marked."
            )
    await ack()
