"""The buttons under an action item (Done, Snooze, Reassign, Won't do) and their two modals.

A button acts before the ack (a refusal is the answer), then the message it sits in is redrawn
in place. Reassign and Won't do open their modal at once (the trigger dies in 3 s); the
submission checks before the ack, so problems show on the field.

A submission has no message blocks, so the message is read back (conversations.history, one
message by ts; a workspace's own app isn't under Slack's 2025 history limits) and redrawn the
same way, whichever builder made it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import HindsightError
from bot.followup import buttons as follow_up
from bot.followup import items as actions
from bot.followup import notices as owner_notice
from bot.followup.buttons import Outcome
from bot.followup.home import refresh_home
from bot.ids import FollowUp, parse_row_id
from bot.ui.follow_up import (
    ItemPlace,
    already_closed_text,
    notice_modal,
    reassign_choice,
    reassign_modal,
    wont_do_modal,
    wont_do_reason,
)
from bot.ui.item import item_ids_in, redraw_item
from bot.ui.reminder import redraw_intro
from handlers.context import team_id_of
from models import ActionItem, ActionStatus, Incident

log = logging.getLogger(__name__)
T = TypeVar("T")

SNOOZE_DAYS = {FollowUp.SNOOZE_DAY: 1, FollowUp.SNOOZE_WEEK: 7}
FORMS: dict[FollowUp, Callable[[ActionItem, Incident, ItemPlace], View]] = {
    FollowUp.REASSIGN: reassign_modal,
    FollowUp.WONT_DO: wont_do_modal,
}


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.action(FollowUp.DONE)(press_done)
    app.action(FollowUp.SNOOZE_DAY)(press_snooze)
    app.action(FollowUp.SNOOZE_WEEK)(press_snooze)
    app.action(FollowUp.REASSIGN)(open_form)
    app.action(FollowUp.WONT_DO)(open_form)
    app.view(FollowUp.REASSIGN_CALLBACK)(submit_reassign)
    app.view(FollowUp.WONT_DO_CALLBACK)(submit_wont_do)


@dataclass(frozen=True, slots=True)
class Press:
    """A button under an item: who, which item, and where (a message, or App Home)."""

    team_id: str
    user_id: str
    place: ItemPlace
    trigger_id: str
    message: dict[str, Any] | None  # the message holding the button, as Slack sent it

    @classmethod
    def from_body(cls, body: dict[str, Any], action: dict[str, Any]) -> Press:
        item_id = parse_row_id(action.get("value"))
        if item_id is None:
            raise HindsightError("That button is out of date.")
        container = body.get("container") or {}
        place = ItemPlace(item_id)
        if container.get("type") == "message":
            place = ItemPlace(item_id, container.get("channel_id"), container.get("message_ts"))
        return cls(
            team_id=team_id_of(body),
            user_id=body["user"]["id"],
            place=place,
            trigger_id=str(body.get("trigger_id") or ""),
            message=body.get("message"),
        )


async def press_done(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    press, now = Press.from_body(body, action), context["clock"]()

    async def act(session: AsyncSession) -> Outcome:
        return await follow_up.done(
            session=session,
            team_id=press.team_id,
            item_id=press.place.item_id,
            actor_id=press.user_id,
            now=now,
        )

    await run_button(ack, press, client, respond, context, act)


async def press_snooze(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    press, now = Press.from_body(body, action), context["clock"]()

    async def act(session: AsyncSession) -> Outcome:
        return await follow_up.snooze(
            session=session,
            client=client,
            team_id=press.team_id,
            item_id=press.place.item_id,
            actor_id=press.user_id,
            days=SNOOZE_DAYS[FollowUp(action["action_id"])],
            now=now,
            settings=context["settings"],
        )

    await run_button(ack, press, client, respond, context, act)


async def run_button(
    ack: AsyncAck,
    press: Press,
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
    act: Callable[[AsyncSession], Awaitable[Outcome]],
) -> None:
    """Act and save before the ack, then show the item as it now stands where it was pressed."""

    async def saved() -> Outcome:
        async with context["sessions"]() as session:
            outcome = await act(session)
            await session.commit()
        return outcome

    outcome = await answer_refusals(ack, press, client, saved)
    if outcome is None:
        return
    await ack()
    if not outcome.changed:
        await tell(press, client, respond, already_closed_text(outcome.item))
    await refresh_surfaces(
        client=client,
        context=context,
        actor_id=press.user_id,
        outcome=outcome,
        place=press.place,
        message=press.message,
    )


async def answer_refusals(
    ack: AsyncAck, press: Press, client: AsyncWebClient, work: Callable[[], Awaitable[T]]
) -> T | None:
    """Run `work`. A refusal under a message goes to the app's error handler (an ephemeral
    answer by response_url); App Home has no response_url, so it is answered in a small modal
    (None is returned then)."""
    try:
        return await work()
    except HindsightError as error:
        if press.place.in_message:
            raise
        await ack()
        await client.views_open(trigger_id=press.trigger_id, view=notice_modal(error.message))
        return None


async def tell(
    press: Press, client: AsyncWebClient, respond: AsyncRespond | None, text: str
) -> None:
    """A short answer to the presser only: ephemeral under a message, a modal on App Home."""
    if press.place.in_message and respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        await client.views_open(trigger_id=press.trigger_id, view=notice_modal(text))


# ---- Reassign and Won't do: the modals --------------------------------------------------------


async def open_form(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    """Reassign… or Won't do…: check the presser may change the item (one quick read), then
    open the modal at once."""
    press = Press.from_body(body, action)

    async def checked() -> tuple[ActionItem, Incident]:
        async with context["sessions"]() as session:
            return await follow_up.open_item(
                session=session,
                team_id=press.team_id,
                item_id=press.place.item_id,
                actor_id=press.user_id,
            )

    found = await answer_refusals(ack, press, client, checked)
    if found is None:
        return
    item, incident = found
    if item.status is not ActionStatus.OPEN:
        await ack()
        await tell(press, client, respond, already_closed_text(item))
        return
    build = FORMS[FollowUp(action["action_id"])]
    await client.views_open(trigger_id=press.trigger_id, view=build(item, incident, press.place))
    await ack()


async def submit_reassign(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Checked before the ack (problems on the field); then the message, and the new owner's DM."""
    place, team_id, user_id = ItemPlace.from_metadata(view.get("private_metadata")), *who(body)
    settings, now = context["settings"], context["clock"]()
    async with context["sessions"]() as session:
        outcome = await follow_up.reassign(
            session=session,
            client=client,
            team_id=team_id,
            item_id=place.item_id,
            actor_id=user_id,
            new_owner_id=reassign_choice(view),
            now=now,
            settings=settings,
            field=FollowUp.REASSIGN_OWNER,
        )
        await session.commit()
    if not await closed_modal(ack, outcome):
        return
    await refresh_surfaces(
        client=client, context=context, actor_id=user_id, outcome=outcome, place=place
    )
    await owner_notice.send_now(
        sessions=context["sessions"], client=client, item=outcome.item, now=now
    )


async def submit_wont_do(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The reason is checked before the ack (required, on the field); then the message."""
    place, team_id, user_id = ItemPlace.from_metadata(view.get("private_metadata")), *who(body)
    async with context["sessions"]() as session:
        outcome = await follow_up.wont_do(
            session=session,
            team_id=team_id,
            item_id=place.item_id,
            actor_id=user_id,
            reason=wont_do_reason(view),
            now=context["clock"](),
            field=FollowUp.WONT_DO_REASON,
        )
        await session.commit()
    if not await closed_modal(ack, outcome):
        return
    await refresh_surfaces(
        client=client, context=context, actor_id=user_id, outcome=outcome, place=place
    )


def who(body: dict[str, Any]) -> tuple[str, str]:
    """The team and user of a view submission."""
    team_id = (body.get("team") or {}).get("id") or (body.get("view") or {}).get("team_id", "")
    return str(team_id), str(body["user"]["id"])


async def closed_modal(ack: AsyncAck, outcome: Outcome) -> bool:
    """Ack the submission: close the modal (True), or, when the item was closed meanwhile,
    say so in it instead (False: nothing was changed)."""
    if outcome.changed:
        await ack()
        return True
    await ack(response_action="update", view=notice_modal(already_closed_text(outcome.item)))
    return False


# ---- showing the change ------------------------------------------------------------------------


async def refresh_surfaces(
    *,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    actor_id: str,
    outcome: Outcome,
    place: ItemPlace,
    message: dict[str, Any] | None = None,
) -> None:
    """Show the item as it now stands wherever the person acted from: the message the button
    was in is redrawn in place (`message`: as the button's payload carried it; None: read it
    back from Slack)."""
    if place.in_message:
        await redraw_message(
            client=client,
            context=context,
            actor_id=actor_id,
            outcome=outcome,
            place=place,
            message=message,
        )
    # App Home lists the item for these people: republish theirs (after every button and
    # submission, from a DM or from Home, so this is the one place that needs it).
    async with context["sessions"]() as session:
        for viewer in sorted(home_viewers(outcome, actor_id)):
            await refresh_home(
                session=session,
                client=client,
                team_id=outcome.item.team_id,
                user_id=viewer,
                now=context["clock"](),
                settings=context["settings"],
            )
        await session.commit()  # users.info answers it cached


def home_viewers(outcome: Outcome, actor_id: str) -> set[str]:
    """Whose App Home shows the item: the actor, the owner, and a reassignment's previous one."""
    people = {actor_id, outcome.item.owner_id, outcome.previous_owner}
    return {person for person in people if person}


async def redraw_message(
    *,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    actor_id: str,
    outcome: Outcome,
    place: ItemPlace,
    message: dict[str, Any] | None,
) -> None:
    """chat.update the message with this item redrawn. The item is saved already, so a message
    Slack won't give back or let us edit (deleted meanwhile) is logged and left as it is."""
    assert place.channel_id is not None and place.ts is not None
    try:
        shown = message or await read_message(client, place.channel_id, place.ts)
        if shown is None:
            log.warning("no message %s in %s to redraw", place.ts, place.channel_id)
            return
        now: datetime = context["clock"]()
        # In a DM the presser is its recipient; an owner sees "Reassigned to …" once it isn't
        # theirs, anyone else (an escalation to the facilitator) sees the owner named.
        was_owner = actor_id in (outcome.previous_owner, outcome.item.owner_id)
        blocks = list(shown.get("blocks") or [])
        reminder = any(block.get("block_id") == FollowUp.REMINDER_INTRO for block in blocks)
        async with context["sessions"]() as session:
            today = await actions.today_for(
                session=session,
                client=client,
                team_id=outcome.item.team_id,
                user_id=actor_id,
                now=now,
            )
            listed = []
            if reminder:  # its first line counts what is left to do
                listed = await follow_up.items_by_id(
                    session=session, team_id=outcome.item.team_id, item_ids=item_ids_in(blocks)
                )
            await session.commit()
        blocks = redraw_item(
            blocks,
            outcome.item,
            outcome.incident,
            today=today,
            now=now,
            viewer_id=actor_id if was_owner else None,
        )
        if listed:
            blocks = redraw_intro(blocks, recipient_id=actor_id, items=listed, today=today)
        await client.chat_update(
            channel=place.channel_id, ts=place.ts, text=str(shown.get("text") or ""), blocks=blocks
        )
    except SlackApiError as error:
        log.warning("couldn't redraw message %s in %s: %s", place.ts, place.channel_id, error)


async def read_message(client: AsyncWebClient, channel_id: str, ts: str) -> dict[str, Any] | None:
    """One message by its ts (the bot's own DM: im:history)."""
    response = await client.conversations_history(
        channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
    )
    found = [m for m in response.get("messages") or [] if m.get("ts") == ts]
    return found[0] if found else None
