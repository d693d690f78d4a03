"""`/postmortem event|timeline`."""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import UserInputError
from bot.ids import COMMAND
from bot.timeline.manual import add_manual_event
from bot.timeline.query import timeline_for_viewer
from bot.ui.timeline import LOAD_LIMIT, TimelineMessage, event_added_text, timeline_messages
from handlers.context import CommandHandler, CommandRequest, incident_here


async def add_event_by_hand(request: CommandRequest) -> None:
    """A MANUAL event at the time given, in the person's zone; answered before the ack."""
    added = await add_manual_event(
        sessions=request.sessions,
        client=request.client,
        team_id=request.team_id,
        channel_id=request.channel_id,
        user_id=request.user_id,
        text=request.args,
        now=request.clock(),
    )
    text = event_added_text(incident=added.incident, event=added.event, zone=added.zone)
    await request.ack(response_type="ephemeral", text=text)


async def show_timeline(request: CommandRequest) -> None:
    """Marked events (or `all`), as ephemeral messages sent through the response_url."""
    everything = wants_everything(request.args)
    incident = await incident_here(request)
    await request.ack()  # names and links take Slack calls: answer within the 3 s first
    shown = await timeline_for_viewer(
        sessions=request.sessions,
        client=request.client,
        incident=incident,
        viewer_id=request.user_id,
        everything=everything,
        limit=LOAD_LIMIT,
        now=request.clock(),
    )
    messages = timeline_messages(
        shown.timeline, names=shown.names, links=shown.links, zone=shown.zone
    )
    await send_ephemeral(request, messages)


def wants_everything(args: str) -> bool:
    """`timeline` shows what was marked, `timeline all` the full log; anything else is refused."""
    mode = args.strip().lower()
    if mode not in ("", "all"):
        raise UserInputError(
            f"Use `{COMMAND} timeline` (marked events) or `{COMMAND} timeline all`."
        )
    return mode == "all"


async def send_ephemeral(request: CommandRequest, messages: Iterable[TimelineMessage]) -> None:
    for message in messages:
        await request.respond(
            text=message.text,
            blocks=[block.to_dict() for block in message.blocks],
            response_type="ephemeral",
            replace_original=False,
        )


ROUTES: dict[str, CommandHandler] = {"event": add_event_by_hand, "timeline": show_timeline}
