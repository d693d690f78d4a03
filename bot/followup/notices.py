"""The owner's "this is yours now" DM, sent even when Slack fails or the process dies first.

Giving an item an owner (created, reassigned, given in the retro) marks its notice due in the
same transaction (`mark_due`: `notice_due_at`, and who gave it). After the commit the request
sends it at once (`send_now`); the reminder sweep sends whatever is still due (`send_due`): a
send that failed, or a process that died before sending. Both go through `deliver`:

1. claim: a guarded UPDATE moves `notice_due_at` from the value seen to a lease ten minutes
   ahead, so of two processes (or a request and a sweep) exactly one sends. A process that
   dies holding it leaves the lease to run out: at most one repeat, never a miss.
2. send the DM, whatever the hour: it is the answer to being given the item, not a nudge.
3. record, guarded by the lease and the owner: Slack took it, or refused it for good (the
   person left, DMs to them are refused): cleared; a rate limit, 5xx, timeout or dropped
   connection: due again after a backoff (`notice_failures`). Each attempt is logged as a
   delivery of kind ASSIGNED.

A closed item's notice is dropped (bot/followup/schedule.py `close`); a reassigned item's is the new
owner's, and the guard keeps a send to the old owner, already in flight, from clearing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFoundError
from bot.followup.cadence import WorkingHours
from bot.followup.schedule import owner_hours
from bot.followup.send_failures import SEND_ERRORS, SendFailure, classify
from bot.trackers.shapes import TrackerKind
from bot.trackers.shown import tracker_views
from bot.ui.action import assigned_message
from models import ActionItem, ActionStatus, DeliveryKind, Incident, ReminderDelivery

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# As long as a reminder claim: one DM with the client's own retries ends well within it.
LEASE = timedelta(minutes=10)
BATCH_SIZE = 500  # notices are one-offs: a sweep seldom finds more than a few


class Notice(NamedTuple):
    """A notice as last seen: `due_at` is the guard of its claim."""

    item_id: int
    team_id: str
    owner_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one claimed notice: the DM Slack took, or why it didn't."""

    channel_id: str | None = None
    message_ts: str | None = None
    failure: SendFailure | None = None


def mark_due(item: ActionItem, *, actor_id: str, now: datetime) -> None:
    """The item's (new) owner is to be told; this replaces a notice still due to a previous
    owner. Nobody is told about an item they gave themselves."""
    if item.owner_id is None or item.owner_id == actor_id:
        drop(item)
        return
    item.notice_due_at, item.notice_from, item.notice_failures = now, actor_id, 0


def drop(item: ActionItem) -> None:
    """No notice is due (the item was closed, or its owner gave it to themselves)."""
    item.notice_due_at, item.notice_from, item.notice_failures = None, None, 0


async def send_now(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    item: ActionItem,
    now: datetime,
    tracker: TrackerKind | None = None,
) -> Sent | None:
    """After the commit that gave the item its owner: the notice at once, if one is due and
    nobody else has taken it. None when nothing was sent. `tracker`: the one configured (the
    DM offers to file the item there)."""
    if item.notice_due_at is None or item.owner_id is None:
        return None
    notice = Notice(item.id, item.team_id, item.owner_id, item.notice_due_at)
    return await deliver(sessions=sessions, client=client, notice=notice, now=now, tracker=tracker)


async def send_due(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    now: datetime,
    deadline: float = float("inf"),
    tracker: TrackerKind | None = None,
    team_id: str | None = None,
) -> list[Sent]:
    """The sweep's part: every notice due by `now` (oldest first; of `team_id`, or of every
    team when None) that another process hasn't taken, until a rate limit or `deadline`
    (time.monotonic()). Returns what was tried."""
    query = select(
        ActionItem.id, ActionItem.team_id, ActionItem.owner_id, ActionItem.notice_due_at
    ).where(
        ActionItem.notice_due_at <= now,
        ActionItem.status == ActionStatus.OPEN,
        ActionItem.owner_id.is_not(None),
    )
    if team_id is not None:
        query = query.where(ActionItem.team_id == team_id)
    async with sessions() as session:
        rows = await session.execute(query.order_by(ActionItem.notice_due_at).limit(BATCH_SIZE))
        due = [Notice(*row) for row in rows]
    tried: list[Sent] = []
    for notice in due:
        if time.monotonic() > deadline:
            break
        sent = await deliver(
            sessions=sessions, client=client, notice=notice, now=now, tracker=tracker
        )
        if sent is None:
            continue  # another process took it, or it was dropped or replaced meanwhile
        tried.append(sent)
        if sent.failure is not None and sent.failure.rate_limited:
            break  # the workspace is rate limited: the rest waits for the next sweep
    return tried


async def deliver(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    notice: Notice,
    now: datetime,
    tracker: TrackerKind | None = None,
) -> Sent | None:
    """Claim, send and record one notice; None when it wasn't ours to send. Cancelled while
    sending (shutdown), the claim is given back so the next sweep sends it at once."""
    lease = now + LEASE
    async with sessions() as session, session.begin():
        found = await _claim(session, notice, lease)
    if found is None:
        return None
    item, incident = found
    held = notice._replace(due_at=lease)
    try:
        sent = await _send(sessions, client, item, incident, now, tracker)
    except asyncio.CancelledError:
        await asyncio.shield(_give_back(sessions, held, notice.due_at))
        raise
    async with sessions() as session, session.begin():
        await _record(session, held, item.notice_failures, sent, now)
    return sent


async def _claim(
    session: AsyncSession, notice: Notice, lease: datetime
) -> tuple[ActionItem, Incident] | None:
    """Take the notice if it is still as seen (due, open, the same owner): the UPDATE goes
    first, so only one of two claimants changes the row; the other matches nothing."""
    claimed = await session.execute(
        _guarded(notice)
        .where(ActionItem.status == ActionStatus.OPEN)
        .values(notice_due_at=lease)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    item = await session.scalar(
        select(ActionItem)
        .where(ActionItem.team_id == notice.team_id, ActionItem.id == notice.item_id)
        .execution_options(populate_existing=True)
    )
    assert item is not None
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == notice.team_id, Incident.id == item.incident_id)
    )
    assert incident is not None
    return item, incident


async def _send(
    sessions: Sessions,
    client: AsyncWebClient,
    item: ActionItem,
    incident: Incident,
    now: datetime,
    tracker: TrackerKind | None,
) -> Sent:
    """The DM with the item's controls; its due date read in the owner's own zone."""
    assert item.owner_id is not None
    async with sessions() as session:
        try:
            hours = await owner_hours(
                session=session,
                client=client,
                team_id=item.team_id,
                user_id=item.owner_id,
                defaults=WorkingHours(),
                now=now,
            )
        except (NotFoundError, *SEND_ERRORS):
            hours = WorkingHours()  # UTC: the notice matters more than the date's wording
        views = await tracker_views(session, team_id=item.team_id, items=[item], configured=tracker)
        await session.commit()  # a users.info answer is cached
    text, blocks = assigned_message(
        item=item,
        incident=incident,
        actor_id=item.notice_from or item.created_by,
        today=now.astimezone(hours.zone).date(),
        now=now,
        tracker=views.get(item.id),
    )
    try:
        response = await client.chat_postMessage(channel=item.owner_id, text=text, blocks=blocks)
    except SEND_ERRORS as error:
        failure = classify(error)
        log.warning(
            "couldn't tell %s about action item %s (%s); %s",
            item.owner_id,
            item.id,
            failure.code,
            "will retry" if failure.transient else "not retried",
        )
        return Sent(failure=failure)
    return Sent(channel_id=response.get("channel"), message_ts=response.get("ts"))


async def _record(
    session: AsyncSession,
    held: Notice,
    failures: int,
    sent: Sent,
    now: datetime,
) -> None:
    """The outcome, only while the claim is still ours and the owner the same (else the item
    was closed or given to someone else meanwhile, and their notice stands); and the log."""
    failure = sent.failure
    if failure is not None and failure.transient:
        values = {
            "notice_due_at": now + failure.retry_at_least(failures + 1),
            "notice_failures": failures + 1,
        }
    else:
        values = {"notice_due_at": None, "notice_failures": 0}
    await session.execute(
        _guarded(held).values(**values).execution_options(synchronize_session=False)
    )
    session.add(
        ReminderDelivery(
            team_id=held.team_id,
            action_item_id=held.item_id,
            recipient_id=held.owner_id,
            kind=DeliveryKind.ASSIGNED,
            channel_id=sent.channel_id,
            message_ts=sent.message_ts,
            error=failure.code if failure else None,
            sent_at=now,
        )
    )


async def _give_back(sessions: Sessions, held: Notice, due_at: datetime) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            _guarded(held).values(notice_due_at=due_at).execution_options(synchronize_session=False)
        )


def _guarded(notice: Notice) -> Update:
    """An UPDATE of this notice's item only while it is as seen: same owner, same due time."""
    return update(ActionItem).where(
        ActionItem.team_id == notice.team_id,
        ActionItem.id == notice.item_id,
        ActionItem.owner_id == notice.owner_id,
        ActionItem.notice_due_at == notice.due_at,
    )
