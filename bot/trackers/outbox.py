"""The tracker outbox: every intent for a tracker (file, update, close, reopen an item's issue)
is a row first, written with the change that asks for it, and carried out after the ack.

`enqueue` adds an intent once (its idempotency key is unique: a second press, or two at once,
adds nothing). `drain` claims due intents the way the reminder sweep claims items (one
UPDATE … RETURNING, FOR UPDATE SKIP LOCKED on PostgreSQL, a lease, the attempt counted at
claim), runs each against its tracker with no transaction held, and records the outcome in a
short transaction of its own: done (the item's tracker_* columns), due again after a backoff
(the tracker's Retry-After or rate-limit reset honoured), or failed after MAX_ATTEMPTS or a
refusal that no retry mends, with the tracker's message on the item. A drain that dies leaves
its intents due again once the lease is over; a create then searches the tracker for the
item's marker before filing, so nothing is filed twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.trackers.lease import ClaimedIntent, claim, release
from bot.trackers.perform import CountedTracker, ask, prepare, tracker_for
from bot.trackers.shapes import (
    IntentKind,
    IntentState,
    RemoteIssue,
    Tracker,
    TrackerError,
    TrackerKind,
)
from models import ActionItem, TrackerIntent

logger = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
Clock = Callable[[], datetime]

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=15)  # then 30 s, 1 min … : about 32 minutes over 8 attempts
MAX_BACKOFF = timedelta(hours=1)
INTENTS = TrackerIntent.__table__
ITEMS = ActionItem.__table__


@dataclass(slots=True)
class DrainReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    calls: int = 0  # tracker calls made (create, search, get, update, user lookups)
    claimed: int = 0
    paused: bool = False  # the tracker asked us to wait (or is down): the rest wait too
    changed_items: list[int] = field(default_factory=list)  # whose tracker_* columns changed

    @property
    def ran(self) -> int:
        return self.done + self.retried + self.failed


# ---- enqueue and retry ------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    *,
    item: ActionItem,
    kind: IntentKind,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add an intent for the item, due at `now`; False when it adds nothing: the item is
    already filed or being filed (CREATE), has no issue and none coming (the others), or the
    same intent is still waiting. The caller commits."""
    if kind is IntentKind.CREATE:
        if item.tracker_key:
            return False
        key = f"create:{item.id}"
    else:
        key = await _follow_up_key(session, item, kind)
        if key is None:
            return False
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(TrackerIntent)
        .values(
            team_id=item.team_id,
            action_item_id=item.id,
            kind=kind.value,
            idempotency_key=key,
            payload=payload or {},
            state=IntentState.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[TrackerIntent.idempotency_key])
        .returning(TrackerIntent.id)
    )
    return (await session.execute(statement)).first() is not None


async def _follow_up_key(session: AsyncSession, item: ActionItem, kind: IntentKind) -> str | None:
    """The key of an update, close or reopen: its place in the item's sequence of intents, so
    two at once add one. None when there is nothing to add: no issue and no pending create, or
    the item's latest intent is this same one, still waiting."""
    rows = (
        await session.execute(
            select(TrackerIntent.kind, TrackerIntent.state, TrackerIntent.claim)
            .where(TrackerIntent.team_id == item.team_id, TrackerIntent.action_item_id == item.id)
            .order_by(TrackerIntent.id)
        )
    ).all()
    pending_create = any(
        row.kind == IntentKind.CREATE and row.state == IntentState.PENDING for row in rows
    )
    if not item.tracker_key and not pending_create:
        return None
    last = rows[-1] if rows else None
    if last and last.kind == kind and last.state == IntentState.PENDING and last.claim is None:
        return None  # not started yet: it will read the item as it is by then
    return f"{kind.value}:{item.id}:{len(rows) + 1}"


async def retry_failed(session: AsyncSession, *, item_id: int, team_id: str, now: datetime) -> bool:
    """The Retry button: the item's failed intents are due again at `now` with a fresh count
        of attempts, and the item's error is cleared. False when none had failed. The caller
    commits."""
    result = await session.execute(
        update(INTENTS)
        .where(
            INTENTS.c.team_id == team_id,
            INTENTS.c.action_item_id == item_id,
            INTENTS.c.state == IntentState.FAILED.value,
        )
        .values(
            state=IntentState.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            claim=None,
            claimed_until=None,
            # last_error stays: the next attempt knows an earlier one may have been filed.
        )
    )
    if not result.rowcount:
        return False
    await session.execute(
        update(ITEMS)
        .where(ITEMS.c.team_id == team_id, ITEMS.c.id == item_id)
        .values(tracker_error=None)
    )
    return True


async def filing_states(
    session: AsyncSession, *, team_id: str, item_ids: list[int]
) -> dict[int, IntentState]:
    """Each item's CREATE intent state (pending: being filed or retrying; failed: Retry)."""
    if not item_ids:
        return {}
    rows = await session.execute(
        select(TrackerIntent.action_item_id, TrackerIntent.state).where(
            TrackerIntent.team_id == team_id,
            TrackerIntent.action_item_id.in_(item_ids),
            TrackerIntent.kind == IntentKind.CREATE.value,
        )
    )
    return {item_id: IntentState(state) for item_id, state in rows}


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 15 s, doubling, at most an hour."""
    return min(FIRST_BACKOFF * 2 ** max(0, attempts - 1), MAX_BACKOFF)


# ---- drain -------------------------------------------------------------------------------


async def drain(
    *,
    sessionmaker: Sessions,
    trackers: Mapping[TrackerKind, Tracker],
    clock: Clock,
    settings: object,
    limit: int = 50,
    users: dict[TrackerKind, dict[str, str | None]] | None = None,
) -> DrainReport:
    """Claim up to `limit` due intents and run them one after another (GitHub asks for one
    request at a time; a tracker that asks us to wait is not asked again in this drain).
    `users`: whom each e-mail is in each tracker, kept across the drains of one run."""
    report = DrainReport()
    now, claim_id = clock(), str(uuid.uuid4())
    claimed = await claim(sessionmaker, now=now, claim_id=claim_id, limit=limit)
    report.claimed = len(claimed)
    users = {} if users is None else users
    counted = {
        kind: CountedTracker(tracker, users.setdefault(kind, {}))
        for kind, tracker in trackers.items()
    }
    unrun, resume_at = [intent.id for intent in claimed], now
    running: list[int] = []  # the one being run: cut short, it may have reached the tracker
    failures_in_a_row = 0
    try:
        for intent in claimed:
            unrun.remove(intent.id)
            running = [intent.id]
            error = await run_one(sessionmaker, intent, counted, clock, settings, claim_id, report)
            running = []
            failures_in_a_row = failures_in_a_row + 1 if error and error.retryable else 0
            if error and error.retryable and (error.retry_after or failures_in_a_row >= 3):
                # Rate limited, or down: the rest wait too, without an attempt counted.
                wait = error.retry_after or FIRST_BACKOFF.total_seconds()
                resume_at, report.paused = clock() + timedelta(seconds=wait), True
                break
    finally:
        await release(sessionmaker, claim_id=claim_id, ids=unrun, at=resume_at)
        await release(sessionmaker, claim_id=claim_id, ids=running, at=now, started=True)
        report.calls = sum(tracker.calls for tracker in counted.values())
    return report


async def run_one(
    sessions: Sessions,
    intent: ClaimedIntent,
    trackers: dict[TrackerKind, CountedTracker],
    clock: Clock,
    settings: object,
    claim_id: str,
    report: DrainReport,
) -> TrackerError | None:
    """Run one claimed intent and record its outcome; the error, if it failed."""
    try:
        issue, tracker_kind = await carry_out(sessions, intent, trackers, settings)
    except TrackerError as error:
        failure = error
    except Exception as error:  # a bug: logged, and bounded like any failure
        logger.exception("tracker intent %s (%s) failed", intent.id, intent.kind)
        failure = TrackerError(f"internal error ({type(error).__name__})", retryable=True)
    else:
        await record_done(
            sessions, intent, issue, tracker_kind, now=clock(), claim_id=claim_id, report=report
        )
        return None
    await record_failure(sessions, intent, failure, now=clock(), claim_id=claim_id, report=report)
    return failure


async def carry_out(
    sessions: Sessions,
    intent: ClaimedIntent,
    trackers: dict[TrackerKind, CountedTracker],
    settings: object,
) -> tuple[RemoteIssue | None, TrackerKind | None]:
    """Read what the intent needs in a read-only session, then ask the tracker with none open.
    (None, None) when the item is gone."""
    async with sessions() as session:
        item = await session.scalar(
            select(ActionItem).where(
                ActionItem.team_id == intent.team_id, ActionItem.id == intent.action_item_id
            )
        )
        if item is None:
            return None, None
        tracker = tracker_for(item, trackers, settings)
        request = await prepare(
            session,
            item=item,
            kind=IntentKind(intent.kind),
            tried_before=intent.attempts > 1 or intent.last_error is not None,
            tracker=tracker,
            settings=settings,
        )
    return await ask(tracker, request), tracker.kind


async def record_done(
    sessions: Sessions,
    intent: ClaimedIntent,
    issue: RemoteIssue | None,
    tracker_kind: TrackerKind | None,
    *,
    now: datetime,
    claim_id: str,
    report: DrainReport,
) -> None:
    """The intent is done; the item now names its issue and its state, and no error."""
    async with sessions() as session, session.begin():
        if not await _settle(session, intent, claim_id, state=IntentState.DONE, done_at=now):
            return  # our lease ran out and another drain took it over: its outcome stands
        report.done += 1
        if issue is None or tracker_kind is None:
            return
        values: dict[str, Any] = {
            "tracker_state": issue.state.value,
            "tracker_error": None,
            "tracker_synced_at": now,
        }
        if intent.kind == IntentKind.CREATE:
            values |= {
                "tracker_kind": tracker_kind.value,
                "tracker_key": issue.key,
                "tracker_url": issue.url,
            }
        await session.execute(
            update(ITEMS)
            .where(ITEMS.c.team_id == intent.team_id, ITEMS.c.id == intent.action_item_id)
            .values(**values)
        )
        report.changed_items.append(intent.action_item_id)


async def record_failure(
    sessions: Sessions,
    intent: ClaimedIntent,
    error: TrackerError,
    *,
    now: datetime,
    claim_id: str,
    report: DrainReport,
) -> None:
    """Due again after a backoff (at least what the tracker asked), or failed for good after
    MAX_ATTEMPTS or a refusal no retry mends; either way the item shows the tracker's words."""
    final = not error.retryable or intent.attempts >= MAX_ATTEMPTS
    async with sessions() as session, session.begin():
        if final:
            settled = await _settle(
                session, intent, claim_id, state=IntentState.FAILED, last_error=error.message
            )
        else:
            wait = backoff(intent.attempts)
            if error.retry_after is not None:
                wait = timedelta(seconds=error.retry_after)
            settled = await _settle(
                session,
                intent,
                claim_id,
                state=IntentState.PENDING,
                last_error=error.message,
                next_attempt_at=now + wait,
            )
        if not settled:
            return
        await session.execute(
            update(ITEMS)
            .where(ITEMS.c.team_id == intent.team_id, ITEMS.c.id == intent.action_item_id)
            .values(tracker_error=error.message)
        )
    report.changed_items.append(intent.action_item_id)
    if final:
        report.failed += 1
        logger.warning("tracker intent %s (%s) failed: %s", intent.id, intent.kind, error.message)
    else:
        report.retried += 1


async def _settle(
    session: AsyncSession,
    intent: ClaimedIntent,
    claim_id: str,
    *,
    state: IntentState,
    **values: Any,
) -> bool:
    """Record the intent's outcome if our lease still holds it; whether it did."""
    result = await session.execute(
        update(INTENTS)
        .where(INTENTS.c.id == intent.id, INTENTS.c.claim == claim_id)
        .values(state=state.value, claim=None, claimed_until=None, **values)
    )
    return bool(result.rowcount)
