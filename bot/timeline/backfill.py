"""Backfill: read an existing channel's history (and its threads) into an incident's timeline.

A run is a row (models/backfill.py): its cursor and the threads still to read are written with
each page's messages, in one transaction, so a restart resumes after the last page stored and
a page is never stored twice; a lease keeps two replicas from reading one channel at once.
Reads are paced for either of Slack's regimes (backfill_reader.py: Tier 3, or one call a minute
and 15 messages a page, Retry-After honoured); one message in the channel shows the progress
(backfill_progress.py). Rows go in through `store_messages`, so whatever live capture stores
for the same ts is kept and nothing is stored twice.

- `start_backfill` (a declare on a reviewed channel): a new run, read in a task of the runtime;
- `resume_backfills` (bot/jobs.py, at start-up and then every 10 seconds): runs a stopped or
  crashed process left, each read with its team's client;
- `backfill_channel`: a new run read here, to its end.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.tasks import TaskSet
from bot.timeline import backfill_store as runs
from bot.timeline.backfill_reader import DEFAULT_PAUSE
from bot.timeline.backfill_runner import PAGE_SIZE, Runner, resume_backfills, start_runner
from bot.timeline.backfill_store import Sessions
from models import utcnow

__all__ = [
    "DEFAULT_PAUSE",
    "PAGE_SIZE",
    "backfill_channel",
    "fetch_message",
    "resume_backfills",
    "start_backfill",
]

logger = logging.getLogger(__name__)


async def new_runner(
    *,
    client: AsyncWebClient,
    sessions: Sessions,
    team_id: str,
    incident_id: int,
    channel_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    pause: float = DEFAULT_PAUSE,
) -> Runner:
    """A new run for the channel, leased by the runner returned (not reading yet)."""
    run = await runs.create_run(
        sessions,
        team_id=team_id,
        incident_id=incident_id,
        channel_id=channel_id,
        bot_user_id=bot_user_id,
        bot_id=bot_id,
        now=utcnow(),
    )
    return Runner(sessions=sessions, client=client, run=run, pause=pause)


async def backfill_channel(
    *,
    client: AsyncWebClient,
    sessions: Sessions,
    team_id: str,
    incident_id: int,
    channel_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    pause: float = DEFAULT_PAUSE,
) -> int:
    """Store the channel's messages and thread replies; returns how many events were new."""
    runner = await new_runner(
        client=client,
        sessions=sessions,
        team_id=team_id,
        incident_id=incident_id,
        channel_id=channel_id,
        bot_user_id=bot_user_id,
        bot_id=bot_id,
        pause=pause,
    )
    return await runner.read()


async def start_backfill(
    tasks: TaskSet, *, name: str, pause: float = DEFAULT_PAUSE, **run: Any
) -> asyncio.Task[int]:
    """A new run (its row written before this returns, so a crash leaves it to be resumed),
    read in a task on `tasks` (the runtime's). `run`: `new_runner`'s arguments."""
    runner = await new_runner(pause=pause, **run)
    return start_runner(tasks, runner, name=name)


async def fetch_message(
    *, client: AsyncWebClient, channel_id: str, ts: str
) -> dict[str, Any] | None:
    """One message by ts: from the channel's history, or from its thread if it is a reply."""
    history = await client.conversations_history(
        channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
    )
    found = [m for m in history.get("messages") or [] if m.get("ts") == ts]
    if found:
        return dict(found[0])
    try:
        replies = await client.conversations_replies(
            channel=channel_id, ts=ts, latest=ts, oldest=ts, inclusive=True
        )
    except SlackApiError as error:
        if error.response.get("error") == "thread_not_found":
            return None
        raise
    found = [m for m in replies.get("messages") or [] if m.get("ts") == ts]
    return dict(found[0]) if found else None
