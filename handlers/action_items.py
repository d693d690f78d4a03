"""Action items outside the retro: `/postmortem action …` and the "Create action item" shortcut.

Both check and store before the ack (a refusal is the answer; the owner's notice is due from
the same commit), then DM the owner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup import items as actions
from bot.followup import notices as owner_notice
from bot.followup.home import refresh_home
from bot.followup.items import Fields, NewItem
from bot.ids import ActionIds, Shortcut
from bot.incidents.lifecycle import require_by_channel
from bot.ui.action import ActionForm, action_modal, created_text
from handlers.context import CommandRequest
from handlers.shortcuts import ShortcutTarget
from models import ActionItem

MODAL_FIELDS = Fields(
    title=ActionIds.CREATE_TITLE, owner=ActionIds.CREATE_OWNER, due=ActionIds.CREATE_DUE
)


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app (the command goes through ROUTES)."""
    app.shortcut(Shortcut.CREATE_ACTION_ITEM)(open_create)
    app.view(ActionIds.CREATE_CALLBACK)(submit_create)


async def action_command(request: CommandRequest) -> None:
    """`/postmortem action <title> [@owner] [due <date>]`."""
    now = request.clock()
    async with request.sessions() as session:
        await require_by_channel(
            session=session, team_id=request.team_id, channel_id=request.channel_id
        )
        today = await actions.today_for(
            session=session,
            client=request.client,
            team_id=request.team_id,
            user_id=request.user_id,
            now=now,
        )
        parsed = actions.parse_action_command(request.args, today=today)
        item, incident = await actions.create_action_item(
            session=session,
            client=request.client,
            team_id=request.team_id,
            channel_id=request.channel_id,
            created_by=request.user_id,
            new=NewItem(
                title=parsed.title,
                owner_id=parsed.owner_id or request.user_id,
                due=parsed.due,
            ),
            today=today,
            now=now,
            settings=request.settings,
        )
        await session.commit()
    await request.ack(response_type="ephemeral", text=created_text(item, incident))
    await _tell_owner(request.sessions, request.client, item, now, request.settings)


async def open_create(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the modal prefilled from the message (a refusal is answered by response_url)."""
    shortcut = ShortcutTarget.from_body(body)
    async with context["sessions"]() as session:
        incident = await require_by_channel(
            session=session, team_id=shortcut.team_id, channel_id=shortcut.channel_id
        )
        author = await actions.author_name(
            session=session,
            client=client,
            team_id=shortcut.team_id,
            message=shortcut.message,
        )
        await session.commit()
    await ack()
    text = str(shortcut.message.get("text") or "")
    view = action_modal(
        incident=incident,
        channel_id=shortcut.channel_id,
        ts=str(shortcut.message.get("ts") or ""),
        author=author,
        text=text,
        title=actions.plain_title(text),
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
    form = ActionForm.from_view(view)
    team_id = (body.get("team") or {}).get("id") or view.get("team_id", "")
    user_id = body["user"]["id"]
    now = context["clock"]()
    async with context["sessions"]() as session:
        today = await actions.today_for(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
        new = NewItem(
            title=form.title,
            owner_id=form.owner_id or user_id,
            due=form.due,
            priority=form.priority,
            kind=form.kind,
            source_ts=form.ts or None,
        )
        item, _ = await actions.create_action_item(
            session=session,
            client=client,
            team_id=team_id,
            channel_id=form.channel_id,
            created_by=user_id,
            new=new,
            today=today,
            now=now,
            settings=context["settings"],
            fields=MODAL_FIELDS,
        )
        await session.commit()
    await ack()
    await _tell_owner(context["sessions"], client, item, now, context["settings"])


async def _tell_owner(
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    item: ActionItem,
    now: datetime,
    settings: Settings,
) -> None:
    """The owner's DM (the sweep's to send if this fails), and their App Home redrawn with the
    new item."""
    await owner_notice.send_now(sessions=sessions, client=client, item=item, now=now)
    if item.owner_id is None:
        return
    async with sessions() as session:
        await refresh_home(
            session=session,
            client=client,
            team_id=item.team_id,
            user_id=item.owner_id,
            now=now,
            settings=settings,
        )
        await session.commit()
