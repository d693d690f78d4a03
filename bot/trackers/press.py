"""The tracker buttons under an action item.

A press only writes the intent (the outbox files it after the ack): Create issue adds the
item's one CREATE intent (a second press, or two people at once, add nothing), Retry makes
its failed intents due again. Only those who may change the item may file it. The caller
commits, then kicks the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserInputError
from bot.followup.buttons import Outcome, open_item
from bot.followup.items import audit
from bot.trackers.outbox import enqueue, retry_failed
from bot.trackers.shapes import IntentKind, TrackerKind
from models import ActionStatus


async def file_item(
    *,
    session: AsyncSession,
    team_id: str,
    item_id: int,
    actor_id: str,
    now: datetime,
    tracker: TrackerKind | None,
    retry: bool = False,
) -> Outcome:
    """Ask for the item's issue (or, `retry`, ask again after filing failed). `changed` is
    False when it asked for nothing new: already filed, or on its way."""
    if tracker is None:
        raise UserInputError("No issue tracker is configured for this workspace any more.")
    item, incident = await open_item(
        session=session, team_id=team_id, item_id=item_id, actor_id=actor_id
    )
    if item.status is not ActionStatus.OPEN and not item.tracker_key:
        raise UserInputError("This action item is closed already; there is nothing to file.")
    if retry:
        added = await retry_failed(session, item_id=item.id, team_id=team_id, now=now)
        if added:
            item.tracker_error = None
    else:
        added = await enqueue(session, item=item, kind=IntentKind.CREATE, now=now)
    if added:
        action = "action.file_retry" if retry else "action.file"
        audit(session, item, actor_id, action, {"tracker": tracker.value}, at=now)
    return Outcome(item, incident, changed=added)
