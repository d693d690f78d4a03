"""What a change in the tracker does to an action item: pure decisions, from plain values.

A remote state counts only when it differs from the one we last saw (`known_state`): an item
closed in Slack whose CLOSE has yet to reach the tracker still reads "open" there, and a poll
must not reopen it. A webhook delivered twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.trackers.shapes import RemoteChange, RemoteIssue, RemoteState, TrackerKind


@dataclass(frozen=True, slots=True)
class ItemNow:
    """The item as it stands, in plain values."""

    is_open: bool
    known_state: RemoteState | None  # the tracker's state when we last heard
    owner_id: str | None
    due: date | None


@dataclass(frozen=True, slots=True)
class Follow:
    """What to do to the item. `new_owner` / `new_due` are None when they stay as they are."""

    state: RemoteState | None  # the tracker's state to remember (None: unchanged)
    close: bool = False
    reopen: bool = False
    new_owner: str | None = None
    new_due: date | None = None

    @property
    def changes_item(self) -> bool:
        return self.close or self.reopen or self.new_owner is not None or self.new_due is not None


def decide(change: RemoteChange, item: ItemNow, *, owner_for_assignee: str | None) -> Follow:
    """`owner_for_assignee`: the Slack user the new assignee maps back to (None: doesn't map,
    or the issue was unassigned; the item keeps its owner, who is still reminded)."""
    moved = change.state is not None and change.state != item.known_state
    close = moved and change.state is RemoteState.CLOSED and item.is_open
    reopen = moved and change.state is RemoteState.OPEN and not item.is_open
    still_open = (item.is_open and not close) or reopen
    new_owner = None
    if change.assignee_changed and still_open and owner_for_assignee not in (None, item.owner_id):
        new_owner = owner_for_assignee
    new_due = None
    # A due date cleared in the tracker is not followed: an item without one is never nudged.
    if change.due_changed and still_open and change.due is not None and change.due != item.due:
        new_due = change.due
    return Follow(
        state=change.state if moved else None,
        close=close,
        reopen=reopen,
        new_owner=new_owner,
        new_due=new_due,
    )


def change_from_issue(kind: TrackerKind, issue: RemoteIssue) -> RemoteChange:
    """A polled issue read as a change of state only. Owner and due date are followed from
    webhooks, which say what changed; a poll can't tell a tracker edit from a Slack edit the
    outbox has yet to send, and must not undo the latter."""
    return RemoteChange(
        kind=kind,
        key=issue.key,
        state=issue.state,
        assignee=issue.assignee,
        assignee_changed=False,
        due=issue.due,
        due_changed=False,
    )


def emails_for_login(user_map: Mapping[str, str], login: str) -> list[str]:
    """GITHUB_USER_MAP read backwards: the Slack e-mails mapped to this GitHub login."""
    wanted = login.lower()
    return sorted(email for email, mapped in user_map.items() if mapped.lower() == wanted)
