"""One intent carried out against a tracker: what is read for it (`prepare`, in a read-only
session: the draft, the owner's tracker user) and what is asked (`ask`, with no session open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.trackers.config import active_tracker
from bot.trackers.filing import draft_for
from bot.trackers.shapes import (
    IntentKind,
    IssueDraft,
    RemoteIssue,
    RemoteState,
    Tracker,
    TrackerError,
    TrackerKind,
)
from models import ActionItem, ActionStatus, SlackUser


class CountedTracker:
    """A tracker for one drain: it counts the calls made through it (the drain's report, the
    bench) and remembers whom each e-mail is, so an owner of many items is looked up once."""

    def __init__(self, tracker: Tracker, users: dict[str, str | None] | None = None) -> None:
        self.tracker = tracker
        self.kind = tracker.kind
        self.calls = 0
        self.users = {} if users is None else users  # e-mail → the tracker's user (or None)

    async def create(self, draft: IssueDraft) -> RemoteIssue:
        self.calls += 1
        return await self.tracker.create(draft)

    async def find_by_marker(self, marker: str) -> RemoteIssue | None:
        self.calls += 1
        return await self.tracker.find_by_marker(marker)

    async def get(self, key: str) -> RemoteIssue:
        self.calls += 1
        return await self.tracker.get(key)

    async def update(
        self,
        key: str,
        *,
        state: RemoteState | None = None,
        assignee: str | None = None,
        due: date | None = None,
    ) -> RemoteIssue:
        self.calls += 1
        return await self.tracker.update(key, state=state, assignee=assignee, due=due)

    async def user_for_email(self, email: str) -> str | None:
        if email not in self.users:
            self.calls += 1
            self.users[email] = await self.tracker.user_for_email(email)
        return self.users[email]


def tracker_for(
    item: ActionItem, trackers: dict[TrackerKind, CountedTracker], settings: object
) -> CountedTracker:
    """The tracker holding the item's issue; for a new issue, the configured one."""
    kind = TrackerKind(item.tracker_kind) if item.tracker_kind else active_tracker(settings)
    if kind is None and len(trackers) == 1:
        kind = next(iter(trackers))
    tracker = trackers.get(kind) if kind is not None else None
    if tracker is None:
        label = kind.label if kind is not None else "an issue tracker"
        raise TrackerError(f"{label} is not configured any more")
    return tracker


@dataclass(frozen=True, slots=True)
class Ask:
    """What one intent asks of the tracker, read from the database beforehand."""

    kind: IntentKind
    key: str | None = None  # the item's issue, once filed
    draft: IssueDraft | None = None  # CREATE: the issue to file
    search_first: bool = False  # CREATE after an attempt whose answer may have been lost
    close_after: bool = False  # CREATE of an item that is no longer open
    assignee: str | None = None  # UPDATE: None leaves the tracker's assignee as it is
    due: date | None = None  # UPDATE
    filed: RemoteIssue | None = None  # CREATE of an item filed already: nothing to ask


async def prepare(
    session: AsyncSession,
    *,
    item: ActionItem,
    kind: IntentKind,
    tried_before: bool,
    tracker: CountedTracker,
    settings: object,
) -> Ask:
    """Read what `kind` needs: the draft (the tracker is asked only for the owner's user) or
        the issue's key and the fields to write. `tried_before`: an earlier attempt may have reached
    the tracker (it failed, or was cut short), so a create searches for the marker first."""
    if kind is IntentKind.CREATE:
        if item.tracker_key and item.tracker_url and item.tracker_state:
            filed = RemoteIssue(
                key=item.tracker_key,
                url=item.tracker_url,
                state=RemoteState(item.tracker_state),
                assignee=None,
                due=item.due_date,
            )
            return Ask(kind, key=item.tracker_key, filed=filed)
        return Ask(
            kind,
            draft=await draft_for(session, item, tracker=tracker, settings=settings),
            search_first=tried_before,
            close_after=item.status is not ActionStatus.OPEN,
        )
    if kind is IntentKind.UPDATE and item.tracker_key:
        assignee = await owner_in_tracker(session, item, tracker)
        return Ask(kind, key=item.tracker_key, assignee=assignee, due=item.due_date)
    return Ask(kind, key=item.tracker_key)


async def ask(tracker: CountedTracker, request: Ask) -> RemoteIssue | None:
    """Carry the intent out; the issue as it now stands, or None when there was nothing to
    ask (an update for an item whose filing failed or was never asked)."""
    if request.kind is IntentKind.CREATE:
        return await file_issue(tracker, request)
    if request.key is None:
        return None
    if request.kind is IntentKind.CLOSE:
        return await tracker.update(request.key, state=RemoteState.CLOSED)
    if request.kind is IntentKind.REOPEN:
        return await tracker.update(request.key, state=RemoteState.OPEN)
    return await tracker.update(request.key, assignee=request.assignee, due=request.due)


async def file_issue(tracker: CountedTracker, request: Ask) -> RemoteIssue:
    """File the item once. After a first attempt the tracker is searched for the item's marker
    first: that attempt may have been filed and its answer lost (a crash, a timeout after the
    tracker took it). An item already done or dropped is closed there at once."""
    if request.filed is not None:
        return request.filed
    assert request.draft is not None
    issue = await tracker.find_by_marker(request.draft.marker) if request.search_first else None
    if issue is None:
        issue = await tracker.create(request.draft)
    if request.close_after and issue.state is RemoteState.OPEN:
        issue = await tracker.update(issue.key, state=RemoteState.CLOSED)
    return issue


async def owner_in_tracker(
    session: AsyncSession, item: ActionItem, tracker: CountedTracker
) -> str | None:
    """The tracker's user for the owner's Slack e-mail; None (leave the assignee) otherwise."""
    if item.owner_id is None:
        return None
    email = await session.scalar(
        select(SlackUser.email).where(
            SlackUser.team_id == item.team_id, SlackUser.user_id == item.owner_id
        )
    )
    return await tracker.user_for_email(email.lower()) if email else None
