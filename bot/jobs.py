"""The serve process's scheduled work, on the runtime's APScheduler (started with the server).

- the reminder sweep (bot/followup/sweep.py), every REMINDER_INTERVAL_SECONDS, from start-up on;
- the weekly digest (bot/followup/digest.py): checked every 15 minutes, posted once per team and
  week within a day after DIGEST_SCHEDULE. Checking often, rather than one cron moment, means a
  restart at the wrong minute or a failed post is caught up; the digest's own claim keeps it
  to one post whatever the number of processes;
- with a tracker configured, the tracker outbox drained every 10 seconds (and right after a
  press, Runtime.kick_trackers), and every open filed item polled every TRACKER_POLL_MINUTES.

The jobs are given the runtime (bot.app.Runtime) and use only what `JobHost` names, so this
module imports nothing from the app that schedules it; the runs in flight are kept on that
runtime, not in a process global.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup.digest import DigestOutcome, digest_due, post_weekly_digests
from bot.followup.sweep import sweep
from bot.installations.clients import TeamClients
from bot.tasks import TaskSet
from bot.trackers.runs import drain_outbox, poll_trackers, summary
from bot.trackers.shapes import Tracker, TrackerKind

logger = logging.getLogger(__name__)

REMINDER_JOB_ID = "reminders.sweep"
DIGEST_JOB_ID = "digest.weekly"
DIGEST_CHECK_MINUTES = 15
TRACKER_DRAIN_JOB_ID = "trackers.drain"
TRACKER_POLL_JOB_ID = "trackers.poll"
TRACKER_DRAIN_SECONDS = 10


class JobHost(Protocol):
    """What the jobs use of the runtime that runs them (bot.app.Runtime is one)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    scheduler: AsyncIOScheduler
    clock: Callable[[], datetime]
    running_jobs: TaskSet  # the job runs in flight, stopped on shutdown
    trackers: Mapping[TrackerKind, Tracker]  # empty when no tracker is configured
    clients: TeamClients  # each team's Web API client

    @property
    def client(self) -> AsyncWebClient: ...


def schedule_jobs(runtime: JobHost) -> None:
    """Add every periodic job to the runtime's scheduler (before or after it starts)."""
    runtime.scheduler.add_job(
        run_reminder_sweep,
        "interval",
        args=[runtime],
        id=REMINDER_JOB_ID,
        seconds=runtime.settings.reminder_interval_seconds,
        max_instances=1,  # a slow sweep is never overlapped by the next one in this process
        coalesce=True,  # missed runs (a busy loop, a suspended laptop) make one sweep, not many
        next_run_time=datetime.now(UTC),  # first sweep right away: catch up after a restart
        replace_existing=True,
    )
    if runtime.settings.digest_schedule is not None:
        runtime.scheduler.add_job(
            run_weekly_digest,
            "interval",
            args=[runtime],
            id=DIGEST_JOB_ID,
            minutes=DIGEST_CHECK_MINUTES,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
    if runtime.trackers:
        schedule_tracker_jobs(runtime)


def schedule_tracker_jobs(runtime: JobHost) -> None:
    """The outbox's drain (the first at once: intents left by a stopped process) and the poll
    (the first one period after start: webhooks cover the meantime)."""
    runtime.scheduler.add_job(
        run_tracker_drain,
        "interval",
        args=[runtime],
        id=TRACKER_DRAIN_JOB_ID,
        seconds=TRACKER_DRAIN_SECONDS,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    runtime.scheduler.add_job(
        run_tracker_poll,
        "interval",
        args=[runtime],
        id=TRACKER_POLL_JOB_ID,
        minutes=runtime.settings.trackers.poll_minutes,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )


def tracked(job: Callable[[JobHost], Awaitable[None]]) -> Callable[[JobHost], Awaitable[None]]:
    """Remember a job on its runtime while it runs, so shutdown can stop it while the database
    is still open (a sweep stopped that way gives back the items it had not recorded yet)."""

    @functools.wraps(job)
    async def run(runtime: JobHost) -> None:
        task = asyncio.current_task()
        assert task is not None
        with runtime.running_jobs.tracking(task):
            await job(runtime)

    return run


@tracked
async def run_reminder_sweep(runtime: JobHost) -> None:
    """One sweep at the runtime's clock; an error is logged, and the next run tries again
    (the database still says what is due)."""
    try:
        report = await sweep(
            sessions=runtime.sessions,
            client=runtime.client,
            settings=runtime.settings,
            now=runtime.clock(),
        )
    except Exception:
        logger.exception("reminder sweep failed; the next one picks up what is still due")
        return
    if report.claimed:
        logger.info(report.summary())
    else:
        logger.debug(report.summary())


@tracked
async def run_weekly_digest(runtime: JobHost) -> None:
    """Post this week's digests if their time has come and nobody has yet; errors are logged
    and the next check tries again."""
    now = runtime.clock()
    if not digest_due(runtime.settings.digest_schedule, now):
        return
    try:
        outcomes = await post_weekly_digests(
            sessions=runtime.sessions, client=runtime.client, settings=runtime.settings, now=now
        )
    except Exception:
        logger.exception("weekly digest failed; the next check tries again")
        return
    for outcome in outcomes:
        logger.info(
            "weekly digest %s for %s: %s", outcome.period, outcome.team_id, describe(outcome)
        )


def describe(outcome: DigestOutcome) -> str:
    if outcome.message_ts:
        return f"posted ({outcome.message_ts})"
    if outcome.error:
        return f"not posted: {outcome.error} (tried again later this week)"
    return f"skipped: {outcome.skipped}"


@tracked
async def run_tracker_drain(runtime: JobHost) -> None:
    """Carry out the due tracker intents; an error is logged and the next run goes on (the
    outbox still holds what is due)."""
    try:
        report = await drain_outbox(runtime)
    except Exception:
        logger.exception("tracker outbox drain failed; the next one picks up what is due")
        return
    if report.claimed or report.ran:
        logger.info(summary(report))


@tracked
async def run_tracker_poll(runtime: JobHost) -> None:
    """Ask the tracker about every open filed item, for webhooks that never came."""
    try:
        changed = await poll_trackers(runtime)
    except Exception:
        logger.exception("tracker poll failed; the next one asks again")
        return
    if changed:
        logger.info("tracker poll: %d item(s) changed in the tracker", len(changed))
