"""Bolt listeners for shortcuts: "Add to timeline" and the modal it opens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.ids import Shortcut, TimelineIds
from bot.timeline.marking import MarkTarget, mark_by_hand, mark_kinds, take_for_marking
from bot.timeline.messages import CapturedMessage, captured_from_slack
from bot.ui.mark import MarkForm, mark_modal
from handlers.context import team_id_of


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
            team_id=team_id_of(body),
            user_id=body["user"]["id"],
            channel_id=body["channel"]["id"],
            trigger_id=body["trigger_id"],
            message=body.get("message") or {},
        )

    def captured(self, *, bot_user_id: str | None, bot_id: str | None) -> CapturedMessage | None:
        """The message as the timeline stores it; None when it is not timeline content."""
        return captured_from_slack(
            self.message,
            team_id=self.team_id,
            channel_id=self.channel_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
        )


async def add_to_timeline(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Store the message if it is new, then open the modal to mark it (within the trigger's 3 s);
    a refusal is answered by response_url."""
    shortcut = ShortcutTarget.from_body(body)
    target = await take_for_marking(
        sessions=context["sessions"],
        client=client,
        capture=context["capture"],
        team_id=shortcut.team_id,
        channel_id=shortcut.channel_id,
        message=shortcut.captured(bot_user_id=context.bot_user_id, bot_id=context.bot_id),
        now=context["clock"](),
    )
    await ack()
    view = mark_view(target, kinds=mark_kinds(context["settings"].timeline_reactions))
    await client.views_open(trigger_id=shortcut.trigger_id, view=view)


def mark_view(target: MarkTarget, *, kinds: Sequence[str]) -> View:
    message = target.message
    return mark_modal(
        incident=target.incident,
        channel_id=message.channel_id,
        ts=message.ts,
        author=target.author,
        text=message.text,
        kinds=kinds,
    )


async def submit_mark(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Mark the message with the chosen kind and note; the modal closes once it is stored."""
    form = MarkForm.from_view(view, kinds=mark_kinds(context["settings"].timeline_reactions))
    await mark_by_hand(
        sessions=context["sessions"],
        team_id=(body.get("team") or {}).get("id") or view.get("team_id", ""),
        channel_id=form.channel_id,
        ts=form.ts,
        kind=form.kind,
        note=form.note,
        marked_by=body["user"]["id"],
    )
    await ack()
