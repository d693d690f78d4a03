"""The serve process's scheduled work, on the runtime's APScheduler (started with the server).

- the reminder sweep (bot/followup/sweep.py), every REMINDER_INTERVAL_SECONDS, from start-up on;
- the weekly digest (bot/followup/digest.py): checked every 15 minutes, posted once per team and
  week within a day after DIGEST_SCHEDULE. Checking often, rather than one cron moment, means a
  restart at the wrong minute or a failed post is caught up; the digest's own claim keeps it
  to one post whatever the number of processes;
- with a tracker configured, the tracker outbox drained every 10 seconds (and right after a
  press, Runtime.kick_trackers), and every open filed item polled every TRACKER_POLL_MINUTES.
- unfinished backfills (bot/timeline/backfill.py) taken up at start-up and every 10 seconds:
  a stopped process's at once, a crashed one's when its lease runs out.
- with many workspaces, the daily purge (bot/installations/lifecycle.py) of the teams uninstalled
  DATA_RETENTION_DAYS_AFTER_UNINSTALL ago, and of expired OAuth states; at start-up, then daily.

The jobs are given the runtime (bot.app.Runtime) and use only what `JobHost` names, so this
module imports nothing from the app that schedules it; the runs in flight are kept on that
runtime, not in a process global.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup.digest import DigestOutcome, digest_due, post_live_teams_digests
from bot.followup.sweep import sweep
from bot.installations.clients import TeamClients
from bot.installations.lifecycle import purge_due
from bot.logs import log_context
from bot.metrics import Metrics
from bot.tasks import TaskSet
from bot.timeline.backfill import resume_backfills
from bot.trackers.runs import drain_outbox, poll_trackers, summary
from bot.trackers.shapes import Tracker, TrackerKind

logger = logging.getLogger(__name__)

REMINDER_JOB_ID = "reminders.sweep"
DIGEST_JOB_ID = "digest.weekly"
DIGEST_CHECK_MINUTES = 15
TRACKER_DRAIN_JOB_ID = "trackers.drain"
TRACKER_POLL_JOB_ID = "trackers.poll"
TRACKER_DRAIN_SECONDS = 10
BACKFILL_RESUME_JOB_ID = "backfill.resume"
BACKFILL_RESUME_SECONDS = 10  # a crashed replica's backfill is taken over once its lease ends
PURGE_JOB_ID = "installations.purge"
PURGE_INTERVAL_HOURS = 24


class JobHost(Protocol):
    """What the jobs use of the runtime that runs them (bot.app.Runtime is one)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    scheduler: AsyncIOScheduler
    clock: Callable[[], datetime]
    running_jobs: TaskSet  # the job runs in flight, stopped on shutdown
    backfills: TaskSet  # work after an ack; resumed backfills are read there
    trackers: Mapping[TrackerKind, Tracker]  # empty when no tracker is configured
    clients: TeamClients  # each team's Web API client
    metrics: Metrics  # sweeps' durations and sends are counted on /metrics

    @property
    def client(self) -> AsyncWebClient: ...


def schedule_jobs(runtime: JobHost) -> None:
    """Add every periodic job to the runtime's scheduler (before or after it starts). Each
    runs once at start-up (catching up on what a stopped process left) unless said otherwise."""
    settings = runtime.settings
    every(runtime, run_reminder_sweep, REMINDER_JOB_ID, seconds=settings.reminder_interval_seconds)
    every(runtime, run_backfill_resume, BACKFILL_RESUME_JOB_ID, seconds=BACKFILL_RESUME_SECONDS)
    if settings.digest_schedule is not None:
        every(runtime, run_weekly_digest, DIGEST_JOB_ID, minutes=DIGEST_CHECK_MINUTES)
    if runtime.trackers:
        schedule_tracker_jobs(runtime)
    if settings.multi_workspace:  # a process restarted daily still purges: at start-up too
        every(runtime, run_purge, PURGE_JOB_ID, hours=PURGE_INTERVAL_HOURS)


def schedule_tracker_jobs(runtime: JobHost) -> None:
    """The outbox's drain (the first at once: intents left by a stopped process) and the poll
    (the first one period after start: webhooks cover the meantime)."""
    every(runtime, run_tracker_drain, TRACKER_DRAIN_JOB_ID, seconds=TRACKER_DRAIN_SECONDS)
    minutes = runtime.settings.trackers.poll_minutes
    every(runtime, run_tracker_poll, TRACKER_POLL_JOB_ID, at_start=False, minutes=minutes)


def every(
    runtime: JobHost,
    job: Callable[[JobHost], Awaitable[None]],
    job_id: str,
    *,
    at_start: bool = True,
    **interval: int,
) -> None:
    """`job` on an interval: never overlapping itself in this process (max_instances=1), and
    missed runs (a busy loop, a suspended laptop) made into one (coalesce)."""
    first = {"next_run_time": datetime.now(UTC)} if at_start else {}
    runtime.scheduler.add_job(
        job,
        "interval",
        args=[runtime],
        id=job_id,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
        **interval,
        **first,
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
    """One sweep per live team, each with its team's client, at the runtime's clock when it
    starts (its claims' lease runs from there); an error is logged, and the next run tries
    again (the database still says what is due). A team without a live installation has no
    sweep: its items wait, unsent."""
    for team_id, client in await live_teams(runtime, "reminder sweep"):
        started = time.perf_counter()
        try:
            with log_context(team=team_id):
                report = await sweep(
                    sessions=runtime.sessions,
                    client=client,
                    settings=runtime.settings,
                    now=runtime.clock(),
                    team_id=team_id,
                )
        except Exception:
            runtime.metrics.sweeps_failed.inc()
            logger.exception(
                "reminder sweep%s failed; the next one picks up what is still due", of(team_id)
            )
            continue
        seconds = time.perf_counter() - started
        runtime.metrics.record_sweep(report, seconds)
        if report.claimed:
            logger.info("%s%s", report.summary(), of(team_id), extra=duration(seconds))
        else:
            logger.debug("%s%s", report.summary(), of(team_id))


async def live_teams(runtime: JobHost, job: str) -> list[tuple[str | None, AsyncWebClient]]:
    """The teams to run `job` for, with their clients; none (logged) when the installations
    can't be read now."""
    try:
        return await runtime.clients.live_teams()
    except Exception:
        logger.exception("%s skipped: the installed teams can't be read now", job)
        return []


def duration(seconds: float) -> dict[str, float]:
    """A log line's `extra`: its duration_ms field in LOG_FORMAT=json."""
    return {"duration_ms": round(seconds * 1000, 1)}


def of(team_id: str | None) -> str:
    """The words naming the team a job ran for (none with one workspace's token: every row)."""
    return "" if team_id is None else f" for {team_id}"


@tracked
async def run_weekly_digest(runtime: JobHost) -> None:
    """Post this week's digests if their time has come and nobody has yet; errors are logged
    and the next check tries again."""
    now = runtime.clock()
    if not digest_due(runtime.settings.digest_schedule, now):
        return
    try:
        outcomes = await post_live_teams_digests(
            sessions=runtime.sessions,
            teams=await runtime.clients.live_teams(),
            settings=runtime.settings,
            now=now,
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


@tracked
async def run_purge(runtime: JobHost) -> None:
    """Purge the teams whose retention window after an uninstall is over (every replica may
    run it: a team is purged once, and one reinstalled meanwhile is kept)."""
    try:
        purged = await purge_due(
            runtime.sessions,
            now=runtime.clock(),
            retention_days=runtime.settings.workspaces.retention_days_after_uninstall,
        )
    except Exception:
        logger.exception("the daily purge failed; the next one tries again")
        return
    if purged:
        logger.info("daily purge: the data of %s deleted", ", ".join(purged))


@tracked
async def run_backfill_resume(runtime: JobHost) -> None:
    """Take up the backfills nobody reads (a stopped process's, or a crashed replica's once
    its lease ran out), each with its team's client, in the runtime's background tasks."""
    try:
        await resume_backfills(
            sessions=runtime.sessions,
            clients=runtime.clients,
            tasks=runtime.backfills,
            now=datetime.now(UTC),  # leases run on the wall clock (bot/timeline/backfill_store)
        )
    except Exception:
        logger.exception("resuming backfills failed; the next pass tries again")
