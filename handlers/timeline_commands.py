"""`/postmortem event|timeline`."""

from __future__ import annotations

from bot.errors import UserInputError
from bot.ids import COMMAND
from bot.incidents.lifecycle import require_by_channel
from bot.timeline.events import add_event
from bot.timeline.query import timeline_for_viewer, viewer_zone
from bot.timeline.timeparse import parse_event
from bot.ui.timeline import LOAD_LIMIT, event_added_text, timeline_messages
from handlers.context import CommandHandler, CommandRequest
from models import EventSource, utcnow


async def add_manual_event(request: CommandRequest) -> None:
    """A MANUAL event at the time given, in the person's zone; answered before the ack."""
    async with request.sessions() as session:
        incident = await require_by_channel(
            session=session, team_id=request.team_id, channel_id=request.channel_id
        )
        zone = await viewer_zone(
            session=session, client=request.client, team_id=request.team_id, user_id=request.user_id
        )
        parsed = parse_event(request.args, zone=zone, now=utcnow())
        event = await add_event(
            session=session,
            incident=incident,
            source=EventSource.MANUAL,
            text=parsed.text,
            occurred_at=parsed.occurred_at,
            author_id=request.user_id,
        )
        await session.commit()
    text = event_added_text(incident=incident, event=event, zone=zone)
    await request.ack(response_type="ephemeral", text=text)


async def show_timeline(request: CommandRequest) -> None:
    """Marked events (or `all`), as ephemeral messages sent through the response_url."""
    mode = request.args.strip().lower()
    if mode not in ("", "all"):
        raise UserInputError(
            f"Use `{COMMAND} timeline` (marked events) or `{COMMAND} timeline all`."
        )
    async with request.sessions() as session:
        incident = await require_by_channel(
            session=session, team_id=request.team_id, channel_id=request.channel_id
        )
        await request.ack()  # names and links take Slack calls: answer within the 3 s first
        shown = await timeline_for_viewer(
            session=session,
            client=request.client,
            incident=incident,
            viewer_id=request.user_id,
            everything=mode == "all",
            limit=LOAD_LIMIT,
        )
        await session.commit()
    for message in timeline_messages(
        shown.timeline, names=shown.names, links=shown.links, zone=shown.zone
    ):
        await request.respond(
            text=message.text,
            blocks=[block.to_dict() for block in message.blocks],
            response_type="ephemeral",
            replace_original=False,
        )


ROUTES: dict[str, CommandHandler] = {"event": add_manual_event, "timeline": show_timeline}
