"""Reminder DMs sent exactly once, even when the process dies between the send and its record.

Before an owner's DM goes out, a "pending" delivery row per item (the mark) is committed, with
the previous owner's record or in a short transaction of its own, and the DM carries message
metadata naming those rows. The sweep's record turns the rows into the outcome. A process
killed in between leaves the rows pending and the items claimed; when the lease ends, the next
sweep finds the rows and looks in the owner's DM for a message naming them: found, the items
were nudged by that message (no second DM); Slack says it isn't there, the DM never went out
and is sent now. When Slack can't answer (a rate limit, a 5xx, a timeout), the items wait like
a failed send and the rows stay for the next look.

A pending row counts only for its recipient, while the item wasn't snoozed after it, and for
`RECOVERY_HORIZON` after it was written: by then the crashed sweep's lease is long over, and an
older mark (the look-up kept failing) must not stand for a nudge that is due now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.send_failures import SEND_ERRORS, SendFailure, classify
from models import ActionItem, DeliveryKind, ReminderDelivery

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

PENDING = "pending"  # ReminderDelivery.error of a DM that may have gone out
REMINDER_EVENT = "hindsight_reminder"  # the DM's metadata event_type
RECOVERY_HORIZON = timedelta(hours=1)
# Slack's clock and ours differ a little; the DM was sent after the mark, never before.
LOOK_BEFORE = timedelta(minutes=5)
HISTORY_PAGE = 200
DELIVERIES = ReminderDelivery.__table__


@dataclass(frozen=True, slots=True)
class Sent:
    """A DM or channel message tried: where it landed, or why not."""

    channel_id: str | None = None
    message_ts: str | None = None
    failure: SendFailure | None = None


@dataclass(slots=True)
class Marks:
    """One owner's items before their DM: the new pending rows (item id → delivery id) of the
    items to send now, the items an earlier, unrecorded DM already nudged (item id → its
    delivery id and where it landed), or why Slack couldn't say (nothing is sent)."""

    new: dict[int, int] = field(default_factory=dict)
    recovered: dict[int, tuple[int, Sent]] = field(default_factory=dict)
    failure: SendFailure | None = None

    def outcome(self, item_id: int, sent: Sent) -> tuple[SendFailure | None, Resolution | None]:
        """What one item's nudge came to, given this sweep's DM: nudged by the earlier DM
        found, or by this one (or not: the look-up failed); and what its pending row becomes
        (None: it stays pending for the next look)."""
        if item_id in self.recovered:
            delivery_id, landed = self.recovered[item_id]
            return None, Resolution(delivery_id, landed)
        if item_id not in self.new:
            return self.failure, None
        return sent.failure, Resolution(self.new[item_id], sent)


@dataclass(frozen=True, slots=True)
class Resolution:
    """A pending row's outcome, written with the items' record."""

    delivery_id: int
    sent: Sent


def metadata(delivery_ids: Sequence[int], event_type: str = REMINDER_EVENT) -> dict[str, Any]:
    """The DM's message metadata: the pending rows it delivers."""
    payload = {"deliveries": ",".join(map(str, sorted(delivery_ids)))}
    return {"event_type": event_type, "event_payload": payload}


async def prepare(
    sessions: Sessions,
    client: AsyncWebClient,
    *,
    team_id: str,
    owner_id: str,
    item_ids: Sequence[int],
    now: datetime,
) -> Marks:
    """Before an owner's DM: find what an earlier, unrecorded DM already nudged, and mark the
    rest as pending. One transaction when nothing is pending (every sweep but the one after a
    crash)."""
    async with sessions() as session, session.begin():
        earlier, stale = await find_pending(session, team_id, owner_id, item_ids, now)
        if not earlier:
            drop = item_ids if stale else ()
            return Marks(
                new=await mark(session, team_id, owner_id, item_ids, now, keep=(), drop=drop)
            )
        channel = await _dm_channel(session, team_id, owner_id)
    found = await find_sent(client, channel, since=min(earlier.values())) if channel else {}
    if isinstance(found, SendFailure):
        return Marks(failure=found)
    recovered = {
        item_id: (delivery_id, found[delivery_id])
        for item_id, delivery_id in _latest_per_item(earlier).items()
        if delivery_id in found
    }
    log.info(
        "reminder DM to %s: %d of %d item(s) pending from a stopped sweep found in Slack, "
        "not sent again",
        owner_id,
        len(recovered),
        len(earlier),
    )
    rest = [item_id for item_id in item_ids if item_id not in recovered]
    keep = [delivery_id for delivery_id, _ in recovered.values()]
    async with sessions() as session, session.begin():
        new = await mark(session, team_id, owner_id, rest, now, keep=keep, drop=item_ids)
    return Marks(new=new, recovered=recovered)


async def mark_unless_pending(
    session: AsyncSession, team_id: str, owner_id: str, item_ids: Sequence[int], now: datetime
) -> Marks | None:
    """Inside another transaction (the last owner's record): the owner's items marked, or None
    when an earlier pending row asks for a look in Slack first (`prepare` does both)."""
    earlier, stale = await find_pending(session, team_id, owner_id, item_ids, now)
    if earlier:
        return None
    drop = item_ids if stale else ()
    return Marks(new=await mark(session, team_id, owner_id, item_ids, now, keep=(), drop=drop))


async def drop(sessions: Sessions, marks: Marks | None) -> None:
    """Pending rows of a DM that won't be sent now (the sweep stopped before it)."""
    if marks is None or not marks.new:
        return
    async with sessions() as session, session.begin():
        await session.execute(
            delete(ReminderDelivery).where(DELIVERIES.c.id.in_(marks.new.values()))
        )


async def find_pending(
    session: AsyncSession,
    team_id: str,
    owner_id: str,
    item_ids: Sequence[int],
    now: datetime,
    kind: DeliveryKind = DeliveryKind.REMINDER,
) -> tuple[dict[tuple[int, int], datetime], bool]:
    """The owner's pending rows (of `kind`) on these items still worth a look:
    (item id, delivery id) → when marked; and whether there are others (to drop)."""
    sent_at = ReminderDelivery.sent_at
    live = and_(
        ReminderDelivery.recipient_id == owner_id,
        sent_at > now - RECOVERY_HORIZON,
        # Snoozed since (from that very DM, likely): the nudge due now is the snooze's end.
        or_(ActionItem.snoozed_until.is_(None), ActionItem.snoozed_until <= sent_at),
    )
    rows = await session.execute(
        select(ReminderDelivery.action_item_id, ReminderDelivery.id, sent_at, live)
        .where(
            ReminderDelivery.team_id == team_id,
            ReminderDelivery.action_item_id.in_(item_ids),
            ReminderDelivery.kind == kind,
            ReminderDelivery.error == PENDING,
        )
        .join(
            ActionItem,
            (ActionItem.id == ReminderDelivery.action_item_id) & (ActionItem.team_id == team_id),
        )
    )
    earlier, stale = {}, False
    for item_id, delivery_id, marked_at, counts in rows:
        if counts:
            earlier[(item_id, delivery_id)] = marked_at
        stale = stale or not counts
    return earlier, stale


def _latest_per_item(earlier: Mapping[tuple[int, int], datetime]) -> dict[int, int]:
    latest: dict[int, int] = {}
    for item_id, delivery_id in earlier:
        latest[item_id] = max(delivery_id, latest.get(item_id, delivery_id))
    return latest


async def mark(
    session: AsyncSession,
    team_id: str,
    owner_id: str,
    item_ids: Sequence[int],
    now: datetime,
    *,
    keep: Sequence[int],
    drop: Sequence[int],
    kind: DeliveryKind = DeliveryKind.REMINDER,
) -> dict[int, int]:
    """Drop the pending rows but `keep` of the items `drop` (a DM that never went out, a mark
    past the horizon) and write a new one for each item to send now; returns item id →
    delivery id."""
    if drop:
        stale = delete(ReminderDelivery).where(
            ReminderDelivery.team_id == team_id,
            ReminderDelivery.action_item_id.in_(drop),
            ReminderDelivery.kind == kind,
            ReminderDelivery.error == PENDING,
        )
        if keep:
            stale = stale.where(ReminderDelivery.id.not_in(keep))
        await session.execute(stale)
    if not item_ids:
        return {}
    # Core, not ORM objects: this runs for every owner of every sweep.
    written = await session.execute(
        insert(DELIVERIES).returning(
            DELIVERIES.c.action_item_id, DELIVERIES.c.id, sort_by_parameter_order=True
        ),
        [
            {
                "team_id": team_id,
                "action_item_id": item_id,
                "recipient_id": owner_id,
                "kind": kind,
                "error": PENDING,
                "sent_at": now,
            }
            for item_id in item_ids
        ],
    )
    return {item_id: delivery_id for item_id, delivery_id in written}


async def _dm_channel(session: AsyncSession, team_id: str, owner_id: str) -> str | None:
    """The bot's DM channel with the owner, as an earlier DM to them was recorded (their
    "assigned" notice, most often; reading it needs no conversations.open, so no im:write).
    None: no DM to them was ever recorded, so the pending one is taken as never sent."""
    return await session.scalar(
        select(ReminderDelivery.channel_id)
        .where(
            ReminderDelivery.team_id == team_id,
            ReminderDelivery.recipient_id == owner_id,
            ReminderDelivery.channel_id.like("D%"),
        )
        .order_by(ReminderDelivery.id.desc())
        .limit(1)
    )


async def find_sent(
    client: AsyncWebClient, channel: str, *, since: datetime
) -> dict[int, Sent] | SendFailure:
    """The pending rows an earlier DM in `channel` delivered (delivery id → where), read from
    the DM's newest page since `since`; a failure when Slack couldn't answer (only then)."""
    try:
        page = await client.conversations_history(
            channel=channel,
            oldest=f"{(since - LOOK_BEFORE).timestamp():.6f}",
            include_all_metadata=True,
            limit=HISTORY_PAGE,
        )
    except SEND_ERRORS as error:
        failure = classify(error)
        # Slack answered that it can't show the DM (the person left, no such channel): no DM
        # of ours is there to find, so it is sent (and fails the same way, recorded).
        return failure if failure.transient else {}
    found: dict[int, Sent] = {}
    for message in page.get("messages") or []:
        for delivery_id in _named(message.get("metadata")):
            found[delivery_id] = Sent(channel, str(message["ts"]))
    return found


def _named(metadata: Any) -> list[int]:
    """The delivery ids a message's metadata names (none when it isn't our reminder's)."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != REMINDER_EVENT:
        return []
    payload = metadata.get("event_payload")
    named = payload.get("deliveries") if isinstance(payload, dict) else None
    if not isinstance(named, str):
        return []
    return [int(part) for part in named.split(",") if part.strip().isdigit()]


async def resolve(session: AsyncSession, resolutions: Sequence[Resolution]) -> None:
    """Pending rows become their outcome (inside the record's transaction)."""
    if not resolutions:
        return
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == bindparam("b_delivery"))
        .values(
            channel_id=bindparam("b_channel", type_=DELIVERIES.c.channel_id.type),
            message_ts=bindparam("b_ts", type_=DELIVERIES.c.message_ts.type),
            error=bindparam("b_error", type_=DELIVERIES.c.error.type),
        ),
        [
            {
                "b_delivery": resolution.delivery_id,
                "b_channel": resolution.sent.channel_id,
                "b_ts": resolution.sent.message_ts,
                "b_error": resolution.sent.failure.code if resolution.sent.failure else None,
            }
            for resolution in resolutions
        ],
    )
