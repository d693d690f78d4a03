"""The outbox as a process runs it: the runtime's one tracker client and its adapter, the drain
right after a press, the scheduled drain and poll, and `hindsight sync --once` as cron runs it,
against the fake GitHub on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.jobs import (
    TRACKER_DRAIN_JOB_ID,
    TRACKER_POLL_JOB_ID,
    run_tracker_drain,
    run_tracker_poll,
    schedule_jobs,
)
from bot.trackers.shapes import TrackerKind
from models import ActionItem, ActionStatus
from tests.conftest import make_settings
from tests.fakeslack import FakeSlack
from tests.faketrackers.github import FakeGitHub
from tests.test_cli import base_env, run
from tests.trackers.test_outbox import press, seed_items

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    try:
        yield fake
        fake.assert_no_violations()
    finally:
        fake.stop()


def github_env(github: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": github.token,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_API_URL": github.api_url,
        "TRACKER_POLL_MINUTES": "7",
    }


async def test_a_kick_files_what_was_pressed_with_the_runtimes_client(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions, github: FakeGitHub
) -> None:
    runtime = build_runtime(make_settings(fake_slack, database_url, **github_env(github)))
    try:
        assert set(runtime.trackers) == {TrackerKind.GITHUB}
        assert runtime.tracker_client is not None
        first, second = await seed_items(sessions, 2)
        await press(sessions, first, runtime.clock())
        runtime.kick_trackers()
        await press(sessions, second, runtime.clock())
        runtime.kick_trackers()  # while the first drain runs: one more run after it, not two
        runtime.kick_trackers()
        while runtime.running_jobs.running():
            await asyncio.wait(runtime.running_jobs.running(), timeout=5)
        assert sorted(github.issues) == [1, 2]
        async with sessions() as session:
            filed = [await session.get_one(ActionItem, item_id) for item_id in (first, second)]
        assert {item.tracker_key for item in filed} == {
            f"{github.repository}#1",
            f"{github.repository}#2",
        }
        assert len(github.recorder.seen("POST")) == 2  # each filed once
    finally:
        await runtime.close()
    assert runtime.tracker_client.is_closed


async def test_the_tracker_jobs_run_only_with_a_tracker(
    fake_slack: FakeSlack, database_url: str, github: FakeGitHub
) -> None:
    plain = build_runtime(make_settings(fake_slack, database_url))
    with_github = build_runtime(make_settings(fake_slack, database_url, **github_env(github)))
    try:
        assert plain.trackers == {} and plain.tracker_client is None
        plain.kick_trackers()  # nothing to drain: no task started
        assert not plain.running_jobs.running()
        schedule_jobs(plain)
        assert plain.scheduler.get_job(TRACKER_DRAIN_JOB_ID) is None
        schedule_jobs(with_github)
        drain_job = with_github.scheduler.get_job(TRACKER_DRAIN_JOB_ID)
        poll_job = with_github.scheduler.get_job(TRACKER_POLL_JOB_ID)
        assert drain_job.trigger.interval.total_seconds() == 10
        assert poll_job.trigger.interval.total_seconds() == 7 * 60
    finally:
        await plain.close()
        await with_github.close()


async def test_sync_once_files_the_queue_then_polls_what_changed(
    tmp_path: Path, database_url: str, sessions: Sessions, github: FakeGitHub
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, datetime.now(UTC))
    env = base_env() | github_env(github) | {"DATABASE_URL": database_url}

    first = await asyncio.to_thread(run, ["sync", "--once"], env, tmp_path)

    assert first.returncode == 0, first.stderr
    assert "tracker outbox: 1 done, 0 to retry, 0 failed" in first.stdout
    assert list(github.issues) == [1]
    assert github.token not in first.stdout + first.stderr
    github.close(1)  # closed in GitHub; the webhook never came
    second = await asyncio.to_thread(run, ["sync", "--once"], env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "tracker outbox: 0 done" in second.stdout
    assert "tracker poll: 1 item(s) changed" in second.stdout
    async with sessions() as session:
        item = await session.get_one(ActionItem, item_id)
    assert item.status is ActionStatus.DONE and item.tracker_state == "closed"
    assert len(github.recorder.seen("POST")) == 1


def test_sync_once_without_a_tracker_exits_2_naming_the_settings(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    result = run(["sync", "--once"], env, tmp_path)
    assert result.returncode == 2
    assert "no tracker is configured: set GITHUB_TOKEN and GITHUB_REPOSITORY" in result.stderr


async def test_the_jobs_file_then_catch_a_close_without_a_webhook_and_redraw(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions, github: FakeGitHub
) -> None:
    runtime = build_runtime(make_settings(fake_slack, database_url, **github_env(github)))
    try:
        [item_id] = await seed_items(sessions)
        await press(sessions, item_id, runtime.clock())
        await run_tracker_drain(runtime)
        assert list(github.issues) == [1]
        homes = fake_slack.calls_to("views.publish")
        assert [call.args["user_id"] for call in homes] == ["U0OWNER"]  # the link, redrawn
        github.close(1)
        await run_tracker_poll(runtime)
        async with sessions() as session:
            item = await session.get_one(ActionItem, item_id)
        assert item.status is ActionStatus.DONE and item.tracker_state == "closed"
        assert len(fake_slack.calls_to("views.publish")) == 2
    finally:
        await runtime.close()
