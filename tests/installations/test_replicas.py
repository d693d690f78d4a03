"""Two replicas of `serve` on one PostgreSQL, serving two workspaces: two runtimes (each its own
engine, scheduler, token caches), each served over HTTP on its own port, as two processes behind
a load balancer would be. Slack delivers an event again when the first delivery looked lost, and
the retry may reach the other replica: each message is stored once. Both replicas sweep the same
due reminders at once: each owner is reminded once, with the token of the owner's team.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.installations.crypto import TokenCipher
from bot.installations.store import SqlInstallationStore
from bot.jobs import run_reminder_sweep
from models import ActionItem, ActionStatus, ReminderDelivery, SlackUser
from tests.clock import FrozenClock
from tests.conftest import ServedBot, serve_app
from tests.fakeslack import FakeSlack
from tests.installations.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENCRYPTION_KEY,
    TEAM_A,
    TEAM_B,
    oauth_settings,
    team_requests,
)
from tests.timeline_seed import events_of, seed_incident

Sessions = async_sessionmaker[AsyncSession]
TEAMS = (TEAM_A, TEAM_B)
# A Tuesday afternoon; every hour is a working one below, whatever the owner's zone.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ALWAYS = {"WORKING_HOURS": "00:00-24:00", "WORKING_DAYS": "mon-sun"}
OWNERS_PER_TEAM = 25
MESSAGES_PER_TEAM = 20

# Only on PostgreSQL: several processes share one database there, not on SQLite.
pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)]
)


def token_of(team_id: str) -> str:
    return f"xoxb-{team_id}-replica-secret"


def owner(team_id: str, number: int) -> str:
    return f"U0{team_id[-1]}OWNER{number:02d}"


async def install(sessions: Sessions, fake: FakeSlack) -> None:
    """Both teams installed (saved through the store, tokens encrypted), as the OAuth flow
    saves them; the fake Slack takes each team's token."""
    store = SqlInstallationStore(sessions, TokenCipher([ENCRYPTION_KEY]), client_id=CLIENT_ID)
    fake.oauth.client_id, fake.oauth.client_secret = CLIENT_ID, CLIENT_SECRET
    for team_id in TEAMS:
        await store.async_save(
            Installation(
                app_id=fake.app_id,
                team_id=team_id,
                team_name=f"Team {team_id}",
                bot_token=token_of(team_id),
                bot_id=fake.bot_id,
                bot_user_id=fake.bot_user_id,
                bot_scopes="chat:write,users:read,channels:history",
                user_id="U0INSTALLER",
                token_type="bot",
            )
        )
        fake.add_token(token_of(team_id), team_id)


class Replicas:
    """Two runtimes on one database, each served by uvicorn on its own loopback port."""

    def __init__(self, fake: FakeSlack, database_url: str) -> None:
        self.fake, self.database_url = fake, database_url
        self.stack = AsyncExitStack()
        self.bots: list[ServedBot] = []

    async def __aenter__(self) -> list[ServedBot]:
        settings = oauth_settings(self.fake, self.database_url, **ALWAYS)
        for _ in range(2):
            runtime = build_runtime(settings, clock=FrozenClock(NOW))
            self.bots.append(await self.stack.enter_async_context(serve_app(runtime)))
        return self.bots

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()


@pytest.fixture
async def replicas(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> AsyncIterator[list[ServedBot]]:
    await install(sessions, fake_slack)
    async with Replicas(fake_slack, database_url) as bots:
        yield bots


async def test_an_event_delivered_to_both_replicas_is_stored_once_for_each_team(
    replicas: list[ServedBot], fake_slack: FakeSlack, sessions: Sessions
) -> None:
    channels = {}
    for team_id in TEAMS:
        fake_slack.add_user(owner(team_id, 0), name=f"person-{team_id}", team_id=team_id)
        channels[team_id] = fake_slack.add_channel(f"inc-{team_id.lower()}", bot_is_member=True)
        await seed_incident(sessions, channels[team_id], team_id=team_id)
    deliveries = []
    for team_id in TEAMS:
        first, second = (team_requests(bot, fake_slack, team_id) for bot in replicas)
        for number in range(MESSAGES_PER_TEAM):
            message = first.message_event(
                channels[team_id], f"{team_id} note {number}", user=owner(team_id, 0)
            )
            event_id = f"Ev{team_id}{number:04d}"
            # Slack's first delivery to one replica and its retry to the other, at once.
            deliveries.append(first.event(message, team_id=team_id, event_id=event_id))
            deliveries.append(
                second.event(message, team_id=team_id, event_id=event_id, retry_num=1)
            )

    responses = await asyncio.gather(*deliveries)

    assert [response.status_code for response in responses] == [200] * len(deliveries)
    for team_id in TEAMS:
        stored = [event.text for event in await events_of(sessions, team_id)]
        assert Counter(stored) == Counter(
            f"{team_id} note {number}" for number in range(MESSAGES_PER_TEAM)
        )
    # Capturing needs no Web API call; whatever was called used the event's own team's token.
    assert {call.token for call in fake_slack.calls} <= {token_of(team) for team in TEAMS}


async def seed_due_reminders(sessions: Sessions, fake: FakeSlack) -> int:
    """Each team: OWNERS_PER_TEAM owners with two due items each (one DM lists both)."""
    count = 0
    for team_id in TEAMS:
        incident = await seed_incident(sessions, f"C0INC{team_id}", team_id=team_id)
        async with sessions() as session, session.begin():
            for number in range(OWNERS_PER_TEAM):
                person = owner(team_id, number)
                fake.add_user(person, name=f"owner-{number}", tz="UTC", team_id=team_id)
                session.add(SlackUser(team_id=team_id, user_id=person, name=person, tz="UTC"))
                for title in ("Alert on p99", "Write the runbook"):
                    count += 1
                    session.add(
                        ActionItem(
                            team_id=team_id,
                            incident_id=incident.id,
                            title=f"{title} ({team_id})",
                            owner_id=person,
                            due_date=NOW.date(),
                            status=ActionStatus.OPEN,
                            created_by=person,
                            next_reminder_at=NOW - timedelta(minutes=1),
                        )
                    )
    return count


async def test_concurrent_sweeps_on_both_replicas_remind_each_owner_once_with_its_teams_token(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> None:
    await install(sessions, fake_slack)
    items = await seed_due_reminders(sessions, fake_slack)
    # Each replica sweeps as it starts (its scheduler's first run) and then twice more, all at
    # once with the other's: the runs overlap on the same due rows.
    async with Replicas(fake_slack, database_url) as bots:
        runtimes = [bot.runtime for bot in bots]
        await asyncio.gather(*(run_reminder_sweep(runtime) for runtime in runtimes * 2))
        for runtime in runtimes:
            for task in runtime.running_jobs.running():
                await task  # the start-up sweeps, if still going

    dms = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if str(call.args.get("channel", "")).startswith("U0")
    ]
    per_owner = Counter(str(call.args["channel"]) for call in dms)
    expected = {owner(team_id, n) for team_id in TEAMS for n in range(OWNERS_PER_TEAM)}
    assert set(per_owner) == expected
    assert set(per_owner.values()) == {1}  # one DM each, not one per replica or sweep
    for call in dms:
        team_id = TEAM_A if call.args["channel"].startswith(f"U0{TEAM_A[-1]}") else TEAM_B
        assert call.token == token_of(team_id)
        assert f"({team_id})" in str(call.args)
    async with sessions() as session:
        counts = Counter(await session.scalars(select(ActionItem.reminder_count)))
        deliveries = await session.scalar(select(func.count()).select_from(ReminderDelivery))
    assert counts == {1: items}
    assert deliveries == items  # one delivery row per item reminded
