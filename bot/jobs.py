"""The serve process's scheduled work, on the runtime's APScheduler (started with the server).

- the reminder sweep (bot/reminders.py), every REMINDER_INTERVAL_SECONDS, from start-up on;
- the weekly digest: added here by `schedule_jobs` as well (see the marked place below).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.reminders import sweep

if TYPE_CHECKING:
    from bot.app import Runtime

logger = logging.getLogger(__name__)

REMINDER_JOB_ID = "reminders.sweep"


def schedule_jobs(runtime: Runtime) -> None:
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
    # The weekly digest job goes here (settings.digest_schedule; None = off).


async def run_reminder_sweep(runtime: Runtime) -> None:
    """One sweep at the runtime's clock; an error is logged, and the next run tries again
    (the database still says what is due)."""
    try:
        report = await sweep(
            sessions=runtime.sessions,
            client=runtime.app.client,
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
