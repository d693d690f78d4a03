"""The weeks after the retro, on a moved clock: the reminder sweep runs whenever an item is due
a nudge; Dana snoozes her reminder, then marks it Done; Sam's item goes overdue until the
facilitator is asked to help (the escalation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.followup.sweep import sweep
from bot.ids import FollowUp
from models import ActionItem, ActionStatus

from .script import DANA, SAM, SCENES
from .stage import DemoError, Stage

MAX_SWEEPS = 20  # far more than the default cadence needs to reach an escalation


async def next_nudge(stage: Stage) -> datetime | None:
    """When the next open item is due a nudge (the sweep's own criterion)."""
    async with stage.runtime.sessions() as session:
        moment = await session.scalar(
            select(func.min(ActionItem.next_reminder_at)).where(
                ActionItem.status == ActionStatus.OPEN
            )
        )
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite reads naive


async def escalated(stage: Stage, owner: str) -> bool:
    async with stage.runtime.sessions() as session:
        found = await session.scalar(select(ActionItem).where(ActionItem.owner_id == owner))
    return found is not None and found.escalated_at is not None


async def item_of(stage: Stage, owner: str) -> int:
    async with stage.runtime.sessions() as session:
        found = await session.scalar(select(ActionItem.id).where(ActionItem.owner_id == owner))
    if found is None:
        raise DemoError(f"no action item for {owner}")
    return found


def reminders_to(stage: Stage, user: str) -> list[dict[str, Any]]:
    """The reminder DMs `user` has received, oldest first, each with its channel."""
    dm = stage.workspace.open_dm([user])
    return [
        {**message, "channel": dm.id}
        for message in stage.workspace.messages(dm.id)
        if any(b.get("block_id") == FollowUp.REMINDER_INTRO for b in message.get("blocks") or [])
    ]


async def run_sweep(stage: Stage, moment: datetime) -> None:
    stage.clock.set(moment)
    runtime = stage.runtime
    report = await sweep(
        sessions=runtime.sessions, client=runtime.client, settings=runtime.settings, now=moment
    )
    stage.transcript.write(
        f"  {moment:%a %d %b %H:%M} the reminder sweep runs "
        f"({report.dms_sent} DM(s), {report.escalations} escalation(s))"
    )
    await stage.settle()


async def follow_through(stage: Stage) -> None:
    stage.transcript.scene(6, SCENES, "Reminders in each owner's working hours: Snooze, then Done")
    dana_item = await item_of(stage, DANA)
    answered = 0
    for _ in range(MAX_SWEEPS):
        moment = await next_nudge(stage)
        if moment is None:
            break
        await run_sweep(stage, moment)
        reminders = reminders_to(stage, DANA)
        if len(reminders) > answered:
            answered = len(reminders)
            await answer_dana(stage, reminders[-1], dana_item, first=answered == 1)
        if await escalated(stage, SAM):
            return
    raise DemoError("Sam's overdue item was never escalated")


async def answer_dana(stage: Stage, reminder: dict[str, Any], item_id: int, *, first: bool) -> None:
    if first:
        await stage.press_in_message(
            DANA, reminder, FollowUp.SNOOZE_DAY, item_id, "presses Snooze 1 day on the reminder"
        )
        return
    await stage.press_in_message(
        DANA, reminder, FollowUp.DONE, item_id, "presses Done on the reminder"
    )
    stage.transcript.scene(7, SCENES, "Sam's item goes overdue: the facilitator is asked to help")
