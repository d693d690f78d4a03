"""The sweep's last stage: DM each owner once, escalate what has waited too long, and record
the outcome in one short transaction per owner, guarded by the claim, so a sweep whose claim
was released (the item snoozed, reassigned or closed meanwhile) or whose lease ran out changes
nothing. What each item gets written is decided by bot/followup/after_send.py. Each DM is
marked pending before it is sent, so one a killed sweep sent but never recorded is found, not
sent again (bot/followup/pending.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.after_send import (
    ItemWrite,
    after_send,
    as_item,
    nudge_spent,
)
from bot.followup.cadence import Cadence
from bot.followup.claim import ITEMS, release
from bot.followup.escalate import Escalation, escalate, post
from bot.followup.pending import (
    Marks,
    Resolution,
    Sent,
    drop,
    mark_unless_pending,
    metadata,
    prepare,
    resolve,
)
from bot.followup.plan import Nudge, OwnerDM, Plan
from bot.followup.send_failures import SendFailure
from bot.trackers.shapes import ItemTracker, TrackerKind
from bot.trackers.shown import tracker_views
from bot.ui.reminder import reminder_message
from models import ActionItem, ReminderDelivery

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(slots=True)
class SweepReport:
    """What one sweep did; `select_seconds` is claim + load + group, without Slack sends."""

    owners: int = 0
    claimed: int = 0
    dms_sent: int = 0
    nudged: int = 0
    rescheduled: int = 0
    failed: int = 0
    escalations: int = 0
    escalations_failed: int = 0  # escalations tried that Slack did not take
    notices_sent: int = 0  # owners' "assigned" DMs still due (bot/followup/notices.py)
    notices_failed: int = 0
    # Postmortem debt (bot/followup/debt_sweep.py): incidents looked at, owners DMed, failed
    # sends, and escalations.
    debts_claimed: int = 0
    debts_nudged: int = 0
    debts_failed: int = 0
    debt_escalations: int = 0
    debt_escalations_failed: int = 0
    rate_limited: bool = False
    out_of_time: bool = False
    select_seconds: float = 0.0

    def summary(self) -> str:
        limited = "; rate limited, the rest waits" if self.rate_limited else ""
        limited += "; out of time, the rest goes to the next sweep" if self.out_of_time else ""
        if self.notices_sent or self.notices_failed:
            limited += (
                f"; {self.notices_sent} assigned notice(s) sent, {self.notices_failed} failed"
            )
        if self.debts_claimed:
            limited += (
                f"; postmortem debt: {self.debts_claimed} incident(s) looked at, "
                f"{self.debts_nudged} nudged, {self.debts_failed} failed, "
                f"{self.debt_escalations} escalated"
            )
        return (
            f"reminder sweep: {self.claimed} due item(s) of {self.owners} owner(s); "
            f"{self.dms_sent} DM(s) sent, {self.nudged} item(s) nudged, "
            f"{self.rescheduled} rescheduled, {self.failed} failed, "
            f"{self.escalations} escalated in {self.select_seconds:.3f}s of selection{limited}"
        )


async def deliver(
    sessions: Sessions,
    client: AsyncWebClient,
    work: Plan,
    *,
    claim: str,
    now: datetime,
    cadence: Cadence,
    report: SweepReport,
    deadline: float = float("inf"),
    tracker: TrackerKind | None = None,
) -> None:
    """Reschedule the items not due yet, then DM each owner and record it. After a rate limit,
    the owners not reached yet wait for Retry-After; past `deadline` (time.monotonic()) they go
    back, due, to the next sweep."""
    if work.later:
        await _reschedule(sessions, work.later, claim=claim)
        report.rescheduled += len(work.later)
    marked: Marks | None = None  # the owner's pending rows, written with the last record
    for index, owner in enumerate(work.owners):
        if time.monotonic() > deadline:
            rest = [n.item.id for later in work.owners[index:] for n in later.nudges]
            log.warning("reminder sweep ran out of time; %d item(s) go to the next", len(rest))
            await release(sessions, claim=claim, ids=rest)
            await drop(sessions, marked)
            report.out_of_time = True
            return
        following = work.owners[index + 1] if index + 1 < len(work.owners) else None
        pause = await _nudge_owner(
            sessions,
            client,
            (owner, marked, following),
            claim=claim,
            now=now,
            cadence=cadence,
            tracker=tracker,
        )
        marked = pause.following
        report.owners += 1
        report.escalations += pause.escalations
        report.escalations_failed += pause.escalations_failed
        report.dms_sent += pause.sent
        report.nudged += pause.nudged
        report.failed += pause.failed
        if pause.rate_limited is not None:
            report.rate_limited = True
            rest = [n.item.id for later in work.owners[index + 1 :] for n in later.nudges]
            await release(sessions, claim=claim, at=now + pause.rate_limited, ids=rest)
            await drop(sessions, marked)
            return


def _release_ours(claim: str) -> Update:
    """An item's next moment written and its claim given up, only while the claim is ours
    (executed with one parameter set per item: b_id, b_next)."""
    return (
        update(ITEMS)
        .where(ITEMS.c.id == bindparam("b_id"), ITEMS.c.reminder_claim == claim)
        .values(
            next_reminder_at=bindparam("b_next", type_=ITEMS.c.next_reminder_at.type),
            reminder_claim=None,
            claimed_until=None,
        )
    )


async def _reschedule(
    sessions: Sessions, later: Sequence[tuple[int, datetime | None]], *, claim: str
) -> None:
    """The items not nudged now: due at their next moment, and no longer claimed."""
    async with sessions() as session, session.begin():
        await session.execute(
            _release_ours(claim),
            [{"b_id": item_id, "b_next": at} for item_id, at in later],
        )


@dataclass(slots=True)
class _Outcome:
    sent: bool = False  # a DM went out now
    nudged: int = 0  # items nudged, by it or by an earlier DM found in Slack
    failed: int = 0
    escalations: int = 0
    escalations_failed: int = 0
    rate_limited: timedelta | None = None
    following: Marks | None = None  # the next owner's pending rows, written with the record

    def count(self, failure: SendFailure | None) -> None:
        self.nudged += failure is None
        self.failed += failure is not None


async def _nudge_owner(
    sessions: Sessions,
    client: AsyncWebClient,
    turn: tuple[OwnerDM, Marks | None, OwnerDM | None],
    *,
    claim: str,
    now: datetime,
    cadence: Cadence,
    tracker: TrackerKind | None = None,
) -> _Outcome:
    """One owner's DM (marked pending first, by the last owner's record or now; none for the
    items an earlier, unrecorded DM already nudged), then what it means for each of their
    items, recorded at once with the next owner's marks."""
    owner, marks, following = turn
    if marks is None:
        ids = [nudge.item.id for nudge in owner.nudges]
        where = {"team_id": owner.team_id, "owner_id": owner.owner_id, "item_ids": ids}
        marks = await prepare(sessions, client, **where, now=now)
    sent = Sent(failure=marks.failure)
    if marks.new:
        to_send = replace(owner, nudges=[n for n in owner.nudges if n.item.id in marks.new])
        trackers = await _tracker_views(sessions, to_send, tracker)
        sent = await _send_reminder(client, to_send, now=now, trackers=trackers, marks=marks)
    outcome = _Outcome(sent=bool(marks.new) and sent.failure is None)
    writes, deliveries, resolutions = [], [], []
    for nudge in owner.nudges:
        failure, resolution = marks.outcome(nudge.item.id, sent)
        resolutions += [resolution] if resolution is not None else []
        write, escalation = await _settle(
            client, owner, nudge, failure=failure, now=now, cadence=cadence
        )
        writes.append(write)
        outcome.count(failure)
        if escalation is not None:
            deliveries += escalation.rows
            outcome.escalations += int(escalation.escalated)
            outcome.escalations_failed += int(not escalation.escalated)
            if escalation.rate_limited is not None:
                outcome.rate_limited = escalation.rate_limited
    _log_failure(owner, sent.failure, outcome)
    outcome.following = await _record(
        sessions, writes, deliveries, resolutions, claim=claim, following=following, now=now
    )
    return outcome


def _log_failure(owner: OwnerDM, failure: SendFailure | None, outcome: _Outcome) -> None:
    if failure is None:
        return
    if failure.rate_limited:
        outcome.rate_limited = timedelta(seconds=failure.retry_after)
    log_failure = log.info if failure.transient else log.warning
    will = "will retry" if failure.transient else "counted as sent"
    log_failure("reminder DM to %s failed (%s); %s", owner.owner_id, failure.code, will)


async def _tracker_views(
    sessions: Sessions, owner: OwnerDM, tracker: TrackerKind | None
) -> dict[int, ItemTracker]:
    """How the owner's items stand in the team's tracker (none configured: nothing)."""
    if tracker is None:
        return {}
    ids = [nudge.item.id for nudge in owner.nudges]
    async with sessions() as session:
        items = await session.scalars(
            select(ActionItem).where(ActionItem.team_id == owner.team_id, ActionItem.id.in_(ids))
        )
        return await tracker_views(session, team_id=owner.team_id, items=items, configured=tracker)


async def _send_reminder(
    client: AsyncWebClient,
    owner: OwnerDM,
    *,
    now: datetime,
    trackers: Mapping[int, ItemTracker] | None = None,
    marks: Marks,
) -> Sent:
    """The owner's one DM listing their items that need a look, naming its pending rows."""
    text_, blocks = reminder_message(
        recipient_id=owner.owner_id,
        entries=[(as_item(nudge.item), nudge.incident) for nudge in owner.nudges],
        today=owner.today(now),
        now=now,
        hours=owner.hours,
        trackers=trackers,
    )
    named = metadata(list(marks.new.values()))
    return await post(client, channel=owner.owner_id, text=text_, blocks=blocks, metadata=named)


async def _settle(
    client: AsyncWebClient,
    owner: OwnerDM,
    nudge: Nudge,
    *,
    failure: SendFailure | None,
    now: datetime,
    cadence: Cadence,
) -> tuple[ItemWrite, Escalation | None]:
    """What to write for one item after the DM, escalating it first when it is time."""
    decide = {"now": now, "hours": owner.hours, "cadence": cadence, "failure": failure}
    write = after_send(nudge.item, overdue=nudge.overdue, **decide)
    if not (nudge.escalate and nudge_spent(failure)):
        return write, None
    escalation = await escalate(
        client,
        as_item(nudge.item, write),
        nudge.incident,
        hours=owner.hours,
        today=owner.today(now),
        now=now,
    )
    if escalation.escalated:
        write = after_send(nudge.item, overdue=nudge.overdue, escalated=True, **decide)
    return write, escalation


async def _record(
    sessions: Sessions,
    writes: Sequence[ItemWrite],
    deliveries: Sequence[ReminderDelivery],
    resolutions: Sequence[Resolution],
    *,
    claim: str,
    following: OwnerDM | None = None,
    now: datetime,
) -> Marks | None:
    """One short transaction: the items' new schedule (only while the claim is still ours),
    the reminder's pending rows turned into its outcome, and the escalations' log. The UPDATE
    goes first, so SQLite takes its write lock up front. The `following` owner's items are
    marked pending in it too (one transaction per owner, not two); None when they weren't
    (an earlier pending row asks for a look in Slack first)."""
    async with sessions() as session, session.begin():
        await session.execute(
            _release_ours(claim).values(
                last_reminded_at=bindparam("b_last", type_=ITEMS.c.last_reminded_at.type),
                snoozed_until=bindparam("b_snoozed", type_=ITEMS.c.snoozed_until.type),
                escalated_at=bindparam("b_escalated", type_=ITEMS.c.escalated_at.type),
                reminder_count=bindparam("b_count"),
                overdue_nudges=bindparam("b_overdue"),
                send_failures=bindparam("b_failures"),
            ),
            [
                {
                    "b_id": write.id,
                    "b_next": write.next_reminder_at,
                    "b_last": write.last_reminded_at,
                    "b_snoozed": write.snoozed_until,
                    "b_escalated": write.escalated_at,
                    "b_count": write.reminder_count,
                    "b_overdue": write.overdue_nudges,
                    "b_failures": write.send_failures,
                }
                for write in writes
            ],
        )
        await resolve(session, resolutions)
        session.add_all(deliveries)
        if following is None:
            return None
        ids = [nudge.item.id for nudge in following.nudges]
        return await mark_unless_pending(session, following.team_id, following.owner_id, ids, now)
