"""Create GitHub issue / Create Jira issue, and Retry, under an action item.

Acked at once: the press only writes the item's intent and shows the item as asked for; then
the outbox is kicked, files it and draws the item again with its issue's link. A refusal is
told to the presser alone (ephemeral under a message, a small modal on App Home).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError
from bot.followup.show import saved
from bot.ids import Trackers
from bot.trackers.config import active_tracker
from bot.trackers.press import file_item
from handlers.item_buttons import Press, show, tell


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.action(Trackers.CREATE)(press_file)
    app.action(Trackers.RETRY)(press_file)


async def press_file(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: AsyncBoltContext,
) -> None:
    await ack()
    press = Press.from_body(body, action)
    retry = action.get("action_id") == Trackers.RETRY
    tracker = active_tracker(context["settings"])
    arguments = {"now": context["clock"](), "tracker": tracker, "retry": retry}
    try:
        outcome = await saved(context["sessions"], file_item, **press.on_item(), **arguments)
    except HindsightError as error:
        await tell(press, client, respond, error.message)
        return
    if not outcome.changed:
        return  # filed or on its way already: as it is shown
    # Shown as asked for first, then filed: the outbox's redraw with the link comes after ours.
    await show(context, client, press.user_id, outcome, press.place, press.message)
    kick = context.get("kick_trackers")
    if kick is not None:
        kick()  # file it now rather than at the next drain
