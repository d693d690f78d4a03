"""The reminder sweep: every due action item's owner gets one DM listing what needs a look.

The database is the only truth. Each open item has `next_reminder_at`; a sweep goes batch by
batch through three stages:
1. claim the due ones (bot/followup/claim.py: a lease, so two processes never DM one owner
   twice and a sweep that dies leaves its items due again),
2. plan: load their incidents and owners' working hours and decide, per item, whether it is
   nudged now or later (bot/followup/plan.py),
3. deliver: send each owner one DM and record the outcome in one short transaction per owner
   (bot/followup/deliver.py; what each item gets written: bot/followup/after_send.py).

Failures keep items due: a rate limit, a 5xx or a timeout leaves the owner's items for a later
sweep with backoff (and a rate limit ends this sweep's sending); errors that retrying can't fix
(the person left, the DM is refused) are recorded and count as the nudge, so they don't loop.

One sweep speaks with one token: with many workspaces it is given one team (`team_id`) and that
team's client, and claims that team's rows only; with one workspace's token, every row.

Before the reminders, each sweep sends the owners' "assigned" DMs still due
(bot/followup/notices.py); after them, it chases the postmortems still owed, with the same
claim and send budget (bot/followup/debt_sweep.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.followup import notices as owner_notice
from bot.followup.after_send import ClaimedItem
from bot.followup.claim import BATCH_SIZE, LEASE, Sessions, claim_batch, release
from bot.followup.debt_claim import release_debts
from bot.followup.debt_sweep import DebtPass, chase_debts
from bot.followup.deliver import SweepReport, deliver
from bot.followup.plan import Nudge, OwnerDM, Plan, SweepMemo, plan
from bot.trackers.config import active_tracker

__all__ = [
    "BATCH_SIZE",
    "LEASE",
    "SEND_BUDGET",
    "ClaimedItem",
    "Nudge",
    "OwnerDM",
    "Plan",
    "SweepMemo",
    "SweepReport",
    "claim_batch",
    "deliver",
    "plan",
    "release",
    "sweep",
]

# Sending stops this long into a sweep and gives the rest back, well before the lease ends, so
# another process can never claim (and DM) an owner this sweep has yet to reach.
SEND_BUDGET = LEASE * 0.7


async def sweep(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    send_budget: timedelta = SEND_BUDGET,
    team_id: str | None = None,
) -> SweepReport:
    """One sweep at `now`: batch after batch until nothing is due (or Slack rate limits us).
    `team_id`: the team whose token `client` holds, whose rows alone are swept (None: every
    row, one workspace's token). Claims not recorded when it stops (cancelled at shutdown, an
    error) are given back, still due."""
    batch = _Batch(
        sessions=sessions,
        client=client,
        settings=settings,
        now=now,
        claim=str(uuid.uuid4()),
        deadline=time.monotonic() + send_budget.total_seconds(),
        team_id=team_id,
    )
    report = batch.report
    try:
        # Owners not yet told an item is theirs come first: they expect it right after.
        await _send_notices(batch)
        while not (report.rate_limited or report.out_of_time):
            # Fewer than a full batch: all that was due is claimed (what SKIP LOCKED passed
            # over, another transaction holds: the next sweep, a minute later, sees it).
            if await batch.run(batch_size) < batch_size:
                break
        await chase_debts(
            DebtPass(sessions, client, settings, now, batch.claim, batch.deadline, report, team_id)
        )
    finally:
        await asyncio.shield(_release_all(sessions, batch.claim))
    return report


async def _release_all(sessions: Sessions, claim: str) -> None:
    await release(sessions, claim=claim)
    await release_debts(sessions, claim=claim)


@dataclass(slots=True)
class _Batch:
    """One sweep's state, shared by its batches."""

    sessions: Sessions
    client: AsyncWebClient
    settings: Settings
    now: datetime
    claim: str
    deadline: float  # time.monotonic() past which sending stops
    team_id: str | None  # the team swept (None: every team's rows)
    report: SweepReport = field(default_factory=SweepReport)
    memo: SweepMemo = field(default_factory=SweepMemo)

    async def run(self, batch_size: int) -> int:
        """Claim, plan and deliver one batch; returns how many items it claimed."""
        report, started = self.report, time.perf_counter()
        items = await claim_batch(
            self.sessions, now=self.now, claim=self.claim, limit=batch_size, team_id=self.team_id
        )
        report.claimed += len(items)
        if not items:
            report.select_seconds += time.perf_counter() - started
            return 0
        work = await plan(
            self.sessions,
            self.client,
            items=items,
            now=self.now,
            working_hours=self.settings.working_hours,
            cadence=self.settings.cadence,
            memo=self.memo,
        )
        report.select_seconds += time.perf_counter() - started
        await deliver(
            self.sessions,
            self.client,
            work,
            claim=self.claim,
            now=self.now,
            cadence=self.settings.cadence,
            report=report,
            deadline=self.deadline,
            tracker=active_tracker(self.settings),
        )
        return len(items)


async def _send_notices(batch: _Batch) -> None:
    """The "assigned" DMs still due (a failed send, a crash before sending), at once whatever
    the owner's hours; a rate limit ends this sweep's sending."""
    report = batch.report
    tried = await owner_notice.send_due(
        sessions=batch.sessions,
        client=batch.client,
        now=batch.now,
        deadline=batch.deadline,
        tracker=active_tracker(batch.settings),
        team_id=batch.team_id,
    )
    for sent in tried:
        if sent.failure is None:
            report.notices_sent += 1
            continue
        report.notices_failed += 1
        report.rate_limited = report.rate_limited or sent.failure.rate_limited
