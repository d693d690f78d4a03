"""Create GitHub issue / Create Jira issue, and Retry, under an action item.

Acked at once: the press only writes the item's intent and shows the item as asked for; then
the outbox is kicked, files it and draws the item again with its issue's link. Pressed in the
retro's review (a modal), that modal is redrawn too, with the item as it now stands. A refusal
is told to the presser alone (ephemeral under a message, a small modal on App Home, one pushed
over the review).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError
from bot.followup.buttons import Outcome
from bot.followup.show import saved
from bot.ids import Trackers
from bot.retro import steps
from bot.trackers.config import active_tracker
from bot.trackers.press import file_item
from bot.ui.follow_up import notice_modal
from bot.ui.retro_read import StepMeta, read_meta
from bot.ui.retro_steps import step_view
from handlers.item_buttons import Press, show, tell

log = logging.getLogger(__name__)
DRAIN_WAIT_SECONDS = 10.0  # how long a review waits on the drain its press kicked


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
    press, review = Press.from_body(body, action), review_of(body)
    retry = action.get("action_id") == Trackers.RETRY
    tracker = active_tracker(context["settings"])
    arguments = {"now": context["clock"](), "tracker": tracker, "retry": retry}
    try:
        outcome = await saved(context["sessions"], file_item, **press.on_item(), **arguments)
    except HindsightError as error:
        if review is not None:  # over a modal, a notice is pushed: views.open would fail
            await client.views_push(trigger_id=press.trigger_id, view=notice_modal(error.message))
            return
        await tell(press, client, respond, error.message)
        return
    if outcome.changed:  # else filed or on its way already: as it is shown
        # Shown as asked for first, then filed: the outbox's redraw with the link comes after ours.
        await show(context, client, press.user_id, outcome, press.place, press.message)
    await review_and_kick(context, client, press.team_id, review, outcome)


async def review_and_kick(
    context: AsyncBoltContext,
    client: AsyncWebClient,
    team_id: str,
    review: tuple[dict[str, Any], StepMeta] | None,
    outcome: Outcome,
) -> None:
    """The review (when pressed there) redrawn as the item now stands, then the outbox kicked
    (an intent was just written), and the review redrawn again once that drain is over: it
    shows the link then (or why filing failed), as messages and App Home do. A press that
    asked for nothing new while the item is on its way leaves the review to the press that
    asked (a double click: two redraws from one view, the second would beat the first)."""
    if not (outcome.changed or outcome.item.tracker_key):
        review = None
    shown_hash = None if review is None else await redraw_review(context, client, team_id, review)
    start = context.get("kick_trackers")
    drain = start() if outcome.changed and start is not None else None  # now, not at next job
    if review is None or shown_hash is None or drain is None:
        return
    await asyncio.wait({drain}, timeout=DRAIN_WAIT_SECONDS)  # on time out, the state as it is
    view, meta = review
    await redraw_review(context, client, team_id, ({**view, "hash": shown_hash}, meta))


def review_of(body: dict[str, Any]) -> tuple[dict[str, Any], StepMeta] | None:
    """The retro's review view the button was pressed in, and its context; None for a
    message or App Home."""
    view = body.get("view")
    if (body.get("container") or {}).get("type") != "view" or not isinstance(view, dict):
        return None
    meta = read_meta(view)
    return (view, meta) if meta is not None and meta.step == "review" else None


async def redraw_review(
    context: AsyncBoltContext,
    client: AsyncWebClient,
    team_id: str,
    review: tuple[dict[str, Any], StepMeta],
) -> str | None:
    """The review drawn again with each item as it now stands ("Filing the GitHub issue…", or
    its link); the hash keeps a newer view (someone moved on meanwhile) from being replaced.
    The new view's hash, or None when it was not redrawn."""
    view, meta = review
    draft = await steps.load_review(
        sessions=context["sessions"],
        team_id=team_id,
        incident_id=meta.incident_id,
        tracker=active_tracker(context["settings"]),
    )
    shown = step_view(draft, "review", version=meta.version)
    try:
        updated = await client.views_update(view_id=view["id"], hash=view.get("hash"), view=shown)
    except SlackApiError as error:  # the item is asked for already; only the redraw is lost
        log.info("review not redrawn after a tracker press: %s", error.response.get("error"))
        return None
    return str((updated.get("view") or {}).get("hash") or "") or None
