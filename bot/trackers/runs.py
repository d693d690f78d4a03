"""The outbox drained and the trackers polled for a process: `serve`'s jobs (bot/jobs.py), the
drain right after a press (Runtime.kick_trackers) and `hindsight sync --once`. Items whose
issue changed are drawn again where people see them (bot/trackers/redraw)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.errors import ConfigError
from bot.installations.clients import TeamClients
from bot.trackers.outbox import DrainReport, drain
from bot.trackers.redraw import redraw
from bot.trackers.shapes import Tracker, TrackerKind
from bot.trackers.sync import poll

logger = logging.getLogger(__name__)

DRAIN_BATCH = 50
# Batches per drain run: 1,000 intents at most, then the next run (10 s later) goes on, so
# one run never holds the job for long whatever is queued.
DRAIN_ROUNDS = 20
SYNC_ROUNDS = 10_000  # `sync --once` goes on until nothing is due (or the tracker says wait)


class TrackerHost(Protocol):
    """What the runs use of the runtime (bot.app.Runtime is one)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    trackers: Mapping[TrackerKind, Tracker]
    clients: TeamClients  # redraws use each item's team's client


async def drain_outbox(
    host: TrackerHost, *, redraw_items: bool = True, rounds: int = DRAIN_ROUNDS
) -> DrainReport:
    """Drain batch after batch while batches come back full (at most `rounds`); then redraw
    what changed."""
    total = DrainReport()
    users: dict[TrackerKind, dict[str, str | None]] = {}  # an owner of many items: asked once
    for _ in range(rounds):
        report = await drain(
            sessionmaker=host.sessions,
            trackers=host.trackers,
            clock=host.clock,
            settings=host.settings,
            limit=DRAIN_BATCH,
            users=users,
        )
        total.done += report.done
        total.retried += report.retried
        total.failed += report.failed
        total.calls += report.calls
        total.claimed += report.claimed
        total.changed_items += report.changed_items
        if report.claimed < DRAIN_BATCH or report.paused:
            break
    if redraw_items and total.changed_items:
        await redraw(host, total.changed_items)
    return total


async def poll_trackers(host: TrackerHost, *, redraw_items: bool = True) -> list[int]:
    """Ask the tracker about every open filed item (a missed webhook); redraw what changed."""
    changed = await poll(sessionmaker=host.sessions, trackers=host.trackers, clock=host.clock)
    if redraw_items and changed:
        await redraw(host, changed)
    return changed


def summary(report: DrainReport) -> str:
    return (
        f"tracker outbox: {report.done} done, {report.retried} to retry, "
        f"{report.failed} failed, {report.calls} tracker calls"
    )


@dataclass(frozen=True, slots=True)
class BatchHost:
    """A cron run's stand-in for the runtime."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    trackers: Mapping[TrackerKind, Tracker]
    clients: TeamClients


async def sync_once(settings: Settings) -> int:
    """`hindsight sync --once`: drain the outbox until nothing is due, then poll every open
    filed item; items that changed are redrawn in Slack (with their team's token) when Slack is
    set up: SLACK_BOT_TOKEN, or the OAuth credentials of many workspaces. Prints a summary; 1
    when an intent failed for good or the database can't be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import create_engine, create_sessionmaker
    from bot.installations.job_clients import batch_team_clients
    from bot.trackers.adapters import build_trackers
    from bot.trackers.http import tracker_client
    from models import utcnow

    if settings.trackers.github is None and settings.trackers.jira is None:
        raise ConfigError(
            "no tracker is configured: set GITHUB_TOKEN and GITHUB_REPOSITORY, or JIRA_URL, "
            "JIRA_EMAIL, JIRA_API_TOKEN and JIRA_PROJECT"
        )
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    redraw_items = bool(settings.slack_bot_token or settings.multi_workspace)
    try:
        async with tracker_client() as http:
            host = BatchHost(
                settings,
                sessions,
                utcnow,
                build_trackers(settings.trackers, http),
                batch_team_clients(settings, sessions),
            )
            report = await drain_outbox(host, redraw_items=redraw_items, rounds=SYNC_ROUNDS)
            changed = await poll_trackers(host, redraw_items=redraw_items)
    except SQLAlchemyError as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        print(f"hindsight sync: the database can't be used ({reason})", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(summary(report))
    print(f"tracker poll: {len(changed)} item(s) changed in the tracker")
    return 1 if report.failed else 0
