"""The reminder sweep's postmortem-debt pass, after the action items, with the same claim id,
send deadline and report (bot/followup/sweep.py): claim the incidents due for a look
(bot/followup/debt_claim.py), decide per incident in its owner's working hours whether a nudge
goes now (bot/followup/debt.py), DM the owner, escalate once, and record each outcome in one
short transaction guarded by the claim.

As for action items: a rate limit, a 5xx or a timeout keeps the incident due with backoff (a
rate limit ends the sweep's sending); a refusal that waiting won't fix (the person left) counts
as the nudge, so it doesn't loop.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.followup.cadence import WorkingHours
from bot.followup.debt import ClaimedDebt, DebtNudge, Round, current_round, next_debt_nudge
from bot.followup.debt_claim import BATCH_SIZE, Sessions, claim_debts, guarded, release_debts
from bot.followup.debt_send import Sent, escalate, post
from bot.followup.deliver import SweepReport
from bot.followup.schedule import owner_hours
from bot.followup.send_failures import FIRST_BACKOFF, SEND_ERRORS, classify
from bot.ui.debt import debt_message

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DebtPass:
    """One sweep's debt pass: what it shares with the sweep, and the owners' hours it looked up."""

    sessions: Sessions
    client: AsyncWebClient
    settings: Settings
    now: datetime
    claim: str
    deadline: float  # time.monotonic() past which sending stops
    report: SweepReport
    team_id: str | None = None  # the team swept (its client's); None: every team's rows
    hours: dict[tuple[str, str], WorkingHours] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Due:
    debt: ClaimedDebt
    hours: WorkingHours
    step: DebtNudge
    done: Round


async def chase_debts(chase: DebtPass, *, batch_size: int = BATCH_SIZE) -> None:
    """Batch after batch until nothing is due, the sweep is rate limited or out of time."""
    report = chase.report
    while not (report.rate_limited or report.out_of_time):
        debts = await claim_debts(
            chase.sessions,
            now=chase.now,
            claim=chase.claim,
            limit=batch_size,
            team_id=chase.team_id,
        )
        report.debts_claimed += len(debts)
        if debts:
            await _chase_batch(chase, debts)
        if len(debts) < batch_size:
            return


async def _chase_batch(chase: DebtPass, debts: list[ClaimedDebt]) -> None:
    """Reschedule what isn't due yet, then nudge the rest one by one."""
    now, settings = chase.now, chase.settings
    await _look_up_hours(chase, debts)
    later: list[dict[str, Any]] = []
    unknown: list[int] = []
    due: list[_Due] = []
    for debt in debts:
        hours = chase.hours.get((debt.team_id, debt.owner_id))
        if hours is None:  # users.info failed for now: ask again in a minute
            unknown.append(debt.id)
            continue
        done = current_round(debt)
        step = next_debt_nudge(
            resolved_at=debt.resolved_at,
            due_days=settings.postmortem_due_days[str(debt.severity)],
            done=done,
            now=now,
            hours=hours,
            cadence=settings.cadence,
        )
        if step.at > now:
            later.append({"b_id": debt.id, "debt_next_at": step.at, "debt_due_at": step.due_at})
        else:
            due.append(_Due(debt, hours, step, done))
    await release_debts(chase.sessions, claim=chase.claim, at=now + FIRST_BACKOFF, ids=unknown)
    await _write(chase, later)
    for index, one in enumerate(due):
        if time.monotonic() > chase.deadline:
            rest = [later_one.debt.id for later_one in due[index:]]
            await release_debts(chase.sessions, claim=chase.claim, ids=rest)
            chase.report.out_of_time = True
            return
        pause = await _nudge(chase, one)
        if pause is not None:
            chase.report.rate_limited = True
            rest = [later_one.debt.id for later_one in due[index + 1 :]]
            await release_debts(chase.sessions, claim=chase.claim, at=now + pause, ids=rest)
            return


async def _look_up_hours(chase: DebtPass, debts: list[ClaimedDebt]) -> None:
    """Each owner's working week (the user cache; users.info for people never seen)."""
    wanted = {(debt.team_id, debt.owner_id) for debt in debts} - chase.hours.keys()
    if not wanted:
        return
    async with chase.sessions() as session:
        for team_id, user_id in sorted(wanted):
            try:
                chase.hours[(team_id, user_id)] = await owner_hours(
                    session=session,
                    client=chase.client,
                    team_id=team_id,
                    user_id=user_id,
                    defaults=chase.settings.working_hours,
                    now=chase.now,
                )
            except SEND_ERRORS as error:
                log.warning("couldn't look up %s's time zone: %s", user_id, classify(error).code)
        await session.commit()  # users.info answers are cached for next time


async def _nudge(chase: DebtPass, one: _Due) -> timedelta | None:
    """The owner's DM, the escalation when it is time, and what that means, recorded at once.
    Returns how long to pause when Slack rate limited us."""
    now, debt, report = chase.now, one.debt, chase.report
    text, blocks = debt_message(debt.as_incident(), now=now, hours=one.hours)
    sent = await post(chase.client, channel=debt.owner_id, text=text, blocks=blocks)
    failure = sent.failure
    if failure is not None and failure.transient:
        failures = debt.debt_send_failures + 1
        log.info("postmortem-debt DM to %s failed (%s); will retry", debt.owner_id, failure.code)
        await _write(
            chase,
            [
                {
                    "b_id": debt.id,
                    "debt_next_at": now + failure.retry_at_least(failures),
                    "debt_due_at": one.step.due_at,
                    "debt_send_failures": failures,
                }
            ],
        )
        report.debts_failed += 1
        return timedelta(seconds=failure.retry_after) if failure.rate_limited else None
    escalated, pause = False, None
    if one.step.escalate:
        escalated, pause = await escalate(
            chase.client,
            debt,
            postmortem_channel=chase.settings.postmortem_channel,
            nudges=one.done.nudges,
            zone=one.hours.zone,
            now=now,
        )
        report.debt_escalations += int(escalated)
        report.debt_escalations_failed += int(not escalated)
    await _write(chase, [_spent(chase, one, sent, escalated=escalated)])
    if failure is None:
        report.debts_nudged += 1
    else:
        report.debts_failed += 1
        log.warning("postmortem-debt DM to %s refused (%s); counted", debt.owner_id, failure.code)
    return pause


def _spent(chase: DebtPass, one: _Due, sent: Sent, *, escalated: bool) -> dict[str, Any]:
    """A nudge that went out (or was refused for good): counted, the next one scheduled."""
    now, debt, done = chase.now, one.debt, one.done
    after = Round(nudges=done.nudges + 1, last_sent=now, escalated=done.escalated or escalated)
    following = next_debt_nudge(
        resolved_at=debt.resolved_at,
        due_days=chase.settings.postmortem_due_days[str(debt.severity)],
        done=after,
        now=now,
        hours=one.hours,
        cadence=chase.settings.cadence,
    )
    escalated_at = now if escalated else (debt.debt_escalated_at if done.escalated else None)
    return {
        "b_id": debt.id,
        "debt_next_at": following.at,
        "debt_due_at": one.step.due_at,
        "debt_nudges": after.nudges,
        "debt_last_nudged_at": now,
        "debt_escalated_at": escalated_at,
        "debt_send_failures": 0,
    }


async def _write(chase: DebtPass, rows: list[dict[str, Any]]) -> None:
    """The incidents' new debt columns (`b_id` names the incident), and their claim given up,
    only while the claim is still this sweep's: one short transaction."""
    if not rows:
        return
    async with chase.sessions() as session, session.begin():
        for row in rows:
            values = {name: value for name, value in row.items() if name != "b_id"}
            await session.execute(
                guarded(chase.claim, row["b_id"]).values(
                    debt_claim=None, debt_claimed_until=None, **values
                )
            )
