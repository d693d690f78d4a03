"""What a tracker is asked and what it answers: pure shapes shared by the adapters, the outbox,
the Slack surfaces and the tests' fake trackers."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


class TrackerKind(enum.StrEnum):
    GITHUB = "github"
    JIRA = "jira"

    @property
    def label(self) -> str:
        return "GitHub" if self is TrackerKind.GITHUB else "Jira"


class RemoteState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class IntentKind(enum.StrEnum):
    """What the outbox asks of the tracker for one action item."""

    CREATE = "create"  # file the item as an issue
    UPDATE = "update"  # owner or due date changed in Slack
    CLOSE = "close"  # done or won't do in Slack
    REOPEN = "reopen"  # reopened in Slack


class IntentState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    DONE = "done"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS; shown on the item with a Retry button


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """An action item as a new issue. `marker` is written into the body (GitHub: an HTML
    comment; Jira: the description and a label) so a create that crashed after the tracker's
    answer is found again instead of filed twice."""

    title: str
    body: str  # Markdown (GitHub) or plain text (Jira); the adapter formats it
    labels: tuple[str, ...]  # "postmortem" and the item's kind
    due: date | None
    assignee: str | None  # a GitHub login or a Jira accountId, when the owner maps to one
    marker: str  # e.g. "hindsight-item-T0123-42": unique per team and item


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    key: str  # GitHub: "owner/name#12"; Jira: "OPS-12"
    url: str  # the issue's page for people
    state: RemoteState
    assignee: str | None
    due: date | None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RemoteChange:
    """What a webhook says changed on one issue."""

    kind: TrackerKind
    key: str
    state: RemoteState | None  # None when the state did not change
    assignee: str | None
    assignee_changed: bool
    due: date | None
    due_changed: bool
    # The new assignee's e-mail when the tracker tells it (Jira's webhook body does, unless the
    # person hides it): how a Jira accountId maps back to a Slack user.
    assignee_email: str | None = None


class TrackerError(Exception):
    """A tracker refused or could not be reached. `retryable`: timeouts, 5xx, 429 and 403 rate
    limits; `retry_after`: seconds the tracker asked us to wait (Retry-After, x-ratelimit-reset)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class Tracker(Protocol):
    """One tracker's API, as the outbox and sync use it. Every call goes through the runtime's
    one httpx.AsyncClient; failures raise TrackerError."""

    kind: TrackerKind

    async def create(self, draft: IssueDraft) -> RemoteIssue: ...

    async def find_by_marker(self, marker: str) -> RemoteIssue | None: ...

    async def get(self, key: str) -> RemoteIssue: ...

    async def update(
        self,
        key: str,
        *,
        state: RemoteState | None = None,
        assignee: str | None = None,
        due: date | None = None,
    ) -> RemoteIssue: ...

    async def user_for_email(self, email: str) -> str | None: ...


class Filing(enum.StrEnum):
    """Where an action item stands in being filed, as its Slack surfaces show it."""

    NONE = "none"  # not asked for yet: the Create button
    QUEUED = "queued"  # asked for, the tracker not answered yet
    RETRYING = "retrying"  # the last attempt failed; another one is coming
    FAILED = "failed"  # given up after MAX_ATTEMPTS: the Retry button
    FILED = "filed"  # the issue exists: its key and link


@dataclass(frozen=True, slots=True)
class ItemTracker:
    """One action item in the team's tracker, in plain values for bot/ui."""

    kind: TrackerKind
    filing: Filing
    key: str | None = None
    url: str | None = None
    state: RemoteState | None = None
    error: str | None = None  # the tracker's last refusal (RETRYING, FAILED)
