"""The outbox against the fake GitHub on loopback, with the real adapter and httpx client: a
500, a 429 with Retry-After and an answer lost to the client's timeout after GitHub filed the
issue all end with every item filed exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.trackers.github import GitHubTracker
from bot.trackers.http import tracker_client
from bot.trackers.outbox import drain
from bot.trackers.shapes import TrackerKind
from models import ActionItem, TrackerIntent
from tests.clock import FrozenClock
from tests.faketrackers.github import FakeGitHub
from tests.trackers.test_outbox import press, seed_items

Sessions = async_sessionmaker[AsyncSession]
START = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
CLIENT_TIMEOUT = 0.5


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    try:
        yield fake
        fake.assert_no_violations()
    finally:
        fake.stop()


def settings_for(github: FakeGitHub) -> Settings:
    return load_settings(
        {
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPOSITORY": github.repository,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_USER_MAP": "owner@example.com=owner-gh",
        }
    )


async def test_faults_end_with_every_item_filed_once(
    sessions: Sessions, github: FakeGitHub
) -> None:
    item_ids = await seed_items(sessions, 4)
    clock = FrozenClock(START)
    for item_id in item_ids:
        await press(sessions, item_id, clock())
    settings = settings_for(github)
    assert settings.trackers.github is not None
    github.fail(500, times=1, verb="POST")
    github.limit(retry_after=30, times=1)
    github.stall(CLIENT_TIMEOUT * 3, times=1, after_work=True)  # filed, the answer lost

    async with tracker_client(timeout=CLIENT_TIMEOUT) as client:
        trackers = {TrackerKind.GITHUB: GitHubTracker(client, settings.trackers.github)}
        reports = []
        for _ in range(10):
            report = await drain(
                sessionmaker=sessions, trackers=trackers, clock=clock, settings=settings
            )
            reports.append(report)
            if sum(report.done for report in reports) == 4:
                break
            clock.advance(timedelta(seconds=30))  # as far as the 429 asked, past the backoff

    assert sum(report.done for report in reports) == 4
    assert sum(report.failed for report in reports) == 0
    assert sum(report.retried for report in reports) == 3  # the 500, the 429, the timeout
    assert len(github.issues) == 4  # nothing filed twice
    bodies = [issue["body"] for issue in github.issues.values()]
    for item_id in item_ids:
        assert sum(f"hindsight-item-T0OUTBOX-{item_id}" in body for body in bodies) == 1
    async with sessions() as session:
        items = list(await session.scalars(select(ActionItem).order_by(ActionItem.id)))
        intents = list(await session.scalars(select(TrackerIntent)))
    assert len({item.tracker_key for item in items}) == 4
    assert all(item.tracker_error is None and item.tracker_state == "open" for item in items)
    assert {intent.state for intent in intents} == {"done"}
    assert all(issue["assignees"][0]["login"] == "owner-gh" for issue in github.issues.values())
