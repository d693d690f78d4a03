"""`/postmortem stats [30d|90d|365d]`."""

from __future__ import annotations

from bot.insights.stats import parse_window
from bot.insights.stats_post import start_stats
from handlers.context import CommandHandler, CommandRequest


async def stats(request: CommandRequest) -> None:
    """A bad window is refused in the ack; the numbers are worked out and posted after it."""
    days = parse_window(request.args)
    await request.ack()
    start_stats(
        request.background,
        sessions=request.sessions,
        client=request.client,
        respond=request.respond,
        team_id=request.team_id,
        channel_id=request.channel_id,
        days=days,
        now=request.clock(),
    )


ROUTES: dict[str, CommandHandler] = {"stats": stats}
