"""After a button or a submission under an action item: show the item as it now stands
wherever it is seen. The message the button sat in is redrawn in place (read back from Slack
when the payload didn't carry it: a modal's submission has no message), the App Home of
everyone who sees the item is published again, and a new owner is told.

The change itself is committed already, so a Slack failure here is logged, not raised. Given
the session factory, these services open and commit their own short transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup import notices as owner_notice
from bot.followup.buttons import Outcome, items_by_id
from bot.followup.home import refresh_home
from bot.followup.items import today_for
from bot.ids import FollowUp
from bot.trackers.config import active_tracker
from bot.trackers.shown import tracker_views
from bot.ui.follow_up import ItemPlace
from bot.ui.item import item_ids_in, redraw_item
from bot.ui.reminder import redraw_intro
from models import ActionItem, Incident

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ShownMessage:
    """A message holding an item, as Slack shows it (its fallback text and blocks)."""

    text: str
    blocks: list[dict[str, Any]]

    @classmethod
    def from_slack(cls, message: dict[str, Any]) -> ShownMessage:
        return cls(str(message.get("text") or ""), list(message.get("blocks") or []))


async def saved(sessions: Sessions, action: Callable[..., Awaitable[T]], **arguments: Any) -> T:
    """Run a service that is given a `session` in a transaction of its own, and commit it."""
    async with sessions() as session:
        result = await action(session=session, **arguments)
        await session.commit()
    return result


async def show_change(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    outcome: Outcome,
    actor_id: str,
    place: ItemPlace,
    now: datetime,
    settings: Settings,
    message: ShownMessage | None = None,
) -> None:
    """Redraw the message the person acted from (`message`: as the button's payload carried
    it; None: read back from Slack) and the App Home of whoever sees the item, in one
    transaction (users.info answers are cached); then a new owner's notice."""
    async with sessions() as session:
        if place.in_message:
            await _redraw_message(session, client, outcome, actor_id, place, message, now, settings)
        # After every button and submission, from a DM or from Home: the one place for it.
        for viewer in sorted(home_viewers(outcome, actor_id)):
            await refresh_home(
                session=session,
                client=client,
                team_id=outcome.item.team_id,
                user_id=viewer,
                now=now,
                settings=settings,
            )
        await session.commit()
    if outcome.reassigned:
        await owner_notice.send_now(
            sessions=sessions,
            client=client,
            item=outcome.item,
            now=now,
            tracker=active_tracker(settings),
        )


async def tell_owner(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    item: ActionItem,
    now: datetime,
    settings: Settings,
) -> None:
    """After an item is created: the owner's DM (the sweep's to send if this fails), and their
    App Home redrawn with the new item."""
    tracker = active_tracker(settings)
    await owner_notice.send_now(
        sessions=sessions, client=client, item=item, now=now, tracker=tracker
    )
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


def home_viewers(outcome: Outcome, actor_id: str) -> set[str]:
    """Whose App Home shows the item: the actor, the owner, and a reassignment's previous one."""
    people = {actor_id, outcome.item.owner_id, outcome.previous_owner}
    return {person for person in people if person}


async def _redraw_message(
    session: AsyncSession,
    client: AsyncWebClient,
    outcome: Outcome,
    actor_id: str,
    place: ItemPlace,
    message: ShownMessage | None,
    now: datetime,
    settings: Settings,
) -> None:
    """chat.update the message with this item redrawn. The item is saved already, so a message
    Slack won't give back or let us edit (deleted meanwhile) is logged and left as it is."""
    assert place.channel_id is not None and place.ts is not None
    try:
        shown = message or await read_message(client, place.channel_id, place.ts)
        if shown is None:
            log.warning("no message %s in %s to redraw", place.ts, place.channel_id)
            return
        item = outcome.item
        # In a DM the presser is its recipient; an owner sees "Reassigned to …" once it isn't
        # theirs, anyone else (an escalation to the facilitator) sees the owner named.
        was_owner = actor_id in (outcome.previous_owner, item.owner_id)
        blocks = await redrawn_blocks(
            session,
            client,
            item,
            outcome.incident,
            shown=shown,
            reader_id=actor_id,
            viewer_id=actor_id if was_owner else None,
            now=now,
            settings=settings,
        )
        await session.commit()  # no write lock held over the Slack call
        await client.chat_update(
            channel=place.channel_id, ts=place.ts, text=shown.text, blocks=blocks
        )
    except SlackApiError as error:
        log.warning("couldn't redraw message %s in %s: %s", place.ts, place.channel_id, error)


async def redrawn_blocks(
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    incident: Incident,
    *,
    shown: ShownMessage,
    reader_id: str,
    viewer_id: str | None,
    now: datetime,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The message's blocks with the item as it now stands (its tracker issue too), dated
    in the zone of `reader_id`, who reads the message."""
    today: date = await today_for(
        session=session, client=client, team_id=item.team_id, user_id=reader_id, now=now
    )
    views = await tracker_views(
        session, team_id=item.team_id, items=[item], configured=active_tracker(settings)
    )
    blocks = redraw_item(
        shown.blocks,
        item,
        incident,
        today=today,
        now=now,
        viewer_id=viewer_id,
        tracker=views.get(item.id),
    )
    if not any(block.get("block_id") == FollowUp.REMINDER_INTRO for block in blocks):
        return blocks
    # A reminder's first line counts what is left to do.
    listed = await items_by_id(
        session=session, team_id=item.team_id, item_ids=item_ids_in(shown.blocks)
    )
    if not listed:
        return blocks
    return redraw_intro(blocks, recipient_id=reader_id, items=listed, today=today)


async def read_message(client: AsyncWebClient, channel_id: str, ts: str) -> ShownMessage | None:
    """One message by its ts (the bot's own DM: im:history; a workspace's own app isn't under
    Slack's 2025 history limits)."""
    response = await client.conversations_history(
        channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
    )
    found = [m for m in response.get("messages") or [] if m.get("ts") == ts]
    return ShownMessage.from_slack(found[0]) if found else None
