"""Action items outside the retro: `/postmortem action …` and the "Create action item" shortcut.

Both check and store before the ack (a refusal is the answer; the owner's notice is due from
the same commit), then DM the owner (bot/followup/create.py, show.py).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.followup.create import create_from_command, create_item, prefill
from bot.followup.items import Fields, NewItem, plain_title
from bot.followup.show import tell_owner
from bot.ids import ActionIds, Shortcut
from bot.timeline.messages import message_author
from bot.ui.action import ActionForm, action_modal, created_text
from handlers.context import CommandRequest
from handlers.shortcuts import ShortcutTarget

MODAL_FIELDS = Fields(
    title=ActionIds.CREATE_TITLE, owner=ActionIds.CREATE_OWNER, due=ActionIds.CREATE_DUE
)


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app (the command goes through ROUTES)."""
    app.shortcut(Shortcut.CREATE_ACTION_ITEM)(open_create)
    app.view(ActionIds.CREATE_CALLBACK)(submit_create)


async def action_command(request: CommandRequest) -> None:
    """`/postmortem action <title> [@owner] [due <date>]`."""
    sessions, client, now = request.sessions, request.client, request.clock()
    settings = request.settings
    item, incident = await create_from_command(
        sessions=sessions,
        client=client,
        team_id=request.team_id,
        channel_id=request.channel_id,
        user_id=request.user_id,
        args=request.args,
        now=now,
        settings=settings,
    )
    await request.ack(response_type="ephemeral", text=created_text(item, incident))
    await tell_owner(sessions=sessions, client=client, item=item, now=now, settings=settings)


async def open_create(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the modal prefilled from the message (a refusal is answered by response_url)."""
    shortcut = ShortcutTarget.from_body(body)
    author_id, app_name = message_author(shortcut.message)
    incident, author = await prefill(
        sessions=context["sessions"],
        client=client,
        team_id=shortcut.team_id,
        channel_id=shortcut.channel_id,
        author_id=author_id,
        app_name=app_name,
        now=context["clock"](),
    )
    await ack()
    text = str(shortcut.message.get("text") or "")
    view = action_modal(
        incident=incident,
        channel_id=shortcut.channel_id,
        ts=str(shortcut.message.get("ts") or ""),
        author=author,
        text=text,
        title=plain_title(text),
        owner_id=shortcut.user_id,
    )
    await client.views_open(trigger_id=shortcut.trigger_id, view=view)


async def submit_create(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Create the item linked to the message; problems are shown inline on the modal."""
    form, user_id = ActionForm.from_view(view), body["user"]["id"]
    sessions, now, settings = context["sessions"], context["clock"](), context["settings"]
    item, _ = await create_item(
        sessions=sessions,
        client=client,
        team_id=(body.get("team") or {}).get("id") or view.get("team_id", ""),
        channel_id=form.channel_id,
        created_by=user_id,
        new=new_item(form, user_id),
        now=now,
        settings=settings,
        fields=MODAL_FIELDS,
    )
    await ack()
    await tell_owner(sessions=sessions, client=client, item=item, now=now, settings=settings)


def new_item(form: ActionForm, user_id: str) -> NewItem:
    """The modal's answers as a new item (the person filling it in owns it unless they pick
    someone)."""
    return NewItem(
        title=form.title,
        owner_id=form.owner_id or user_id,
        due=form.due,
        priority=form.priority,
        kind=form.kind,
        source_ts=form.ts or None,
    )
