"""The buttons under an action item (Done, Snooze, Reassign, Won't do) and their two modals.

A button acts before the ack (a refusal is the answer), then the message it sits in is redrawn
in place. Reassign and Won't do open their modal at once (the trigger dies in 3 s); the
submission checks before the ack, so problems show on the field. What to redraw, and whose App
Home, is bot/followup/show.py's (a submission's message is read back from Slack there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError
from bot.followup import buttons as follow_up
from bot.followup.buttons import Outcome
from bot.followup.show import ShownMessage, saved, show_change
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
from handlers.context import team_id_of
from models import ActionItem, ActionStatus, Incident

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
    message: ShownMessage | None  # the message holding the button, as Slack sent it

    @classmethod
    def from_body(cls, body: dict[str, Any], action: dict[str, Any]) -> Press:
        item_id = parse_row_id(action.get("value"))
        if item_id is None:
            raise HindsightError("That button is out of date.")
        container = body.get("container") or {}
        place = ItemPlace(item_id)
        if container.get("type") == "message":
            place = ItemPlace(item_id, container.get("channel_id"), container.get("message_ts"))
        message = body.get("message")
        return cls(
            team_id=team_id_of(body),
            user_id=body["user"]["id"],
            place=place,
            trigger_id=str(body.get("trigger_id") or ""),
            message=ShownMessage.from_slack(message) if message else None,
        )

    def on_item(self) -> dict[str, Any]:
        """The arguments every button's service takes."""
        return {"team_id": self.team_id, "item_id": self.place.item_id, "actor_id": self.user_id}


async def press_done(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    press = Press.from_body(body, action)
    await run_button(ack, press, client, respond, context, follow_up.done)


async def press_snooze(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    press, days = Press.from_body(body, action), SNOOZE_DAYS[FollowUp(action["action_id"])]
    snooze = {"client": client, "days": days, "settings": context["settings"]}
    await run_button(ack, press, client, respond, context, follow_up.snooze, **snooze)


async def run_button(
    ack: AsyncAck,
    press: Press,
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
    act: Callable[..., Awaitable[Outcome]],
    /,
    **arguments: Any,
) -> None:
    """Act and save before the ack, then show the item as it now stands where it was pressed
    (`arguments`: what `act` takes besides the item and the clock)."""
    now = context["clock"]()
    work = saved(context["sessions"], act, **press.on_item(), now=now, **arguments)
    outcome = await answer_refusals(ack, press, client, work)
    if outcome is None:
        return
    await ack()
    if not outcome.changed:
        await tell(press, client, respond, already_closed_text(outcome.item))
    await show(context, client, press.user_id, outcome, press.place, press.message)


async def answer_refusals(
    ack: AsyncAck, press: Press, client: AsyncWebClient, work: Awaitable[T]
) -> T | None:
    """Await `work`. A refusal under a message goes to the app's error handler (an ephemeral
    answer by response_url); App Home has no response_url, so it is answered in a small modal
    (None is returned then)."""
    try:
        return await work
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


async def show(
    context: AsyncBoltContext,
    client: AsyncWebClient,
    actor_id: str,
    outcome: Outcome,
    place: ItemPlace,
    message: ShownMessage | None = None,
) -> None:
    """The item as it now stands where it was changed, and on the App Homes that list it."""
    await show_change(
        sessions=context["sessions"],
        client=client,
        outcome=outcome,
        actor_id=actor_id,
        place=place,
        now=context["clock"](),
        settings=context["settings"],
        message=message,
    )


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
    work = saved(context["sessions"], follow_up.open_item, **press.on_item())
    found = await answer_refusals(ack, press, client, work)
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
    outcome = await saved(
        context["sessions"],
        follow_up.reassign,
        client=client,
        team_id=team_id,
        item_id=place.item_id,
        actor_id=user_id,
        new_owner_id=reassign_choice(view),
        now=context["clock"](),
        settings=context["settings"],
        field=FollowUp.REASSIGN_OWNER,
    )
    if await closed_modal(ack, outcome):
        await show(context, client, user_id, outcome, place)


async def submit_wont_do(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The reason is checked before the ack (required, on the field); then the message."""
    place, team_id, user_id = ItemPlace.from_metadata(view.get("private_metadata")), *who(body)
    outcome = await saved(
        context["sessions"],
        follow_up.wont_do,
        team_id=team_id,
        item_id=place.item_id,
        actor_id=user_id,
        reason=wont_do_reason(view),
        now=context["clock"](),
        field=FollowUp.WONT_DO_REASON,
    )
    if await closed_modal(ack, outcome):
        await show(context, client, user_id, outcome, place)


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
