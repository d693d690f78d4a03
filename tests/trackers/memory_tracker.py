"""A small in-memory tracker for outbox tests: it stands in for GitHub or Jira (an external
service) with fault injection, and keeps what it was asked so tests can count issues."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

from bot.trackers.shapes import (
    IssueDraft,
    RemoteIssue,
    RemoteState,
    TrackerError,
    TrackerKind,
)


class MemoryTracker:
    kind = TrackerKind.GITHUB

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay  # seconds each call takes, so concurrent drains interleave
        self.issues: dict[str, RemoteIssue] = {}
        self.drafts: dict[str, IssueDraft] = {}  # key → what was filed
        self.refusals: list[TrackerError] = []  # raised by the next calls, one each
        self.refused_method: str | None = None  # only this method's calls are refused
        self.lose_answers = 0  # the next creates are filed, then answered with a timeout
        self.hold_creates: asyncio.Event | None = None  # creates file, then wait for it
        self.filed = asyncio.Event()  # set by each create once the issue exists
        self.calls: list[str] = []
        self.users = {"owner@example.com": "owner-gh"}

    async def _call(self, name: str) -> None:
        self.calls.append(name)
        await asyncio.sleep(self.delay)
        if self.refusals and self.refused_method in (None, name):
            raise self.refusals.pop(0)

    async def create(self, draft: IssueDraft) -> RemoteIssue:
        await self._call("create")
        key = f"acme/ops#{len(self.issues) + 1}"
        issue = RemoteIssue(
            key=key,
            url=f"https://github.test/acme/ops/issues/{len(self.issues) + 1}",
            state=RemoteState.OPEN,
            assignee=draft.assignee,
            due=draft.due,
        )
        self.issues[key], self.drafts[key] = issue, draft
        self.filed.set()
        if self.hold_creates is not None:
            await self.hold_creates.wait()
        if self.lose_answers:
            self.lose_answers -= 1
            raise TrackerError("no answer within the timeout (ReadTimeout)", retryable=True)
        return issue

    async def find_by_marker(self, marker: str) -> RemoteIssue | None:
        await self._call("find_by_marker")
        for key, draft in self.drafts.items():
            if draft.marker == marker:
                return self.issues[key]
        return None

    async def get(self, key: str) -> RemoteIssue:
        await self._call("get")
        return self.issues[key]

    async def update(
        self,
        key: str,
        *,
        state: RemoteState | None = None,
        assignee: str | None = None,
        due: date | None = None,
    ) -> RemoteIssue:
        await self._call("update")
        issue = self.issues[key]
        issue = replace(
            issue,
            state=state or issue.state,
            assignee=assignee or issue.assignee,
            due=due or issue.due,
        )
        self.issues[key] = issue
        return issue

    async def user_for_email(self, email: str) -> str | None:
        await self._call("user_for_email")
        return self.users.get(email)

    def markers(self) -> list[str]:
        return [draft.marker for draft in self.drafts.values()]
