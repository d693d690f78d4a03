"""The soak's verdict: the database and the simulated workspace read back against what Slack had
acknowledged. Each check returns failure lines (empty when it holds) and a figure line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.soak_slack import SLACK_DEADLINE, SoakSlack
from bench.soak_work import MARKING, Declared, Fed, Said
from bot.ui.item import item_block_id
from models import (
    ActionItem,
    DeliveryKind,
    Incident,
    ReminderDelivery,
    TimelineEvent,
    TimelineMark,
)


@dataclass
class Verdict:
    figures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, line: str, limit: int = 8) -> None:
        """Keep the first few of each kind; count the rest."""
        kind = line.split(":", 1)[0]
        seen = sum(1 for known in self.failures if known.startswith(kind + ":"))
        if seen < limit:
            self.failures.append(line)


async def check_messages(
    sessions: async_sessionmaker[AsyncSession], team_id: str, said: list[Said], verdict: Verdict
) -> None:
    """Every acknowledged message stored exactly once, with its acknowledged edit or deletion;
    no message stored twice."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(
                    TimelineEvent.channel_id,
                    TimelineEvent.ts,
                    TimelineEvent.text,
                    TimelineEvent.deleted_at,
                ).where(TimelineEvent.team_id == team_id, TimelineEvent.ts.is_not(None))
            )
        ).all()
    copies = Counter((row.channel_id, row.ts) for row in rows)
    stored = {(row.channel_id, row.ts): row for row in rows}
    for key, count in copies.items():
        if count > 1:
            verdict.fail(f"doubled message: {key} stored {count} times")
    acknowledged = lost = wrong = 0
    for message in said:
        key = (message.channel, message.ts)
        row = stored.get(key)
        if not message.stored:
            continue
        acknowledged += 1
        if row is None:
            lost += 1
            verdict.fail(f"lost message: {key} acknowledged, not stored")
            continue
        if message.unsure:
            continue
        expected = None if message.deleted else message.edited_to or message.text
        if row.text != expected or (message.deleted and row.deleted_at is None):
            wrong += 1
            verdict.fail(f"wrong message: {key} holds {row.text!r}, expected {expected!r}")
    edits = sum(1 for m in said if m.edited_to and not m.unsure)
    deletes = sum(1 for m in said if m.deleted and not m.unsure)
    verdict.figures.append(
        f"messages: {acknowledged} acknowledged ({edits} edited, {deletes} deleted), "
        f"{len(rows)} rows; lost {lost}, doubled {sum(c > 1 for c in copies.values())}, "
        f"wrong {wrong}"
    )


async def check_reactions(
    sessions: async_sessionmaker[AsyncSession], team_id: str, said: list[Said], verdict: Verdict
) -> None:
    """An acknowledged marking reaction is one mark; a removed one or a non-marking emoji,
    none."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(
                    TimelineEvent.channel_id,
                    TimelineEvent.ts,
                    TimelineMark.marked_by,
                    TimelineMark.reaction,
                )
                .join(TimelineMark, TimelineMark.event_id == TimelineEvent.id)
                .where(TimelineEvent.team_id == team_id, TimelineMark.reaction != "")
            )
        ).all()
    marks = Counter((row.channel_id, row.ts, row.marked_by, row.reaction) for row in rows)
    checked = bad = 0
    for message in said:
        if message.unsure or message.deleted:
            continue
        for (user, emoji), on in message.reactions.items():
            checked += 1
            expected = 1 if on and emoji in MARKING else 0
            found = marks.get((message.channel, message.ts, user, emoji), 0)
            if found != expected:
                bad += 1
                verdict.fail(
                    f"wrong marks: :{emoji}: by {user} on {message.channel}/{message.ts}: "
                    f"{found} mark(s), expected {expected}"
                )
    verdict.figures.append(
        f"reactions: {checked} acknowledged states, {len(rows)} marks; wrong {bad}"
    )


async def check_declares(
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    declared: list[Declared],
    verdict: Verdict,
) -> None:
    """Each acknowledged declare is one incident with its channel; every submit answered
    within Slack's 3 seconds."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Incident.title, Incident.channel_id).where(Incident.team_id == team_id)
            )
        ).all()
    by_title = Counter(row.title for row in rows)
    channel = {row.title: row.channel_id for row in rows}
    answered = [d.seconds for d in declared if d.seconds is not None]
    late = [s for s in answered if s > SLACK_DEADLINE]
    outcomes = Counter(d.outcome for d in declared)
    for item in declared:
        count = by_title.get(item.title, 0)
        if item.acknowledged and count != 1:
            verdict.fail(f"declare: {item.title!r} acknowledged, {count} incident(s)")
        elif item.acknowledged and not channel.get(item.title):
            verdict.fail(f"declare: {item.title!r} acknowledged, its incident has no channel")
        elif count > 1:
            verdict.fail(f"declare: {item.title!r} stored {count} times")
    if late:
        verdict.fail(f"late modal: {len(late)} submit(s) answered after 3 s (max {max(late):.2f})")
    slowest = max(answered, default=0.0)
    told = ", ".join(f"{what} ×{n}" for what, n in outcomes.most_common())
    verdict.figures.append(
        f"declares: {told}; submits slowest {slowest * 1000:.0f} ms, {len(late)} after 3 s; "
        f"{len(rows)} incidents"
    )


def reminder_dms(slack: SoakSlack, fed: list[Fed]) -> Counter[int]:
    """How many reminder DMs listed each item, read from the owners' DM channels."""
    counts: Counter[int] = Counter()
    wanted = {item_block_id(f.item_id): f.item_id for f in fed}
    for owner in {f.owner for f in fed}:
        for message in slack.messages(slack.open_dm([owner]).id):
            for block in message.get("blocks") or []:
                item = wanted.get(block.get("block_id", ""))
                if item is not None:
                    counts[item] += 1
    return counts


async def check_reminders(
    sessions: async_sessionmaker[AsyncSession],
    slack: SoakSlack,
    fed: list[Fed],
    due_by: datetime,
    verdict: Verdict,
) -> None:
    """Every item whose first nudge fell due before `due_by` reminded exactly once; none
    reminded twice; none whose first nudge is days away reminded at all. An item a killed
    sweep still holds (its lease) is named as such."""
    dms = reminder_dms(slack, fed)
    async with sessions() as session:
        logged = Counter(
            (
                await session.scalars(
                    select(ReminderDelivery.action_item_id).where(
                        ReminderDelivery.kind == DeliveryKind.REMINDER,
                        ReminderDelivery.error.is_(None),
                    )
                )
            ).all()
        )
        held = set(
            (
                await session.scalars(
                    select(ActionItem.id).where(ActionItem.reminder_claim.is_not(None))
                )
            ).all()
        )
        # DMs sent whose record a kill cut off: marked pending before the send, found by the
        # next sweep's look-up when the lease ends (bot/followup/pending.py), not sent again.
        marked = set(
            (
                await session.scalars(
                    select(ReminderDelivery.action_item_id).where(
                        ReminderDelivery.kind == DeliveryKind.REMINDER,
                        ReminderDelivery.error == "pending",
                    )
                )
            ).all()
        )
        items = await session.scalar(select(func.count()).select_from(ActionItem))
    due = [f for f in fed if f.nudge_now and f.due_at <= due_by]
    missing = [f for f in due if dms[f.item_id] == 0]
    doubled = [f for f in fed if dms[f.item_id] > 1]
    early = [f for f in fed if not f.nudge_now and dms[f.item_id]]
    for f in early:
        verdict.fail(f"early reminder: item {f.item_id}, not due for days, was DMed")
    for f in missing:
        why = "held by a killed sweep's claim" if f.item_id in held else "not sent"
        verdict.fail(f"missed reminder: item {f.item_id} due {f.due_at:%H:%M:%S}: {why}")
    for f in doubled:
        verdict.fail(f"doubled reminder: item {f.item_id} DMed {dms[f.item_id]} times")
    # The bot was stopped cleanly, which gives its claims back: a claim left is a killed
    # sweep's. An item it DMed is safe only if its pending mark is there for the look-up.
    held_sent = [f for f in fed if f.item_id in held and dms[f.item_id]]
    again = [f for f in held_sent if f.item_id not in marked]
    for f in again:
        verdict.fail(
            f"doubled reminder (pending): item {f.item_id} was DMed, but a killed sweep's claim "
            "still holds it and no pending mark names it; it is DMed again when the lease ends"
        )
    unlogged = [
        f.item_id for f in fed if dms[f.item_id] != logged[f.item_id] and f.item_id not in marked
    ]
    sent_once = sum(1 for f in due if dms[f.item_id] == 1)
    verdict.figures.append(
        f"reminders: {len(fed)} items fed ({items} in the table), {len(due)} due before the "
        f"end, {sum(not f.nudge_now for f in fed)} not for days; {sent_once} sent once, "
        f"{len(missing)} missing, {len(doubled)} doubled (+{len(again)} unmarked, "
        f"{len(held_sent) - len(again)} marked pending for the look-up), "
        f"{len(early)} early; "
        f"DMs ≠ delivery log for {len(unlogged)}"
    )
