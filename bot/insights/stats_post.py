"""`/postmortem stats`, after the ack: work the numbers out, post them in the channel where they
were asked for, and upload the chart there (files upload v2). Whatever goes wrong is told to
the person who asked, ephemerally, through the command's response_url.

Runs as a task of the runtime's (see `start_stats`), so the ack never waits for the database,
matplotlib or Slack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.insights.stats import TeamStats
from bot.insights.stats_load import load_stats
from bot.tasks import TaskSet
from bot.ui.stats import chart_failed_text, failed_text, not_posted_message, stats_message

logger = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]  # Bolt's respond: the command's response_url


async def post_stats(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    respond: Respond,
    team_id: str,
    channel_id: str,
    days: int,
    now: datetime,
) -> None:
    try:
        async with sessions() as session:
            stats = await load_stats(session, team_id=team_id, now=now, days=days)
        png = await asyncio.to_thread(_draw, stats)
    except Exception:
        logger.exception("stats for %s over %d days not worked out", team_id, days)
        await _tell(respond, text=failed_text())
        return
    if await _post(client, respond, stats, channel_id):
        await _upload(client, respond, png, stats, channel_id)


def _draw(stats: TeamStats) -> bytes:
    """In a worker thread. matplotlib takes most of a second to import: it is imported here,
    on the first chart, not when the app starts, and never on the event loop."""
    from bot.insights.chart import draw_chart

    return draw_chart(stats)


async def _post(
    client: AsyncWebClient, respond: Respond, stats: TeamStats, channel_id: str
) -> bool:
    """In the channel for everyone; when Slack refuses (not a member, a DM, archived), the
    numbers go to the asker alone, saying why."""
    text, blocks = stats_message(stats)
    try:
        await client.chat_postMessage(
            channel=channel_id, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as error:
        code = str(error.response.get("error") or "unknown_error")
        logger.info("stats not posted in %s (%s); answered ephemerally", channel_id, code)
        text, blocks = not_posted_message(stats, code)
        await _tell(respond, text=text, blocks=blocks)
        return False
    return True


async def _upload(
    client: AsyncWebClient, respond: Respond, png: bytes, stats: TeamStats, channel_id: str
) -> None:
    try:
        await client.files_upload_v2(
            content=png,
            filename=f"incident-stats-{stats.days}d.png",
            title=f"Incident stats, last {stats.days} days",
            channel=channel_id,
        )
    except SlackApiError as error:
        code = str(error.response.get("error") or "unknown_error")
        logger.warning("stats chart not uploaded to %s (%s)", channel_id, code)
        await _tell(respond, text=chart_failed_text(code))


async def _tell(respond: Respond, **message: Any) -> None:
    try:
        await respond(response_type="ephemeral", replace_original=False, **message)
    except Exception:  # the response_url expired or Slack is down: nobody left to tell
        logger.exception("could not answer the stats command ephemerally")


def start_stats(
    tasks: TaskSet,
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    respond: Respond,
    team_id: str,
    channel_id: str,
    days: int,
    now: datetime,
) -> asyncio.Task[None]:
    """`post_stats` after the ack, held by the runtime's task set (shutdown cancels it)."""
    work = post_stats(
        sessions=sessions,
        client=client,
        respond=respond,
        team_id=team_id,
        channel_id=channel_id,
        days=days,
        now=now,
    )
    task = tasks.start(work, name=f"stats {team_id} {days}d")
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("%s failed", task.get_name(), exc_info=error)
