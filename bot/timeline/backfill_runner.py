"""Reading one leased backfill run to its end, page by page, each page stored with its cursor;
and resuming the runs a stopped or crashed process left (the resume job, bot/jobs.py).

History pages come first in the queue of work, threads found on them after; when Slack paces
each method apart (the strict regime), the reader takes whichever method may be called sooner,
so replies are read while history waits. Live capture is untouched: it stores through the
capture writer as always, and a ts stored by both is stored once (timeline/events.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackCallError
from bot.installations.clients import TeamClients
from bot.tasks import TaskSet
from bot.timeline import backfill_store as runs
from bot.timeline.backfill_progress import ProgressMessage
from bot.timeline.backfill_reader import (
    DEFAULT_PAUSE,
    PacedReader,
    channel_created,
    join_channel,
)
from bot.timeline.backfill_store import LeaseLost, PendingThread, RunState, Sessions
from bot.timeline.messages import CapturedMessage, captured_from_slack
from models import utcnow

logger = logging.getLogger("bot.timeline.backfill")

PAGE_SIZE = 200  # what we ask; the strict regime serves 15 whatever we ask
HISTORY, REPLIES = "conversations.history", "conversations.replies"
PROGRESS_EVERY = 5.0  # seconds between updates of the progress message (the last one always)
UNINSTALLED_RETRY = timedelta(minutes=10)  # a run of a team without a live installation waits
HEARTBEAT = 10.0  # seconds between renewals of the lease while a run is read

Clock = Callable[[], datetime]


class Runner:
    """One run, held by this runner's lease (run.owner)."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        client: AsyncWebClient,
        run: RunState,
        pause: float = DEFAULT_PAUSE,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.run = run
        self.clock = clock
        self.reader = PacedReader(client, channel_id=run.channel_id, pause=pause)
        self.progress = ProgressMessage(client, channel_id=run.channel_id, every=PROGRESS_EVERY)
        self.stored = 0  # events new in this runner

    async def read(self) -> int:
        """Read to the end; how many events were new. SlackCallError when Slack keeps
        refusing (the run is marked failed and the progress message says so). Any other error
        (the database away) leaves the run leased: it is resumed once the lease runs out."""
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"backfill run {self.run.id} lease")
        try:
            return await self._read()
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def _read(self) -> int:
        try:
            await self._start()
            while await self._step():
                await self._show()
            await self._show(final=True)
            await runs.finish(self.sessions, self.run, now=self.clock())
        except LeaseLost:
            logger.warning("backfill run %d: another runner took it over; stopping", self.run.id)
            return self.stored
        except SlackCallError as error:
            await self._show(final=True, error=error.message)
            await runs.finish(self.sessions, self.run, now=self.clock(), error=error.message)
            raise
        except asyncio.CancelledError:  # a clean stop: the next runner resumes at once
            await asyncio.shield(runs.release(self.sessions, self.run))
            raise
        logger.info(
            "backfilled %s for incident %s: %d messages read, %d new events, %d calls",
            self.run.channel_id,
            self.run.incident_id,
            self.run.read_count,
            self.stored,
            self.reader.calls,
        )
        return self.stored

    async def _start(self) -> None:
        created = await join_channel(self.client, self.run.channel_id)
        if self.run.channel_created is None:
            created = created or await channel_created(self.client, self.run.channel_id)
            if created is not None:
                self.run = await self._write(channel_created=created)
        await self._show(final=False)

    async def _show(self, *, final: bool = False, error: str | None = None) -> None:
        ts = await self.progress.show(self.run, final=final, error=error)
        if ts is not None and ts != self.run.progress_ts:
            self.run = await self._write(progress_ts=ts)

    async def _write(self, **values: Any) -> RunState:
        until = self.clock() + runs.LEASE
        await runs.hold(self.sessions, self.run, until=until, **values)
        return replace(self.run, **values)

    async def _heartbeat(self) -> None:
        """Keep the lease while reading, through Slack's longest waits; a lease lost here is
        noticed by the next page's write, which then stops the run."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await runs.hold(self.sessions, self.run, until=self.clock() + runs.LEASE)
            except LeaseLost:
                return
            except Exception:  # the database away for a moment: the next beat tries again
                logger.warning("backfill run %d: lease not renewed", self.run.id, exc_info=True)

    async def _step(self) -> bool:
        """Read one page (history or a thread's); False when nothing is left."""
        thread = await runs.next_thread(self.sessions, self.run)
        history = not self.run.history_done
        if not history and thread is None:
            return False
        if thread is None or (
            history and self.reader.ready_in(HISTORY) <= self.reader.ready_in(REPLIES)
        ):
            await self._history_page()
        else:
            await self._thread_page(thread)
        return True

    def _captured(self, messages: list[dict[str, Any]]) -> list[CapturedMessage]:
        run = self.run
        found = (
            captured_from_slack(
                m,
                team_id=run.team_id,
                channel_id=run.channel_id,
                bot_user_id=run.bot_user_id,
                bot_id=run.bot_id,
            )
            for m in messages
        )
        return [c for c in found if c is not None]

    async def _history_page(self) -> None:
        run = self.run
        cursor = {"cursor": run.history_cursor} if run.history_cursor else {}
        data = await self.reader.call(HISTORY, channel=run.channel_id, limit=PAGE_SIZE, **cursor)
        page = _messages(data)
        threads = [
            (m["ts"], int(m.get("reply_count") or 0))
            for m in page
            if m.get("reply_count") and m.get("thread_ts") == m.get("ts")
        ]
        next_cursor = _next_cursor(data)
        self.run, stored = await runs.record_page(
            self.sessions,
            run,
            now=self.clock(),
            messages=self._captured(page),
            threads=threads,
            history_cursor=next_cursor,
            history_done=next_cursor is None,
            newest_ts=run.newest_ts or (page[0].get("ts") if page else None),
            oldest_ts=page[-1].get("ts") if page else run.oldest_ts,
            read_count=run.read_count + len(page),
            history_read=run.history_read + len(page),
            replies_expected=run.replies_expected + sum(count for _, count in threads),
        )
        self.stored += stored

    async def _thread_page(self, thread: PendingThread) -> None:
        run = self.run
        cursor = {"cursor": thread.cursor} if thread.cursor else {}
        data = await self.reader.call(
            REPLIES,
            missing_ok="thread_not_found",  # the parent was deleted since: nothing to read
            channel=run.channel_id,
            ts=thread.thread_ts,
            limit=PAGE_SIZE,
            **cursor,
        )
        replies = [m for m in _messages(data) if m.get("ts") != thread.thread_ts]
        self.run, stored = await runs.record_page(
            self.sessions,
            run,
            now=self.clock(),
            messages=self._captured(replies),
            thread=thread,
            thread_cursor=_next_cursor(data),
            read_count=run.read_count + len(replies),
        )
        self.stored += stored


def _messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in data.get("messages") or [] if isinstance(m, dict) and m.get("ts")]


def _next_cursor(data: dict[str, Any]) -> str | None:
    return (data.get("response_metadata") or {}).get("next_cursor") or None


async def resume_backfills(
    *,
    sessions: Sessions,
    clients: TeamClients,
    tasks: TaskSet,
    now: datetime,
    pause: float = DEFAULT_PAUSE,
) -> list[int]:
    """Lease the runs nobody is reading (left by a stopped or crashed process) and read each
    in a task on `tasks` with its team's client; a team with no live installation is skipped
    and logged (its lease runs out and a later pass tries again). The ids started."""
    started: list[int] = []
    for run in await runs.claim_due(sessions, now=now):
        client = await clients.client_for(run.team_id)
        if client is None:
            logger.warning(
                "backfill run %d of team %s waits: the team has no live installation",
                run.id,
                run.team_id,
            )
            await runs.hold(sessions, run, until=now + UNINSTALLED_RETRY)  # asked again later
            continue
        runner = Runner(sessions=sessions, client=client, run=run, pause=pause)
        start_runner(tasks, runner, name=f"backfill {run.team_id} run {run.id} (resumed)")
        started.append(run.id)
    if started:
        logger.info("resumed %d unfinished backfill(s): runs %s", len(started), started)
    return started


def start_runner(tasks: TaskSet, runner: Runner, *, name: str) -> asyncio.Task[int]:
    task = tasks.start(runner.read(), name=name)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[int]) -> None:
    if task.cancelled():
        logger.info("%s stopped; the next start resumes it", task.get_name())
    elif (error := task.exception()) is not None:
        logger.error("%s failed", task.get_name(), exc_info=error)
    else:
        logger.info("%s stored %d events", task.get_name(), task.result())
