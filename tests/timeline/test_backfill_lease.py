"""Backfill runs in the database: one runner at a time (a lease), taken over once a silent
holder's lease runs out, resumed with each team's own client, failed for good (and said so)
when Slack keeps refusing."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.errors import SlackCallError
from bot.installations.crypto import TokenCipher, generate_key
from bot.installations.store import SqlInstallationStore
from bot.installations.team_clients import InstalledTeamClients
from bot.slack import create_web_client
from bot.tasks import TaskSet
from bot.timeline import backfill_store as runs
from bot.timeline.backfill import backfill_channel, resume_backfills
from bot.timeline.backfill_store import LeaseLost
from models import utcnow
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakeslack import FakeSlack
from tests.timeline.test_backfill_paced import Sessions, message_ts, the_run
from tests.timeline.test_capture import seed_channel, seed_incident


async def test_a_leased_run_is_read_by_one_runner_and_taken_over_once_the_lease_ends(
    fake_slack: FakeSlack, sessions: Sessions
) -> None:
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    now = utcnow()
    held = await runs.create_run(
        sessions,
        team_id=TEAM_ID,
        incident_id=incident_id,
        channel_id=channel,
        bot_user_id=None,
        bot_id=None,
        now=now,
    )
    assert await runs.claim_due(sessions, now=now + runs.LEASE / 2) == []
    later = now + runs.LEASE + timedelta(seconds=1)  # the holder went silent (a crash)
    claims = await asyncio.gather(*(runs.claim_due(sessions, now=later) for _ in range(3)))
    [taken] = [run for claimed in claims for run in claimed]  # one runner, not three
    assert taken.id == held.id and taken.owner != held.owner
    with pytest.raises(LeaseLost):  # the old holder, back, writes nothing
        await runs.record_page(sessions, held, now=later, messages=[], read_count=99)
    assert (await the_run(sessions)).read_count == 0


async def test_resuming_uses_each_team_s_client_and_skips_a_team_not_installed(
    fake_slack: FakeSlack, sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    channel = seed_channel(fake_slack)
    fake_slack.add_message(channel, text="db-1 down", user="U0ALICE")
    installed = await seed_incident(sessions, channel)
    gone = await seed_incident(sessions, channel, team_id="T0GONE", number=1)
    for team_id, incident_id in ((TEAM_ID, installed), ("T0GONE", gone)):
        await runs.create_run(
            sessions,
            team_id=team_id,
            incident_id=incident_id,
            channel_id=channel,
            bot_user_id=None,
            bot_id=None,
            now=utcnow() - runs.LEASE * 2,  # left by a process that died
        )
    token = "xoxb-installed-team-one"
    fake_slack.add_token(token, TEAM_ID)
    store = SqlInstallationStore(sessions, TokenCipher([generate_key()]), client_id="1.2")
    await store.async_save(
        Installation(
            team_id=TEAM_ID, bot_token=token, bot_id="B0BOT", bot_user_id="U0BOT", user_id="U0A"
        )
    )
    clients = InstalledTeamClients(
        store, base_url=fake_slack.base_url, client_id="1.2", client_secret="secret"
    )
    tasks = TaskSet()
    with caplog.at_level(logging.WARNING, logger="bot.timeline.backfill"):
        started = await resume_backfills(
            sessions=sessions, clients=clients, tasks=tasks, now=utcnow()
        )
        await asyncio.gather(*tasks.running())
    assert len(started) == 1
    assert "team T0GONE waits: the team has no live installation" in caplog.text
    assert await runs.claim_due(sessions, now=utcnow() + runs.LEASE * 2) == []  # not every pass
    reads = fake_slack.calls_to("conversations.history")
    assert reads and {c.token for c in reads} == {token}
    assert await message_ts(sessions) != []


async def test_a_run_slack_keeps_refusing_is_marked_failed_and_the_channel_told(
    fake_slack: FakeSlack, sessions: Sessions
) -> None:
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    fake_slack.add_message(channel, text="db-1 down", user="U0ALICE")
    fake_slack.fail("conversations.history", status=429, retry_after=0, times=None)
    with pytest.raises(SlackCallError):
        await backfill_channel(
            client=create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN),
            sessions=sessions,
            team_id=TEAM_ID,
            incident_id=incident_id,
            channel_id=channel,
            bot_user_id=fake_slack.bot_user_id,
            bot_id=fake_slack.bot_id,
        )
    run = await the_run(sessions)
    assert run.finished_at is not None and run.lease_owner is None  # not resumed forever
    assert (
        run.error
        == f"Couldn't read the history of <#{channel}> (conversations.history: ratelimited)."
    )
    assert await runs.claim_due(sessions, now=utcnow() + runs.LEASE * 2) == []
    [progress] = [m for m in fake_slack.channels[channel].messages if m["ts"] == run.progress_ts]
    assert progress["text"].startswith(":warning: Stopped reading this channel's history")
